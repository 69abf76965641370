// IAM roles (trust policies, maximum session duration, description, tags), service-linked roles, and
// instance profiles with their role.
#include <algorithm>
#include <cctype>

#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

constexpr size_t kTrustPolicyQuota = 2048;

Json role_out(const Json& r, bool full) {
  Json out = {{"Path", r["Path"]},
              {"RoleName", r["RoleName"]},
              {"RoleId", r["RoleId"]},
              {"Arn", r["Arn"]},
              {"CreateDate", r["CreateDate"]},
              {"AssumeRolePolicyDocument", encode_document(r["AssumeRolePolicyDocument"].get<std::string>())},
              {"MaxSessionDuration", r.value("MaxSessionDuration", 3600)}};
  if (r.contains("Description")) out["Description"] = r["Description"];
  if (full) {
    if (r.contains("PermissionsBoundary"))
      out["PermissionsBoundary"] = {{"PermissionsBoundaryType", "Policy"},
                                    {"PermissionsBoundaryArn", r["PermissionsBoundary"]}};
    if (r.contains("Tags") && !r["Tags"].empty()) out["Tags"] = tags_out(r);
    out["RoleLastUsed"] = r.value("RoleLastUsed", Json::object());
  }
  return out;
}

bool in_path(const Json& e, const std::string& prefix) { return e.value("Path", "/").rfind(prefix, 0) == 0; }

// IAM resolves the users and roles a trust policy names; one that does not exist makes the policy invalid.
void check_principals_exist(const AccountState& a, const std::string& account, const std::string& doc) {
  Json d = Json::parse(doc, nullptr, false);
  if (!d.is_object() || !d.contains("Statement")) return;
  Json statements = d["Statement"].is_array() ? d["Statement"] : Json::array({d["Statement"]});
  std::string prefix = "arn:aws:iam::" + account + ":";
  for (const auto& s : statements) {
    if (!s.is_object() || !s.contains("Principal") || !s["Principal"].is_object() || !s["Principal"].contains("AWS"))
      continue;
    const Json& aws = s["Principal"]["AWS"];
    Json values = aws.is_array() ? aws : Json::array({aws});
    for (const auto& v : values) {
      if (!v.is_string()) continue;
      std::string arn = v.get<std::string>();
      if (arn.rfind(prefix, 0) != 0) continue;
      std::string res = arn.substr(prefix.size());
      std::string name = lower(res.substr(res.rfind('/') + 1));
      bool missing = (res.rfind("user/", 0) == 0 && !a.users.count(name)) ||
                     (res.rfind("role/", 0) == 0 && !a.roles.count(name));
      if (missing)
        throw AwsError("MalformedPolicyDocumentException", "Invalid principal in policy: \"AWS\":\"" + arn + "\"");
    }
  }
}

[[noreturn]] void protected_role(const std::string& name) {
  throw AwsError("UnmodifiableEntityException", "Cannot perform the operation on the protected role '" + name +
                                                    "' - this role is only modifiable by AWS");
}

// The role name AWS gives a service's service-linked role.
std::string service_role_name(const std::string& service) {
  static const std::pair<const char*, const char*> known[] = {
      {"autoscaling.amazonaws.com", "AutoScaling"},
      {"elasticloadbalancing.amazonaws.com", "ElasticLoadBalancing"},
      {"rds.amazonaws.com", "RDS"},
      {"ecs.amazonaws.com", "ECS"},
      {"spot.amazonaws.com", "EC2Spot"},
      {"spotfleet.amazonaws.com", "EC2SpotFleet"},
      {"ec2scheduled.amazonaws.com", "EC2Scheduled"},
      {"elasticache.amazonaws.com", "ElastiCache"},
      {"es.amazonaws.com", "AmazonElasticsearchService"},
      {"opensearchservice.amazonaws.com", "AmazonOpenSearchService"},
      {"eks.amazonaws.com", "AmazonEKS"},
      {"ssm.amazonaws.com", "AmazonSSM"},
      {"organizations.amazonaws.com", "Organizations"},
      {"secretsmanager.amazonaws.com", "SecretsManager"},
      {"lambda.amazonaws.com", "Lambda"},
      {"cloudtrail.amazonaws.com", "CloudTrail"},
      {"config.amazonaws.com", "Config"},
      {"support.amazonaws.com", "Support"},
      {"trustedadvisor.amazonaws.com", "TrustedAdvisor"},
  };
  for (const auto& [svc, name] : known)
    if (service == svc) return std::string("AWSServiceRoleFor") + name;
  std::string first = service.substr(0, service.find('.'));
  std::string out;
  bool up = true;
  for (char c : first) {
    if (c == '-') {
      up = true;
      continue;
    }
    out.push_back(up ? char(std::toupper(static_cast<unsigned char>(c))) : c);
    up = false;
  }
  return "AWSServiceRoleFor" + out;
}

}  // namespace

