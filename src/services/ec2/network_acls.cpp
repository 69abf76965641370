// Network ACLs: the VPC's default ACL (allow all, then the catch-all deny), custom ACLs (deny only),
// numbered entries, and one association per subnet.
#include <algorithm>
#include <cctype>

#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& acl_filters() {
  static const FilterTable t = {
      {"association.association-id", by_path("Associations.NetworkAclAssociationId")},
      {"association.network-acl-id", by_path("Associations.NetworkAclId")},
      {"association.subnet-id", by_path("Associations.SubnetId")},
      {"default", by_path("IsDefault")},
      {"entry.cidr", by_path("Entries.CidrBlock")},
      {"entry.icmp.code", by_path("Entries.IcmpTypeCode.Code")},
      {"entry.icmp.type", by_path("Entries.IcmpTypeCode.Type")},
      {"entry.ipv6-cidr", by_path("Entries.Ipv6CidrBlock")},
      {"entry.port-range.from", by_path("Entries.PortRange.From")},
      {"entry.port-range.to", by_path("Entries.PortRange.To")},
      {"entry.protocol", by_path("Entries.Protocol")},
      {"entry.rule-action", by_path("Entries.RuleAction")},
      {"entry.egress", by_path("Entries.Egress")},
      {"entry.rule-number", by_path("Entries.RuleNumber")},
      {"network-acl-id", by_path("NetworkAclId")},
      {"owner-id", by_path("OwnerId")},
      {"vpc-id", by_path("VpcId")},
  };
  return t;
}

Json entry(int number, bool egress, const std::string& action, const char* cidr_member, const std::string& cidr) {
  return {{"RuleNumber", number}, {"Protocol", "-1"}, {"RuleAction", action}, {"Egress", egress}, {cidr_member, cidr}};
}

void sort_entries(Json& entries) {
  std::vector<Json> v(entries.begin(), entries.end());
  std::stable_sort(v.begin(), v.end(), [](const Json& a, const Json& b) {
    bool ea = a.value("Egress", false), eb = b.value("Egress", false);
    if (ea != eb) return ea;  // egress entries first, as AWS lists them
    return a.value("RuleNumber", 0) < b.value("RuleNumber", 0);
  });
  entries = Json(v);
}

std::string acl_protocol(std::string p) {
  for (auto& c : p) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (p == "all" || p == "-1") return "-1";
  if (p == "tcp") return "6";
  if (p == "udp") return "17";
  if (p == "icmp") return "1";
  if (p == "icmpv6") return "58";
  bool numeric = !p.empty() && p.size() <= 3 &&
                 std::all_of(p.begin(), p.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (numeric && std::stoi(p) <= 255) return std::to_string(std::stoi(p));
  throw AwsError("InvalidParameterValue", "Invalid value '" + p + "' for protocol. Unknown protocol.", 400);
}

Json read_entry(const Json& in) {
  int number = in.value("RuleNumber", 0);
  if (number < 1 || number > 32766)
    throw AwsError("InvalidParameterValue",
                   "Invalid value '" + std::to_string(number) + "' for ruleNumber. Rule numbers must be between 1 and 32766.",
                   400);
  Json e = {{"RuleNumber", number},
            {"Protocol", acl_protocol(str(in, "Protocol"))},
            {"RuleAction", str(in, "RuleAction")},
            {"Egress", flag(in, "Egress")}};
  if (has(in, "CidrBlock")) {
    std::string c = str(in, "CidrBlock");
    auto b = Ipv4Cidr::parse(c);
    if (!b)
      throw AwsError("InvalidParameterValue",
                     "Value (" + c + ") for parameter cidrBlock is invalid. This is not a valid CIDR block.", 400);
    e["CidrBlock"] = b->str();
  } else if (has(in, "Ipv6CidrBlock")) {
    std::string c = str(in, "Ipv6CidrBlock");
    auto b = Ipv6Cidr::parse(c);
    if (!b)
      throw AwsError("InvalidParameterValue",
                     "Value (" + c + ") for parameter ipv6CidrBlock is invalid. This is not a valid CIDR block.", 400);
    e["Ipv6CidrBlock"] = b->str();
  } else {
    throw AwsError("MissingParameter", "The request must contain the parameter cidrBlock or ipv6CidrBlock", 400);
  }
  std::string proto = e["Protocol"];
  if (proto == "6" || proto == "17") {
    if (!in.contains("PortRange"))
      throw AwsError("InvalidParameterValue", "TCP and UDP protocols require a port range.", 400);
    e["PortRange"] = {{"From", in["PortRange"].value("From", 0)}, {"To", in["PortRange"].value("To", 65535)}};
  }
  if (proto == "1" || proto == "58") {
    if (!in.contains("IcmpTypeCode"))
      throw AwsError("InvalidParameterValue", "ICMP protocol requires an ICMP type and code.", 400);
    e["IcmpTypeCode"] = {{"Code", in["IcmpTypeCode"].value("Code", -1)}, {"Type", in["IcmpTypeCode"].value("Type", -1)}};
  }
  return e;
}

}  // namespace

