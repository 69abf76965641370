// DB snapshots: real dumps (pg_dumpall) of a running server, taken by the data plane; manual ones by
// CreateDBSnapshot, StopDBInstance and DeleteDBInstance's final snapshot, automated ones after creation when
// the backup retention period is above zero. RestoreDBInstanceFromDBSnapshot (instances.cpp) loads a dump
// into a new server.
#include "core/common/ids.h"
#include "core/core.h"
#include "services/rds/service.h"

namespace cloudbox::rds {

Rec& RdsService::make_snapshot(RegionState& r, Rec& db, const std::string& snap_id, const std::string& type,
                               TagMap tags, double now) {
  Rec rec;
  rec.id = snap_id;
  rec.seq = next_seq_++;
  rec.tags = std::move(tags);
  const Json& d = db.doc;
  std::string job = "snap-" + random_hex(16);
  std::string file = dp_->dump_path(job);
  rec.doc = {{"DBSnapshotIdentifier", snap_id},
             {"DBInstanceIdentifier", db.id},
             {"SnapshotCreateTime", now},
             {"Engine", "postgres"},
             {"AllocatedStorage", d.value("AllocatedStorage", 20)},
             {"Status", "creating"},
             {"Port", d.value("_Port", 5432)},
             {"AvailabilityZone", d.value("AvailabilityZone", "")},
             {"VpcId", d["DBSubnetGroup"].value("VpcId", "")},
             {"InstanceCreateTime", d.value("InstanceCreateTime", now)},
             {"MasterUsername", d.value("MasterUsername", "")},
             {"EngineVersion", d.value("EngineVersion", "")},
             {"LicenseModel", "postgresql-license"},
             {"SnapshotType", type},
             {"OptionGroupName", d["OptionGroupMemberships"][0].value("OptionGroupName", "")},
             {"PercentProgress", 0},
             {"StorageType", d.value("StorageType", "gp2")},
             {"Encrypted", d.value("StorageEncrypted", false)},
             {"DBSnapshotArn", rds_arn(r, "snapshot", snap_id)},
             {"IAMDatabaseAuthenticationEnabled", d.value("IAMDatabaseAuthenticationEnabled", false)},
             {"ProcessorFeatures", Json::array()},
             {"DbiResourceId", d.value("DbiResourceId", "")},
             {"SnapshotTarget", "region"},
             {"OriginalSnapshotCreateTime", now},
             {"SnapshotDatabaseTime", now},
             {"DedicatedLogVolume", false},
             {"MultiTenant", false},
             {"_File", file},
             {"_Job", job},
             {"_Password", d.value("_Password", "")},
             {"_DBName", d.value("DBName", "")},
             {"_Class", d.value("DBInstanceClass", "")}};
  if (d.contains("Iops")) rec.doc["Iops"] = d["Iops"];
  if (d.contains("KmsKeyId")) rec.doc["KmsKeyId"] = d["KmsKeyId"];
  dp_->dump(spec_of(r, db), job, file);
  Rec& stored = r.snapshots[snap_id] = std::move(rec);
  save(r, "snap", stored);
  event(r, snap_id, "db-snapshot", stored.doc.value("DBSnapshotArn", ""),
        type == "automated" ? "Creating automated snapshot" : "Creating manual snapshot", {"creation"}, now);
  return stored;
}

void RdsService::advance_snapshots(RegionState& r, double now) {
  for (auto& [id, s] : r.snapshots) {
    if (s.doc.value("Status", "") != "creating") continue;
    PgStatus ph = dp_->status(s.doc.value("_Job", ""));
    if (ph.phase == Phase::Running) {
      s.doc["Status"] = "available";
      s.doc["PercentProgress"] = 100;
      event(r, id, "db-snapshot", s.doc.value("DBSnapshotArn", ""),
            s.doc.value("SnapshotType", "") == "automated" ? "Automated snapshot created" : "Manual snapshot created",
            {"creation"}, now);
      save(r, "snap", s);
    } else if (ph.phase == Phase::Failed || ph.phase == Phase::None) {
      s.doc["Status"] = "failed";
      save(r, "snap", s);
    }
  }
}

namespace {
Json snapshot_view(const Rec& s) {
  Json d = Json::object();
  for (auto it = s.doc.begin(); it != s.doc.end(); ++it)
    if (!it.key().empty() && it.key()[0] != '_') d[it.key()] = it.value();
  d["TagList"] = tag_list_json(s.tags);
  return d;
}
}  // namespace

Json RdsService::create_db_snapshot(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string snap_id = str(in, "DBSnapshotIdentifier");
  check_identifier("DBSnapshotIdentifier", snap_id);
  Rec& db = instance(r, str(in, "DBInstanceIdentifier"));
  if (r.snapshots.count(snap_id))
    throw AwsError("DBSnapshotAlreadyExistsFault",
                   "Cannot create the snapshot because a snapshot with the identifier " + snap_id + " already exists.");
  if (db.doc.value("DBInstanceStatus", "") != "available")
    throw AwsError("InvalidDBInstanceStateFault", "Cannot create a snapshot because the database instance " + db.id +
                                                      " is not currently in the available state.");
  TagMap tags = read_tags(in);
  if (tags.empty() && db.doc.value("CopyTagsToSnapshot", false)) tags = db.tags;
  Rec& s = make_snapshot(r, db, snap_id, "manual", tags, epoch(ctx));
  return {{"DBSnapshot", snapshot_view(s)}};
}

Json RdsService::describe_db_snapshots(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto filters = read_filters(in, {"db-instance-id", "db-snapshot-id", "dbi-resource-id", "snapshot-type", "engine"});
  std::string want_snap = str(in, "DBSnapshotIdentifier");
  std::string want_db = lower(str(in, "DBInstanceIdentifier"));
  std::string want_type = str(in, "SnapshotType");
  std::string want_res = str(in, "DbiResourceId");
  if (!want_snap.empty() && !r.snapshots.count(want_snap)) {
    bool by_arn = false;
    for (const auto& [id, s] : r.snapshots) by_arn = by_arn || s.doc.value("DBSnapshotArn", "") == want_snap;
    if (!by_arn) throw AwsError("DBSnapshotNotFoundFault", "DBSnapshot " + want_snap + " not found.");
  }
  std::vector<std::pair<std::string, Json>> items;
  for (const auto& [id, s] : r.snapshots) {
    const Json& d = s.doc;
    if (!want_snap.empty() && id != want_snap && d.value("DBSnapshotArn", "") != want_snap) continue;
    if (!want_db.empty() && d.value("DBInstanceIdentifier", "") != want_db) continue;
    if (!want_res.empty() && d.value("DbiResourceId", "") != want_res) continue;
    if (!want_type.empty() && d.value("SnapshotType", "") != want_type) continue;
    bool ok = true;
    for (const auto& f : filters) {
      if (f.name == "db-instance-id")
        ok = ok && (any_of(f.values, d.value("DBInstanceIdentifier", "")) ||
                    any_of(f.values, rds_arn(r, "db", d.value("DBInstanceIdentifier", ""))));
      else if (f.name == "db-snapshot-id") ok = ok && (any_of(f.values, id) || any_of(f.values, d.value("DBSnapshotArn", "")));
      else if (f.name == "dbi-resource-id") ok = ok && any_of(f.values, d.value("DbiResourceId", ""));
      else if (f.name == "snapshot-type") ok = ok && any_of(f.values, d.value("SnapshotType", ""));
      else if (f.name == "engine") ok = ok && any_of(f.values, d.value("Engine", ""));
    }
    if (ok) items.emplace_back(id, snapshot_view(s));
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DBSnapshots", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::delete_db_snapshot(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string snap_id = str(in, "DBSnapshotIdentifier");
  auto it = r.snapshots.find(snap_id);
  if (it == r.snapshots.end()) throw AwsError("DBSnapshotNotFoundFault", "DBSnapshot " + snap_id + " not found.");
  Rec& s = it->second;
  if (s.doc.value("SnapshotType", "") == "automated")
    throw AwsError("InvalidDBSnapshotStateFault", "Only manual snapshots may be deleted.");
  if (s.doc.value("Status", "") == "creating")
    throw AwsError("InvalidDBSnapshotStateFault", "Cannot delete the snapshot because it is being created.");
  Json view = snapshot_view(s);
  view["Status"] = "deleted";
  dp_->remove_file(s.doc.value("_File", ""));
  erase(r, "snap", snap_id);
  r.snapshots.erase(it);
  return {{"DBSnapshot", view}};
}

}  // namespace cloudbox::rds