Json IamService::create_role(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("RoleName").get<std::string>();
  std::string path = path_of(in);
  std::string trust = read_document(in, "AssumeRolePolicyDocument", policy::Kind::Trust, kTrustPolicyQuota,
                                    "ACLSizePerRole");
  check_principals_exist(a, acct, trust);
  if (a.roles.count(lower(name))) already_exists("Role with name " + name + " already exists.");
  Json r = {{"RoleName", name},
            {"RoleId", make_unique_id("AROA")},
            {"Arn", "arn:aws:iam::" + acct + ":role" + path + name},
            {"Path", path},
            {"CreateDate", now_epoch(ctx)},
            {"AssumeRolePolicyDocument", trust},
            {"MaxSessionDuration", in.value("MaxSessionDuration", 3600)},
            {"Tags", Json::object()},
            {"inline", Json::object()},
            {"attached", Json::array()}};
  if (in.contains("Description")) r["Description"] = in["Description"];
  if (in.contains("Tags")) apply_tags(r, in["Tags"]);
  if (in.contains("PermissionsBoundary")) {
    std::string arn = in["PermissionsBoundary"].get<std::string>();
    if (!find_aws_policy(arn) && !find_customer_policy(a, acct, arn)) no_such_entity("Scope ARN: " + arn + " does not exist or is not attachable.");
    r["PermissionsBoundary"] = arn;
  }
  save(acct, "role", r, name);
  a.roles[lower(name)] = r;
  Json out = role_out(r, true);
  out.erase("RoleLastUsed");
  return {{"Role", out}};
}

Json IamService::get_role(RequestContext& ctx, const Json& in) {
  return {{"Role", role_out(need_role(account(ctx), in.at("RoleName").get<std::string>()), true)}};
}

Json IamService::update_role(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  if (r.value("service_linked", false)) protected_role(r["RoleName"]);
  if (in.contains("Description")) r["Description"] = in["Description"];
  if (in.contains("MaxSessionDuration")) r["MaxSessionDuration"] = in["MaxSessionDuration"];
  save(account_id(ctx), "role", r, r["RoleName"]);
  return Json::object();
}

Json IamService::update_role_description(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  r["Description"] = in.at("Description");
  save(account_id(ctx), "role", r, r["RoleName"]);
  return {{"Role", role_out(r, true)}};
}

Json IamService::update_assume_role_policy(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  if (r.value("service_linked", false)) protected_role(r["RoleName"]);
  std::string trust = read_document(in, "PolicyDocument", policy::Kind::Trust, kTrustPolicyQuota, "ACLSizePerRole");
  check_principals_exist(account(ctx), account_id(ctx), trust);
  Json copy = r;
  copy["AssumeRolePolicyDocument"] = trust;
  save(account_id(ctx), "role", copy, copy["RoleName"]);
  r = copy;
  return Json::object();
}

Json IamService::delete_role(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string name = in.at("RoleName").get<std::string>();
  Json& r = need_role(a, name);
  if (r.value("service_linked", false)) protected_role(r["RoleName"]);
  for (const auto& [k, ip] : a.instance_profiles)
    for (const auto& rn : ip["roles"])
      if (lower(rn.get<std::string>()) == lower(name))
        delete_conflict("Cannot delete entity, must remove roles from instance profile first.");
  if (!r["inline"].empty()) delete_conflict("Cannot delete entity, must delete policies first.");
  if (!r["attached"].empty()) delete_conflict("Cannot delete entity, must detach all policies first.");
  erase(account_id(ctx), "role", name);
  a.roles.erase(lower(name));
  return Json::object();
}

