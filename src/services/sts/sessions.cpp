// Issuing temporary credentials, and the two operations that give a caller credentials for itself:
// GetSessionToken (same principal) and GetFederationToken (a federated user under the caller).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/sts/sts.h"

namespace cloudbox {

namespace sts {

// AWS session tokens are opaque base64 of a binary blob that begins "!\n\torigin_ec" ("IQoJb3JpZ2luX2Vj…").
// cloudbox keeps the look (clients and tools sometimes sniff the prefix) and fills the rest with CSPRNG bytes;
// the token means nothing by itself, it is only compared with the one stored for the key.
std::string make_session_token() {
  std::string blob = "!\n\torigin_ec";
  blob += random_bytes(303);  // 315 bytes: 420 base64 characters, no padding
  return base64_encode(blob);
}

Principal root_principal(const std::string& account) {
  Principal p;
  p.type = "root";
  p.arn = "arn:aws:iam::" + account + ":root";
  p.user_id = account;
  p.account_id = account;
  return p;
}

}  // namespace sts

std::optional<Credential> StsService::caller_credential(const RequestContext& ctx) const {
  if (ctx.access_key_id.empty()) return std::nullopt;
  return core_.credentials().find(ctx.access_key_id);
}

Json StsService::issue(RequestContext& ctx, Credential c, long long duration_seconds) {
  c.access_key_id = make_access_key_id("ASIA", c.account_id);
  while (core_.credentials().find(c.access_key_id))  // 80 random bits: practically never
    c.access_key_id = make_access_key_id("ASIA", c.account_id);
  c.secret_access_key = make_secret_access_key();
  c.session_token = sts::make_session_token();
  c.active = true;
  // AWS expirations are whole seconds.
  const double issued = std::floor(to_epoch(ctx.now));
  const double expires = issued + double(duration_seconds);
  c.expiration = from_epoch(expires);
  if (!c.session.is_object()) c.session = Json::object();
  c.session["issued_at"] = issued;
  c.session["duration_seconds"] = duration_seconds;
  c.session["region"] = ctx.region;
  c.session["issuer_arn"] = ctx.principal.arn;
  core_.credentials().add(c);
  return {{"AccessKeyId", c.access_key_id},
          {"SecretAccessKey", c.secret_access_key},
          {"SessionToken", c.session_token},
          {"Expiration", expires}};
}

// Credentials for the caller itself. Root sessions are capped at one hour (a longer request gets one hour, as
// on AWS); IAM user sessions last 900–129600 s, 43200 s by default. Not callable with temporary credentials.
Json StsService::get_session_token(RequestContext& ctx, const Json& in) {
  auto caller = caller_credential(ctx);
  if (is_temporary(caller) || ctx.principal.type == "assumed-role" || ctx.principal.type == "federated-user")
    throw AwsError("AccessDenied", "Cannot call GetSessionToken with session credentials", 403);

  long long duration = in.contains("DurationSeconds") ? in["DurationSeconds"].get<long long>() : 43200;
  const bool root = ctx.principal.type == "root";
  if (root) duration = std::min<long long>(duration, 3600);

  const bool has_serial = in.contains("SerialNumber");
  const bool has_code = in.contains("TokenCode");
  if (has_serial != has_code)
    throw AwsError("AccessDenied",
                   "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
                   403);

  Credential c;
  c.account_id = !ctx.principal.account_id.empty() ? ctx.principal.account_id : ctx.account_id;
  c.principal = root ? sts::root_principal(c.account_id) : ctx.principal;
  c.session = {{"kind", "session-token"}, {"source_access_key_id", ctx.access_key_id}};
  if (caller) c.session["source_session"] = caller->session;
  if (has_serial) {
    // cloudbox has no MFA devices to check the code against: the session records the device it names, and
    // that the code was not verified, so the IAM engine does not treat it as MFA-authenticated.
    c.session["mfa_serial"] = in["SerialNumber"];
    c.session["mfa_verified"] = false;
  }
  return {{"Credentials", issue(ctx, std::move(c), duration)}};
}

// Credentials for a federated user named by the caller, scoped down by the session policies passed here (a
// federated session without session policies has no permissions). Called with long-term credentials of an
// IAM user or the root user; root sessions are capped at one hour.
Json StsService::get_federation_token(RequestContext& ctx, const Json& in) {
  auto caller = caller_credential(ctx);
  if (is_temporary(caller) || ctx.principal.type == "assumed-role" || ctx.principal.type == "federated-user")
    throw AwsError("AccessDenied", "Cannot call GetFederationToken with session credentials", 403);

  const std::string name = in.at("Name").get<std::string>();
  long long duration = in.contains("DurationSeconds") ? in["DurationSeconds"].get<long long>() : 43200;
  const bool root = ctx.principal.type == "root";
  if (root) duration = std::min<long long>(duration, 3600);

  sts::SessionPolicies policies = sts::read_session_policies(in);
  sts::SessionTags tags;
  if (in.contains("Tags")) {
    std::vector<std::string> seen;
    for (const Json& t : in["Tags"]) {
      std::string key = t.at("Key").get<std::string>();
      std::string lower = key;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
      if (std::find(seen.begin(), seen.end(), lower) != seen.end())
        throw AwsError("InvalidParameterValue",
                       "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400);
      seen.push_back(lower);
      tags.tags.emplace_back(key, t.at("Value").get<std::string>());
    }
  }
  const int packed = sts::packed_policy_size(policies, tags);

  const std::string account = !ctx.principal.account_id.empty() ? ctx.principal.account_id : ctx.account_id;
  Credential c;
  c.account_id = account;
  c.principal.type = "federated-user";
  c.principal.arn = "arn:aws:sts::" + account + ":federated-user/" + name;
  c.principal.user_id = account + ":" + name;
  c.principal.account_id = account;
  c.principal.name = name;
  c.session = {{"kind", "federated-user"},
               {"parent_arn", ctx.principal.arn},
               {"parent_user_id", ctx.principal.user_id},
               {"source_access_key_id", ctx.access_key_id},
               {"policy_arns", policies.policy_arns},
               {"tags", tags.tags_json()}};
  if (policies.policy) c.session["policy"] = *policies.policy;

  Json out = {{"Credentials", issue(ctx, c, duration)},
              {"FederatedUser", {{"FederatedUserId", c.principal.user_id}, {"Arn", c.principal.arn}}}};
  out["PackedPolicySize"] = packed;
  return out;
}

}  // namespace cloudbox
