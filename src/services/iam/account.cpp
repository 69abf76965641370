// Account-level IAM: alias, summary, password policy, GetAccountAuthorizationDetails.
#include <algorithm>

#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace { const Json kEmptyObject = Json::object(); }

Json IamService::create_account_alias(RequestContext& ctx, const Json& in) {
  std::string alias = in.at("AccountAlias").get<std::string>();
  const std::string acct = account_id(ctx);
  for (const auto& [id, a] : accounts_)
    if (id != acct && std::find(a.aliases.begin(), a.aliases.end(), alias) != a.aliases.end())
      already_exists("The account alias " + alias + " already exists.");
  AccountState& a = account(ctx);
  if (a.aliases.size() == 1 && a.aliases[0] == alias) return Json::object();
  a.aliases = {alias};  // an account has at most one alias; a new one replaces it
  save_account(acct);
  return Json::object();
}

Json IamService::delete_account_alias(RequestContext& ctx, const Json& in) {
  std::string alias = in.at("AccountAlias").get<std::string>();
  AccountState& a = account(ctx);
  auto it = std::find(a.aliases.begin(), a.aliases.end(), alias);
  if (it == a.aliases.end()) no_such_entity("The account alias " + alias + " cannot be found.");
  a.aliases.erase(it);
  save_account(account_id(ctx));
  return Json::object();
}

Json IamService::list_account_aliases(RequestContext& ctx, const Json& in) {
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& alias : account(ctx).aliases) rows.emplace_back(alias, alias);
  return page(in, rows, "AccountAliases");
}

Json IamService::get_account_summary(RequestContext& ctx, const Json&) {
  AccountState& a = account(ctx);
  int versions = 0;
  size_t mfa_in_use = 0;
  for (const auto& [k, d] : a.mfa) mfa_in_use += d.contains("user") ? 1 : 0;
  for (const auto& [k, p] : a.policies) versions += int(p["versions"].size());
  Json m = {{"Users", a.users.size()},
            {"UsersQuota", 5000},
            {"Groups", a.groups.size()},
            {"GroupsQuota", 300},
            {"Roles", a.roles.size()},
            {"RolesQuota", 1000},
            {"Policies", a.policies.size()},
            {"PoliciesQuota", 1500},
            {"InstanceProfiles", a.instance_profiles.size()},
            {"InstanceProfilesQuota", 1000},
            {"ServerCertificates", 0},
            {"ServerCertificatesQuota", 20},
            {"UserPolicySizeQuota", 2048},
            {"GroupPolicySizeQuota", 5120},
            {"RolePolicySizeQuota", 10240},
            {"GroupsPerUserQuota", 10},
            {"SigningCertificatesPerUserQuota", 2},
            {"AccessKeysPerUserQuota", 2},
            {"MFADevices", a.mfa.size()},
            {"MFADevicesInUse", mfa_in_use},
            {"AccountMFAEnabled", 0},
            {"AccountAccessKeysPresent", 0},
            {"AccountPasswordPresent", 0},
            {"AccountSigningCertificatesPresent", 0},
            {"AttachedPoliciesPerGroupQuota", 10},
            {"AttachedPoliciesPerRoleQuota", 10},
            {"AttachedPoliciesPerUserQuota", 10},
            {"PolicySizeQuota", 6144},
            {"PolicyVersionsInUse", versions},
            {"PolicyVersionsInUseQuota", 10000},
            {"VersionsPerPolicyQuota", 5},
            {"GlobalEndpointTokenVersion", 1},
            {"AssumeRolePolicySizeQuota", 2048},
            {"Providers", a.oidc.size() + a.saml.size()}};
  return {{"SummaryMap", m}};
}

