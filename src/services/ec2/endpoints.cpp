// VPC endpoints (gateway endpoints for S3/DynamoDB write prefix-list routes into their route tables;
// interface endpoints take an address in each subnet through a network interface), the AWS-managed prefix
// lists, and the endpoint service catalogue.
#include <algorithm>
#include <cctype>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& vpce_filters() {
  static const FilterTable t = {
      {"ip-address-type", by_path("IpAddressType")},
      {"service-name", by_path("ServiceName")},
      {"service-region", by_path("ServiceRegion")},
      {"state", by_path("State")},
      {"vpc-endpoint-state", by_path("State")},
      {"vpc-id", by_path("VpcId")},
      {"vpc-endpoint-id", by_path("VpcEndpointId")},
      {"vpc-endpoint-type", by_path("VpcEndpointType")},
  };
  return t;
}

// Gateway services and the interface services cloudbox lists (the AWS APIs people reach from a VPC).
const char* kGatewayServices[] = {"s3", "dynamodb"};
const char* kInterfaceServices[] = {"s3",       "dynamodb", "secretsmanager", "sts",     "ec2",         "ec2messages",
                                    "ssm",      "ssmmessages", "kms",         "logs",    "monitoring",  "ecr.api",
                                    "ecr.dkr",  "rds",      "sns",            "sqs",     "lambda",      "events",
                                    "scheduler", "elasticloadbalancing", "execute-api", "ecs", "autoscaling", "kinesis-streams"};

struct ManagedList {
  std::string id, name;
  std::vector<std::string> cidrs;
};

// AWS-managed prefix lists of a region (the ids AWS uses where known, stable derived ids elsewhere).
std::vector<ManagedList> managed_lists(const std::string& region) {
  static const std::map<std::string, std::pair<const char*, const char*>> known = {
      {"us-east-1", {"pl-63a5400a", "pl-02cd2c6b"}}, {"us-east-2", {"pl-7ba54012", "pl-4ca54025"}},
      {"us-west-1", {"pl-6ba54002", "pl-6ea54007"}}, {"us-west-2", {"pl-68a54001", "pl-00a54069"}},
      {"eu-west-1", {"pl-6da54004", "pl-6fa54006"}}, {"eu-central-1", {"pl-6ea54007", "pl-66a5400f"}},
  };
  std::string s3_id, ddb_id;
  if (auto it = known.find(region); it != known.end()) {
    s3_id = it->second.first;
    ddb_id = it->second.second;
  } else {
    s3_id = "pl-" + sha256_hex(region + "|s3").substr(0, 8);
    ddb_id = "pl-" + sha256_hex(region + "|dynamodb").substr(0, 8);
  }
  return {
      {s3_id, "com.amazonaws." + region + ".s3", {"3.5.0.0/19", "16.182.0.0/16", "18.34.0.0/19", "52.216.0.0/15", "54.231.0.0/16"}},
      {ddb_id, "com.amazonaws." + region + ".dynamodb", {"3.218.180.0/22", "3.218.184.0/22", "52.94.0.0/22", "52.119.224.0/20"}},
  };
}

const ManagedList* list_for_service(const std::vector<ManagedList>& lists, const std::string& service_name) {
  for (const auto& l : lists)
    if (l.name == service_name) return &l;
  return nullptr;
}

std::string service_suffix(const std::string& region, const std::string& service_name) {
  std::string prefix = "com.amazonaws." + region + ".";
  if (service_name.rfind(prefix, 0) != 0) return {};
  return service_name.substr(prefix.size());
}

bool is_gateway_service(const std::string& suffix) {
  return std::find(std::begin(kGatewayServices), std::end(kGatewayServices), suffix) != std::end(kGatewayServices);
}
bool is_interface_service(const std::string& suffix) {
  return std::find(std::begin(kInterfaceServices), std::end(kInterfaceServices), suffix) != std::end(kInterfaceServices);
}

std::string full_access_policy() {
  return R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})";
}

}  // namespace

