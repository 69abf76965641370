// IAM users, groups and membership, access keys (registered in the core's credential directory so requests
// signed with them resolve to the user), login profiles.
#include <algorithm>
#include <cctype>

#include "core/auth/credentials.h"
#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

Json boundary_out(const Json& e) {
  return {{"PermissionsBoundaryType", "Policy"}, {"PermissionsBoundaryArn", e["PermissionsBoundary"]}};
}

Json user_out(const Json& u, bool full) {
  Json out = {{"Path", u["Path"]}, {"UserName", u["UserName"]}, {"UserId", u["UserId"]}, {"Arn", u["Arn"]},
              {"CreateDate", u["CreateDate"]}};
  if (u.contains("PasswordLastUsed")) out["PasswordLastUsed"] = u["PasswordLastUsed"];
  if (full) {
    if (u.contains("PermissionsBoundary")) out["PermissionsBoundary"] = boundary_out(u);
    if (u.contains("Tags") && !u["Tags"].empty()) out["Tags"] = tags_out(u);
  }
  return out;
}

Json group_out(const Json& g) {
  return {{"Path", g["Path"]}, {"GroupName", g["GroupName"]}, {"GroupId", g["GroupId"]}, {"Arn", g["Arn"]},
          {"CreateDate", g["CreateDate"]}};
}

std::string user_arn(const std::string& account, const std::string& path, const std::string& name) {
  return "arn:aws:iam::" + account + ":user" + path + name;
}

// The user a call is about: UserName, or the calling IAM user when it is omitted.
std::string target_user(const RequestContext& ctx, const Json& in) {
  if (in.contains("UserName")) return in["UserName"].get<std::string>();
  if (ctx.principal.type == "user") return ctx.principal.name;
  throw AwsError("ValidationError", "Must specify userName when calling with non-User credentials", 400);
}

Credential user_credential(const std::string& account, const Json& user, const std::string& akid,
                           const std::string& secret, bool active) {
  Credential c;
  c.access_key_id = akid;
  c.secret_access_key = secret;
  c.account_id = account;
  c.active = active;
  c.principal.type = "user";
  c.principal.arn = user["Arn"].get<std::string>();
  c.principal.user_id = user["UserId"].get<std::string>();
  c.principal.account_id = account;
  c.principal.name = user["UserName"].get<std::string>();
  return c;
}

bool in_path(const Json& e, const std::string& prefix) { return e.value("Path", "/").rfind(prefix, 0) == 0; }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Users

Json IamService::create_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("UserName").get<std::string>();
  std::string path = path_of(in);
  if (a.users.count(lower(name))) already_exists("User with name " + name + " already exists.");
  Json u = {{"UserName", name},
            {"UserId", make_unique_id("AIDA")},
            {"Arn", user_arn(acct, path, name)},
            {"Path", path},
            {"CreateDate", now_epoch(ctx)},
            {"Tags", Json::object()},
            {"inline", Json::object()},
            {"attached", Json::array()},
            {"groups", Json::array()},
            {"access_keys", Json::array()}};
  if (in.contains("Tags")) apply_tags(u, in["Tags"]);
  if (in.contains("PermissionsBoundary")) {
    std::string arn = in["PermissionsBoundary"].get<std::string>();
    if (!find_aws_policy(arn) && !find_customer_policy(a, acct, arn))
      no_such_entity("Scope ARN: " + arn + " does not exist or is not attachable.");
    u["PermissionsBoundary"] = arn;
  }
  save(acct, "user", u, name);
  a.users[lower(name)] = u;
  return {{"User", user_out(u, true)}};
}

Json IamService::get_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  if (!in.contains("UserName") && ctx.principal.type == "root") {
    std::string acct = account_id(ctx);
    // The root user has no name or path; AWS answers with its account id and ARN.
    return {{"User", {{"UserId", acct}, {"Arn", "arn:aws:iam::" + acct + ":root"}, {"CreateDate", 0.0}}}};
  }
  return {{"User", user_out(need_user(a, target_user(ctx, in)), true)}};
}

