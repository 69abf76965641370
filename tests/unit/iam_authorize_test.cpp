// IAM's enforcement entry point (IamService::authorize), which the core's authorization hook will call: the
// principal's policies, session policies and boundaries, the protocol's denial, agreement with the simulator.
#include <gtest/gtest.h>

#include <string>

#include "core/common/encoding.h"
#include "core/common/error.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

using namespace cloudbox;
using cloudbox::iam::AuthzTarget;
using cloudbox::iam::IamService;

namespace {

constexpr const char* kAccount = "000000000000";

class IamAuthorizeTest : public ::testing::Test {
 protected:
  static Options ephemeral() {
    Options o;
    o.ephemeral = true;
    return o;
  }
  IamAuthorizeTest() : core(ephemeral()) { iam = dynamic_cast<IamService*>(core.service("iam")); }

  RequestContext root_ctx(const std::string& service = "iam") {
    Principal root{"root", std::string("arn:aws:iam::") + kAccount + ":root", kAccount, kAccount, "", ""};
    return RequestContext{core, request_id(), service, "", "us-west-2", kAccount, "test", root, core.clock().now(), "203.0.113.9", false};
  }
  Json call(const std::string& op, const Json& in = Json::object()) { return core.invoke(root_ctx(), "iam", op, in); }

  // The context a request signed with this key gets from the core.
  RequestContext as_key(const std::string& akid, const std::string& service) {
    auto c = core.credentials().find(akid);
    EXPECT_TRUE(c.has_value());
    RequestContext ctx = root_ctx(service);
    ctx.access_key_id = akid;
    ctx.principal = c->principal;
    ctx.account_id = c->account_id;
    return ctx;
  }

  std::string user_with_policy(const std::string& name, const std::string& doc) {
    call("CreateUser", {{"UserName", name}});
    call("PutUserPolicy", {{"UserName", name}, {"PolicyName", "p"}, {"PolicyDocument", doc}});
    return call("CreateAccessKey", {{"UserName", name}})["AccessKey"]["AccessKeyId"];
  }

  AwsError denial(const RequestContext& ctx, const std::vector<AuthzTarget>& targets) {
    try {
      iam->authorize(ctx, targets);
    } catch (const AwsError& e) {
      return e;
    }
    ADD_FAILURE() << "allowed";
    return AwsError("none", "");
  }