static void add_endpoint_route(Ec2Service& svc, RegionState& r, const std::string& rtb_id, const std::string& pl,
                               const std::string& vpce) {
  Res* rt = r.find("rtb", rtb_id);
  if (!rt) return;
  for (const auto& route : rt->doc["Routes"])
    if (route.value("DestinationPrefixListId", "") == pl)
      throw AwsError("RouteAlreadyExists",
                     "route table " + rtb_id + " already has a route with destination-prefix-list-id " + pl, 400);
  rt->doc["Routes"].push_back(
      {{"DestinationPrefixListId", pl}, {"GatewayId", vpce}, {"Origin", "CreateRoute"}, {"State", "active"}});
  svc.touch(r, rtb_id);
}

static void remove_endpoint_route(Ec2Service& svc, RegionState& r, const std::string& rtb_id, const std::string& vpce) {
  Res* rt = r.find("rtb", rtb_id);
  if (!rt) return;
  auto& routes = rt->doc["Routes"];
  for (size_t i = routes.size(); i-- > 0;)
    if (routes[i].value("GatewayId", "") == vpce) routes.erase(routes.begin() + long(i));
  svc.touch(r, rtb_id);
}

Json Ec2Service::create_vpc_endpoint(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string vpc_id = str(in, "VpcId");
  Res& vpc = get(r, "vpc", vpc_id);
  std::string type = str(in, "VpcEndpointType", "Gateway");
  std::string service = str(in, "ServiceName");
  std::string suffix = service_suffix(r.region, service);
  auto route_tables = strings(in, "RouteTableIds");
  auto subnets = strings(in, "SubnetIds");
  auto groups = strings(in, "SecurityGroupIds");
  if (type == "Gateway") {
    if (!is_gateway_service(suffix))
      throw AwsError("InvalidServiceName", "The Vpc Endpoint Service '" + service + "' does not exist", 400);
    if (!subnets.empty())
      throw AwsError("InvalidParameter", "Subnet IDs are only supported for Interface type VPC Endpoint.", 400);
    if (!groups.empty())
      throw AwsError("InvalidParameter", "Security group IDs are only supported for Interface type VPC Endpoint.", 400);
  } else if (type == "Interface") {
    if (!is_interface_service(suffix))
      throw AwsError("InvalidServiceName", "The Vpc Endpoint Service '" + service + "' does not exist", 400);
    if (!route_tables.empty())
      throw AwsError("InvalidParameter", "Route table IDs are only supported for Gateway type VPC Endpoint.", 400);
  } else {
    throw AwsError("InvalidParameter", "Endpoint type " + type + " is not supported by cloudbox.", 400);
  }
  // Idempotent retries with the same client token.
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [eid, e] : r.of("vpce"))
      if (e.doc.value("_ClientToken", "") == token) return {{"VpcEndpoint", render(r, e)}, {"ClientToken", token}};
  for (const auto& rtb : route_tables) {
    Res& rt = get(r, "rtb", rtb);
    if (rt.doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameter", "Route table " + rtb + " does not belong to vpc " + vpc_id, 400);
  }
  std::set<std::string> zones;
  for (const auto& sid : subnets) {
    Res& s = get(r, "subnet", sid);
    if (s.doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameter", "Subnet " + sid + " does not belong to vpc " + vpc_id, 400);
    if (!zones.insert(s.doc.value("AvailabilityZone", "")).second)
      throw AwsError("DuplicateSubnetsInSameZone",
                     "Found another VPC endpoint subnet in the availability zone of " + sid +
                         ". VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.",
                     400);
  }
  Json group_list = Json::array();
  if (type == "Interface") {
    if (groups.empty())
      for (const auto& [gid, g] : r.of("sg"))
        if (g.doc.value("VpcId", "") == vpc_id && g.doc.value("_Default", false)) groups.push_back(gid);
    for (const auto& gid : groups) {
      Res& g = get(r, "sg", gid);
      if (g.doc.value("VpcId", "") != vpc_id)
        throw AwsError("InvalidParameter", "Security group " + gid + " does not belong to vpc " + vpc_id, 400);
      group_list.push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
    }
  }
  bool private_dns = type == "Interface" && flag(in, "PrivateDnsEnabled", true);
  if (private_dns && (!vpc.doc.value("_EnableDnsSupport", true) || !vpc.doc.value("_EnableDnsHostnames", false)))
    throw AwsError("InvalidParameter",
                   "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true "
                   "for " + vpc_id,
                   400);
  std::string policy = str(in, "PolicyDocument", full_access_policy());
  if (!Json::accept(policy)) throw AwsError("InvalidPolicyDocument", "The policy document is not valid JSON.", 400);
  TagMap tags = tags_from_specs(in, "vpc-endpoint");
  std::string id = new_id("vpce");
  Json doc = {{"VpcEndpointId", id},
              {"VpcEndpointType", type},
              {"VpcId", vpc_id},
              {"ServiceName", service},
              {"State", "available"},
              {"PolicyDocument", policy},
              {"RouteTableIds", route_tables},
              {"SubnetIds", subnets},
              {"Groups", group_list},
              {"IpAddressType", "ipv4"},
              {"DnsOptions", {{"DnsRecordIpType", "ipv4"}}},
              {"PrivateDnsEnabled", private_dns},
              {"RequesterManaged", false},
              {"NetworkInterfaceIds", Json::array()},
              {"DnsEntries", Json::array()},
              {"CreationTimestamp", epoch(ctx)},
              {"OwnerId", r.account},
              {"ServiceRegion", r.region}};
  if (!token.empty()) doc["_ClientToken"] = token;
  if (type == "Gateway") {
    auto lists = managed_lists(r.region);
    const ManagedList* pl = list_for_service(lists, service);
    for (const auto& rtb : route_tables) add_endpoint_route(*this, r, rtb, pl->id, id);
  } else {
    std::string base = id + "-" + random_hex(8) + "." + suffix + "." + r.region + ".vpce.amazonaws.com";
    doc["DnsEntries"].push_back({{"DnsName", base}, {"HostedZoneId", "Z7HUB22UULQXV"}});
    for (const auto& sid : subnets) {
      Res& s = *r.find("subnet", sid);
      Res& eni = make_network_interface(r, s, "vpc_endpoint", "VPC Endpoint Interface " + id, group_list);
      doc["NetworkInterfaceIds"].push_back(eni.id);
      std::string az = s.doc.value("AvailabilityZone", "");
      doc["DnsEntries"].push_back(
          {{"DnsName", id + "-" + random_hex(8) + "-" + az + "." + suffix + "." + r.region + ".vpce.amazonaws.com"},
           {"HostedZoneId", "Z7HUB22UULQXV"}});
    }
    if (private_dns)
      doc["DnsEntries"].push_back({{"DnsName", suffix + "." + r.region + ".amazonaws.com"},
                                   {"HostedZoneId", "Z" + [&] {
                                      std::string h = sha256_hex(id);
                                      for (auto& c : h) c = char(std::toupper(static_cast<unsigned char>(c)));
                                      return h.substr(0, 20);
                                    }()}});
  }
  Res& e = add(r, id, doc, std::move(tags));
  Json out = {{"VpcEndpoint", render(r, e)}};
  if (type == "Interface") out["VpcEndpoint"]["State"] = "pending";
  if (!token.empty()) out["ClientToken"] = token;
  return out;
}

Json Ec2Service::delete_vpc_endpoints(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Json unsuccessful = Json::array();
  for (const auto& id : strings(in, "VpcEndpointIds")) {
    Res* e = r.find("vpce", id);
    if (!e) {
      unsuccessful.push_back({{"ResourceId", id},
                              {"Error", {{"Code", "InvalidVpcEndpoint.NotFound"},
                                         {"Message", "The VpcEndpoint Id '" + id + "' does not exist"}}}});
      continue;
    }
    for (const auto& rtb : e->doc["RouteTableIds"]) remove_endpoint_route(*this, r, rtb.get<std::string>(), id);
    for (const auto& eni : e->doc["NetworkInterfaceIds"]) delete_network_interface(r, eni.get<std::string>());
    drop(r, id);
  }
  return {{"Unsuccessful", unsuccessful}};
}

Json Ec2Service::describe_vpc_endpoints(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "vpce", "VpcEndpointIds", "VpcEndpoints", vpce_filters());
}

