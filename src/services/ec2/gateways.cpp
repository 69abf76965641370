// Internet gateways and attachments, Elastic IP allocation, NAT gateways (states on the server clock).
#include "core/common/ids.h"
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

// How long a NAT gateway stays pending / deleting, and how long a deleted one stays visible.
constexpr double kNatPendingSeconds = 2;
constexpr double kNatDeletingSeconds = 2;
constexpr double kNatDeletedVisibleSeconds = 3600;

const FilterTable& igw_filters() {
  static const FilterTable t = {
      {"attachment.state", by_path("Attachments.State")},
      {"attachment.vpc-id", by_path("Attachments.VpcId")},
      {"internet-gateway-id", by_path("InternetGatewayId")},
      {"owner-id", by_path("OwnerId")},
  };
  return t;
}

const FilterTable& address_filters() {
  static const FilterTable t = {
      {"allocation-id", by_path("AllocationId")},
      {"association-id", by_path("AssociationId")},
      {"domain", by_path("Domain")},
      {"instance-id", by_path("InstanceId")},
      {"network-border-group", by_path("NetworkBorderGroup")},
      {"network-interface-id", by_path("NetworkInterfaceId")},
      {"network-interface-owner-id", by_path("NetworkInterfaceOwnerId")},
      {"private-ip-address", by_path("PrivateIpAddress")},
      {"public-ip", by_path("PublicIp")},
  };
  return t;
}

const FilterTable& nat_filters() {
  static const FilterTable t = {
      {"nat-gateway-id", by_path("NatGatewayId")},
      {"state", by_path("State")},
      {"subnet-id", by_path("SubnetId")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

}  // namespace

std::string random_public_ip(const RegionState& r) {
  // Addresses from Amazon's public EC2 ranges (3.x, 18.x, 34.x, 44.x, 52.x, 54.x).
  static const int firsts[] = {3, 18, 34, 44, 52, 54};
  for (;;) {
    std::string ip = std::to_string(firsts[random_below(6)]) + "." + std::to_string(random_below(256)) + "." +
                     std::to_string(random_below(256)) + "." + std::to_string(1 + random_below(254));
    bool taken = false;
    if (auto k = r.kinds.find("eipalloc"); k != r.kinds.end())
      for (const auto& [id, a] : k->second) taken = taken || a.doc.value("PublicIp", "") == ip;
    if (!taken) return ip;
  }
}

// ---------------------------------------------------------------------------------------------------
// Internet gateways

Json Ec2Service::create_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  TagMap tags = tags_from_specs(in, "internet-gateway");
  std::string id = new_id("igw");
  Res& g = add(r, id, {{"InternetGatewayId", id}, {"OwnerId", r.account}, {"Attachments", Json::array()}}, std::move(tags));
  return {{"InternetGateway", render(r, g)}};
}

Json Ec2Service::delete_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "InternetGatewayId");
  Res& g = get(r, "igw", id);
  if (!g.doc["Attachments"].empty())
    throw AwsError("DependencyViolation", "The internetGateway '" + id + "' has dependencies and cannot be deleted.", 400);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_internet_gateways(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "igw", "InternetGatewayIds", "InternetGateways", igw_filters());
}

Json Ec2Service::attach_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "InternetGatewayId"), vpc_id = str(in, "VpcId");
  Res& g = get(r, "igw", id);
  get(r, "vpc", vpc_id);
  if (!g.doc["Attachments"].empty())
    throw AwsError("Resource.AlreadyAssociated",
                   "resource " + id + " is already attached to network " + g.doc["Attachments"][0].value("VpcId", ""), 400);
  for (const auto& [oid, other] : r.of("igw"))
    for (const auto& a : other.doc["Attachments"])
      if (a.value("VpcId", "") == vpc_id)
        throw AwsError("Resource.AlreadyAssociated",
                       "Network " + vpc_id + " already has an internet gateway attached", 400);
  g.doc["Attachments"] = {{{"State", "available"}, {"VpcId", vpc_id}}};
  touch(r, id);
  return Json::object();
}

