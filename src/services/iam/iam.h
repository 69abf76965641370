#pragma once
// AWS Identity and Access Management. IAM is global per account: the region of a request plays no part in
// its state. Each entity (user, group, role, customer managed policy, instance profile, OIDC/SAML provider)
// is kept as a JSON document close to its API shape — its own fields plus its inline policies, attachments and
// memberships — so one entity is one durable record ("iam" namespace, key ACCOUNT/kind/lower-case name).
//
//   service.cpp       registration, lookup, persistence, shared helpers
//   users.cpp         users, groups and membership, access keys, login profiles
//   roles.cpp         roles, instance profiles, service-linked roles
//   policies.cpp      managed policies and versions, inline policies, attach/detach, boundaries, AWS managed policies
//   account.cpp       account alias, summary, password policy, authorization details
//   providers.cpp     OpenID Connect and SAML identity providers
//   credentials_report.cpp  credential report; the user credential lists cloudbox cannot populate (certificates)
//   mfa.cpp           virtual MFA devices with real TOTP seeds and code checks
//   ssh_keys.cpp      users' SSH public keys
//   simulate.cpp      SimulatePrincipalPolicy / SimulateCustomPolicy / GetContextKeysFor…
//   authorize.cpp     deciding requests for enforcement (called by the core's authorization hook)
//   policy/           the policy language library (validation and evaluation), self-contained
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/service.h"
#include "services/iam/authorize.h"
#include "services/iam/policy/policy.h"

namespace cloudbox::iam {

inline constexpr const char* kNamespace = "iam";

// One account's IAM entities, each keyed by its lower-case name (IAM names are unique case-insensitively).
struct AccountState {
  std::map<std::string, Json> users, groups, roles, policies, instance_profiles, oidc, saml, mfa;
  std::vector<std::string> aliases;
  Json password_policy;  // null when none is set
  Json credential_report;  // {content, generated} once generated
};

// An AWS managed policy (read-only, shared by every account).
struct AwsManagedPolicy {
  std::string name, path, arn, id, description, version_id, document;
  double created = 0, updated = 0;
};

class IamService : public Service, public Authorizer {
 public:
  explicit IamService(Core& core);

  std::string name() const override { return "iam"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void load() override;
  void reset() override;
  Json health() const override;

  // --- shared with the handler files ---
  using Method = Json (IamService::*)(RequestContext&, const Json&);
  AccountState& account(const RequestContext& ctx);
  std::string account_id(const RequestContext& ctx) const;
  void save(const std::string& account, const char* kind, const Json& entity, const std::string& name);
  void erase(const std::string& account, const char* kind, const std::string& name);
  void save_account(const std::string& account);

  Json& need_user(AccountState& a, const std::string& name);
  Json& need_group(AccountState& a, const std::string& name);
  Json& need_role(AccountState& a, const std::string& name);
  Json& need_instance_profile(AccountState& a, const std::string& name);

  // A managed policy by ARN: customer policies of the account, or AWS managed policies. nullptr when none.
  Json* find_customer_policy(AccountState& a, const std::string& account, const std::string& arn);
  const AwsManagedPolicy* find_aws_policy(const std::string& arn) const;
  // The default version's document of a managed policy ARN, or nullopt.
  std::optional<std::string> managed_policy_document(AccountState& a, const std::string& account, const std::string& arn);
  // How many entities attach the policy (as a permissions policy) / use it as a boundary.
  int attachment_count(const AccountState& a, const std::string& arn) const;
  int boundary_count(const AccountState& a, const std::string& arn) const;
  const std::vector<AwsManagedPolicy>& aws_policies() const { return aws_policies_; }

  // The policies that apply to a principal, parsed for the engine (ids and types as the simulator reports them).
  using PolicyPtr = std::shared_ptr<const policy::Policy>;
  struct PrincipalPolicies {
    std::vector<PolicyPtr> identity;
    std::optional<std::vector<PolicyPtr>> boundary;
  };
  // `inline_type` is what the entity's own inline policies are reported as (user, or group for a group).
  PrincipalPolicies policies_of_user(AccountState& a, const std::string& account, const Json& user,
                                     const char* inline_type = "user");
  PrincipalPolicies policies_of_role(AccountState& a, const std::string& account, const Json& role);

  // --- enforcement (authorize.cpp) ---
  // Decides each target for the request's principal; returns when all are allowed, otherwise throws the denial
  // the request's protocol uses (AccessDenied 403 for query, AccessDeniedException 400 for json / 403 for
  // rest-json, EC2's UnauthorizedOperation with an encoded authorization message). The account root is always
  // allowed. Records access-key and role last use. Locks the service itself.
  void authorize(const RequestContext& ctx, const std::vector<AuthzTarget>& targets) override;
  struct Decided {
    policy::Result result;
    std::string principal_arn;
    std::string denied_resource;
    policy::Context context;
  };
  // What an IAM request asks for (action, entity ARN, condition keys): IAM's answer to the hook's question
  // "what does this request need?" for its own operations.
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& input) override;
  // Records the key's (or role's) last use; the hook calls it for every request, enforced or not.
  void record_use(const RequestContext& ctx) override;
  // One target's decision with the context IAM built (the same evaluation authorize() makes).
  Decided decide(const RequestContext& ctx, const AuthzTarget& target);
  static std::string decision_key(const RequestContext& ctx, const AuthzTarget& target, long long second);

