// The policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy evaluate each (action, resource)
// pair with the same engine (policy/) that decides requests, and report the statements that decided.
#include <algorithm>
#include <cstdio>

#include "core/common/arn.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

Json position(const policy::Position& p) { return {{"Line", p.line}, {"Column", p.column}}; }

Json statements_out(const std::vector<policy::MatchedStatement>& ms) {
  Json out = Json::array();
  for (const auto& m : ms)
    out.push_back({{"SourcePolicyId", m.policy_id},
                   {"SourcePolicyType", m.policy_type.empty() ? "none" : m.policy_type},
                   {"StartPosition", position(m.start)},
                   {"EndPosition", position(m.end)}});
  return out;
}

std::vector<policy::Policy> read_inputs(const Json& in, const char* member, const char* id_prefix,
                                        policy::Kind kind = policy::Kind::Identity) {
  std::vector<policy::Policy> out;
  if (!in.contains(member)) return out;
  int i = 1;
  for (const auto& d : in[member]) {
    std::string text = d.get<std::string>();
    if (auto err = policy::validate(text, kind)) throw AwsError("MalformedPolicyDocumentException", *err);
    auto p = policy::Policy::parse(text, std::string(id_prefix) + "." + std::to_string(i++), "none");
    if (p) out.push_back(std::move(*p));
  }
  return out;
}

// Context entries ([{ContextKeyName, ContextKeyValues, ContextKeyType}]) into the engine's context.
void read_context(const Json& in, policy::Context& ctx) {
  if (!in.contains("ContextEntries")) return;
  for (const auto& e : in["ContextEntries"]) {
    std::vector<std::string> values;
    for (const auto& v : e.value("ContextKeyValues", Json::array())) values.push_back(v.get<std::string>());
    ctx.set(e.value("ContextKeyName", ""), values);
  }
}

std::vector<const policy::Policy*> pointers(const std::vector<policy::Policy>& v) {
  std::vector<const policy::Policy*> out;
  for (const auto& p : v) out.push_back(&p);
  return out;
}

std::string resource_account_of(const std::string& resource, const Json& in) {
  if (in.contains("ResourceOwner")) {
    auto arn = Arn::parse(in["ResourceOwner"].get<std::string>());
    if (arn) return arn->account;
  }
  auto arn = Arn::parse(resource);
  if (arn && !arn->account.empty() && arn->account != "*") return arn->account;
  return {};
}

}  // namespace

Json IamService::simulate(RequestContext& ctx, const Json& in, const PrincipalPolicies* principal,
                          const Json* source, const std::string& source_arn) {
  const std::string acct = account_id(ctx);
  std::vector<policy::Policy> identity = read_inputs(in, "PolicyInputList", "PolicyInputList");
  std::optional<std::vector<policy::Policy>> boundary;
  if (principal) {
    for (const auto& p : principal->identity) identity.push_back(*p);
    if (principal->boundary) {
      boundary.emplace();
      for (const auto& p : *principal->boundary) boundary->push_back(*p);
    }
  }
  if (in.contains("PermissionsBoundaryPolicyInputList"))
    boundary = read_inputs(in, "PermissionsBoundaryPolicyInputList", "PermissionsBoundaryPolicyInputList");
  std::vector<policy::Policy> resource_policies;
  if (in.contains("ResourcePolicy")) {
    std::string text = in["ResourcePolicy"].get<std::string>();
    if (auto err = policy::validate(text, policy::Kind::Resource))
      throw AwsError("MalformedPolicyDocumentException", *err);
    if (auto p = policy::Policy::parse(text, "ResourcePolicy", "resource")) resource_policies.push_back(std::move(*p));
  }

  policy::Caller caller;
  caller.arn = in.contains("CallerArn") ? in["CallerArn"].get<std::string>() : source_arn;
  caller.account = acct;
  caller.type = "user";
  policy::Context base;
  if (source) {
    if (source->contains("UserName")) {
      caller.type = "user";
      base.set("aws:username", (*source)["UserName"].get<std::string>());
      base.set("aws:userid", (*source)["UserId"].get<std::string>());
    } else if (source->contains("RoleName")) {
      caller.type = "assumed-role";
      caller.role_arn = (*source)["Arn"].get<std::string>();
      base.set("aws:userid", (*source)["RoleId"].get<std::string>());
    }
    if (source->contains("Tags"))
      for (const auto& [k, v] : (*source)["Tags"].items()) base.set("aws:PrincipalTag/" + k, v.get<std::string>());
  }
  if (!caller.arn.empty()) base.set("aws:PrincipalArn", caller.arn);
  base.set("aws:PrincipalAccount", acct);
  read_context(in, base);

  std::vector<std::string> resources;
  if (in.contains("ResourceArns"))
    for (const auto& r : in["ResourceArns"]) resources.push_back(r.get<std::string>());
  if (resources.empty()) resources.push_back("*");

  auto identity_ptrs = pointers(identity);
  policy::Input input;
  input.identity = identity_ptrs;
  std::vector<const policy::Policy*> boundary_ptrs;
  if (boundary) {
    boundary_ptrs = pointers(*boundary);
    input.boundary = boundary_ptrs;
  }
  input.resource = pointers(resource_policies);

  std::vector<std::pair<std::string, Json>> rows;
  size_t n = 0;
  for (const auto& action_j : in.at("ActionNames")) {
    std::string action = action_j.get<std::string>();
    for (const auto& resource : resources) {
      policy::Request req;
      req.action = action;
      req.resource = resource;
      req.caller = caller;
      req.resource_account = resource_account_of(resource, in);
      req.context = base;
      policy::Result r = policy::evaluate(input, req);
      Json e = {{"EvalActionName", action},
                {"EvalResourceName", resource},
                {"EvalDecision", policy::decision_name(r.decision)},
                {"MatchedStatements", statements_out(r.matched)},
                {"MissingContextValues", r.missing_context},
                {"OrganizationsDecisionDetail", {{"AllowedByOrganizations", true}}}};
      if (r.boundary_allowed)
        e["PermissionsBoundaryDecisionDetail"] = {{"AllowedByPermissionsBoundary", *r.boundary_allowed}};
      if (!resource_policies.empty()) {
        // Per-policy-type decisions, as the simulator reports them when a resource policy takes part.
        e["EvalDecisionDetails"] = {{"IAM Policy", r.identity_allowed ? "allowed" : "implicitDeny"},
                                    {"Resource Policy", r.resource_allowed ? "allowed" : "implicitDeny"}};
      }
      char key[24];
      std::snprintf(key, sizeof key, "%012zu", n++);
      rows.emplace_back(key, e);
    }
  }
  return page(in, rows, "EvaluationResults");
}