Json Ec2Service::modify_vpc_endpoint(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcEndpointId");
  Res& e = get(r, "vpce", id);
  std::string vpc_id = e.doc.value("VpcId", "");
  bool gateway = e.doc.value("VpcEndpointType", "") == "Gateway";
  auto add_rt = strings(in, "AddRouteTableIds"), remove_rt = strings(in, "RemoveRouteTableIds");
  if (!gateway && (!add_rt.empty() || !remove_rt.empty()))
    throw AwsError("InvalidParameter", "Route table IDs are only supported for Gateway type VPC Endpoint.", 400);
  for (const auto& rtb : add_rt) {
    Res& rt = get(r, "rtb", rtb);
    if (rt.doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameter", "Route table " + rtb + " does not belong to vpc " + vpc_id, 400);
  }
  if (gateway) {
    auto lists = managed_lists(r.region);
    const ManagedList* pl = list_for_service(lists, e.doc.value("ServiceName", ""));
    for (const auto& rtb : add_rt) {
      auto& ids = e.doc["RouteTableIds"];
      if (std::find(ids.begin(), ids.end(), rtb) != ids.end()) continue;
      add_endpoint_route(*this, r, rtb, pl->id, id);
      ids.push_back(rtb);
    }
    for (const auto& rtb : remove_rt) {
      auto& ids = e.doc["RouteTableIds"];
      auto it = std::find(ids.begin(), ids.end(), rtb);
      if (it == ids.end()) continue;
      ids.erase(it);
      remove_endpoint_route(*this, r, rtb, id);
    }
  }
  for (const auto& sid : strings(in, "AddSubnetIds")) {
    Res& s = get(r, "subnet", sid);
    Res& eni = make_network_interface(r, s, "vpc_endpoint", "VPC Endpoint Interface " + id, e.doc["Groups"]);
    e.doc["SubnetIds"].push_back(sid);
    e.doc["NetworkInterfaceIds"].push_back(eni.id);
  }
  for (const auto& sid : strings(in, "RemoveSubnetIds")) {
    auto& ids = e.doc["SubnetIds"];
    auto it = std::find(ids.begin(), ids.end(), sid);
    if (it == ids.end()) continue;
    ids.erase(it);
    auto& enis = e.doc["NetworkInterfaceIds"];
    for (size_t i = enis.size(); i-- > 0;) {
      Res* eni = r.find("eni", enis[i].get<std::string>());
      if (eni && eni->doc.value("SubnetId", "") == sid) {
        delete_network_interface(r, eni->id);
        enis.erase(enis.begin() + long(i));
      }
    }
  }
  for (const auto& gid : strings(in, "AddSecurityGroupIds")) {
    Res& g = get(r, "sg", gid);
    e.doc["Groups"].push_back({{"GroupId", gid}, {"GroupName", g.doc.value("GroupName", "")}});
  }
  for (const auto& gid : strings(in, "RemoveSecurityGroupIds")) {
    auto& gs = e.doc["Groups"];
    for (size_t i = gs.size(); i-- > 0;)
      if (gs[i].value("GroupId", "") == gid) gs.erase(gs.begin() + long(i));
  }
  if (flag(in, "ResetPolicy")) e.doc["PolicyDocument"] = full_access_policy();
  if (has(in, "PolicyDocument")) {
    std::string policy = str(in, "PolicyDocument");
    if (!Json::accept(policy)) throw AwsError("InvalidPolicyDocument", "The policy document is not valid JSON.", 400);
    e.doc["PolicyDocument"] = policy;
  }
  if (has(in, "PrivateDnsEnabled")) e.doc["PrivateDnsEnabled"] = flag(in, "PrivateDnsEnabled");
  touch(r, id);
  return {{"Return", true}};
}

// ---------------------------------------------------------------------------------------------------
// Prefix lists and the service catalogue

Json Ec2Service::describe_prefix_lists(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  static const FilterTable t = {{"prefix-list-id", by_path("PrefixListId")}, {"prefix-list-name", by_path("PrefixListName")}};
  auto filters = read_filters(in);
  check_filters(filters, t);
  auto ids = strings(in, "PrefixListIds");
  auto lists = managed_lists(r.region);
  for (const auto& id : ids) {
    bool found = false;
    for (const auto& l : lists) found = found || l.id == id;
    if (!found) throw AwsError("InvalidPrefixListID.NotFound", "The prefix list ID '" + id + "' does not exist", 400);
  }
  std::vector<std::pair<std::string, Json>> docs;
  for (const auto& l : lists) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), l.id) == ids.end()) continue;
    Json d = {{"PrefixListId", l.id}, {"PrefixListName", l.name}, {"Cidrs", l.cidrs}};
    if (matches(filters, t, d, {})) docs.emplace_back(l.id, d);
  }
  auto [items, next] = paginate_ec2(docs, page_request(in), [](const auto& p) { return p.first; });
  Json out = {{"PrefixLists", Json::array()}};
  for (auto& [id, d] : items) out["PrefixLists"].push_back(d);
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Json Ec2Service::describe_managed_prefix_lists(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  static const FilterTable t = {{"owner-id", by_path("OwnerId")},
                                {"prefix-list-id", by_path("PrefixListId")},
                                {"prefix-list-name", by_path("PrefixListName")}};
  auto filters = read_filters(in);
  check_filters(filters, t);
  auto ids = strings(in, "PrefixListIds");
  auto lists = managed_lists(r.region);
  for (const auto& id : ids)
    if (!prefix_list_exists(r, id))
      throw AwsError("InvalidPrefixListID.NotFound", "The prefix list ID '" + id + "' does not exist", 400);
  std::vector<std::pair<std::string, Json>> docs;
  for (const auto& l : lists) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), l.id) == ids.end()) continue;
    Json d = {{"PrefixListId", l.id},
              {"AddressFamily", "IPv4"},
              {"State", "create-complete"},
              {"PrefixListArn", "arn:aws:ec2:" + r.region + ":aws:prefix-list/" + l.id},
              {"PrefixListName", l.name},
              {"Tags", Json::array()},
              {"OwnerId", "AWS"}};
    if (matches(filters, t, d, {})) docs.emplace_back(l.id, d);
  }
  for (const auto& [id, res] : r.of("pl")) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    Json d = render(r, res);
    if (matches(filters, t, d, res.tags)) docs.emplace_back(id, d);
  }
  std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto [items, next] = paginate_ec2(docs, page_request(in), [](const auto& p) { return p.first; });
  Json out = {{"PrefixLists", Json::array()}};
  for (auto& [id, d] : items) out["PrefixLists"].push_back(d);
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Json Ec2Service::get_managed_prefix_list_entries(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "PrefixListId");
  for (const auto& l : managed_lists(r.region)) {
    if (l.id != id) continue;
    std::vector<std::string> cidrs = l.cidrs;
    auto [items, next] = paginate_ec2(cidrs, page_request(in), [](const std::string& c) { return c; });
    Json out = {{"Entries", Json::array()}};
    for (const auto& c : items) out["Entries"].push_back({{"Cidr", c}});
    if (!next.empty()) out["NextToken"] = next;
    return out;
  }
  Res& pl = get(r, "pl", id);
  Json entries = pl.doc.value("_Entries", Json::array());
  std::vector<std::pair<std::string, Json>> items;
  for (const auto& e : entries) items.emplace_back(e.value("Cidr", ""), e);
  auto [page, next] = paginate_ec2(items, page_request(in), [](const auto& p) { return p.first; });
  Json out = {{"Entries", Json::array()}};
  for (auto& [cidr, e] : page) out["Entries"].push_back(e);
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

