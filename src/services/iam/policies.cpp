// Managed policies (customer managed with up to 5 versions and one default version; AWS managed, read-only),
// inline policies of users, groups and roles, attachments, permissions boundaries, ListEntitiesForPolicy.
#include <algorithm>

#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

constexpr size_t kManagedPolicyQuota = 6144;
constexpr size_t kMaxVersions = 5;
constexpr size_t kMaxAttached = 10;

std::string name_member(const char* kind) { return std::string(kind) + "Name"; }

const char* store_kind(const char* kind) {
  std::string k = kind;
  return k == "User" ? "user" : k == "Group" ? "group" : "role";
}

int version_number(const std::string& v) { return v.size() > 1 ? std::atoi(v.c_str() + 1) : 0; }

[[noreturn]] void aws_policy_denied(const RequestContext& ctx, const std::string& arn) {
  throw AwsError("AccessDenied", "User: " + ctx.principal.arn + " is not authorized to perform: iam:" + ctx.operation +
                                     " on resource: policy " + arn,
                 403);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Views

namespace {
Json customer_policy_out(const Json& p, int attachments, int boundaries, bool get) {
  Json out = {{"PolicyName", p["PolicyName"]},
              {"PolicyId", p["PolicyId"]},
              {"Arn", p["Arn"]},
              {"Path", p["Path"]},
              {"DefaultVersionId", p["DefaultVersionId"]},
              {"AttachmentCount", attachments},
              {"PermissionsBoundaryUsageCount", boundaries},
              {"IsAttachable", true},
              {"CreateDate", p["CreateDate"]},
              {"UpdateDate", p["UpdateDate"]}};
  if (get && p.contains("Description")) out["Description"] = p["Description"];
  if (get && p.contains("Tags") && !p["Tags"].empty()) out["Tags"] = tags_out(p);
  return out;
}

Json aws_policy_out(const AwsManagedPolicy& p, int attachments, int boundaries, bool get) {
  Json out = {{"PolicyName", p.name},
              {"PolicyId", p.id},
              {"Arn", p.arn},
              {"Path", p.path},
              {"DefaultVersionId", p.version_id},
              {"AttachmentCount", attachments},
              {"PermissionsBoundaryUsageCount", boundaries},
              {"IsAttachable", true},
              {"CreateDate", p.created},
              {"UpdateDate", p.updated}};
  if (get && !p.description.empty()) out["Description"] = p.description;
  return out;
}
}  // namespace

// ---------------------------------------------------------------------------------------------------
// Customer managed policies

Json IamService::create_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("PolicyName").get<std::string>();
  std::string path = path_of(in);
  std::string doc = read_document(in, "PolicyDocument", policy::Kind::Identity, kManagedPolicyQuota, "PolicySize");
  if (a.policies.count(lower(name))) already_exists("A policy called " + name + " already exists. Duplicate names are not allowed.");
  double now = now_epoch(ctx);
  Json p = {{"PolicyName", name},
            {"PolicyId", make_unique_id("ANPA")},
            {"Arn", "arn:aws:iam::" + acct + ":policy" + path + name},
            {"Path", path},
            {"DefaultVersionId", "v1"},
            {"CreateDate", now},
            {"UpdateDate", now},
            {"Tags", Json::object()},
            {"next_version", 2},
            {"versions", Json::array({{{"VersionId", "v1"}, {"Document", doc}, {"CreateDate", now}}})}};
  if (in.contains("Description")) p["Description"] = in["Description"];
  if (in.contains("Tags")) apply_tags(p, in["Tags"]);
  save(acct, "policy", p, name);
  a.policies[lower(name)] = p;
  Json out = customer_policy_out(p, 0, 0, false);
  if (!p["Tags"].empty()) out["Tags"] = tags_out(p);
  return {{"Policy", out}};
}

Json IamService::get_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (const auto* p = find_aws_policy(arn))
    return {{"Policy", aws_policy_out(*p, attachment_count(a, arn), boundary_count(a, arn), true)}};
  Json* p = find_customer_policy(a, account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  return {{"Policy", customer_policy_out(*p, attachment_count(a, arn), boundary_count(a, arn), true)}};
}

Json IamService::delete_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* p = find_customer_policy(a, account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  if (attachment_count(a, arn) > 0) delete_conflict("Cannot delete a policy attached to entities.");
  if (boundary_count(a, arn) > 0) delete_conflict("Cannot delete a policy attached to entities.");
  if ((*p)["versions"].size() > 1)
    delete_conflict(
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
        "The default version is deleted with the policy.");
  std::string name = (*p)["PolicyName"].get<std::string>();
  erase(account_id(ctx), "policy", name);
  a.policies.erase(lower(name));
  return Json::object();
}

