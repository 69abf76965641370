// Security groups: rules as first-class records with sgr- ids, IpPermissions views grouped as AWS groups
// them, the default allow-all egress, the self-referencing default group, duplicates and dependencies.
#include <algorithm>
#include <cctype>

#include "services/ec2/cidr.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& sg_filters() {
  static const FilterTable t = [] {
    FilterTable f = {
        {"description", by_path("Description")},
        {"group-id", by_path("GroupId")},
        {"group-name", by_path("GroupName")},
        {"owner-id", by_path("OwnerId")},
        {"vpc-id", by_path("VpcId")},
    };
    for (const auto& [prefix, member] : {std::pair<std::string, std::string>{"ip-permission.", "IpPermissions."},
                                         {"egress.ip-permission.", "IpPermissionsEgress."}}) {
      f[prefix + "cidr"] = by_path(member + "IpRanges.CidrIp");
      f[prefix + "from-port"] = by_path(member + "FromPort");
      f[prefix + "to-port"] = by_path(member + "ToPort");
      f[prefix + "group-id"] = by_path(member + "UserIdGroupPairs.GroupId");
      f[prefix + "group-name"] = by_path(member + "UserIdGroupPairs.GroupName");
      f[prefix + "ipv6-cidr"] = by_path(member + "Ipv6Ranges.CidrIpv6");
      f[prefix + "prefix-list-id"] = by_path(member + "PrefixListIds.PrefixListId");
      f[prefix + "protocol"] = by_path(member + "IpProtocol");
      f[prefix + "user-id"] = by_path(member + "UserIdGroupPairs.UserId");
    }
    return f;
  }();
  return t;
}

const FilterTable& rule_filters() {
  static const FilterTable t = {
      {"group-id", by_path("GroupId")},
      {"security-group-rule-id", by_path("SecurityGroupRuleId")},
  };
  return t;
}

struct RuleSpec {
  std::string proto;
  int from = -1, to = -1;
  std::string kind;    // CidrIpv4 | CidrIpv6 | PrefixListId | group
  std::string target;  // the CIDR, prefix list id or group id
  std::string user;    // owner of a referenced group
  std::string description;
  bool has_description = false;

  std::string key(bool egress) const {
    return std::string(egress ? "e" : "i") + "|" + proto + "|" + std::to_string(from) + "|" + std::to_string(to) +
           "|" + kind + "|" + target;
  }
};

std::string normalize_protocol(std::string p) {
  for (auto& c : p) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (p == "-1" || p == "all") return "-1";
  if (p == "tcp" || p == "6") return "tcp";
  if (p == "udp" || p == "17") return "udp";
  if (p == "icmp" || p == "1") return "icmp";
  if (p == "icmpv6" || p == "58") return "icmpv6";
  bool numeric = !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (numeric && p.size() <= 3 && std::stoi(p) <= 255) return std::to_string(std::stoi(p));
  throw AwsError("InvalidParameterValue", "Invalid value '" + p + "' for IP protocol. Unknown protocol.", 400);
}

std::string rule_key(const Json& d) {
  std::string kind, target;
  if (d.contains("CidrIpv4")) kind = "CidrIpv4", target = d["CidrIpv4"];
  else if (d.contains("CidrIpv6")) kind = "CidrIpv6", target = d["CidrIpv6"];
  else if (d.contains("PrefixListId")) kind = "PrefixListId", target = d["PrefixListId"];
  else kind = "group", target = d["ReferencedGroupInfo"].value("GroupId", "");
  return std::string(d.value("IsEgress", false) ? "e" : "i") + "|" + d.value("IpProtocol", "") + "|" +
         std::to_string(d.value("FromPort", -1)) + "|" + std::to_string(d.value("ToPort", -1)) + "|" + kind + "|" + target;
}