bool Ec2Service::prefix_list_exists(RegionState& r, const std::string& id) {
  for (const auto& l : managed_lists(r.region))
    if (l.id == id) return true;
  return r.find("pl", id) != nullptr;
}

namespace {
// Reads entries [{Cidr, Description}] of one address family, in CIDR order without duplicates.
void add_entries(Json& entries, const Json& add, const std::string& family) {
  for (const auto& e : add) {
    std::string cidr = e.value("Cidr", "");
    std::string canonical;
    if (family == "IPv4") {
      auto c = Ipv4Cidr::parse(cidr);
      if (!c) throw AwsError("InvalidParameterValue", "Invalid CIDR " + cidr + " for address family IPv4.", 400);
      canonical = c->str();
    } else {
      auto c = Ipv6Cidr::parse(cidr);
      if (!c) throw AwsError("InvalidParameterValue", "Invalid CIDR " + cidr + " for address family IPv6.", 400);
      canonical = c->str();
    }
    for (const auto& x : entries)
      if (x.value("Cidr", "") == canonical)
        throw AwsError("InvalidParameterValue", "Duplicate CIDR " + canonical + " in prefix list entries.", 400);
    Json entry = {{"Cidr", canonical}};
    if (e.contains("Description")) entry["Description"] = e["Description"];
    entries.push_back(entry);
  }
  std::vector<Json> v(entries.begin(), entries.end());
  std::sort(v.begin(), v.end(), [](const Json& a, const Json& b) { return a.value("Cidr", "") < b.value("Cidr", ""); });
  entries = Json(v);
}
}  // namespace

