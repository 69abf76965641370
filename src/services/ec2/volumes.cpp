// EBS volumes: CreateVolume (available at once), DeleteVolume (refused while attached), AttachVolume (same
// zone, free device name, running or stopped instance), DetachVolume (not the root volume of a running
// instance). Volumes RunInstances makes are the same records (kind `vol`); instances list their attachments
// in `_Volumes`.
#include "services/ec2/volumes.h"

#include <algorithm>

#include "core/common/encoding.h"

namespace cloudbox::ec2 {

namespace {

Json attachment_out(const Json& a, const std::string& state) {
  Json out = a;
  out["State"] = state;
  return out;
}

Json create_volume(Ec2Service& s, RequestContext& ctx, const Json& in) {
  RegionState& r = s.region(ctx);
  std::string zone = str(in, "AvailabilityZone"), zone_id;
  for (const auto& z : zones_of(r.region))
    if (z.name == zone || (zone.empty() && z.id == str(in, "AvailabilityZoneId"))) {
      zone = z.name;
      zone_id = z.id;
    }
  if (zone_id.empty())
    throw AwsError("InvalidParameterValue", "Invalid availability zone: [" + zone + "]", 400);
  std::string type = str(in, "VolumeType", "gp2");
  static const char* kTypes[] = {"standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"};
  if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes))
    throw AwsError("InvalidParameterValue", "Value (" + type + ") for parameter volumeType is invalid.", 400);
  std::string snapshot = str(in, "SnapshotId");
  if (!has(in, "Size") && snapshot.empty())
    throw AwsError("MissingParameter", "The request must contain the parameter size or snapshotId", 400);
  int size = in.value("Size", 8);
  if (size < 1) throw AwsError("InvalidParameterValue", "Volume of " + std::to_string(size) + "GiB is too small; minimum is 1GiB.", 400);
  if (size > 16384)
    throw AwsError("InvalidParameterValue", "Volume of " + std::to_string(size) + "GiB is too large; maximum is 16384GiB.", 400);
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [id, v] : r.of("vol"))
      if (field_is(v.doc, "_ClientToken", token)) return s.render(r, v);
  std::string id = s.new_id("vol");
  Json doc = {{"VolumeId", id},
              {"Size", size},
              {"SnapshotId", snapshot},
              {"AvailabilityZone", zone},
              {"AvailabilityZoneId", zone_id},
              {"State", "available"},
              {"CreateTime", epoch(ctx)},
              {"Attachments", Json::array()},
              {"VolumeType", type},
              {"Encrypted", flag(in, "Encrypted")},
              {"MultiAttachEnabled", flag(in, "MultiAttachEnabled")}};
  if (type == "gp3") {
    doc["Iops"] = in.value("Iops", 3000);
    doc["Throughput"] = in.value("Throughput", 125);
  } else if (type == "gp2") {
    doc["Iops"] = std::max(100, std::min(16000, size * 3));
  } else if (type == "io1" || type == "io2") {
    if (!has(in, "Iops")) throw AwsError("MissingParameter", "The request must contain the parameter iops", 400);
    doc["Iops"] = in.value("Iops", 100);
  }
  if (!token.empty()) doc["_ClientToken"] = token;
  Res& v = s.add(r, id, doc, Ec2Service::tags_from_specs(in, "volume"));
  Json out = s.render(r, v);
  out["State"] = "creating";
  return out;
}

Json delete_volume(Ec2Service& s, RequestContext& ctx, const Json& in) {
  RegionState& r = s.region(ctx);
  Res& v = s.get(r, "vol", str(in, "VolumeId"));
  if (!v.doc.value("Attachments", Json::array()).empty())
    throw AwsError("VolumeInUse",
                   "Volume " + v.id + " is currently attached to " + v.doc["Attachments"][0].value("InstanceId", ""), 400);
  s.drop(r, v.id);
  return Json::object();
}