std::string peer_text(const RuleSpec& s) {
  std::string proto = s.proto == "-1" ? "ALL" : s.proto;
  for (auto& c : proto) c = char(std::toupper(static_cast<unsigned char>(c)));
  std::string out = "peer: " + s.target + ", " + proto + ", ";
  if (s.proto != "-1") out += "from port: " + std::to_string(s.from) + ", to port: " + std::to_string(s.to) + ", ";
  return out + "ALLOW";
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Views

namespace {
const Res* find_const(const RegionState& r, const std::string& kind, const std::string& id) {
  auto k = r.kinds.find(kind);
  if (k == r.kinds.end()) return nullptr;
  auto it = k->second.find(id);
  return it == k->second.end() ? nullptr : &it->second;
}
}  // namespace

// IpPermissions grouped by (protocol, ports), in the order the rules were added.
static Json permissions_of(const RegionState& r, const Res& sg, bool egress) {
  Json perms = Json::array();
  std::vector<std::string> keys;
  for (const auto& rid : sg.doc.value("_Rules", Json::array())) {
    const Res* rule = find_const(r, "sgr", rid.get<std::string>());
    if (!rule || rule->doc.value("IsEgress", false) != egress) continue;
    const Json& d = rule->doc;
    std::string proto = d.value("IpProtocol", "-1");
    int from = d.value("FromPort", -1), to = d.value("ToPort", -1);
    std::string key = proto + "|" + std::to_string(from) + "|" + std::to_string(to);
    size_t idx = std::find(keys.begin(), keys.end(), key) - keys.begin();
    if (idx == keys.size()) {
      keys.push_back(key);
      Json p = {{"IpProtocol", proto},
                {"IpRanges", Json::array()},
                {"Ipv6Ranges", Json::array()},
                {"PrefixListIds", Json::array()},
                {"UserIdGroupPairs", Json::array()}};
      if (proto != "-1") {
        p["FromPort"] = from;
        p["ToPort"] = to;
      }
      perms.push_back(p);
    }
    Json& p = perms[idx];
    Json entry;
    if (d.contains("CidrIpv4")) {
      entry = {{"CidrIp", d["CidrIpv4"]}};
      if (d.contains("Description")) entry["Description"] = d["Description"];
      p["IpRanges"].push_back(entry);
    } else if (d.contains("CidrIpv6")) {
      entry = {{"CidrIpv6", d["CidrIpv6"]}};
      if (d.contains("Description")) entry["Description"] = d["Description"];
      p["Ipv6Ranges"].push_back(entry);
    } else if (d.contains("PrefixListId")) {
      entry = {{"PrefixListId", d["PrefixListId"]}};
      if (d.contains("Description")) entry["Description"] = d["Description"];
      p["PrefixListIds"].push_back(entry);
    } else if (d.contains("ReferencedGroupInfo")) {
      const Json& ref = d["ReferencedGroupInfo"];
      entry = {{"GroupId", ref.value("GroupId", "")}, {"UserId", ref.value("UserId", "")}};
      if (d.contains("Description")) entry["Description"] = d["Description"];
      p["UserIdGroupPairs"].push_back(entry);
    }
  }
  return perms;
}

Json sg_view(const RegionState& r, const Res& sg) {
  Json d = sg.doc;
  d["IpPermissions"] = permissions_of(r, sg, false);
  d["IpPermissionsEgress"] = permissions_of(r, sg, true);
  return d;
}

// ---------------------------------------------------------------------------------------------------
// Creation

namespace {
Json make_rule_doc(const RegionState& r, const std::string& id, const std::string& group_id, bool egress,
                   const RuleSpec& s) {
  Json d = {{"SecurityGroupRuleId", id},
            {"GroupId", group_id},
            {"GroupOwnerId", r.account},
            {"IsEgress", egress},
            {"IpProtocol", s.proto},
            {"FromPort", s.from},
            {"ToPort", s.to},
            {"SecurityGroupRuleArn", arn_of(r, "security-group-rule", id)}};
  if (s.kind == "group") d["ReferencedGroupInfo"] = {{"GroupId", s.target}, {"UserId", s.user}};
  else d[s.kind] = s.target;
  if (s.has_description) d["Description"] = s.description;
  return d;
}
}  // namespace

static Res& add_rule(Ec2Service& svc, RegionState& r, Res& sg, bool egress, const RuleSpec& s, TagMap tags = {}) {
  std::string id = svc.new_id("sgr");
  Res& rule = svc.add(r, id, make_rule_doc(r, id, sg.id, egress, s), std::move(tags));
  sg.doc["_Rules"].push_back(id);
  svc.touch(r, sg.id);
  return rule;
}

Res& Ec2Service::make_security_group(RegionState& r, const std::string& vpc_id, const std::string& name,
                                     const std::string& description, bool is_default, TagMap tags) {
  std::string id = new_id("sg");
  Json doc = {{"GroupId", id},
              {"GroupName", name},
              {"Description", description},
              {"VpcId", vpc_id},
              {"OwnerId", r.account},
              {"SecurityGroupArn", arn_of(r, "security-group", id)},
              {"_Rules", Json::array()},
              {"_Default", is_default}};
  add(r, id, doc, std::move(tags));
  Res& sg = *r.find("sg", id);
  RuleSpec all;
  all.proto = "-1";
  all.kind = "CidrIpv4";
  all.target = "0.0.0.0/0";
  add_rule(*this, r, sg, true, all);
  Res* vpc = r.find("vpc", vpc_id);
  if (vpc && !vpc->doc.value("Ipv6CidrBlockAssociationSet", Json::array()).empty()) {
    RuleSpec v6 = all;
    v6.kind = "CidrIpv6";
    v6.target = "::/0";
    add_rule(*this, r, sg, true, v6);
  }
  if (is_default) {
    RuleSpec self;
    self.proto = "-1";
    self.kind = "group";
    self.target = id;
    self.user = r.account;
    add_rule(*this, r, sg, false, self);
  }
  return *r.find("sg", id);
}

void Ec2Service::delete_security_group_rules(RegionState& r, Res& sg) {
  for (const auto& rid : sg.doc.value("_Rules", Json::array())) drop(r, rid.get<std::string>());
  sg.doc["_Rules"] = Json::array();
}

Json Ec2Service::create_security_group(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = str(in, "GroupName"), description = str(in, "Description");
  std::string vpc_id = str(in, "VpcId");
  if (vpc_id.empty()) {
    Res* def = default_vpc(r);
    if (!def) throw AwsError("VPCIdNotSpecified", "No default VPC for this user", 400);
    vpc_id = def->id;
  } else {
    get(r, "vpc", vpc_id);
  }
  if (name == "default")
    throw AwsError("InvalidParameterValue", "Cannot use reserved security group name: default", 400);
  if (name.rfind("sg-", 0) == 0)
    throw AwsError("InvalidParameterValue", "Group names may not be in the format sg-*", 400);
  if (name.size() > 255)
    throw AwsError("InvalidParameterValue", "Invalid security group name. Length must be 255 characters or fewer", 400);
  if (description.size() > 255)
    throw AwsError("InvalidParameterValue",
                   "Invalid security group description. Length must be 255 characters or fewer", 400);
  ensure_vpc_index(r);
  if (r.sg_by_name.count(vpc_id + "|" + name))
    throw AwsError("InvalidGroup.Duplicate", "The security group '" + name + "' already exists for VPC '" + vpc_id + "'",
                   400);
  TagMap tags = tags_from_specs(in, "security-group");
  Res& sg = make_security_group(r, vpc_id, name, description, false, std::move(tags));
  Json out = {{"GroupId", sg.id}, {"SecurityGroupArn", sg.doc["SecurityGroupArn"]}};
  if (!sg.tags.empty()) out["Tags"] = tag_list_json(sg.tags);
  return out;
}

Json Ec2Service::delete_security_group(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "GroupId");
  if (id.empty()) {
    std::string name = str(in, "GroupName");
    if (name.empty()) throw AwsError("MissingParameter", "The request must contain the parameter groupName or groupId", 400);
    Res* def = default_vpc(r);
    for (const auto& [gid, g] : r.of("sg"))
      if (def && g.doc.value("VpcId", "") == def->id && g.doc.value("GroupName", "") == name) id = gid;
    if (id.empty())
      throw AwsError("InvalidGroup.NotFound",
                     "The security group '" + name + "' does not exist in default VPC '" + (def ? def->id : "none") + "'",
                     400);
  }
  Res& sg = get(r, "sg", id);
  if (sg.doc.value("_Default", false))
    throw AwsError("CannotDelete",
                   "the specified group: \"" + id + "\" name: \"default\" cannot be deleted by a user", 400);
  for (const auto& [rid, rule] : r.of("sgr"))
    if (rule.doc.value("GroupId", "") != id && rule.doc.contains("ReferencedGroupInfo") &&
        rule.doc["ReferencedGroupInfo"].value("GroupId", "") == id)
      throw AwsError("DependencyViolation", "resource " + id + " has a dependent object", 400);
  for (const auto& kind : {"eni", "vpce"})
    for (const auto& [eid, e] : r.of(kind))
      for (const auto& g : e.doc.value("Groups", Json::array()))
        if (g.value("GroupId", "") == id)
          throw AwsError("DependencyViolation", "resource " + id + " has a dependent object", 400);
  delete_security_group_rules(r, sg);
  drop(r, id);
  return {{"Return", true}, {"GroupId", id}};
}

