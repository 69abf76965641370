// Instances: RunInstances with AWS's checks, the lifecycle on the server clock (pending → running,
// stopping → stopped, shutting-down → terminated, visible for an hour after), Start/Stop/Reboot/Terminate,
// DescribeInstances (reservations), DescribeInstanceStatus, instance attributes, IAM instance profile
// associations, console output, metadata options; EBS volumes made from block device mappings; Elastic IP
// association with instances and network interfaces.
#include <algorithm>
#include <cmath>
#include <ctime>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/ec2/service.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox::ec2 {

namespace {

constexpr double kPendingSeconds = 5;
constexpr double kStoppingSeconds = 5;
constexpr double kShuttingDownSeconds = 5;
constexpr double kTerminatedVisibleSeconds = 3600;
constexpr int kMaxInstancesPerRequest = 20;

int state_code(const std::string& s) {
  if (s == "pending") return 0;
  if (s == "running") return 16;
  if (s == "shutting-down") return 32;
  if (s == "terminated") return 48;
  if (s == "stopping") return 64;
  if (s == "stopped") return 80;
  return 0;
}

Json state_doc(const std::string& s) { return {{"Code", state_code(s)}, {"Name", s}}; }

std::string gmt(double t) {
  std::time_t tt = std::time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S GMT", &tm);
  return buf;
}

const Res* cfind(const RegionState& r, const std::string& kind, const std::string& id) {
  auto k = r.kinds.find(kind);
  if (k == r.kinds.end()) return nullptr;
  auto it = k->second.find(id);
  return it == k->second.end() ? nullptr : &it->second;
}

std::string state_of(const Res& inst) { return inst.doc.contains("State") ? inst.doc["State"].value("Name", "") : ""; }

const FilterTable& instance_filters() {
  static const FilterTable t = {
      {"affinity", by_path("Placement.Affinity")},
      {"architecture", by_path("Architecture")},
      {"availability-zone", by_path("Placement.AvailabilityZone")},
      {"block-device-mapping.device-name", by_path("BlockDeviceMappings.DeviceName")},
      {"block-device-mapping.volume-id", by_path("BlockDeviceMappings.Ebs.VolumeId")},
      {"block-device-mapping.status", by_path("BlockDeviceMappings.Ebs.Status")},
      {"block-device-mapping.delete-on-termination", by_path("BlockDeviceMappings.Ebs.DeleteOnTermination")},
      {"client-token", by_path("ClientToken")},
      {"dns-name", by_path("PublicDnsName")},
      {"group-id", by_path("SecurityGroups.GroupId")},
      {"group-name", by_path("SecurityGroups.GroupName")},
      {"instance.group-id", by_path("SecurityGroups.GroupId")},
      {"instance.group-name", by_path("SecurityGroups.GroupName")},
      {"hypervisor", by_path("Hypervisor")},
      {"iam-instance-profile.arn", by_path("IamInstanceProfile.Arn")},
      {"iam-instance-profile.id", by_path("IamInstanceProfile.Id")},
      {"image-id", by_path("ImageId")},
      {"instance-id", by_path("InstanceId")},
      {"instance-lifecycle", by_path("InstanceLifecycle")},
      {"instance-state-code", by_path("State.Code")},
      {"instance-state-name", by_path("State.Name")},
      {"instance-type", by_path("InstanceType")},
      {"ip-address", by_path("PublicIpAddress")},
      {"key-name", by_path("KeyName")},
      {"launch-index", by_path("AmiLaunchIndex")},
      {"launch-time", by_path("_LaunchTimeText")},
      {"metadata-options.http-tokens", by_path("MetadataOptions.HttpTokens")},
      {"metadata-options.http-endpoint", by_path("MetadataOptions.HttpEndpoint")},
      {"metadata-options.http-put-response-hop-limit", by_path("MetadataOptions.HttpPutResponseHopLimit")},
      {"monitoring-state", by_path("Monitoring.State")},
      {"network-interface.network-interface-id", by_path("NetworkInterfaces.NetworkInterfaceId")},
      {"network-interface.subnet-id", by_path("NetworkInterfaces.SubnetId")},
      {"network-interface.vpc-id", by_path("NetworkInterfaces.VpcId")},
      {"network-interface.private-ip-address", by_path("NetworkInterfaces.PrivateIpAddress")},
      {"network-interface.mac-address", by_path("NetworkInterfaces.MacAddress")},
      {"network-interface.status", by_path("NetworkInterfaces.Status")},
      {"network-interface.association.public-ip", by_path("NetworkInterfaces.Association.PublicIp")},
      {"network-interface.association.allocation-id", by_path("NetworkInterfaces.Association.AllocationId")},
      {"network-interface.association.association-id", by_path("NetworkInterfaces.Association.AssociationId")},
      {"network-interface.attachment.attachment-id", by_path("NetworkInterfaces.Attachment.AttachmentId")},
      {"network-interface.group-id", by_path("NetworkInterfaces.Groups.GroupId")},
      {"owner-id", by_path("_OwnerId")},
      {"placement-group-name", by_path("Placement.GroupName")},
      {"platform-details", by_path("PlatformDetails")},
      {"private-dns-name", by_path("PrivateDnsName")},
      {"private-ip-address", by_path("PrivateIpAddress")},
      {"reason", by_path("StateTransitionReason")},
      {"requester-id", by_path("_RequesterId")},
      {"reservation-id", by_path("_ReservationId")},
      {"root-device-name", by_path("RootDeviceName")},
      {"root-device-type", by_path("RootDeviceType")},
      {"source-dest-check", by_path("SourceDestCheck")},
      {"state-reason-code", by_path("StateReason.Code")},
      {"state-reason-message", by_path("StateReason.Message")},
      {"subnet-id", by_path("SubnetId")},
      {"tenancy", by_path("Placement.Tenancy")},
      {"usage-operation", by_path("UsageOperation")},
      {"virtualization-type", by_path("VirtualizationType")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

const FilterTable& volume_filters() {
  static const FilterTable t = {
      {"attachment.attach-time", by_path("_AttachTimeText")},
      {"attachment.delete-on-termination", by_path("Attachments.DeleteOnTermination")},
      {"attachment.device", by_path("Attachments.Device")},
      {"attachment.instance-id", by_path("Attachments.InstanceId")},
      {"attachment.status", by_path("Attachments.State")},
      {"availability-zone", by_path("AvailabilityZone")},
      {"encrypted", by_path("Encrypted")},
      {"multi-attach-enabled", by_path("MultiAttachEnabled")},
      {"size", by_path("Size")},
      {"snapshot-id", by_path("SnapshotId")},
      {"status", by_path("State")},
      {"volume-id", by_path("VolumeId")},
      {"volume-type", by_path("VolumeType")},
  };
  return t;
}

std::string public_dns(const RegionState& r, const std::string& ip) {
  std::string dashed = ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return "ec2-" + dashed + (r.region == "us-east-1" ? ".compute-1.amazonaws.com" : "." + r.region + ".compute.amazonaws.com");
}

std::string arch_list(const Json& type_info) {
  // AWS names x86_64 before i386 ("x86_64,i386").
  std::vector<std::string> archs;
  for (const auto& a : type_info["ProcessorInfo"]["SupportedArchitectures"]) archs.push_back(a.get<std::string>());
  std::sort(archs.begin(), archs.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& s) { return s == "x86_64" ? 0 : s == "arm64" ? 1 : 2; };
    return rank(a) < rank(b);
  });
  std::string out;
  for (const auto& a : archs) out += (out.empty() ? "" : ",") + a;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Views

Json instance_view(const RegionState& r, const Res& inst) {
  Json d = inst.doc;
  const Res* eni = cfind(r, "eni", inst.doc.value("_EniId", ""));
  Json nis = Json::array();
  if (eni) {
    const Json& e = eni->doc;
    Json ni = {{"Attachment", e.value("Attachment", Json::object())},
               {"Description", e.value("Description", "")},
               {"Groups", e.value("Groups", Json::array())},
               {"Ipv6Addresses", Json::array()},
               {"MacAddress", e.value("MacAddress", "")},
               {"NetworkInterfaceId", eni->id},
               {"OwnerId", e.value("OwnerId", "")},
               {"PrivateDnsName", e.value("PrivateDnsName", "")},
               {"PrivateIpAddress", e.value("PrivateIpAddress", "")},
               {"PrivateIpAddresses", e.value("PrivateIpAddresses", Json::array())},
               {"SourceDestCheck", e.value("SourceDestCheck", true)},
               {"Status", e.value("Status", "in-use")},
               {"SubnetId", e.value("SubnetId", "")},
               {"VpcId", e.value("VpcId", "")},
               {"InterfaceType", "interface"}};
    ni["Attachment"].erase("InstanceId");
    ni["Attachment"].erase("InstanceOwnerId");
    d["PrivateIpAddress"] = e.value("PrivateIpAddress", "");
    d["PrivateDnsName"] = e.value("PrivateDnsName", "");
    d["SecurityGroups"] = e.value("Groups", Json::array());
    d["SourceDestCheck"] = e.value("SourceDestCheck", true);
    if (e.contains("Association")) {
      Json a = e["Association"];
      ni["Association"] = {{"IpOwnerId", a.value("IpOwnerId", "amazon")},
                           {"PublicDnsName", a.value("PublicDnsName", "")},
                           {"PublicIp", a.value("PublicIp", "")}};
      d["PublicIpAddress"] = a.value("PublicIp", "");
      d["PublicDnsName"] = a.value("PublicDnsName", "");
    } else {
      d["PublicDnsName"] = "";
    }
    nis.push_back(ni);
  } else {
    d["PrivateDnsName"] = "";
    d["PublicDnsName"] = "";
  }
  d["NetworkInterfaces"] = nis;
  Json bdm = Json::array();
  for (const auto& v : inst.doc.value("_Volumes", Json::array())) {
    const Res* vol = cfind(r, "vol", v.value("VolumeId", ""));
    if (!vol) continue;
    bdm.push_back({{"DeviceName", v.value("DeviceName", "")},
                   {"Ebs",
                    {{"AttachTime", v.value("AttachTime", 0.0)},
                     {"DeleteOnTermination", v.value("DeleteOnTermination", true)},
                     {"Status", "attached"},
                     {"VolumeId", vol->id}}}});
  }
  d["BlockDeviceMappings"] = bdm;
  if (inst.doc.contains("_IamAssoc") && inst.doc["_IamAssoc"].value("State", "") != "disassociated")
    d["IamInstanceProfile"] = inst.doc["_IamAssoc"]["IamInstanceProfile"];
  else
    d.erase("IamInstanceProfile");
  d["_LaunchTimeText"] = iso8601(from_epoch(inst.doc.value("LaunchTime", 0.0)));
  return d;
}

// ---------------------------------------------------------------------------------------------------
// Lifecycle

void Ec2Service::set_instance_state(RegionState& r, Res& inst, const std::string& s, double now) {
  inst.doc["State"] = state_doc(s);
  inst.doc["_Since"] = now;
  touch(r, inst.id);
}

void Ec2Service::set_eni_public(RegionState& r, Res& eni, const std::string& ip, const std::string& alloc,
                                const std::string& assoc) {
  if (ip.empty()) {
    eni.doc.erase("Association");
    for (auto& p : eni.doc["PrivateIpAddresses"]) p.erase("Association");
    touch(r, eni.id);
    return;
  }
  bool hostnames = false;
  if (Res* vpc = r.find("vpc", eni.doc.value("VpcId", ""))) hostnames = vpc->doc.value("_EnableDnsHostnames", false);
  Json a = {{"IpOwnerId", alloc.empty() ? "amazon" : r.account},
            {"PublicDnsName", hostnames ? public_dns(r, ip) : ""},
            {"PublicIp", ip}};
  if (!alloc.empty()) {
    a["AllocationId"] = alloc;
    a["AssociationId"] = assoc;
  }
  eni.doc["Association"] = a;
  for (auto& p : eni.doc["PrivateIpAddresses"])
    if (p.value("Primary", false)) p["Association"] = a;
  touch(r, eni.id);
}

void Ec2Service::release_instance_resources(RegionState& r, Res& inst, double now) {
  // Elastic IPs on the interface go back to the account, unassociated.
  std::string eni_id = inst.doc.value("_EniId", "");
  for (auto& [aid, a] : r.of("eipalloc"))
    if (field_is(a.doc, "NetworkInterfaceId", eni_id)) {
      for (const char* k : {"AssociationId", "InstanceId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress"})
        a.doc.erase(k);
      touch(r, aid);
    }
  if (Res* eni = r.find("eni", eni_id)) {
    if (eni->doc["Attachment"].value("DeleteOnTermination", true)) {
      delete_network_interface(r, eni_id);
    } else {
      eni->doc.erase("Attachment");
      eni->doc["Status"] = "available";
      set_eni_public(r, *eni, "", "", "");
    }
  }
  for (const auto& v : inst.doc.value("_Volumes", Json::array())) {
    std::string vid = v.value("VolumeId", "");
    Res* vol = r.find("vol", vid);
    if (!vol) continue;
    if (v.value("DeleteOnTermination", true)) {
      drop(r, vid);
    } else {
      vol->doc["State"] = "available";
      vol->doc["Attachments"] = Json::array();
      touch(r, vid);
    }
  }
  (void)now;
}

void Ec2Service::advance_instances(RegionState& r, double now) {
  auto k = r.kinds.find("i");
  if (k == r.kinds.end()) return;
  std::vector<std::string> vanished;
  for (auto& [id, inst] : k->second) {
    std::string s = state_of(inst);
    double since = inst.doc.value("_Since", 0.0);
    if (s == "pending" && now >= since + kPendingSeconds) {
      set_instance_state(r, inst, "running", since + kPendingSeconds);
      inst.doc.erase("StateReason");
      inst.doc["StateTransitionReason"] = "";
      append_console(inst, "Cloud-init finished: instance " + id + " is running");
    } else if (s == "stopping" && now >= since + kStoppingSeconds) {
      set_instance_state(r, inst, "stopped", since + kStoppingSeconds);
    } else if (s == "shutting-down" && now >= since + kShuttingDownSeconds) {
      set_instance_state(r, inst, "terminated", since + kShuttingDownSeconds);
      release_instance_resources(r, inst, now);
      inst.doc["_VanishAt"] = since + kShuttingDownSeconds + kTerminatedVisibleSeconds;
      inst.doc.erase("_EniId");
      inst.doc["_Volumes"] = Json::array();
      inst.doc.erase("PrivateIpAddress");
    } else if (s == "terminated" && now >= inst.doc.value("_VanishAt", now + 1)) {
      vanished.push_back(id);
    }
  }
  for (const auto& id : vanished) drop(r, id);
}

void Ec2Service::append_console(Res& inst, const std::string& line) {
  std::string text = inst.doc.value("_Console", "");
  text += line + "\r\n";
  if (text.size() > 60000) text = text.substr(text.size() - 60000);
  inst.doc["_Console"] = text;
}

// ---------------------------------------------------------------------------------------------------
// RunInstances

TagMap Ec2Service::tags_from_specs_any(const Json& in, const std::string& resource_type) {
  TagMap tags;
  auto it = in.find("TagSpecifications");
  if (it == in.end() || !it->is_array()) return tags;
  for (const auto& spec : *it) {
    if (spec.value("ResourceType", "") != resource_type || !spec.contains("Tags")) continue;
    Json list = spec["Tags"];
    for (auto& t : list)
      if (!t.contains("Value")) t["Value"] = "";
    TagMap more = parse_tag_list(list, "InvalidParameterValue", tags);
    for (auto& [k, v] : more) tags[k] = v;
  }
  return tags;
}

Json Ec2Service::resolve_instance_profile(const RequestContext& ctx, const Json& spec) {
  std::string name = spec.value("Name", ""), arn = spec.value("Arn", "");
  if (name.empty() && !arn.empty()) {
    auto slash = arn.rfind('/');
    name = slash == std::string::npos ? arn : arn.substr(slash + 1);
  }
  if (name.empty())
    throw AwsError("InvalidParameterValue", "Value () for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", 400);
  RequestContext root{ctx.core};
  root.request_id = ctx.request_id;
  root.region = ctx.region;
  root.account_id = ctx.account_id;
  root.principal.type = "root";
  root.principal.arn = "arn:aws:iam::" + ctx.account_id + ":root";
  root.principal.account_id = ctx.account_id;
  root.principal.user_id = ctx.account_id;
  root.now = ctx.now;
  root.internal = true;
  Json prof;
  try {
    prof = core_.invoke(root, "iam", "GetInstanceProfile", {{"InstanceProfileName", name}})["InstanceProfile"];
  } catch (const AwsError& e) {
    if (!arn.empty())
      throw AwsError("InvalidParameterValue",
                     "Value (" + arn + ") for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", 400);
    throw AwsError("InvalidParameterValue",
                   "Value (" + name + ") for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name", 400);
  }
  if (!arn.empty() && prof.value("Arn", "") != arn)
    throw AwsError("InvalidParameterValue",
                   "Value (" + arn + ") for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", 400);
  return {{"Arn", prof.value("Arn", "")}, {"Id", prof.value("InstanceProfileId", "")}};
}

Json Ec2Service::run_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  double now = epoch(ctx);
  int min_count = in.value("MinCount", 1), max_count = in.value("MaxCount", 1);
  if (min_count < 1)
    throw AwsError("InvalidParameterValue", "Value (" + std::to_string(min_count) + ") for parameter minCount is invalid. Expected a positive integer.", 400);
  if (max_count < min_count)
    throw AwsError("InvalidParameterValue", "Value (" + std::to_string(max_count) + ") for parameter maxCount is invalid. Expected a value greater than or equal to minCount.", 400);
  if (min_count > kMaxInstancesPerRequest)
    throw AwsError("InstanceLimitExceeded",
                   "You have requested more instances (" + std::to_string(min_count) + ") than your current instance limit of " +
                       std::to_string(kMaxInstancesPerRequest) + " allows for the specified instance type.",
                   400);
  max_count = std::min(max_count, kMaxInstancesPerRequest);

  // Idempotency: the same ClientToken answers the reservation it made.
  std::string token = str(in, "ClientToken");
  if (!token.empty()) {
    std::string reservation;
    Json instances = Json::array();
    for (const auto& [id, inst] : r.of("i"))
      if (field_is(inst.doc, "ClientToken", token)) {
        reservation = inst.doc.value("_ReservationId", "");
        instances.push_back(instance_view(r, inst));
      }
    if (!instances.empty())
      return {{"ReservationId", reservation}, {"OwnerId", r.account}, {"Groups", Json::array()}, {"Instances", instances}};
  }

  if (has(in, "LaunchTemplate"))
    throw AwsError("InvalidParameterValue", "Launch templates are not supported by cloudbox.", 400);
  std::string image_id = str(in, "ImageId");
  if (image_id.empty()) throw AwsError("MissingParameter", "The request must contain the parameter ImageId", 400);
  Json image = image_or_throw(r, image_id);
  std::string image_arch = image.value("Architecture", "x86_64");
  std::string type = str(in, "InstanceType", image_arch == "arm64" ? "t4g.micro" : "t2.micro");
  auto type_info = instance_type_info(type);
  if (!type_info)
    throw AwsError("InvalidParameterValue", "Invalid value '" + type + "' for InstanceType.", 400);
  bool arch_ok = false;
  for (const auto& a : (*type_info)["ProcessorInfo"]["SupportedArchitectures"]) arch_ok = arch_ok || a == image_arch;
  if (!arch_ok)
    throw AwsError("InvalidParameterValue",
                   "The architecture '" + arch_list(*type_info) + "' of the specified instance type does not match the architecture '" +
                       image_arch +
                       "' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try "
                       "again. You can use 'describe-instance-types' or 'describe-images' to discover the architecture of the "
                       "instance type or AMI.",
                   400);

  std::string key_name = str(in, "KeyName");
  if (!key_name.empty() && !find_key_pair(r, key_name))
    throw AwsError("InvalidKeyPair.NotFound", "The key pair '" + key_name + "' does not exist", 400);

  // Network: NetworkInterfaces[DeviceIndex 0], or top-level SubnetId/groups, or the default subnet.
  Json ni_spec = Json::object();
  if (in.contains("NetworkInterfaces") && in["NetworkInterfaces"].is_array()) {
    for (const auto& n : in["NetworkInterfaces"])
      if (n.value("DeviceIndex", 0) == 0) ni_spec = n;
    if (in["NetworkInterfaces"].size() > 1)
      throw AwsError("InvalidParameterValue", "cloudbox instances have one network interface (DeviceIndex 0).", 400);
    if (ni_spec.contains("NetworkInterfaceId"))
      throw AwsError("InvalidParameterValue", "Launching with an existing network interface is not supported by cloudbox.", 400);
    if (has(in, "SubnetId"))
      throw AwsError("InvalidParameterCombination",
                     "Network interfaces and an instance-level subnet ID may not be specified on the same request", 400);
    if (has(in, "SecurityGroupIds") || has(in, "SecurityGroups"))
      throw AwsError("InvalidParameterCombination",
                     "Network interfaces and an instance-level security groups may not be specified on the same request", 400);
  }
  std::string subnet_id = ni_spec.contains("SubnetId") ? ni_spec.value("SubnetId", "") : str(in, "SubnetId");
  std::string zone = in.contains("Placement") ? in["Placement"].value("AvailabilityZone", "") : "";
  Res* subnet = nullptr;
  if (!subnet_id.empty()) {
    subnet = &get(r, "subnet", subnet_id);
    if (!zone.empty() && subnet->doc.value("AvailabilityZone", "") != zone)
      throw AwsError("InvalidParameterValue",
                     "Value (" + zone + ") for parameter availabilityZone is invalid. Subnet " + subnet_id + " is in availability zone " +
                         subnet->doc.value("AvailabilityZone", ""),
                     400);
  } else {
    Res* vpc = default_vpc(r);
    if (!vpc) throw AwsError("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.", 400);
    for (auto& [sid, s] : r.of("subnet"))
      if (s.doc.value("DefaultForAz", false) && field_is(s.doc, "VpcId", vpc->id) &&
          (zone.empty() || field_is(s.doc, "AvailabilityZone", zone))) {
        if (!subnet || s.doc.value("AvailabilityZone", "") < subnet->doc.value("AvailabilityZone", "")) subnet = &s;
      }
    if (!subnet) {
      if (!zone.empty())
        throw AwsError("InvalidParameterValue", "Invalid availability zone: [" + zone + "]", 400);
      throw AwsError("MissingInput", "No subnets found for the default VPC '" + vpc->id + "'. Please specify a subnet.", 400);
    }
  }
  std::string vpc_id = subnet->doc.value("VpcId", "");
  std::vector<std::string> group_ids = ni_spec.contains("Groups") ? strings(ni_spec, "Groups") : strings(in, "SecurityGroupIds");
  ensure_vpc_index(r);
  for (const auto& name : strings(in, "SecurityGroups")) {
    auto it = r.sg_by_name.find(vpc_id + "|" + name);
    if (it == r.sg_by_name.end()) {
      Res* vpc = r.find("vpc", vpc_id);
      if (vpc && vpc->doc.value("IsDefault", false))
        throw AwsError("InvalidGroup.NotFound", "The security group '" + name + "' does not exist in default VPC '" + vpc_id + "'", 400);
      throw AwsError("InvalidParameterCombination",
                     "The parameter groupName cannot be used with the parameter subnet", 400);
    }
    group_ids.push_back(it->second);
  }
  Json groups = Json::array();
  std::vector<std::string> missing;
  for (const auto& gid : group_ids) {
    check_id_form("sg", gid);
    if (!r.find("sg", gid)) missing.push_back(gid);
  }
  if (!missing.empty()) not_found("sg", missing);
  for (const auto& gid : group_ids) {
    Res& g = *r.find("sg", gid);
    if (!field_is(g.doc, "VpcId", vpc_id))
      throw AwsError("InvalidParameter", "Security group " + gid + " and subnet " + subnet->id + " belong to different networks.", 400);
    bool dup = false;
    for (const auto& x : groups) dup = dup || x["GroupId"] == gid;
    if (!dup) groups.push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
  }
  if (groups.empty()) {
    auto it = r.sg_by_name.find(vpc_id + "|default");
    if (it != r.sg_by_name.end()) groups.push_back({{"GroupId", it->second}, {"GroupName", "default"}});
  }

  std::string wanted_ip = ni_spec.contains("PrivateIpAddress") ? ni_spec.value("PrivateIpAddress", "") : str(in, "PrivateIpAddress");
  if (!wanted_ip.empty() && max_count > 1) {
    if (min_count > 1)
      throw AwsError("InvalidParameterCombination", "Cannot specify a private IP address when launching more than one instance", 400);
    max_count = 1;
  }
  bool want_public = ni_spec.contains("AssociatePublicIpAddress") ? ni_spec.value("AssociatePublicIpAddress", false)
                                                                  : subnet->doc.value("MapPublicIpOnLaunch", false);
  int64_t available = subnet->doc.value("AvailableIpAddressCount", int64_t(0));
  if (available < min_count)
    throw AwsError("InsufficientFreeAddressesInSubnet",
                   "There are not enough free addresses in subnet '" + subnet->id + "' to satisfy the requested number of instances.", 400);
  int count = int(std::min<int64_t>(max_count, available));

  // Instance profile (validated against IAM).
  Json profile;
  if (in.contains("IamInstanceProfile") && in["IamInstanceProfile"].is_object() && !in["IamInstanceProfile"].empty())
    profile = resolve_instance_profile(ctx, in["IamInstanceProfile"]);

  // Block devices: the image's, with the request's overrides and additions.
  Json devices = Json::array();
  for (const auto& m : image.value("BlockDeviceMappings", Json::array()))
    if (m.contains("Ebs")) devices.push_back(m);
  for (const auto& m : in.value("BlockDeviceMappings", Json::array())) {
    std::string dev = m.value("DeviceName", "");
    auto it = std::find_if(devices.begin(), devices.end(), [&](const Json& d) { return d.value("DeviceName", "") == dev; });
    if (m.contains("NoDevice")) {
      if (it != devices.end()) devices.erase(it);
      continue;
    }
    if (!m.contains("Ebs")) continue;
    if (it == devices.end()) {
      Json d = {{"DeviceName", dev}, {"Ebs", {{"DeleteOnTermination", true}, {"VolumeType", "gp2"}, {"VolumeSize", 8}}}};
      if (!m["Ebs"].contains("VolumeSize") && !m["Ebs"].contains("SnapshotId"))
        throw AwsError("InvalidBlockDeviceMapping", "The request must contain the parameter size or snapshotId", 400);
      devices.push_back(d);
      it = devices.end() - 1;
    }
    Json& ebs = (*it)["Ebs"];
    int snap_size = ebs.value("VolumeSize", 8);
    for (const auto& [k, v] : m["Ebs"].items()) ebs[k] = v;
    if (it->value("DeviceName", "") == image.value("RootDeviceName", "") && ebs.value("VolumeSize", 8) < snap_size)
      throw AwsError("InvalidBlockDeviceMapping",
                     "Volume of size " + std::to_string(ebs.value("VolumeSize", 8)) + "GB is smaller than snapshot '" +
                         ebs.value("SnapshotId", "") + "', expect size >= " + std::to_string(snap_size) + "GB",
                     400);
  }

  // Burstable credit option (Terraform's credit_specification); checked before anything is made.
  std::string cpu_credits = in.value("CreditSpecification", Json::object()).value("CpuCredits", std::string());
  if (!cpu_credits.empty() && cpu_credits != "standard" && cpu_credits != "unlimited")
    throw AwsError("InvalidParameterValue",
                   "Value (" + cpu_credits + ") for parameter cpuCredits is invalid. Valid values are 'standard' and 'unlimited'.", 400);

  // Metadata options.
  Json mo_in = in.value("MetadataOptions", Json::object());
  std::string tokens = mo_in.value("HttpTokens", image.value("ImdsSupport", "") == "v2.0" ? "required" : "optional");
  int hop = mo_in.value("HttpPutResponseHopLimit", image.value("ImdsSupport", "") == "v2.0" ? 2 : 1);
  if (hop < 1 || hop > 64)
    throw AwsError("InvalidParameterValue", "The HttpPutResponseHopLimit must be between 1 and 64", 400);
  Json metadata = {{"State", "applied"},
                   {"HttpTokens", tokens},
                   {"HttpPutResponseHopLimit", hop},
                   {"HttpEndpoint", mo_in.value("HttpEndpoint", "enabled")},
                   {"HttpProtocolIpv6", mo_in.value("HttpProtocolIpv6", "disabled")},
                   {"InstanceMetadataTags", mo_in.value("InstanceMetadataTags", "disabled")}};

  for (const auto& spec : in.value("TagSpecifications", Json::array())) {
    std::string t = spec.value("ResourceType", "");
    if (t != "instance" && t != "volume" && t != "network-interface")
      throw AwsError("InvalidParameterValue", "'" + t + "' is not a valid taggable resource type for this operation.", 400);
  }
  TagMap inst_tags = tags_from_specs_any(in, "instance"), vol_tags = tags_from_specs_any(in, "volume"),
         eni_tags = tags_from_specs_any(in, "network-interface");

  std::string user_data = str(in, "UserData");
  if (!user_data.empty() && !base64_decode(user_data))
    throw AwsError("InvalidParameterValue", "Invalid BASE64 encoding of user data.", 400);
  if (user_data.size() > 21848)
    throw AwsError("InvalidParameterValue", "User data is limited to 16384 bytes", 400);

  std::string reservation = "r-" + random_hex(17);
  const Json& tinfo = *type_info;
  Json out_instances = Json::array();
  for (int n = 0; n < count; ++n) {
    std::string id = new_id("i");
    // The primary network interface, with the next free (or the requested) address.
    if (!wanted_ip.empty()) allocate_ip(r, *subnet, wanted_ip);
    Res& eni = make_network_interface(r, *subnet, "interface", "", groups);
    if (!wanted_ip.empty()) {
      release_ip(r, subnet->id, eni.doc.value("PrivateIpAddress", ""));
      std::string dns = "ip-" + wanted_ip;
      std::replace(dns.begin(), dns.end(), '.', '-');
      dns += r.region == "us-east-1" ? ".ec2.internal" : "." + r.region + ".compute.internal";
      eni.doc["PrivateIpAddress"] = wanted_ip;
      eni.doc["PrivateDnsName"] = dns;
      eni.doc["PrivateIpAddresses"] = {{{"Primary", true}, {"PrivateIpAddress", wanted_ip}, {"PrivateDnsName", dns}}};
    }
    eni.doc["RequesterManaged"] = false;
    eni.doc.erase("RequesterId");
    eni.doc["SourceDestCheck"] = true;
    eni.doc["Status"] = "in-use";
    eni.doc["Description"] = ni_spec.value("Description", "");
    eni.doc["Attachment"] = {{"AttachTime", now},
                             {"AttachmentId", "eni-attach-" + random_hex(17)},
                             {"DeleteOnTermination", ni_spec.value("DeleteOnTermination", true)},
                             {"DeviceIndex", 0},
                             {"NetworkCardIndex", 0},
                             {"InstanceId", id},
                             {"InstanceOwnerId", r.account},
                             {"Status", "attached"}};
    eni.tags = eni_tags;
    std::string eni_id = eni.id;
    if (want_public) {
      eni.doc["_AutoPublic"] = true;
      set_eni_public(r, eni, random_public_ip(r), "", "");
    }
    // Volumes.
    Json vols = Json::array();
    for (const auto& d : devices) {
      const Json& ebs = d["Ebs"];
      std::string vid = new_id("vol");
      std::string vtype = ebs.value("VolumeType", "gp2");
      int size = ebs.value("VolumeSize", 8);
      bool dot = ebs.value("DeleteOnTermination", true);
      Json vdoc = {{"VolumeId", vid},
                   {"Size", size},
                   {"SnapshotId", ebs.value("SnapshotId", "")},
                   {"AvailabilityZone", subnet->doc.value("AvailabilityZone", "")},
                   {"AvailabilityZoneId", subnet->doc.value("AvailabilityZoneId", "")},
                   {"State", "in-use"},
                   {"CreateTime", now},
                   {"Attachments",
                    {{{"AttachTime", now},
                      {"Device", d.value("DeviceName", "")},
                      {"InstanceId", id},
                      {"State", "attached"},
                      {"VolumeId", vid},
                      {"DeleteOnTermination", dot}}}},
                   {"VolumeType", vtype},
                   {"Encrypted", ebs.value("Encrypted", false)},
                   {"MultiAttachEnabled", false},
                   {"_AttachTimeText", iso8601(ctx.now)}};
      if (vtype == "gp3") {
        vdoc["Iops"] = ebs.value("Iops", 3000);
        vdoc["Throughput"] = ebs.value("Throughput", 125);
      } else if (vtype == "gp2") {
        vdoc["Iops"] = std::max(100, std::min(16000, size * 3));
      } else if (vtype == "io1" || vtype == "io2") {
        vdoc["Iops"] = ebs.value("Iops", 100);
      }
      add(r, vid, vdoc, vol_tags);
      vols.push_back({{"DeviceName", d.value("DeviceName", "")}, {"VolumeId", vid}, {"DeleteOnTermination", dot}, {"AttachTime", now}});
    }
    Json vcpu = tinfo["VCpuInfo"];
    Json doc = {{"InstanceId", id},
                {"ImageId", image_id},
                {"InstanceType", type},
                {"LaunchTime", now},
                {"Placement",
                 {{"AvailabilityZone", subnet->doc.value("AvailabilityZone", "")},
                  {"AvailabilityZoneId", subnet->doc.value("AvailabilityZoneId", "")},
                  {"GroupName", ""},
                  {"Tenancy", "default"}}},
                {"Monitoring", {{"State", flag(in.value("Monitoring", Json::object()), "Enabled") ? "enabled" : "disabled"}}},
                {"SubnetId", subnet->id},
                {"VpcId", vpc_id},
                {"Architecture", image_arch},
                {"RootDeviceName", image.value("RootDeviceName", "/dev/xvda")},
                {"RootDeviceType", "ebs"},
                {"VirtualizationType", "hvm"},
                {"Hypervisor", "xen"},
                {"EbsOptimized", flag(in, "EbsOptimized")},
                {"EnaSupport", true},
                {"SourceDestCheck", true},
                {"StateTransitionReason", ""},
                {"StateReason", {{"Code", "pending"}, {"Message", "pending"}}},
                {"AmiLaunchIndex", n},
                {"ProductCodes", Json::array()},
                {"PlatformDetails", image.value("PlatformDetails", "Linux/UNIX")},
                {"UsageOperation", "RunInstances"},
                {"UsageOperationUpdateTime", now},
                {"MetadataOptions", metadata},
                {"CpuOptions", {{"CoreCount", vcpu.value("DefaultCores", 1)}, {"ThreadsPerCore", vcpu.value("DefaultThreadsPerCore", 1)}}},
                {"CapacityReservationSpecification", {{"CapacityReservationPreference", "open"}}},
                {"HibernationOptions", {{"Configured", false}}},
                {"EnclaveOptions", {{"Enabled", false}}},
                {"BootMode", image.value("BootMode", image_arch == "arm64" ? "uefi" : "legacy-bios")},
                {"CurrentInstanceBootMode", image_arch == "arm64" ? "uefi" : "legacy-bios"},
                {"PrivateDnsNameOptions",
                 {{"HostnameType", "ip-name"}, {"EnableResourceNameDnsARecord", false}, {"EnableResourceNameDnsAAAARecord", false}}},
                {"MaintenanceOptions", {{"AutoRecovery", "default"}}},
                {"_EniId", eni_id},
                {"_Volumes", vols},
                {"_ReservationId", reservation},
                {"_OwnerId", r.account},
                {"_UserData", user_data},
                {"_DisableApiTermination", flag(in, "DisableApiTermination")},
                {"_DisableApiStop", flag(in, "DisableApiStop")},
                {"_ShutdownBehavior", str(in, "InstanceInitiatedShutdownBehavior", "stop")},
                {"_Since", now}};
    doc["State"] = state_doc("pending");
    if (!key_name.empty()) doc["KeyName"] = key_name;
    if (!token.empty()) doc["ClientToken"] = token;
    if (!cpu_credits.empty()) doc["_CpuCredits"] = cpu_credits;
    if (!profile.is_null())
      doc["_IamAssoc"] = {{"AssociationId", "iip-assoc-" + random_hex(17)},
                          {"IamInstanceProfile", profile},
                          {"State", "associated"},
                          {"Timestamp", now}};
    Res& inst = add(r, id, doc, inst_tags);
    append_console(inst, "[    0.000000] Booting Linux on physical CPU 0x0 (" + image.value("Name", image_id) + ", " + type + ")");
    out_instances.push_back(instance_view(r, inst));
  }
  return {{"ReservationId", reservation}, {"OwnerId", r.account}, {"Groups", Json::array()}, {"Instances", out_instances}};
}

// ---------------------------------------------------------------------------------------------------
// Lookups and state changes

std::vector<Res*> Ec2Service::instances_or_throw(RegionState& r, const std::vector<std::string>& ids) {
  if (ids.empty()) throw AwsError("MissingParameter", "The request must contain the parameter InstanceId", 400);
  for (const auto& id : ids) check_id_form("i", id);
  std::vector<std::string> missing;
  std::vector<Res*> out;
  for (const auto& id : ids) {
    Res* inst = r.find("i", id);
    if (!inst) {
      if (std::find(missing.begin(), missing.end(), id) == missing.end()) missing.push_back(id);
    } else if (std::find(out.begin(), out.end(), inst) == out.end()) {
      out.push_back(inst);
    }
  }
  if (!missing.empty()) not_found("i", missing);
  return out;
}

Json Ec2Service::describe_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Json out = describe(ctx, in, "i", "InstanceIds", "Instances", instance_filters());
  Json reservations = Json::array();
  std::map<std::string, size_t> index;
  for (auto& d : out["Instances"]) {
    std::string rid = d.value("_ReservationId", "");
    auto it = index.find(rid);
    if (it == index.end()) {
      index[rid] = reservations.size();
      reservations.push_back({{"ReservationId", rid}, {"OwnerId", r.account}, {"Groups", Json::array()}, {"Instances", Json::array()}});
      it = index.find(rid);
    }
    reservations[it->second]["Instances"].push_back(std::move(d));
  }
  Json result = {{"Reservations", reservations}};
  if (out.contains("NextToken")) result["NextToken"] = out["NextToken"];
  return result;
}

Json Ec2Service::start_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  double now = epoch(ctx);
  auto list = instances_or_throw(r, strings(in, "InstanceIds"));
  for (Res* inst : list) {
    std::string s = state_of(*inst);
    if (s == "stopping" || s == "shutting-down" || s == "terminated")
      throw AwsError("IncorrectInstanceState", "The instance '" + inst->id + "' is not in a state from which it can be started.", 400);
  }
  Json changes = Json::array();
  for (Res* inst : list) {
    std::string prev = state_of(*inst);
    if (prev == "stopped") {
      set_instance_state(r, *inst, "pending", now);
      inst->doc["StateTransitionReason"] = "";
      inst->doc["StateReason"] = {{"Code", "pending"}, {"Message", "pending"}};
      inst->doc["LaunchTime"] = now;
      if (Res* eni = r.find("eni", inst->doc.value("_EniId", "")))
        if (eni->doc.value("_AutoPublic", false) && !eni->doc.contains("Association"))
          set_eni_public(r, *eni, random_public_ip(r), "", "");
      append_console(*inst, "[    0.000000] Booting Linux on physical CPU 0x0");
    }
    changes.push_back({{"InstanceId", inst->id}, {"PreviousState", state_doc(prev)}, {"CurrentState", inst->doc["State"]}});
  }
  return {{"StartingInstances", changes}};
}