Json IamService::update_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("UserName").get<std::string>();
  Json u = need_user(a, name);
  std::string new_name = str(in, "NewUserName", u["UserName"].get<std::string>());
  std::string new_path = in.contains("NewPath") ? path_of(in, "NewPath") : u["Path"].get<std::string>();
  if (lower(new_name) != lower(name) && a.users.count(lower(new_name)))
    already_exists("User with name " + new_name + " already exists.");
  u["UserName"] = new_name;
  u["Path"] = new_path;
  u["Arn"] = user_arn(acct, new_path, new_name);
  erase(acct, "user", name);
  a.users.erase(lower(name));
  save(acct, "user", u, new_name);
  a.users[lower(new_name)] = u;
  // MFA devices stay enabled for the renamed user.
  for (auto& [k, d] : a.mfa)
    if (d.contains("user") && lower(d["user"].get<std::string>()) == lower(name)) {
      d["user"] = new_name;
      save(acct, "mfa", d, d["Name"]);
    }
  // Keys now stand for the renamed user.
  for (const auto& k : u["access_keys"]) {
    auto c = core_.credentials().find(k["AccessKeyId"].get<std::string>());
    if (c) core_.credentials().add(user_credential(acct, u, c->access_key_id, c->secret_access_key, c->active));
  }
  return Json::object();
}

Json IamService::delete_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("UserName").get<std::string>();
  Json& u = need_user(a, name);
  if (u.contains("login_profile")) delete_conflict("Cannot delete entity, must delete login profile first.");
  for (const auto& [k, d] : a.mfa)
    if (d.value("user", std::string()) == u["UserName"]) delete_conflict("Cannot delete entity, must delete MFA device first.");
  if (!u["access_keys"].empty()) delete_conflict("Cannot delete entity, must delete access keys first.");
  if (u.contains("ssh_keys") && !u["ssh_keys"].empty())
    delete_conflict("Cannot delete entity, must delete SSH public keys first.");
  if (!u["inline"].empty()) delete_conflict("Cannot delete entity, must delete policies first.");
  if (!u["attached"].empty()) delete_conflict("Cannot delete entity, must detach all policies first.");
  if (!u["groups"].empty()) delete_conflict("Cannot delete entity, must remove users from group first.");
  erase(acct, "user", name);
  a.users.erase(lower(name));
  return Json::object();
}

Json IamService::list_users(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string prefix = str(in, "PathPrefix", "/");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, u] : a.users)
    if (in_path(u, prefix)) rows.emplace_back(k, user_out(u, false));
  return page(in, rows, "Users");
}

Json IamService::tag_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  Json copy = u;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "user", copy, copy["UserName"]);
  u = copy;
  return Json::object();
}

Json IamService::untag_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  remove_tags(u, in.at("TagKeys"));
  save(account_id(ctx), "user", u, u["UserName"]);
  return Json::object();
}

Json IamService::list_user_tags(RequestContext& ctx, const Json& in) {
  Json& u = need_user(account(ctx), in.at("UserName").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(u)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

// ---------------------------------------------------------------------------------------------------
// Groups

Json IamService::create_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("GroupName").get<std::string>();
  std::string path = path_of(in);
  if (a.groups.count(lower(name))) already_exists("Group with name " + name + " already exists.");
  Json g = {{"GroupName", name},
            {"GroupId", make_unique_id("AGPA")},
            {"Arn", "arn:aws:iam::" + acct + ":group" + path + name},
            {"Path", path},
            {"CreateDate", now_epoch(ctx)},
            {"inline", Json::object()},
            {"attached", Json::array()}};
  save(acct, "group", g, name);
  a.groups[lower(name)] = g;
  return {{"Group", group_out(g)}};
}

Json IamService::get_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const Json& g = need_group(a, in.at("GroupName").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, u] : a.users)
    for (const auto& gn : u["groups"])
      if (lower(gn.get<std::string>()) == lower(g["GroupName"].get<std::string>())) rows.emplace_back(k, user_out(u, false));
  Json out = page(in, rows, "Users");
  out["Group"] = group_out(g);
  return out;
}