Json Ec2Service::create_managed_prefix_list(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = str(in, "PrefixListName"), family = str(in, "AddressFamily");
  if (family != "IPv4" && family != "IPv6")
    throw AwsError("InvalidParameterValue", "Invalid address family " + family + ". Must be IPv4 or IPv6.", 400);
  if (name.rfind("com.amazonaws", 0) == 0)
    throw AwsError("InvalidParameterValue", "Prefix list names cannot start with com.amazonaws.", 400);
  int max_entries = in.value("MaxEntries", 0);
  if (max_entries < 1 || max_entries > 1000)
    throw AwsError("InvalidParameterValue", "MaxEntries must be between 1 and 1000.", 400);
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [id, p] : r.of("pl"))
      if (p.doc.value("_ClientToken", "") == token) return {{"PrefixList", render(r, p)}};
  Json entries = Json::array();
  add_entries(entries, in.value("Entries", Json::array()), family);
  if (int(entries.size()) > max_entries)
    throw AwsError("PrefixListMaxEntriesExceeded", "The prefix list has more entries than its maximum (" +
                                                       std::to_string(max_entries) + ").",
                   400);
  TagMap tags = tags_from_specs(in, "prefix-list");
  std::string id = new_id("pl");
  Json doc = {{"PrefixListId", id},
              {"AddressFamily", family},
              {"State", "create-complete"},
              {"PrefixListArn", arn_of(r, "prefix-list", id)},
              {"PrefixListName", name},
              {"MaxEntries", max_entries},
              {"Version", 1},
              {"OwnerId", r.account},
              {"_Entries", entries}};
  if (!token.empty()) doc["_ClientToken"] = token;
  Res& p = add(r, id, doc, std::move(tags));
  Json out = render(r, p);
  out["State"] = "create-in-progress";
  return {{"PrefixList", out}};
}