Json IamService::list_policies(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string scope = str(in, "Scope", "All");
  std::string prefix = str(in, "PathPrefix", "/");
  bool only_attached = in.value("OnlyAttached", false);
  std::string usage = str(in, "PolicyUsageFilter");
  std::vector<std::pair<std::string, Json>> rows;
  auto wanted = [&](const std::string& arn, const std::string& path) {
    if (path.rfind(prefix, 0) != 0) return false;
    int att = attachment_count(a, arn), bnd = boundary_count(a, arn);
    if (usage == "PermissionsPolicy" && att == 0 && only_attached) return false;
    if (usage == "PermissionsBoundary" && bnd == 0 && only_attached) return false;
    if (only_attached && usage.empty() && att == 0 && bnd == 0) return false;
    return true;
  };
  if (scope == "All" || scope == "AWS")
    for (const auto& p : aws_policies_)
      if (wanted(p.arn, p.path))
        rows.emplace_back(lower(p.name) + "|" + p.arn,
                          aws_policy_out(p, attachment_count(a, p.arn), boundary_count(a, p.arn), false));
  if (scope == "All" || scope == "Local")
    for (const auto& [k, p] : a.policies) {
      std::string arn = p["Arn"].get<std::string>();
      if (wanted(arn, p["Path"].get<std::string>()))
        rows.emplace_back(k + "|" + arn, customer_policy_out(p, attachment_count(a, arn), boundary_count(a, arn), false));
    }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "Policies");
}

namespace {
Json* find_version(Json& p, const std::string& id) {
  for (auto& v : p["versions"])
    if (v["VersionId"] == id) return &v;
  return nullptr;
}
}  // namespace

Json IamService::create_policy_version(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* found = find_customer_policy(a, account_id(ctx), arn);
  if (!found) no_such_entity("Policy " + arn + " was not found.");
  std::string doc = read_document(in, "PolicyDocument", policy::Kind::Identity, kManagedPolicyQuota, "PolicySize");
  Json p = *found;
  if (p["versions"].size() >= kMaxVersions)
    limit_exceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
                   "existing version.");
  int n = p["next_version"].get<int>();
  std::string id = "v" + std::to_string(n);
  double now = now_epoch(ctx);
  p["next_version"] = n + 1;
  p["versions"].push_back({{"VersionId", id}, {"Document", doc}, {"CreateDate", now}});
  p["UpdateDate"] = now;
  bool make_default = in.value("SetAsDefault", false);
  if (make_default) p["DefaultVersionId"] = id;
  save(account_id(ctx), "policy", p, p["PolicyName"]);
  *found = p;
  return {{"PolicyVersion", {{"VersionId", id}, {"IsDefaultVersion", make_default}, {"CreateDate", now}}}};
}

