// Deciding requests: the principal's policies (user, group, role, session policies, boundary) and the global
// condition keys, evaluated by the policy engine; denials written as each protocol's AWS services write them.
// Also records access-key and role last use.
#include <algorithm>

#include "core/auth/credentials.h"
#include "core/common/encoding.h"
#include "core/core.h"
#include "core/model/model.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

constexpr double kLastUsedPersistEvery = 60.0;  // seconds between durable last-used updates of one key or role

std::string principal_type_key(const std::string& t) {
  if (t == "user") return "User";
  if (t == "assumed-role") return "AssumedRole";
  if (t == "federated-user") return "FederatedUser";
  if (t == "service") return "Service";
  return "Account";
}

}  // namespace

IamService::Decided IamService::decide(const RequestContext& ctx, const AuthzTarget& target) {
  std::lock_guard lock(mutex());
  const std::string acct = account_id(ctx);
  AccountState& a = accounts_[acct];
  const Principal& p = ctx.principal;
  Decided out;
  out.principal_arn = p.arn;

  policy::Context context;
  std::optional<Credential> cred;
  if (!ctx.access_key_id.empty()) cred = core_.credentials().find(ctx.access_key_id);
  const Json session = cred && cred->session.is_object() ? cred->session : Json::object();

  PrincipalPolicies policies;
  std::vector<policy::Policy> session_policies;
  bool has_session_policies = false;
  policy::Caller caller{p.arn, acct, p.type, "", ""};
  auto add_tags = [&context](const Json& tags) {
    if (tags.is_object())
      for (const auto& [k, v] : tags.items())
        if (v.is_string()) context.set("aws:PrincipalTag/" + k, v.get<std::string>());
  };
  auto read_session_policies = [&]() {
    if (session.contains("policy") && session["policy"].is_string()) {
      has_session_policies = true;
      if (auto sp = parsed("session/" + ctx.access_key_id, session["policy"].get<std::string>(), "SessionPolicy", "none"))
        session_policies.push_back(*sp);
    }
    for (const auto& arn_j : session.value("policy_arns", Json::array())) {
      has_session_policies = true;
      std::string arn = arn_j.get<std::string>();
      if (auto doc = managed_policy_document(a, acct, arn))
        if (auto sp = parsed("session/" + ctx.access_key_id + "/" + arn, *doc, arn.substr(arn.rfind('/') + 1), "none"))
          session_policies.push_back(*sp);
    }
  };

  if (p.type == "user") {
    auto it = a.users.find(lower(p.name));
    if (it == a.users.end() || it->second["Arn"] != p.arn) {
      out.result.decision = policy::Decision::ImplicitDeny;
      out.result.deny_source = "identity";
      return out;
    }
    auto& cached = principal_cache_[p.arn];
    if (cached.generation != generation_ || generation_ == 0) {
      cached.policies = policies_of_user(a, acct, it->second);
      cached.generation = generation_;
    }
    policies = cached.policies;
    context.set("aws:username", p.name);
    add_tags(it->second.value("Tags", Json::object()));
  } else if (p.type == "assumed-role") {
    auto it = a.roles.find(lower(p.name));
    if (it == a.roles.end()) {
      out.result.decision = policy::Decision::ImplicitDeny;
      out.result.deny_source = "identity";
      return out;
    }
    caller.role_arn = it->second["Arn"].get<std::string>();
    auto& cached = principal_cache_["role:" + caller.role_arn];
    if (cached.generation != generation_ || generation_ == 0) {
      cached.policies = policies_of_role(a, acct, it->second);
      cached.generation = generation_;
    }
    policies = cached.policies;
    add_tags(it->second.value("Tags", Json::object()));
    add_tags(session.value("tags", Json::object()));  // session tags override the role's
    read_session_policies();
    if (session.contains("source_identity")) context.set("aws:SourceIdentity", session["source_identity"].get<std::string>());
  } else if (p.type == "service") {
    caller.service = p.arn;  // "scheduler.amazonaws.com": only resource policies naming the service apply
    context.set("aws:PrincipalServiceName", p.arn);
  } else if (p.type == "federated-user") {
    // A federated session has the intersection of its parent user's policies and its session policies.
    std::string parent = session.value("parent_arn", std::string());
    for (auto& [k, u] : a.users)
      if (u["Arn"] == parent) policies = policies_of_user(a, acct, u);
    read_session_policies();
    has_session_policies = true;  // none passed means no permissions
    add_tags(session.value("tags", Json::object()));
  }

  context.set("aws:PrincipalArn", caller.role_arn.empty() ? p.arn : caller.role_arn);
  context.set("aws:PrincipalAccount", acct);
  context.set("aws:PrincipalType", principal_type_key(p.type));
  if (!p.user_id.empty()) context.set("aws:userid", p.user_id);
  context.set("aws:RequestedRegion", ctx.region);
  if (!ctx.source_ip.empty()) context.set("aws:SourceIp", ctx.source_ip);
  context.set("aws:CurrentTime", iso8601_seconds(ctx.now));
  context.set("aws:EpochTime", std::to_string(static_cast<long long>(to_epoch(ctx.now))));
  context.set("aws:SecureTransport", "false");  // cloudbox serves plain HTTP
  context.set("aws:ViaAWSService", ctx.internal ? "true" : "false");
  if (cred && !cred->session_token.empty()) {
    context.set("aws:MultiFactorAuthPresent",
                session.value("mfa_verified", false) ? std::string("true") : std::string("false"));
    if (session.contains("issued_at") && session["issued_at"].is_number())
      context.set("aws:TokenIssueTime", iso8601_seconds(from_epoch(session["issued_at"].get<double>())));
  }
  for (const auto& [k, v] : target.context) context.set(k, v);

  std::vector<policy::Policy> resource_policies;
  if (target.resource_policy)
    if (auto rp = policy::Policy::parse(*target.resource_policy, "ResourcePolicy", "resource"))
      resource_policies.push_back(std::move(*rp));

  auto ptrs = [](const std::vector<policy::Policy>& v) {
    std::vector<const policy::Policy*> o;
    for (const auto& x : v) o.push_back(&x);
    return o;
  };
  auto shared_ptrs = [](const std::vector<PolicyPtr>& v) {
    std::vector<const policy::Policy*> o;
    for (const auto& x : v) o.push_back(x.get());
    return o;
  };
  policy::Input input;
  input.identity = shared_ptrs(policies.identity);
  if (policies.boundary) input.boundary = shared_ptrs(*policies.boundary);
  if (has_session_policies) input.session = ptrs(session_policies);
  input.resource = ptrs(resource_policies);

  std::vector<std::string> resources = target.resources;
  if (resources.empty()) resources.push_back("*");
  out.result.decision = policy::Decision::Allowed;
  policy::Request req{target.action, "", caller, target.resource_account, std::move(context)};
  for (const auto& resource : resources) {
    req.resource = resource;
    policy::Result r = policy::evaluate(input, req);
    if (target.resource_policy_required && r.decision == policy::Decision::Allowed && !r.resource_allowed) {
      r.decision = policy::Decision::ImplicitDeny;
      r.deny_source = "resource";
    }
    if (r.decision != policy::Decision::Allowed) {
      out.result = std::move(r);
      out.denied_resource = resource;
      out.context = std::move(req.context);
      return out;
    }
    out.result.matched.insert(out.result.matched.end(), r.matched.begin(), r.matched.end());
  }
  out.context = std::move(req.context);
  return out;
}

