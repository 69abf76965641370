// VPCs: CIDR blocks (primary, secondary, Amazon-provided IPv6), DNS attributes, tenancy, deletion rules,
// and DHCP options sets.
#include <algorithm>

#include "core/common/ids.h"
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& vpc_filters() {
  static const FilterTable t = {
      {"cidr", by_path("CidrBlock")},
      {"cidr-block-association.cidr-block", by_path("CidrBlockAssociationSet.CidrBlock")},
      {"cidr-block-association.association-id", by_path("CidrBlockAssociationSet.AssociationId")},
      {"cidr-block-association.state", by_path("CidrBlockAssociationSet.CidrBlockState.State")},
      {"dhcp-options-id", by_path("DhcpOptionsId")},
      {"ipv6-cidr-block-association.ipv6-cidr-block", by_path("Ipv6CidrBlockAssociationSet.Ipv6CidrBlock")},
      {"ipv6-cidr-block-association.ipv6-pool", by_path("Ipv6CidrBlockAssociationSet.Ipv6Pool")},
      {"ipv6-cidr-block-association.association-id", by_path("Ipv6CidrBlockAssociationSet.AssociationId")},
      {"ipv6-cidr-block-association.state", by_path("Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State")},
      {"is-default", by_path("IsDefault")},
      {"owner-id", by_path("OwnerId")},
      {"state", by_path("State")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

const FilterTable& dhcp_filters() {
  static const FilterTable t = {
      {"dhcp-options-id", by_path("DhcpOptionsId")},
      {"key", by_path("DhcpConfigurations.Key")},
      {"value", by_path("DhcpConfigurations.Values.Value")},
      {"owner-id", by_path("OwnerId")},
  };
  return t;
}

// A VPC-sized IPv4 block: well-formed, a network address, /16 to /28.
Ipv4Cidr vpc_block(const std::string& text, const char* param = "cidrBlock") {
  auto c = Ipv4Cidr::parse(text);
  if (!c || !c->canonical())
    throw AwsError("InvalidParameterValue",
                   "Value (" + text + ") for parameter " + param + " is invalid. This is not a valid CIDR block.", 400);
  if (c->prefix < 16 || c->prefix > 28) throw AwsError("InvalidVpc.Range", "The CIDR '" + text + "' is invalid.", 400);
  return *c;
}

std::string amazon_ipv6_block() {
  // Amazon's pools hand out /56 blocks from 2600:1f00::/24-style ranges.
  std::string h = random_hex(6);
  std::string text = "2600:1f1" + h.substr(0, 1) + ":" + h.substr(1, 3) + ":" + h.substr(4, 2) + "00::/56";
  return Ipv6Cidr::parse(text)->str();  // canonical form (no leading zeros)
}

}  // namespace

Res& Ec2Service::make_vpc(RegionState& r, const std::string& cidr, bool is_default, const std::string& tenancy,
                          TagMap tags, bool ipv6) {
  std::string id = new_id("vpc");
  Json doc = {{"VpcId", id},
              {"OwnerId", r.account},
              {"InstanceTenancy", tenancy},
              {"CidrBlock", cidr},
              {"CidrBlockAssociationSet",
               {{{"AssociationId", new_id("vpc-cidr-assoc")}, {"CidrBlock", cidr}, {"CidrBlockState", {{"State", "associated"}}}}}},
              {"IsDefault", is_default},
              {"State", "available"},
              {"DhcpOptionsId", default_dhcp_options(r)},
              {"BlockPublicAccessStates", {{"InternetGatewayBlockMode", "off"}}},
              {"_EnableDnsSupport", true},
              {"_EnableDnsHostnames", is_default},
              {"_EnableNetworkAddressUsageMetrics", false}};
  std::string v6;
  if (ipv6) {
    v6 = amazon_ipv6_block();
    doc["Ipv6CidrBlockAssociationSet"] = {{{"AssociationId", new_id("vpc-cidr-assoc")},
                                           {"Ipv6CidrBlock", v6},
                                           {"Ipv6CidrBlockState", {{"State", "associated"}}},
                                           {"NetworkBorderGroup", r.region},
                                           {"Ipv6Pool", "Amazon"},
                                           {"Ipv6AddressAttribute", "public"},
                                           {"IpSource", "amazon"}}};
  }
  add(r, id, doc, std::move(tags));
  make_route_table(r, id, true, {});
  make_security_group(r, id, "default", "default VPC security group", true, {});
  make_network_acl(r, id, true, {});
  return *r.find("vpc", id);
}

Json Ec2Service::create_vpc(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string cidr = str(in, "CidrBlock");
  if (cidr.empty() && !has(in, "Ipv4IpamPoolId"))
    throw AwsError("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.", 400);
  if (has(in, "Ipv4IpamPoolId"))
    throw AwsError("InvalidParameterValue", "IPAM pools are not supported by cloudbox.", 400);
  Ipv4Cidr block = vpc_block(cidr);
  std::string tenancy = str(in, "InstanceTenancy", "default");
  if (tenancy == "host")
    throw AwsError("InvalidParameterValue", "The tenancy value host is not supported for VPCs.", 400);
  TagMap tags = tags_from_specs(in, "vpc");
  bool ipv6 = flag(in, "AmazonProvidedIpv6CidrBlock");
  Res& vpc = make_vpc(r, block.str(), false, tenancy, std::move(tags), ipv6);
  if (ipv6) add_local_routes(r, vpc.id, vpc.doc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"], true);
  Json out = render(r, vpc);
  out["State"] = "pending";  // AWS answers pending; the VPC is available at once
  if (ipv6) out["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlockState"]["State"] = "associating";
  return {{"Vpc", out}};
}

Json Ec2Service::create_default_vpc(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  if (default_vpc(r))
    throw AwsError("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.", 400);
  // Rebuild the default VPC with its subnets and gateway (the region's defaults routine does exactly that).
  make_defaults(r);
  return {{"Vpc", render(r, *default_vpc(r))}};
}

Json Ec2Service::delete_vpc(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcId");
  get(r, "vpc", id);
  auto in_vpc = [&](const Res& res) { return res.doc.value("VpcId", "") == id; };
  bool blocked = false;
  for (const auto& [sid, s] : r.of("subnet")) blocked = blocked || in_vpc(s);
  for (const auto& [gid, g] : r.of("igw"))
    for (const auto& a : g.doc.value("Attachments", Json::array())) blocked = blocked || a.value("VpcId", "") == id;
  for (const auto& [gid, g] : r.of("sg")) blocked = blocked || (in_vpc(g) && !g.doc.value("_Default", false));
  for (const auto& [tid, t] : r.of("rtb")) blocked = blocked || (in_vpc(t) && !t.doc.value("_Main", false));
  for (const auto& [aid, a] : r.of("acl")) blocked = blocked || (in_vpc(a) && !a.doc.value("IsDefault", false));
  for (const auto& [eid, e] : r.of("vpce")) blocked = blocked || in_vpc(e);
  for (const auto& [gid, g] : r.of("eigw"))
    for (const auto& a : g.doc.value("Attachments", Json::array())) blocked = blocked || a.value("VpcId", "") == id;
  for (const auto& [nid, n] : r.of("nat")) blocked = blocked || (in_vpc(n) && n.doc.value("State", "") != "deleted" &&
                                                                   n.doc.value("State", "") != "failed");
  for (const auto& [nid, n] : r.of("eni")) blocked = blocked || in_vpc(n);
  if (blocked)
    throw AwsError("DependencyViolation", "The vpc '" + id + "' has dependencies and cannot be deleted.", 400);
  // The VPC's own main route table, default security group and default network ACL go with it.
  std::vector<std::string> gone;
  for (auto& [gid, g] : r.of("sg"))
    if (in_vpc(g)) {
      delete_security_group_rules(r, g);
      gone.push_back(gid);
    }
  for (const auto& [tid, t] : r.of("rtb"))
    if (in_vpc(t)) gone.push_back(tid);
  for (const auto& [aid, a] : r.of("acl"))
    if (in_vpc(a)) gone.push_back(aid);
  for (const auto& g : gone) drop(r, g);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_vpcs(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "vpc", "VpcIds", "Vpcs", vpc_filters());
}

Json Ec2Service::describe_vpc_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", id);
  std::string attr = str(in, "Attribute");
  Json out = {{"VpcId", id}};
  if (attr == "enableDnsSupport") out["EnableDnsSupport"] = bool_attr(vpc.doc.value("_EnableDnsSupport", true));
  else if (attr == "enableDnsHostnames") out["EnableDnsHostnames"] = bool_attr(vpc.doc.value("_EnableDnsHostnames", false));
  else if (attr == "enableNetworkAddressUsageMetrics")
    out["EnableNetworkAddressUsageMetrics"] = bool_attr(vpc.doc.value("_EnableNetworkAddressUsageMetrics", false));
  else
    throw AwsError("InvalidParameterValue", "Value (" + attr + ") for parameter attribute is invalid. Unknown attribute.",
                   400);
  return out;
}

Json Ec2Service::modify_vpc_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", id);
  int n = has(in, "EnableDnsSupport") + has(in, "EnableDnsHostnames") + has(in, "EnableNetworkAddressUsageMetrics");
  if (n == 0) throw AwsError("MissingParameter", "The request must contain the parameter attribute", 400);
  if (n > 1)
    throw AwsError("InvalidParameterCombination",
                   "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames", 400);
  if (has(in, "EnableDnsHostnames")) {
    bool v = flag(in, "EnableDnsHostnames");
    if (v && !vpc.doc.value("_EnableDnsSupport", true))
      throw AwsError("InvalidParameterValue",
                     "Cannot enable DNS hostnames when DNS support is disabled for the VPC (" + id + ").", 400);
    vpc.doc["_EnableDnsHostnames"] = v;
  }
  if (has(in, "EnableDnsSupport")) vpc.doc["_EnableDnsSupport"] = flag(in, "EnableDnsSupport");
  if (has(in, "EnableNetworkAddressUsageMetrics"))
    vpc.doc["_EnableNetworkAddressUsageMetrics"] = flag(in, "EnableNetworkAddressUsageMetrics");
  touch(r, id);
  return Json::object();
}

Json Ec2Service::modify_vpc_tenancy(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", id);
  // The model allows only "default": a dedicated VPC can be changed to default tenancy, not back.
  vpc.doc["InstanceTenancy"] = str(in, "InstanceTenancy", "default");
  touch(r, id);
  return {{"ReturnValue", true}};
}

Json Ec2Service::associate_vpc_cidr_block(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", id);
  Json out = {{"VpcId", id}};
  if (flag(in, "AmazonProvidedIpv6CidrBlock")) {
    if (!vpc.doc.value("Ipv6CidrBlockAssociationSet", Json::array()).empty())
      throw AwsError("CidrLimitExceeded", "This network '" + id + "' has met its maximum number of allowed CIDRs: 1", 400);
    std::string v6 = amazon_ipv6_block();
    Json assoc = {{"AssociationId", new_id("vpc-cidr-assoc")},
                  {"Ipv6CidrBlock", v6},
                  {"Ipv6CidrBlockState", {{"State", "associated"}}},
                  {"NetworkBorderGroup", r.region},
                  {"Ipv6Pool", "Amazon"},
                  {"Ipv6AddressAttribute", "public"},
                  {"IpSource", "amazon"}};
    vpc.doc["Ipv6CidrBlockAssociationSet"] = Json::array({assoc});
    touch(r, id);
    add_local_routes(r, id, v6, true);
    assoc["Ipv6CidrBlockState"]["State"] = "associating";
    out["Ipv6CidrBlockAssociation"] = assoc;
    return out;
  }
  std::string cidr = str(in, "CidrBlock");
  if (cidr.empty()) throw AwsError("MissingParameter", "The request must contain the parameter cidrBlock", 400);
  Ipv4Cidr block = vpc_block(cidr);
  auto& set = vpc.doc["CidrBlockAssociationSet"];
  if (set.size() >= 5)
    throw AwsError("CidrLimitExceeded", "This network '" + id + "' has met its maximum number of allowed CIDRs: 5", 400);
  for (const auto& a : set) {
    auto other = Ipv4Cidr::parse(a.value("CidrBlock", ""));
    if (other && other->overlaps(block))
      throw AwsError("InvalidVpc.Range", "The CIDR '" + cidr + "' is invalid.", 400);
  }
  Json assoc = {{"AssociationId", new_id("vpc-cidr-assoc")}, {"CidrBlock", block.str()}, {"CidrBlockState", {{"State", "associated"}}}};
  set.push_back(assoc);
  touch(r, id);
  add_local_routes(r, id, block.str(), false);
  assoc["CidrBlockState"]["State"] = "associating";
  out["CidrBlockAssociation"] = assoc;
  return out;
}

Json Ec2Service::disassociate_vpc_cidr_block(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc_id = str(in, "AssociationId");
  for (auto& [id, vpc] : r.of("vpc")) {
    for (const char* set_name : {"CidrBlockAssociationSet", "Ipv6CidrBlockAssociationSet"}) {
      if (!vpc.doc.contains(set_name)) continue;
      auto& set = vpc.doc[set_name];
      for (size_t i = 0; i < set.size(); ++i) {
        if (set[i].value("AssociationId", "") != assoc_id) continue;
        bool v6 = std::string(set_name) == "Ipv6CidrBlockAssociationSet";
        std::string cidr = set[i].value(v6 ? "Ipv6CidrBlock" : "CidrBlock", "");
        if (!v6 && cidr == vpc.doc.value("CidrBlock", ""))
          throw AwsError("OperationNotPermitted",
                         "The vpc " + id + " primary cidr " + cidr + " cannot be disassociated.", 400);
        // Subnets still inside the block keep it.
        for (const auto& [sid, s] : r.of("subnet")) {
          if (s.doc.value("VpcId", "") != id) continue;
          bool inside = false;
          if (v6) {
            auto b = Ipv6Cidr::parse(cidr);
            for (const auto& a : s.doc.value("Ipv6CidrBlockAssociationSet", Json::array())) {
              auto sc = Ipv6Cidr::parse(a.value("Ipv6CidrBlock", ""));
              inside = inside || (b && sc && b->contains(*sc));
            }
          } else {
            auto b = Ipv4Cidr::parse(cidr);
            auto sc = Ipv4Cidr::parse(s.doc.value("CidrBlock", ""));
            inside = b && sc && b->contains(*sc);
          }
          if (inside)
            throw AwsError("InvalidCidrBlock.InUse",
                           "The vpc " + id + " currently has a subnet within CIDR block " + cidr, 400);
        }
        Json gone = set[i];
        set.erase(set.begin() + long(i));
        if (set.empty() && v6) vpc.doc.erase(set_name);
        touch(r, id);
        remove_routes_to(r, v6 ? "DestinationIpv6CidrBlock" : "DestinationCidrBlock", cidr);
        gone[v6 ? "Ipv6CidrBlockState" : "CidrBlockState"]["State"] = "disassociating";
        return {{"VpcId", id}, {v6 ? "Ipv6CidrBlockAssociation" : "CidrBlockAssociation", gone}};
      }
    }
  }
  throw AwsError("InvalidVpcCidrBlockAssociationID.NotFound",
                 "The vpc CIDR block association ID '" + assoc_id + "' does not exist", 400);
}

// ---------------------------------------------------------------------------------------------------
// DHCP options

Json Ec2Service::create_dhcp_options(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  static const std::set<std::string> kKeys = {"domain-name",  "domain-name-servers", "ntp-servers",
                                              "netbios-name-servers", "netbios-node-type",
                                              "ipv6-address-preferred-lease-time"};
  Json configs = Json::array();
  for (const auto& c : in.value("DhcpConfigurations", Json::array())) {
    std::string key = c.value("Key", "");
    if (!kKeys.count(key))
      throw AwsError("InvalidParameterValue", "Value (" + key + ") for parameter name is invalid. Unknown DHCP option", 400);
    Json values = Json::array();
    for (const auto& v : c.value("Values", Json::array())) values.push_back({{"Value", v}});
    configs.push_back({{"Key", key}, {"Values", values}});
  }
  if (configs.empty()) throw AwsError("MissingParameter", "The request must contain the parameter dhcpConfiguration", 400);
  TagMap tags = tags_from_specs(in, "dhcp-options");
  std::string id = new_id("dopt");
  Res& res = add(r, id, {{"DhcpOptionsId", id}, {"OwnerId", r.account}, {"DhcpConfigurations", configs}}, std::move(tags));
  return {{"DhcpOptions", render(r, res)}};
}

Json Ec2Service::delete_dhcp_options(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "DhcpOptionsId");
  get(r, "dopt", id);
  for (const auto& [vid, v] : r.of("vpc"))
    if (v.doc.value("DhcpOptionsId", "") == id)
      throw AwsError("DependencyViolation", "The dhcpOptions '" + id + "' has dependencies and cannot be deleted.", 400);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_dhcp_options(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "dopt", "DhcpOptionsIds", "DhcpOptions", dhcp_filters());
}

Json Ec2Service::associate_dhcp_options(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "DhcpOptionsId");
  Res& vpc = get(r, "vpc", str(in, "VpcId"));
  if (id != "default") get(r, "dopt", id);
  vpc.doc["DhcpOptionsId"] = id;
  touch(r, vpc.id);
  return Json::object();
}

}  // namespace cloudbox::ec2