Json Ec2Service::detach_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "InternetGatewayId"), vpc_id = str(in, "VpcId");
  Res& g = get(r, "igw", id);
  get(r, "vpc", vpc_id);
  if (g.doc["Attachments"].empty() || g.doc["Attachments"][0].value("VpcId", "") != vpc_id)
    throw AwsError("Gateway.NotAttached", "resource " + id + " is not attached to network " + vpc_id, 400);
  // Public NAT gateways in the VPC need the gateway.
  for (const auto& [nid, n] : r.of("nat")) {
    std::string state = n.doc.value("State", "");
    if (n.doc.value("VpcId", "") == vpc_id && n.doc.value("ConnectivityType", "") == "public" &&
        (state == "available" || state == "pending"))
      throw AwsError("DependencyViolation",
                     "Network " + vpc_id + " has some mapped public address(es). Please unmap those public address(es) "
                     "before detaching the gateway.",
                     400);
  }
  g.doc["Attachments"] = Json::array();
  touch(r, id);
  // Routes through the gateway become blackholes.
  for (auto& [tid, t] : r.of("rtb")) {
    bool changed = false;
    for (auto& route : t.doc["Routes"])
      if (route.value("GatewayId", "") == id) {
        route["State"] = "blackhole";
        changed = true;
      }
    if (changed) touch(r, tid);
  }
  return Json::object();
}

// ---------------------------------------------------------------------------------------------------
// Egress-only internet gateways (IPv6 outbound)

Json Ec2Service::create_egress_only_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string vpc_id = str(in, "VpcId");
  get(r, "vpc", vpc_id);
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [gid, g] : r.of("eigw"))
      if (g.doc.value("_ClientToken", "") == token)
        return {{"EgressOnlyInternetGateway", render(r, g)}, {"ClientToken", token}};
  TagMap tags = tags_from_specs(in, "egress-only-internet-gateway");
  std::string id = new_id("eigw");
  Json doc = {{"EgressOnlyInternetGatewayId", id}, {"Attachments", {{{"State", "attached"}, {"VpcId", vpc_id}}}}};
  if (!token.empty()) doc["_ClientToken"] = token;
  Res& g = add(r, id, doc, std::move(tags));
  Json out = {{"EgressOnlyInternetGateway", render(r, g)}};
  if (!token.empty()) out["ClientToken"] = token;
  return out;
}

Json Ec2Service::delete_egress_only_internet_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "EgressOnlyInternetGatewayId");
  get(r, "eigw", id);
  drop(r, id);
  for (auto& [tid, t] : r.of("rtb")) {
    bool changed = false;
    for (auto& route : t.doc["Routes"])
      if (route.value("EgressOnlyInternetGatewayId", "") == id) {
        route["State"] = "blackhole";
        changed = true;
      }
    if (changed) touch(r, tid);
  }
  return {{"ReturnCode", true}};
}

Json Ec2Service::describe_egress_only_internet_gateways(RequestContext& ctx, const Json& in) {
  static const FilterTable t = {{"egress-only-internet-gateway-id", by_path("EgressOnlyInternetGatewayId")},
                                {"attachment.vpc-id", by_path("Attachments.VpcId")},
                                {"attachment.state", by_path("Attachments.State")}};
  return describe(ctx, in, "eigw", "EgressOnlyInternetGatewayIds", "EgressOnlyInternetGateways", t);
}

// ---------------------------------------------------------------------------------------------------
// Elastic IPs (allocation for NAT gateways; instance association belongs to EC2 compute)

Json Ec2Service::allocate_address(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string domain = str(in, "Domain", "vpc");
  if (has(in, "Address"))
    throw AwsError("InvalidParameterValue", "Bring-your-own addresses are not supported by cloudbox.", 400);
  std::string nbg = str(in, "NetworkBorderGroup", r.region);
  if (nbg != r.region)
    throw AwsError("InvalidParameterValue", "Invalid network border group '" + nbg + "'", 400);
  size_t count = r.of("eipalloc").size();
  if (count >= 5)
    throw AwsError("AddressLimitExceeded", "The maximum number of addresses has been reached.", 400);
  TagMap tags = tags_from_specs(in, "elastic-ip");
  std::string id = new_id("eipalloc");
  std::string ip = random_public_ip(r);
  Json doc = {{"AllocationId", id},        {"PublicIp", ip},          {"Domain", "vpc"},
              {"PublicIpv4Pool", "amazon"}, {"NetworkBorderGroup", nbg}};
  add(r, id, doc, std::move(tags));
  return {{"AllocationId", id}, {"PublicIp", ip}, {"Domain", "vpc"}, {"PublicIpv4Pool", "amazon"}, {"NetworkBorderGroup", nbg}};
}

