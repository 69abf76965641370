// Rotation: RotateSecret and CancelRotateSecret.
//
// Rotation on AWS runs a Lambda function (or, for managed secrets, the owning service). cloudbox runs no
// Lambda functions, so RotateSecret refuses with a clear InvalidRequestException instead of pretending to
// rotate; CancelRotateSecret behaves as AWS does on a secret that is not rotating.
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

Json SecretsManagerService::rotate_secret(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  if (in.contains("RotationRules") && in["RotationRules"].is_object()) {
    const Json& rules = in["RotationRules"];
    if (rules.contains("AutomaticallyAfterDays") && rules.contains("ScheduleExpression"))
      throw AwsError("InvalidParameterException",
                     "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.");
  }
  if (in.contains("RotationLambdaARN"))
    throw AwsError("InvalidRequestException",
                   "cloudbox does not run Lambda functions, so rotation with RotationLambdaARN is not supported.");
  if (s.rotation && s.rotation->lambda_arn)
    throw AwsError("InvalidRequestException",
                   "cloudbox does not run Lambda functions, so this secret's rotation function can't be invoked.");
  throw AwsError("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.");
}

Json SecretsManagerService::cancel_rotate_secret(RequestContext& ctx, const Json& in) {
  Secret& s = resolve(ctx, in.at("SecretId").get<std::string>());
  require_live(s);
  require_primary(s);
  Json out = {{"ARN", s.arn}, {"Name", s.name}};
  // The version a cancelled rotation was creating: AWSPENDING, unless it already became current.
  if (Version* pending = s.version_with(kPending); pending && !pending->stages.count(kCurrent))
    out["VersionId"] = pending->id;
  if (s.rotation && s.rotation->enabled) {
    s.rotation->enabled = false;
    s.rotation->next_rotation.reset();
    s.last_changed = epoch(ctx);
    save(s);
  }
  return out;
}

}  // namespace cloudbox::secretsmanager
