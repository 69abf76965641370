// DB instances: create (and restore), describe with filters and Marker paging, modify (immediately or as
// pending modifications), reboot, stop, start, delete. Each instance is a real PostgreSQL server run by the
// data plane; the status moves on in RdsService::advance once the server has really done what was asked.
#include <set>

#include "core/common/ids.h"
#include "core/core.h"
#include "services/rds/catalog.h"
#include "services/rds/service.h"

namespace cloudbox::rds {

namespace {

// Only the default parameter group of each family exists. One of another family is a wrong combination, as
// AWS says; any other name is not found.
void check_parameter_group(const std::string& name, const std::string& major) {
  std::string l = lower(name);
  if (l == "default.postgres" + major) return;
  const std::string prefix = "default.postgres";
  if (l.rfind(prefix, 0) == 0 && l.size() > prefix.size() &&
      l.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
    throw AwsError("InvalidParameterCombination",
                   "The parameter group " + name + " with DBParameterGroupFamily " + l.substr(8) +
                       " can't be used for this instance. Use a parameter group with DBParameterGroupFamily postgres" +
                       major + ".",
                   400);
  throw AwsError("DBParameterGroupNotFoundFault", "DBParameterGroup not found: " + name);
}


[[noreturn]] void bad(const std::string& message) { throw AwsError("InvalidParameterValue", message, 400); }
[[noreturn]] void bad_combination(const std::string& message) {
  throw AwsError("InvalidParameterCombination", message, 400);
}

void check_password(const std::string& pw) {
  for (char c : pw) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '/' || c == '@' || c == '"')
      bad("The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', "
          "'@', '\"', ' ' may be used.");
  }
  if (pw.size() < 8) bad("The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.");
  if (pw.size() > 128) bad("The parameter MasterUserPassword is not a valid password because it is longer than 128 characters.");
}

void check_master_username(const std::string& user) {
  if (user.empty()) bad("The parameter MasterUsername must be provided and must not be blank.");
  bool ok = user.size() <= 63 && std::isalpha(static_cast<unsigned char>(user[0]));
  for (char c : user) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok)
    bad("The parameter MasterUsername is not a valid identifier. Identifiers must begin with a letter; must contain "
        "only ASCII letters, digits, and underscores; and must be 1 to 63 characters long.");
  static const std::set<std::string> reserved = {"rdsadmin", "rdsrepladmin", "rds_superuser", "rds_replication",
                                                 "public", "user", "select", "table", "all", "none",
                                                 "current_user", "session_user", "authorization"};
  std::string l = lower(user);
  if (reserved.count(l) || l.rfind("pg_", 0) == 0 || l.rfind("rds_", 0) == 0)
    bad("MasterUsername " + user + " cannot be used as it is a reserved word used by the engine");
}

void check_db_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 63 && std::isalpha(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok)
    bad("The parameter DBName is not a valid identifier. Identifiers must begin with a letter; must contain only "
        "ASCII letters, digits, and underscores; and must be 1 to 63 characters long.");
  static const std::set<std::string> reserved = {"template0", "template1", "rdsadmin", "user", "select", "table"};
  if (reserved.count(lower(name))) bad("DatabaseName " + name + " cannot be used as it is a reserved word used by the engine");
}

void check_storage(const std::string& type, int size) {
  static const std::set<std::string> types = {"standard", "gp2", "gp3", "io1", "io2"};
  if (!types.count(type)) bad("Invalid storage type: " + type);
  int min = type == "standard" ? 5 : (type == "io1" || type == "io2") ? 100 : 20;
  int max = type == "standard" ? 3072 : 65536;
  if (size < min || size > max)
    bad("Invalid storage size for engine name postgres and storage type " + type + ": " + std::to_string(size));
}

bool window_ok(const std::string& w, bool with_day) {
  // hh24:mi-hh24:mi, or ddd:hh24:mi-ddd:hh24:mi
  static const std::set<std::string> days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  auto dash = w.find('-');
  if (dash == std::string::npos) return false;
  auto part_ok = [&](std::string p) {
    if (with_day) {
      if (p.size() < 4 || !days.count(lower(p.substr(0, 3))) || p[3] != ':') return false;
      p = p.substr(4);
    }
    if (p.size() != 5 || p[2] != ':') return false;
    if (!std::isdigit(static_cast<unsigned char>(p[0])) || !std::isdigit(static_cast<unsigned char>(p[1])) ||
        !std::isdigit(static_cast<unsigned char>(p[3])) || !std::isdigit(static_cast<unsigned char>(p[4])))
      return false;
    return std::stoi(p.substr(0, 2)) < 24 && std::stoi(p.substr(3, 2)) < 60;
  };
  return part_ok(w.substr(0, dash)) && part_ok(w.substr(dash + 1));
}

std::string hosted_zone(const std::string& region) {
  if (region == "us-east-1") return "Z2R2ITUGPM61AM";
  if (region == "us-west-2") return "Z1PVIF0B656C1W";
  if (region == "eu-west-1") return "Z29XKXDKYMONMX";
  if (region == "us-east-2") return "ZTK26PT1VY4CU";
  return "Z2R2ITUGPM61AM";
}