Json Ec2Service::describe_security_groups(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto names = strings(in, "GroupNames");
  if (names.empty()) return describe(ctx, in, "sg", "GroupIds", "SecurityGroups", sg_filters());
  Res* def = default_vpc(r);
  Json req = in;
  req.erase("GroupNames");
  if (!req.contains("GroupIds")) req["GroupIds"] = Json::array();
  for (const auto& name : names) {
    std::string found;
    for (const auto& [gid, g] : r.of("sg"))
      if (def && g.doc.value("VpcId", "") == def->id && g.doc.value("GroupName", "") == name) found = gid;
    if (found.empty())
      throw AwsError("InvalidGroup.NotFound",
                     "The security group '" + name + "' does not exist in default VPC '" + (def ? def->id : "none") + "'",
                     400);
    req["GroupIds"].push_back(found);
  }
  return describe(ctx, req, "sg", "GroupIds", "SecurityGroups", sg_filters());
}

Json Ec2Service::describe_security_group_rules(RequestContext& ctx, const Json& in) {
  return describe(ctx, in, "sgr", "SecurityGroupRuleIds", "SecurityGroupRules", rule_filters());
}

// ---------------------------------------------------------------------------------------------------
// Authorize / revoke

static std::vector<RuleSpec> read_permissions(Ec2Service& svc, RegionState& r, const Res& sg, const Json& in) {
  Json perms = in.value("IpPermissions", Json::array());
  // The flat form: IpProtocol/FromPort/ToPort/CidrIp or a source group by name.
  if (has(in, "IpProtocol") || has(in, "CidrIp") || has(in, "SourceSecurityGroupName")) {
    Json p = {{"IpProtocol", str(in, "IpProtocol", "-1")}};
    if (has(in, "FromPort")) p["FromPort"] = in["FromPort"];
    if (has(in, "ToPort")) p["ToPort"] = in["ToPort"];
    if (has(in, "CidrIp")) p["IpRanges"] = {{{"CidrIp", in["CidrIp"]}}};
    if (has(in, "SourceSecurityGroupName")) {
      Json pair = {{"GroupName", in["SourceSecurityGroupName"]}};
      if (has(in, "SourceSecurityGroupOwnerId")) pair["UserId"] = in["SourceSecurityGroupOwnerId"];
      p["UserIdGroupPairs"] = {pair};
    }
    perms.push_back(p);
  }
  std::vector<RuleSpec> out;
  for (const auto& p : perms) {
    RuleSpec base;
    base.proto = normalize_protocol(p.value("IpProtocol", "-1"));
    bool has_from = p.contains("FromPort") && p["FromPort"].is_number();
    bool has_to = p.contains("ToPort") && p["ToPort"].is_number();
    if (base.proto == "tcp" || base.proto == "udp") {
      if (!has_from || !has_to)
        throw AwsError("InvalidParameterValue",
                       "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange", 400);
      base.from = p["FromPort"].get<int>();
      base.to = p["ToPort"].get<int>();
      if (base.from < 0 || base.to > 65535 || base.from > base.to)
        throw AwsError("InvalidParameterValue",
                       "Invalid TCP/UDP port range (" + std::to_string(base.from) + "-" + std::to_string(base.to) + ")", 400);
    } else if (base.proto == "icmp" || base.proto == "icmpv6") {
      base.from = has_from ? p["FromPort"].get<int>() : -1;
      base.to = has_to ? p["ToPort"].get<int>() : -1;
      if (base.from < -1 || base.from > 255 || base.to < -1 || base.to > 255)
        throw AwsError("InvalidParameterValue", "Invalid value for ICMP type/code", 400);
    }
    auto push = [&](std::string kind, std::string target, const Json& entry) {
      RuleSpec s = base;
      s.kind = std::move(kind);
      s.target = std::move(target);
      if (entry.contains("Description") && entry["Description"].is_string()) {
        s.description = entry["Description"];
        s.has_description = true;
      }
      out.push_back(s);
    };
    for (const auto& e : p.value("IpRanges", Json::array())) {
      std::string cidr = e.value("CidrIp", "");
      auto c = Ipv4Cidr::parse(cidr);
      if (!c) throw AwsError("InvalidParameterValue", "CIDR block " + cidr + " is malformed", 400);
      push("CidrIpv4", cidr, e);
    }
    for (const auto& e : p.value("Ipv6Ranges", Json::array())) {
      std::string cidr = e.value("CidrIpv6", "");
      auto c = Ipv6Cidr::parse(cidr);
      if (!c) throw AwsError("InvalidParameterValue", "CIDR block " + cidr + " is malformed", 400);
      push("CidrIpv6", c->str(), e);
    }
    for (const auto& e : p.value("PrefixListIds", Json::array())) {
      std::string pl = e.value("PrefixListId", "");
      if (pl.rfind("pl-", 0) != 0)
        throw AwsError("InvalidPrefixListId.Malformed", "Invalid id: \"" + pl + "\" (expecting \"pl-...\")", 400);
      if (!svc.prefix_list_exists(r, pl))
        throw AwsError("InvalidPrefixListID.NotFound", "The prefix list ID '" + pl + "' does not exist", 400);
      push("PrefixListId", pl, e);
    }
    for (const auto& e : p.value("UserIdGroupPairs", Json::array())) {
      std::string gid = e.value("GroupId", "");
      if (gid.empty()) {
        std::string gname = e.value("GroupName", "");
        for (const auto& [oid, o] : r.of("sg"))
          if (o.doc.value("VpcId", "") == sg.doc.value("VpcId", "") && o.doc.value("GroupName", "") == gname) gid = oid;
        if (gid.empty()) throw AwsError("InvalidGroup.NotFound", "The security group '" + gname + "' does not exist", 400);
      }
      svc.get(r, "sg", gid);
      RuleSpec s = base;
      s.kind = "group";
      s.target = gid;
      s.user = e.value("UserId", r.account);
      if (e.contains("Description") && e["Description"].is_string()) {
        s.description = e["Description"];
        s.has_description = true;
      }
      out.push_back(s);
    }
  }
  return out;
}