Json Ec2Service::modify_managed_prefix_list(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "PrefixListId");
  Res& p = get(r, "pl", id);
  long version = p.doc.value("Version", 1L);
  if (has(in, "CurrentVersion") && in["CurrentVersion"].get<long>() != version)
    throw AwsError("PrefixListVersionMismatch",
                   "The prefix list " + id + " has been modified: its current version is " + std::to_string(version) + ".",
                   400);
  Json entries = p.doc.value("_Entries", Json::array());
  for (const auto& e : in.value("RemoveEntries", Json::array())) {
    std::string cidr = e.value("Cidr", "");
    bool found = false;
    for (size_t i = 0; i < entries.size(); ++i)
      if (entries[i].value("Cidr", "") == cidr) {
        entries.erase(entries.begin() + long(i));
        found = true;
        break;
      }
    if (!found)
      throw AwsError("InvalidParameterValue", "The CIDR " + cidr + " is not an entry of prefix list " + id + ".", 400);
  }
  add_entries(entries, in.value("AddEntries", Json::array()), p.doc.value("AddressFamily", "IPv4"));
  int max_entries = in.value("MaxEntries", p.doc.value("MaxEntries", 1));
  if (int(entries.size()) > max_entries)
    throw AwsError("PrefixListMaxEntriesExceeded",
                   "The prefix list has more entries than its maximum (" + std::to_string(max_entries) + ").", 400);
  bool changed_entries = entries != p.doc.value("_Entries", Json::array());
  p.doc["_Entries"] = entries;
  p.doc["MaxEntries"] = max_entries;
  if (has(in, "PrefixListName")) p.doc["PrefixListName"] = str(in, "PrefixListName");
  if (changed_entries) p.doc["Version"] = version + 1;
  p.doc["State"] = "modify-complete";
  touch(r, id);
  Json out = render(r, p);
  out["State"] = "modify-in-progress";
  return {{"PrefixList", out}};
}

