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

// Secrets Manager requests are decided on the secret's ARN (Resource patterns as AWS documents them).
TEST_F(EnforcementTest, SecretsAreDecidedOnTheirArn) {
  core.invoke(root(), "secretsmanager", "CreateSecret", {{"Name", "supabase"}, {"SecretString", "x"}});
  core.invoke(root(), "secretsmanager", "CreateSecret", {{"Name", "other"}, {"SecretString", "y"}});
  RequestContext app = user("app",
                            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue",)"
                            R"("Resource":"arn:aws:secretsmanager:us-west-2:000000000000:secret:supabase-??????"}]})");
  EXPECT_EQ(error_code(app, "secretsmanager", "GetSecretValue", {{"SecretId", "supabase"}}), "");
  EXPECT_EQ(error_code(app, "secretsmanager", "GetSecretValue", {{"SecretId", "other"}}), "AccessDeniedException");
  // A secret that does not exist is answered as not found only for callers allowed to ask.
  EXPECT_EQ(error_code(app, "secretsmanager", "GetSecretValue", {{"SecretId", "supabase-missing"}}), "AccessDeniedException");
  // CreateSecret is decided on the name being created.
  RequestContext creator = user("creator",
                                R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:CreateSecret",)"
                                R"("Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}]})");
  EXPECT_EQ(error_code(creator, "secretsmanager", "CreateSecret", {{"Name", "app/db"}, {"SecretString", "x"}}), "");
  EXPECT_EQ(error_code(creator, "secretsmanager", "CreateSecret", {{"Name", "db"}, {"SecretString", "x"}}),
            "AccessDeniedException");
}

// A secret's resource policy alone can allow a principal of the same account that it names.
TEST_F(EnforcementTest, SecretResourcePolicyAllowsANamedUser) {
  core.invoke(root(), "secretsmanager", "CreateSecret", {{"Name", "shared"}, {"SecretString", "x"}});
  RequestContext guest = user("guest");
  EXPECT_EQ(error_code(guest, "secretsmanager", "GetSecretValue", {{"SecretId", "shared"}}), "AccessDeniedException");
  core.invoke(root(), "secretsmanager", "PutResourcePolicy",
              {{"SecretId", "shared"},
               {"ResourcePolicy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/guest"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]})"}});
  EXPECT_EQ(error_code(guest, "secretsmanager", "GetSecretValue", {{"SecretId", "shared"}}), "");
  EXPECT_EQ(error_code(guest, "secretsmanager", "DescribeSecret", {{"SecretId", "shared"}}), "AccessDeniedException");
}

// aws:ResourceTag/… carries the secret's tags; a Deny on a tag wins over an Allow on everything.
TEST_F(EnforcementTest, SecretTagsDecideConditions) {
  core.invoke(root(), "secretsmanager", "CreateSecret",
              {{"Name", "prod"}, {"SecretString", "x"}, {"Tags", Json::array({{{"Key", "env"}, {"Value", "prod"}}})}});
  core.invoke(root(), "secretsmanager", "CreateSecret", {{"Name", "dev"}, {"SecretString", "x"}});
  RequestContext dev = user("dev",
                            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"},)"
                            R"({"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}}]})");
  EXPECT_EQ(error_code(dev, "secretsmanager", "GetSecretValue", {{"SecretId", "prod"}}), "AccessDeniedException");
  EXPECT_EQ(error_code(dev, "secretsmanager", "GetSecretValue", {{"SecretId", "dev"}}), "");
  // BatchGetSecretValue reports the secret it may not read among its errors.
  Json out = core.invoke(dev, "secretsmanager", "BatchGetSecretValue", {{"SecretIdList", Json::array({"prod", "dev"})}});
  ASSERT_EQ(out["SecretValues"].size(), 1u);
  EXPECT_EQ(out["SecretValues"][0]["Name"], "dev");
  ASSERT_EQ(out["Errors"].size(), 1u);
  EXPECT_EQ(out["Errors"][0]["ErrorCode"], "AccessDeniedException");
}

// EC2 requests are decided on the ARNs of the resources they name (walkthrough step 6's policy on instance/*).
TEST_F(EnforcementTest, Ec2ResourcesAreDecidedOnTheirArn) {
  Json vpc = core.invoke(root(), "ec2", "CreateVpc", {{"CidrBlock", "10.0.0.0/16"}});
  std::string vpc_id = vpc["Vpc"]["VpcId"];
  Json subnet = core.invoke(root(), "ec2", "CreateSubnet", {{"VpcId", vpc_id}, {"CidrBlock", "10.0.1.0/24"}});
  std::string subnet_id = subnet["Subnet"]["SubnetId"];
  RequestContext tagger = user("tagger",
                               R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateTags",)"
                               R"("Resource":"arn:aws:ec2:us-west-2:*:vpc/*"}]})");
  Json tag = Json::array({{{"Key", "Name"}, {"Value", "x"}}});
  EXPECT_EQ(error_code(tagger, "ec2", "CreateTags", {{"Resources", Json::array({vpc_id})}, {"Tags", tag}}), "");
  EXPECT_EQ(error_code(tagger, "ec2", "CreateTags", {{"Resources", Json::array({subnet_id})}, {"Tags", tag}}),
            "UnauthorizedOperation");
  // Both named: every resource must be allowed.
  EXPECT_EQ(error_code(tagger, "ec2", "CreateTags", {{"Resources", Json::array({vpc_id, subnet_id})}, {"Tags", tag}}),
            "UnauthorizedOperation");
  // Another region's ARNs do not match.
  RequestContext east = tagger;
  east.region = "us-east-1";
  Json east_vpc = core.invoke(root(), "ec2", "CreateVpc", {{"CidrBlock", "10.1.0.0/16"}}, "us-east-1");
  EXPECT_EQ(error_code(east, "ec2", "CreateTags", {{"Resources", Json::array({east_vpc["Vpc"]["VpcId"]})}, {"Tags", tag}}),
            "UnauthorizedOperation");
}

// A create is decided on "<type>/*", with the tags it sets as aws:RequestTag/….
TEST_F(EnforcementTest, Ec2CreateNeedsTheRequestTagsItIsLimitedTo) {
  RequestContext maker = user("maker",
                              R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateVpc",)"
                              R"("Resource":"arn:aws:ec2:*:*:vpc/*","Condition":{"StringEquals":{"aws:RequestTag/team":"data"}}}]})");
  EXPECT_EQ(error_code(maker, "ec2", "CreateVpc", {{"CidrBlock", "10.2.0.0/16"}}), "UnauthorizedOperation");
  Json specs = Json::array({{{"ResourceType", "vpc"}, {"Tags", Json::array({{{"Key", "team"}, {"Value", "data"}}})}}});
  EXPECT_EQ(error_code(maker, "ec2", "CreateVpc", {{"CidrBlock", "10.2.0.0/16"}, {"TagSpecifications", specs}}), "");
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
