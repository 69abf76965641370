// Route tables: the VPC's main table, local routes for every VPC CIDR, routes to gateways, NAT gateways,
// interfaces and endpoint prefix lists, and explicit subnet associations.
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& rtb_filters() {
  static const FilterTable t = {
      {"association.gateway-id", by_path("Associations.GatewayId")},
      {"association.route-table-association-id", by_path("Associations.RouteTableAssociationId")},
      {"association.route-table-id", by_path("Associations.RouteTableId")},
      {"association.subnet-id", by_path("Associations.SubnetId")},
      {"association.main", by_path("Associations.Main")},
      {"owner-id", by_path("OwnerId")},
      {"route-table-id", by_path("RouteTableId")},
      {"route.destination-cidr-block", by_path("Routes.DestinationCidrBlock")},
      {"route.destination-ipv6-cidr-block", by_path("Routes.DestinationIpv6CidrBlock")},
      {"route.destination-prefix-list-id", by_path("Routes.DestinationPrefixListId")},
      {"route.egress-only-internet-gateway-id", by_path("Routes.EgressOnlyInternetGatewayId")},
      {"route.gateway-id", by_path("Routes.GatewayId")},
      {"route.instance-id", by_path("Routes.InstanceId")},
      {"route.nat-gateway-id", by_path("Routes.NatGatewayId")},
      {"route.transit-gateway-id", by_path("Routes.TransitGatewayId")},
      {"route.origin", by_path("Routes.Origin")},
      {"route.state", by_path("Routes.State")},
      {"route.vpc-peering-connection-id", by_path("Routes.VpcPeeringConnectionId")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

const char* kTargets[] = {"GatewayId",        "NatGatewayId",          "NetworkInterfaceId", "VpcPeeringConnectionId",
                          "TransitGatewayId", "EgressOnlyInternetGatewayId", "InstanceId",  "LocalGatewayId",
                          "CarrierGatewayId", "VpcEndpointId",         "CoreNetworkArn"};

struct Destination {
  const char* member;  // DestinationCidrBlock | DestinationIpv6CidrBlock | DestinationPrefixListId
  std::string value;
};

Destination read_destination(const Json& in) {
  int n = has(in, "DestinationCidrBlock") + has(in, "DestinationIpv6CidrBlock") + has(in, "DestinationPrefixListId");
  if (n == 0)
    throw AwsError("MissingParameter",
                   "The request must contain exactly one of destinationCidrBlock, destinationIpv6CidrBlock or "
                   "destinationPrefixListId",
                   400);
  if (n > 1)
    throw AwsError("InvalidParameterCombination",
                   "Only one of destinationCidrBlock, destinationIpv6CidrBlock or destinationPrefixListId may be specified",
                   400);
  if (has(in, "DestinationCidrBlock")) {
    std::string v = str(in, "DestinationCidrBlock");
    auto c = Ipv4Cidr::parse(v);
    if (!c)
      throw AwsError("InvalidParameterValue",
                     "Value (" + v + ") for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", 400);
    return {"DestinationCidrBlock", c->str()};
  }
  if (has(in, "DestinationIpv6CidrBlock")) {
    std::string v = str(in, "DestinationIpv6CidrBlock");
    auto c = Ipv6Cidr::parse(v);
    if (!c)
      throw AwsError("InvalidParameterValue",
                     "Value (" + v + ") for parameter destinationIpv6CidrBlock is invalid. This is not a valid CIDR block.",
                     400);
    return {"DestinationIpv6CidrBlock", c->str()};
  }
  return {"DestinationPrefixListId", str(in, "DestinationPrefixListId")};
}

Json* find_route(Res& rt, const Destination& d) {
  for (auto& route : rt.doc["Routes"])
    if (route.value(d.member, "") == d.value) return &route;
  return nullptr;
}

}  // namespace

Res& Ec2Service::make_route_table(RegionState& r, const std::string& vpc_id, bool main, TagMap tags) {
  std::string id = new_id("rtb");
  Json routes = Json::array();
  if (Res* vpc = r.find("vpc", vpc_id)) {
    for (const auto& a : vpc->doc["CidrBlockAssociationSet"])
      routes.push_back({{"DestinationCidrBlock", a.value("CidrBlock", "")},
                        {"GatewayId", "local"},
                        {"Origin", "CreateRouteTable"},
                        {"State", "active"}});
    for (const auto& a : vpc->doc.value("Ipv6CidrBlockAssociationSet", Json::array()))
      routes.push_back({{"DestinationIpv6CidrBlock", a.value("Ipv6CidrBlock", "")},
                        {"GatewayId", "local"},
                        {"Origin", "CreateRouteTable"},
                        {"State", "active"}});
  }
  Json assocs = Json::array();
  if (main)
    assocs.push_back({{"Main", true},
                      {"RouteTableAssociationId", new_id("rtbassoc")},
                      {"RouteTableId", id},
                      {"AssociationState", {{"State", "associated"}}}});
  Json doc = {{"RouteTableId", id},       {"VpcId", vpc_id},   {"OwnerId", r.account},
              {"Routes", routes},         {"Associations", assocs}, {"PropagatingVgws", Json::array()},
              {"_Main", main}};
  return add(r, id, doc, std::move(tags));
}

void Ec2Service::add_local_routes(RegionState& r, const std::string& vpc_id, const std::string& cidr, bool ipv6) {
  for (auto& [id, rt] : r.of("rtb")) {
    if (rt.doc.value("VpcId", "") != vpc_id) continue;
    // The local routes come first, in CIDR association order.
    auto& routes = rt.doc["Routes"];
    size_t pos = 0;
    while (pos < routes.size() && routes[pos].value("GatewayId", "") == "local") ++pos;
    Json route = {{ipv6 ? "DestinationIpv6CidrBlock" : "DestinationCidrBlock", cidr},
                  {"GatewayId", "local"},
                  {"Origin", "CreateRouteTable"},
                  {"State", "active"}};
    routes.insert(routes.begin() + long(pos), route);
    touch(r, id);
  }
}

void Ec2Service::remove_routes_to(RegionState& r, const std::string& member, const std::string& target) {
  for (auto& [id, rt] : r.of("rtb")) {
    auto& routes = rt.doc["Routes"];
    size_t before = routes.size();
    for (size_t i = routes.size(); i-- > 0;)
      if (routes[i].value(member, "") == target) routes.erase(routes.begin() + long(i));
    if (routes.size() != before) touch(r, id);
  }
}

Json Ec2Service::create_route_table(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string vpc_id = str(in, "VpcId");
  get(r, "vpc", vpc_id);
  TagMap tags = tags_from_specs(in, "route-table");
  Res& rt = make_route_table(r, vpc_id, false, std::move(tags));
  Json out = {{"RouteTable", render(r, rt)}};
  if (has(in, "ClientToken")) out["ClientToken"] = str(in, "ClientToken");
  return out;
}

Json Ec2Service::delete_route_table(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "RouteTableId");
  Res& rt = get(r, "rtb", id);
  if (!rt.doc["Associations"].empty())
    throw AwsError("DependencyViolation", "The routeTable '" + id + "' has dependencies and cannot be deleted.", 400);
  // A gateway endpoint keeps its route tables.
  for (auto& [eid, e] : r.of("vpce")) {
    auto& ids = e.doc["RouteTableIds"];
    for (size_t i = ids.size(); i-- > 0;)
      if (ids[i] == id) {
        ids.erase(ids.begin() + long(i));
        touch(r, eid);
      }
  }
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_route_tables(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "rtb", "RouteTableIds", "RouteTables", rtb_filters());
}

// Validates the target of CreateRoute/ReplaceRoute and returns the route document (without destination).
static Json route_target(Ec2Service& svc, RegionState& r, const Res& rt, const Json& in) {
  std::string vpc_id = rt.doc.value("VpcId", "");
  const char* target = nullptr;
  int n = 0;
  for (const char* t : kTargets)
    if (has(in, t)) {
      target = t;
      ++n;
    }
  if (n == 0)
    throw AwsError("InvalidParameterCombination",
                   "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, "
                   "vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, "
                   "carrierGatewayId, vpcEndpointId or instanceId",
                   400);
  if (n > 1)
    throw AwsError("InvalidParameterCombination", "More than one target specified for the route.", 400);
  std::string value = str(in, target);
  Json route = {{"Origin", "CreateRoute"}, {"State", "active"}};
  std::string t = target;
  if (t == "GatewayId") {
    std::string kind = kind_of_id(value);
    if (kind == "igw") {
      Res* g = r.find("igw", value);
      if (!g) throw AwsError("InvalidGatewayID.NotFound", "The gateway ID '" + value + "' does not exist", 400);
      bool attached = false;
      for (const auto& a : g->doc["Attachments"]) attached = attached || a.value("VpcId", "") == vpc_id;
      if (!attached)
        throw AwsError("InvalidParameterValue",
                       "route table " + rt.id + " and network gateway " + value + " belong to different networks", 400);
    } else if (kind == "vpce") {
      Res* e = r.find("vpce", value);
      if (!e) throw AwsError("InvalidGatewayID.NotFound", "The gateway ID '" + value + "' does not exist", 400);
    } else if (kind == "vgw") {
      throw AwsError("InvalidGatewayID.NotFound", "The gateway ID '" + value + "' does not exist", 400);
    } else {
      throw AwsError("InvalidGatewayID.NotFound", "The gateway ID '" + value + "' does not exist", 400);
    }
    route["GatewayId"] = value;
  } else if (t == "NatGatewayId") {
    Res* nat = r.find("nat", value);
    if (!nat || nat->doc.value("State", "") == "deleted")
      throw AwsError("InvalidNatGatewayID.NotFound", "The natGateway ID '" + value + "' does not exist", 400);
    if (nat->doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameterValue",
                     "route table " + rt.id + " and nat gateway " + value + " belong to different networks", 400);
    route["NatGatewayId"] = value;
  } else if (t == "NetworkInterfaceId") {
    Res& eni = svc.get(r, "eni", value);
    if (eni.doc.value("VpcId", "") != vpc_id)
      throw AwsError("InvalidParameterValue",
                     "route table " + rt.id + " and interface " + value + " belong to different networks", 400);
    route["NetworkInterfaceId"] = value;
  } else if (t == "EgressOnlyInternetGatewayId") {
    Res& g = svc.get(r, "eigw", value);
    bool same = false;
    for (const auto& a : g.doc["Attachments"]) same = same || a.value("VpcId", "") == vpc_id;
    if (!same)
      throw AwsError("InvalidParameterValue",
                     "route table " + rt.id + " and network gateway " + value + " belong to different networks", 400);
    route["EgressOnlyInternetGatewayId"] = value;
  } else if (t == "VpcPeeringConnectionId") {
    Res& pcx = svc.get(r, "pcx", value);
    std::string code = pcx.doc["Status"].value("Code", "");
    bool ours = pcx.doc["RequesterVpcInfo"].value("VpcId", "") == vpc_id ||
                pcx.doc["AccepterVpcInfo"].value("VpcId", "") == vpc_id;
    if (code != "active" || !ours)
      throw AwsError("InvalidParameterValue",
                     "route table " + rt.id + " and peering connection " + value + " cannot be used together: the "
                     "connection is " + code + (ours ? "" : " and does not belong to this network"),
                     400);
    route["VpcPeeringConnectionId"] = value;
  } else if (t == "VpcEndpointId") {
    svc.get(r, "vpce", value);
    route["GatewayId"] = value;
  } else {
    // Targets of services cloudbox does not model (peering, transit gateways, instances …) are kept as given.
    route[t] = value;
  }
  return route;
}

Json Ec2Service::create_route(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "RouteTableId");
  Res& rt = get(r, "rtb", id);
  Destination d = read_destination(in);
  if (std::string(d.member) == "DestinationPrefixListId") {
    const std::string& pl = d.value;
    if (pl.rfind("pl-", 0) != 0)
      throw AwsError("InvalidPrefixListID.Malformed", "Invalid id: \"" + pl + "\" (expecting \"pl-...\")", 400);
    if (!prefix_list_exists(r, pl))
      throw AwsError("InvalidPrefixListID.NotFound", "The prefix list ID '" + pl + "' does not exist", 400);
  }
  Json route = route_target(*this, r, rt, in);
  if (find_route(rt, d))
    throw AwsError("RouteAlreadyExists", "The route identified by " + d.value + " already exists.", 400);
  Json full = {{d.member, d.value}};
  for (auto it = route.begin(); it != route.end(); ++it) full[it.key()] = it.value();
  rt.doc["Routes"].push_back(full);
  touch(r, id);
  return {{"Return", true}};
}

