// Subnets: CIDR inside the VPC without overlap, zones by name or id, attributes, private address
// allocation (five reserved addresses per subnet), and the network interfaces other resources create.
#include <algorithm>

#include "core/common/ids.h"
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& subnet_filters() {
  static const FilterTable t = {
      {"availability-zone", by_path("AvailabilityZone")},
      {"availabilityZone", by_path("AvailabilityZone")},
      {"availability-zone-id", by_path("AvailabilityZoneId")},
      {"availabilityZoneId", by_path("AvailabilityZoneId")},
      {"available-ip-address-count", by_path("AvailableIpAddressCount")},
      {"cidr-block", by_path("CidrBlock")},
      {"cidr", by_path("CidrBlock")},
      {"cidrBlock", by_path("CidrBlock")},
      {"default-for-az", by_path("DefaultForAz")},
      {"defaultForAz", by_path("DefaultForAz")},
      {"ipv6-cidr-block-association.ipv6-cidr-block", by_path("Ipv6CidrBlockAssociationSet.Ipv6CidrBlock")},
      {"ipv6-cidr-block-association.association-id", by_path("Ipv6CidrBlockAssociationSet.AssociationId")},
      {"ipv6-cidr-block-association.state", by_path("Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State")},
      {"ipv6-native", by_path("Ipv6Native")},
      {"map-public-ip-on-launch", by_path("MapPublicIpOnLaunch")},
      {"outpost-arn", by_path("OutpostArn")},
      {"owner-id", by_path("OwnerId")},
      {"state", by_path("State")},
      {"subnet-arn", by_path("SubnetArn")},
      {"subnet-id", by_path("SubnetId")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

const FilterTable& eni_filters() {
  static const FilterTable t = {
      {"availability-zone", by_path("AvailabilityZone")},
      {"description", by_path("Description")},
      {"group-id", by_path("Groups.GroupId")},
      {"group-name", by_path("Groups.GroupName")},
      {"interface-type", by_path("InterfaceType")},
      {"mac-address", by_path("MacAddress")},
      {"network-interface-id", by_path("NetworkInterfaceId")},
      {"owner-id", by_path("OwnerId")},
      {"private-ip-address", by_path("PrivateIpAddresses.PrivateIpAddress")},
      {"addresses.private-ip-address", by_path("PrivateIpAddresses.PrivateIpAddress")},
      {"requester-id", by_path("RequesterId")},
      {"requester-managed", by_path("RequesterManaged")},
      {"source-dest-check", by_path("SourceDestCheck")},
      {"status", by_path("Status")},
      {"subnet-id", by_path("SubnetId")},
      {"vpc-id", by_path("VpcId")},
      {"attachment.instance-id", by_path("Attachment.InstanceId")},
      {"attachment.status", by_path("Attachment.Status")},
  };
  return t;
}

uint64_t count_used(const Res& subnet) { return subnet.doc.value("_UsedIps", Json::array()).size(); }

void refresh_available(Res& subnet) {
  auto c = Ipv4Cidr::parse(subnet.doc.value("CidrBlock", ""));
  if (!c) return;
  int64_t avail = int64_t(c->size()) - 5 - int64_t(count_used(subnet));
  subnet.doc["AvailableIpAddressCount"] = std::max<int64_t>(0, avail);
}

}  // namespace

Res& Ec2Service::make_subnet(RegionState& r, Res& vpc, const std::string& cidr, const Zone& zone, bool default_for_az,
                             TagMap tags) {
  std::string id = new_id("subnet");
  Json doc = {{"SubnetId", id},
              {"SubnetArn", arn_of(r, "subnet", id)},
              {"VpcId", vpc.id},
              {"CidrBlock", cidr},
              {"AvailabilityZone", zone.name},
              {"AvailabilityZoneId", zone.id},
              {"DefaultForAz", default_for_az},
              {"MapPublicIpOnLaunch", false},
              {"MapCustomerOwnedIpOnLaunch", false},
              {"State", "available"},
              {"OwnerId", r.account},
              {"AssignIpv6AddressOnCreation", false},
              {"Ipv6CidrBlockAssociationSet", Json::array()},
              {"EnableDns64", false},
              {"Ipv6Native", false},
              {"PrivateDnsNameOptionsOnLaunch",
               {{"HostnameType", "ip-name"}, {"EnableResourceNameDnsARecord", false}, {"EnableResourceNameDnsAAAARecord", false}}},
              {"BlockPublicAccessStates", {{"InternetGatewayBlockMode", "off"}}},
              {"_UsedIps", Json::array()}};
  Res& s = add(r, id, doc, std::move(tags));
  refresh_available(s);
  associate_subnet_with_default_acl(r, vpc.id, id);
  return *r.find("subnet", id);
}

Json Ec2Service::create_subnet(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string vpc_id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", vpc_id);
  std::string text = str(in, "CidrBlock");
  if (text.empty()) {
    if (!has(in, "Ipv6CidrBlock") || !flag(in, "Ipv6Native"))
      throw AwsError("MissingParameter", "The request must contain the parameter cidrBlock", 400);
    throw AwsError("InvalidParameterValue", "IPv6-only subnets are not supported by cloudbox yet.", 400);
  }
  auto c = Ipv4Cidr::parse(text);
  if (!c)
    throw AwsError("InvalidParameterValue",
                   "Value (" + text + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.", 400);
  if (!c->canonical() || c->prefix < 16 || c->prefix > 28)
    throw AwsError("InvalidSubnet.Range", "The CIDR '" + text + "' is invalid.", 400);
  bool inside = false;
  for (const auto& a : vpc.doc["CidrBlockAssociationSet"]) {
    auto vc = Ipv4Cidr::parse(a.value("CidrBlock", ""));
    inside = inside || (vc && vc->contains(*c));
  }
  if (!inside) throw AwsError("InvalidSubnet.Range", "The CIDR '" + text + "' is invalid.", 400);
  ensure_vpc_index(r);
  const std::vector<std::string> siblings = r.subnets_by_vpc[vpc_id];
  for (const auto& sid : siblings) {
    const Res* sp = r.find("subnet", sid);
    if (!sp) continue;
    const Res& s = *sp;
    auto sc = Ipv4Cidr::parse(s.doc["CidrBlock"].get_ref<const std::string&>());
    if (sc && sc->overlaps(*c))
      throw AwsError("InvalidSubnet.Conflict", "The CIDR '" + text + "' conflicts with another subnet", 400);
  }
  // IPv6: a /64 inside the VPC's block, not used by another subnet.
  std::string v6;
  if (has(in, "Ipv6CidrBlock")) {
    v6 = str(in, "Ipv6CidrBlock");
    auto b = Ipv6Cidr::parse(v6);
    if (!b || b->prefix != 64)
      throw AwsError("InvalidParameterValue",
                     "Value (" + v6 + ") for parameter ipv6CidrBlock is invalid. This is not a valid CIDR block.", 400);
    bool ok = false;
    for (const auto& a : vpc.doc.value("Ipv6CidrBlockAssociationSet", Json::array())) {
      auto vb = Ipv6Cidr::parse(a.value("Ipv6CidrBlock", ""));
      ok = ok || (vb && vb->contains(*b));
    }
    if (!ok) throw AwsError("InvalidSubnet.Range", "The CIDR '" + v6 + "' is invalid.", 400);
    for (const auto& [sid, s] : r.of("subnet"))
      for (const auto& a : s.doc.value("Ipv6CidrBlockAssociationSet", Json::array())) {
        auto sb = Ipv6Cidr::parse(a.value("Ipv6CidrBlock", ""));
        if (sb && sb->overlaps(*b))
          throw AwsError("InvalidSubnet.Conflict", "The CIDR '" + v6 + "' conflicts with another subnet", 400);
      }
    v6 = b->str();
  }
  auto zones = zones_of(r.region);
  Zone zone = zones.front();
  std::string az = str(in, "AvailabilityZone"), az_id = str(in, "AvailabilityZoneId");
  if (!az.empty() || !az_id.empty()) {
    bool found = false;
    for (const auto& z : zones)
      if ((!az.empty() && z.name == az) || (az.empty() && z.id == az_id)) {
        zone = z;
        found = true;
      }
    if (!az.empty() && !az_id.empty() && zone.id != az_id) found = false;
    if (!found) {
      std::string names;
      for (const auto& z : zones) names += (names.empty() ? "" : ", ") + z.name;
      std::string value = az.empty() ? az_id : az;
      throw AwsError("InvalidParameterValue",
                     "Value (" + value + ") for parameter " + (az.empty() ? "availabilityZoneId" : "availabilityZone") +
                         " is invalid. Subnets can currently only be created in the following availability zones: " +
                         names + ".",
                     400);
    }
  } else {
    // AWS spreads subnets over the zones; pick the zone with the fewest subnets of this VPC.
    std::map<std::string, int> used;
    for (const auto& sid : siblings)
      if (const Res* s = r.find("subnet", sid)) used[s->doc["AvailabilityZone"].get_ref<const std::string&>()]++;
    for (const auto& z : zones)
      if (used[z.name] < used[zone.name]) zone = z;
  }
  TagMap tags = tags_from_specs(in, "subnet");
  Res& s = make_subnet(r, vpc, c->str(), zone, false, std::move(tags));
  if (!v6.empty()) {
    s.doc["Ipv6CidrBlockAssociationSet"] = {{{"AssociationId", new_id("subnet-cidr-assoc")},
                                             {"Ipv6CidrBlock", v6},
                                             {"Ipv6CidrBlockState", {{"State", "associated"}}},
                                             {"Ipv6AddressAttribute", "public"},
                                             {"IpSource", "amazon"}}};
  }
  Json out = render(r, s);
  out["State"] = "available";
  return {{"Subnet", out}};
}

Json Ec2Service::delete_subnet(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "SubnetId");
  Res& s = get(r, "subnet", id);
  bool busy = !s.doc.value("_UsedIps", Json::array()).empty();
  for (const auto& [eid, e] : r.of("eni")) busy = busy || e.doc.value("SubnetId", "") == id;
  if (busy) throw AwsError("DependencyViolation", "The subnet '" + id + "' has dependencies and cannot be deleted.", 400);
  // Explicit route table associations and the network ACL association go with the subnet.
  for (auto& [tid, t] : r.of("rtb")) {
    auto& assocs = t.doc["Associations"];
    size_t before = assocs.size();
    for (size_t i = assocs.size(); i-- > 0;)
      if (assocs[i].value("SubnetId", "") == id) assocs.erase(assocs.begin() + long(i));
    if (assocs.size() != before) touch(r, tid);
  }
  drop_subnet_acl_association(r, id);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_subnets(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "subnet", "SubnetIds", "Subnets", subnet_filters());
}

Json Ec2Service::modify_subnet_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "SubnetId");
  Res& s = get(r, "subnet", id);
  auto set_bool = [&](const char* member, const char* field) {
    if (has(in, member)) s.doc[field] = flag(in, member);
  };
  if (has(in, "AssignIpv6AddressOnCreation") && flag(in, "AssignIpv6AddressOnCreation") &&
      s.doc.value("Ipv6CidrBlockAssociationSet", Json::array()).empty())
    throw AwsError("InvalidParameterValue",
                   "Invalid value 'true' for assignIpv6AddressOnCreation. Cannot set assignIpv6AddressOnCreation to true "
                   "unless the subnet (" + id + ") has an IPv6 CIDR block associated with it.",
                   400);
  set_bool("MapPublicIpOnLaunch", "MapPublicIpOnLaunch");
  set_bool("AssignIpv6AddressOnCreation", "AssignIpv6AddressOnCreation");
  set_bool("MapCustomerOwnedIpOnLaunch", "MapCustomerOwnedIpOnLaunch");
  set_bool("EnableDns64", "EnableDns64");
  if (has(in, "PrivateDnsHostnameTypeOnLaunch"))
    s.doc["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] = str(in, "PrivateDnsHostnameTypeOnLaunch");
  if (has(in, "EnableResourceNameDnsARecordOnLaunch"))
    s.doc["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsARecord"] = flag(in, "EnableResourceNameDnsARecordOnLaunch");
  if (has(in, "EnableResourceNameDnsAAAARecordOnLaunch"))
    s.doc["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsAAAARecord"] =
        flag(in, "EnableResourceNameDnsAAAARecordOnLaunch");
  touch(r, id);
  return Json::object();
}

// ---------------------------------------------------------------------------------------------------
// Addresses

std::string Ec2Service::allocate_ip(RegionState& r, Res& subnet, const std::string& wanted) {
  auto c = Ipv4Cidr::parse(subnet.doc.value("CidrBlock", ""));
  if (!c) throw AwsError("InternalError", "subnet without a CIDR block", 500, false);
  std::set<uint32_t> used;
  for (const auto& u : subnet.doc["_UsedIps"])
    if (auto ip = parse_ipv4(u.get<std::string>())) used.insert(*ip);
  uint32_t first = c->network() + 4, last = c->last() - 1;
  uint32_t pick = 0;
  if (!wanted.empty()) {
    auto ip = parse_ipv4(wanted);
    if (!ip || !c->contains(*ip))
      throw AwsError("InvalidParameterValue",
                     "Address " + wanted + " does not fall within the subnet's address range", 400);
    if (*ip < first || *ip > last)
      throw AwsError("InvalidParameterValue", "Address " + wanted + " is in subnet's reserved address range", 400);
    if (used.count(*ip))
      throw AwsError("InvalidIPAddress.InUse", "Address " + wanted + " is in use.", 400);
    pick = *ip;
  } else {
    bool found = false;
    for (uint32_t ip = first; ip <= last; ++ip)
      if (!used.count(ip)) {
        pick = ip;
        found = true;
        break;
      }
    if (!found)
      throw AwsError("InsufficientFreeAddressesInSubnet",
                     "There are not enough free addresses in subnet '" + subnet.id + "' to satisfy the requested number of instances.",
                     400);
  }
  subnet.doc["_UsedIps"].push_back(ipv4_str(pick));
  refresh_available(subnet);
  touch(r, subnet.id);
  return ipv4_str(pick);
}

void Ec2Service::release_ip(RegionState& r, const std::string& subnet_id, const std::string& ip) {
  Res* s = r.find("subnet", subnet_id);
  if (!s) return;
  auto& used = s->doc["_UsedIps"];
  for (size_t i = 0; i < used.size(); ++i)
    if (used[i] == ip) {
      used.erase(used.begin() + long(i));
      break;
    }
  refresh_available(*s);
  touch(r, subnet_id);
}

Res& Ec2Service::make_network_interface(RegionState& r, Res& subnet, const std::string& interface_type,
                                        const std::string& description, const Json& groups) {
  std::string ip = allocate_ip(r, subnet, "");
  std::string id = new_id("eni");
  std::string mac = "02:" + random_hex(2) + ":" + random_hex(2) + ":" + random_hex(2) + ":" + random_hex(2) + ":" + random_hex(2);
  std::string dns = "ip-" + ip + (r.region == "us-east-1" ? ".ec2.internal" : "." + r.region + ".compute.internal");
  std::replace(dns.begin(), dns.begin() + long(3 + ip.size()), '.', '-');
  Json doc = {{"NetworkInterfaceId", id},
              {"SubnetId", subnet.id},
              {"VpcId", subnet.doc.value("VpcId", "")},
              {"AvailabilityZone", subnet.doc.value("AvailabilityZone", "")},
              {"AvailabilityZoneId", subnet.doc.value("AvailabilityZoneId", "")},
              {"Description", description},
              {"Groups", groups},
              {"InterfaceType", interface_type},
              {"Ipv6Addresses", Json::array()},
              {"MacAddress", mac},
              {"OwnerId", r.account},
              {"PrivateDnsName", dns},
              {"PrivateIpAddress", ip},
              {"PrivateIpAddresses", {{{"Primary", true}, {"PrivateIpAddress", ip}, {"PrivateDnsName", dns}}}},
              {"RequesterId", "amazon-elb"},
              {"RequesterManaged", true},
              {"SourceDestCheck", false},
              {"Status", "in-use"}};
  return add(r, id, doc);
}

void Ec2Service::delete_network_interface(RegionState& r, const std::string& eni_id) {
  Res* e = r.find("eni", eni_id);
  if (!e) return;
  release_ip(r, e->doc.value("SubnetId", ""), e->doc.value("PrivateIpAddress", ""));
  drop(r, eni_id);
}

Json Ec2Service::describe_network_interfaces(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "eni", "NetworkInterfaceIds", "NetworkInterfaces", eni_filters());
}

}  // namespace cloudbox::ec2

