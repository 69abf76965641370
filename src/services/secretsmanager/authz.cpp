// How IAM sees a Secrets Manager request under --enforce-iam, as the Service Authorization Reference lists it:
// the action secretsmanager:<Operation> on the secret's ARN (with the secret's resource policy), and the
// condition keys of the request (secretsmanager:SecretId, :Name, :Description, :KmsKeyId, :VersionId,
// :VersionStage, :ResourceTag/…, :ForceDeleteWithoutRecovery, :RecoveryWindowInDays, :BlockPublicPolicy,
// :AddReplicaRegions, aws:RequestTag/…, aws:TagKeys, aws:ResourceTag/…). Operations on no secret act on "*".
#include "core/core.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

namespace {

void add_string(AuthzTarget& t, const char* key, const Json& in, const char* member) {
  if (in.contains(member) && in[member].is_string()) t.context[key] = {in[member].get<std::string>()};
}

void add_bool(AuthzTarget& t, const char* key, const Json& in, const char* member) {
  if (in.contains(member) && in[member].is_boolean()) t.context[key] = {in[member].get<bool>() ? "true" : "false"};
}

void add_request_tags(AuthzTarget& t, const Json& in) {
  if (in.contains("Tags") && in["Tags"].is_array()) {
    std::vector<std::string> keys;
    for (const Json& tag : in["Tags"]) {
      std::string k = tag.value("Key", std::string());
      keys.push_back(k);
      t.context["aws:RequestTag/" + k] = {tag.value("Value", std::string())};
    }
    t.context["aws:TagKeys"] = keys;
  }
  if (in.contains("TagKeys") && in["TagKeys"].is_array()) t.context["aws:TagKeys"] = in["TagKeys"].get<std::vector<std::string>>();
}

}  // namespace

AuthzTarget SecretsManagerService::secret_target(const RequestContext& ctx, const std::string& action,
                                                 const std::string& secret_id) {
  AuthzTarget t;
  t.action = action;
  t.context["secretsmanager:SecretId"] = {secret_id};
  Secret* s = nullptr;
  try {
    s = &resolve(ctx, secret_id);
  } catch (const AwsError&) {  // the handler answers for a secret that is not there
  }
  if (!s) {
    // A secret that does not exist (yet): its name with the six-character suffix left open, so policies
    // written as AWS recommends ("secret:NAME-??????" or "secret:NAME-*") match it.
    std::string name = secret_id;
    if (auto at = secret_id.find(":secret:"); secret_id.rfind("arn:", 0) == 0 && at != std::string::npos)
      name = secret_id.substr(at + 8);
    t.resources = {"arn:aws:secretsmanager:" + ctx.region + ":" + ctx.account_id + ":secret:" + name + "-??????"};
    return t;
  }
  t.resources = {s->arn};
  t.resource_account = s->account;
  if (s->policy) t.resource_policy = *s->policy;
  for (const auto& [k, v] : s->tags) {
    t.context["aws:ResourceTag/" + k] = {v};
    t.context["secretsmanager:ResourceTag/" + k] = {v};
  }
  return t;
}

std::vector<AuthzTarget> SecretsManagerService::authz_targets(const RequestContext& ctx, const Json& in) {
  const std::string action = "secretsmanager:" + ctx.operation;
  const std::string& op = ctx.operation;
  AuthzTarget t;
  if (op == "CreateSecret") {
    t = secret_target(ctx, action, in.at("Name").get<std::string>());
    t.context.erase("secretsmanager:SecretId");
    add_string(t, "secretsmanager:Name", in, "Name");
  } else if (in.contains("SecretId") && in["SecretId"].is_string()) {
    t = secret_target(ctx, action, in["SecretId"].get<std::string>());
  } else {
    t.action = action;  // ListSecrets, GetRandomPassword, BatchGetSecretValue: no resource
  }
  add_string(t, "secretsmanager:Description", in, "Description");
  add_string(t, "secretsmanager:KmsKeyId", in, "KmsKeyId");
  add_string(t, "secretsmanager:VersionId", in, "VersionId");
  add_string(t, "secretsmanager:VersionStage", in, "VersionStage");
  add_string(t, "secretsmanager:RotationLambdaARN", in, "RotationLambdaARN");
  add_bool(t, "secretsmanager:ForceDeleteWithoutRecovery", in, "ForceDeleteWithoutRecovery");
  add_bool(t, "secretsmanager:BlockPublicPolicy", in, "BlockPublicPolicy");
  if (in.contains("RecoveryWindowInDays") && in["RecoveryWindowInDays"].is_number())
    t.context["secretsmanager:RecoveryWindowInDays"] = {std::to_string(in["RecoveryWindowInDays"].get<long long>())};
  if (in.contains("AddReplicaRegions") && in["AddReplicaRegions"].is_array()) {
    std::vector<std::string> regions;
    for (const Json& r : in["AddReplicaRegions"]) regions.push_back(r.value("Region", std::string()));
    t.context["secretsmanager:AddReplicaRegions"] = regions;
  }
  add_request_tags(t, in);
  return {t};
}

// BatchGetSecretValue also needs secretsmanager:GetSecretValue on each secret it returns; a secret the caller
// may not read is reported in Errors, as AWS does, rather than failing the whole call.
void SecretsManagerService::authorize_read(const RequestContext& ctx, const Secret& s) {
  if (!core_.options().enforce_iam || !core_.authorizer()) return;
  if (ctx.principal.type == "root" || ctx.principal.type == "service" || ctx.principal.type.empty()) return;
  core_.authorizer()->authorize(ctx, {secret_target(ctx, "secretsmanager:GetSecretValue", s.arn)});
}

}  // namespace cloudbox::secretsmanager