std::string default_backup_window(const std::string& id) {
  unsigned h = 0;
  for (char c : id) h = h * 31 + static_cast<unsigned char>(c);
  int start = int(h % (24 * 60 - 31));
  int end = start + 30;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60);
  return buf;
}

std::string default_maintenance_window(const std::string& id, const std::string& backup) {
  static const char* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  unsigned h = 7;
  for (char c : id) h = h * 17 + static_cast<unsigned char>(c);
  // Not overlapping the backup window: twelve hours after it.
  int bstart = std::stoi(backup.substr(0, 2)) * 60 + std::stoi(backup.substr(3, 2));
  int start = (bstart + 12 * 60) % (24 * 60);
  if (start > 24 * 60 - 31) start = 0;
  int end = start + 30;
  const char* d = days[h % 7];
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s:%02d:%02d-%s:%02d:%02d", d, start / 60, start % 60, d, end / 60, end % 60);
  return buf;
}

Json pending_obj(const Rec& db) {
  return db.doc.contains("PendingModifiedValues") && db.doc["PendingModifiedValues"].is_object()
             ? db.doc["PendingModifiedValues"]
             : Json::object();
}

}  // namespace

Json RdsService::security_groups_for(RequestContext& ctx, const std::string& vpc_id,
                                     const std::vector<std::string>& ids) {
  Json groups;
  if (ids.empty()) {
    groups = core_.invoke(ctx, "ec2", "DescribeSecurityGroups",
                          {{"Filters", Json::array({{{"Name", "vpc-id"}, {"Values", {vpc_id}}},
                                                    {{"Name", "group-name"}, {"Values", {"default"}}}})}})
                 .value("SecurityGroups", Json::array());
  } else {
    try {
      groups = core_.invoke(ctx, "ec2", "DescribeSecurityGroups", {{"GroupIds", ids}})
                   .value("SecurityGroups", Json::array());
    } catch (const AwsError& e) {
      bad(std::string("Invalid security group: ") + e.what());
    }
  }
  Json out = Json::array();
  for (const auto& g : groups) {
    std::string gvpc = g.value("VpcId", "");
    if (gvpc != vpc_id)
      bad_combination("The DB instance and EC2 security group are in different VPCs. The DB instance is in " + vpc_id +
                      " and the EC2 security group is in " + gvpc);
    out.push_back({{"VpcSecurityGroupId", g.value("GroupId", "")}, {"Status", "active"}});
  }
  return out;
}

namespace {

// Everything CreateDBInstance and RestoreDBInstanceFromDBSnapshot share.
struct CreatePlan {
  const Rec* snapshot = nullptr;
  std::string restore_file;
};

}  // namespace