Json IamService::update_account_password_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json p = {{"MinimumPasswordLength", in.value("MinimumPasswordLength", 6)},
            {"RequireSymbols", in.value("RequireSymbols", false)},
            {"RequireNumbers", in.value("RequireNumbers", false)},
            {"RequireUppercaseCharacters", in.value("RequireUppercaseCharacters", false)},
            {"RequireLowercaseCharacters", in.value("RequireLowercaseCharacters", false)},
            {"AllowUsersToChangePassword", in.value("AllowUsersToChangePassword", false)},
            {"ExpirePasswords", in.contains("MaxPasswordAge") && in["MaxPasswordAge"].get<int>() > 0},
            {"HardExpiry", in.value("HardExpiry", false)}};
  if (in.contains("MaxPasswordAge")) p["MaxPasswordAge"] = in["MaxPasswordAge"];
  if (in.contains("PasswordReusePrevention")) p["PasswordReusePrevention"] = in["PasswordReusePrevention"];
  a.password_policy = p;
  save_account(account_id(ctx));
  return Json::object();
}

Json IamService::get_account_password_policy(RequestContext& ctx, const Json&) {
  AccountState& a = account(ctx);
  if (a.password_policy.is_null())
    no_such_entity("The Password Policy with domain name " + account_id(ctx) + " cannot be found.");
  return {{"PasswordPolicy", a.password_policy}};
}

Json IamService::delete_account_password_policy(RequestContext& ctx, const Json&) {
  AccountState& a = account(ctx);
  if (a.password_policy.is_null())
    no_such_entity("The Password Policy with domain name " + account_id(ctx) + " cannot be found.");
  a.password_policy = Json();
  save_account(account_id(ctx));
  return Json::object();
}