Json IamService::update_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("GroupName").get<std::string>();
  Json g = need_group(a, name);
  std::string new_name = str(in, "NewGroupName", g["GroupName"].get<std::string>());
  std::string new_path = in.contains("NewPath") ? path_of(in, "NewPath") : g["Path"].get<std::string>();
  if (lower(new_name) != lower(name) && a.groups.count(lower(new_name)))
    already_exists("Group with name " + new_name + " already exists.");
  g["GroupName"] = new_name;
  g["Path"] = new_path;
  g["Arn"] = "arn:aws:iam::" + acct + ":group" + new_path + new_name;
  erase(acct, "group", name);
  a.groups.erase(lower(name));
  save(acct, "group", g, new_name);
  a.groups[lower(new_name)] = g;
  for (auto& [k, u] : a.users) {
    bool changed = false;
    for (auto& gn : u["groups"])
      if (lower(gn.get<std::string>()) == lower(name)) gn = new_name, changed = true;
    if (changed) save(acct, "user", u, u["UserName"]);
  }
  return Json::object();
}

Json IamService::delete_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("GroupName").get<std::string>();
  Json& g = need_group(a, name);
  for (const auto& [k, u] : a.users)
    for (const auto& gn : u["groups"])
      if (lower(gn.get<std::string>()) == lower(name))
        delete_conflict("Cannot delete entity, must remove users from group first.");
  if (!g["inline"].empty()) delete_conflict("Cannot delete entity, must delete policies first.");
  if (!g["attached"].empty()) delete_conflict("Cannot delete entity, must detach all policies first.");
  erase(acct, "group", name);
  a.groups.erase(lower(name));
  return Json::object();
}

Json IamService::list_groups(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string prefix = str(in, "PathPrefix", "/");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, g] : a.groups)
    if (in_path(g, prefix)) rows.emplace_back(k, group_out(g));
  return page(in, rows, "Groups");
}

Json IamService::add_user_to_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& g = need_group(a, in.at("GroupName").get<std::string>());
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  for (const auto& gn : u["groups"])
    if (lower(gn.get<std::string>()) == lower(g["GroupName"].get<std::string>())) return Json::object();
  if (u["groups"].size() >= 10) limit_exceeded("Cannot exceed quota for GroupsPerUser: 10");
  Json copy = u;
  copy["groups"].push_back(g["GroupName"]);
  save(account_id(ctx), "user", copy, copy["UserName"]);
  u = copy;
  return Json::object();
}

Json IamService::remove_user_from_group(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& g = need_group(a, in.at("GroupName").get<std::string>());
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  Json kept = Json::array();
  bool found = false;
  for (const auto& gn : u["groups"]) {
    if (lower(gn.get<std::string>()) == lower(g["GroupName"].get<std::string>())) found = true;
    else kept.push_back(gn);
  }
  if (!found)
    no_such_entity("The user with name " + u["UserName"].get<std::string>() + " cannot be found in group " +
                   g["GroupName"].get<std::string>() + ".");
  u["groups"] = kept;
  save(account_id(ctx), "user", u, u["UserName"]);
  return Json::object();
}

Json IamService::list_groups_for_user(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const Json& u = need_user(a, in.at("UserName").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& gn : u["groups"]) {
    auto it = a.groups.find(lower(gn.get<std::string>()));
    if (it != a.groups.end()) rows.emplace_back(it->first, group_out(it->second));
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "Groups");
}

// ---------------------------------------------------------------------------------------------------
// Access keys

