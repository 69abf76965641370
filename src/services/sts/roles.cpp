// AssumeRole: role sessions, with session policies, session tags (transitive across role chaining), source
// identity and external id recorded on the credential for the IAM engine. And AssumeRoot, which needs AWS
// Organizations.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/common/arn.h"
#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/sts/sts.h"

namespace cloudbox {
namespace sts {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

AwsError validation(const std::string& message) { return AwsError("ValidationError", message, 400); }

// AWS states the limit of the packed form in percent only; cloudbox measures the compacted policy text, the
// policy ARNs and the tag keys and values against a 2048-byte budget (the plaintext limit of a session policy),
// so a policy that is already at its plaintext limit fills the packed space.
constexpr double kPackedBudget = 2048.0;

}  // namespace

SessionPolicies read_session_policies(const Json& in) {
  SessionPolicies out;
  if (in.contains("Policy")) {
    Json doc = Json::parse(in["Policy"].get<std::string>(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Statement") ||
        !(doc["Statement"].is_object() || doc["Statement"].is_array()))
      throw AwsError("MalformedPolicyDocumentException", "Syntax errors in policy.");
    out.policy = doc.dump();
  }
  if (in.contains("PolicyArns")) {
    if (in["PolicyArns"].size() > 10)
      throw validation("The number of session policy ARNs exceeds the limit of 10 (" +
                       std::to_string(in["PolicyArns"].size()) + " were passed).");
    for (const Json& d : in["PolicyArns"]) {
      std::string arn = d.value("arn", std::string());
      auto parsed = Arn::parse(arn);
      if (!parsed || parsed->service != "iam" || parsed->resource.rfind("policy/", 0) != 0 ||
          (parsed->account != "aws" && !is_account_id(parsed->account)))
        throw validation("ARN " + arn + " is not valid.");
      out.policy_arns.push_back(arn);
    }
  }
  return out;
}

Json SessionTags::tags_json() const {
  Json out = Json::object();
  for (const auto& [k, v] : tags) out[k] = v;
  return out;
}

int packed_policy_size(const SessionPolicies& policies, const SessionTags& tags) {
  size_t bytes = policies.policy ? policies.policy->size() : 0;
  for (const auto& arn : policies.policy_arns) bytes += arn.size();
  for (const auto& [k, v] : tags.tags) bytes += k.size() + v.size();
  int percent = int(std::ceil(double(bytes) * 100.0 / kPackedBudget));
  if (percent > 100)
    throw AwsError("PackedPolicyTooLargeException",
                   "Packed policy consumes " + std::to_string(percent) + "% of allotted space, please use smaller policy.");
  return percent;
}

}  // namespace sts

namespace {

struct RoleRef {
  std::string arn;
  std::string account;
  std::string name;
  std::string role_id;
  long long max_session_duration = 3600;  // IAM's default for a role
  bool from_iam = false;
  std::string trust_policy;  // the role's trust policy document, when IAM has the role
};

// A role's unique id as IAM would show it (AROA + 17 base32 characters), derived from the ARN so the same role
// always gets the same id while IAM is not there to say.
std::string derived_role_id(const std::string& role_arn) {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string digest = sha256("cloudbox-role-id:" + sts::lower(role_arn));
  std::string id = "AROA";
  for (int i = 0; i < 17; ++i) id.push_back(kBase32[static_cast<unsigned char>(digest[size_t(i)]) & 31]);
  return id;
}

AwsError not_authorized(const RequestContext& ctx, const std::string& action, const std::string& resource) {
  return AwsError("AccessDenied",
                  "User: " + ctx.principal.arn + " is not authorized to perform: " + action + " on resource: " + resource,
                  403);
}

}  // namespace

// Reads the role out of its ARN, and out of IAM when the IAM service is there (its RoleId and
// MaxSessionDuration; a role IAM does not know cannot be assumed).
static RoleRef resolve_role(Core& core, RequestContext& ctx, const std::string& role_arn) {
  auto arn = Arn::parse(role_arn);
  if (!arn) throw sts::validation(role_arn + " is invalid");
  if (arn->service != "iam" || !arn->region.empty() || !is_account_id(arn->account) ||
      arn->resource.rfind("role/", 0) != 0)
    throw sts::validation("Request ARN is invalid");
  RoleRef role;
  role.arn = role_arn;
  role.account = arn->account;
  role.name = arn->resource.substr(arn->resource.rfind('/') + 1);
  if (role.name.empty()) throw sts::validation("Request ARN is invalid");
  role.role_id = derived_role_id(role_arn);

  if (core.service("iam")) {
    RequestContext iam_ctx{core,          ctx.request_id, "iam",         "GetRole",      ctx.region,
                           role.account,  "",             sts::root_principal(role.account), ctx.now,
                           ctx.source_ip, /*internal=*/true};
    try {
      Json out = core.invoke(iam_ctx, "iam", "GetRole", Json{{"RoleName", role.name}});
      const Json& r = out.at("Role");
      if (r.value("Arn", role_arn) != role_arn) throw not_authorized(ctx, "sts:AssumeRole", role_arn);
      role.role_id = r.value("RoleId", role.role_id);
      std::string trust = r.value("AssumeRolePolicyDocument", std::string());
      role.trust_policy = trust.rfind("%7B", 0) == 0 ? url_decode(trust, false) : trust;
      if (r.contains("MaxSessionDuration") && r["MaxSessionDuration"].is_number_integer())
        role.max_session_duration = r["MaxSessionDuration"].get<long long>();
      role.from_iam = true;
    } catch (const AwsError& e) {
      // No such role, or a name IAM could never have given one (longer than 64 characters …): AWS answers both
      // as a denial, never with IAM's own validation message.
      if (e.code == "NoSuchEntity" || e.code == "NoSuchEntityException" || e.code == "ValidationError")
        throw not_authorized(ctx, "sts:AssumeRole", role_arn);
      if (e.code != "NotImplemented") throw;
      // IAM is registered but does not serve GetRole yet: fall back to what the ARN says.
    }
  }
  return role;
}

std::vector<AuthzTarget> StsService::authz_targets(const RequestContext& ctx, const Json& in) {
  if (ctx.operation == "GetCallerIdentity") return {AuthzTarget{}};  // needs no permission, even when denied
  if (ctx.operation == "AssumeRole") {
    RequestContext copy = ctx;
    if (auto t = trust_target(copy, in)) return {*t};
  }
  return {};
}

std::optional<AuthzTarget> StsService::trust_target(RequestContext& ctx, const Json& in) {
  const std::string role_arn = in.at("RoleArn").get<std::string>();
  RoleRef role;
  try {
    role = resolve_role(core_, ctx, role_arn);
  } catch (const AwsError&) {
    return std::nullopt;  // the handler answers for a role that is not there
  }
  if (!role.from_iam) return std::nullopt;
  AuthzTarget t;
  t.action = "sts:AssumeRole";
  t.resources = {role.arn};
  t.resource_policy = role.trust_policy;
  t.resource_policy_required = true;
  t.resource_account = role.account;
  t.context["sts:RoleSessionName"] = {in.at("RoleSessionName").get<std::string>()};
  if (in.contains("ExternalId")) t.context["sts:ExternalId"] = {in["ExternalId"].get<std::string>()};
  if (in.contains("SourceIdentity")) t.context["sts:SourceIdentity"] = {in["SourceIdentity"].get<std::string>()};
  if (in.contains("Tags") && in["Tags"].is_array()) {
    std::vector<std::string> keys;
    for (const Json& tag : in["Tags"]) {
      std::string k = tag.value("Key", std::string());
      keys.push_back(k);
      t.context["aws:RequestTag/" + k] = {tag.value("Value", std::string())};
    }
    t.context["aws:TagKeys"] = keys;
  }
  if (in.contains("TransitiveTagKeys") && in["TransitiveTagKeys"].is_array())
    t.context["sts:TransitiveTagKeys"] = in["TransitiveTagKeys"].get<std::vector<std::string>>();
  return t;
}

Json StsService::assume_role(RequestContext& ctx, const Json& in) {
  const std::string role_arn = in.at("RoleArn").get<std::string>();
  const std::string session_name = in.at("RoleSessionName").get<std::string>();
  RoleRef role = resolve_role(core_, ctx, role_arn);
  // The trust policy decides for AWS service principals (the scheduler, an instance profile) always, and for
  // an account's root when IAM is enforced; other callers were decided with it by the enforcement hook.
  const bool enforce = core_.options().enforce_iam;
  if (role.from_iam && core_.authorizer() &&
      (ctx.principal.type == "service" || (enforce && (ctx.principal.type == "root" || ctx.principal.type.empty())))) {
    if (auto t = trust_target(ctx, in)) core_.authorizer()->authorize(ctx, {*t});
  }

  auto caller = caller_credential(ctx);
  const Json caller_session = caller && caller->session.is_object() ? caller->session : Json::object();
  // Credentials from STS assuming a role is role chaining, capped at one hour whatever the role allows.
  const bool chained = is_temporary(caller) || ctx.principal.type == "assumed-role";

  const long long duration = in.contains("DurationSeconds") ? in["DurationSeconds"].get<long long>() : 3600;
  if (chained && duration > 3600)
    throw sts::validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  if (duration > role.max_session_duration)
    throw sts::validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");

  if (in.contains("ProvidedContexts"))
    throw sts::validation(
        "cloudbox does not support ProvidedContexts: it cannot verify context assertions signed by IAM Identity "
        "Center (trusted identity propagation).");

  const bool has_serial = in.contains("SerialNumber");
  const bool has_code = in.contains("TokenCode");
  if (has_serial != has_code)
    throw AwsError("AccessDenied",
                   "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.",
                   403);

  sts::SessionPolicies policies = sts::read_session_policies(in);

  // Session tags: keys are case-insensitive; transitive keys must be among the tags; tags a calling role
  // session passes on transitively come along and may not be set again.
  sts::SessionTags tags;
  std::vector<std::string> keys_lower;
  if (in.contains("Tags")) {
    for (const Json& t : in["Tags"]) {
      std::string key = t.at("Key").get<std::string>();
      std::string k = sts::lower(key);
      if (std::find(keys_lower.begin(), keys_lower.end(), k) != keys_lower.end())
        throw AwsError("InvalidParameterValue",
                       "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400);
      keys_lower.push_back(k);
      tags.tags.emplace_back(key, t.at("Value").get<std::string>());
    }
  }
  if (in.contains("TransitiveTagKeys")) {
    for (const Json& t : in["TransitiveTagKeys"]) {
      std::string key = t.get<std::string>();
      if (std::find(keys_lower.begin(), keys_lower.end(), sts::lower(key)) == keys_lower.end())
        throw AwsError("InvalidParameterValue",
                       "The specified transitive tag key must be included in the requested tags.", 400);
      tags.transitive.push_back(key);
    }
  }
  if (caller_session.contains("transitive_tag_keys") && caller_session.contains("tags")) {
    const Json& inherited = caller_session["tags"];
    for (const Json& t : caller_session["transitive_tag_keys"]) {
      std::string key = t.get<std::string>();
      if (std::find(keys_lower.begin(), keys_lower.end(), sts::lower(key)) != keys_lower.end())
        throw AwsError("InvalidParameterValue",
                       "One of the specified transitive tag keys can't be set because it conflicts with a transitive "
                       "tag key from the calling session.",
                       400);
      if (!inherited.contains(key)) continue;
      keys_lower.push_back(sts::lower(key));
      tags.tags.emplace_back(key, inherited[key].get<std::string>());
      tags.transitive.push_back(key);
    }
  }

  // Source identity: set once, then carried through every chained session unchanged.
  std::string source_identity = in.value("SourceIdentity", std::string());
  if (source_identity.rfind("aws:", 0) == 0)
    throw sts::validation("The source identity can't begin with the prefix 'aws:'.");
  const std::string inherited_identity = caller_session.value("source_identity", std::string());
  if (!inherited_identity.empty()) {
    if (!source_identity.empty() && source_identity != inherited_identity)
      throw AwsError("AccessDenied",
                     "The source identity '" + source_identity + "' doesn't match the source identity '" +
                         inherited_identity + "' of the calling session, which can't be changed.",
                     403);
    source_identity = inherited_identity;
  }

  const bool report_packed = policies.any() || !tags.tags.empty();
  const int packed = sts::packed_policy_size(policies, tags);

  Credential c;
  c.account_id = role.account;
  c.principal.type = "assumed-role";
  c.principal.arn = "arn:aws:sts::" + role.account + ":assumed-role/" + role.name + "/" + session_name;
  c.principal.user_id = role.role_id + ":" + session_name;
  c.principal.account_id = role.account;
  c.principal.name = role.name;
  c.principal.session_name = session_name;
  c.session = {{"kind", "assumed-role"},
               {"role_arn", role.arn},
               {"role_id", role.role_id},
               {"role_name", role.name},
               {"chained", chained},
               {"source_arn", ctx.principal.arn},
               {"source_access_key_id", ctx.access_key_id},
               {"policy_arns", policies.policy_arns},
               {"tags", tags.tags_json()},
               {"transitive_tag_keys", tags.transitive}};
  if (policies.policy) c.session["policy"] = *policies.policy;
  if (!source_identity.empty()) c.session["source_identity"] = source_identity;
  if (in.contains("ExternalId")) c.session["external_id"] = in["ExternalId"];
  if (has_serial) {
    // No MFA devices to check the code against: recorded as presented, not verified.
    c.session["mfa_serial"] = in["SerialNumber"];
    c.session["mfa_verified"] = false;
  }

  Json out = {{"Credentials", issue(ctx, c, duration)},
              {"AssumedRoleUser", {{"AssumedRoleId", c.principal.user_id}, {"Arn", c.principal.arn}}}};
  if (report_packed) out["PackedPolicySize"] = packed;
  if (!source_identity.empty()) out["SourceIdentity"] = source_identity;
  return out;
}

// AssumeRoot gives the management account of an AWS Organization short, task-scoped root credentials for a
// member account, once centralized root access is enabled. cloudbox has no Organizations, so no account is a
// member of another's organization, and the call is refused as AWS refuses it outside an organization.
Json StsService::assume_root(RequestContext& ctx, const Json& in) {
  const std::string target = in.at("TargetPrincipal").get<std::string>();
  throw AwsError("AccessDenied",
                 "cloudbox does not support AssumeRoot: it requires AWS Organizations with centralized root access "
                 "for member accounts, which cloudbox does not provide, so " + ctx.principal.arn +
                     " cannot assume the root user of " + target + ".",
                 403);
}

}  // namespace cloudbox