void IamService::record_use(const RequestContext& ctx) {
  std::lock_guard lock(mutex());
  const std::string acct = account_id(ctx);
  auto ait = accounts_.find(acct);
  if (ait == accounts_.end()) return;
  AccountState& a = ait->second;
  double now = now_epoch(ctx);
  if (ctx.principal.type == "user" && !ctx.access_key_id.empty()) {
    auto it = a.users.find(lower(ctx.principal.name));
    if (it == a.users.end()) return;
    for (auto& k : it->second["access_keys"]) {
      if (k["AccessKeyId"] != ctx.access_key_id) continue;
      double last = k.value("LastUsedDate", 0.0);
      k["LastUsedDate"] = now;
      k["ServiceName"] = ctx.service;
      k["Region"] = ctx.region;
      if (now - last >= kLastUsedPersistEvery) save(acct, "user", it->second, it->second["UserName"]);
    }
  } else if (ctx.principal.type == "assumed-role") {
    auto it = a.roles.find(lower(ctx.principal.name));
    if (it == a.roles.end()) return;
    Json& last = it->second["RoleLastUsed"];
    double before = last.is_object() ? last.value("LastUsedDate", 0.0) : 0.0;
    last = {{"LastUsedDate", now}, {"Region", ctx.region}};
    if (now - before >= kLastUsedPersistEvery) save(acct, "role", it->second, it->second["RoleName"]);
  }
}