// The group a rule request names: GroupId, or GroupName in the default VPC (as EC2-Classic callers send it).
static std::string group_id_of(Ec2Service& svc, RegionState& r, const Json& in) {
  std::string id = str(in, "GroupId");
  if (id.empty()) {
    std::string name = str(in, "GroupName");
    Res* def = svc.default_vpc(r);
    for (const auto& [gid, g] : r.of("sg"))
      if (def && g.doc.value("VpcId", "") == def->id && g.doc.value("GroupName", "") == name) id = gid;
    if (id.empty())
      throw AwsError("InvalidGroup.NotFound",
                     "The security group '" + name + "' does not exist in default VPC '" + (def ? def->id : "none") + "'",
                     400);
  }
  return id;
}

static Json authorize(Ec2Service& svc, RequestContext& ctx, const Json& in, bool egress) {
  RegionState& r = svc.region(ctx);
  std::string id = group_id_of(svc, r, in);
  Res& sg = svc.get(r, "sg", id);
  auto specs = read_permissions(svc, r, sg, in);
  std::set<std::string> existing;
  for (const auto& rid : sg.doc["_Rules"])
    if (const Res* rule = r.find("sgr", rid.get<std::string>())) existing.insert(rule_key(rule->doc));
  std::set<std::string> seen;
  for (const auto& s : specs) {
    std::string k = s.key(egress);
    if (existing.count(k) || seen.count(k))
      throw AwsError("InvalidPermission.Duplicate", "the specified rule \"" + peer_text(s) + "\" already exists", 400);
    seen.insert(k);
  }
  if (sg.doc["_Rules"].size() + specs.size() > 120)
    throw AwsError("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.",
                   400);
  TagMap tags = svc.tags_from_specs(in, "security-group-rule");
  Json rules = Json::array();
  for (const auto& s : specs) {
    Res& rule = add_rule(svc, r, *r.find("sg", id), egress, s, tags);
    rules.push_back(svc.render(r, rule));
  }
  return {{"Return", true}, {"SecurityGroupRules", rules}};
}