// Builds, validates and starts a new instance. `snap` is set for restores.
static Json create_instance(RdsService& svc, Core& core, RequestContext& ctx, const Json& in, const Rec* snap) {
  RegionState& r = svc.region(ctx);
  std::string id_in = str(in, "DBInstanceIdentifier");
  check_identifier("DBInstanceIdentifier", id_in);
  std::string id = lower(id_in);
  if (r.instances.count(id)) throw AwsError("DBInstanceAlreadyExistsFault", "DB instance already exists");

  std::string engine = lower(str(in, "Engine", snap ? "postgres" : ""));
  static const std::set<std::string> engines = {"aurora-mysql", "aurora-postgresql", "custom-oracle-ee",
                                                "custom-sqlserver-ee", "db2-ae", "db2-se", "mariadb", "mysql",
                                                "oracle-ee", "oracle-se2", "postgres", "sqlserver-ee",
                                                "sqlserver-se", "sqlserver-ex", "sqlserver-web"};
  if (!engines.count(engine)) bad("Invalid DB engine: " + str(in, "Engine"));
  if (engine != "postgres")
    bad("cloudbox's RDS runs PostgreSQL only: engine " + engine + " is not available here (use engine postgres).");
  if (has(in, "DBClusterIdentifier"))
    throw AwsError("DBClusterNotFoundFault", "DBCluster " + str(in, "DBClusterIdentifier") + " not found.");

  std::string version = snap ? snap->doc.value("EngineVersion", kDefaultVersion) : kDefaultVersion;
  if (has(in, "EngineVersion") && !snap) {
    version = resolve_version(str(in, "EngineVersion"));
    if (version.empty()) bad_combination("Cannot find version " + str(in, "EngineVersion") + " for postgres");
  }
  std::string cls = str(in, "DBInstanceClass", snap ? snap->doc.value("_Class", "db.t3.micro") : "");
  if (cls.empty()) bad("The parameter DBInstanceClass must be provided and must not be blank.");
  if (!known_class(cls))
    bad_combination("RDS does not support creating a DB instance with the following combination: DBInstanceClass=" +
                    cls + ", Engine=postgres, EngineVersion=" + version +
                    ", LicenseModel=postgresql-license. For supported combinations of instance class and database "
                    "engine version, see the documentation.");
  std::string storage_type = str(in, "StorageType", snap ? snap->doc.value("StorageType", "gp2") : "gp2");
  if (!has(in, "AllocatedStorage") && !snap)
    bad("The parameter AllocatedStorage must be provided and must not be null.");
  int storage = has(in, "AllocatedStorage") ? in["AllocatedStorage"].get<int>() : snap->doc.value("AllocatedStorage", 20);
  check_storage(storage_type, storage);

  std::string user = snap ? snap->doc.value("MasterUsername", "") : str(in, "MasterUsername");
  if (!snap) check_master_username(user);
  bool managed = flag(in, "ManageMasterUserPassword");
  std::string password;
  if (!snap) {
    if (managed && has(in, "MasterUserPassword"))
      bad_combination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.");
    if (!managed) {
      if (!has(in, "MasterUserPassword") || str(in, "MasterUserPassword").empty())
        bad("The parameter MasterUserPassword must be provided and must not be blank.");
      password = str(in, "MasterUserPassword");
      check_password(password);
    }
  } else {
    password = snap->doc.value("_Password", "");
  }
  if (!managed && has(in, "MasterUserSecretKmsKeyId"))
    bad_combination("You can't specify MasterUserSecretKmsKeyId unless ManageMasterUserPassword is turned on.");

  std::string db_name = snap ? snap->doc.value("_DBName", "") : str(in, "DBName");
  if (!snap && !db_name.empty()) check_db_name(db_name);
  int port = has(in, "Port") ? in["Port"].get<int>() : 5432;
  if (port < 1150 || port > 65535) bad("Invalid port: " + std::to_string(port) + ". Valid values are 1150-65535.");
  int retention = has(in, "BackupRetentionPeriod") ? in["BackupRetentionPeriod"].get<int>() : 1;
  if (retention < 0 || retention > 35) bad("Invalid backup retention period " + std::to_string(retention) + ". Valid values are 0-35.");
  std::string backup_window = str(in, "PreferredBackupWindow", default_backup_window(id));
  if (!window_ok(backup_window, false))
    bad("The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi.");
  std::string maint_window = lower(str(in, "PreferredMaintenanceWindow", default_maintenance_window(id, backup_window)));
  if (!window_ok(maint_window, true))
    bad("The parameter PreferredMaintenanceWindow must be in the format ddd:hh24:mi-ddd:hh24:mi.");
  bool multi_az = flag(in, "MultiAZ");
  if (multi_az && has(in, "AvailabilityZone"))
    bad("Requesting a specific availability zone is not valid for Multi-AZ instances.");

  std::string major = major_of(version);
  std::string pg_name = str(in, "DBParameterGroupName", "default.postgres" + major);
  check_parameter_group(pg_name, major);
  std::string og_name = str(in, "OptionGroupName", "default:postgres-" + major);
  if (lower(og_name) != "default:postgres-" + major)
    throw AwsError("OptionGroupNotFoundFault", "Specified OptionGroupName: " + og_name + " not found.");
  std::string ca = str(in, "CACertificateIdentifier", kDefaultCertificate);
  {
    const auto& ids = certificate_ids();
    if (std::find(ids.begin(), ids.end(), ca) == ids.end())
      throw AwsError("CertificateNotFoundFault", "Certificate not found: " + ca);
  }

  TagMap tags = read_tags(in);
  if (snap && tags.empty() && flag(in, "CopyTagsToSnapshot")) tags = snap->tags;

  Rec& group = svc.subnet_group_for(ctx, r, str(in, "DBSubnetGroupName"));
  std::string vpc = group.doc.value("VpcId", "");
  std::vector<std::string> azs;
  for (const auto& s : group.doc["Subnets"]) {
    std::string az = s["SubnetAvailabilityZone"].value("Name", "");
    if (std::find(azs.begin(), azs.end(), az) == azs.end()) azs.push_back(az);
  }
  if (azs.empty()) bad("The DB subnet group has no subnets.");
  std::string az = str(in, "AvailabilityZone", azs[random_below(azs.size())]);
  if (std::find(azs.begin(), azs.end(), az) == azs.end())
    bad_combination("No subnets found for the DB subnet group in availability zone " + az + ".");
  if (multi_az && azs.size() < 2)
    throw AwsError("DBSubnetGroupDoesNotCoverEnoughAZs",
                   "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Add subnets to "
                   "cover at least 2 AZs.");
  Json sgs = svc.security_groups_for(ctx, vpc, strings(in, "VpcSecurityGroupIds"));

  // AWS's default: public when the VPC has an internet gateway attached, private otherwise.
  bool public_by_default = false;
  if (!has(in, "PubliclyAccessible")) {
    try {
      public_by_default =
          !core.invoke(ctx, "ec2", "DescribeInternetGateways",
                       {{"Filters", Json::array({{{"Name", "attachment.vpc-id"}, {"Values", {vpc}}}})}})
               .value("InternetGateways", Json::array())
               .empty();
    } catch (const AwsError&) {
    }
  }

  std::string reason = svc.dp().unavailable_reason();
  if (!reason.empty()) throw AwsError("InsufficientDBInstanceCapacityFault", reason);

  double now = epoch(ctx);
  Rec rec;
  rec.id = id;
  rec.tags = std::move(tags);
  std::string arn = rds_arn(r, "db", id);
  std::string resource_id = "db-" + random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 26);
  Json subnet_group = group.doc;
  subnet_group.erase("DBSubnetGroupArn");
  subnet_group.erase("SupportedNetworkTypes");
  bool encrypted = flag(in, "StorageEncrypted", snap ? snap->doc.value("Encrypted", false) : false);
  Json d = {
      {"DBInstanceIdentifier", id},
      {"DBInstanceClass", cls},
      {"Engine", "postgres"},
      {"DBInstanceStatus", "creating"},
      {"MasterUsername", user},
      {"Endpoint",
       {{"Address", RdsService::endpoint_address(r.account, r.region, id)},
        {"Port", port},
        {"HostedZoneId", hosted_zone(r.region)}}},
      {"AllocatedStorage", storage},
      {"InstanceCreateTime", now},
      {"PreferredBackupWindow", backup_window},
      {"BackupRetentionPeriod", retention},
      {"DBSecurityGroups", Json::array()},
      {"VpcSecurityGroups", sgs},
      {"DBParameterGroups", Json::array({{{"DBParameterGroupName", lower(pg_name)}, {"ParameterApplyStatus", "in-sync"}}})},
      {"AvailabilityZone", az},
      {"DBSubnetGroup", subnet_group},
      {"PreferredMaintenanceWindow", maint_window},
      {"PendingModifiedValues", Json::object()},
      {"MultiAZ", multi_az},
      {"EngineVersion", version},
      {"AutoMinorVersionUpgrade", flag(in, "AutoMinorVersionUpgrade", true)},
      {"ReadReplicaDBInstanceIdentifiers", Json::array()},
      {"LicenseModel", "postgresql-license"},
      {"OptionGroupMemberships", Json::array({{{"OptionGroupName", lower(og_name)}, {"Status", "in-sync"}}})},
      {"PubliclyAccessible", has(in, "PubliclyAccessible") ? flag(in, "PubliclyAccessible") : public_by_default},
      {"StorageType", storage_type},
      {"DbInstancePort", 0},
      {"StorageEncrypted", encrypted},
      {"DbiResourceId", resource_id},
      {"CACertificateIdentifier", ca},
      {"DomainMemberships", Json::array()},
      {"CopyTagsToSnapshot", flag(in, "CopyTagsToSnapshot")},
      {"MonitoringInterval", has(in, "MonitoringInterval") ? in["MonitoringInterval"].get<int>() : 0},
      {"DBInstanceArn", arn},
      {"IAMDatabaseAuthenticationEnabled", flag(in, "EnableIAMDatabaseAuthentication")},
      {"PerformanceInsightsEnabled", flag(in, "EnablePerformanceInsights")},
      {"DeletionProtection", flag(in, "DeletionProtection")},
      {"AssociatedRoles", Json::array()},
      {"CustomerOwnedIpEnabled", false},
      {"BackupTarget", "region"},
      {"NetworkType", "IPV4"},
      {"CertificateDetails", {{"CAIdentifier", ca}, {"ValidTill", now + 395 * 86400.0}}},
      {"DedicatedLogVolume", false},
      {"IsStorageConfigUpgradeAvailable", false},
      {"EngineLifecycleSupport", str(in, "EngineLifecycleSupport", "open-source-rds-extended-support")},
      {"_Port", port},
      {"_Since", now},
  };
  if (!db_name.empty()) d["DBName"] = db_name;
  if (multi_az) {
    for (const auto& a : azs)
      if (a != az) {
        d["SecondaryAvailabilityZone"] = a;
        break;
      }
  }
  if (storage_type == "gp3") {
    d["Iops"] = has(in, "Iops") ? in["Iops"].get<int>() : 3000;
    d["StorageThroughput"] = has(in, "StorageThroughput") ? in["StorageThroughput"].get<int>() : 125;
  } else if (has(in, "Iops")) {
    d["Iops"] = in["Iops"];
  }
  if (has(in, "MaxAllocatedStorage")) d["MaxAllocatedStorage"] = in["MaxAllocatedStorage"];
  if (encrypted)
    d["KmsKeyId"] = str(in, "KmsKeyId", RdsService::kms_key_arn(r.account, r.region));
  if (has(in, "EnableCloudwatchLogsExports")) d["EnabledCloudwatchLogsExports"] = in["EnableCloudwatchLogsExports"];
  if (!managed && !snap) d["PendingModifiedValues"] = {{"MasterUserPassword", "****"}};
  if (managed) {
    password = svc.new_password();
    d["_SecretKms"] = str(in, "MasterUserSecretKmsKeyId");
  }
  d["_Password"] = password;
  rec.doc = std::move(d);
  Rec& stored = r.instances[id] = std::move(rec);
  if (managed) {
    try {
      svc.create_managed_secret(ctx, r, stored, password);
    } catch (...) {
      r.instances.erase(id);
      throw;
    }
  }
  stored.doc.erase("_SecretKms");
  PgSpec spec = svc.spec_of(r, stored);
  if (snap) spec.restore_from = snap->doc.value("_File", "");
  svc.save(r, "db", stored);
  svc.dp().create(spec);
  return {{"DBInstance", svc.render_instance(r, stored)}};
}