Json attach_volume(Ec2Service& s, RequestContext& ctx, const Json& in) {
  RegionState& r = s.region(ctx);
  Res& v = s.get(r, "vol", str(in, "VolumeId"));
  Res& inst = s.get(r, "i", str(in, "InstanceId"));
  std::string device = str(in, "Device");
  if (device.empty()) throw AwsError("MissingParameter", "The request must contain the parameter device", 400);
  if (!v.doc.value("Attachments", Json::array()).empty())
    throw AwsError("VolumeInUse", v.id + " is already attached to an instance", 400);
  std::string state = inst.doc["State"].value("Name", "");
  if (state != "running" && state != "stopped")
    throw AwsError("IncorrectState", "Instance '" + inst.id + "' is not 'running' or 'stopped'.", 400);
  if (v.doc.value("AvailabilityZone", "") != inst.doc["Placement"].value("AvailabilityZone", ""))
    throw AwsError("InvalidVolume.ZoneMismatch",
                   "The volume '" + v.id + "' is not in the same availability zone as instance '" + inst.id + "'", 400);
  for (const auto& a : inst.doc.value("_Volumes", Json::array()))
    if (a.value("DeviceName", "") == device)
      throw AwsError("InvalidParameterValue",
                     "Invalid value '" + device + "' for unixDevice. Attachment point " + device + " is already in use", 400);
  double now = epoch(ctx);
  Json att = {{"AttachTime", now}, {"Device", device}, {"InstanceId", inst.id}, {"State", "attached"},
              {"VolumeId", v.id}, {"DeleteOnTermination", false}};
  v.doc["Attachments"] = Json::array({att});
  v.doc["State"] = "in-use";
  v.doc["_AttachTimeText"] = iso8601(ctx.now);
  inst.doc["_Volumes"].push_back({{"DeviceName", device}, {"VolumeId", v.id}, {"DeleteOnTermination", false}, {"AttachTime", now}});
  s.touch(r, v.id);
  s.touch(r, inst.id);
  return attachment_out(att, "attaching");
}

Json detach_volume(Ec2Service& s, RequestContext& ctx, const Json& in) {
  RegionState& r = s.region(ctx);
  Res& v = s.get(r, "vol", str(in, "VolumeId"));
  if (v.doc.value("Attachments", Json::array()).empty())
    throw AwsError("IncorrectState", "Volume '" + v.id + "' is in the 'available' state.", 400);
  Json att = v.doc["Attachments"][0];
  std::string iid = att.value("InstanceId", "");
  if (has(in, "InstanceId") && str(in, "InstanceId") != iid)
    throw AwsError("InvalidAttachment.NotFound",
                   "Volume '" + v.id + "' is not attached to instance '" + str(in, "InstanceId") + "'.", 400);
  if (Res* inst = r.find("i", iid)) {
    bool root = att.value("Device", "") == inst->doc.value("RootDeviceName", "");
    std::string state = inst->doc["State"].value("Name", "");
    if (root && state != "stopped")
      throw AwsError("IncorrectState", "Unable to detach root volume '" + v.id + "' from instance '" + iid + "'", 400);
    Json kept = Json::array();
    for (const auto& a : inst->doc.value("_Volumes", Json::array()))
      if (a.value("VolumeId", "") != v.id) kept.push_back(a);
    inst->doc["_Volumes"] = kept;
    s.touch(r, iid);
  }
  v.doc["Attachments"] = Json::array();
  v.doc["State"] = "available";
  v.doc.erase("_AttachTimeText");
  s.touch(r, v.id);
  return attachment_out(att, "detaching");
}

}  // namespace

std::vector<std::pair<std::string, VolumeOperation>> volume_operations() {
  return {{"CreateVolume", create_volume},
          {"DeleteVolume", delete_volume},
          {"AttachVolume", attach_volume},
          {"DetachVolume", detach_volume}};
}

}  // namespace cloudbox::ec2