Json IamService::list_roles(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string prefix = str(in, "PathPrefix", "/");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, r] : a.roles)
    if (in_path(r, prefix)) rows.emplace_back(k, role_out(r, false));
  return page(in, rows, "Roles");
}

Json IamService::tag_role(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  Json copy = r;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "role", copy, copy["RoleName"]);
  r = copy;
  return Json::object();
}

Json IamService::untag_role(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  remove_tags(r, in.at("TagKeys"));
  save(account_id(ctx), "role", r, r["RoleName"]);
  return Json::object();
}

Json IamService::list_role_tags(RequestContext& ctx, const Json& in) {
  Json& r = need_role(account(ctx), in.at("RoleName").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(r)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

// ---------------------------------------------------------------------------------------------------
// Service-linked roles

Json IamService::create_service_linked_role(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string service = in.at("AWSServiceName").get<std::string>();
  if (service.find(".amazonaws.com") == std::string::npos)
    invalid_input("Service name " + service + " is not valid or does not support service-linked roles.");
  std::string name = service_role_name(service);
  if (in.contains("CustomSuffix")) name += "_" + in["CustomSuffix"].get<std::string>();
  if (a.roles.count(lower(name)))
    invalid_input("Service role name " + name + " has been taken in this account, please try a different suffix.");
  std::string path = "/aws-service-role/" + service + "/";
  Json trust = {{"Version", "2012-10-17"},
                {"Statement", Json::array({{{"Effect", "Allow"},
                                            {"Principal", {{"Service", Json::array({service})}}},
                                            {"Action", Json::array({"sts:AssumeRole"})}}})}};
  Json r = {{"RoleName", name},
            {"RoleId", make_unique_id("AROA")},
            {"Arn", "arn:aws:iam::" + acct + ":role" + path + name},
            {"Path", path},
            {"CreateDate", now_epoch(ctx)},
            {"AssumeRolePolicyDocument", trust.dump()},
            {"MaxSessionDuration", 3600},
            {"Tags", Json::object()},
            {"inline", Json::object()},
            {"attached", Json::array()},
            {"service_linked", true}};
  if (in.contains("Description")) r["Description"] = in["Description"];
  save(acct, "role", r, name);
  a.roles[lower(name)] = r;
  Json out = role_out(r, true);
  out.erase("RoleLastUsed");
  return {{"Role", out}};
}

Json IamService::delete_service_linked_role(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string name = in.at("RoleName").get<std::string>();
  Json& r = need_role(a, name);
  if (!r.value("service_linked", false))
    invalid_input("Role " + name + " is not a service-linked role.");
  std::string path = r["Path"].get<std::string>();
  std::string service = path.substr(std::string("/aws-service-role/").size());
  service.pop_back();
  std::string task = "task/aws-service-role/" + service + "/" + r["RoleName"].get<std::string>() + "/" + uuid4();
  erase(account_id(ctx), "role", name);
  a.roles.erase(lower(name));
  return {{"DeletionTaskId", task}};
}

Json IamService::get_service_linked_role_deletion_status(RequestContext& ctx, const Json& in) {
  std::string task = in.at("DeletionTaskId").get<std::string>();
  if (task.rfind("task/aws-service-role/", 0) != 0) invalid_input("Invalid deletion task id: " + task);
  // Deletions finish at once: nothing uses a service-linked role in cloudbox.
  return {{"Status", "SUCCEEDED"}};
}

// ---------------------------------------------------------------------------------------------------
// Instance profiles

namespace {
Json profile_out(const AccountState& a, const Json& ip) {
  Json roles = Json::array();
  for (const auto& rn : ip["roles"]) {
    auto it = a.roles.find(lower(rn.get<std::string>()));
    if (it != a.roles.end()) roles.push_back(role_out(it->second, false));
  }
  Json out = {{"Path", ip["Path"]},
              {"InstanceProfileName", ip["InstanceProfileName"]},
              {"InstanceProfileId", ip["InstanceProfileId"]},
              {"Arn", ip["Arn"]},
              {"CreateDate", ip["CreateDate"]},
              {"Roles", roles}};
  if (ip.contains("Tags") && !ip["Tags"].empty()) out["Tags"] = tags_out(ip);
  return out;
}
}  // namespace

Json IamService::create_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("InstanceProfileName").get<std::string>();
  std::string path = path_of(in);
  if (a.instance_profiles.count(lower(name))) already_exists("Instance Profile " + name + " already exists.");
  Json ip = {{"InstanceProfileName", name},
             {"InstanceProfileId", make_unique_id("AIPA")},
             {"Arn", "arn:aws:iam::" + acct + ":instance-profile" + path + name},
             {"Path", path},
             {"CreateDate", now_epoch(ctx)},
             {"Tags", Json::object()},
             {"roles", Json::array()}};
  if (in.contains("Tags")) apply_tags(ip, in["Tags"]);
  save(acct, "instance-profile", ip, name);
  a.instance_profiles[lower(name)] = ip;
  return {{"InstanceProfile", profile_out(a, ip)}};
}

Json IamService::get_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  return {{"InstanceProfile", profile_out(a, need_instance_profile(a, in.at("InstanceProfileName").get<std::string>()))}};
}