Json Ec2Service::replace_route(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "RouteTableId");
  Res& rt = get(r, "rtb", id);
  Destination d = read_destination(in);
  Json* existing = find_route(rt, d);
  if (!existing)
    throw AwsError("InvalidRoute.NotFound",
                   "There is no route defined for '" + d.value + "' in the route table. Use CreateRoute instead.", 400);
  if (existing->value("GatewayId", "") == "local" && !flag(in, "LocalTarget"))
    throw AwsError("InvalidParameterValue", "cannot replace local route " + d.value + " in route table " + id, 400);
  Json route = route_target(*this, r, rt, in);
  Json full = {{d.member, d.value}};
  for (auto it = route.begin(); it != route.end(); ++it) full[it.key()] = it.value();
  full["Origin"] = "CreateRoute";
  *existing = full;
  touch(r, id);
  return Json::object();
}

Json Ec2Service::delete_route(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "RouteTableId");
  Res& rt = get(r, "rtb", id);
  Destination d = read_destination(in);
  auto& routes = rt.doc["Routes"];
  for (size_t i = 0; i < routes.size(); ++i) {
    if (routes[i].value(d.member, "") != d.value) continue;
    if (routes[i].value("GatewayId", "") == "local")
      throw AwsError("InvalidParameterValue", "cannot remove local route " + d.value + " in route table " + id, 400);
    if (routes[i].value("GatewayId", "").rfind("vpce-", 0) == 0)
      throw AwsError("InvalidParameterValue",
                     "Route " + d.value + " in route table " + id + " is managed by VPC endpoint " +
                         routes[i].value("GatewayId", "") + " and cannot be deleted directly.",
                     400);
    routes.erase(routes.begin() + long(i));
    touch(r, id);
    return Json::object();
  }
  std::string what = d.member == std::string("DestinationCidrBlock")       ? "destination-cidr-block"
                     : d.member == std::string("DestinationIpv6CidrBlock") ? "destination-ipv6-cidr-block"
                                                                           : "destination-prefix-list-id";
  throw AwsError("InvalidRoute.NotFound", "no route with " + what + " " + d.value + " in route table " + id, 400);
}

