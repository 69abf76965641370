// VPC peering connections between VPCs of one account and region: requested, accepted or rejected, then
// deleted; routes may target an active connection. Ended connections stay visible, as on AWS.
#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& pcx_filters() {
  static const FilterTable t = {
      {"accepter-vpc-info.cidr-block", by_path("AccepterVpcInfo.CidrBlockSet.CidrBlock")},
      {"accepter-vpc-info.owner-id", by_path("AccepterVpcInfo.OwnerId")},
      {"accepter-vpc-info.vpc-id", by_path("AccepterVpcInfo.VpcId")},
      {"expiration-time", by_path("ExpirationTime")},
      {"requester-vpc-info.cidr-block", by_path("RequesterVpcInfo.CidrBlockSet.CidrBlock")},
      {"requester-vpc-info.owner-id", by_path("RequesterVpcInfo.OwnerId")},
      {"requester-vpc-info.vpc-id", by_path("RequesterVpcInfo.VpcId")},
      {"status-code", by_path("Status.Code")},
      {"status-message", by_path("Status.Message")},
      {"vpc-peering-connection-id", by_path("VpcPeeringConnectionId")},
  };
  return t;
}

Json vpc_info(const RegionState& r, const Res& vpc, bool with_cidrs) {
  Json info = {{"OwnerId", r.account}, {"VpcId", vpc.id}, {"Region", r.region}};
  if (with_cidrs) {
    info["CidrBlock"] = vpc.doc.value("CidrBlock", "");
    Json set = Json::array();
    for (const auto& a : vpc.doc["CidrBlockAssociationSet"]) set.push_back({{"CidrBlock", a.value("CidrBlock", "")}});
    info["CidrBlockSet"] = set;
    Json v6 = Json::array();
    for (const auto& a : vpc.doc.value("Ipv6CidrBlockAssociationSet", Json::array()))
      v6.push_back({{"Ipv6CidrBlock", a.value("Ipv6CidrBlock", "")}});
    if (!v6.empty()) info["Ipv6CidrBlockSet"] = v6;
    info["PeeringOptions"] = {{"AllowDnsResolutionFromRemoteVpc", false},
                              {"AllowEgressFromLocalClassicLinkToRemoteVpc", false},
                              {"AllowEgressFromLocalVpcToRemoteClassicLink", false}};
  }
  return info;
}

bool cidrs_overlap(const Res& a, const Res& b) {
  for (const auto& x : a.doc["CidrBlockAssociationSet"])
    for (const auto& y : b.doc["CidrBlockAssociationSet"]) {
      auto cx = Ipv4Cidr::parse(x.value("CidrBlock", "")), cy = Ipv4Cidr::parse(y.value("CidrBlock", ""));
      if (cx && cy && cx->overlaps(*cy)) return true;
    }
  return false;
}

}  // namespace

Json Ec2Service::create_vpc_peering_connection(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res& vpc = get(r, "vpc", str(in, "VpcId"));
  std::string peer_id = str(in, "PeerVpcId");
  if (peer_id.empty()) throw AwsError("MissingParameter", "The request must contain the parameter peerVpcId", 400);
  std::string owner = str(in, "PeerOwnerId", r.account), peer_region = str(in, "PeerRegion", r.region);
  if (owner != r.account || peer_region != r.region)
    throw AwsError("InvalidParameterValue",
                   "cloudbox peers VPCs of one account within one region; cross-account and cross-region peering are "
                   "not supported.",
                   400);
  Res& peer = get(r, "vpc", peer_id);
  TagMap tags = tags_from_specs(in, "vpc-peering-connection");
  std::string id = new_id("pcx");
  Json doc = {{"VpcPeeringConnectionId", id},
              {"RequesterVpcInfo", vpc_info(r, vpc, true)},
              {"AccepterVpcInfo", vpc_info(r, peer, false)},
              {"ExpirationTime", epoch(ctx) + 7 * 86400}};
  if (vpc.id == peer.id || cidrs_overlap(vpc, peer))
    doc["Status"] = {{"Code", "failed"}, {"Message", "Overlapping CIDR range"}};
  else
    doc["Status"] = {{"Code", "pending-acceptance"}, {"Message", "Pending Acceptance by " + r.account}};
  Res& pcx = add(r, id, doc, std::move(tags));
  Json out = render(r, pcx);
  out["Status"] = {{"Code", "initiating-request"}, {"Message", "Initiating Request to " + r.account}};
  return {{"VpcPeeringConnection", out}};
}

Json Ec2Service::accept_vpc_peering_connection(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "VpcPeeringConnectionId");
  Res& pcx = get(r, "pcx", id);
  std::string code = pcx.doc["Status"].value("Code", "");
  if (code != "pending-acceptance")
    throw AwsError("InvalidStateTransition",
                   "Invalid state transition for " + id + ", attempted to transition from " + code + " to active", 400);
  if (Res* peer = r.find("vpc", pcx.doc["AccepterVpcInfo"].value("VpcId", "")))
    pcx.doc["AccepterVpcInfo"] = vpc_info(r, *peer, true);
  pcx.doc["Status"] = {{"Code", "active"}, {"Message", "Active"}};
  pcx.doc.erase("ExpirationTime");
  touch(r, id);
  Json out = render(r, pcx);
  out["Status"] = {{"Code", "provisioning"}, {"Message", "Provisioning"}};
  return {{"VpcPeeringConnection", out}};
}

static Json end_peering(Ec2Service& svc, RequestContext& ctx, const Json& in, const char* to) {
  RegionState& r = svc.region(ctx);
  std::string id = str(in, "VpcPeeringConnectionId");
  Res& pcx = svc.get(r, "pcx", id);
  std::string code = pcx.doc["Status"].value("Code", "");
  bool rejecting = std::string(to) == "rejected";
  if ((rejecting && code != "pending-acceptance") || (!rejecting && (code == "deleted" || code == "rejected" ||
                                                                     code == "failed" || code == "expired")))
    throw AwsError("InvalidStateTransition",
                   "Invalid state transition for " + id + ", attempted to transition from " + code + " to " + to, 400);
  pcx.doc["Status"] = {{"Code", to}, {"Message", rejecting ? "Rejected by " + r.account : "Deleted by " + r.account}};
  svc.touch(r, id);
  // Routes through it become blackholes.
  for (auto& [tid, t] : r.of("rtb")) {
    bool changed = false;
    for (auto& route : t.doc["Routes"])
      if (route.value("VpcPeeringConnectionId", "") == id) {
        route["State"] = "blackhole";
        changed = true;
      }
    if (changed) svc.touch(r, tid);
  }
  return {{"Return", true}};
}

Json Ec2Service::reject_vpc_peering_connection(RequestContext& ctx, const Json& in) {
  return end_peering(*this, ctx, in, "rejected");
}
Json Ec2Service::delete_vpc_peering_connection(RequestContext& ctx, const Json& in) {
  return end_peering(*this, ctx, in, "deleted");
}

Json Ec2Service::describe_vpc_peering_connections(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "pcx", "VpcPeeringConnectionIds", "VpcPeeringConnections", pcx_filters());
}

}  // namespace cloudbox::ec2
