// Resource policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy, ValidateResourcePolicy.
//
// A policy is checked for IAM policy grammar (MalformedPolicyDocumentException "This resource policy
// contains a syntax error.", or "... an unsupported principal." / "... an invalid service principal.")
// and for broad access: an Allow statement whose principal is "*" (or NotPrincipal), unless a condition
// pins the caller down by one of the keys AWS accepts for that (aws:SourceAccount, aws:SourceArn, …).
#include <set>

#include "core/common/ids.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

namespace {

[[noreturn]] void syntax_error() {
  throw AwsError("MalformedPolicyDocumentException", "This resource policy contains a syntax error.");
}

bool string_or_string_list(const Json& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const auto& e : v)
    if (!e.is_string()) return false;
  return true;
}

std::vector<std::string> as_list(const Json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  else if (v.is_array())
    for (const auto& e : v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

bool is_aws_principal(const std::string& p) {
  if (p == "*" || is_account_id(p)) return true;
  if (p.rfind("arn:", 0) != 0) return false;
  // arn:PARTITION:iam::ACCOUNT:root|user/…|role/…|…  or arn:PARTITION:sts::ACCOUNT:assumed-role/…
  auto parts_end = p.find(':', 4);
  if (parts_end == std::string::npos) return false;
  std::string rest = p.substr(parts_end + 1);
  return rest.rfind("iam::", 0) == 0 || rest.rfind("sts::", 0) == 0;
}

void check_principal(const Json& principal) {
  if (principal.is_string()) {
    if (principal.get<std::string>() != "*")
      throw AwsError("MalformedPolicyDocumentException", "This resource policy contains an unsupported principal.");
    return;
  }
  if (!principal.is_object() || principal.empty()) syntax_error();
  for (auto it = principal.begin(); it != principal.end(); ++it) {
    if (!string_or_string_list(it.value())) syntax_error();
    const std::string& kind = it.key();
    for (const auto& p : as_list(it.value())) {
      if (kind == "AWS") {
        if (!is_aws_principal(p))
          throw AwsError("MalformedPolicyDocumentException",
                         "This resource policy contains an unsupported principal.");
      } else if (kind == "Service") {
        auto ends_with = [&p](const std::string& suffix) {
          return p.size() > suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        if (!(ends_with(".amazonaws.com") || ends_with(".amazon.com") || ends_with(".amazonaws.com.cn")))
          throw AwsError("MalformedPolicyDocumentException",
                         "This resource policy contains an invalid service principal.");
      } else if (kind != "Federated" && kind != "CanonicalUser") {
        throw AwsError("MalformedPolicyDocumentException", "This resource policy contains an unsupported principal.");
      }
    }
  }
}

std::vector<Json> statements_of(const std::string& text) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) syntax_error();
  static const std::set<std::string> kTop = {"Version", "Id", "Statement"};
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (!kTop.count(it.key())) syntax_error();
  if (doc.contains("Version")) {
    const Json& v = doc["Version"];
    if (!v.is_string() || (v != "2012-10-17" && v != "2008-10-17")) syntax_error();
  }
  if (!doc.contains("Statement")) syntax_error();
  std::vector<Json> out;
  const Json& st = doc["Statement"];
  if (st.is_object()) out.push_back(st);
  else if (st.is_array() && !st.empty())
    for (const auto& e : st) out.push_back(e);
  else syntax_error();

  static const std::set<std::string> kKeys = {"Sid",    "Effect",   "Principal",   "NotPrincipal", "Action",
                                              "NotAction", "Resource", "NotResource", "Condition"};
  for (const auto& s : out) {
    if (!s.is_object()) syntax_error();
    for (auto it = s.begin(); it != s.end(); ++it)
      if (!kKeys.count(it.key())) syntax_error();
    if (s.contains("Sid") && !s["Sid"].is_string()) syntax_error();
    if (!s.contains("Effect") || !s["Effect"].is_string() || (s["Effect"] != "Allow" && s["Effect"] != "Deny"))
      syntax_error();
    if (s.contains("Action") == s.contains("NotAction")) syntax_error();
    const Json& action = s.contains("Action") ? s["Action"] : s["NotAction"];
    if (!string_or_string_list(action)) syntax_error();
    if (s.contains("Resource") && s.contains("NotResource")) syntax_error();
    for (const char* k : {"Resource", "NotResource"})
      if (s.contains(k) && !string_or_string_list(s[k])) syntax_error();
    // A resource policy names whom it applies to.
    if (s.contains("Principal") == s.contains("NotPrincipal")) syntax_error();
    check_principal(s.contains("Principal") ? s["Principal"] : s["NotPrincipal"]);
    if (s.contains("Condition")) {
      const Json& c = s["Condition"];
      if (!c.is_object()) syntax_error();
      for (auto op = c.begin(); op != c.end(); ++op)
        if (!op.value().is_object()) syntax_error();
    }
  }
  return out;
}

bool lower_equals(std::string a, const char* b) {
  for (auto& ch : a) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return a == b;
}

// Condition keys that restrict a wildcard principal to known callers.
bool restricting_condition(const Json& statement) {
  if (!statement.contains("Condition")) return false;
  static const char* kKeys[] = {"aws:sourceaccount", "aws:sourcearn",     "aws:sourcevpc",   "aws:sourcevpce",
                                "aws:sourceowner",   "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
                                "aws:userid"};
  for (auto op = statement["Condition"].begin(); op != statement["Condition"].end(); ++op)
    for (auto key = op.value().begin(); key != op.value().end(); ++key)
      for (const char* k : kKeys)
        if (lower_equals(key.key(), k)) return true;
  return false;
}

bool grants_broad_access(const std::vector<Json>& statements) {
  for (const auto& s : statements) {
    if (s["Effect"] != "Allow") continue;
    bool wildcard = false;
    if (s.contains("NotPrincipal")) {
      wildcard = true;
    } else {
      const Json& p = s["Principal"];
      if (p.is_string()) wildcard = p == "*";
      else if (p.contains("AWS"))
        for (const auto& a : as_list(p["AWS"])) wildcard = wildcard || a == "*";
    }
    if (wildcard && !restricting_condition(s)) return true;
  }
  return false;
}

}  // namespace

