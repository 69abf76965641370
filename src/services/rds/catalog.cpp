// The RDS for PostgreSQL catalog (engine versions, orderable instance options, default parameter and option
// groups, CA certificates), events, tags, and DescribeDBClusters (no clusters here).
#include "services/rds/catalog.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <set>

#include "core/common/arn.h"
#include "core/common/encoding.h"
#include "core/core.h"
#include "services/rds/service.h"

namespace cloudbox::rds {

const std::vector<std::string>& postgres_versions() {
  static const std::vector<std::string> v = {"12.22", "13.15", "13.16", "13.18", "14.12", "14.13", "14.15",
                                             "15.7",  "15.8",  "15.10", "16.3",  "16.4",  "16.6",  "17.2"};
  return v;
}

std::string major_of(const std::string& version) { return version.substr(0, version.find('.')); }

std::string resolve_version(const std::string& asked) {
  const auto& v = postgres_versions();
  if (std::find(v.begin(), v.end(), asked) != v.end()) return asked;
  if (asked.find('.') == std::string::npos) {
    if (asked == major_of(kDefaultVersion)) return kDefaultVersion;
    std::string best;
    for (const auto& x : v)
      if (major_of(x) == asked) best = x;
    return best;
  }
  return {};
}

const std::vector<std::string>& instance_classes() {
  static const std::vector<std::string> c = {
      "db.t3.micro",  "db.t3.small",  "db.t3.medium",  "db.t3.large",   "db.t3.xlarge",  "db.t3.2xlarge",
      "db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large",  "db.t4g.xlarge", "db.t4g.2xlarge",
      "db.m5.large",  "db.m5.xlarge", "db.m5.2xlarge", "db.m6g.large",  "db.m6g.xlarge", "db.m6i.large",
      "db.m7g.large", "db.m7g.xlarge", "db.r5.large",  "db.r5.xlarge",  "db.r6g.large",  "db.r6g.xlarge",
      "db.r6i.large", "db.r7g.large"};
  return c;
}

bool known_class(const std::string& cls) {
  const auto& c = instance_classes();
  return std::find(c.begin(), c.end(), cls) != c.end();
}

const std::vector<std::string>& certificate_ids() {
  static const std::vector<std::string> c = {"rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"};
  return c;
}

namespace {

double asn1_epoch(const ASN1_TIME* t) {
  struct tm tmv{};
  if (!t || ASN1_TIME_to_tm(t, &tmv) != 1) return 0;
  return double(timegm(&tmv));
}

bool version_matches(const std::string& asked, const std::string& v) {
  return asked.empty() || asked == v || (asked.find('.') == std::string::npos && major_of(v) == asked);
}

Json engine_version(const std::string& v) {
  std::string major = major_of(v);
  Json targets = Json::array();
  for (const auto& t : postgres_versions()) {
    if (t == v) continue;
    int tm = std::stoi(major_of(t)), vm = std::stoi(major);
    bool later = tm > vm || (tm == vm && std::stoi(t.substr(t.find('.') + 1)) > std::stoi(v.substr(v.find('.') + 1)));
    if (!later) continue;
    targets.push_back({{"Engine", "postgres"},
                       {"EngineVersion", t},
                       {"Description", "PostgreSQL " + t + "-R1"},
                       {"AutoUpgrade", false},
                       {"IsMajorVersionUpgrade", tm != vm},
                       {"SupportedEngineModes", {"provisioned"}},
                       {"SupportsParallelQuery", false},
                       {"SupportsGlobalDatabases", false},
                       {"SupportsBabelfish", false},
                       {"SupportsLimitlessDatabase", false},
                       {"SupportsLocalWriteForwarding", false},
                       {"SupportsIntegrations", false}});
  }
  return {{"Engine", "postgres"},
          {"MajorEngineVersion", major},
          {"EngineVersion", v},
          {"DBParameterGroupFamily", "postgres" + major},
          {"DBEngineDescription", "PostgreSQL"},
          {"DBEngineVersionDescription", "PostgreSQL " + v + "-R1"},
          {"ValidUpgradeTarget", targets},
          {"ExportableLogTypes", {"postgresql", "upgrade"}},
          {"SupportsLogExportsToCloudwatchLogs", true},
          {"SupportsReadReplica", true},
          {"SupportedEngineModes", {"provisioned"}},
          {"SupportedFeatureNames", {"Lambda", "s3Export", "s3Import", "invokeModel"}},
          {"Status", "available"},
          {"SupportsParallelQuery", false},
          {"SupportsGlobalDatabases", false},
          {"SupportsBabelfish", false},
          {"SupportsLimitlessDatabase", false},
          {"SupportsCertificateRotationWithoutRestart", true},
          {"SupportedCACertificateIdentifiers", certificate_ids()},
          {"SupportsLocalWriteForwarding", false},
          {"SupportsIntegrations", false}};
}

}  // namespace

Json RdsService::describe_db_engine_versions(RequestContext& ctx, const Json& in) {
  (void)ctx;
  read_filters(in, {"engine", "engine-version", "engine-mode", "status", "db-parameter-group-family"});
  std::string engine = str(in, "Engine");
  std::string asked = str(in, "EngineVersion");
  std::string family = str(in, "DBParameterGroupFamily");
  auto filters = read_filters(in, {"engine", "engine-version", "engine-mode", "status", "db-parameter-group-family"});
  std::vector<std::pair<std::string, Json>> items;
  if (engine.empty() || engine == "postgres") {
    std::vector<std::string> chosen;
    for (const auto& v : postgres_versions())
      if (version_matches(asked, v) && (family.empty() || family == "postgres" + major_of(v))) chosen.push_back(v);
    if (flag(in, "DefaultOnly") && !chosen.empty()) {
      std::string pick = chosen.back();
      for (const auto& v : chosen)
        if (v == kDefaultVersion) pick = v;
      chosen = {pick};
    }
    size_t n = 0;
    for (const auto& v : chosen) {
      Json e = engine_version(v);
      bool ok = true;
      for (const auto& f : filters) {
        if (f.name == "engine") ok = ok && any_of(f.values, "postgres");
        else if (f.name == "engine-version") ok = ok && any_of(f.values, v);
        else if (f.name == "engine-mode") ok = ok && any_of(f.values, "provisioned");
        else if (f.name == "status") ok = ok && any_of(f.values, "available");
        else if (f.name == "db-parameter-group-family") ok = ok && any_of(f.values, "postgres" + major_of(v));
      }
      char key[16];
      std::snprintf(key, sizeof key, "%06zu", n++);
      if (ok) items.emplace_back(key, std::move(e));
    }
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DBEngineVersions", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::describe_orderable_options(RequestContext& ctx, const Json& in) {
  auto filters = read_filters(in, {});
  std::string engine = str(in, "Engine");
  std::string asked = str(in, "EngineVersion");
  std::string cls = str(in, "DBInstanceClass");
  std::vector<std::pair<std::string, Json>> items;
  if (engine == "postgres" && (!has(in, "Vpc") || flag(in, "Vpc"))) {
    Json zones = Json::array();
    try {
      for (const auto& z : core_.invoke(ctx, "ec2", "DescribeAvailabilityZones", Json::object())
                               .value("AvailabilityZones", Json::array()))
        zones.push_back({{"Name", z.value("ZoneName", "")}});
    } catch (const AwsError&) {
    }
    size_t n = 0;
    for (const auto& v : postgres_versions()) {
      if (!version_matches(asked, v)) continue;
      for (const auto& c : instance_classes()) {
        if (!cls.empty() && cls != c) continue;
        for (const std::string st : {"gp2", "gp3", "io1", "io2", "standard"}) {
          bool iops = st == "io1" || st == "io2" || st == "gp3";
          Json o = {{"Engine", "postgres"},
                    {"EngineVersion", v},
                    {"DBInstanceClass", c},
                    {"LicenseModel", "postgresql-license"},
                    {"AvailabilityZoneGroup", ctx.region},
                    {"AvailabilityZones", zones},
                    {"MultiAZCapable", true},
                    {"ReadReplicaCapable", true},
                    {"Vpc", true},
                    {"SupportsStorageEncryption", true},
                    {"StorageType", st},
                    {"SupportsIops", iops},
                    {"SupportsStorageThroughput", st == "gp3"},
                    {"SupportsEnhancedMonitoring", true},
                    {"SupportsIAMDatabaseAuthentication", true},
                    {"SupportsPerformanceInsights", true},
                    {"MinStorageSize", st == "standard" ? 5 : (st == "io1" || st == "io2") ? 100 : 20},
                    {"MaxStorageSize", st == "standard" ? 3072 : 65536},
                    {"SupportedEngineModes", {"provisioned"}},
                    {"SupportsStorageAutoscaling", true},
                    {"SupportsKerberosAuthentication", true},
                    {"OutpostCapable", false},
                    {"SupportedNetworkTypes", {"IPV4", "DUAL"}},
                    {"SupportsGlobalDatabases", false},
                    {"SupportsClusters", false},
                    {"SupportsDedicatedLogVolume", false}};
          if (iops) {
            o["MinIopsPerDbInstance"] = st == "gp3" ? 3000 : 1000;
            o["MaxIopsPerDbInstance"] = st == "io2" ? 256000 : 64000;
          }
          char key[16];
          std::snprintf(key, sizeof key, "%08zu", n++);
          items.emplace_back(key, std::move(o));
        }
      }
    }
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"OrderableDBInstanceOptions", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::describe_db_parameter_groups(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  read_filters(in, {});
  std::vector<std::pair<std::string, Json>> items;
  std::set<std::string> majors;
  for (const auto& v : postgres_versions()) majors.insert(major_of(v));
  std::string want = lower(str(in, "DBParameterGroupName"));
  for (const auto& m : majors) {
    std::string name = "default.postgres" + m;
    if (!want.empty() && want != name) continue;
    items.emplace_back(name, Json{{"DBParameterGroupName", name},
                                  {"DBParameterGroupFamily", "postgres" + m},
                                  {"Description", "Default parameter group for postgres" + m},
                                  {"DBParameterGroupArn", rds_arn(r, "pg", name)}});
  }
  if (!want.empty() && items.empty())
    throw AwsError("DBParameterGroupNotFoundFault", "DBParameterGroup not found: " + str(in, "DBParameterGroupName"));
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DBParameterGroups", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::describe_option_groups(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  read_filters(in, {});
  std::set<std::string> majors;
  for (const auto& v : postgres_versions()) majors.insert(major_of(v));
  std::string want = lower(str(in, "OptionGroupName"));
  std::string engine = str(in, "EngineName");
  std::string major_want = str(in, "MajorEngineVersion");
  std::vector<std::pair<std::string, Json>> items;
  for (const auto& m : majors) {
    std::string name = "default:postgres-" + m;
    if (!want.empty() && want != name) continue;
    if (!engine.empty() && engine != "postgres") continue;
    if (!major_want.empty() && major_want != m) continue;
    items.emplace_back(name, Json{{"OptionGroupName", name},
                                  {"OptionGroupDescription", "Default option group for postgres " + m},
                                  {"EngineName", "postgres"},
                                  {"MajorEngineVersion", m},
                                  {"Options", Json::array()},
                                  {"AllowsVpcAndNonVpcInstanceMemberships", true},
                                  {"OptionGroupArn", rds_arn(r, "og", name)}});
  }
  if (!want.empty() && items.empty())
    throw AwsError("OptionGroupNotFoundFault", "Specified OptionGroupName: " + str(in, "OptionGroupName") + " not found.");
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"OptionGroupsList", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::describe_certificates(RequestContext& ctx, const Json& in) {
  read_filters(in, {});
  std::string want = str(in, "CertificateIdentifier");
  if (!want.empty()) {
    const auto& ids = certificate_ids();
    if (std::find(ids.begin(), ids.end(), want) == ids.end())
      throw AwsError("CertificateNotFoundFault", "Certificate " + want + " not found.");
  }
  std::vector<std::pair<std::string, Json>> items;
  auto arn = [&](const std::string& id) { return "arn:aws:rds:" + ctx.region + "::cert:" + id; };
  if (want.empty() || want == kDefaultCertificate) {
    // The local CA that signs every server's certificate.
    std::string pem = dp_->ca_pem();
    Json c = {{"CertificateIdentifier", kDefaultCertificate},
              {"CertificateType", "CA"},
              {"CertificateArn", arn(kDefaultCertificate)},
              {"CustomerOverride", false}};
    BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
    X509* x = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
    if (x) {
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      X509_digest(x, EVP_sha1(), md, &len);
      c["Thumbprint"] = hex_encode(std::string(reinterpret_cast<char*>(md), len));
      c["ValidFrom"] = asn1_epoch(X509_get0_notBefore(x));
      c["ValidTill"] = asn1_epoch(X509_get0_notAfter(x));
      X509_free(x);
    }
    if (bio) BIO_free(bio);
    items.emplace_back("0", std::move(c));
  }
  // The other CAs RDS offers (not used by cloudbox's servers).
  if (want.empty() || want == "rds-ca-rsa4096-g1")
    items.emplace_back("1", Json{{"CertificateIdentifier", "rds-ca-rsa4096-g1"},
                                 {"CertificateType", "CA"},
                                 {"Thumbprint", "9da5d2f5c8d2e6f0a4b1e7c3d8f2a6b0c4e8d2f6"},
                                 {"ValidFrom", 1621635827.0},
                                 {"ValidTill", 4777313027.0},
                                 {"CertificateArn", arn("rds-ca-rsa4096-g1")},
                                 {"CustomerOverride", false}});
  if (want.empty() || want == "rds-ca-ecc384-g1")
    items.emplace_back("2", Json{{"CertificateIdentifier", "rds-ca-ecc384-g1"},
                                 {"CertificateType", "CA"},
                                 {"Thumbprint", "3f8c2b6e1a9d4c7f0e5b8a2d6c1f4e9b7a3d0c5e"},
                                 {"ValidFrom", 1621635434.0},
                                 {"ValidTill", 4777312634.0},
                                 {"CertificateArn", arn("rds-ca-ecc384-g1")},
                                 {"CustomerOverride", false}});
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DefaultCertificateForNewLaunches", kDefaultCertificate}, {"Certificates", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::describe_events(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  read_filters(in, {});
  double now = epoch(ctx);
  double end = has(in, "EndTime") ? in["EndTime"].get<double>() : now;
  double start = has(in, "StartTime") ? in["StartTime"].get<double>()
                                      : end - 60.0 * (has(in, "Duration") ? in["Duration"].get<int>() : 60);
  std::string source = str(in, "SourceIdentifier");
  std::string type = str(in, "SourceType");
  if (!source.empty() && type.empty())
    throw AwsError("InvalidParameterCombination", "Cannot specify source identifier without source type", 400);
  std::vector<std::string> cats = strings(in, "EventCategories");
  std::vector<std::pair<std::string, Json>> items;
  size_t n = 0;
  for (const auto& e : r.events) {
    ++n;
    double d = e.value("Date", 0.0);
    if (d < start || d > end) continue;
    if (!type.empty() && e.value("SourceType", "") != type) continue;
    if (!source.empty() && e.value("SourceIdentifier", "") != source) continue;
    if (!cats.empty()) {
      bool hit = false;
      for (const auto& c : e["EventCategories"]) hit = hit || any_of(cats, c.get<std::string>());
      if (!hit) continue;
    }
    char key[24];
    std::snprintf(key, sizeof key, "%012zu", n);
    items.emplace_back(key, e);
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"Events", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

namespace {

// The record an RDS ARN names in the caller's account and region; nullptr for default groups (no tags).
Rec* tagged(RdsService& svc, RequestContext& ctx, const std::string& arn_text, const char** kind_out) {
  auto arn = Arn::parse(arn_text);
  if (!arn || arn->service != "rds")
    throw AwsError("InvalidParameterValue", "The specified resource name " + arn_text + " is not a valid ARN.", 400);
  auto colon = arn->resource.find(':');
  std::string type = arn->resource.substr(0, colon);
  std::string name = colon == std::string::npos ? "" : arn->resource.substr(colon + 1);
  RegionState& r = svc.region(ctx);
  bool here = arn->account == ctx.account_id && arn->region == ctx.region;
  if (type == "db") {
    *kind_out = "db";
    auto it = r.instances.find(lower(name));
    if (!here || it == r.instances.end()) throw AwsError("DBInstanceNotFoundFault", "DBInstance " + name + " not found.");
    return &it->second;
  }
  if (type == "subgrp") {
    *kind_out = "subgrp";
    auto it = r.subnet_groups.find(lower(name));
    if (!here || it == r.subnet_groups.end())
      throw AwsError("DBSubnetGroupNotFoundFault", "DBSubnetGroup '" + name + "' not found.");
    return &it->second;
  }
  if (type == "snapshot") {
    *kind_out = "snap";
    auto it = r.snapshots.find(name);
    if (!here || it == r.snapshots.end()) throw AwsError("DBSnapshotNotFoundFault", "DBSnapshot " + name + " not found.");
    return &it->second;
  }
  if (type == "pg" || type == "og") return nullptr;
  throw AwsError("InvalidParameterValue", "The specified resource name " + arn_text + " is not a valid ARN.", 400);
}

}  // namespace

Json RdsService::list_tags(RequestContext& ctx, const Json& in) {
  const char* kind = "";
  Rec* rec = tagged(*this, ctx, str(in, "ResourceName"), &kind);
  return {{"TagList", rec ? tag_list_json(rec->tags) : Json::array()}};
}

Json RdsService::add_tags(RequestContext& ctx, const Json& in) {
  const char* kind = "";
  Rec* rec = tagged(*this, ctx, str(in, "ResourceName"), &kind);
  if (!rec) throw AwsError("InvalidParameterValue", "Default groups cannot be tagged.", 400);
  TagMap more = read_tags(in, rec->tags);
  for (auto& [k, v] : more) rec->tags[k] = v;
  save(region(ctx), kind, *rec);
  return Json::object();
}

Json RdsService::remove_tags(RequestContext& ctx, const Json& in) {
  const char* kind = "";
  Rec* rec = tagged(*this, ctx, str(in, "ResourceName"), &kind);
  if (!rec) return Json::object();
  for (const auto& k : strings(in, "TagKeys")) rec->tags.erase(k);
  save(region(ctx), kind, *rec);
  return Json::object();
}

Json RdsService::describe_db_clusters(RequestContext& ctx, const Json& in) {
  (void)ctx;
  if (has(in, "DBClusterIdentifier"))
    throw AwsError("DBClusterNotFoundFault", "DBCluster " + str(in, "DBClusterIdentifier") + " not found.");
  return {{"DBClusters", Json::array()}};
}

}  // namespace cloudbox::rds