 private:
  // users.cpp
  Json create_user(RequestContext&, const Json&);
  Json get_user(RequestContext&, const Json&);
  Json update_user(RequestContext&, const Json&);
  Json delete_user(RequestContext&, const Json&);
  Json list_users(RequestContext&, const Json&);
  Json tag_user(RequestContext&, const Json&);
  Json untag_user(RequestContext&, const Json&);
  Json list_user_tags(RequestContext&, const Json&);
  Json create_group(RequestContext&, const Json&);
  Json get_group(RequestContext&, const Json&);
  Json update_group(RequestContext&, const Json&);
  Json delete_group(RequestContext&, const Json&);
  Json list_groups(RequestContext&, const Json&);
  Json add_user_to_group(RequestContext&, const Json&);
  Json remove_user_from_group(RequestContext&, const Json&);
  Json list_groups_for_user(RequestContext&, const Json&);
  Json create_access_key(RequestContext&, const Json&);
  Json update_access_key(RequestContext&, const Json&);
  Json delete_access_key(RequestContext&, const Json&);
  Json list_access_keys(RequestContext&, const Json&);
  Json get_access_key_last_used(RequestContext&, const Json&);
  Json create_login_profile(RequestContext&, const Json&);
  Json get_login_profile(RequestContext&, const Json&);
  Json update_login_profile(RequestContext&, const Json&);
  Json delete_login_profile(RequestContext&, const Json&);
  Json change_password(RequestContext&, const Json&);

  // roles.cpp
  Json create_role(RequestContext&, const Json&);
  Json get_role(RequestContext&, const Json&);
  Json update_role(RequestContext&, const Json&);
  Json update_role_description(RequestContext&, const Json&);
  Json update_assume_role_policy(RequestContext&, const Json&);
  Json delete_role(RequestContext&, const Json&);
  Json list_roles(RequestContext&, const Json&);
  Json tag_role(RequestContext&, const Json&);
  Json untag_role(RequestContext&, const Json&);
  Json list_role_tags(RequestContext&, const Json&);
  Json create_service_linked_role(RequestContext&, const Json&);
  Json delete_service_linked_role(RequestContext&, const Json&);
  Json get_service_linked_role_deletion_status(RequestContext&, const Json&);
  Json create_instance_profile(RequestContext&, const Json&);
  Json get_instance_profile(RequestContext&, const Json&);
  Json delete_instance_profile(RequestContext&, const Json&);
  Json list_instance_profiles(RequestContext&, const Json&);
  Json list_instance_profiles_for_role(RequestContext&, const Json&);
  Json add_role_to_instance_profile(RequestContext&, const Json&);
  Json remove_role_from_instance_profile(RequestContext&, const Json&);
  Json tag_instance_profile(RequestContext&, const Json&);
  Json untag_instance_profile(RequestContext&, const Json&);
  Json list_instance_profile_tags(RequestContext&, const Json&);