Json SecretsManagerService::put_resource_policy(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  std::string policy = in.at("ResourcePolicy").get<std::string>();
  auto statements = statements_of(policy);
  if (opt_bool(in, "BlockPublicPolicy", false) && grants_broad_access(statements))
    throw AwsError("PublicPolicyException",
                   "You can't attach a resource-based policy that allows broad access to the secret.");
  s.policy = policy;
  s.last_changed = epoch(ctx);
  save(s);
  return {{"ARN", s.arn}, {"Name", s.name}};
}

Json SecretsManagerService::get_resource_policy(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  Json out = {{"ARN", s.arn}, {"Name", s.name}};
  if (s.policy) out["ResourcePolicy"] = *s.policy;  // AWS omits the member when no policy is attached
  return out;
}

Json SecretsManagerService::delete_resource_policy(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  if (s.policy) {
    s.policy.reset();
    s.last_changed = epoch(ctx);
    save(s);
  }
  return {{"ARN", s.arn}, {"Name", s.name}};
}

Json SecretsManagerService::validate_resource_policy(RequestContext& ctx, const Json& in) {
  if (in.contains("SecretId")) resolve(ctx, in["SecretId"].get<std::string>());
  auto statements = statements_of(in.at("ResourcePolicy").get<std::string>());
  Json errors = Json::array();
  if (grants_broad_access(statements))
    errors.push_back({{"CheckName", "BROAD_ACCESS"},
                      {"ErrorMessage", "This resource policy grants broad access to your secret."}});
  return {{"PolicyValidationPassed", errors.empty()}, {"ValidationErrors", errors}};
}

}  // namespace cloudbox::secretsmanager
