// IAM: registration, lookups, persistence, AWS managed policies and the helpers the handler files share.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/common/encoding.h"
#include "core/common/pagination.h"
#include "core/common/tags.h"
#include "core/core.h"
#include "core/store/store.h"
#include "services/iam/iam.h"
#include "services/iam/managed_policies_data.h"

namespace cloudbox::iam {

namespace { const Json kEmptyObject = Json::object(); }


CLOUDBOX_REGISTER_SERVICE(IamService);

// ---------------------------------------------------------------------------------------------------
// Helpers

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

double now_epoch(const RequestContext& ctx) { return std::floor(to_epoch(ctx.now)); }

std::string str(const Json& in, const char* member, const std::string& fallback) {
  auto it = in.find(member);
  return it != in.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::string path_of(const Json& in, const char* member) {
  std::string p = str(in, member, "/");
  if (p.empty() || p.front() != '/' || p.back() != '/')
    throw AwsError("ValidationError",
                   "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric "
                   "characters and/or / characters.",
                   400);
  return p;
}

void no_such_entity(const std::string& m) { throw AwsError("NoSuchEntityException", m); }
void already_exists(const std::string& m) { throw AwsError("EntityAlreadyExistsException", m); }
void delete_conflict(const std::string& m) { throw AwsError("DeleteConflictException", m); }
void limit_exceeded(const std::string& m) { throw AwsError("LimitExceededException", m); }
void invalid_input(const std::string& m) { throw AwsError("InvalidInputException", m); }

std::string read_document(const Json& in, const char* member, policy::Kind kind, size_t max_size, const char* quota) {
  std::string doc = str(in, member);
  if (policy::policy_size(doc) > max_size)
    limit_exceeded(std::string("Cannot exceed quota for ") + quota + ": " + std::to_string(max_size));
  if (auto err = policy::validate(doc, kind)) throw AwsError("MalformedPolicyDocumentException", *err);
  return doc;
}

std::string encode_document(const std::string& doc) { return uri_encode(doc, true); }

Json page(const Json& in, const std::vector<std::pair<std::string, Json>>& items, const char* list_member) {
  Json params = in;
  params.erase("Marker");
  params.erase("MaxItems");
  PageRequest req{std::nullopt, in.contains("MaxItems") ? in["MaxItems"].get<int>() : 100, bind_token(params)};
  if (in.contains("Marker")) req.token = in["Marker"].get<std::string>();
  auto [rows, next] = paginate(items, req, [](const auto& p) { return p.first; }, "InvalidInputException",
                               "Invalid Marker.");
  Json list = Json::array();
  for (auto& [k, v] : rows) list.push_back(v);
  Json out = {{list_member, list}, {"IsTruncated", !next.empty()}};
  if (!next.empty()) out["Marker"] = next;
  return out;
}

Json tags_out(const Json& entity) {
  Json out = Json::array();
  if (entity.contains("Tags"))
    for (const auto& [k, v] : entity["Tags"].items()) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

void apply_tags(Json& entity, const Json& tag_list) {
  TagMap existing;
  if (entity.contains("Tags")) existing = entity["Tags"].get<TagMap>();
  // IAM tag keys are case-insensitive: a key that differs only in case replaces the old one.
  TagMap incoming = parse_tag_list(tag_list, "InvalidInputException", {});
  for (auto& [k, v] : incoming)
    for (auto it = existing.begin(); it != existing.end();)
      it = (lower(it->first) == lower(k) && it->first != k) ? existing.erase(it) : std::next(it);
  for (auto& [k, v] : incoming) existing[k] = v;
  if (existing.size() > 50) limit_exceeded("The number of tags has reached the maximum limit.");
  entity["Tags"] = Json(existing);
}

void remove_tags(Json& entity, const Json& keys) {
  if (!entity.contains("Tags")) return;
  for (const auto& k : keys) {
    std::string key = lower(k.get<std::string>());
    Json& tags = entity["Tags"];
    for (auto it = tags.begin(); it != tags.end();) {
      if (lower(it.key()) == key) it = tags.erase(it);
      else ++it;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Service

IamService::IamService(Core& core) : Service(core) {
  load_aws_policies();
  core.set_authorizer(this);  // IAM decides requests when enforcement is on
}

void IamService::register_operations(std::unordered_map<std::string, Handler>& t) {
  auto bind = [this](Method fn) {
    return [this, fn](RequestContext& ctx, const Json& in) { return (this->*fn)(ctx, in); };
  };
  using Kinded = Json (IamService::*)(RequestContext&, const Json&, const char*);
  auto kinded = [this](Kinded fn, const char* kind) {
    return [this, fn, kind](RequestContext& ctx, const Json& in) { return (this->*fn)(ctx, in, kind); };
  };
  const std::pair<const char*, Method> ops[] = {
      {"CreateUser", &IamService::create_user},
      {"GetUser", &IamService::get_user},
      {"UpdateUser", &IamService::update_user},
      {"DeleteUser", &IamService::delete_user},
      {"ListUsers", &IamService::list_users},
      {"TagUser", &IamService::tag_user},
      {"UntagUser", &IamService::untag_user},
      {"ListUserTags", &IamService::list_user_tags},
      {"CreateGroup", &IamService::create_group},
      {"GetGroup", &IamService::get_group},
      {"UpdateGroup", &IamService::update_group},
      {"DeleteGroup", &IamService::delete_group},
      {"ListGroups", &IamService::list_groups},
      {"AddUserToGroup", &IamService::add_user_to_group},
      {"RemoveUserFromGroup", &IamService::remove_user_from_group},
      {"ListGroupsForUser", &IamService::list_groups_for_user},
      {"CreateAccessKey", &IamService::create_access_key},
      {"UpdateAccessKey", &IamService::update_access_key},
      {"DeleteAccessKey", &IamService::delete_access_key},
      {"ListAccessKeys", &IamService::list_access_keys},
      {"GetAccessKeyLastUsed", &IamService::get_access_key_last_used},
      {"CreateLoginProfile", &IamService::create_login_profile},
      {"GetLoginProfile", &IamService::get_login_profile},
      {"UpdateLoginProfile", &IamService::update_login_profile},
      {"DeleteLoginProfile", &IamService::delete_login_profile},
      {"ChangePassword", &IamService::change_password},
      {"CreateRole", &IamService::create_role},
      {"GetRole", &IamService::get_role},
      {"UpdateRole", &IamService::update_role},
      {"UpdateRoleDescription", &IamService::update_role_description},
      {"UpdateAssumeRolePolicy", &IamService::update_assume_role_policy},
      {"DeleteRole", &IamService::delete_role},
      {"ListRoles", &IamService::list_roles},
      {"TagRole", &IamService::tag_role},
      {"UntagRole", &IamService::untag_role},
      {"ListRoleTags", &IamService::list_role_tags},
      {"CreateServiceLinkedRole", &IamService::create_service_linked_role},
      {"DeleteServiceLinkedRole", &IamService::delete_service_linked_role},
      {"GetServiceLinkedRoleDeletionStatus", &IamService::get_service_linked_role_deletion_status},
      {"CreateInstanceProfile", &IamService::create_instance_profile},
      {"GetInstanceProfile", &IamService::get_instance_profile},
      {"DeleteInstanceProfile", &IamService::delete_instance_profile},
      {"ListInstanceProfiles", &IamService::list_instance_profiles},
      {"ListInstanceProfilesForRole", &IamService::list_instance_profiles_for_role},
      {"AddRoleToInstanceProfile", &IamService::add_role_to_instance_profile},
      {"RemoveRoleFromInstanceProfile", &IamService::remove_role_from_instance_profile},
      {"TagInstanceProfile", &IamService::tag_instance_profile},
      {"UntagInstanceProfile", &IamService::untag_instance_profile},
      {"ListInstanceProfileTags", &IamService::list_instance_profile_tags},
      {"CreatePolicy", &IamService::create_policy},
      {"GetPolicy", &IamService::get_policy},
      {"DeletePolicy", &IamService::delete_policy},
      {"ListPolicies", &IamService::list_policies},
      {"CreatePolicyVersion", &IamService::create_policy_version},
      {"GetPolicyVersion", &IamService::get_policy_version},
      {"DeletePolicyVersion", &IamService::delete_policy_version},
      {"ListPolicyVersions", &IamService::list_policy_versions},
      {"SetDefaultPolicyVersion", &IamService::set_default_policy_version},
      {"TagPolicy", &IamService::tag_policy},
      {"UntagPolicy", &IamService::untag_policy},
      {"ListPolicyTags", &IamService::list_policy_tags},
      {"ListEntitiesForPolicy", &IamService::list_entities_for_policy},
      {"CreateAccountAlias", &IamService::create_account_alias},
      {"DeleteAccountAlias", &IamService::delete_account_alias},
      {"ListAccountAliases", &IamService::list_account_aliases},
      {"GetAccountSummary", &IamService::get_account_summary},
      {"UpdateAccountPasswordPolicy", &IamService::update_account_password_policy},
      {"GetAccountPasswordPolicy", &IamService::get_account_password_policy},
      {"DeleteAccountPasswordPolicy", &IamService::delete_account_password_policy},
      {"GetAccountAuthorizationDetails", &IamService::get_account_authorization_details},
      {"CreateOpenIDConnectProvider", &IamService::create_oidc_provider},
      {"GetOpenIDConnectProvider", &IamService::get_oidc_provider},
      {"DeleteOpenIDConnectProvider", &IamService::delete_oidc_provider},
      {"ListOpenIDConnectProviders", &IamService::list_oidc_providers},
      {"TagOpenIDConnectProvider", &IamService::tag_oidc_provider},
      {"UntagOpenIDConnectProvider", &IamService::untag_oidc_provider},
      {"ListOpenIDConnectProviderTags", &IamService::list_oidc_provider_tags},
      {"AddClientIDToOpenIDConnectProvider", &IamService::add_client_id_to_oidc_provider},
      {"RemoveClientIDFromOpenIDConnectProvider", &IamService::remove_client_id_from_oidc_provider},
      {"UpdateOpenIDConnectProviderThumbprint", &IamService::update_oidc_thumbprint},
      {"CreateSAMLProvider", &IamService::create_saml_provider},
      {"GetSAMLProvider", &IamService::get_saml_provider},
      {"UpdateSAMLProvider", &IamService::update_saml_provider},
      {"DeleteSAMLProvider", &IamService::delete_saml_provider},
      {"ListSAMLProviders", &IamService::list_saml_providers},
      {"TagSAMLProvider", &IamService::tag_saml_provider},
      {"UntagSAMLProvider", &IamService::untag_saml_provider},
      {"ListSAMLProviderTags", &IamService::list_saml_provider_tags},
      {"ListSSHPublicKeys", &IamService::list_ssh_public_keys},
      {"UploadSSHPublicKey", &IamService::upload_ssh_public_key},
      {"GetSSHPublicKey", &IamService::get_ssh_public_key},
      {"UpdateSSHPublicKey", &IamService::update_ssh_public_key},
      {"DeleteSSHPublicKey", &IamService::delete_ssh_public_key},
      {"ListMFADevices", &IamService::list_mfa_devices},
      {"ListSigningCertificates", &IamService::list_signing_certificates},
      {"ListServiceSpecificCredentials", &IamService::list_service_specific_credentials},
      {"ListVirtualMFADevices", &IamService::list_virtual_mfa_devices},
      {"CreateVirtualMFADevice", &IamService::create_virtual_mfa_device},
      {"EnableMFADevice", &IamService::enable_mfa_device},
      {"ResyncMFADevice", &IamService::resync_mfa_device},
      {"DeactivateMFADevice", &IamService::deactivate_mfa_device},
      {"DeleteVirtualMFADevice", &IamService::delete_virtual_mfa_device},
      {"GetMFADevice", &IamService::get_mfa_device},
      {"TagMFADevice", &IamService::tag_mfa_device},
      {"UntagMFADevice", &IamService::untag_mfa_device},
      {"ListMFADeviceTags", &IamService::list_mfa_device_tags},
      {"GenerateCredentialReport", &IamService::generate_credential_report},
      {"GetCredentialReport", &IamService::get_credential_report},
      {"SimulatePrincipalPolicy", &IamService::simulate_principal_policy},
      {"SimulateCustomPolicy", &IamService::simulate_custom_policy},
      {"GetContextKeysForPrincipalPolicy", &IamService::get_context_keys_for_principal_policy},
      {"GetContextKeysForCustomPolicy", &IamService::get_context_keys_for_custom_policy},
  };
  for (const auto& [op, fn] : ops) t[op] = bind(fn);
  for (const char* kind : {"User", "Group", "Role"}) {
    std::string k = kind;
    t["Put" + k + "Policy"] = kinded(&IamService::put_inline, kind);
    t["Get" + k + "Policy"] = kinded(&IamService::get_inline, kind);
    t["Delete" + k + "Policy"] = kinded(&IamService::delete_inline, kind);
    t["List" + k + "Policies"] = kinded(&IamService::list_inline, kind);
    t["Attach" + k + "Policy"] = kinded(&IamService::attach, kind);
    t["Detach" + k + "Policy"] = kinded(&IamService::detach, kind);
    t["ListAttached" + k + "Policies"] = kinded(&IamService::list_attached, kind);
  }
  for (const char* kind : {"User", "Role"}) {
    std::string k = kind;
    t["Put" + k + "PermissionsBoundary"] = kinded(&IamService::put_boundary, kind);
    t["Delete" + k + "PermissionsBoundary"] = kinded(&IamService::delete_boundary, kind);
  }
}

std::string IamService::account_id(const RequestContext& ctx) const {
  if (!ctx.account_id.empty()) return ctx.account_id;
  if (!ctx.principal.account_id.empty()) return ctx.principal.account_id;
  return kDefaultAccount;
}

AccountState& IamService::account(const RequestContext& ctx) { return accounts_[account_id(ctx)]; }

namespace {
std::map<std::string, Json> AccountState::*collection(const std::string& kind) {
  if (kind == "user") return &AccountState::users;
  if (kind == "group") return &AccountState::groups;
  if (kind == "role") return &AccountState::roles;
  if (kind == "policy") return &AccountState::policies;
  if (kind == "instance-profile") return &AccountState::instance_profiles;
  if (kind == "oidc") return &AccountState::oidc;
  if (kind == "saml") return &AccountState::saml;
  if (kind == "mfa") return &AccountState::mfa;
  return nullptr;
}
}  // namespace

void IamService::save(const std::string& account, const char* kind, const Json& entity, const std::string& name) {
  ++generation_;
  core_.store().put(kNamespace, account + "/" + kind + "/" + lower(name), entity);
}

void IamService::erase(const std::string& account, const char* kind, const std::string& name) {
  ++generation_;
  core_.store().erase(kNamespace, account + "/" + kind + "/" + lower(name));
}

void IamService::save_account(const std::string& account) {
  const AccountState& a = accounts_[account];
  core_.store().put(kNamespace, account + "/account",
                    Json{{"aliases", a.aliases}, {"password_policy", a.password_policy},
                         {"credential_report", a.credential_report}});
}

void IamService::load() {
  for (auto& [key, value] : core_.store().load(kNamespace)) {
    auto first = key.find('/');
    if (first == std::string::npos) continue;
    std::string account = key.substr(0, first);
    std::string rest = key.substr(first + 1);
    AccountState& a = accounts_[account];
    if (rest == "account") {
      a.aliases = value.value("aliases", std::vector<std::string>());
      a.password_policy = value.value("password_policy", Json());
      a.credential_report = value.value("credential_report", Json());
      continue;
    }
    auto second = rest.find('/');
    if (second == std::string::npos) continue;
    auto member = collection(rest.substr(0, second));
    if (member) (a.*member)[rest.substr(second + 1)] = value;
  }
}

void IamService::reset() {
  accounts_.clear();
  parsed_.clear();
  principal_cache_.clear();
  ++generation_;
}

Json IamService::health() const {
  size_t users = 0, roles = 0, policies = 0;
  for (const auto& [id, a] : accounts_) users += a.users.size(), roles += a.roles.size(), policies += a.policies.size();
  return {{"accounts", accounts_.size()},
          {"users", users},
          {"roles", roles},
          {"customer_policies", policies},
          {"aws_managed_policies", aws_policies_.size()}};
}

Json& IamService::need_user(AccountState& a, const std::string& name) {
  auto it = a.users.find(lower(name));
  if (it == a.users.end()) no_such_entity("The user with name " + name + " cannot be found.");
  return it->second;
}

Json& IamService::need_group(AccountState& a, const std::string& name) {
  auto it = a.groups.find(lower(name));
  if (it == a.groups.end()) no_such_entity("The group with name " + name + " cannot be found.");
  return it->second;
}

Json& IamService::need_role(AccountState& a, const std::string& name) {
  auto it = a.roles.find(lower(name));
  if (it == a.roles.end()) no_such_entity("The role with name " + name + " cannot be found.");
  return it->second;
}

Json& IamService::need_instance_profile(AccountState& a, const std::string& name) {
  auto it = a.instance_profiles.find(lower(name));
  if (it == a.instance_profiles.end()) no_such_entity("Instance Profile " + name + " cannot be found.");
  return it->second;
}

Json* IamService::find_customer_policy(AccountState& a, const std::string& account, const std::string& arn) {
  std::string prefix = "arn:aws:iam::" + account + ":policy/";
  if (arn.rfind(prefix, 0) != 0) return nullptr;
  std::string name = arn.substr(arn.rfind('/') + 1);
  auto it = a.policies.find(lower(name));
  if (it == a.policies.end() || it->second.value("Arn", "") != arn) return nullptr;
  return &it->second;
}

const AwsManagedPolicy* IamService::find_aws_policy(const std::string& arn) const {
  auto it = aws_by_arn_.find(arn);
  return it == aws_by_arn_.end() ? nullptr : &aws_policies_[it->second];
}

std::optional<std::string> IamService::managed_policy_document(AccountState& a, const std::string& account,
                                                               const std::string& arn) {
  if (const auto* p = find_aws_policy(arn)) return p->document;
  if (Json* p = find_customer_policy(a, account, arn)) {
    std::string def = (*p)["DefaultVersionId"].get<std::string>();
    for (const auto& v : (*p)["versions"])
      if (v["VersionId"] == def) return v["Document"].get<std::string>();
  }
  return std::nullopt;
}

int IamService::attachment_count(const AccountState& a, const std::string& arn) const {
  int n = 0;
  for (const auto* m : {&a.users, &a.groups, &a.roles})
    for (const auto& [k, e] : *m)
      if (e.contains("attached"))
        for (const auto& x : e["attached"])
          if (x == arn) ++n;
  return n;
}

int IamService::boundary_count(const AccountState& a, const std::string& arn) const {
  int n = 0;
  for (const auto* m : {&a.users, &a.roles})
    for (const auto& [k, e] : *m)
      if (e.value("PermissionsBoundary", std::string()) == arn) ++n;
  return n;
}

IamService::PolicyPtr IamService::parsed(const std::string& key, const std::string& text, const std::string& id,
                                         const std::string& type) {
  std::string full = type + "|" + id + "|" + key;
  auto it = parsed_.find(full);
  if (it != parsed_.end()) return it->second;
  auto p = policy::Policy::parse(text, id, type);
  if (!p) return nullptr;
  if (parsed_.size() > 20000) parsed_.clear();
  auto ptr = std::make_shared<const policy::Policy>(std::move(*p));
  parsed_.emplace(full, ptr);
  return ptr;
}

IamService::PrincipalPolicies IamService::policies_of_user(AccountState& a, const std::string& account, const Json& user,
                                                           const char* inline_type) {
  PrincipalPolicies out;
  auto managed = [&](const std::string& arn) -> PolicyPtr {
    std::string name = arn.substr(arn.rfind('/') + 1);
    if (const auto* p = find_aws_policy(arn)) return parsed(arn, p->document, name, "aws-managed");
    if (Json* p = find_customer_policy(a, account, arn)) {
      std::string def = (*p)["DefaultVersionId"].get<std::string>();
      for (const auto& v : (*p)["versions"])
        if (v["VersionId"] == def)
          return parsed((*p)["PolicyId"].get<std::string>() + "/" + def, v["Document"].get<std::string>(), name,
                        "user-managed");
    }
    return nullptr;
  };
  auto inline_policies = [&](const Json& entity, const char* type, const std::string& owner) {
    if (!entity.contains("inline")) return;
    for (const auto& [name, doc] : entity["inline"].items()) {
      const std::string& text = doc.get_ref<const std::string&>();
      if (auto p = parsed(owner + "/" + name + "/" + std::to_string(text.size()) + "/" +
                             std::to_string(std::hash<std::string>{}(text)),
                         text, name, type))
        out.identity.push_back(p);
    }
  };
  auto attached = [&](const Json& entity) {
    for (const auto& arn_j : entity.value("attached", Json::array()))
      if (auto p = managed(arn_j.get<std::string>())) out.identity.push_back(p);
  };
  inline_policies(user, inline_type, user.value("UserId", user.value("RoleId", user.value("GroupId", std::string()))));
  attached(user);
  for (const auto& g : user.value("groups", Json::array())) {
    auto it = a.groups.find(lower(g.get<std::string>()));
    if (it == a.groups.end()) continue;
    inline_policies(it->second, "group", it->second["GroupId"].get<std::string>());
    attached(it->second);
  }
  if (user.contains("PermissionsBoundary")) {
    out.boundary.emplace();
    if (auto p = managed(user["PermissionsBoundary"].get<std::string>())) out.boundary->push_back(p);
  }
  return out;
}

IamService::PrincipalPolicies IamService::policies_of_role(AccountState& a, const std::string& account, const Json& role) {
  return policies_of_user(a, account, role, "role");
}

void IamService::load_aws_policies() {
  // No JSON parsing here: documents stay text until a request needs one (start-up stays fast).
  aws_policies_.reserve(kAwsManagedPolicyCount);
  for (size_t i = 0; i < kAwsManagedPolicyCount; ++i) {
    const AwsManagedPolicyData& d = kAwsManagedPolicies[i];
    AwsManagedPolicy m;
    m.name = d.name;
    m.path = d.path;
    m.arn = "arn:aws:iam::aws:policy" + m.path + m.name;
    m.description = d.description;
    m.version_id = d.version;
    m.document = d.document;
    auto t1 = parse_timestamp(d.created);
    auto t2 = parse_timestamp(d.updated);
    m.created = t1 ? to_epoch(*t1) : 0;
    m.updated = t2 ? to_epoch(*t2) : m.created;
    // A stable ANPA… id derived from the ARN (the published ids are not part of the documents).
    static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string digest = sha256("cloudbox-aws-policy:" + m.arn);
    m.id = "ANPA";
    for (int k = 0; k < 17; ++k) m.id.push_back(kBase32[static_cast<unsigned char>(digest[size_t(k)]) & 31]);
    aws_by_arn_[m.arn] = aws_policies_.size();
    aws_policies_.push_back(std::move(m));
  }
}

}  // namespace cloudbox::iam