  // policies.cpp
  Json create_policy(RequestContext&, const Json&);
  Json get_policy(RequestContext&, const Json&);
  Json delete_policy(RequestContext&, const Json&);
  Json list_policies(RequestContext&, const Json&);
  Json create_policy_version(RequestContext&, const Json&);
  Json get_policy_version(RequestContext&, const Json&);
  Json delete_policy_version(RequestContext&, const Json&);
  Json list_policy_versions(RequestContext&, const Json&);
  Json set_default_policy_version(RequestContext&, const Json&);
  Json tag_policy(RequestContext&, const Json&);
  Json untag_policy(RequestContext&, const Json&);
  Json list_policy_tags(RequestContext&, const Json&);
  Json put_inline(RequestContext&, const Json&, const char* kind);
  Json get_inline(RequestContext&, const Json&, const char* kind);
  Json delete_inline(RequestContext&, const Json&, const char* kind);
  Json list_inline(RequestContext&, const Json&, const char* kind);
  Json attach(RequestContext&, const Json&, const char* kind);
  Json detach(RequestContext&, const Json&, const char* kind);
  Json list_attached(RequestContext&, const Json&, const char* kind);
  Json put_boundary(RequestContext&, const Json&, const char* kind);
  Json delete_boundary(RequestContext&, const Json&, const char* kind);
  Json list_entities_for_policy(RequestContext&, const Json&);

  // account.cpp
  Json create_account_alias(RequestContext&, const Json&);
  Json delete_account_alias(RequestContext&, const Json&);
  Json list_account_aliases(RequestContext&, const Json&);
  Json get_account_summary(RequestContext&, const Json&);
  Json update_account_password_policy(RequestContext&, const Json&);
  Json get_account_password_policy(RequestContext&, const Json&);
  Json delete_account_password_policy(RequestContext&, const Json&);
  Json get_account_authorization_details(RequestContext&, const Json&);
  Json create_oidc_provider(RequestContext&, const Json&);
  Json get_oidc_provider(RequestContext&, const Json&);
  Json delete_oidc_provider(RequestContext&, const Json&);
  Json list_oidc_providers(RequestContext&, const Json&);
  // providers.cpp
  Json tag_oidc_provider(RequestContext&, const Json&);
  Json untag_oidc_provider(RequestContext&, const Json&);
  Json list_oidc_provider_tags(RequestContext&, const Json&);
  Json add_client_id_to_oidc_provider(RequestContext&, const Json&);
  Json remove_client_id_from_oidc_provider(RequestContext&, const Json&);
  Json update_oidc_thumbprint(RequestContext&, const Json&);
  Json create_saml_provider(RequestContext&, const Json&);
  Json get_saml_provider(RequestContext&, const Json&);
  Json update_saml_provider(RequestContext&, const Json&);
  Json delete_saml_provider(RequestContext&, const Json&);
  Json list_saml_providers(RequestContext&, const Json&);
  Json tag_saml_provider(RequestContext&, const Json&);
  Json untag_saml_provider(RequestContext&, const Json&);
  Json list_saml_provider_tags(RequestContext&, const Json&);