  Core core;
  IamService* iam = nullptr;
};

const std::string kDescribes =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:DescribeVpcAttribute","ec2:DescribeVpcs","ec2:DescribeRouteTables","ec2:DescribeSubnets","ec2:DescribeInternetGateways","ec2:DescribeSecurityGroups","ec2:DescribeNatGateways","ec2:DescribeVpcEndpoints"],"Resource":"*"}]})";

TEST_F(IamAuthorizeTest, WalkthroughTerraformUserOnEc2) {
  ASSERT_NE(iam, nullptr);
  std::string akid = user_with_policy("terraform-user", kDescribes);
  RequestContext ctx = as_key(akid, "ec2");
  iam->authorize(ctx, {{"ec2:DescribeVpcs", {}, {}, {}, "", ""}});
  AwsError e = denial(ctx, {{"ec2:CreateVpc", {"arn:aws:ec2:us-west-2:000000000000:vpc/*"}, {}, {}, "", ""}});
  EXPECT_EQ(e.code, "UnauthorizedOperation");
  EXPECT_EQ(e.http_status, 403);
  std::string msg = e.what();
  EXPECT_EQ(msg.rfind("You are not authorized to perform this operation. User: arn:aws:iam::000000000000:user/terraform-user "
                      "is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-west-2:000000000000:vpc/* "
                      "because no identity-based policy allows the ec2:CreateVpc action. Encoded authorization failure message: ",
                      0),
            0u)
      << msg;
  // STS decodes the encoded message.
  std::string encoded = msg.substr(msg.rfind(' ') + 1);
  Json decoded = Json::parse(core.invoke(root_ctx("sts"), "sts", "DecodeAuthorizationMessage",
                                         {{"EncodedMessage", encoded}})["DecodedMessage"].get<std::string>());
  EXPECT_EQ(decoded["allowed"], false);
  EXPECT_EQ(decoded["context"]["action"], "ec2:CreateVpc");
  // The key's last use is recorded.
  Json last = call("GetAccessKeyLastUsed", {{"AccessKeyId", akid}})["AccessKeyLastUsed"];
  EXPECT_EQ(last["ServiceName"], "ec2");
  EXPECT_EQ(last["Region"], "us-west-2");
  EXPECT_TRUE(last.contains("LastUsedDate"));
}

TEST_F(IamAuthorizeTest, WalkthroughRegistryUserWithManagedPolicy) {
  call("CreateUser", {{"UserName", "elastic-container-registry-user"}});
  call("AttachUserPolicy", {{"UserName", "elastic-container-registry-user"},
                            {"PolicyArn", "arn:aws:iam::aws:policy/SecretsManagerReadWrite"}});
  std::string akid = call("CreateAccessKey", {{"UserName", "elastic-container-registry-user"}})["AccessKey"]["AccessKeyId"];
  RequestContext sm = as_key(akid, "secretsmanager");
  iam->authorize(sm, {{"secretsmanager:CreateSecret", {"arn:aws:secretsmanager:us-west-2:000000000000:secret:x-AbCdEf"}, {}, {}, "", ""}});
  iam->authorize(sm, {{"secretsmanager:GetSecretValue", {"arn:aws:secretsmanager:us-west-2:000000000000:secret:x-AbCdEf"}, {}, {}, "", ""}});
  RequestContext ec2 = as_key(akid, "ec2");
  EXPECT_EQ(denial(ec2, {{"ec2:CreateVpc", {}, {}, {}, "", ""}}).code, "UnauthorizedOperation");
}

// Case C11 (a)/(b): a resource-scoped allow grants that resource only; Secrets Manager denies with its json error.
TEST_F(IamAuthorizeTest, C11ResourceScopedAllow) {
  std::string akid = user_with_policy(
      "scoped",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-*"}]})");
  RequestContext ctx = as_key(akid, "secretsmanager");
  iam->authorize(ctx, {{"secretsmanager:GetSecretValue", {"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-AbCdEf"}, {}, {}, "", ""}});
  AwsError e = denial(ctx, {{"secretsmanager:GetSecretValue", {"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/b-AbCdEf"}, {}, {}, "", ""}});
  EXPECT_EQ(e.code, "AccessDeniedException");
  EXPECT_EQ(e.http_status, 400);
  // A resource policy granting the user directly is enough within the account.
  iam->authorize(ctx, {{"secretsmanager:GetSecretValue",
                        {"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/b-AbCdEf"},
                        {},
                        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/scoped"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]})",
                        "",
                        ""}});
}

TEST_F(IamAuthorizeTest, ExplicitDenyAndBoundaryMessages) {
  std::string akid = user_with_policy(
      "d", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]})");
  RequestContext ctx = as_key(akid, "iam");
  AwsError e = denial(ctx, {{"iam:DeleteUser", {"arn:aws:iam::000000000000:user/x"}, {}, {}, "", ""}});
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(std::string(e.what()),
            "User: arn:aws:iam::000000000000:user/d is not authorized to perform: iam:DeleteUser on resource: "
            "arn:aws:iam::000000000000:user/x with an explicit deny in an identity-based policy");
  std::string b = call("CreatePolicy", {{"PolicyName", "b"},
                                        {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]})"}})["Policy"]["Arn"];
  call("PutUserPermissionsBoundary", {{"UserName", "d"}, {"PermissionsBoundary", b}});
  iam->authorize(ctx, {{"iam:GetUser", {}, {}, {}, "", ""}});
  AwsError e2 = denial(ctx, {{"iam:CreateUser", {}, {}, {}, "", ""}});
  EXPECT_EQ(std::string(e2.what()),
            "User: arn:aws:iam::000000000000:user/d is not authorized to perform: iam:CreateUser because no "
            "permissions boundary allows the iam:CreateUser action");
}