Res& Ec2Service::make_network_acl(RegionState& r, const std::string& vpc_id, bool is_default, TagMap tags) {
  std::string id = new_id("acl");
  bool v6 = false;
  if (Res* vpc = r.find("vpc", vpc_id)) v6 = !vpc->doc.value("Ipv6CidrBlockAssociationSet", Json::array()).empty();
  Json entries = Json::array();
  for (bool egress : {true, false}) {
    if (is_default) {
      entries.push_back(entry(100, egress, "allow", "CidrBlock", "0.0.0.0/0"));
      if (v6) entries.push_back(entry(101, egress, "allow", "Ipv6CidrBlock", "::/0"));
    }
    entries.push_back(entry(32767, egress, "deny", "CidrBlock", "0.0.0.0/0"));
    if (v6) entries.push_back(entry(32768, egress, "deny", "Ipv6CidrBlock", "::/0"));
  }
  sort_entries(entries);
  Json doc = {{"NetworkAclId", id},     {"VpcId", vpc_id},   {"IsDefault", is_default},
              {"OwnerId", r.account},   {"Entries", entries}, {"Associations", Json::array()}};
  return add(r, id, doc, std::move(tags));
}

void Ec2Service::associate_subnet_with_default_acl(RegionState& r, const std::string& vpc_id,
                                                   const std::string& subnet_id) {
  for (auto& [id, acl] : r.of("acl")) {
    if (acl.doc.value("VpcId", "") != vpc_id || !acl.doc.value("IsDefault", false)) continue;
    acl.doc["Associations"].push_back(
        {{"NetworkAclAssociationId", new_id("aclassoc")}, {"NetworkAclId", id}, {"SubnetId", subnet_id}});
    touch(r, id);
    return;
  }
}

void Ec2Service::drop_subnet_acl_association(RegionState& r, const std::string& subnet_id) {
  for (auto& [id, acl] : r.of("acl")) {
    auto& assocs = acl.doc["Associations"];
    for (size_t i = assocs.size(); i-- > 0;)
      if (assocs[i].value("SubnetId", "") == subnet_id) {
        assocs.erase(assocs.begin() + long(i));
        touch(r, id);
      }
  }
}

Json Ec2Service::create_network_acl(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string vpc_id = str(in, "VpcId");
  get(r, "vpc", vpc_id);
  TagMap tags = tags_from_specs(in, "network-acl");
  Res& acl = make_network_acl(r, vpc_id, false, std::move(tags));
  Json out = {{"NetworkAcl", render(r, acl)}};
  if (has(in, "ClientToken")) out["ClientToken"] = str(in, "ClientToken");
  return out;
}