static Json revoke(Ec2Service& svc, RequestContext& ctx, const Json& in, bool egress) {
  RegionState& r = svc.region(ctx);
  std::string id = group_id_of(svc, r, in);
  Res& sg = svc.get(r, "sg", id);
  std::vector<std::string> to_remove;
  Json unknown = Json::array();
  auto rule_ids = strings(in, "SecurityGroupRuleIds");
  for (const auto& rid : rule_ids) {
    svc.check_id_form("sgr", rid);
    const Res* rule = r.find("sgr", rid);
    if (!rule || rule->doc.value("GroupId", "") != id || rule->doc.value("IsEgress", false) != egress)
      throw AwsError("InvalidSecurityGroupRuleId.NotFound",
                     "The security group rule ID '" + rid + "' does not exist in security group '" + id + "'", 400);
    to_remove.push_back(rid);
  }
  auto specs = read_permissions(svc, r, sg, in);
  for (const auto& s : specs) {
    std::string k = s.key(egress);
    std::string hit;
    for (const auto& rid : sg.doc["_Rules"])
      if (const Res* rule = r.find("sgr", rid.get<std::string>()); rule && rule_key(rule->doc) == k) hit = rule->id;
    if (hit.empty()) {
      Json p = {{"IpProtocol", s.proto}};
      if (s.proto != "-1") p["FromPort"] = s.from, p["ToPort"] = s.to;
      if (s.kind == "CidrIpv4") p["IpRanges"] = {{{"CidrIp", s.target}}};
      else if (s.kind == "CidrIpv6") p["Ipv6Ranges"] = {{{"CidrIpv6", s.target}}};
      else if (s.kind == "PrefixListId") p["PrefixListIds"] = {{{"PrefixListId", s.target}}};
      else p["UserIdGroupPairs"] = {{{"GroupId", s.target}, {"UserId", s.user}}};
      unknown.push_back(p);
    } else {
      to_remove.push_back(hit);
    }
  }
  if (to_remove.empty())
    throw AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.", 400);
  Json revoked = Json::array();
  auto& list = sg.doc["_Rules"];
  for (const auto& rid : to_remove) {
    const Res* rule = r.find("sgr", rid);
    if (!rule) continue;
    Json d = rule->doc;
    Json rev = {{"SecurityGroupRuleId", rid},       {"GroupId", id},
                {"IsEgress", egress},               {"IpProtocol", d["IpProtocol"]},
                {"FromPort", d["FromPort"]},        {"ToPort", d["ToPort"]}};
    for (const char* k : {"CidrIpv4", "CidrIpv6", "PrefixListId", "Description"})
      if (d.contains(k)) rev[k] = d[k];
    if (d.contains("ReferencedGroupInfo")) rev["ReferencedGroupId"] = d["ReferencedGroupInfo"].value("GroupId", "");
    revoked.push_back(rev);
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == rid) {
        list.erase(list.begin() + long(i));
        break;
      }
    svc.drop(r, rid);
  }
  svc.touch(r, id);
  Json out = {{"Return", true}, {"RevokedSecurityGroupRules", revoked}};
  if (!unknown.empty()) out["UnknownIpPermissions"] = unknown;
  return out;
}

