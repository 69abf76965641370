// The core's authorization hook with --enforce-iam: requests by IAM users are decided by IAM's engine.
#include <gtest/gtest.h>

#include "core/common/ids.h"
#include "core/core.h"

namespace cloudbox {
namespace {

class EnforcementTest : public ::testing::Test {
 protected:
  static Options enforced() {
    Options o;
    o.ephemeral = true;
    o.enforce_iam = true;
    return o;
  }
  Core core{enforced()};

  RequestContext root() {
    Principal p{"root", "arn:aws:iam::000000000000:root", "000000000000", "000000000000", "", ""};
    return RequestContext{core, request_id(), "", "", "us-west-2", "000000000000", "test", p, core.clock().now(), "127.0.0.1", false};
  }

  // A user and the request context its access key resolves to.
  RequestContext user(const std::string& name, const std::string& policy_json = "") {
    core.invoke(root(), "iam", "CreateUser", {{"UserName", name}});
    if (!policy_json.empty())
      core.invoke(root(), "iam", "PutUserPolicy", {{"UserName", name}, {"PolicyName", "p"}, {"PolicyDocument", policy_json}});
    Json key = core.invoke(root(), "iam", "CreateAccessKey", {{"UserName", name}});
    std::string akid = key["AccessKey"]["AccessKeyId"];
    auto cred = core.credentials().find(akid);
    EXPECT_TRUE(cred);
    RequestContext ctx = root();
    ctx.access_key_id = akid;
    ctx.principal = cred->principal;
    return ctx;
  }

  std::string error_code(const RequestContext& ctx, const std::string& service, const std::string& op, const Json& in) {
    try {
      core.invoke(ctx, service, op, in);
    } catch (const AwsError& e) {
      return e.code;
    }
    return "";
  }
};

TEST_F(EnforcementTest, UserWithoutPoliciesIsDenied) {
  RequestContext bob = user("bob");
  EXPECT_EQ(bob.principal.type, "user");
  EXPECT_EQ(error_code(bob, "secretsmanager", "CreateSecret", {{"Name", "s"}, {"SecretString", "x"}}),
            "AccessDeniedException");
  // Nothing was created by the denied request.
  EXPECT_EQ(error_code(root(), "secretsmanager", "DescribeSecret", {{"SecretId", "s"}}), "ResourceNotFoundException");
  // GetCallerIdentity needs no permission.
  EXPECT_EQ(error_code(bob, "sts", "GetCallerIdentity", Json::object()), "");
  // The account root is always allowed.
  EXPECT_EQ(error_code(root(), "secretsmanager", "CreateSecret", {{"Name", "s"}, {"SecretString", "x"}}), "");
}

TEST_F(EnforcementTest, AllowedActionsPassAndOthersAreDenied) {
  RequestContext tf = user("terraform-user",
                           R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeVpcs","ec2:DescribeSubnets"],"Resource":"*"}]})");
  EXPECT_EQ(error_code(tf, "ec2", "DescribeVpcs", Json::object()), "");
  EXPECT_EQ(error_code(tf, "ec2", "CreateVpc", {{"CidrBlock", "10.0.0.0/16"}}), "UnauthorizedOperation");
  RequestContext reader = user("reader",
                               R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},)"
                               R"({"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}]})");
  EXPECT_EQ(error_code(reader, "secretsmanager", "CreateSecret", {{"Name", "r"}, {"SecretString", "x"}}), "");
  EXPECT_EQ(error_code(reader, "secretsmanager", "DeleteSecret", {{"SecretId", "r"}}), "AccessDeniedException");
  EXPECT_EQ(error_code(reader, "secretsmanager", "GetSecretValue", {{"SecretId", "r"}}), "");
}

TEST(EnforcementOff, EveryCallerIsAllowed) {
  Core core{Options{.ephemeral = true}};
  Principal p{"root", "arn:aws:iam::000000000000:root", "000000000000", "000000000000", "", ""};
  RequestContext root{core, request_id(), "", "", "us-east-1", "000000000000", "test", p, core.clock().now(), "", false};
  core.invoke(root, "iam", "CreateUser", {{"UserName", "free"}});
  Json key = core.invoke(root, "iam", "CreateAccessKey", {{"UserName", "free"}});
  RequestContext ctx = root;
  ctx.principal = core.credentials().find(key["AccessKey"]["AccessKeyId"])->principal;
  EXPECT_NO_THROW(core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "s"}, {"SecretString", "x"}}));
}

}  // namespace
}  // namespace cloudbox