Json IamService::get_policy_version(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  std::string id = in.at("VersionId").get<std::string>();
  if (const auto* p = find_aws_policy(arn)) {
    if (id != p->version_id) no_such_entity("Policy " + arn + " version " + id + " does not exist or is not attachable.");
    return {{"PolicyVersion",
             {{"Document", encode_document(p->document)}, {"VersionId", id}, {"IsDefaultVersion", true},
              {"CreateDate", p->updated}}}};
  }
  Json* p = find_customer_policy(a, account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  Json* v = find_version(*p, id);
  if (!v) no_such_entity("Policy " + arn + " version " + id + " does not exist or is not attachable.");
  return {{"PolicyVersion",
           {{"Document", encode_document((*v)["Document"].get<std::string>())},
            {"VersionId", id},
            {"IsDefaultVersion", (*p)["DefaultVersionId"] == id},
            {"CreateDate", (*v)["CreateDate"]}}}};
}

Json IamService::delete_policy_version(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* p = find_customer_policy(a, account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  std::string id = in.at("VersionId").get<std::string>();
  if (!find_version(*p, id)) no_such_entity("Policy " + arn + " version " + id + " does not exist or is not attachable.");
  if ((*p)["DefaultVersionId"] == id) delete_conflict("Cannot delete the default version of a policy.");
  Json copy = *p;
  Json kept = Json::array();
  for (const auto& v : copy["versions"])
    if (v["VersionId"] != id) kept.push_back(v);
  copy["versions"] = kept;
  save(account_id(ctx), "policy", copy, copy["PolicyName"]);
  *p = copy;
  return Json::object();
}

Json IamService::list_policy_versions(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  std::vector<std::pair<std::string, Json>> rows;
  auto key = [](int n) {  // newest first, as IAM lists them
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08d", 99999999 - n);
    return std::string(buf);
  };
  if (const auto* p = find_aws_policy(arn)) {
    rows.emplace_back(key(version_number(p->version_id)),
                      Json{{"VersionId", p->version_id}, {"IsDefaultVersion", true}, {"CreateDate", p->updated}});
  } else {
    Json* cp = find_customer_policy(a, account_id(ctx), arn);
    if (!cp) no_such_entity("Policy " + arn + " was not found.");
    for (const auto& v : (*cp)["versions"]) {
      std::string id = v["VersionId"].get<std::string>();
      rows.emplace_back(key(version_number(id)), Json{{"VersionId", id},
                                                      {"IsDefaultVersion", (*cp)["DefaultVersionId"] == id},
                                                      {"CreateDate", v["CreateDate"]}});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "Versions");
}

Json IamService::set_default_policy_version(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* p = find_customer_policy(a, account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  std::string id = in.at("VersionId").get<std::string>();
  if (!find_version(*p, id)) no_such_entity("Policy " + arn + " version " + id + " does not exist or is not attachable.");
  Json copy = *p;
  copy["DefaultVersionId"] = id;
  save(account_id(ctx), "policy", copy, copy["PolicyName"]);
  *p = copy;
  return Json::object();
}

Json IamService::tag_policy(RequestContext& ctx, const Json& in) {
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* p = find_customer_policy(account(ctx), account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  Json copy = *p;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "policy", copy, copy["PolicyName"]);
  *p = copy;
  return Json::object();
}

Json IamService::untag_policy(RequestContext& ctx, const Json& in) {
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (find_aws_policy(arn)) aws_policy_denied(ctx, arn);
  Json* p = find_customer_policy(account(ctx), account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  remove_tags(*p, in.at("TagKeys"));
  save(account_id(ctx), "policy", *p, (*p)["PolicyName"]);
  return Json::object();
}

Json IamService::list_policy_tags(RequestContext& ctx, const Json& in) {
  std::string arn = in.at("PolicyArn").get<std::string>();
  std::vector<std::pair<std::string, Json>> rows;
  if (find_aws_policy(arn)) return page(in, rows, "Tags");
  Json* p = find_customer_policy(account(ctx), account_id(ctx), arn);
  if (!p) no_such_entity("Policy " + arn + " was not found.");
  for (const auto& t : tags_out(*p)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

// ---------------------------------------------------------------------------------------------------
// Inline policies

namespace {
Json& entity_of(IamService& svc, AccountState& a, const char* kind, const std::string& name) {
  std::string k = kind;
  if (k == "User") return svc.need_user(a, name);
  if (k == "Group") return svc.need_group(a, name);
  return svc.need_role(a, name);
}

void require_modifiable(const Json& e) {
  if (e.value("service_linked", false))
    throw AwsError("UnmodifiableEntityException", "Cannot perform the operation on the protected role '" +
                                                      e["RoleName"].get<std::string>() +
                                                      "' - this role is only modifiable by AWS");
}
}  // namespace

Json IamService::put_inline(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  std::string k = kind;
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  size_t quota = k == "User" ? 2048 : k == "Group" ? 5120 : 10240;
  std::string quota_name = k + "PolicySize";
  std::string policy_name = in.at("PolicyName").get<std::string>();
  std::string doc = read_document(in, "PolicyDocument", policy::Kind::Identity, quota, quota_name.c_str());
  // The quota is for all of the entity's inline policies together.
  size_t total = policy::policy_size(doc);
  for (const auto& [n, d] : e["inline"].items())
    if (n != policy_name) total += policy::policy_size(d.get<std::string>());
  if (total > quota) limit_exceeded("Maximum policy size of " + std::to_string(quota) + " bytes exceeded for " +
                                    std::string(kind == std::string("User") ? "user" : kind == std::string("Group") ? "group" : "role") +
                                    " " + e[name_member(kind)].get<std::string>());
  Json copy = e;
  copy["inline"][policy_name] = doc;
  save(account_id(ctx), store_kind(kind), copy, copy[name_member(kind)]);
  e = copy;
  return Json::object();
}

Json IamService::get_inline(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  std::string policy_name = in.at("PolicyName").get<std::string>();
  if (!e["inline"].contains(policy_name))
    no_such_entity("The " + lower(kind) + " policy with name " + policy_name + " cannot be found.");
  return {{name_member(kind), e[name_member(kind)]},
          {"PolicyName", policy_name},
          {"PolicyDocument", encode_document(e["inline"][policy_name].get<std::string>())}};
}

Json IamService::delete_inline(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  std::string policy_name = in.at("PolicyName").get<std::string>();
  if (!e["inline"].contains(policy_name))
    no_such_entity("The " + lower(kind) + " policy with name " + policy_name + " cannot be found.");
  e["inline"].erase(policy_name);
  save(account_id(ctx), store_kind(kind), e, e[name_member(kind)]);
  return Json::object();
}

Json IamService::list_inline(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [n, d] : e["inline"].items()) rows.emplace_back(n, n);
  return page(in, rows, "PolicyNames");
}

// ---------------------------------------------------------------------------------------------------
// Attachments and boundaries

Json IamService::attach(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (!find_aws_policy(arn) && !find_customer_policy(a, account_id(ctx), arn))
    no_such_entity("Policy " + arn + " does not exist or is not attachable.");
  for (const auto& x : e["attached"])
    if (x == arn) return Json::object();
  if (e["attached"].size() >= kMaxAttached)
    limit_exceeded("Cannot exceed quota for PoliciesPer" + std::string(kind) + ": " + std::to_string(kMaxAttached));
  Json copy = e;
  copy["attached"].push_back(arn);
  save(account_id(ctx), store_kind(kind), copy, copy[name_member(kind)]);
  e = copy;
  return Json::object();
}

Json IamService::detach(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  std::string arn = in.at("PolicyArn").get<std::string>();
  Json kept = Json::array();
  bool found = false;
  for (const auto& x : e["attached"]) {
    if (x == arn) found = true;
    else kept.push_back(x);
  }
  if (!found) no_such_entity("Policy " + arn + " was not found.");
  e["attached"] = kept;
  save(account_id(ctx), store_kind(kind), e, e[name_member(kind)]);
  return Json::object();
}

Json IamService::list_attached(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  std::string prefix = str(in, "PathPrefix", "/");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& x : e["attached"]) {
    std::string arn = x.get<std::string>();
    std::string after = arn.substr(arn.find(":policy") + 7);  // /path/name
    std::string path = after.substr(0, after.rfind('/') + 1);
    std::string name = after.substr(after.rfind('/') + 1);
    if (path.rfind(prefix, 0) != 0) continue;
    rows.emplace_back(lower(name) + "|" + arn, Json{{"PolicyName", name}, {"PolicyArn", arn}});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "AttachedPolicies");
}

Json IamService::put_boundary(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  std::string arn = in.at("PermissionsBoundary").get<std::string>();
  if (!find_aws_policy(arn) && !find_customer_policy(a, account_id(ctx), arn))
    no_such_entity("Scope ARN: " + arn + " does not exist or is not attachable.");
  e["PermissionsBoundary"] = arn;
  save(account_id(ctx), store_kind(kind), e, e[name_member(kind)]);
  return Json::object();
}

Json IamService::delete_boundary(RequestContext& ctx, const Json& in, const char* kind) {
  AccountState& a = account(ctx);
  Json& e = entity_of(*this, a, kind, in.at(name_member(kind)).get<std::string>());
  require_modifiable(e);
  e.erase("PermissionsBoundary");
  save(account_id(ctx), store_kind(kind), e, e[name_member(kind)]);
  return Json::object();
}

Json IamService::list_entities_for_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string arn = in.at("PolicyArn").get<std::string>();
  if (!find_aws_policy(arn) && !find_customer_policy(a, account_id(ctx), arn))
    no_such_entity("Policy " + arn + " was not found.");
  std::string filter = str(in, "EntityFilter");
  std::string prefix = str(in, "PathPrefix", "/");
  std::string usage = str(in, "PolicyUsageFilter");
  auto uses = [&](const Json& e) {
    bool attached = false;
    for (const auto& x : e.value("attached", Json::array()))
      if (x == arn) attached = true;
    bool boundary = e.value("PermissionsBoundary", std::string()) == arn;
    if (usage == "PermissionsPolicy") return attached;
    if (usage == "PermissionsBoundary") return boundary;
    return attached || boundary;
  };
  auto in_path = [&](const Json& e) { return e.value("Path", "/").rfind(prefix, 0) == 0; };
  Json groups = Json::array(), users = Json::array(), roles = Json::array();
  if (filter.empty() || filter == "Group")
    for (const auto& [k, g] : a.groups)
      if (uses(g) && in_path(g)) groups.push_back({{"GroupName", g["GroupName"]}, {"GroupId", g["GroupId"]}});
  if (filter.empty() || filter == "User")
    for (const auto& [k, u] : a.users)
      if (uses(u) && in_path(u)) users.push_back({{"UserName", u["UserName"]}, {"UserId", u["UserId"]}});
  if (filter.empty() || filter == "Role")
    for (const auto& [k, r] : a.roles)
      if (uses(r) && in_path(r)) roles.push_back({{"RoleName", r["RoleName"]}, {"RoleId", r["RoleId"]}});
  return {{"PolicyGroups", groups}, {"PolicyUsers", users}, {"PolicyRoles", roles}, {"IsTruncated", false}};
}

}  // namespace cloudbox::iam