void IamService::authorize(const RequestContext& ctx, const std::vector<AuthzTarget>& targets) {
  // The account root is always allowed, except by a resource policy that must itself allow (role trust).
  if (ctx.principal.type == "root" || ctx.principal.type.empty()) {
    bool required = std::any_of(targets.begin(), targets.end(), [](const AuthzTarget& t) { return t.resource_policy_required; });
    if (!required) return;
  }
  record_use(ctx);
  const bool root = ctx.principal.type == "root" || ctx.principal.type.empty();
  for (const auto& target : targets) {
    if (root && !target.resource_policy_required) continue;
    Decided d = decide(ctx, target);
    if (d.result.decision == policy::Decision::Allowed) continue;
    const std::string& action = target.action;
    std::string reason;
    const std::string& src = d.result.deny_source;
    if (d.result.decision == policy::Decision::ExplicitDeny) {
      reason = src == "resource"   ? "with an explicit deny in a resource-based policy"
               : src == "boundary" ? "with an explicit deny in a permissions boundary"
               : src == "session"  ? "with an explicit deny in a session policy"
                                   : "with an explicit deny in an identity-based policy";
    } else {
      reason = src == "boundary"   ? "because no permissions boundary allows the " + action + " action"
               : src == "session"  ? "because no session policy allows the " + action + " action"
               : src == "resource" ? "because no resource-based policy allows the " + action + " action"
                                   : "because no identity-based policy allows the " + action + " action";
    }
    std::string resource = !target.message_resource.empty() ? target.message_resource : d.denied_resource;
    std::string message = "User: " + ctx.principal.arn + " is not authorized to perform: " + action +
                          (resource.empty() || resource == "*" ? std::string() : " on resource: " + resource) + " " +
                          reason;
    std::string protocol = "query";
    try {
      protocol = core_.model(ctx.service).protocol;
    } catch (const std::exception&) {  // a service without a model here: the query form
    }
    if (protocol == "ec2") {
      Json items = Json::array();
      for (const auto& [k, vs] : d.context.values()) {
        Json values = Json::array();
        for (const auto& v : vs) values.push_back({{"value", v}});
        items.push_back({{"key", k}, {"values", {{"items", values}}}});
      }
      Json matched = Json::array();
      for (const auto& m : d.result.matched) matched.push_back({{"statementId", ""}, {"effect", m.allow ? "ALLOW" : "DENY"},
                                                                 {"principals", {{"items", Json::array({{{"value", ctx.principal.user_id}}})}}},
                                                                 {"actions", {{"items", Json::array({{{"value", action}}})}}},
                                                                 {"resources", {{"items", Json::array({{{"value", d.denied_resource}}})}}},
                                                                 {"conditions", {{"items", Json::array()}}}});
      Json decoded = {{"allowed", false},
                      {"explicitDeny", d.result.decision == policy::Decision::ExplicitDeny},
                      {"matchedStatements", {{"items", matched}}},
                      {"failures", {{"items", Json::array()}}},
                      {"context",
                       {{"principal", {{"id", ctx.principal.user_id}, {"arn", ctx.principal.arn}}},
                        {"action", action},
                        {"resource", d.denied_resource},
                        {"conditions", {{"items", items}}}}}};
      throw AwsError("UnauthorizedOperation",
                     "You are not authorized to perform this operation. " + message +
                         ". Encoded authorization failure message: " + base64_encode(decoded.dump()),
                     403);
    }
    if (protocol == "json") throw AwsError("AccessDeniedException", message, 400);
    if (protocol == "rest-json") throw AwsError("AccessDeniedException", message, 403);
    throw AwsError("AccessDenied", message, 403);
  }
}

}  // namespace cloudbox::iam

