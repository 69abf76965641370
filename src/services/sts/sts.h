#pragma once
// AWS Security Token Service. STS keeps no state of its own: every credential it issues lives in the core's
// CredentialDirectory (persisted there), which is also where later requests signed with those credentials are
// resolved to their principal and refused once expired.
//
//   service.cpp   registration, GetCallerIdentity, GetAccessKeyInfo, DecodeAuthorizationMessage, and the
//                 operations that need an identity provider cloudbox does not have
//   sessions.cpp  issuing credentials, GetSessionToken, GetFederationToken
//   roles.cpp     AssumeRole (role lookup, session policies, session tags, source identity), AssumeRoot
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/auth/credentials.h"
#include "core/service.h"

namespace cloudbox {

class StsService : public Service {
 public:
  explicit StsService(Core& core) : Service(core) {}

  std::string name() const override { return "sts"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void reset() override {}
  // GetCallerIdentity needs no permission (AWS: it works even when a policy denies it).
  // AssumeRole is decided by the role's trust policy together with the caller's own policies.
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& in) override;

 private:
  // service.cpp
  Json get_caller_identity(RequestContext& ctx, const Json& in);
  Json get_access_key_info(RequestContext& ctx, const Json& in);
  Json decode_authorization_message(RequestContext& ctx, const Json& in);

  // sessions.cpp
  Json get_session_token(RequestContext& ctx, const Json& in);
  Json get_federation_token(RequestContext& ctx, const Json& in);
  // Mints keys and a session token for `c` (whose account, principal and session are already set), valid for
  // `duration_seconds` from the server clock, registers it in the CredentialDirectory and returns the
  // model's Credentials structure.
  Json issue(RequestContext& ctx, Credential c, long long duration_seconds);
  // The credential the caller signed with, when cloudbox issued it.
  std::optional<Credential> caller_credential(const RequestContext& ctx) const;
  static bool is_temporary(const std::optional<Credential>& c) { return c && !c->session_token.empty(); }

  // roles.cpp
  Json assume_role(RequestContext& ctx, const Json& in);
  Json assume_root(RequestContext& ctx, const Json& in);
  // sts:AssumeRole on the role, with its trust policy as the resource policy that must allow, and the
  // request's condition keys (sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity, session tags).
  std::optional<AuthzTarget> trust_target(RequestContext& ctx, const Json& in);
};

namespace sts {

// Session policies passed to AssumeRole / GetFederationToken: the inline policy (compacted JSON) and the
// managed policy ARNs, checked as STS checks them.
struct SessionPolicies {
  std::optional<std::string> policy;  // compact JSON
  std::vector<std::string> policy_arns;
  bool any() const { return policy.has_value() || !policy_arns.empty(); }
};
SessionPolicies read_session_policies(const Json& in);

// Session tags (case-preserving keys) and the transitive keys among them.
struct SessionTags {
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> transitive;
  Json tags_json() const;
};

// AWS packs session policies and tags into a binary form with its own limit and reports the share used
// as PackedPolicySize (percent). Throws PackedPolicyTooLargeException above 100%.
int packed_policy_size(const SessionPolicies& policies, const SessionTags& tags);

std::string make_session_token();
Principal root_principal(const std::string& account);

}  // namespace sts
}  // namespace cloudbox