Json Ec2Service::delete_managed_prefix_list(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "PrefixListId");
  Res& p = get(r, "pl", id);
  for (const auto& [rid, rule] : r.of("sgr"))
    if (rule.doc.value("PrefixListId", "") == id)
      throw AwsError("InvalidPrefixListModification",
                     "The prefix list " + id + " is referenced by security group " + rule.doc.value("GroupId", "") + ".",
                     400);
  for (const auto& [tid, t] : r.of("rtb"))
    for (const auto& route : t.doc["Routes"])
      if (route.value("DestinationPrefixListId", "") == id)
        throw AwsError("InvalidPrefixListModification",
                       "The prefix list " + id + " is referenced by route table " + tid + ".", 400);
  Json out = render(r, p);
  out["State"] = "delete-in-progress";
  drop(r, id);
  return {{"PrefixList", out}};
}

Json Ec2Service::describe_vpc_endpoint_services(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  static const FilterTable t = {{"service-name", by_path("ServiceName")},
                                {"service-type", by_path("ServiceType.ServiceType")},
                                {"service-region", by_path("ServiceRegion")}};
  auto filters = read_filters(in);
  check_filters(filters, t);
  auto wanted = strings(in, "ServiceNames");
  std::vector<std::string> zone_names;
  for (const auto& z : zones_of(r.region)) zone_names.push_back(z.name);
  std::map<std::string, Json> details;
  auto add_detail = [&](const std::string& suffix, const char* type) {
    std::string name = "com.amazonaws." + r.region + "." + suffix;
    Json& d = details[name];
    if (d.is_null()) {
      d = {{"ServiceName", name},
           {"ServiceId", "vpce-svc-" + sha256_hex(name).substr(0, 17)},
           {"ServiceType", Json::array()},
           {"ServiceRegion", r.region},
           {"AvailabilityZones", zone_names},
           {"Owner", "amazon"},
           {"BaseEndpointDnsNames", {suffix + "." + r.region + ".vpce.amazonaws.com"}},
           {"VpcEndpointPolicySupported", true},
           {"AcceptanceRequired", false},
           {"ManagesVpcEndpoints", false},
           {"SupportedIpAddressTypes", {"ipv4"}},
           {"Tags", Json::array()}};
    }
    d["ServiceType"].push_back({{"ServiceType", type}});
  };
  for (const char* s : kGatewayServices) add_detail(s, "Gateway");
  for (const char* s : kInterfaceServices) add_detail(s, "Interface");
  for (const auto& w : wanted)
    if (!details.count(w))
      throw AwsError("InvalidServiceName", "The Vpc Endpoint Service '" + w + "' does not exist", 400);
  std::vector<std::pair<std::string, Json>> docs;
  for (auto& [name, d] : details) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    if (matches(filters, t, d, {})) docs.emplace_back(name, d);
  }
  auto [items, next] = paginate_ec2(docs, page_request(in), [](const auto& p) { return p.first; });
  Json out = {{"ServiceNames", Json::array()}, {"ServiceDetails", Json::array()}};
  for (auto& [name, d] : items) {
    out["ServiceNames"].push_back(name);
    out["ServiceDetails"].push_back(d);
  }
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

}  // namespace cloudbox::ec2