Json IamService::simulate_principal_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string source = in.at("PolicySourceArn").get<std::string>();
  auto arn = Arn::parse(source);
  if (!arn || arn->service != "iam") invalid_input("Invalid ARN: " + source);
  std::string resource = arn->resource;
  std::string name = resource.substr(resource.rfind('/') + 1);
  if (resource.rfind("user/", 0) == 0) {
    Json& u = need_user(a, name);
    auto policies = policies_of_user(a, acct, u);
    return simulate(ctx, in, &policies, &u, u["Arn"].get<std::string>());
  }
  if (resource.rfind("role/", 0) == 0) {
    Json& r = need_role(a, name);
    auto policies = policies_of_role(a, acct, r);
    return simulate(ctx, in, &policies, &r, r["Arn"].get<std::string>());
  }
  if (resource.rfind("group/", 0) == 0) {
    Json& g = need_group(a, name);
    Json pseudo = {{"inline", g["inline"]}, {"attached", g["attached"]}, {"groups", Json::array()}, {"GroupId", g["GroupId"]}};
    auto policies = policies_of_user(a, acct, pseudo, "group");
    return simulate(ctx, in, &policies, nullptr, g["Arn"].get<std::string>());
  }
  invalid_input("Invalid ARN: " + source);
}

Json IamService::simulate_custom_policy(RequestContext& ctx, const Json& in) {
  return simulate(ctx, in, nullptr, nullptr, str(in, "CallerArn"));
}

namespace {
Json context_keys_of(const std::vector<policy::Policy>& policies) {
  std::vector<std::string> keys;
  std::vector<std::string> seen;
  for (const auto& p : policies)
    for (const auto& k : policy::context_keys(p)) {
      std::string l = lower(k);
      if (std::find(seen.begin(), seen.end(), l) != seen.end()) continue;
      seen.push_back(l);
      keys.push_back(k);
    }
  return {{"ContextKeyNames", keys}};
}
}  // namespace

Json IamService::get_context_keys_for_principal_policy(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string source = in.at("PolicySourceArn").get<std::string>();
  auto arn = Arn::parse(source);
  if (!arn || arn->service != "iam") invalid_input("Invalid ARN: " + source);
  std::string name = arn->resource.substr(arn->resource.rfind('/') + 1);
  std::vector<policy::Policy> all = read_inputs(in, "PolicyInputList", "PolicyInputList");
  PrincipalPolicies p;
  if (arn->resource.rfind("user/", 0) == 0) p = policies_of_user(a, acct, need_user(a, name));
  else if (arn->resource.rfind("role/", 0) == 0) p = policies_of_role(a, acct, need_role(a, name));
  else if (arn->resource.rfind("group/", 0) == 0) {
    Json& g = need_group(a, name);
    p = policies_of_user(a, acct, Json{{"inline", g["inline"]}, {"attached", g["attached"]}, {"groups", Json::array()}, {"GroupId", g["GroupId"]}}, "group");
  } else {
    invalid_input("Invalid ARN: " + source);
  }
  for (const auto& x : p.identity) all.push_back(*x);
  return context_keys_of(all);
}

Json IamService::get_context_keys_for_custom_policy(RequestContext& ctx, const Json& in) {
  return context_keys_of(read_inputs(in, "PolicyInputList", "PolicyInputList"));
}

}  // namespace cloudbox::iam