namespace cloudbox::ec2 {

Json Ec2Service::associate_subnet_cidr_block(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "SubnetId");
  Res& s = get(r, "subnet", id);
  std::string v6 = str(in, "Ipv6CidrBlock");
  auto b = Ipv6Cidr::parse(v6);
  if (!b || b->prefix != 64)
    throw AwsError("InvalidParameterValue",
                   "Value (" + v6 + ") for parameter ipv6CidrBlock is invalid. This is not a valid CIDR block.", 400);
  if (!s.doc.value("Ipv6CidrBlockAssociationSet", Json::array()).empty())
    throw AwsError("CidrLimitExceeded", "This subnet '" + id + "' has met its maximum number of allowed CIDRs: 1", 400);
  Res* vpc = r.find("vpc", s.doc.value("VpcId", ""));
  bool inside = false;
  if (vpc)
    for (const auto& a : vpc->doc.value("Ipv6CidrBlockAssociationSet", Json::array())) {
      auto vb = Ipv6Cidr::parse(a.value("Ipv6CidrBlock", ""));
      inside = inside || (vb && vb->contains(*b));
    }
  if (!inside) throw AwsError("InvalidSubnet.Range", "The CIDR '" + v6 + "' is invalid.", 400);
  for (const auto& [sid, other] : r.of("subnet"))
    for (const auto& a : other.doc.value("Ipv6CidrBlockAssociationSet", Json::array())) {
      auto ob = Ipv6Cidr::parse(a.value("Ipv6CidrBlock", ""));
      if (ob && ob->overlaps(*b))
        throw AwsError("InvalidSubnet.Conflict", "The CIDR '" + v6 + "' conflicts with another subnet", 400);
    }
  Json assoc = {{"AssociationId", new_id("subnet-cidr-assoc")},
                {"Ipv6CidrBlock", b->str()},
                {"Ipv6CidrBlockState", {{"State", "associated"}}},
                {"Ipv6AddressAttribute", "public"},
                {"IpSource", "amazon"}};
  s.doc["Ipv6CidrBlockAssociationSet"] = Json::array({assoc});
  touch(r, id);
  assoc["Ipv6CidrBlockState"]["State"] = "associating";
  return {{"SubnetId", id}, {"Ipv6CidrBlockAssociation", assoc}};
}