  // credentials_report.cpp
  Json list_signing_certificates(RequestContext&, const Json&);
  Json list_service_specific_credentials(RequestContext&, const Json&);
  // ssh_keys.cpp
  Json upload_ssh_public_key(RequestContext&, const Json&);
  Json get_ssh_public_key(RequestContext&, const Json&);
  Json update_ssh_public_key(RequestContext&, const Json&);
  Json delete_ssh_public_key(RequestContext&, const Json&);
  Json list_ssh_public_keys(RequestContext&, const Json&);
  // mfa.cpp
  Json& need_mfa(AccountState& a, const std::string& serial);
  Json create_virtual_mfa_device(RequestContext&, const Json&);
  Json enable_mfa_device(RequestContext&, const Json&);
  Json resync_mfa_device(RequestContext&, const Json&);
  Json deactivate_mfa_device(RequestContext&, const Json&);
  Json delete_virtual_mfa_device(RequestContext&, const Json&);
  Json list_mfa_devices(RequestContext&, const Json&);
  Json list_virtual_mfa_devices(RequestContext&, const Json&);
  Json get_mfa_device(RequestContext&, const Json&);
  Json tag_mfa_device(RequestContext&, const Json&);
  Json untag_mfa_device(RequestContext&, const Json&);
  Json list_mfa_device_tags(RequestContext&, const Json&);
  Json generate_credential_report(RequestContext&, const Json&);
  Json get_credential_report(RequestContext&, const Json&);

  // simulate.cpp
  Json simulate_principal_policy(RequestContext&, const Json&);
  Json simulate_custom_policy(RequestContext&, const Json&);
  Json get_context_keys_for_principal_policy(RequestContext&, const Json&);
  Json get_context_keys_for_custom_policy(RequestContext&, const Json&);
  Json simulate(RequestContext& ctx, const Json& in, const PrincipalPolicies* principal, const Json* source_entity,
                const std::string& source_arn);

  void load_aws_policies();
  // Parsed policies, cached by a key that changes whenever the document can (policy id + version for managed
  // policies, entity id + name + text hash for inline ones), so requests do not re-parse documents.
  PolicyPtr parsed(const std::string& key, const std::string& text, const std::string& id, const std::string& type);
  std::unordered_map<std::string, PolicyPtr> parsed_;
  // Every write bumps the generation; per-principal policy sets computed at an older generation are stale.
  uint64_t generation_ = 0;
  struct CachedPrincipal {
    uint64_t generation = 0;
    PrincipalPolicies policies;
  };
  std::unordered_map<std::string, CachedPrincipal> principal_cache_;
  // Allowed decisions of the current second, by everything a decision depends on (decision_key): under load the
  // same caller repeats the same request many times a second. Emptied whenever IAM's state changes (generation_).
  std::unordered_set<std::string> allowed_cache_;
  uint64_t allowed_cache_generation_ = 0;
  long long allowed_cache_second_ = 0;

  std::map<std::string, AccountState> accounts_;
  std::vector<AwsManagedPolicy> aws_policies_;
  std::unordered_map<std::string, size_t> aws_by_arn_;
};

// --- helpers shared by the handler files (service.cpp) ---
std::string lower(std::string s);
double now_epoch(const RequestContext& ctx);
std::string str(const Json& in, const char* member, const std::string& fallback = {});
// Path rules (the model checks the pattern; the default is "/").
std::string path_of(const Json& in, const char* member = "Path");
// Reads a policy document member, checks size (IAM counts characters without whitespace) and grammar;
// throws LimitExceeded / MalformedPolicyDocument as IAM does.
std::string read_document(const Json& in, const char* member, policy::Kind kind, size_t max_size, const char* quota);
// The URL-encoded form IAM returns documents in.
std::string encode_document(const std::string& doc);
// Marker/MaxItems paging over entities sorted by key.
Json page(const Json& in, const std::vector<std::pair<std::string, Json>>& items, const char* list_member);
// Tags stored as an object {key: value}; on the wire a [{Key, Value}] list.
Json tags_out(const Json& entity);
void apply_tags(Json& entity, const Json& tag_list);
void remove_tags(Json& entity, const Json& keys);
[[noreturn]] void no_such_entity(const std::string& message);
[[noreturn]] void already_exists(const std::string& message);
[[noreturn]] void delete_conflict(const std::string& message);
[[noreturn]] void limit_exceeded(const std::string& message);
[[noreturn]] void invalid_input(const std::string& message);

}  // namespace cloudbox::iam