Json IamService::create_access_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  if (u["access_keys"].size() >= 2) limit_exceeded("Cannot exceed quota for AccessKeysPerUser: 2");
  std::string akid = make_access_key_id("AKIA", acct);
  std::string secret = make_secret_access_key();
  double now = now_epoch(ctx);
  Json copy = u;
  copy["access_keys"].push_back({{"AccessKeyId", akid}, {"Status", "Active"}, {"CreateDate", now}});
  save(acct, "user", copy, copy["UserName"]);
  core_.credentials().add(user_credential(acct, copy, akid, secret, true));
  u = copy;
  return {{"AccessKey",
           {{"UserName", u["UserName"]}, {"AccessKeyId", akid}, {"Status", "Active"}, {"SecretAccessKey", secret},
            {"CreateDate", now}}}};
}

namespace {
Json* find_key(Json& user, const std::string& akid) {
  for (auto& k : user["access_keys"])
    if (k["AccessKeyId"] == akid) return &k;
  return nullptr;
}
}  // namespace

Json IamService::update_access_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  std::string akid = in.at("AccessKeyId").get<std::string>();
  Json* k = find_key(u, akid);
  if (!k) no_such_entity("The Access Key with id " + akid + " cannot be found.");
  std::string status = in.at("Status").get<std::string>();
  (*k)["Status"] = status;
  save(account_id(ctx), "user", u, u["UserName"]);
  core_.credentials().set_active(akid, status == "Active");
  return Json::object();
}

Json IamService::delete_access_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  std::string akid = in.at("AccessKeyId").get<std::string>();
  if (!find_key(u, akid)) no_such_entity("The Access Key with id " + akid + " cannot be found.");
  Json kept = Json::array();
  for (const auto& k : u["access_keys"])
    if (k["AccessKeyId"] != akid) kept.push_back(k);
  u["access_keys"] = kept;
  save(account_id(ctx), "user", u, u["UserName"]);
  core_.credentials().remove(akid);
  return Json::object();
}

Json IamService::list_access_keys(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const Json& u = need_user(a, target_user(ctx, in));
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& k : u["access_keys"])
    rows.emplace_back(k["AccessKeyId"].get<std::string>(),
                      Json{{"UserName", u["UserName"]}, {"AccessKeyId", k["AccessKeyId"]}, {"Status", k["Status"]},
                           {"CreateDate", k["CreateDate"]}});
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "AccessKeyMetadata");
}

Json IamService::get_access_key_last_used(RequestContext& ctx, const Json& in) {
  std::string akid = in.at("AccessKeyId").get<std::string>();
  AccountState& a = account(ctx);
  for (auto& [k, u] : a.users)
    if (Json* key = find_key(u, akid)) {
      Json last = {{"ServiceName", "N/A"}, {"Region", "N/A"}};
      if (key->contains("LastUsedDate")) {
        last = {{"LastUsedDate", (*key)["LastUsedDate"]}, {"ServiceName", (*key)["ServiceName"]},
                {"Region", (*key)["Region"]}};
      }
      return {{"UserName", u["UserName"]}, {"AccessKeyLastUsed", last}};
    }
  // AWS answers AccessDenied for keys it cannot attribute to the caller's account.
  throw AwsError("AccessDenied", "User: " + ctx.principal.arn +
                                     " is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key " +
                                     akid,
                 403);
}

// ---------------------------------------------------------------------------------------------------
// Login profiles

namespace {
// Checks a password against the account's password policy (or IAM's default rules when none is set).
void check_password(const Json& policy, const std::string& password) {
  auto fail = [](const std::string& m) { throw AwsError("PasswordPolicyViolationException", m); };
  int min_len = policy.is_object() ? policy.value("MinimumPasswordLength", 6) : 8;
  if (int(password.size()) < min_len)
    fail("Password should have a minimum length of " + std::to_string(min_len));
  auto has = [&password](int (*pred)(int)) {
    return std::any_of(password.begin(), password.end(), [pred](unsigned char c) { return pred(c) != 0; });
  };
  auto is_symbol = [](int c) -> int { return std::ispunct(c); };
  if (!policy.is_object()) {
    int classes = has(std::isupper) + has(std::islower) + has(std::isdigit) + has(is_symbol);
    if (classes < 3)
      fail("Password should contain at least three of the following: uppercase letters, lowercase letters, numbers, "
           "symbols");
    return;
  }
  if (policy.value("RequireUppercaseCharacters", false) && !has(std::isupper))
    fail("Password should have at least one uppercase letter");
  if (policy.value("RequireLowercaseCharacters", false) && !has(std::islower))
    fail("Password should have at least one lowercase letter");
  if (policy.value("RequireNumbers", false) && !has(std::isdigit)) fail("Password should have at least one number");
  if (policy.value("RequireSymbols", false) && !has(is_symbol)) fail("Password should have at least one symbol");
}
}  // namespace