Json Ec2Service::release_address(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "AllocationId");
  if (id.empty()) {
    std::string ip = str(in, "PublicIp");
    if (ip.empty()) throw AwsError("MissingParameter", "The request must contain the parameter AllocationId", 400);
    for (const auto& [aid, a] : r.of("eipalloc"))
      if (a.doc.value("PublicIp", "") == ip) id = aid;
    if (id.empty()) throw AwsError("InvalidAddress.NotFound", "Address '" + ip + "' not found.", 400);
  }
  Res& a = get(r, "eipalloc", id);
  if (a.doc.contains("AssociationId"))
    throw AwsError("InvalidIPAddress.InUse", "Address " + a.doc.value("PublicIp", "") + " is in use.", 400);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_addresses(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ips = strings(in, "PublicIps");
  if (!ips.empty()) {
    for (const auto& ip : ips) {
      bool found = false;
      for (const auto& [aid, a] : r.of("eipalloc")) found = found || a.doc.value("PublicIp", "") == ip;
      if (!found) throw AwsError("InvalidAddress.NotFound", "Address '" + ip + "' not found.", 400);
    }
    Json filtered = in;
    filtered.erase("PublicIps");
    if (!filtered.contains("Filters")) filtered["Filters"] = Json::array();
    filtered["Filters"].push_back({{"Name", "public-ip"}, {"Values", ips}});
    Json out = describe(ctx, filtered, "eipalloc", "AllocationIds", "Addresses", address_filters());
    out.erase("NextToken");
    return out;
  }
  Json out = describe(ctx, in, "eipalloc", "AllocationIds", "Addresses", address_filters());
  out.erase("NextToken");
  return out;
}

// ---------------------------------------------------------------------------------------------------
// NAT gateways

Json Ec2Service::create_nat_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string subnet_id = str(in, "SubnetId");
  if (subnet_id.empty()) throw AwsError("MissingParameter", "The request must contain the parameter SubnetId", 400);
  Res& subnet = get(r, "subnet", subnet_id);
  std::string type = str(in, "ConnectivityType", "public");
  std::string alloc_id = str(in, "AllocationId");
  Res* eip = nullptr;
  std::string fail_reason;
  if (type == "public") {
    if (alloc_id.empty())
      throw AwsError("MissingParameter", "The request must contain the parameter AllocationId", 400);
    eip = &get(r, "eipalloc", alloc_id);
    if (eip->doc.contains("AssociationId"))
      throw AwsError("Resource.AlreadyAssociated", "Elastic IP address [" + alloc_id + "] is already associated", 400);
    bool igw = false;
    for (const auto& [gid, g] : r.of("igw"))
      for (const auto& a : g.doc["Attachments"]) igw = igw || a.value("VpcId", "") == subnet.doc.value("VpcId", "");
    // AWS accepts the request and then fails the gateway when the VPC has no internet gateway.
    if (!igw) fail_reason = "Network " + subnet.doc.value("VpcId", "") + " has no Internet gateway attached";
  } else if (!alloc_id.empty()) {
    throw AwsError("InvalidParameterCombination", "Private NAT gateways cannot have an Elastic IP address.", 400);
  }
  // Client token idempotency.
  std::string token = str(in, "ClientToken");
  if (!token.empty())
    for (const auto& [nid, n] : r.of("nat"))
      if (n.doc.value("_ClientToken", "") == token) return {{"ClientToken", token}, {"NatGateway", render(r, n)}};
  TagMap tags = tags_from_specs(in, "natgateway");
  std::string id = new_id("nat");
  Res& eni = make_network_interface(r, subnet, "nat_gateway", "Interface for NAT Gateway " + id, Json::array());
  std::string private_ip = eni.doc.value("PrivateIpAddress", "");
  Json address = {{"NetworkInterfaceId", eni.id}, {"PrivateIp", private_ip}, {"IsPrimary", true}, {"Status", "associating"}};
  if (eip) {
    std::string assoc = new_id("eipassoc");
    address["AllocationId"] = alloc_id;
    address["PublicIp"] = eip->doc.value("PublicIp", "");
    address["AssociationId"] = assoc;
    eip->doc["AssociationId"] = assoc;
    eip->doc["NetworkInterfaceId"] = eni.id;
    eip->doc["NetworkInterfaceOwnerId"] = r.account;
    eip->doc["PrivateIpAddress"] = private_ip;
    touch(r, alloc_id);
  }
  double now = epoch(ctx);
  Json doc = {{"NatGatewayId", id},
              {"SubnetId", subnet_id},
              {"VpcId", subnet.doc.value("VpcId", "")},
              {"State", "pending"},
              {"CreateTime", now},
              {"ConnectivityType", type},
              {"AvailabilityMode", "zonal"},
              {"NatGatewayAddresses", {address}},
              {"_ReadyAt", now + kNatPendingSeconds}};
  if (!token.empty()) doc["_ClientToken"] = token;
  if (!fail_reason.empty()) doc["_FailWith"] = fail_reason;
  Res& nat = add(r, id, doc, std::move(tags));
  Json out = {{"NatGateway", render(r, nat)}};
  if (!token.empty()) out["ClientToken"] = token;
  return out;
}