TEST_F(IamAuthorizeTest, RoleSessionWithSessionPolicy) {
  call("CreateRole",
       {{"RoleName", "app"},
        {"AssumeRolePolicyDocument",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]})"}});
  call("PutRolePolicy", {{"RoleName", "app"}, {"PolicyName", "s3"},
                         {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})"}});
  Json creds = core.invoke(root_ctx("sts"), "sts", "AssumeRole",
                           {{"RoleArn", "arn:aws:iam::000000000000:role/app"},
                            {"RoleSessionName", "s1"},
                            {"Policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]})"}})["Credentials"];
  RequestContext ctx = as_key(creds["AccessKeyId"], "s3");
  EXPECT_EQ(ctx.principal.type, "assumed-role");
  iam->authorize(ctx, {{"s3:GetObject", {"arn:aws:s3:::b/k"}, {}, {}, "", ""}});
  AwsError e = denial(ctx, {{"s3:PutObject", {"arn:aws:s3:::b/k"}, {}, {}, "", ""}});
  EXPECT_NE(std::string(e.what()).find("because no session policy allows the s3:PutObject action"), std::string::npos) << e.what();
  EXPECT_TRUE(call("GetRole", {{"RoleName", "app"}})["Role"]["RoleLastUsed"].contains("LastUsedDate"));
  // Without a session policy the role's own policies decide.
  Json plain = core.invoke(root_ctx("sts"), "sts", "AssumeRole",
                           {{"RoleArn", "arn:aws:iam::000000000000:role/app"}, {"RoleSessionName", "s2"}})["Credentials"];
  iam->authorize(as_key(plain["AccessKeyId"], "s3"), {{"s3:PutObject", {"arn:aws:s3:::b/k"}, {}, {}, "", ""}});
}

TEST_F(IamAuthorizeTest, RootAlwaysAllowedAndDeletedUserDenied) {
  iam->authorize(root_ctx("ec2"), {{"ec2:CreateVpc", {}, {}, {}, "", ""}});
  std::string akid = user_with_policy("gone", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
  RequestContext ctx = as_key(akid, "iam");
  iam->authorize(ctx, {{"iam:ListUsers", {}, {}, {}, "", ""}});
  call("DeleteUserPolicy", {{"UserName", "gone"}, {"PolicyName", "p"}});
  EXPECT_EQ(denial(ctx, {{"iam:ListUsers", {}, {}, {}, "", ""}}).code, "AccessDenied");
}

TEST_F(IamAuthorizeTest, ConditionKeysFromTheRequest) {
  std::string akid = user_with_policy(
      "c",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-west-2"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]})");
  RequestContext ctx = as_key(akid, "s3");
  iam->authorize(ctx, {{"s3:GetObject", {"arn:aws:s3:::home/c/x"}, {}, {}, "", ""}});
  EXPECT_EQ(denial(ctx, {{"s3:GetObject", {"arn:aws:s3:::home/other/x"}, {}, {}, "", ""}}).code, "AccessDenied");
  ctx.region = "eu-west-1";
  EXPECT_EQ(denial(ctx, {{"s3:GetObject", {"arn:aws:s3:::home/c/x"}, {}, {}, "", ""}}).code, "AccessDenied");
  ctx.region = "us-west-2";
  ctx.source_ip = "198.51.100.1";
  EXPECT_EQ(denial(ctx, {{"s3:GetObject", {"arn:aws:s3:::home/c/x"}, {}, {}, "", ""}}).code, "AccessDenied");
}

// The simulator and the enforcer give the same answers for the walkthrough's users.
TEST_F(IamAuthorizeTest, SimulatorAgreesWithEnforcer) {
  std::string akid = user_with_policy("terraform-user", kDescribes);
  RequestContext ctx = as_key(akid, "ec2");
  for (const char* action : {"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:CreateVpc", "ec2:DeleteVpc", "s3:GetObject"}) {
    Json sim = call("SimulatePrincipalPolicy", {{"PolicySourceArn", "arn:aws:iam::000000000000:user/terraform-user"},
                                                {"ActionNames", {action}}})["EvaluationResults"][0];
    auto d = iam->decide(ctx, {action, {}, {}, {}, "", ""});
    EXPECT_EQ(sim["EvalDecision"], cloudbox::iam::policy::decision_name(d.result.decision)) << action;
  }
}

TEST_F(IamAuthorizeTest, IamOwnTargets) {
  call("CreateUser", {{"UserName", "alice"}, {"Path", "/eng/"}, {"Tags", {{{"Key", "team"}, {"Value", "web"}}}}});
  RequestContext ctx = root_ctx("iam");
  ctx.operation = "DeleteUser";
  auto t = iam->authz_targets(ctx, {{"UserName", "alice"}});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].action, "iam:DeleteUser");
  EXPECT_EQ(t[0].resources, std::vector<std::string>{"arn:aws:iam::000000000000:user/eng/alice"});
  EXPECT_EQ(t[0].context["aws:ResourceTag/team"], std::vector<std::string>{"web"});
  ctx.operation = "AttachRolePolicy";
  t = iam->authz_targets(ctx, {{"RoleName", "r"}, {"PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}});
  EXPECT_EQ(t[0].resources, std::vector<std::string>{"arn:aws:iam::000000000000:role/r"});
  EXPECT_EQ(t[0].context["iam:PolicyARN"], std::vector<std::string>{"arn:aws:iam::aws:policy/ReadOnlyAccess"});
  ctx.operation = "AddUserToGroup";
  t = iam->authz_targets(ctx, {{"UserName", "alice"}, {"GroupName", "g"}});
  EXPECT_EQ(t[0].resources, std::vector<std::string>{"arn:aws:iam::000000000000:group/g"});
  // A user allowed to manage only users under /eng/ (a documented IAM pattern).
  std::string akid = user_with_policy(
      "admin", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*User*","Resource":"arn:aws:iam::000000000000:user/eng/*"}]})");
  RequestContext as_admin = as_key(akid, "iam");
  as_admin.operation = "DeleteUser";
  iam->authorize(as_admin, iam->authz_targets(as_admin, {{"UserName", "alice"}}));
  EXPECT_EQ(denial(as_admin, iam->authz_targets(as_admin, {{"UserName", "admin"}})).code, "AccessDenied");
}

}  // namespace