Json IamService::create_login_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  if (u.contains("login_profile"))
    already_exists("Login Profile for user " + u["UserName"].get<std::string>() + " already exists.");
  std::string password = str(in, "Password");
  check_password(a.password_policy, password);
  std::string salt = random_hex(16);
  Json lp = {{"CreateDate", now_epoch(ctx)},
             {"PasswordResetRequired", in.value("PasswordResetRequired", false)},
             {"salt", salt},
             {"hash", sha256_hex(salt + password)}};
  u["login_profile"] = lp;
  save(account_id(ctx), "user", u, u["UserName"]);
  return {{"LoginProfile",
           {{"UserName", u["UserName"]}, {"CreateDate", lp["CreateDate"]}, {"PasswordResetRequired", lp["PasswordResetRequired"]}}}};
}

Json IamService::get_login_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const Json& u = need_user(a, target_user(ctx, in));
  if (!u.contains("login_profile"))
    no_such_entity("Login Profile for User " + u["UserName"].get<std::string>() + " cannot be found.");
  const Json& lp = u["login_profile"];
  return {{"LoginProfile",
           {{"UserName", u["UserName"]}, {"CreateDate", lp["CreateDate"]}, {"PasswordResetRequired", lp["PasswordResetRequired"]}}}};
}

Json IamService::update_login_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  if (!u.contains("login_profile"))
    no_such_entity("Login Profile for User " + u["UserName"].get<std::string>() + " cannot be found.");
  Json copy = u;
  if (in.contains("Password")) {
    std::string password = in["Password"].get<std::string>();
    check_password(a.password_policy, password);
    copy["login_profile"]["hash"] = sha256_hex(copy["login_profile"]["salt"].get<std::string>() + password);
  }
  if (in.contains("PasswordResetRequired")) copy["login_profile"]["PasswordResetRequired"] = in["PasswordResetRequired"];
  save(account_id(ctx), "user", copy, copy["UserName"]);
  u = copy;
  return Json::object();
}

Json IamService::delete_login_profile(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, target_user(ctx, in));
  if (!u.contains("login_profile"))
    no_such_entity("Login Profile for User " + u["UserName"].get<std::string>() + " cannot be found.");
  u.erase("login_profile");
  save(account_id(ctx), "user", u, u["UserName"]);
  return Json::object();
}

Json IamService::change_password(RequestContext& ctx, const Json& in) {
  if (ctx.principal.type != "user")
    throw AwsError("InvalidUserTypeException", "Only IAM Users can change their own password.");
  AccountState& a = account(ctx);
  Json& u = need_user(a, ctx.principal.name);
  if (!u.contains("login_profile"))
    no_such_entity("Login Profile for User " + u["UserName"].get<std::string>() + " cannot be found.");
  Json& lp = u["login_profile"];
  if (sha256_hex(lp["salt"].get<std::string>() + in.at("OldPassword").get<std::string>()) != lp["hash"])
    throw AwsError("InvalidUserTypeException", "The old password is incorrect.");
  std::string password = in.at("NewPassword").get<std::string>();
  check_password(a.password_policy, password);
  Json copy = u;
  copy["login_profile"]["hash"] = sha256_hex(lp["salt"].get<std::string>() + password);
  copy["login_profile"]["PasswordResetRequired"] = false;
  save(account_id(ctx), "user", copy, copy["UserName"]);
  u = copy;
  return Json::object();
}

}  // namespace cloudbox::iam