Json RdsService::create_db_instance(RequestContext& ctx, const Json& in) {
  return create_instance(*this, core_, ctx, in, nullptr);
}

Json RdsService::restore_from_snapshot(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string snap_id = str(in, "DBSnapshotIdentifier");
  auto it = r.snapshots.find(snap_id);
  if (it == r.snapshots.end()) {
    // ARNs name snapshots too.
    for (auto& [sid, s] : r.snapshots)
      if (s.doc.value("DBSnapshotArn", "") == snap_id) it = r.snapshots.find(sid);
  }
  if (it == r.snapshots.end()) throw AwsError("DBSnapshotNotFoundFault", "DBSnapshot " + snap_id + " not found.");
  if (it->second.doc.value("Status", "") != "available")
    throw AwsError("InvalidDBSnapshotStateFault", "Snapshot " + snap_id + " is not in available state.");
  return create_instance(*this, core_, ctx, in, &it->second);
}

Json RdsService::describe_db_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto filters = read_filters(in, {"db-cluster-id", "db-instance-id", "dbi-resource-id", "domain", "engine"});
  std::vector<std::pair<std::string, Json>> items;
  auto keep = [&](const Rec& db) {
    for (const auto& f : filters) {
      if (f.name == "db-instance-id") {
        if (!any_of(f.values, db.id) && !any_of(f.values, db.doc.value("DBInstanceArn", ""))) return false;
      } else if (f.name == "dbi-resource-id") {
        if (!any_of(f.values, db.doc.value("DbiResourceId", ""))) return false;
      } else if (f.name == "engine") {
        if (!any_of(f.values, db.doc.value("Engine", ""))) return false;
      } else if (f.name == "db-cluster-id" || f.name == "domain") {
        return false;  // no clusters or domains here
      }
    }
    return true;
  };
  if (has(in, "DBInstanceIdentifier")) {
    std::string want = str(in, "DBInstanceIdentifier");
    Rec* found = nullptr;
    auto it = r.instances.find(lower(want));
    if (it != r.instances.end()) found = &it->second;
    else
      for (auto& [id, db] : r.instances)
        if (db.doc.value("DBInstanceArn", "") == want) found = &db;
    if (!found) throw AwsError("DBInstanceNotFoundFault", "DBInstance " + want + " not found.");
    if (keep(*found)) items.emplace_back(found->id, render_instance(r, *found));
  } else {
    for (const auto& [id, db] : r.instances)
      if (keep(db)) items.emplace_back(id, render_instance(r, db));
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DBInstances", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::modify_db_instance(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Rec* dbp = &instance(r, str(in, "DBInstanceIdentifier"));
  std::string status = dbp->doc.value("DBInstanceStatus", "");
  if (status != "available")
    throw AwsError("InvalidDBInstanceStateFault", "Database instance is not in available state.");
  bool now_apply = flag(in, "ApplyImmediately");
  Json pending = pending_obj(*dbp);
  Json immediate = Json::object();  // what changes at once (with ApplyImmediately, pending ones join it)
  bool restart = false, password_changed = false;
  std::string new_password;

  // Validate everything before changing anything.
  bool managed_now = dbp->doc.contains("MasterUserSecret");
  std::optional<bool> manage;
  if (has(in, "ManageMasterUserPassword")) manage = flag(in, "ManageMasterUserPassword");
  bool rotate = flag(in, "RotateMasterUserPassword");
  if (has(in, "MasterUserPassword")) {
    if (managed_now && manage != false)
      bad_combination("You can't specify MasterUserPassword for an instance with ManageMasterUserPassword turned on.");
    if (manage == true)
      bad_combination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.");
    check_password(str(in, "MasterUserPassword"));
  }
  if (manage == false && managed_now && !has(in, "MasterUserPassword"))
    bad_combination("You must specify MasterUserPassword when you turn off ManageMasterUserPassword.");
  if (rotate) {
    if (!(managed_now && manage != false))
      bad_combination("You can't rotate the master user password because ManageMasterUserPassword isn't turned on.");
    if (!now_apply) bad_combination("You must specify ApplyImmediately when rotating the master user password.");
  }
  if (has(in, "DBInstanceClass") && !known_class(str(in, "DBInstanceClass")))
    bad_combination("RDS does not support creating a DB instance with the following combination: DBInstanceClass=" +
                    str(in, "DBInstanceClass") + ", Engine=postgres, EngineVersion=" +
                    dbp->doc.value("EngineVersion", "") + ", LicenseModel=postgresql-license.");
  if (has(in, "AllocatedStorage") || has(in, "StorageType")) {
    int size = has(in, "AllocatedStorage") ? in["AllocatedStorage"].get<int>() : dbp->doc.value("AllocatedStorage", 20);
    std::string type = str(in, "StorageType", dbp->doc.value("StorageType", "gp2"));
    check_storage(type, size);
    if (size < dbp->doc.value("AllocatedStorage", 0))
      bad("Invalid storage size for engine name postgres and storage type " + type + ": " + std::to_string(size));
  }
  if (has(in, "BackupRetentionPeriod")) {
    int n = in["BackupRetentionPeriod"].get<int>();
    if (n < 0 || n > 35) bad("Invalid backup retention period " + std::to_string(n) + ". Valid values are 0-35.");
  }
  if (has(in, "PreferredBackupWindow") && !window_ok(str(in, "PreferredBackupWindow"), false))
    bad("The parameter PreferredBackupWindow must be in the format hh24:mi-hh24:mi.");
  if (has(in, "PreferredMaintenanceWindow") && !window_ok(str(in, "PreferredMaintenanceWindow"), true))
    bad("The parameter PreferredMaintenanceWindow must be in the format ddd:hh24:mi-ddd:hh24:mi.");
  if (has(in, "DBPortNumber")) {
    int p = in["DBPortNumber"].get<int>();
    if (p < 1150 || p > 65535) bad("Invalid port: " + std::to_string(p) + ". Valid values are 1150-65535.");
  }
  std::string version;
  if (has(in, "EngineVersion")) {
    version = resolve_version(str(in, "EngineVersion"));
    if (version.empty()) bad_combination("Cannot find upgrade target from " + dbp->doc.value("EngineVersion", "") +
                                         " to " + str(in, "EngineVersion"));
    if (major_of(version) != major_of(dbp->doc.value("EngineVersion", "")) && !flag(in, "AllowMajorVersionUpgrade"))
      bad_combination("The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.");
  }
  if (has(in, "CACertificateIdentifier")) {
    const auto& ids = certificate_ids();
    if (std::find(ids.begin(), ids.end(), str(in, "CACertificateIdentifier")) == ids.end())
      throw AwsError("CertificateNotFoundFault", "Certificate not found: " + str(in, "CACertificateIdentifier"));
  }
  std::string new_id;
  if (has(in, "NewDBInstanceIdentifier")) {
    check_identifier("NewDBInstanceIdentifier", str(in, "NewDBInstanceIdentifier"));
    new_id = lower(str(in, "NewDBInstanceIdentifier"));
    if (new_id != dbp->id && r.instances.count(new_id))
      throw AwsError("DBInstanceAlreadyExistsFault", "DB instance already exists");
  }
  Json sgs;
  if (has(in, "VpcSecurityGroupIds"))
    sgs = security_groups_for(ctx, dbp->doc["DBSubnetGroup"].value("VpcId", ""), strings(in, "VpcSecurityGroupIds"));
  if (has(in, "DBParameterGroupName"))
    check_parameter_group(str(in, "DBParameterGroupName"),
                          major_of(version.empty() ? dbp->doc.value("EngineVersion", "") : version));

  Rec& db = *dbp;
  // Changes that always apply at once.
  if (has(in, "DeletionProtection")) db.doc["DeletionProtection"] = flag(in, "DeletionProtection");
  if (has(in, "BackupRetentionPeriod")) db.doc["BackupRetentionPeriod"] = in["BackupRetentionPeriod"];
  if (has(in, "PreferredBackupWindow")) db.doc["PreferredBackupWindow"] = in["PreferredBackupWindow"];
  if (has(in, "PreferredMaintenanceWindow")) db.doc["PreferredMaintenanceWindow"] = lower(str(in, "PreferredMaintenanceWindow"));
  if (has(in, "CopyTagsToSnapshot")) db.doc["CopyTagsToSnapshot"] = flag(in, "CopyTagsToSnapshot");
  if (has(in, "PubliclyAccessible")) db.doc["PubliclyAccessible"] = flag(in, "PubliclyAccessible");
  if (has(in, "AutoMinorVersionUpgrade")) db.doc["AutoMinorVersionUpgrade"] = flag(in, "AutoMinorVersionUpgrade");
  if (has(in, "EnableIAMDatabaseAuthentication"))
    db.doc["IAMDatabaseAuthenticationEnabled"] = flag(in, "EnableIAMDatabaseAuthentication");
  if (has(in, "MaxAllocatedStorage")) db.doc["MaxAllocatedStorage"] = in["MaxAllocatedStorage"];
  if (has(in, "MonitoringInterval")) db.doc["MonitoringInterval"] = in["MonitoringInterval"];
  if (has(in, "EnablePerformanceInsights")) db.doc["PerformanceInsightsEnabled"] = flag(in, "EnablePerformanceInsights");
  if (!sgs.is_null()) db.doc["VpcSecurityGroups"] = sgs;

  // Changes that wait for the maintenance window unless ApplyImmediately.
  if (has(in, "DBInstanceClass") && str(in, "DBInstanceClass") != db.doc.value("DBInstanceClass", ""))
    pending["DBInstanceClass"] = str(in, "DBInstanceClass");
  if (has(in, "AllocatedStorage") && in["AllocatedStorage"].get<int>() != db.doc.value("AllocatedStorage", 0))
    pending["AllocatedStorage"] = in["AllocatedStorage"];
  if (has(in, "StorageType") && str(in, "StorageType") != db.doc.value("StorageType", ""))
    pending["StorageType"] = str(in, "StorageType");
  if (!version.empty() && version != db.doc.value("EngineVersion", "")) pending["EngineVersion"] = version;
  if (has(in, "MultiAZ") && flag(in, "MultiAZ") != db.doc.value("MultiAZ", false)) pending["MultiAZ"] = flag(in, "MultiAZ");
  if (has(in, "DBPortNumber") && in["DBPortNumber"].get<int>() != db.doc.value("_Port", 5432))
    pending["Port"] = in["DBPortNumber"];
  if (has(in, "CACertificateIdentifier") && str(in, "CACertificateIdentifier") != db.doc.value("CACertificateIdentifier", ""))
    pending["CACertificateIdentifier"] = str(in, "CACertificateIdentifier");
  if (!new_id.empty() && new_id != db.id) pending["DBInstanceIdentifier"] = new_id;

  bool something_applies = false;
  if (now_apply && !pending.empty()) {
    for (auto it = pending.begin(); it != pending.end(); ++it) {
      const std::string& k = it.key();
      if (k == "MasterUserPassword") continue;
      if (k == "Port") {
        db.doc["_Port"] = it.value();
        db.doc["Endpoint"]["Port"] = it.value();
        restart = true;
      } else if (k == "CACertificateIdentifier") {
        db.doc["CACertificateIdentifier"] = it.value();
        db.doc["CertificateDetails"]["CAIdentifier"] = it.value();
      } else if (k == "MultiAZ") {
        db.doc["MultiAZ"] = it.value();
        if (!it.value().get<bool>()) db.doc.erase("SecondaryAvailabilityZone");
        else
          for (const auto& s : db.doc["DBSubnetGroup"]["Subnets"]) {
            std::string a = s["SubnetAvailabilityZone"].value("Name", "");
            if (a != db.doc.value("AvailabilityZone", "")) {
              db.doc["SecondaryAvailabilityZone"] = a;
              break;
            }
          }
      } else if (k == "EngineVersion") {
        db.doc["EngineVersion"] = it.value();
        std::string m = major_of(it.value().get<std::string>());
        db.doc["DBParameterGroups"] = Json::array({{{"DBParameterGroupName", "default.postgres" + m}, {"ParameterApplyStatus", "in-sync"}}});
        db.doc["OptionGroupMemberships"] = Json::array({{{"OptionGroupName", "default:postgres-" + m}, {"Status", "in-sync"}}});
        restart = true;
      } else if (k != "DBInstanceIdentifier") {
        db.doc[k] = it.value();
      }
    }
    something_applies = true;
    pending = Json::object();
  }

  // Master password changes always apply at once.
  PgSpec spec = spec_of(r, db);
  Json shown_pending = pending;
  if (has(in, "MasterUserPassword")) {
    new_password = str(in, "MasterUserPassword");
    if (manage == false && managed_now) delete_managed_secret(ctx, db);
    password_changed = true;
    shown_pending["MasterUserPassword"] = "****";
  } else if (manage == true && !managed_now) {
    new_password = new_password_for(ctx, db);
    password_changed = true;
  } else if (rotate) {
    new_password = this->new_password();
    put_secret_password(ctx, db, new_password);
    db.doc["MasterUserSecret"]["SecretStatus"] = "rotating";
    password_changed = true;
  }
  if (password_changed) {
    db.doc["_Password"] = new_password;
    spec.password = new_password;
    dp_->set_password(spec);
    db.doc["DBInstanceStatus"] = "resetting-master-credentials";
  }
  if (restart) {
    spec = spec_of(r, db);
    dp_->restart(spec);
    db.doc["DBInstanceStatus"] = "modifying";
  } else if (something_applies && !password_changed) {
    db.doc["DBInstanceStatus"] = "modifying";
  }
  db.doc["PendingModifiedValues"] = pending;
  db.doc["_Since"] = epoch(ctx);

  // A rename (applied immediately) moves the record; the server keeps its directory (named by DbiResourceId).
  std::string target = db.id;
  if (now_apply && !new_id.empty() && new_id != db.id) {
    Rec moved = db;
    erase(r, "db", db.id);
    r.instances.erase(db.id);
    moved.id = new_id;
    moved.doc["DBInstanceIdentifier"] = new_id;
    moved.doc["DBInstanceArn"] = rds_arn(r, "db", new_id);
    moved.doc["Endpoint"]["Address"] = endpoint_address(r.account, r.region, new_id);
    moved.doc["DBInstanceStatus"] = "renaming";
    r.instances[new_id] = std::move(moved);
    target = new_id;
    Rec& renamed = r.instances[new_id];
    renamed.doc["DBInstanceStatus"] = "modifying";
  }
  Rec& out = r.instances[target];
  save(r, "db", out);
  event(r, out.id, "db-instance", out.doc.value("DBInstanceArn", ""), "Applying modification to DB instance",
        {"configuration change"}, epoch(ctx));
  Json view = render_instance(r, out);
  view["PendingModifiedValues"] = shown_pending;
  return {{"DBInstance", view}};
}