Json Ec2Service::stop_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  double now = epoch(ctx);
  auto list = instances_or_throw(r, strings(in, "InstanceIds"));
  for (Res* inst : list) {
    std::string s = state_of(*inst);
    if (s == "shutting-down" || s == "terminated")
      throw AwsError("IncorrectInstanceState", "This instance '" + inst->id + "' is not in a state from which it can be stopped.", 400);
    if (inst->doc.value("_DisableApiStop", false))
      throw AwsError("OperationNotPermitted",
                     "The instance '" + inst->id + "' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", 400);
  }
  Json changes = Json::array();
  for (Res* inst : list) {
    std::string prev = state_of(*inst);
    if (prev == "pending" || prev == "running") stop_one(r, *inst, now, "User initiated");
    changes.push_back({{"InstanceId", inst->id}, {"PreviousState", state_doc(prev)}, {"CurrentState", inst->doc["State"]}});
  }
  return {{"StoppingInstances", changes}};
}

void Ec2Service::stop_one(RegionState& r, Res& inst, double now, const std::string& why) {
  set_instance_state(r, inst, "stopping", now);
  inst.doc["StateTransitionReason"] = why + " (" + gmt(now) + ")";
  inst.doc["StateReason"] = {{"Code", "Client.UserInitiatedShutdown"}, {"Message", "Client.UserInitiatedShutdown: User initiated shutdown"}};
  // The automatically assigned public address is released; an Elastic IP stays.
  if (Res* eni = r.find("eni", inst.doc.value("_EniId", "")))
    if (eni->doc.contains("Association") && !eni->doc["Association"].contains("AllocationId")) set_eni_public(r, *eni, "", "", "");
  append_console(inst, "[  OK  ] Reached target System Power Off.");
}