namespace cloudbox::iam {

// IAM's own operations for the enforcement hook: the action is iam:<Operation>; the resource is the entity the
// request names (its ARN with its path when it exists), as the Service Authorization Reference lists them, and
// the condition keys IAM documents (iam:PolicyARN, iam:PermissionsBoundary, aws:RequestTag/…, aws:TagKeys).
std::vector<AuthzTarget> IamService::authz_targets(const RequestContext& ctx, const Json& in) {
  std::lock_guard lock(mutex());
  const std::string acct = account_id(ctx);
  AccountState& a = accounts_[acct];
  AuthzTarget t;
  t.action = "iam:" + ctx.operation;
  auto arn_of = [&](const std::map<std::string, Json>& m, const char* field, const char* kind, const std::string& name) {
    auto it = m.find(lower(name));
    if (it != m.end() && it->second.contains(field)) return it->second[field].get<std::string>();
    return "arn:aws:iam::" + acct + ":" + kind + "/" + name;
  };
  const std::string& op = ctx.operation;
  // AddUserToGroup / RemoveUserFromGroup act on the group; other operations naming a user act on the user, and
  // the user-scoped ones without UserName (CreateAccessKey, ChangePassword …) on the calling user.
  if (in.contains("UserName") && !in.contains("GroupName"))
    t.resources.push_back(arn_of(a.users, "Arn", "user", in["UserName"].get<std::string>()));
  else if (!in.contains("GroupName") && ctx.principal.type == "user" &&
           (op.find("AccessKey") != std::string::npos || op.find("LoginProfile") != std::string::npos ||
            op == "ChangePassword" || op == "GetUser"))
    t.resources.push_back(ctx.principal.arn);
  if (in.contains("GroupName")) t.resources.push_back(arn_of(a.groups, "Arn", "group", in["GroupName"].get<std::string>()));
  if (in.contains("RoleName") && !in.contains("InstanceProfileName"))
    t.resources.push_back(arn_of(a.roles, "Arn", "role", in["RoleName"].get<std::string>()));
  if (in.contains("InstanceProfileName"))
    t.resources.push_back(arn_of(a.instance_profiles, "Arn", "instance-profile", in["InstanceProfileName"].get<std::string>()));
  if (in.contains("PolicyArn")) {
    std::string arn = in["PolicyArn"].get<std::string>();
    if (op.rfind("Attach", 0) == 0 || op.rfind("Detach", 0) == 0) t.context["iam:PolicyARN"] = {arn};
    else t.resources.push_back(arn);
  }
  if (op == "CreatePolicy") t.resources.push_back("arn:aws:iam::" + acct + ":policy" + str(in, "Path", "/") + str(in, "PolicyName"));
  if (in.contains("PermissionsBoundary")) t.context["iam:PermissionsBoundary"] = {in["PermissionsBoundary"].get<std::string>()};
  if (in.contains("Tags") && in["Tags"].is_array()) {
    std::vector<std::string> keys;
    for (const auto& tag : in["Tags"]) {
      std::string k = tag.value("Key", std::string());
      keys.push_back(k);
      t.context["aws:RequestTag/" + k] = {tag.value("Value", std::string())};
    }
    t.context["aws:TagKeys"] = keys;
  }
  if (in.contains("TagKeys") && in["TagKeys"].is_array()) t.context["aws:TagKeys"] = in["TagKeys"].get<std::vector<std::string>>();
  // The resource's own tags, for aws:ResourceTag/… (users and roles carry tags).
  if (t.resources.size() == 1) {
    const std::string& r = t.resources[0];
    for (const auto* m : {&a.users, &a.roles})
      for (const auto& [k, e] : *m)
        if (e.value("Arn", std::string()) == r && e.contains("Tags"))
          for (const auto& [tk, tv] : e["Tags"].items()) t.context["aws:ResourceTag/" + tk] = {tv.get<std::string>()};
  }
  return {t};
}

}  // namespace cloudbox::iam