Json Ec2Service::disassociate_subnet_cidr_block(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc_id = str(in, "AssociationId");
  for (auto& [id, s] : r.of("subnet")) {
    auto& set = s.doc["Ipv6CidrBlockAssociationSet"];
    for (size_t i = 0; i < set.size(); ++i) {
      if (set[i].value("AssociationId", "") != assoc_id) continue;
      Json gone = set[i];
      set.erase(set.begin() + long(i));
      s.doc["AssignIpv6AddressOnCreation"] = false;
      touch(r, id);
      gone["Ipv6CidrBlockState"]["State"] = "disassociating";
      return {{"SubnetId", id}, {"Ipv6CidrBlockAssociation", gone}};
    }
  }
  throw AwsError("InvalidSubnetCidrBlockAssociationID.NotFound",
                 "The subnet CIDR block with association ID '" + assoc_id + "' does not exist", 400);
}

}  // namespace cloudbox::ec2

namespace cloudbox::ec2 {

// ---------------------------------------------------------------------------------------------------
// Network interfaces of one's own (the ones NAT gateways and endpoints make are requester-managed)

Json Ec2Service::create_network_interface(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& subnet = get(r, "subnet", str(in, "SubnetId"));
  std::string vpc_id = subnet.doc.value("VpcId", "");
  Json groups = Json::array();
  auto ids = strings(in, "Groups");
  if (ids.empty())
    for (const auto& [gid, g] : r.of("sg"))
      if (g.doc.value("VpcId", "") == vpc_id && g.doc.value("_Default", false)) ids.push_back(gid);
  for (const auto& gid : ids) {
    Res& g = get(r, "sg", gid);
    if (g.doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameterValue",
                     "Security group " + gid + " and subnet " + subnet.id + " belong to different networks.", 400);
    groups.push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
  }
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [eid, e] : r.of("eni"))
      if (e.doc.value("_ClientToken", "") == token) return {{"NetworkInterface", render(r, e)}, {"ClientToken", token}};
  TagMap tags = tags_from_specs(in, "network-interface");
  std::string wanted = str(in, "PrivateIpAddress");
  if (!wanted.empty()) allocate_ip(r, subnet, wanted);  // validates and reserves the address
  Res& eni = make_network_interface(r, subnet, str(in, "InterfaceType", "interface"), str(in, "Description"), groups);
  if (!wanted.empty()) {
    // make_network_interface took the next free address; give it back and use the requested one.
    release_ip(r, subnet.id, eni.doc.value("PrivateIpAddress", ""));
    std::string dns = "ip-" + wanted;
    std::replace(dns.begin(), dns.end(), '.', '-');
    dns += r.region == "us-east-1" ? ".ec2.internal" : "." + r.region + ".compute.internal";
    eni.doc["PrivateIpAddress"] = wanted;
    eni.doc["PrivateDnsName"] = dns;
    eni.doc["PrivateIpAddresses"] = {{{"Primary", true}, {"PrivateIpAddress", wanted}, {"PrivateDnsName", dns}}};
  }
  eni.doc["RequesterManaged"] = false;
  eni.doc.erase("RequesterId");
  eni.doc["SourceDestCheck"] = true;
  eni.doc["Status"] = "available";
  if (!token.empty()) eni.doc["_ClientToken"] = token;
  eni.tags = std::move(tags);
  r.tag_index_stale = true;
  touch(r, eni.id);
  Json out = {{"NetworkInterface", render(r, eni)}};
  if (!token.empty()) out["ClientToken"] = token;
  return out;
}