Json Ec2Service::associate_route_table(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "RouteTableId");
  Res& rt = get(r, "rtb", id);
  std::string subnet_id = str(in, "SubnetId"), gateway_id = str(in, "GatewayId");
  if (subnet_id.empty() && gateway_id.empty())
    throw AwsError("MissingParameter", "The request must contain the parameter subnetId or gatewayId", 400);
  Json assoc = {{"Main", false}, {"RouteTableId", id}, {"AssociationState", {{"State", "associated"}}}};
  if (!subnet_id.empty()) {
    Res& s = get(r, "subnet", subnet_id);
    if (s.doc.value("VpcId", "") != rt.doc.value("VpcId", ""))
      throw AwsError("InvalidParameterValue",
                     "Route table " + id + " and subnet " + subnet_id + " belong to different networks", 400);
    for (const auto& [tid, t] : r.of("rtb"))
      for (const auto& a : t.doc["Associations"])
        if (a.value("SubnetId", "") == subnet_id)
          throw AwsError("Resource.AlreadyAssociated",
                         "the specified association for route table " + tid + " conflicts with an existing association",
                         400);
    assoc["SubnetId"] = subnet_id;
  } else {
    get(r, "igw", gateway_id);
    for (const auto& [tid, t] : r.of("rtb"))
      for (const auto& a : t.doc["Associations"])
        if (a.value("GatewayId", "") == gateway_id)
          throw AwsError("Resource.AlreadyAssociated",
                         "the specified association for route table " + tid + " conflicts with an existing association",
                         400);
    assoc["GatewayId"] = gateway_id;
  }
  std::string assoc_id = new_id("rtbassoc");
  assoc["RouteTableAssociationId"] = assoc_id;
  rt.doc["Associations"].push_back(assoc);
  touch(r, id);
  return {{"AssociationId", assoc_id}, {"AssociationState", {{"State", "associated"}}}};
}