Json Ec2Service::terminate_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  double now = epoch(ctx);
  auto list = instances_or_throw(r, strings(in, "InstanceIds"));
  for (Res* inst : list)
    if (inst->doc.value("_DisableApiTermination", false) && state_of(*inst) != "terminated")
      throw AwsError("OperationNotPermitted",
                     "The instance '" + inst->id +
                         "' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.",
                     400);
  Json changes = Json::array();
  for (Res* inst : list) {
    std::string prev = state_of(*inst);
    if (prev != "terminated" && prev != "shutting-down") {
      set_instance_state(r, *inst, "shutting-down", now);
      inst->doc["StateTransitionReason"] = "User initiated (" + gmt(now) + ")";
      inst->doc["StateReason"] = {{"Code", "Client.UserInitiatedShutdown"}, {"Message", "Client.UserInitiatedShutdown: User initiated shutdown"}};
    }
    changes.push_back({{"InstanceId", inst->id}, {"PreviousState", state_doc(prev)}, {"CurrentState", inst->doc["State"]}});
  }
  return {{"TerminatingInstances", changes}};
}

Json Ec2Service::reboot_instances(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto list = instances_or_throw(r, strings(in, "InstanceIds"));
  for (Res* inst : list) {
    std::string s = state_of(*inst);
    if (s == "terminated" || s == "shutting-down")
      throw AwsError("IncorrectInstanceState", "The instance '" + inst->id + "' is not in a state from which it can be rebooted.", 400);
  }
  for (Res* inst : list) {
    append_console(*inst, "[  OK  ] Reached target Reboot.");
    touch(r, inst->id);
  }
  return Json::object();
}