std::string RdsService::new_password_for(RequestContext& ctx, Rec& db) {
  std::string pw = new_password();
  RegionState& r = region(ctx);
  create_managed_secret(ctx, r, db, pw);
  return pw;
}

Json RdsService::reboot_db_instance(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Rec& db = instance(r, str(in, "DBInstanceIdentifier"));
  if (db.doc.value("DBInstanceStatus", "") != "available")
    throw AwsError("InvalidDBInstanceStateFault", "Instance " + db.id + " is not in available state.");
  if (flag(in, "ForceFailover") && !db.doc.value("MultiAZ", false))
    bad_combination("Cannot do a forced failover on a DB instance that is not Multi-AZ.");
  db.doc["DBInstanceStatus"] = "rebooting";
  db.doc["_Since"] = epoch(ctx);
  dp_->restart(spec_of(r, db));
  save(r, "db", db);
  event(r, db.id, "db-instance", db.doc.value("DBInstanceArn", ""), "DB instance shutdown", {"availability"}, epoch(ctx));
  return {{"DBInstance", render_instance(r, db)}};
}

Json RdsService::stop_db_instance(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Rec& db = instance(r, str(in, "DBInstanceIdentifier"));
  if (db.doc.value("DBInstanceStatus", "") != "available")
    throw AwsError("InvalidDBInstanceStateFault", "Instance " + db.id + " is not in available state.");
  if (!db.doc.value("ReadReplicaSourceDBInstanceIdentifier", "").empty())
    throw AwsError("InvalidDBInstanceStateFault", "Instance " + db.id + " is a read replica and cannot be stopped.");
  double now = epoch(ctx);
  if (has(in, "DBSnapshotIdentifier")) {
    std::string snap_id = str(in, "DBSnapshotIdentifier");
    check_identifier("DBSnapshotIdentifier", snap_id);
    if (r.snapshots.count(snap_id))
      throw AwsError("DBSnapshotAlreadyExistsFault",
                     "Cannot create the snapshot because a snapshot with the identifier " + snap_id + " already exists.");
    make_snapshot(r, db, snap_id, "manual", db.doc.value("CopyTagsToSnapshot", false) ? db.tags : TagMap{}, now);
  }
  db.doc["DBInstanceStatus"] = "stopping";
  db.doc["_Since"] = now;
  dp_->stop(db.doc.value("DbiResourceId", ""));
  save(r, "db", db);
  return {{"DBInstance", render_instance(r, db)}};
}