Json IamService::delete_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string name = in.at("InstanceProfileName").get<std::string>();
  Json& ip = need_instance_profile(a, name);
  if (!ip["roles"].empty()) delete_conflict("Cannot delete entity, must remove roles from instance profile first.");
  erase(account_id(ctx), "instance-profile", name);
  a.instance_profiles.erase(lower(name));
  return Json::object();
}

Json IamService::list_instance_profiles(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string prefix = str(in, "PathPrefix", "/");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, ip] : a.instance_profiles)
    if (in_path(ip, prefix)) rows.emplace_back(k, profile_out(a, ip));
  return page(in, rows, "InstanceProfiles");
}

Json IamService::list_instance_profiles_for_role(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string role = need_role(a, in.at("RoleName").get<std::string>())["RoleName"].get<std::string>();
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, ip] : a.instance_profiles)
    for (const auto& rn : ip["roles"])
      if (lower(rn.get<std::string>()) == lower(role)) rows.emplace_back(k, profile_out(a, ip));
  return page(in, rows, "InstanceProfiles");
}

Json IamService::add_role_to_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& ip = need_instance_profile(a, in.at("InstanceProfileName").get<std::string>());
  Json& r = need_role(a, in.at("RoleName").get<std::string>());
  for (const auto& rn : ip["roles"])
    if (lower(rn.get<std::string>()) == lower(r["RoleName"].get<std::string>()))
      limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
  if (!ip["roles"].empty()) limit_exceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
  ip["roles"].push_back(r["RoleName"]);
  save(account_id(ctx), "instance-profile", ip, ip["InstanceProfileName"]);
  return Json::object();
}

Json IamService::remove_role_from_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& ip = need_instance_profile(a, in.at("InstanceProfileName").get<std::string>());
  std::string role = in.at("RoleName").get<std::string>();
  Json kept = Json::array();
  bool found = false;
  for (const auto& rn : ip["roles"]) {
    if (lower(rn.get<std::string>()) == lower(role)) found = true;
    else kept.push_back(rn);
  }
  if (!found) no_such_entity("The role with name " + role + " cannot be found.");
  ip["roles"] = kept;
  save(account_id(ctx), "instance-profile", ip, ip["InstanceProfileName"]);
  return Json::object();
}

Json IamService::tag_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& ip = need_instance_profile(a, in.at("InstanceProfileName").get<std::string>());
  Json copy = ip;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "instance-profile", copy, copy["InstanceProfileName"]);
  ip = copy;
  return Json::object();
}

Json IamService::untag_instance_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& ip = need_instance_profile(a, in.at("InstanceProfileName").get<std::string>());
  remove_tags(ip, in.at("TagKeys"));
  save(account_id(ctx), "instance-profile", ip, ip["InstanceProfileName"]);
  return Json::object();
}

Json IamService::list_instance_profile_tags(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& ip = need_instance_profile(a, in.at("InstanceProfileName").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(ip)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

}  // namespace cloudbox::iam