Json Ec2Service::describe_instance_status(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  bool all = flag(in, "IncludeAllInstances");
  auto ids = strings(in, "InstanceIds");
  std::vector<Res*> chosen;
  if (!ids.empty()) chosen = instances_or_throw(r, ids);
  else
    for (auto& [id, inst] : r.of("i")) chosen.push_back(&inst);
  static const FilterTable table = {
      {"availability-zone", by_path("AvailabilityZone")},
      {"instance-state-code", by_path("InstanceState.Code")},
      {"instance-state-name", by_path("InstanceState.Name")},
      {"instance-status.status", by_path("InstanceStatus.Status")},
      {"instance-status.reachability", by_path("InstanceStatus.Details.Status")},
      {"system-status.status", by_path("SystemStatus.Status")},
      {"system-status.reachability", by_path("SystemStatus.Details.Status")},
      {"instance-id", by_path("InstanceId")},
  };
  auto filters = read_filters(in);
  check_filters(filters, table);
  auto page = page_request(in);
  std::vector<std::pair<std::string, Json>> docs;
  for (Res* inst : chosen) {
    std::string s = state_of(*inst);
    if (!all && s != "running") continue;
    bool up = s == "running";
    Json summary = up ? Json{{"Status", "ok"}, {"Details", {{{"Name", "reachability"}, {"Status", "passed"}}}}}
                      : Json{{"Status", "not-applicable"}};
    Json d = {{"InstanceId", inst->id},
              {"AvailabilityZone", inst->doc["Placement"].value("AvailabilityZone", "")},
              {"AvailabilityZoneId", inst->doc["Placement"].value("AvailabilityZoneId", "")},
              {"InstanceState", inst->doc["State"]},
              {"InstanceStatus", summary},
              {"SystemStatus", summary},
              {"AttachedEbsStatus", summary},
              {"Events", Json::array()}};
    if (matches(filters, table, d, inst->tags)) docs.emplace_back(inst->id, std::move(d));
  }
  auto [items, next] = paginate_ec2(docs, page, [](const auto& p) { return p.first; });
  Json list = Json::array();
  for (auto& [id, d] : items) list.push_back(std::move(d));
  Json out = {{"InstanceStatuses", list}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Attributes

Json Ec2Service::describe_instance_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  Json v = instance_view(r, inst);
  std::string attr = str(in, "Attribute");
  Json out = {{"InstanceId", inst.id}};
  auto value = [](const Json& x) { return Json{{"Value", x}}; };
  if (attr == "instanceType") out["InstanceType"] = value(v["InstanceType"]);
  else if (attr == "kernel") out["KernelId"] = Json::object();
  else if (attr == "ramdisk") out["RamdiskId"] = Json::object();
  else if (attr == "userData") {
    std::string ud = inst.doc.value("_UserData", "");
    out["UserData"] = ud.empty() ? Json::object() : value(ud);
  } else if (attr == "disableApiTermination") out["DisableApiTermination"] = value(inst.doc.value("_DisableApiTermination", false));
  else if (attr == "disableApiStop") out["DisableApiStop"] = value(inst.doc.value("_DisableApiStop", false));
  else if (attr == "instanceInitiatedShutdownBehavior")
    out["InstanceInitiatedShutdownBehavior"] = value(inst.doc.value("_ShutdownBehavior", "stop"));
  else if (attr == "rootDeviceName") out["RootDeviceName"] = value(v["RootDeviceName"]);
  else if (attr == "blockDeviceMapping") out["BlockDeviceMappings"] = v["BlockDeviceMappings"];
  else if (attr == "productCodes") out["ProductCodes"] = Json::array();
  else if (attr == "sourceDestCheck") out["SourceDestCheck"] = value(v.value("SourceDestCheck", true));
  else if (attr == "groupSet") out["Groups"] = v.value("SecurityGroups", Json::array());
  else if (attr == "ebsOptimized") out["EbsOptimized"] = value(v.value("EbsOptimized", false));
  else if (attr == "sriovNetSupport") out["SriovNetSupport"] = value("simple");
  else if (attr == "enaSupport") out["EnaSupport"] = value(v.value("EnaSupport", true));
  else if (attr == "enclaveOptions") out["EnclaveOptions"] = {{"Enabled", false}};
  else
    throw AwsError("InvalidParameterValue", "Value (" + attr + ") for parameter attribute is invalid. Unknown attribute.", 400);
  return out;
}

Json Ec2Service::modify_instance_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  std::string s = state_of(inst);
  if (s == "terminated" || s == "shutting-down")
    throw AwsError("IncorrectInstanceState", "The instance '" + inst.id + "' is not in a state from which it can be modified.", 400);
  auto attr_value = [&](const char* member, const char* legacy) -> std::optional<Json> {
    if (in.contains(member) && in[member].is_object() && in[member].contains("Value")) return in[member]["Value"];
    if (str(in, "Attribute") == legacy && in.contains("Value")) return in["Value"];
    return std::nullopt;
  };
  auto as_bool = [](const Json& v) { return v.is_boolean() ? v.get<bool>() : (v.is_string() && v.get<std::string>() == "true"); };
  if (auto v = attr_value("InstanceType", "instanceType")) {
    std::string type = v->get<std::string>();
    if (s != "stopped")
      throw AwsError("IncorrectInstanceState", "The instance '" + inst.id + "' is not in the 'stopped' state.", 400);
    auto info = instance_type_info(type);
    if (!info) throw AwsError("InvalidInstanceAttributeValue", "Value (" + type + ") for parameter instanceType is invalid.", 400);
    bool ok = false;
    for (const auto& a : (*info)["ProcessorInfo"]["SupportedArchitectures"]) ok = ok || a == inst.doc.value("Architecture", "");
    if (!ok)
      throw AwsError("InvalidInstanceAttributeValue",
                     "The instance type '" + type + "' does not support the architecture '" + inst.doc.value("Architecture", "") + "' of the instance.",
                     400);
    inst.doc["InstanceType"] = type;
    Json vcpu = (*info)["VCpuInfo"];
    inst.doc["CpuOptions"] = {{"CoreCount", vcpu.value("DefaultCores", 1)}, {"ThreadsPerCore", vcpu.value("DefaultThreadsPerCore", 1)}};
  }
  if (auto v = attr_value("UserData", "userData")) {
    if (s != "stopped")
      throw AwsError("IncorrectInstanceState", "The instance '" + inst.id + "' is not in the 'stopped' state.", 400);
    std::string raw = v->is_string() ? v->get<std::string>() : "";
    // The blob arrives decoded; keep user data as AWS returns it (base64).
    inst.doc["_UserData"] = raw.empty() ? "" : base64_encode(raw);
  }
  if (auto v = attr_value("DisableApiTermination", "disableApiTermination")) inst.doc["_DisableApiTermination"] = as_bool(*v);
  if (auto v = attr_value("DisableApiStop", "disableApiStop")) inst.doc["_DisableApiStop"] = as_bool(*v);
  if (auto v = attr_value("InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior")) {
    std::string b = v->get<std::string>();
    if (b != "stop" && b != "terminate")
      throw AwsError("InvalidParameterValue", "Value (" + b + ") for parameter instanceInitiatedShutdownBehavior is invalid.", 400);
    inst.doc["_ShutdownBehavior"] = b;
  }
  if (auto v = attr_value("EbsOptimized", "ebsOptimized")) inst.doc["EbsOptimized"] = as_bool(*v);
  if (auto v = attr_value("EnaSupport", "enaSupport")) inst.doc["EnaSupport"] = as_bool(*v);
  Res* eni = r.find("eni", inst.doc.value("_EniId", ""));
  if (auto v = attr_value("SourceDestCheck", "sourceDestCheck"); v && eni) {
    eni->doc["SourceDestCheck"] = as_bool(*v);
    touch(r, eni->id);
  }
  if (has(in, "Groups") && eni) {
    Json groups = Json::array();
    for (const auto& gid : strings(in, "Groups")) {
      Res& g = get(r, "sg", gid);
      if (!field_is(g.doc, "VpcId", eni->doc.value("VpcId", "")))
        throw AwsError("InvalidGroup.NotFound", "The security group '" + gid + "' does not exist in VPC '" + eni->doc.value("VpcId", "") + "'", 400);
      groups.push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
    }
    eni->doc["Groups"] = groups;
    touch(r, eni->id);
  }
  touch(r, inst.id);
  return Json::object();
}

