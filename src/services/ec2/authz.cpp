// How IAM sees an EC2 request under --enforce-iam, as the Service Authorization Reference lists it: the action
// ec2:<Operation>; the ARNs of the resources the request names (any member holding ids such as InstanceIds,
// VpcId, GroupId, AllocationId, Resources …, the key pair a KeyName names), plus "<type>/*" for what a
// create makes; Describe* operations act on "*". Condition keys: ec2:Region, aws:RequestTag/… and aws:TagKeys
// from TagSpecifications and Tags, and aws:ResourceTag/… (ec2:ResourceTag/…) of the one resource named.
#include <algorithm>

#include "core/core.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

// Id prefix → the resource type in EC2's ARNs.
const char* arn_type_of_prefix(std::string_view prefix) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"i", "instance"},         {"vpc", "vpc"},
      {"subnet", "subnet"},      {"sg", "security-group"},
      {"sgr", "security-group-rule"}, {"rtb", "route-table"},
      {"igw", "internet-gateway"}, {"eigw", "egress-only-internet-gateway"},
      {"eipalloc", "elastic-ip"}, {"eni", "network-interface"},
      {"acl", "network-acl"},    {"dopt", "dhcp-options"},
      {"vpce", "vpc-endpoint"},  {"nat", "natgateway"},
      {"pcx", "vpc-peering-connection"}, {"vol", "volume"},
      {"snap", "snapshot"},      {"ami", "image"},
      {"key", "key-pair"},       {"pl", "prefix-list"},
      {"lt", "launch-template"}, {"eipassoc", "elastic-ip"},
  };
  for (const auto& [p, t] : kTypes)
    if (prefix == p) return t;
  return nullptr;
}

// What a create operation makes (its "<type>/*" resource).
const char* created_type(std::string_view op) {
  static const std::pair<const char*, const char*> kCreates[] = {
      {"CreateVpc", "vpc"}, {"CreateSubnet", "subnet"}, {"CreateSecurityGroup", "security-group"},
      {"CreateRouteTable", "route-table"}, {"CreateInternetGateway", "internet-gateway"},
      {"CreateEgressOnlyInternetGateway", "egress-only-internet-gateway"}, {"AllocateAddress", "elastic-ip"},
      {"RunInstances", "instance"}, {"CreateKeyPair", "key-pair"}, {"ImportKeyPair", "key-pair"},
      {"CreateNatGateway", "natgateway"}, {"CreateVpcEndpoint", "vpc-endpoint"}, {"CreateNetworkAcl", "network-acl"},
      {"CreateVolume", "volume"}, {"CreateNetworkInterface", "network-interface"}, {"CreateDhcpOptions", "dhcp-options"},
      {"CreateVpcPeeringConnection", "vpc-peering-connection"}, {"CreateImage", "image"},
      {"CreateManagedPrefixList", "prefix-list"}, {"CreateSnapshot", "snapshot"},
  };
  for (const auto& [o, t] : kCreates)
    if (op == o) return t;
  return nullptr;
}

bool is_hex(std::string_view s) {
  if (s.size() < 8 || s.size() > 17) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::vector<AuthzTarget> Ec2Service::authz_targets(const RequestContext& ctx, const Json& in) {
  AuthzTarget t;
  t.action = "ec2:" + ctx.operation;
  t.context["ec2:Region"] = {ctx.region};
  const std::string& op = ctx.operation;
  // Describe* and Get* list or read many things; AWS supports no resource-level permissions on them.
  const bool reads_many = op.rfind("Describe", 0) == 0;
  const std::string prefix = "arn:aws:ec2:" + ctx.region + ":" + ctx.account_id + ":";

  std::vector<std::string> ids;
  auto collect = [&](const Json& v) {
    if (!v.is_string()) return;
    const std::string s = v.get<std::string>();
    auto dash = s.find('-');
    if (dash == std::string::npos || !is_hex(std::string_view(s).substr(dash + 1))) return;
    if (arn_type_of_prefix(std::string_view(s).substr(0, dash))) ids.push_back(s);
  };
  if (!reads_many) {
    for (const auto& [member, value] : in.items()) {
      if (member == "ClientToken" || member == "DryRun") continue;
      if (value.is_array())
        for (const Json& item : value) collect(item);
      else
        collect(value);
    }
  }
  for (const auto& id : ids) {
    auto dash = id.find('-');
    std::string type = arn_type_of_prefix(std::string_view(id).substr(0, dash));
    if (id.rfind("eipassoc-", 0) == 0) continue;  // an association is authorized through its address
    std::string arn = type == "image" ? "arn:aws:ec2:" + ctx.region + "::image/" + id : prefix + type + "/" + id;
    if (std::find(t.resources.begin(), t.resources.end(), arn) == t.resources.end()) t.resources.push_back(arn);
  }
  if (!reads_many && in.contains("KeyName") && in["KeyName"].is_string())
    t.resources.push_back(prefix + "key-pair/" + in["KeyName"].get<std::string>());
  if (const char* made = created_type(op)) {
    t.resources.push_back(std::string(made) == "image" ? "arn:aws:ec2:" + ctx.region + "::image/*" : prefix + made + "/*");
    if (op == "RunInstances") {
      t.resources.push_back(prefix + "network-interface/*");
      t.resources.push_back(prefix + "volume/*");
    }
  }

  // Tags the request sets.
  std::vector<std::string> keys;
  auto add_tag = [&](const Json& tag) {
    std::string k = tag.value("Key", std::string());
    keys.push_back(k);
    t.context["aws:RequestTag/" + k] = {tag.value("Value", std::string())};
  };
  if (in.contains("TagSpecifications") && in["TagSpecifications"].is_array())
    for (const Json& spec : in["TagSpecifications"])
      for (const Json& tag : spec.value("Tags", Json::array())) add_tag(tag);
  if ((op == "CreateTags" || op == "DeleteTags") && in.contains("Tags") && in["Tags"].is_array())
    for (const Json& tag : in["Tags"]) add_tag(tag);
  if (!keys.empty()) t.context["aws:TagKeys"] = keys;

  // The tags of the one existing resource named, for aws:ResourceTag/… and ec2:ResourceTag/….
  if (ids.size() == 1) {
    RegionState& r = region(ctx);
    const std::string kind = ids[0].substr(0, ids[0].find('-'));
    auto kit = r.kinds.find(kind);
    if (kit != r.kinds.end())
      if (auto it = kit->second.find(ids[0]); it != kit->second.end())
        for (const auto& [k, v] : it->second.tags) {
          t.context["aws:ResourceTag/" + k] = {v};
          t.context["ec2:ResourceTag/" + k] = {v};
        }
  }
  return {t};
}

}  // namespace cloudbox::ec2