Json Ec2Service::disassociate_route_table(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc_id = str(in, "AssociationId");
  for (auto& [tid, t] : r.of("rtb")) {
    auto& assocs = t.doc["Associations"];
    for (size_t i = 0; i < assocs.size(); ++i) {
      if (assocs[i].value("RouteTableAssociationId", "") != assoc_id) continue;
      if (assocs[i].value("Main", false))
        throw AwsError("InvalidParameterValue", "cannot disassociate the main route table association " + assoc_id, 400);
      assocs.erase(assocs.begin() + long(i));
      touch(r, tid);
      return Json::object();
    }
  }
  throw AwsError("InvalidAssociationID.NotFound", "The association ID '" + assoc_id + "' does not exist", 400);
}

Json Ec2Service::replace_route_table_association(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc_id = str(in, "AssociationId");
  std::string new_table = str(in, "RouteTableId");
  Res& target = get(r, "rtb", new_table);
  for (auto& [tid, t] : r.of("rtb")) {
    auto& assocs = t.doc["Associations"];
    for (size_t i = 0; i < assocs.size(); ++i) {
      if (assocs[i].value("RouteTableAssociationId", "") != assoc_id) continue;
      if (t.doc.value("VpcId", "") != target.doc.value("VpcId", ""))
        throw AwsError("InvalidParameterValue",
                       "Route table " + new_table + " belongs to a different network than the association", 400);
      Json moved = assocs[i];
      assocs.erase(assocs.begin() + long(i));
      std::string fresh = new_id("rtbassoc");
      moved["RouteTableAssociationId"] = fresh;
      moved["RouteTableId"] = new_table;
      if (moved.value("Main", false)) {
        t.doc["_Main"] = false;
        target.doc["_Main"] = true;
      }
      target.doc["Associations"].push_back(moved);
      touch(r, tid);
      touch(r, new_table);
      return {{"NewAssociationId", fresh}, {"AssociationState", {{"State", "associated"}}}};
    }
  }
  throw AwsError("InvalidAssociationID.NotFound", "The association ID '" + assoc_id + "' does not exist", 400);
}

}  // namespace cloudbox::ec2