Json IamService::get_account_authorization_details(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::vector<std::string> filter;
  if (in.contains("Filter"))
    for (const auto& f : in["Filter"]) filter.push_back(f.get<std::string>());
  auto want = [&](const char* t) { return filter.empty() || std::find(filter.begin(), filter.end(), t) != filter.end(); };
  auto policy_list = [](const Json& e) {
    Json out = Json::array();
    for (const Json& inl = e.contains("inline") ? e["inline"] : kEmptyObject; const auto& [n, d] : inl.items())
      out.push_back({{"PolicyName", n}, {"PolicyDocument", encode_document(d.get<std::string>())}});
    return out;
  };
  auto attached_list = [](const Json& e) {
    Json out = Json::array();
    for (const auto& x : e.value("attached", Json::array())) {
      std::string arn = x.get<std::string>();
      out.push_back({{"PolicyName", arn.substr(arn.rfind('/') + 1)}, {"PolicyArn", arn}});
    }
    return out;
  };
  auto boundary = [](Json& out, const Json& e) {
    if (e.contains("PermissionsBoundary"))
      out["PermissionsBoundary"] = {{"PermissionsBoundaryType", "Policy"},
                                    {"PermissionsBoundaryArn", e["PermissionsBoundary"]}};
  };
  Json users = Json::array(), groups = Json::array(), roles = Json::array(), policies = Json::array();
  if (want("User"))
    for (const auto& [k, u] : a.users) {
      Json d = {{"Path", u["Path"]},           {"UserName", u["UserName"]},         {"UserId", u["UserId"]},
                {"Arn", u["Arn"]},             {"CreateDate", u["CreateDate"]},     {"UserPolicyList", policy_list(u)},
                {"GroupList", u["groups"]},    {"AttachedManagedPolicies", attached_list(u)}, {"Tags", tags_out(u)}};
      boundary(d, u);
      users.push_back(d);
    }
  if (want("Group"))
    for (const auto& [k, g] : a.groups)
      groups.push_back({{"Path", g["Path"]}, {"GroupName", g["GroupName"]}, {"GroupId", g["GroupId"]},
                        {"Arn", g["Arn"]}, {"CreateDate", g["CreateDate"]}, {"GroupPolicyList", policy_list(g)},
                        {"AttachedManagedPolicies", attached_list(g)}});
  if (want("Role"))
    for (const auto& [k, r] : a.roles) {
      Json profiles = Json::array();
      for (const auto& [pk, ip] : a.instance_profiles)
        for (const auto& rn : ip["roles"])
          if (lower(rn.get<std::string>()) == k) {
            Json rr = {{"Path", r["Path"]}, {"RoleName", r["RoleName"]}, {"RoleId", r["RoleId"]}, {"Arn", r["Arn"]},
                       {"CreateDate", r["CreateDate"]},
                       {"AssumeRolePolicyDocument", encode_document(r["AssumeRolePolicyDocument"].get<std::string>())}};
            profiles.push_back({{"Path", ip["Path"]}, {"InstanceProfileName", ip["InstanceProfileName"]},
                                {"InstanceProfileId", ip["InstanceProfileId"]}, {"Arn", ip["Arn"]},
                                {"CreateDate", ip["CreateDate"]}, {"Roles", Json::array({rr})}});
          }
      Json d = {{"Path", r["Path"]},
                {"RoleName", r["RoleName"]},
                {"RoleId", r["RoleId"]},
                {"Arn", r["Arn"]},
                {"CreateDate", r["CreateDate"]},
                {"AssumeRolePolicyDocument", encode_document(r["AssumeRolePolicyDocument"].get<std::string>())},
                {"InstanceProfileList", profiles},
                {"RolePolicyList", policy_list(r)},
                {"AttachedManagedPolicies", attached_list(r)},
                {"Tags", tags_out(r)},
                {"RoleLastUsed", r.value("RoleLastUsed", Json::object())}};
      boundary(d, r);
      roles.push_back(d);
    }
  if (want("LocalManagedPolicy"))
    for (const auto& [k, p] : a.policies) {
      std::string arn = p["Arn"].get<std::string>();
      Json versions = Json::array();
      for (const auto& v : p["versions"])
        versions.push_back({{"Document", encode_document(v["Document"].get<std::string>())},
                            {"VersionId", v["VersionId"]},
                            {"IsDefaultVersion", v["VersionId"] == p["DefaultVersionId"]},
                            {"CreateDate", v["CreateDate"]}});
      Json d = {{"PolicyName", p["PolicyName"]}, {"PolicyId", p["PolicyId"]}, {"Arn", arn}, {"Path", p["Path"]},
                {"DefaultVersionId", p["DefaultVersionId"]}, {"AttachmentCount", attachment_count(a, arn)},
                {"PermissionsBoundaryUsageCount", boundary_count(a, arn)}, {"IsAttachable", true},
                {"CreateDate", p["CreateDate"]}, {"UpdateDate", p["UpdateDate"]}, {"PolicyVersionList", versions}};
      if (p.contains("Description")) d["Description"] = p["Description"];
      policies.push_back(d);
    }
  if (want("AWSManagedPolicy"))
    for (const auto& p : aws_policies_) {
      int att = attachment_count(a, p.arn), bnd = boundary_count(a, p.arn);
      if (att == 0 && bnd == 0) continue;  // AWS lists the AWS managed policies the account uses
      policies.push_back({{"PolicyName", p.name}, {"PolicyId", p.id}, {"Arn", p.arn}, {"Path", p.path},
                          {"DefaultVersionId", p.version_id}, {"AttachmentCount", att},
                          {"PermissionsBoundaryUsageCount", bnd}, {"IsAttachable", true},
                          {"CreateDate", p.created}, {"UpdateDate", p.updated},
                          {"PolicyVersionList", Json::array({{{"Document", encode_document(p.document)},
                                                              {"VersionId", p.version_id},
                                                              {"IsDefaultVersion", true},
                                                              {"CreateDate", p.updated}}})}});
    }
  return {{"UserDetailList", users}, {"GroupDetailList", groups}, {"RoleDetailList", roles},
          {"Policies", policies},    {"IsTruncated", false}};
}

}  // namespace cloudbox::iam
