// EC2: registration, durable records, lookups, the generic Describe*, the region table, and the defaults
// every account+region starts with.
#include "services/ec2/service.h"

#include <algorithm>
#include <cmath>

#include "core/common/ids.h"
#include "core/core.h"
#include "services/ec2/volumes.h"

namespace cloudbox::ec2 {

// ---------------------------------------------------------------------------------------------------
// Helpers

std::string kind_of_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == std::string_view::npos) return {};
  return std::string(id.substr(0, dash));
}

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
  if (it == in.end()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_object() && it->contains("Value") && (*it)["Value"].is_boolean()) return (*it)["Value"].get<bool>();
  return fallback;
}

std::vector<std::string> strings(const Json& in, const char* member) {
  std::vector<std::string> out;
  auto it = in.find(member);
  if (it == in.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

double epoch(const RequestContext& ctx) { return std::floor(to_epoch(ctx.now)); }

std::string arn_of(const RegionState& r, const std::string& type, const std::string& id) {
  return "arn:aws:ec2:" + r.region + ":" + r.account + ":" + type + "/" + id;
}

Json bool_attr(bool v) { return {{"Value", v}}; }

namespace {
std::string fill(const char* pattern, const std::string& value) {
  std::string s = pattern;
  auto pos = s.find("%s");
  if (pos != std::string::npos) s.replace(pos, 2, value);
  return s;
}

const KindSpec kKinds[] = {
    {"vpc", "vpc", "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", "The vpc IDs '%s' do not exist",
     "InvalidVpcID.Malformed", "Tags"},
    {"subnet", "subnet", "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist",
     "The subnet IDs '%s' do not exist", "InvalidSubnetID.Malformed", "Tags"},
    {"igw", "internet-gateway", "InvalidInternetGatewayID.NotFound", "The internetGateway ID '%s' does not exist",
     "The internetGateway IDs '%s' do not exist", "InvalidInternetGatewayID.Malformed", "Tags"},
    {"rtb", "route-table", "InvalidRouteTableID.NotFound", "The routeTable ID '%s' does not exist",
     "The routeTable IDs '%s' do not exist", "InvalidRouteTableID.Malformed", "Tags"},
    {"sg", "security-group", "InvalidGroup.NotFound", "The security group '%s' does not exist",
     "The security groups '%s' do not exist", "InvalidGroupId.Malformed", "Tags"},
    {"sgr", "security-group-rule", "InvalidSecurityGroupRuleId.NotFound",
     "The security group rule ID '%s' does not exist", "The security group rule IDs '%s' do not exist",
     "InvalidSecurityGroupRuleId.Malformed", "Tags"},
    {"acl", "network-acl", "InvalidNetworkAclID.NotFound", "The networkAcl ID '%s' does not exist",
     "The networkAcl IDs '%s' do not exist", "InvalidNetworkAclID.Malformed", "Tags"},
    {"dopt", "dhcp-options", "InvalidDhcpOptionID.NotFound", "The dhcpOption ID '%s' does not exist",
     "The dhcpOption IDs '%s' do not exist", "InvalidDhcpOptionsID.Malformed", "Tags"},
    {"vpce", "vpc-endpoint", "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '%s' does not exist",
     "The Vpc Endpoint Ids '%s' do not exist", "InvalidVpcEndpointId.Malformed", "Tags"},
    {"nat", "natgateway", "NatGatewayNotFound", "NAT gateway %s was not found", "NAT gateways %s were not found",
     "InvalidNatGatewayID.Malformed", "Tags"},
    {"eipalloc", "elastic-ip", "InvalidAllocationID.NotFound", "The allocation ID '%s' does not exist",
     "The allocation IDs '%s' do not exist", "InvalidAllocationID.Malformed", "Tags"},
    {"eigw", "egress-only-internet-gateway", "InvalidEgressOnlyInternetGatewayId.NotFound",
     "The egressOnlyInternetGateway ID '%s' does not exist", "The egressOnlyInternetGateway IDs '%s' do not exist",
     "InvalidEgressOnlyInternetGatewayId.Malformed", "Tags"},
    {"pcx", "vpc-peering-connection", "InvalidVpcPeeringConnectionID.NotFound",
     "The vpcPeeringConnection ID '%s' does not exist", "The vpcPeeringConnection IDs '%s' do not exist",
     "InvalidVpcPeeringConnectionId.Malformed", "Tags"},
    {"pl", "prefix-list", "InvalidPrefixListID.NotFound", "The prefix list ID '%s' does not exist",
     "The prefix list IDs '%s' do not exist", "InvalidPrefixListID.Malformed", "Tags"},
    {"eni", "network-interface", "InvalidNetworkInterfaceID.NotFound",
     "The networkInterface ID '%s' does not exist", "The networkInterface IDs '%s' do not exist",
     "InvalidNetworkInterfaceID.Malformed", "TagSet"},
    {"i", "instance", "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist",
     "The instance IDs '%s' do not exist", "InvalidInstanceID.Malformed", "Tags"},
    {"key", "key-pair", "InvalidKeyPair.NotFound", "The key pair ID '%s' does not exist",
     "The key pair IDs '%s' do not exist", "InvalidKeyPair.Malformed", "Tags"},
    {"vol", "volume", "InvalidVolume.NotFound", "The volume '%s' does not exist.", "The volumes '%s' do not exist.",
     "InvalidVolumeID.Malformed", "Tags"},
    {"ami", "image", "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", "The image ids '[%s]' do not exist",
     "InvalidAMIID.Malformed", "Tags"},
};
}  // namespace

const KindSpec* kind_spec(std::string_view kind) {
  for (const auto& k : kKinds)
    if (kind == k.kind) return &k;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------
// Regions and zones (AWS's names; zone ids as a typical account sees them)

const std::vector<RegionInfo>& all_regions() {
  static const std::vector<RegionInfo> regions = {
      {"af-south-1", true, {{"af-south-1a", "afs1-az1"}, {"af-south-1b", "afs1-az2"}, {"af-south-1c", "afs1-az3"}}},
      {"ap-east-1", true, {{"ap-east-1a", "ape1-az1"}, {"ap-east-1b", "ape1-az2"}, {"ap-east-1c", "ape1-az3"}}},
      {"ap-northeast-1", false,
       {{"ap-northeast-1a", "apne1-az4"}, {"ap-northeast-1c", "apne1-az1"}, {"ap-northeast-1d", "apne1-az2"}}},
      {"ap-northeast-2", false,
       {{"ap-northeast-2a", "apne2-az1"}, {"ap-northeast-2b", "apne2-az2"}, {"ap-northeast-2c", "apne2-az3"},
        {"ap-northeast-2d", "apne2-az4"}}},
      {"ap-northeast-3", false,
       {{"ap-northeast-3a", "apne3-az3"}, {"ap-northeast-3b", "apne3-az1"}, {"ap-northeast-3c", "apne3-az2"}}},
      {"ap-south-1", false, {{"ap-south-1a", "aps1-az1"}, {"ap-south-1b", "aps1-az3"}, {"ap-south-1c", "aps1-az2"}}},
      {"ap-south-2", true, {{"ap-south-2a", "aps2-az1"}, {"ap-south-2b", "aps2-az2"}, {"ap-south-2c", "aps2-az3"}}},
      {"ap-southeast-1", false,
       {{"ap-southeast-1a", "apse1-az1"}, {"ap-southeast-1b", "apse1-az2"}, {"ap-southeast-1c", "apse1-az3"}}},
      {"ap-southeast-2", false,
       {{"ap-southeast-2a", "apse2-az1"}, {"ap-southeast-2b", "apse2-az3"}, {"ap-southeast-2c", "apse2-az2"}}},
      {"ap-southeast-3", true,
       {{"ap-southeast-3a", "apse3-az1"}, {"ap-southeast-3b", "apse3-az2"}, {"ap-southeast-3c", "apse3-az3"}}},
      {"ap-southeast-4", true,
       {{"ap-southeast-4a", "apse4-az1"}, {"ap-southeast-4b", "apse4-az2"}, {"ap-southeast-4c", "apse4-az3"}}},
      {"ca-central-1", false, {{"ca-central-1a", "cac1-az1"}, {"ca-central-1b", "cac1-az2"}, {"ca-central-1d", "cac1-az4"}}},
      {"eu-central-1", false, {{"eu-central-1a", "euc1-az2"}, {"eu-central-1b", "euc1-az3"}, {"eu-central-1c", "euc1-az1"}}},
      {"eu-central-2", true, {{"eu-central-2a", "euc2-az1"}, {"eu-central-2b", "euc2-az2"}, {"eu-central-2c", "euc2-az3"}}},
      {"eu-north-1", false, {{"eu-north-1a", "eun1-az1"}, {"eu-north-1b", "eun1-az2"}, {"eu-north-1c", "eun1-az3"}}},
      {"eu-south-1", true, {{"eu-south-1a", "eus1-az1"}, {"eu-south-1b", "eus1-az2"}, {"eu-south-1c", "eus1-az3"}}},
      {"eu-south-2", true, {{"eu-south-2a", "eus2-az1"}, {"eu-south-2b", "eus2-az2"}, {"eu-south-2c", "eus2-az3"}}},
      {"eu-west-1", false, {{"eu-west-1a", "euw1-az3"}, {"eu-west-1b", "euw1-az1"}, {"eu-west-1c", "euw1-az2"}}},
      {"eu-west-2", false, {{"eu-west-2a", "euw2-az2"}, {"eu-west-2b", "euw2-az3"}, {"eu-west-2c", "euw2-az1"}}},
      {"eu-west-3", false, {{"eu-west-3a", "euw3-az1"}, {"eu-west-3b", "euw3-az2"}, {"eu-west-3c", "euw3-az3"}}},
      {"me-central-1", true, {{"me-central-1a", "mec1-az1"}, {"me-central-1b", "mec1-az2"}, {"me-central-1c", "mec1-az3"}}},
      {"me-south-1", true, {{"me-south-1a", "mes1-az1"}, {"me-south-1b", "mes1-az2"}, {"me-south-1c", "mes1-az3"}}},
      {"sa-east-1", false, {{"sa-east-1a", "sae1-az1"}, {"sa-east-1b", "sae1-az2"}, {"sa-east-1c", "sae1-az3"}}},
      {"us-east-1", false,
       {{"us-east-1a", "use1-az6"}, {"us-east-1b", "use1-az1"}, {"us-east-1c", "use1-az2"}, {"us-east-1d", "use1-az4"},
        {"us-east-1e", "use1-az3"}, {"us-east-1f", "use1-az5"}}},
      {"us-east-2", false, {{"us-east-2a", "use2-az1"}, {"us-east-2b", "use2-az2"}, {"us-east-2c", "use2-az3"}}},
      {"us-west-1", false, {{"us-west-1b", "usw1-az1"}, {"us-west-1c", "usw1-az3"}}},
      {"us-west-2", false,
       {{"us-west-2a", "usw2-az2"}, {"us-west-2b", "usw2-az1"}, {"us-west-2c", "usw2-az3"}, {"us-west-2d", "usw2-az4"}}},
  };
  return regions;
}

std::vector<Zone> zones_of(const std::string& region) {
  for (const auto& r : all_regions())
    if (r.name == region) return r.zones;
  // A region cloudbox has no table for: three regular zones, named as AWS names them.
  std::string shorthand;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto dash = region.find('-', start);
    parts.push_back(region.substr(start, dash == std::string::npos ? std::string::npos : dash - start));
    if (dash == std::string::npos) break;
    start = dash + 1;
  }
  shorthand = parts.empty() ? region : parts.front();
  for (const char* c : {"north", "south", "central", "east", "west"})
    if (region.find(c) != std::string::npos) shorthand += c[0];
  shorthand += parts.back();
  return {{region + "a", shorthand + "-az1"}, {region + "b", shorthand + "-az2"}, {region + "c", shorthand + "-az3"}};
}

// ---------------------------------------------------------------------------------------------------
// Registration

void Ec2Service::register_operations(std::unordered_map<std::string, Handler>& table) {
  const std::pair<const char*, Method> ops[] = {
      {"CreateVpc", &Ec2Service::create_vpc},
      {"CreateDefaultVpc", &Ec2Service::create_default_vpc},
      {"DeleteVpc", &Ec2Service::delete_vpc},
      {"DescribeVpcs", &Ec2Service::describe_vpcs},
      {"DescribeVpcAttribute", &Ec2Service::describe_vpc_attribute},
      {"ModifyVpcAttribute", &Ec2Service::modify_vpc_attribute},
      {"ModifyVpcTenancy", &Ec2Service::modify_vpc_tenancy},
      {"AssociateVpcCidrBlock", &Ec2Service::associate_vpc_cidr_block},
      {"DisassociateVpcCidrBlock", &Ec2Service::disassociate_vpc_cidr_block},
      {"CreateDhcpOptions", &Ec2Service::create_dhcp_options},
      {"DeleteDhcpOptions", &Ec2Service::delete_dhcp_options},
      {"DescribeDhcpOptions", &Ec2Service::describe_dhcp_options},
      {"AssociateDhcpOptions", &Ec2Service::associate_dhcp_options},
      {"CreateSubnet", &Ec2Service::create_subnet},
      {"DeleteSubnet", &Ec2Service::delete_subnet},
      {"DescribeSubnets", &Ec2Service::describe_subnets},
      {"ModifySubnetAttribute", &Ec2Service::modify_subnet_attribute},
      {"AssociateSubnetCidrBlock", &Ec2Service::associate_subnet_cidr_block},
      {"DisassociateSubnetCidrBlock", &Ec2Service::disassociate_subnet_cidr_block},
      {"DescribeNetworkInterfaces", &Ec2Service::describe_network_interfaces},
      {"CreateNetworkInterface", &Ec2Service::create_network_interface},
      {"DeleteNetworkInterface", &Ec2Service::delete_network_interface_op},
      {"ModifyNetworkInterfaceAttribute", &Ec2Service::modify_network_interface_attribute},
      {"CreateInternetGateway", &Ec2Service::create_internet_gateway},
      {"DeleteInternetGateway", &Ec2Service::delete_internet_gateway},
      {"DescribeInternetGateways", &Ec2Service::describe_internet_gateways},
      {"AttachInternetGateway", &Ec2Service::attach_internet_gateway},
      {"DetachInternetGateway", &Ec2Service::detach_internet_gateway},
      {"CreateEgressOnlyInternetGateway", &Ec2Service::create_egress_only_internet_gateway},
      {"DeleteEgressOnlyInternetGateway", &Ec2Service::delete_egress_only_internet_gateway},
      {"DescribeEgressOnlyInternetGateways", &Ec2Service::describe_egress_only_internet_gateways},
      {"AllocateAddress", &Ec2Service::allocate_address},
      {"ReleaseAddress", &Ec2Service::release_address},
      {"DescribeAddresses", &Ec2Service::describe_addresses},
      {"CreateNatGateway", &Ec2Service::create_nat_gateway},
      {"DeleteNatGateway", &Ec2Service::delete_nat_gateway},
      {"DescribeNatGateways", &Ec2Service::describe_nat_gateways},
      {"CreateVpcPeeringConnection", &Ec2Service::create_vpc_peering_connection},
      {"AcceptVpcPeeringConnection", &Ec2Service::accept_vpc_peering_connection},
      {"RejectVpcPeeringConnection", &Ec2Service::reject_vpc_peering_connection},
      {"DeleteVpcPeeringConnection", &Ec2Service::delete_vpc_peering_connection},
      {"DescribeVpcPeeringConnections", &Ec2Service::describe_vpc_peering_connections},
      {"CreateRouteTable", &Ec2Service::create_route_table},
      {"DeleteRouteTable", &Ec2Service::delete_route_table},
      {"DescribeRouteTables", &Ec2Service::describe_route_tables},
      {"CreateRoute", &Ec2Service::create_route},
      {"ReplaceRoute", &Ec2Service::replace_route},
      {"DeleteRoute", &Ec2Service::delete_route},
      {"AssociateRouteTable", &Ec2Service::associate_route_table},
      {"DisassociateRouteTable", &Ec2Service::disassociate_route_table},
      {"ReplaceRouteTableAssociation", &Ec2Service::replace_route_table_association},
      {"CreateSecurityGroup", &Ec2Service::create_security_group},
      {"DeleteSecurityGroup", &Ec2Service::delete_security_group},
      {"DescribeSecurityGroups", &Ec2Service::describe_security_groups},
      {"AuthorizeSecurityGroupIngress", &Ec2Service::authorize_ingress},
      {"AuthorizeSecurityGroupEgress", &Ec2Service::authorize_egress},
      {"RevokeSecurityGroupIngress", &Ec2Service::revoke_ingress},
      {"RevokeSecurityGroupEgress", &Ec2Service::revoke_egress},
      {"DescribeSecurityGroupRules", &Ec2Service::describe_security_group_rules},
      {"ModifySecurityGroupRules", &Ec2Service::modify_security_group_rules},
      {"UpdateSecurityGroupRuleDescriptionsIngress", &Ec2Service::update_rule_descriptions_ingress},
      {"UpdateSecurityGroupRuleDescriptionsEgress", &Ec2Service::update_rule_descriptions_egress},
      {"CreateNetworkAcl", &Ec2Service::create_network_acl},
      {"DeleteNetworkAcl", &Ec2Service::delete_network_acl},
      {"DescribeNetworkAcls", &Ec2Service::describe_network_acls},
      {"CreateNetworkAclEntry", &Ec2Service::create_network_acl_entry},
      {"ReplaceNetworkAclEntry", &Ec2Service::replace_network_acl_entry},
      {"DeleteNetworkAclEntry", &Ec2Service::delete_network_acl_entry},
      {"ReplaceNetworkAclAssociation", &Ec2Service::replace_network_acl_association},
      {"CreateVpcEndpoint", &Ec2Service::create_vpc_endpoint},
      {"DeleteVpcEndpoints", &Ec2Service::delete_vpc_endpoints},
      {"DescribeVpcEndpoints", &Ec2Service::describe_vpc_endpoints},
      {"ModifyVpcEndpoint", &Ec2Service::modify_vpc_endpoint},
      {"DescribePrefixLists", &Ec2Service::describe_prefix_lists},
      {"DescribeManagedPrefixLists", &Ec2Service::describe_managed_prefix_lists},
      {"GetManagedPrefixListEntries", &Ec2Service::get_managed_prefix_list_entries},
      {"CreateManagedPrefixList", &Ec2Service::create_managed_prefix_list},
      {"ModifyManagedPrefixList", &Ec2Service::modify_managed_prefix_list},
      {"DeleteManagedPrefixList", &Ec2Service::delete_managed_prefix_list},
      {"DescribeVpcEndpointServices", &Ec2Service::describe_vpc_endpoint_services},
      {"DescribeRegions", &Ec2Service::describe_regions},
      {"DescribeAvailabilityZones", &Ec2Service::describe_availability_zones},
      {"DescribeAccountAttributes", &Ec2Service::describe_account_attributes},
      {"CreateTags", &Ec2Service::create_tags},
      {"DeleteTags", &Ec2Service::delete_tags},
      {"DescribeTags", &Ec2Service::describe_tags},
      {"CreateKeyPair", &Ec2Service::create_key_pair},
      {"ImportKeyPair", &Ec2Service::import_key_pair},
      {"DescribeKeyPairs", &Ec2Service::describe_key_pairs},
      {"DeleteKeyPair", &Ec2Service::delete_key_pair},
      {"DescribeImages", &Ec2Service::describe_images},
      {"DescribeInstanceTypes", &Ec2Service::describe_instance_types},
      {"DescribeInstanceTypeOfferings", &Ec2Service::describe_instance_type_offerings},
      {"CreateImage", &Ec2Service::create_image},
      {"DeregisterImage", &Ec2Service::deregister_image},
      {"RunInstances", &Ec2Service::run_instances},
      {"DescribeInstances", &Ec2Service::describe_instances},
      {"StartInstances", &Ec2Service::start_instances},
      {"StopInstances", &Ec2Service::stop_instances},
      {"TerminateInstances", &Ec2Service::terminate_instances},
      {"RebootInstances", &Ec2Service::reboot_instances},
      {"DescribeInstanceStatus", &Ec2Service::describe_instance_status},
      {"DescribeInstanceAttribute", &Ec2Service::describe_instance_attribute},
      {"ModifyInstanceAttribute", &Ec2Service::modify_instance_attribute},
      {"ModifyInstanceMetadataOptions", &Ec2Service::modify_instance_metadata_options},
      {"GetConsoleOutput", &Ec2Service::get_console_output},
      {"AssociateIamInstanceProfile", &Ec2Service::associate_iam_instance_profile},
      {"ReplaceIamInstanceProfileAssociation", &Ec2Service::replace_iam_instance_profile_association},
      {"DisassociateIamInstanceProfile", &Ec2Service::disassociate_iam_instance_profile},
      {"DescribeIamInstanceProfileAssociations", &Ec2Service::describe_iam_instance_profile_associations},
      {"DescribeVolumes", &Ec2Service::describe_volumes},
      {"AssociateAddress", &Ec2Service::associate_address},
      {"DisassociateAddress", &Ec2Service::disassociate_address},
      {"DescribeInstanceCreditSpecifications", &Ec2Service::describe_instance_credit_specifications},
      {"ModifyInstanceCreditSpecification", &Ec2Service::modify_instance_credit_specification},
      {"DescribeAddressesAttribute", &Ec2Service::describe_addresses_attribute},
  };
  // Every handler: time-driven states (NAT gateways, instances) are brought up to date before anything reads
  // them; metadata ports follow the instances' states; what changed is written before the answer.
  auto wrap = [this](std::function<Json(RequestContext&, const Json&)> body) {
    return [this, body](RequestContext& ctx, const Json& input) {
      RegionState& r = region(ctx);
      advance_nat_gateways(r, to_epoch(ctx.now));
      advance_instances(r, to_epoch(ctx.now));
      if (flag(input, "DryRun")) {
        flush();
        throw AwsError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
      }
      try {
        Json out = body(ctx, input);
        sync_imds();
        flush();
        return out;
      } catch (...) {
        flush();  // whatever was made before the error (defaults on first use) is kept durably
        throw;
      }
    };
  };
  for (const auto& [op, method] : ops)
    table[op] = wrap([this, method](RequestContext& ctx, const Json& input) { return (this->*method)(ctx, input); });
  // EBS volume operations (volumes.cpp).
  for (const auto& [op, fn] : volume_operations())
    table[op] = wrap([this, fn](RequestContext& ctx, const Json& input) { return fn(*this, ctx, input); });
}

// ---------------------------------------------------------------------------------------------------
// Durability

std::string Ec2Service::record_key(const RegionState& r, const std::string& id) {
  return r.account + "|" + r.region + "|" + id;
}

void Ec2Service::flush() {
  if (dirty_.empty() && dirty_meta_.empty()) return;
  if (core_.store().ephemeral()) {  // nothing is written, so nothing needs building
    dirty_.clear();
    dirty_meta_.clear();
    return;
  }
  Store::Batch batch;
  for (const auto& key : dirty_meta_) {
    auto it = regions_.find(key);
    if (it == regions_.end()) continue;
    batch.put(kNamespace, key + "|@meta",
              {{"account", it->second.account}, {"region", it->second.region}, {"defaults", it->second.defaults}});
  }
  for (const auto& [rkey, id] : dirty_) {
    auto it = regions_.find(rkey);
    if (it == regions_.end()) continue;
    RegionState& r = it->second;
    std::string key = record_key(r, id);
    Res* res = r.find(kind_of_id(id), id);
    if (!res) {
      batch.erase(kNamespace, key);
      continue;
    }
    batch.put(kNamespace, key,
              {{"account", r.account}, {"region", r.region}, {"id", res->id}, {"kind", res->kind},
               {"doc", res->doc}, {"tags", Json(res->tags)}, {"seq", res->seq}});
  }
  dirty_.clear();
  dirty_meta_.clear();
  core_.store().commit(batch);
}

void Ec2Service::load() {
  reset();
  for (auto& [key, rec] : core_.store().load(kNamespace)) {
    std::string account = rec.value("account", ""), region_name = rec.value("region", "");
    std::string rkey = account + "|" + region_name;
    RegionState& r = regions_[rkey];
    r.account = account;
    r.region = region_name;
    if (rec.contains("defaults")) {
      r.defaults = rec.value("defaults", false);
      continue;
    }
    Res res;
    res.id = rec.value("id", "");
    res.kind = rec.value("kind", "");
    res.doc = rec.value("doc", Json::object());
    if (rec.contains("tags") && rec["tags"].is_object()) res.tags = rec["tags"].get<TagMap>();
    res.seq = rec.value("seq", uint64_t(0));
    next_seq_ = std::max(next_seq_, res.seq + 1);
    std::string id = res.id, kind = res.kind;
    r.of(kind)[id] = std::move(res);
  }
}

void Ec2Service::reset() {
  if (ListenerHost* host = core_.listener_host())
    for (const auto& [id, port] : imds_ports_) {
      try {
        host->close(port);
      } catch (...) {
      }
    }
  imds_ports_.clear();
  imds_tokens_.clear();
  creds_.clear();
  regions_.clear();
  dirty_.clear();
  dirty_meta_.clear();
  next_seq_ = 1;
}

void Ec2Service::tick(TimePoint now) {
  double t = to_epoch(now);
  for (auto& [key, r] : regions_) {
    advance_nat_gateways(r, t);
    advance_instances(r, t);
  }
  sync_imds();
  flush();
}

Json Ec2Service::health() const {
  size_t n = 0;
  for (const auto& [key, r] : regions_)
    for (const auto& [kind, m] : r.kinds) n += m.size();
  return {{"regions", regions_.size()}, {"resources", n}};
}

// ---------------------------------------------------------------------------------------------------
// Resources

RegionState& Ec2Service::region(const RequestContext& ctx) { return region(ctx.account_id, ctx.region); }

RegionState& Ec2Service::region(const std::string& account, const std::string& region_name) {
  std::string key = account + "|" + region_name;
  auto it = regions_.find(key);
  if (it == regions_.end()) {
    it = regions_.emplace(key, RegionState{}).first;
    it->second.account = account;
    it->second.region = region_name;
  }
  if (!it->second.defaults) {
    it->second.defaults = true;
    dirty_meta_.insert(key);
    make_defaults(it->second);
  }
  return it->second;
}

Res& Ec2Service::add(RegionState& r, const std::string& id, Json doc, TagMap tags) {
  Res res;
  res.id = id;
  res.kind = kind_of_id(id);
  res.doc = std::move(doc);
  res.tags = std::move(tags);
  res.seq = next_seq_++;
  Res& slot = r.of(res.kind)[id];
  slot = std::move(res);
  touch(r, id);
  r.tag_index_stale = true;
  if (!r.vpc_index_stale) {
    if (slot.kind == "subnet") r.subnets_by_vpc[slot.doc.value("VpcId", "")].push_back(id);
    if (slot.kind == "sg") r.sg_by_name[slot.doc.value("VpcId", "") + "|" + slot.doc.value("GroupName", "")] = id;
  }
  return slot;
}

void Ec2Service::touch(RegionState& r, const std::string& id) { dirty_.insert({r.account + "|" + r.region, id}); }

void Ec2Service::drop(RegionState& r, const std::string& id) {
  std::string kind = kind_of_id(id);
  r.of(kind).erase(id);
  r.tag_index_stale = true;
  if (kind == "subnet" || kind == "sg") r.vpc_index_stale = true;
  touch(r, id);
}

void Ec2Service::check_id_form(const std::string& kind, const std::string& id) {
  const KindSpec* spec = kind_spec(kind);
  bool ok = id.size() > kind.size() + 1 && id.compare(0, kind.size() + 1, kind + "-") == 0;
  if (ok)
    for (size_t i = kind.size() + 1; i < id.size(); ++i)
      if (!std::isxdigit(static_cast<unsigned char>(id[i]))) ok = false;
  if (!ok)
    throw AwsError(spec ? spec->malformed_code : "InvalidID",
                   "Invalid id: \"" + id + "\" (expecting \"" + kind + "-...\")", 400);
}

void Ec2Service::not_found(const std::string& kind, const std::vector<std::string>& ids) {
  const KindSpec* spec = kind_spec(kind);
  std::string joined;
  for (const auto& id : ids) joined += (joined.empty() ? "" : ", ") + id;
  if (!spec) throw AwsError("InvalidID", "The ID '" + joined + "' is not valid", 400);
  throw AwsError(spec->nf_code, fill(ids.size() == 1 ? spec->nf_one : spec->nf_many, joined), 400);
}

void Ec2Service::ensure_vpc_index(RegionState& r) {
  if (!r.vpc_index_stale) return;
  r.subnets_by_vpc.clear();
  r.sg_by_name.clear();
  for (const auto& [id, s] : r.of("subnet")) r.subnets_by_vpc[s.doc.value("VpcId", "")].push_back(id);
  for (const auto& [id, g] : r.of("sg")) r.sg_by_name[g.doc.value("VpcId", "") + "|" + g.doc.value("GroupName", "")] = id;
  r.vpc_index_stale = false;
}

Res& Ec2Service::get(RegionState& r, const std::string& kind, const std::string& id) {
  check_id_form(kind, id);
  Res* res = r.find(kind, id);
  if (!res) not_found(kind, {id});
  return *res;
}

Json Ec2Service::render(const RegionState& r, const Res& res) const {
  Json d = res.kind == "sg" ? sg_view(r, res) : res.kind == "i" ? instance_view(r, res) : res.doc;
  const KindSpec* spec = kind_spec(res.kind);
  if (!res.tags.empty()) d[spec ? spec->tags_member : "Tags"] = tag_list_json(res.tags);
  return d;
}

TagMap Ec2Service::tags_from_specs(const Json& in, const std::string& resource_type) {
  TagMap tags;
  auto it = in.find("TagSpecifications");
  if (it == in.end() || !it->is_array()) return tags;
  for (const auto& spec : *it) {
    std::string type = spec.value("ResourceType", "");
    if (type != resource_type)
      throw AwsError("InvalidParameterValue",
                     "'" + type + "' is not a valid taggable resource type for this operation.", 400);
    if (spec.contains("Tags")) {
      Json list = spec["Tags"];
      for (auto& t : list)
        if (!t.contains("Value")) t["Value"] = "";
      TagMap more = parse_tag_list(list, "InvalidParameterValue", tags);
      for (auto& [k, v] : more) tags[k] = v;
    }
  }
  return tags;
}

std::string Ec2Service::new_id(const std::string& prefix) const { return prefix + "-" + random_hex(17); }

std::optional<std::set<std::string>> Ec2Service::tag_candidates(RegionState& r, const std::string& kind,
                                                               const std::vector<Filter>& filters) {
  // The first tag:K filter whose values are all literal (no wildcards) narrows the candidates.
  const Filter* pick = nullptr;
  for (const auto& f : filters) {
    if (f.name.rfind("tag:", 0) != 0 || f.values.empty()) continue;
    bool literal = true;
    for (const auto& v : f.values) literal = literal && v.find_first_of("*?\\") == std::string::npos;
    if (literal) {
      pick = &f;
      break;
    }
  }
  if (!pick) return std::nullopt;
  if (r.tag_index_stale) {
    r.tag_index.clear();
    for (const auto& [k, m] : r.kinds)
      for (const auto& [id, res] : m)
        for (const auto& [tk, tv] : res.tags) r.tag_index[tk][tv].push_back(id);
    r.tag_index_stale = false;
  }
  std::set<std::string> out;
  auto kit = r.tag_index.find(pick->name.substr(4));
  if (kit == r.tag_index.end()) return out;
  std::string prefix = kind + "-";
  for (const auto& v : pick->values)
    if (auto vit = kit->second.find(v); vit != kit->second.end())
      for (const auto& id : vit->second)
        if (id.compare(0, prefix.size(), prefix) == 0) out.insert(id);
  return out;
}

Json Ec2Service::describe(RequestContext& ctx, const Json& in, const std::string& kind, const char* ids_member,
                          const char* out_member, const FilterTable& table, const char* filter_member,
                          const std::function<bool(const Res&)>& include) {
  RegionState& r = region(ctx);
  auto filters = read_filters(in, filter_member);
  check_filters(filters, table);
  auto page = page_request(in);
  auto& all = r.of(kind);
  std::vector<const Res*> chosen;
  std::vector<std::string> ids = ids_member ? strings(in, ids_member) : std::vector<std::string>{};
  if (!ids.empty()) {
    std::set<std::string> uniq(ids.begin(), ids.end());
    std::vector<std::string> missing;
    for (const auto& id : uniq) check_id_form(kind, id);
    for (const auto& id : ids) {
      auto it = all.find(id);
      if (it == all.end() || (include && !include(it->second))) {
        if (std::find(missing.begin(), missing.end(), id) == missing.end()) missing.push_back(id);
      }
    }
    if (!missing.empty()) not_found(kind, missing);
    for (const auto& id : uniq) chosen.push_back(&all.at(id));
  } else if (auto candidates = tag_candidates(r, kind, filters)) {
    for (const auto& id : *candidates)
      if (auto it = all.find(id); it != all.end() && (!include || include(it->second))) chosen.push_back(&it->second);
  } else {
    for (const auto& [id, res] : all)
      if (!include || include(res)) chosen.push_back(&res);
  }
  // Tag filters are checked on the tag map first, so a tag-filtered Describe* renders only what matches.
  std::vector<Filter> tag_filters, field_filters;
  for (auto& f : filters)
    (f.name.rfind("tag:", 0) == 0 || f.name == "tag-key" || f.name == "tag-value" ? tag_filters : field_filters)
        .push_back(f);
  static const Json kEmpty = Json::object();
  std::vector<std::pair<std::string, Json>> docs;
  for (const Res* res : chosen) {
    if (!tag_filters.empty() && !matches(tag_filters, table, kEmpty, res->tags)) continue;
    Json d = render(r, *res);
    if (field_filters.empty() || matches(field_filters, table, d, res->tags)) docs.emplace_back(res->id, std::move(d));
  }
  auto [items, next] = paginate_ec2(docs, page, [](const auto& p) { return p.first; });
  Json list = Json::array();
  for (auto& [id, d] : items) list.push_back(std::move(d));
  Json out = {{out_member, std::move(list)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Defaults

std::string Ec2Service::default_dhcp_options(RegionState& r) {
  for (auto& [id, res] : r.of("dopt"))
    if (res.doc.value("_Default", false)) return id;
  std::string domain = r.region == "us-east-1" ? "ec2.internal" : r.region + ".compute.internal";
  Json doc = {{"DhcpOptionsId", ""},
              {"OwnerId", r.account},
              {"DhcpConfigurations",
               {{{"Key", "domain-name"}, {"Values", {{{"Value", domain}}}}},
                {{"Key", "domain-name-servers"}, {"Values", {{{"Value", "AmazonProvidedDNS"}}}}}}},
              {"_Default", true}};
  std::string id = new_id("dopt");
  doc["DhcpOptionsId"] = id;
  add(r, id, doc);
  return id;
}

Res* Ec2Service::default_vpc(RegionState& r) {
  for (auto& [id, res] : r.of("vpc"))
    if (res.doc.value("IsDefault", false)) return &res;
  return nullptr;
}

void Ec2Service::make_defaults(RegionState& r) {
  default_dhcp_options(r);
  Res& vpc = make_vpc(r, "172.31.0.0/16", true, "default", {}, false);
  std::string vpc_id = vpc.id;
  // One default subnet per zone: 172.31.0.0/20, 172.31.16.0/20, …
  auto zones = zones_of(r.region);
  for (size_t i = 0; i < zones.size() && i < 16; ++i) {
    std::string cidr = "172.31." + std::to_string(i * 16) + ".0/20";
    Res& subnet = make_subnet(r, *r.find("vpc", vpc_id), cidr, zones[i], true, {});
    subnet.doc["MapPublicIpOnLaunch"] = true;
  }
  std::string igw = new_id("igw");
  add(r, igw,
      {{"InternetGatewayId", igw},
       {"OwnerId", r.account},
       {"Attachments", {{{"State", "available"}, {"VpcId", vpc_id}}}}});
  for (auto& [id, rt] : r.of("rtb")) {
    if (rt.doc.value("VpcId", "") != vpc_id) continue;
    rt.doc["Routes"].push_back({{"DestinationCidrBlock", "0.0.0.0/0"},
                                {"GatewayId", igw},
                                {"Origin", "CreateRoute"},
                                {"State", "active"}});
    touch(r, id);
  }
}

CLOUDBOX_REGISTER_SERVICE(Ec2Service);

}  // namespace cloudbox::ec2
