#pragma once
// The IAM policy language: validation of policy documents as IAM validates them, and evaluation of requests
// against identity policies, resource policies, permissions boundaries and session policies following AWS's
// documented evaluation logic ("Policy evaluation logic" in the IAM User Guide):
//
//   1. an explicit Deny in any applicable policy wins;
//   2. otherwise the request is allowed when an identity policy allows it and every present limiting policy
//      (permissions boundary, session policy) allows it too — or, within one account, when a resource policy
//      allows the principal (granting to a user's or session's own ARN is not limited by a boundary or session
//      policy; granting to the role ARN is); across accounts both sides must allow;
//   3. otherwise it is implicitly denied.
//
// The library is self-contained (it knows nothing about IAM's stored entities): callers hand it parsed
// policies, the request (action, resource, principal) and the request context (condition keys).
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/json.h"

namespace cloudbox::iam::policy {

// What a document is used as; it decides which elements are required or prohibited.
enum class Kind {
  Identity,  // inline and managed policies, permissions boundaries, session policies: no Principal, needs Resource
  Resource,  // resource-based policies (Secrets Manager …): needs Principal and Resource
  Trust,     // role trust policies: needs Principal, no Resource
};

// Checks a policy document as IAM does. Returns the MalformedPolicyDocument message, or nullopt when valid.
std::optional<std::string> validate(std::string_view text, Kind kind);

// Characters of a document that count against IAM's size quotas (whitespace outside strings is not counted).
size_t policy_size(std::string_view text);

struct Position {
  int line = 1;
  int column = 1;
};

struct Statement {
  std::string sid;
  bool allow = true;
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false;  // Resource or NotResource present
  bool not_resource = false;
  std::vector<std::string> resources;
  bool has_principal = false;  // Principal or NotPrincipal present
  bool not_principal = false;
  std::map<std::string, std::vector<std::string>> principals;  // "AWS"/"Service"/"Federated"/"CanonicalUser"/"*"
  Json condition = Json::object();
  Position start, end;  // where the statement sits in the document text
};

struct Policy {
  std::string id;    // what the simulator reports as SourcePolicyId (policy name or ARN)
  std::string type;  // SourcePolicyType: user | group | role | aws-managed | user-managed | resource | none
  std::string version = "2008-10-17";
  std::vector<Statement> statements;

  // Parses a document that validate() accepted (or any JSON document, leniently). nullopt when not JSON.
  static std::optional<Policy> parse(std::string_view text, std::string id = {}, std::string type = {});
};

// The request context: condition keys (case-insensitive names) and their values (always a list; most keys
// have one value, aws:TagKeys and aws:CalledVia have several).
class Context {
 public:
  void set(std::string_view key, std::string value);
  void set(std::string_view key, std::vector<std::string> values);
  void erase(std::string_view key);
  const std::vector<std::string>* find(std::string_view key) const;
  const std::map<std::string, std::vector<std::string>>& values() const { return values_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;  // key lower-cased
};

// Who asks. For role sessions `arn` is the session ARN (arn:aws:sts::A:assumed-role/R/S) and `role_arn` the role's.
struct Caller {
  std::string arn;
  std::string account;
  std::string type;  // root | user | assumed-role | federated-user | anonymous | service
  std::string role_arn;
  std::string service;  // for service principals: "scheduler.amazonaws.com"
};

struct Request {
  std::string action;    // "secretsmanager:GetSecretValue"
  std::string resource;  // an ARN, or "*"
  Caller caller;
  std::string resource_account;  // empty: same account as the caller
  Context context;
};

struct MatchedStatement {
  std::string policy_id;
  std::string policy_type;
  size_t index = 0;
  bool allow = true;
  Position start, end;
};

// Result of one policy (or set of policies) against one request.
struct PolicySetResult {
  bool allow = false;
  bool deny = false;
  std::vector<MatchedStatement> allows, denies;
  std::vector<std::string> missing_context;  // condition keys a matching statement asked for and did not find
};

// How a resource policy's Principal matched the caller (see the file comment for why it matters).
enum class PrincipalMatch { None, Direct, Role, Account, Anyone };

// Evaluates `policies` for `req`. `check_principal`: resource and trust policies match the caller against
// Principal/NotPrincipal; identity policies do not.
PolicySetResult evaluate_set(const std::vector<const Policy*>& policies, const Request& req, bool check_principal,
                             PrincipalMatch* best_match = nullptr);

enum class Decision { Allowed, ExplicitDeny, ImplicitDeny };
const char* decision_name(Decision d);  // allowed | explicitDeny | implicitDeny (the simulator's words)

struct Input {
  std::vector<const Policy*> identity;                 // the principal's policies (inline, attached, groups')
  std::optional<std::vector<const Policy*>> boundary;  // permissions boundary, when one is set
  std::optional<std::vector<const Policy*>> session;   // session policies, when the session has any
  std::vector<const Policy*> resource;                 // the resource's policy, if any
};

struct Result {
  Decision decision = Decision::ImplicitDeny;
  std::vector<MatchedStatement> matched;  // the statements that decided (denies when denied, allows when allowed)
  bool identity_allowed = false;
  std::optional<bool> boundary_allowed;  // set when a boundary applies
  std::optional<bool> session_allowed;
  bool resource_allowed = false;
  // Which kind of policy decided a denial: identity | boundary | session | resource (for AWS's denial messages).
  std::string deny_source;
  std::vector<std::string> missing_context;
};

Result evaluate(const Input& in, const Request& req);

// --- building blocks, exposed for tests ---

// Glob with * (any run, including empty) and ? (one character); `ignore_case` for actions.
bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case = false);
// Action pattern ("s3:Get*") against an action ("s3:GetObject"), case-insensitive.
bool action_matches(std::string_view pattern, std::string_view action);
// Resource/ARN pattern against an ARN: "*" matches everything, otherwise segment by segment with wildcards.
bool arn_matches(std::string_view pattern, std::string_view arn);
// Replaces ${...} policy variables from the context. nullopt when a variable has no value and no default.
std::optional<std::string> substitute(std::string_view text, const Context& ctx);
// One condition block (the value of "Condition") against the context; appends keys it missed to `missing`.
bool conditions_match(const Json& condition, const Context& ctx, bool variables,
                      std::vector<std::string>* missing = nullptr);
// Whether `cidr` (IPv4 or IPv6, with or without /len) contains `ip`.
bool ip_in_cidr(std::string_view ip, std::string_view cidr);
// The condition keys a document's conditions use (for GetContextKeysFor…Policy), in first-seen order.
std::vector<std::string> context_keys(const Policy& p);

}  // namespace cloudbox::iam::policy