Json Ec2Service::delete_nat_gateway(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NatGatewayId");
  Res& nat = get(r, "nat", id);
  std::string state = nat.doc.value("State", "");
  if (state == "deleted" || state == "deleting" || state == "failed") {
    if (state == "deleted") not_found("nat", {id});
    return {{"NatGatewayId", id}};
  }
  double now = epoch(ctx);
  nat.doc["State"] = "deleting";
  nat.doc["_GoneAt"] = now + kNatDeletingSeconds;
  nat.doc.erase("_ReadyAt");
  for (auto& a : nat.doc["NatGatewayAddresses"]) a["Status"] = "disassociating";
  touch(r, id);
  return {{"NatGatewayId", id}};
}

Json Ec2Service::describe_nat_gateways(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "nat", "NatGatewayIds", "NatGateways", nat_filters(), "Filter");
}

void Ec2Service::advance_nat_gateways(RegionState& r, double now) {
  auto it = r.kinds.find("nat");
  if (it == r.kinds.end()) return;
  std::vector<std::string> purge;
  for (auto& [id, nat] : it->second) {
    Json& d = nat.doc;
    std::string state = d.value("State", "");
    if (state == "pending" && d.value("_ReadyAt", 0.0) <= now && d.contains("_FailWith")) {
      d["State"] = "failed";
      d["FailureCode"] = "Gateway.NotAttached";
      d["FailureMessage"] = d["_FailWith"];
      d["DeleteTime"] = d.value("_ReadyAt", now);
      d["_PurgeAt"] = d.value("_ReadyAt", now) + kNatDeletedVisibleSeconds;
      d.erase("_FailWith");
      d.erase("_ReadyAt");
      for (auto& a : d["NatGatewayAddresses"]) {
        a["Status"] = "failed";
        std::string alloc = a.value("AllocationId", "");
        if (Res* eip = r.find("eipalloc", alloc)) {
          for (const char* k : {"AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress"})
            eip->doc.erase(k);
          touch(r, alloc);
        }
        a.erase("AssociationId");
        delete_network_interface(r, a.value("NetworkInterfaceId", ""));
      }
      touch(r, id);
    } else if (state == "pending" && d.value("_ReadyAt", 0.0) <= now) {
      d["State"] = "available";
      d.erase("_ReadyAt");
      for (auto& a : d["NatGatewayAddresses"]) a["Status"] = "succeeded";
      touch(r, id);
    } else if (state == "deleting" && d.value("_GoneAt", 0.0) <= now) {
      d["State"] = "deleted";
      d["DeleteTime"] = d.value("_GoneAt", now);
      d["_PurgeAt"] = d.value("_GoneAt", now) + kNatDeletedVisibleSeconds;
      d.erase("_GoneAt");
      for (auto& a : d["NatGatewayAddresses"]) {
        a["Status"] = "succeeded";
        std::string alloc = a.value("AllocationId", "");
        if (Res* eip = r.find("eipalloc", alloc)) {
          for (const char* k : {"AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId", "PrivateIpAddress"})
            eip->doc.erase(k);
          touch(r, alloc);
        }
        a.erase("AssociationId");
        delete_network_interface(r, a.value("NetworkInterfaceId", ""));
      }
      // Routes through it become blackholes.
      for (auto& [tid, t] : r.of("rtb")) {
        bool changed = false;
        for (auto& route : t.doc["Routes"])
          if (route.value("NatGatewayId", "") == id) {
            route["State"] = "blackhole";
            changed = true;
          }
        if (changed) touch(r, tid);
      }
      touch(r, id);
    } else if ((state == "deleted" || state == "failed") && d.value("_PurgeAt", 0.0) <= now) {
      purge.push_back(id);
    }
  }
  for (const auto& id : purge) drop(r, id);
}

}  // namespace cloudbox::ec2