Json Ec2Service::modify_instance_metadata_options(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  Json& mo = inst.doc["MetadataOptions"];
  for (const char* k : {"HttpTokens", "HttpEndpoint", "HttpProtocolIpv6", "InstanceMetadataTags"})
    if (has(in, k)) mo[k] = str(in, k);
  if (has(in, "HttpPutResponseHopLimit")) {
    int hop = in.value("HttpPutResponseHopLimit", 1);
    if (hop < 1 || hop > 64) throw AwsError("InvalidParameterValue", "The HttpPutResponseHopLimit must be between 1 and 64", 400);
    mo["HttpPutResponseHopLimit"] = hop;
  }
  mo["State"] = "applied";
  touch(r, inst.id);
  Json shown = mo;
  shown["State"] = "pending";
  return {{"InstanceId", inst.id}, {"InstanceMetadataOptions", shown}};
}

Json Ec2Service::get_console_output(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  std::string text = inst.doc.value("_Console", "");
  Json out = {{"InstanceId", inst.id}, {"Timestamp", epoch(ctx)}};
  if (!text.empty()) out["Output"] = base64_encode(text);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// IAM instance profile associations (stored on the instance)

namespace {
Json assoc_view(const Res& inst, const std::string& state_override = "") {
  const Json& a = inst.doc["_IamAssoc"];
  return {{"AssociationId", a.value("AssociationId", "")},
          {"InstanceId", inst.id},
          {"IamInstanceProfile", a.value("IamInstanceProfile", Json::object())},
          {"State", state_override.empty() ? a.value("State", "associated") : state_override},
          {"Timestamp", a.value("Timestamp", 0.0)}};
}
}  // namespace

Res& Ec2Service::instance_by_association(RegionState& r, const std::string& assoc_id) {
  for (auto& [id, inst] : r.of("i"))
    if (inst.doc.contains("_IamAssoc") && inst.doc["_IamAssoc"].value("AssociationId", "") == assoc_id &&
        inst.doc["_IamAssoc"].value("State", "") == "associated")
      return inst;
  throw AwsError("InvalidAssociationID.NotFound", "An association ID '" + assoc_id + "' does not exist", 400);
}

Json Ec2Service::associate_iam_instance_profile(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = get(r, "i", str(in, "InstanceId"));
  std::string s = state_of(inst);
  if (s == "terminated" || s == "shutting-down")
    throw AwsError("IncorrectInstanceState", "The instance '" + inst.id + "' is not in a valid state for this operation.", 400);
  if (inst.doc.contains("_IamAssoc") && inst.doc["_IamAssoc"].value("State", "") == "associated")
    throw AwsError("IncorrectState", "There is an existing association for instance " + inst.id, 400);
  Json profile = resolve_instance_profile(ctx, in.value("IamInstanceProfile", Json::object()));
  inst.doc["_IamAssoc"] = {{"AssociationId", "iip-assoc-" + random_hex(17)},
                           {"IamInstanceProfile", profile},
                           {"State", "associated"},
                           {"Timestamp", epoch(ctx)}};
  creds_.erase(inst.id);
  touch(r, inst.id);
  return {{"IamInstanceProfileAssociation", assoc_view(inst, "associating")}};
}

Json Ec2Service::replace_iam_instance_profile_association(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = instance_by_association(r, str(in, "AssociationId"));
  Json profile = resolve_instance_profile(ctx, in.value("IamInstanceProfile", Json::object()));
  inst.doc["_IamAssoc"] = {{"AssociationId", "iip-assoc-" + random_hex(17)},
                           {"IamInstanceProfile", profile},
                           {"State", "associated"},
                           {"Timestamp", epoch(ctx)}};
  creds_.erase(inst.id);
  touch(r, inst.id);
  return {{"IamInstanceProfileAssociation", assoc_view(inst, "associating")}};
}

Json Ec2Service::disassociate_iam_instance_profile(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& inst = instance_by_association(r, str(in, "AssociationId"));
  Json shown = assoc_view(inst, "disassociating");
  inst.doc.erase("_IamAssoc");
  creds_.erase(inst.id);
  touch(r, inst.id);
  return {{"IamInstanceProfileAssociation", shown}};
}

Json Ec2Service::describe_iam_instance_profile_associations(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "AssociationIds");
  for (const auto& id : ids) instance_by_association(r, id);
  static const FilterTable table = {{"instance-id", by_path("InstanceId")}, {"state", by_path("State")}};
  auto filters = read_filters(in);
  check_filters(filters, table);
  auto page = page_request(in);
  std::vector<std::pair<std::string, Json>> docs;
  for (auto& [id, inst] : r.of("i")) {
    if (!inst.doc.contains("_IamAssoc")) continue;
    if (state_of(inst) == "terminated") continue;
    Json d = assoc_view(inst);
    if (!ids.empty() && std::find(ids.begin(), ids.end(), d.value("AssociationId", "")) == ids.end()) continue;
    if (matches(filters, table, d, {})) docs.emplace_back(d.value("AssociationId", ""), std::move(d));
  }
  auto [items, next] = paginate_ec2(docs, page, [](const auto& p) { return p.first; });
  Json list = Json::array();
  for (auto& [id, d] : items) list.push_back(std::move(d));
  Json out = {{"IamInstanceProfileAssociations", list}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Volumes

Json Ec2Service::describe_volumes(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "vol", "VolumeIds", "Volumes", volume_filters());
}

// ---------------------------------------------------------------------------------------------------
// Elastic IP association

Json Ec2Service::associate_address(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res* eip = nullptr;
  if (has(in, "AllocationId")) {
    eip = &get(r, "eipalloc", str(in, "AllocationId"));
  } else if (has(in, "PublicIp")) {
    std::string ip = str(in, "PublicIp");
    for (auto& [aid, a] : r.of("eipalloc"))
      if (field_is(a.doc, "PublicIp", ip)) eip = &a;
    if (!eip) throw AwsError("InvalidAddress.NotFound", "Address '" + ip + "' not found.", 400);
  } else {
    throw AwsError("MissingParameter", "The request must contain the parameter AllocationId", 400);
  }
  Res* inst = nullptr;
  Res* eni = nullptr;
  if (has(in, "InstanceId")) {
    inst = &get(r, "i", str(in, "InstanceId"));
    std::string s = state_of(*inst);
    if (s != "running" && s != "stopped" && s != "pending" && s != "stopping")
      throw AwsError("IncorrectInstanceState", "The instance '" + inst->id + "' is not in a valid state for this operation.", 400);
    eni = r.find("eni", inst->doc.value("_EniId", ""));
    if (!eni) throw AwsError("InvalidInstanceID", "The instance '" + inst->id + "' has no network interface.", 400);
    if (has(in, "NetworkInterfaceId") && str(in, "NetworkInterfaceId") != eni->id)
      throw AwsError("InvalidParameterCombination", "You may specify an instance ID or a network interface ID, but not both.", 400);
  } else if (has(in, "NetworkInterfaceId")) {
    eni = &get(r, "eni", str(in, "NetworkInterfaceId"));
    if (eni->doc.contains("Attachment")) inst = r.find("i", eni->doc["Attachment"].value("InstanceId", ""));
  } else {
    throw AwsError("MissingParameter", "Either an instance ID or a network interface ID must be specified.", 400);
  }
  std::string private_ip = str(in, "PrivateIpAddress", eni->doc.value("PrivateIpAddress", ""));
  bool own = false;
  for (const auto& p : eni->doc["PrivateIpAddresses"]) own = own || p.value("PrivateIpAddress", "") == private_ip;
  if (!own)
    throw AwsError("InvalidParameterValue",
                   "The specified private IP address '" + private_ip + "' is not associated with the network interface '" + eni->id + "'.", 400);
  // Does the gateway of the VPC exist? AWS refuses addresses for VPCs without an internet gateway.
  bool igw = false;
  for (const auto& [gid, g] : r.of("igw"))
    for (const auto& a : g.doc["Attachments"]) igw = igw || a.value("VpcId", "") == eni->doc.value("VpcId", "");
  if (!igw)
    throw AwsError("Gateway.NotAttached", "Network " + eni->doc.value("VpcId", "") + " is not attached to any internet gateway", 400);
  if (eip->doc.contains("AssociationId")) {
    bool same = field_is(eip->doc, "NetworkInterfaceId", eni->id) && field_is(eip->doc, "PrivateIpAddress", private_ip);
    if (!same && !flag(in, "AllowReassociation"))
      throw AwsError("Resource.AlreadyAssociated",
                     "resource " + eip->id + " is already associated with associationId " + eip->doc.value("AssociationId", ""), 400);
    disassociate_eip(r, *eip, false);
  }
  // An interface address already holding another Elastic IP gives it up.
  for (auto& [aid, a] : r.of("eipalloc"))
    if (aid != eip->id && field_is(a.doc, "NetworkInterfaceId", eni->id) && field_is(a.doc, "PrivateIpAddress", private_ip))
      disassociate_eip(r, a, false);
  std::string assoc = new_id("eipassoc");
  eip->doc["AssociationId"] = assoc;
  eip->doc["NetworkInterfaceId"] = eni->id;
  eip->doc["NetworkInterfaceOwnerId"] = r.account;
  eip->doc["PrivateIpAddress"] = private_ip;
  if (inst) eip->doc["InstanceId"] = inst->id;
  else eip->doc.erase("InstanceId");
  touch(r, eip->id);
  set_eni_public(r, *eni, eip->doc.value("PublicIp", ""), eip->id, assoc);
  return {{"AssociationId", assoc}};
}

void Ec2Service::disassociate_eip(RegionState& r, Res& eip, bool give_auto_ip) {
  std::string eni_id = eip.doc.value("NetworkInterfaceId", "");
  for (const char* k : {"AssociationId", "InstanceId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress"})
    eip.doc.erase(k);
  touch(r, eip.id);
  Res* eni = r.find("eni", eni_id);
  if (!eni) return;
  if (eni->doc.contains("Association") && eni->doc["Association"].value("AllocationId", "") == eip.id) {
    set_eni_public(r, *eni, "", "", "");
    // An instance launched with a public address gets a new one while it runs.
    Res* inst = eni->doc.contains("Attachment") ? r.find("i", eni->doc["Attachment"].value("InstanceId", "")) : nullptr;
    if (give_auto_ip && inst && eni->doc.value("_AutoPublic", false) &&
        (state_of(*inst) == "running" || state_of(*inst) == "pending"))
      set_eni_public(r, *eni, random_public_ip(r), "", "");
  }
}

Json Ec2Service::disassociate_address(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc = str(in, "AssociationId");
  Res* eip = nullptr;
  if (!assoc.empty()) {
    for (auto& [aid, a] : r.of("eipalloc"))
      if (field_is(a.doc, "AssociationId", assoc)) eip = &a;
    if (!eip) throw AwsError("InvalidAssociationID.NotFound", "The association ID '" + assoc + "' does not exist", 400);
  } else if (has(in, "PublicIp")) {
    std::string ip = str(in, "PublicIp");
    for (auto& [aid, a] : r.of("eipalloc"))
      if (field_is(a.doc, "PublicIp", ip)) eip = &a;
    if (!eip) throw AwsError("InvalidAddress.NotFound", "Address '" + ip + "' not found.", 400);
    if (!eip->doc.contains("AssociationId")) return Json::object();
  } else {
    throw AwsError("MissingParameter", "The request must contain the parameter AssociationId", 400);
  }
  if (eip->doc.value("NetworkInterfaceId", "").empty() == false) {
    Res* eni = r.find("eni", eip->doc.value("NetworkInterfaceId", ""));
    if (eni && eni->doc.value("InterfaceType", "") == "nat_gateway")
      throw AwsError("InvalidIPAddress.InUse", "Address " + eip->doc.value("PublicIp", "") + " is in use by a NAT gateway.", 400);
  }
  disassociate_eip(r, *eip, true);
  return Json::object();
}

}  // namespace cloudbox::ec2