Json Ec2Service::authorize_ingress(RequestContext& ctx, const Json& in) { return authorize(*this, ctx, in, false); }
Json Ec2Service::authorize_egress(RequestContext& ctx, const Json& in) { return authorize(*this, ctx, in, true); }
Json Ec2Service::revoke_ingress(RequestContext& ctx, const Json& in) { return revoke(*this, ctx, in, false); }
Json Ec2Service::revoke_egress(RequestContext& ctx, const Json& in) { return revoke(*this, ctx, in, true); }

}  // namespace cloudbox::ec2

namespace cloudbox::ec2 {

// ---------------------------------------------------------------------------------------------------
// Editing rules in place

namespace {
// A SecurityGroupRuleRequest as an IpPermissions request, so one parser reads both forms.
Json as_permissions(const Json& req) {
  Json p = {{"IpProtocol", req.value("IpProtocol", "-1")}};
  if (req.contains("FromPort")) p["FromPort"] = req["FromPort"];
  if (req.contains("ToPort")) p["ToPort"] = req["ToPort"];
  Json entry = Json::object();
  if (req.contains("Description")) entry["Description"] = req["Description"];
  if (req.contains("CidrIpv4")) entry["CidrIp"] = req["CidrIpv4"], p["IpRanges"] = {entry};
  else if (req.contains("CidrIpv6")) entry["CidrIpv6"] = req["CidrIpv6"], p["Ipv6Ranges"] = {entry};
  else if (req.contains("PrefixListId")) entry["PrefixListId"] = req["PrefixListId"], p["PrefixListIds"] = {entry};
  else if (req.contains("ReferencedGroupId")) entry["GroupId"] = req["ReferencedGroupId"], p["UserIdGroupPairs"] = {entry};
  else throw AwsError("MissingParameter", "The request must contain a CIDR block, prefix list or referenced group", 400);
  return {{"IpPermissions", {p}}};
}
}  // namespace

Json Ec2Service::modify_security_group_rules(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string id = str(in, "GroupId");
  Res& sg = get(r, "sg", id);
  for (const auto& update : in.value("SecurityGroupRules", Json::array())) {
    std::string rid = update.value("SecurityGroupRuleId", "");
    check_id_form("sgr", rid);
    Res* rule = r.find("sgr", rid);
    if (!rule || rule->doc.value("GroupId", "") != id)
      throw AwsError("InvalidSecurityGroupRuleId.NotFound",
                     "The security group rule ID '" + rid + "' does not exist in security group '" + id + "'", 400);
    auto specs = read_permissions(*this, r, sg, as_permissions(update.value("SecurityGroupRule", Json::object())));
    bool egress = rule->doc.value("IsEgress", false);
    const RuleSpec& s = specs.at(0);
    for (const auto& other : sg.doc["_Rules"]) {
      const Res* o = r.find("sgr", other.get<std::string>());
      if (o && o->id != rid && rule_key(o->doc) == s.key(egress))
        throw AwsError("InvalidPermission.Duplicate", "the specified rule \"" + peer_text(s) + "\" already exists", 400);
    }
    rule->doc = make_rule_doc(r, rid, id, egress, s);
    touch(r, rid);
  }
  touch(r, id);
  return {{"Return", true}};
}

static Json update_descriptions(Ec2Service& svc, RequestContext& ctx, const Json& in, bool egress) {
  RegionState& r = svc.region(ctx);
  std::string id = str(in, "GroupId");
  Res& sg = svc.get(r, "sg", id);
  for (const auto& d : in.value("SecurityGroupRuleDescriptions", Json::array())) {
    std::string rid = d.value("SecurityGroupRuleId", "");
    Res* rule = r.find("sgr", rid);
    if (!rule || rule->doc.value("GroupId", "") != id || rule->doc.value("IsEgress", false) != egress)
      throw AwsError("InvalidSecurityGroupRuleId.NotFound",
                     "The security group rule ID '" + rid + "' does not exist in security group '" + id + "'", 400);
    if (d.contains("Description")) rule->doc["Description"] = d["Description"];
    else rule->doc.erase("Description");
    svc.touch(r, rid);
  }
  for (const auto& s : read_permissions(svc, r, sg, in)) {
    std::string hit;
    for (const auto& rid : sg.doc["_Rules"])
      if (const Res* rule = r.find("sgr", rid.get<std::string>()); rule && rule_key(rule->doc) == s.key(egress))
        hit = rule->id;
    if (hit.empty())
      throw AwsError("InvalidPermission.NotFound", "The specified rule does not exist in this security group.", 400);
    Res* rule = r.find("sgr", hit);
    if (s.has_description) rule->doc["Description"] = s.description;
    else rule->doc.erase("Description");
    svc.touch(r, hit);
  }
  return {{"Return", true}};
}

Json Ec2Service::update_rule_descriptions_ingress(RequestContext& ctx, const Json& in) {
  return update_descriptions(*this, ctx, in, false);
}
Json Ec2Service::update_rule_descriptions_egress(RequestContext& ctx, const Json& in) {
  return update_descriptions(*this, ctx, in, true);
}

}  // namespace cloudbox::ec2