Json Ec2Service::delete_network_interface_op(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkInterfaceId");
  Res& eni = get(r, "eni", id);
  if (eni.doc.value("RequesterManaged", false) || eni.doc.contains("Attachment"))
    throw AwsError("InvalidNetworkInterface.InUse", "Interface: [" + id + "] in use.", 400);
  delete_network_interface(r, id);
  return Json::object();
}

Json Ec2Service::modify_network_interface_attribute(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkInterfaceId");
  Res& eni = get(r, "eni", id);
  if (has(in, "Groups")) {
    Json groups = Json::array();
    for (const auto& gid : strings(in, "Groups")) {
      Res& g = get(r, "sg", gid);
      if (g.doc.value("VpcId", "") != eni.doc.value("VpcId", ""))
        throw AwsError("InvalidParameterValue",
                       "Security group " + gid + " and interface " + id + " belong to different networks.", 400);
      groups.push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
    }
    eni.doc["Groups"] = groups;
  }
  if (has(in, "SourceDestCheck")) eni.doc["SourceDestCheck"] = flag(in, "SourceDestCheck");
  if (has(in, "Description") && in["Description"].is_object())
    eni.doc["Description"] = in["Description"].value("Value", "");
  touch(r, id);
  return Json::object();
}

}  // namespace cloudbox::ec2