namespace cloudbox::ec2 {

// ---------------------------------------------------------------------------------------------------
// Credit specifications (burstable types; Terraform reads them) and address attributes (aws_eip reads them)

Json Ec2Service::describe_instance_credit_specifications(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "InstanceIds");
  std::vector<Res*> chosen;
  if (!ids.empty()) chosen = instances_or_throw(r, ids);
  else
    for (auto& [id, inst] : r.of("i")) chosen.push_back(&inst);
  static const FilterTable table = {{"instance-id", by_path("InstanceId")}};
  auto filters = read_filters(in);
  check_filters(filters, table);
  Json list = Json::array();
  for (Res* inst : chosen) {
    std::string type = inst->doc.value("InstanceType", "");
    auto info = instance_type_info(type);
    if (!info || !(*info).value("BurstablePerformanceSupported", false)) continue;
    if (state_of(*inst) == "terminated") continue;
    std::string credits = inst->doc.value("_CpuCredits", type.rfind("t2.", 0) == 0 ? "standard" : "unlimited");
    Json d = {{"InstanceId", inst->id}, {"CpuCredits", credits}};
    if (matches(filters, table, d, {})) list.push_back(d);
  }
  return {{"InstanceCreditSpecifications", list}};
}

Json Ec2Service::modify_instance_credit_specification(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Json ok = Json::array(), failed = Json::array();
  // A bad CpuCredits value fails the whole request (the per-instance error codes are an enum without it).
  for (const auto& spec : in.value("InstanceCreditSpecifications", Json::array())) {
    std::string credits = spec.value("CpuCredits", "");
    if (credits != "standard" && credits != "unlimited")
      throw AwsError("InvalidParameterValue",
                     "Value (" + credits + ") for parameter cpuCredits is invalid. Valid values are 'standard' and 'unlimited'.", 400);
  }
  for (const auto& spec : in.value("InstanceCreditSpecifications", Json::array())) {
    std::string id = spec.value("InstanceId", ""), credits = spec.value("CpuCredits", "");
    Res* inst = r.find("i", id);
    if (!inst) {
      failed.push_back({{"InstanceId", id},
                        {"Error", {{"Code", "InvalidInstanceID.NotFound"}, {"Message", "The instance ID '" + id + "' does not exist"}}}});
      continue;
    }
    inst->doc["_CpuCredits"] = credits;
    touch(r, id);
    ok.push_back({{"InstanceId", id}});
  }
  return {{"SuccessfulInstanceCreditSpecifications", ok}, {"UnsuccessfulInstanceCreditSpecifications", failed}};
}

Json Ec2Service::describe_addresses_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "AllocationIds");
  for (const auto& id : ids) get(r, "eipalloc", id);
  Json list = Json::array();
  for (const auto& [id, a] : r.of("eipalloc"))
    if (ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end())
      list.push_back({{"AllocationId", id}, {"PublicIp", a.doc.value("PublicIp", "")}});
  return {{"Addresses", list}};
}

}  // namespace cloudbox::ec2