Json RdsService::start_db_instance(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Rec& db = instance(r, str(in, "DBInstanceIdentifier"));
  if (db.doc.value("DBInstanceStatus", "") != "stopped")
    throw AwsError("InvalidDBInstanceStateFault", "Instance " + db.id + " is not stopped, it cannot be started.");
  db.doc["DBInstanceStatus"] = "starting";
  db.doc["_Since"] = epoch(ctx);
  dp_->start(spec_of(r, db));
  save(r, "db", db);
  return {{"DBInstance", render_instance(r, db)}};
}

Json RdsService::delete_db_instance(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Rec& db = instance(r, str(in, "DBInstanceIdentifier"));
  std::string status = db.doc.value("DBInstanceStatus", "");
  if (status == "deleting") throw AwsError("InvalidDBInstanceStateFault", "Instance " + db.id + " is already being deleted.");
  if (db.doc.value("DeletionProtection", false))
    bad_combination("Cannot delete protected DB Instance, please disable deletion protection and try again.");
  bool skip = flag(in, "SkipFinalSnapshot");
  std::string final_id = str(in, "FinalDBSnapshotIdentifier");
  if (!skip && final_id.empty())
    bad_combination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
  if (skip && !final_id.empty())
    bad_combination("FinalDBSnapshotIdentifier can not be specified when deleting a DB instance with SkipFinalSnapshot "
                    "enabled.");
  double now = epoch(ctx);
  if (!final_id.empty()) {
    check_identifier("FinalDBSnapshotIdentifier", final_id);
    if (r.snapshots.count(final_id))
      throw AwsError("DBSnapshotAlreadyExistsFault",
                     "Cannot create the snapshot because a snapshot with the identifier " + final_id + " already exists.");
    if (status == "creating" || status == "failed")
      throw AwsError("InvalidDBInstanceStateFault",
                     "Instance " + db.id + " is not in a state in which a final snapshot can be taken.");
    if (status == "stopped") dp_->start(spec_of(r, db));  // the dump needs the server up
    make_snapshot(r, db, final_id, "manual", db.doc.value("CopyTagsToSnapshot", false) ? db.tags : TagMap{}, now);
  }
  // Automated backups go with the instance unless kept.
  if (flag(in, "DeleteAutomatedBackups", true)) {
    for (auto it = r.snapshots.begin(); it != r.snapshots.end();) {
      if (it->second.doc.value("SnapshotType", "") == "automated" &&
          it->second.doc.value("DbiResourceId", "") == db.doc.value("DbiResourceId", "")) {
        dp_->remove_file(it->second.doc.value("_File", ""));
        erase(r, "snap", it->first);
        it = r.snapshots.erase(it);
      } else {
        ++it;
      }
    }
  }
  delete_managed_secret(ctx, db);
  db.doc["DBInstanceStatus"] = "deleting";
  db.doc["_Since"] = now;
  dp_->destroy(db.doc.value("DbiResourceId", ""));
  save(r, "db", db);
  event(r, db.id, "db-instance", db.doc.value("DBInstanceArn", ""), "DB instance deleting", {"deletion"}, now);
  return {{"DBInstance", render_instance(r, db)}};
}

}  // namespace cloudbox::rds
