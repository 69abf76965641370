// RDS: registration, durable records, the state machine on the server clock, shared helpers, and the
// master passwords RDS manages in Secrets Manager.
#include "services/rds/service.h"

#include <algorithm>
#include <cmath>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"
#include "core/common/pagination.h"
#include "core/core.h"

namespace cloudbox::rds {

// ---------------------------------------------------------------------------------------------------
// Helpers

std::string str(const Json& in, const char* member, const std::string& fallback) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

bool has(const Json& in, const char* member) {
  auto it = in.find(member);
  return it != in.end() && !it->is_null();
}

bool flag(const Json& in, const char* member, bool fallback) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

std::vector<std::string> strings(const Json& in, const char* member) {
  std::vector<std::string> out;
  auto it = in.find(member);
  if (it == in.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

double epoch(const RequestContext& ctx) { return std::floor(to_epoch(ctx.now) * 1000) / 1000; }

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string rds_arn(const RegionState& r, const std::string& type, const std::string& id) {
  return "arn:aws:rds:" + r.region + ":" + r.account + ":" + type + ":" + id;
}

RdsPage page_of(const Json& in, std::vector<std::pair<std::string, Json>> sorted) {
  int max = 100;
  if (has(in, "MaxRecords")) {
    max = in["MaxRecords"].get<int>();
    if (max < 20 || max > 100)
      throw AwsError("InvalidParameterValue",
                     "Invalid value " + std::to_string(max) + " for MaxRecords. Must be between 20 and 100", 400);
  }
  Json bound = in;
  bound.erase("Marker");
  bound.erase("MaxRecords");
  PageRequest req{has(in, "Marker") ? std::optional<std::string>(str(in, "Marker")) : std::nullopt, max,
                  bind_token(bound)};
  auto [items, next] = paginate(sorted, req, [](const auto& p) { return p.first; }, "InvalidParameterValue",
                                "The parameter Marker is not a valid pagination token.", 400);
  RdsPage out;
  for (auto& [k, v] : items) out.items.push_back(std::move(v));
  out.marker = next;
  return out;
}

std::vector<RdsFilter> read_filters(const Json& in, const std::vector<std::string>& known) {
  std::vector<RdsFilter> out;
  auto it = in.find("Filters");
  if (it == in.end() || !it->is_array()) return out;
  for (const auto& f : *it) {
    RdsFilter filter;
    filter.name = f.value("Name", "");
    if (std::find(known.begin(), known.end(), filter.name) == known.end())
      throw AwsError("InvalidParameterValue", "Unrecognized filter name: " + filter.name + ".", 400);
    filter.values = strings(f, "Values");
    if (filter.values.empty())
      throw AwsError("InvalidParameterCombination", "Filter " + filter.name + " must have at least one value.", 400);
    out.push_back(std::move(filter));
  }
  return out;
}

bool any_of(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

void check_identifier(const std::string& member, const std::string& id) {
  bool ok = !id.empty() && id.size() <= 63 && std::isalpha(static_cast<unsigned char>(id[0])) && id.back() != '-' &&
            id.find("--") == std::string::npos;
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok)
    throw AwsError("InvalidParameterValue",
                   "The parameter " + member +
                       " is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII "
                       "letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive "
                       "hyphens.",
                   400);
}

TagMap read_tags(const Json& in, const TagMap& existing) {
  TagMap tags;
  auto it = in.find("Tags");
  if (it == in.end() || !it->is_array()) return tags;
  Json list = *it;
  for (auto& t : list)
    if (!t.contains("Value")) t["Value"] = "";
  return parse_tag_list(list, "InvalidParameterValue", existing);
}

// ---------------------------------------------------------------------------------------------------
// Construction and registration

namespace {
std::string data_root(Core& core) {
  if (core.options().ephemeral || core.options().state_dir.empty()) return {};
  return core.options().state_dir + "/rds";
}
}  // namespace

std::function<std::unique_ptr<DataPlane>()>& RdsService::data_plane_factory() {
  static std::function<std::unique_ptr<DataPlane>()> factory;
  return factory;
}

RdsService::RdsService(Core& core)
    : Service(core),
      dp_(data_plane_factory() ? data_plane_factory()() : std::make_unique<PostgresDataPlane>(data_root(core))) {}

RdsService::~RdsService() {
  // Stop every server cleanly (the data plane waits for queued work first).
  if (dp_) dp_->shutdown();
}

void RdsService::register_operations(std::unordered_map<std::string, Handler>& table) {
  const std::pair<const char*, Method> ops[] = {
      {"CreateDBSubnetGroup", &RdsService::create_db_subnet_group},
      {"DescribeDBSubnetGroups", &RdsService::describe_db_subnet_groups},
      {"ModifyDBSubnetGroup", &RdsService::modify_db_subnet_group},
      {"DeleteDBSubnetGroup", &RdsService::delete_db_subnet_group},
      {"CreateDBInstance", &RdsService::create_db_instance},
      {"DescribeDBInstances", &RdsService::describe_db_instances},
      {"ModifyDBInstance", &RdsService::modify_db_instance},
      {"DeleteDBInstance", &RdsService::delete_db_instance},
      {"RebootDBInstance", &RdsService::reboot_db_instance},
      {"StopDBInstance", &RdsService::stop_db_instance},
      {"StartDBInstance", &RdsService::start_db_instance},
      {"CreateDBSnapshot", &RdsService::create_db_snapshot},
      {"DescribeDBSnapshots", &RdsService::describe_db_snapshots},
      {"DeleteDBSnapshot", &RdsService::delete_db_snapshot},
      {"RestoreDBInstanceFromDBSnapshot", &RdsService::restore_from_snapshot},
      {"DescribeDBEngineVersions", &RdsService::describe_db_engine_versions},
      {"DescribeOrderableDBInstanceOptions", &RdsService::describe_orderable_options},
      {"DescribeDBParameterGroups", &RdsService::describe_db_parameter_groups},
      {"DescribeOptionGroups", &RdsService::describe_option_groups},
      {"DescribeCertificates", &RdsService::describe_certificates},
      {"DescribeEvents", &RdsService::describe_events},
      {"ListTagsForResource", &RdsService::list_tags},
      {"AddTagsToResource", &RdsService::add_tags},
      {"RemoveTagsFromResource", &RdsService::remove_tags},
      {"DescribeDBClusters", &RdsService::describe_db_clusters},
  };
  for (const auto& [op, method] : ops) {
    table[op] = [this, method](RequestContext& ctx, const Json& input) {
      // Time-driven states are brought up to date before anything reads them.
      RegionState& r = region(ctx);
      double now = to_epoch(ctx.now);
      for (auto it = r.instances.begin(); it != r.instances.end();) {
        auto next = std::next(it);
        advance(r, it->second, now);
        it = next;
      }
      advance_snapshots(r, now);
      return (this->*method)(ctx, input);
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Durability

RegionState& RdsService::region(const std::string& account, const std::string& region_name) {
  std::string key = account + "|" + region_name;
  auto it = regions_.find(key);
  if (it == regions_.end()) {
    it = regions_.emplace(key, RegionState{}).first;
    it->second.account = account;
    it->second.region = region_name;
  }
  return it->second;
}

void RdsService::save(RegionState& r, const char* kind, const Rec& rec) {
  core_.store().put(kNamespace, r.account + "|" + r.region + "|" + kind + "|" + rec.id,
                    {{"account", r.account}, {"region", r.region}, {"kind", kind}, {"id", rec.id}, {"doc", rec.doc},
                     {"tags", Json(rec.tags)}, {"seq", rec.seq}});
}

void RdsService::erase(RegionState& r, const char* kind, const std::string& id) {
  core_.store().erase(kNamespace, r.account + "|" + r.region + "|" + kind + "|" + id);
}

void RdsService::load() {
  regions_.clear();
  for (auto& [key, v] : core_.store().load(kNamespace)) {
    RegionState& r = region(v.value("account", ""), v.value("region", ""));
    Rec rec;
    rec.id = v.value("id", "");
    rec.doc = v.value("doc", Json::object());
    if (v.contains("tags") && v["tags"].is_object()) rec.tags = v["tags"].get<TagMap>();
    rec.seq = v.value("seq", uint64_t(0));
    next_seq_ = std::max(next_seq_, rec.seq + 1);
    std::string kind = v.value("kind", "");
    if (kind == "db") r.instances[rec.id] = std::move(rec);
    else if (kind == "subgrp") r.subnet_groups[rec.id] = std::move(rec);
    else if (kind == "snap") r.snapshots[rec.id] = std::move(rec);
  }
  // Bring the data plane back in line with what the records say.
  for (auto& [k, r] : regions_) {
    for (auto& [id, db] : r.instances) {
      std::string status = db.doc.value("DBInstanceStatus", "");
      PgSpec spec = spec_of(r, db);
      if (status == "creating") {
        dp_->create(spec);
      } else if (status == "deleting") {
        dp_->destroy(spec.key);
      } else if (status == "stopping" || status == "stopped") {
        dp_->stop(spec.key);
        if (status == "stopping") continue;
      } else if (status != "failed") {
        // available, backing-up, modifying, rebooting, starting: the server is brought up (or adopted).
        dp_->start(spec);
        db.doc["DBInstanceStatus"] = "starting";
        save(r, "db", db);
      }
    }
    for (auto& [id, snap] : r.snapshots)
      if (snap.doc.value("Status", "") == "creating") {
        snap.doc["Status"] = "failed";  // the dump was cut short by the restart
        save(r, "snap", snap);
      }
  }
}

void RdsService::reset() {
  regions_.clear();
  next_seq_ = 1;
  dp_->wipe();
}

Json RdsService::health() const {
  size_t n = 0;
  for (const auto& [k, r] : regions_) n += r.instances.size();
  return {{"db_instances", n}};
}

std::vector<AuthzTarget> RdsService::authz_targets(const RequestContext& ctx, const Json& in) {
  AuthzTarget t;
  t.action = "rds:" + ctx.operation;
  auto arn = [&](const std::string& type, const std::string& id) {
    return "arn:aws:rds:" + ctx.region + ":" + ctx.account_id + ":" + type + ":" + id;
  };
  std::string db = str(in, "DBInstanceIdentifier");
  if (!db.empty()) t.resources.push_back(db.rfind("arn:", 0) == 0 ? db : arn("db", lower(db)));
  std::string group = str(in, "DBSubnetGroupName");
  if (!group.empty()) t.resources.push_back(arn("subgrp", lower(group)));
  std::string snap = str(in, "DBSnapshotIdentifier");
  if (!snap.empty()) t.resources.push_back(snap.rfind("arn:", 0) == 0 ? snap : arn("snapshot", snap));
  std::string res = str(in, "ResourceName");
  if (!res.empty()) t.resources.push_back(res);
  return {t};
}

void RdsService::tick(TimePoint now_tp) {
  double now = to_epoch(now_tp);
  for (auto& [k, r] : regions_) {
    for (auto it = r.instances.begin(); it != r.instances.end();) {
      auto next = std::next(it);
      advance(r, it->second, now);
      it = next;
    }
    advance_snapshots(r, now);
  }
}

void RdsService::event(RegionState& r, const std::string& source_id, const std::string& source_type,
                       const std::string& arn, const std::string& message, const std::vector<std::string>& categories,
                       double when) {
  Json e = {{"SourceIdentifier", source_id},
            {"SourceType", source_type},
            {"Message", message},
            {"EventCategories", categories},
            {"Date", when},
            {"SourceArn", arn}};
  r.events.push_back(std::move(e));
  while (r.events.size() > 2000) r.events.pop_front();
}

// ---------------------------------------------------------------------------------------------------
// Instances: lookups, views, the state machine

Rec& RdsService::instance(RegionState& r, const std::string& id) {
  auto it = r.instances.find(lower(id));
  if (it == r.instances.end()) throw AwsError("DBInstanceNotFoundFault", "DBInstance " + id + " not found.");
  return it->second;
}

std::string RdsService::endpoint_address(const std::string& account, const std::string& region,
                                         const std::string& id) {
  // 12 lower-case alphanumerics fixed per account+region, as AWS's per-account endpoint label.
  static const char* kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string digest = sha256("cloudbox-rds|" + account + "|" + region);
  std::string label;
  for (size_t i = 0; i < 12; ++i) label += kAlphabet[static_cast<unsigned char>(digest[i]) % 36];
  return id + ".c" + label + "." + region + ".rds.localhost";
}

std::string RdsService::kms_key_arn(const std::string& account, const std::string& region) {
  std::string h = sha256_hex("aws/secretsmanager|" + account + "|" + region);
  std::string uuid = h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" +
                     h.substr(20, 12);
  return "arn:aws:kms:" + region + ":" + account + ":key/" + uuid;
}

PgSpec RdsService::spec_of(const RegionState& r, const Rec& rec) const {
  PgSpec s;
  s.key = rec.doc.value("DbiResourceId", "");
  s.port = rec.doc.value("_Port", 5432);
  s.user = rec.doc.value("MasterUsername", "");
  s.password = rec.doc.value("_Password", "");
  s.db_name = rec.doc.value("DBName", "");
  s.host_name = endpoint_address(r.account, r.region, rec.id);
  return s;
}

Json RdsService::render_instance(const RegionState& r, const Rec& rec) const {
  Json d = Json::object();
  for (auto it = rec.doc.begin(); it != rec.doc.end(); ++it)
    if (!it.key().empty() && it.key()[0] != '_') d[it.key()] = it.value();
  std::string status = d.value("DBInstanceStatus", "");
  if (status == "creating") d.erase("Endpoint");
  if (d.contains("PendingModifiedValues") && d["PendingModifiedValues"].empty()) d["PendingModifiedValues"] = Json::object();
  d["TagList"] = tag_list_json(rec.tags);
  (void)r;
  return d;
}

void RdsService::advance(RegionState& r, Rec& db, double now) {
  std::string status = db.doc.value("DBInstanceStatus", "");
  std::string key = db.doc.value("DbiResourceId", "");
  std::string arn = db.doc.value("DBInstanceArn", "");
  PgStatus ph = dp_->status(key);
  auto set_status = [&](const std::string& s) {
    db.doc["DBInstanceStatus"] = s;
    db.doc["_Since"] = now;
    status = s;
  };
  auto sync_port = [&] {
    if (ph.port > 0 && db.doc["Endpoint"].value("Port", 0) != ph.port) {
      db.doc["Endpoint"]["Port"] = ph.port;
      db.doc["DbInstancePort"] = 0;
    }
  };
  bool changed = false;
  auto secret_active = [&] {
    if (db.doc.contains("MasterUserSecret") && db.doc["MasterUserSecret"].value("SecretStatus", "") != "active") {
      db.doc["MasterUserSecret"]["SecretStatus"] = "active";
      changed = true;
    }
  };
  if (status == "creating") {
    if (ph.phase == Phase::Running) {
      sync_port();
      set_status("backing-up");
      db.doc["PendingModifiedValues"] = Json::object();
      event(r, db.id, "db-instance", arn, "DB instance created", {"creation"}, now);
      if (db.doc.value("BackupRetentionPeriod", 0) > 0) {
        char buf[32];
        time_t t = time_t(now);
        struct tm tmv;
        gmtime_r(&t, &tmv);
        strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M", &tmv);
        std::string snap_id = "rds:" + db.id + "-" + buf;
        if (!r.snapshots.count(snap_id)) {
          Rec& s = make_snapshot(r, db, snap_id, "automated", {}, now);
          db.doc["_AutoSnapshot"] = s.id;
        }
      }
      db.doc["LatestRestorableTime"] = now;
      changed = true;
    } else if (ph.phase == Phase::Failed) {
      set_status("failed");
      event(r, db.id, "db-instance", arn, "DB instance failed to start: " + ph.error, {"failure"}, now);
      changed = true;
    }
  } else if (status == "backing-up") {
    std::string auto_snap = db.doc.value("_AutoSnapshot", "");
    auto sit = r.snapshots.find(auto_snap);
    if (auto_snap.empty() || sit == r.snapshots.end() || sit->second.doc.value("Status", "") != "creating") {
      set_status("available");
      db.doc.erase("_AutoSnapshot");
      secret_active();
      changed = true;
    }
  } else if (status == "modifying" || status == "rebooting" || status == "starting" || status == "resetting-master-credentials") {
    if (ph.phase == Phase::Running) {
      sync_port();
      if (status == "rebooting") event(r, db.id, "db-instance", arn, "DB instance restarted", {"availability"}, now);
      if (status == "starting") event(r, db.id, "db-instance", arn, "DB instance started", {"notification"}, now);
      if (status == "modifying" || status == "resetting-master-credentials")
        event(r, db.id, "db-instance", arn, "Finished applying modification to DB instance", {"configuration change"},
              now);
      set_status("available");
      secret_active();
      changed = true;
    } else if (ph.phase == Phase::Failed) {
      set_status("failed");
      event(r, db.id, "db-instance", arn, "DB instance failed: " + ph.error, {"failure"}, now);
      changed = true;
    }
  } else if (status == "stopping") {
    if (ph.phase == Phase::Stopped) {
      set_status("stopped");
      db.doc["_StoppedAt"] = now;
      event(r, db.id, "db-instance", arn, "DB instance stopped", {"notification"}, now);
      changed = true;
    }
  } else if (status == "stopped") {
    double stopped_at = db.doc.value("_StoppedAt", now);
    if (now - stopped_at >= 7 * 86400.0) {
      set_status("starting");
      event(r, db.id, "db-instance", arn,
            "DB instance is being started due to it exceeding the maximum allowed time being stopped.",
            {"notification"}, now);
      dp_->start(spec_of(r, db));
      changed = true;
    }
  } else if (status == "deleting") {
    if (ph.phase == Phase::Gone || ph.phase == Phase::Failed || ph.phase == Phase::None) {
      event(r, db.id, "db-instance", arn, "DB instance deleted", {"deletion"}, now);
      std::string id = db.id;
      erase(r, "db", id);
      r.instances.erase(id);
      return;
    }
  } else if (status == "available") {
    if (ph.phase == Phase::Running && ph.port > 0 && db.doc["Endpoint"].value("Port", 0) != ph.port) {
      sync_port();
      changed = true;
    }
    secret_active();
  }
  if (changed) save(r, "db", db);
}

// ---------------------------------------------------------------------------------------------------
// Managed master passwords

std::string RdsService::new_password() const {
  // Printable ASCII without the characters RDS refuses in master passwords ('/', '@', '"', ' ') and quotes.
  return random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.:;<=>?[]^_{|}~", 32);
}

Json RdsService::create_managed_secret(RequestContext& ctx, RegionState& r, Rec& db, const std::string& password) {
  std::string arn = db.doc.value("DBInstanceArn", "");
  Json value = {{"username", db.doc.value("MasterUsername", "")}, {"password", password}};
  Json req = {{"Name", "rds!db-" + uuid4()},
              {"Description", "Secret associated with primary RDS DB instance: " + arn},
              {"SecretString", value.dump()},
              {"OwningService", "rds"},
              {"Tags",
               Json::array({{{"Key", "aws:rds:primaryDBInstanceArn"}, {"Value", arn}},
                            {{"Key", "aws:secretsmanager:owningService"}, {"Value", "rds"}}})}};
  std::string kms = db.doc.value("_SecretKms", "");
  if (!kms.empty()) req["KmsKeyId"] = kms;
  // AWS's own aws:… tags: Secrets Manager accepts them from cloudbox's internal calls only.
  Json out = core_.invoke(ctx, "secretsmanager", "CreateSecret", req);
  (void)r;
  Json mus = {{"SecretArn", out.value("ARN", "")},
              {"SecretStatus", "creating"},
              {"KmsKeyId", kms.empty() ? kms_key_arn(ctx.account_id, ctx.region) : kms}};
  db.doc["MasterUserSecret"] = mus;
  return mus;
}

void RdsService::put_secret_password(RequestContext& ctx, Rec& db, const std::string& password) {
  std::string arn = db.doc["MasterUserSecret"].value("SecretArn", "");
  Json value = {{"username", db.doc.value("MasterUsername", "")}, {"password", password}};
  core_.invoke(ctx, "secretsmanager", "PutSecretValue",
               {{"SecretId", arn}, {"SecretString", value.dump()}, {"ClientRequestToken", uuid4()}});
}

void RdsService::delete_managed_secret(RequestContext& ctx, Rec& db) {
  if (!db.doc.contains("MasterUserSecret")) return;
  std::string arn = db.doc["MasterUserSecret"].value("SecretArn", "");
  try {
    core_.invoke(ctx, "secretsmanager", "DeleteSecret", {{"SecretId", arn}, {"ForceDeleteWithoutRecovery", true}});
  } catch (const AwsError& e) {
    log::warn(std::string("RDS: deleting managed secret: ") + e.what());
  }
  db.doc.erase("MasterUserSecret");
}

CLOUDBOX_REGISTER_SERVICE(RdsService);

}  // namespace cloudbox::rds