Json Ec2Service::delete_network_acl(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkAclId");
  Res& acl = get(r, "acl", id);
  if (acl.doc.value("IsDefault", false))
    throw AwsError("InvalidParameterValue", "cannot delete default network ACL " + id, 400);
  if (!acl.doc["Associations"].empty())
    throw AwsError("DependencyViolation", "The networkAcl '" + id + "' has dependencies and cannot be deleted.", 400);
  drop(r, id);
  return Json::object();
}

Json Ec2Service::describe_network_acls(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "acl", "NetworkAclIds", "NetworkAcls", acl_filters());
}

Json Ec2Service::create_network_acl_entry(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkAclId");
  Res& acl = get(r, "acl", id);
  Json e = read_entry(in);
  for (const auto& x : acl.doc["Entries"])
    if (x.value("RuleNumber", 0) == e.value("RuleNumber", 0) && x.value("Egress", false) == e.value("Egress", false))
      throw AwsError("NetworkAclEntryAlreadyExists",
                     "The network acl entry identified by " + std::to_string(e.value("RuleNumber", 0)) + " already exists.",
                     400);
  acl.doc["Entries"].push_back(e);
  sort_entries(acl.doc["Entries"]);
  touch(r, id);
  return Json::object();
}

Json Ec2Service::replace_network_acl_entry(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkAclId");
  Res& acl = get(r, "acl", id);
  Json e = read_entry(in);
  for (auto& x : acl.doc["Entries"])
    if (x.value("RuleNumber", 0) == e.value("RuleNumber", 0) && x.value("Egress", false) == e.value("Egress", false)) {
      x = e;
      touch(r, id);
      return Json::object();
    }
  throw AwsError("InvalidNetworkAclEntry.NotFound",
                 "The network acl entry identified by " + std::to_string(e.value("RuleNumber", 0)) + " does not exist.", 400);
}

Json Ec2Service::delete_network_acl_entry(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "NetworkAclId");
  Res& acl = get(r, "acl", id);
  int number = in.value("RuleNumber", 0);
  bool egress = flag(in, "Egress");
  auto& entries = acl.doc["Entries"];
  for (size_t i = 0; i < entries.size(); ++i)
    if (entries[i].value("RuleNumber", 0) == number && entries[i].value("Egress", false) == egress) {
      if (number >= 32767)
        throw AwsError("InvalidParameterValue", "The default network ACL entry cannot be deleted.", 400);
      entries.erase(entries.begin() + long(i));
      touch(r, id);
      return Json::object();
    }
  throw AwsError("InvalidNetworkAclEntry.NotFound",
                 "The network acl entry identified by " + std::to_string(number) + " does not exist.", 400);
}

Json Ec2Service::replace_network_acl_association(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string assoc_id = str(in, "AssociationId"), acl_id = str(in, "NetworkAclId");
  Res& target = get(r, "acl", acl_id);
  for (auto& [id, acl] : r.of("acl")) {
    auto& assocs = acl.doc["Associations"];
    for (size_t i = 0; i < assocs.size(); ++i) {
      if (assocs[i].value("NetworkAclAssociationId", "") != assoc_id) continue;
      if (acl.doc.value("VpcId", "") != target.doc.value("VpcId", ""))
        throw AwsError("InvalidParameterValue",
                       "Network ACL " + acl_id + " and association " + assoc_id + " belong to different networks", 400);
      std::string subnet = assocs[i].value("SubnetId", "");
      assocs.erase(assocs.begin() + long(i));
      touch(r, id);
      std::string fresh = new_id("aclassoc");
      target.doc["Associations"].push_back({{"NetworkAclAssociationId", fresh}, {"NetworkAclId", acl_id}, {"SubnetId", subnet}});
      touch(r, acl_id);
      return {{"NewAssociationId", fresh}};
    }
  }
  throw AwsError("InvalidAssociationID.NotFound", "The association ID '" + assoc_id + "' does not exist", 400);
}

}  // namespace cloudbox::ec2
