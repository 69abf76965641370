// sts:AssumeRole decided by the role's trust policy (AWS: "the role trust policy must allow", and when it trusts
// the account rather than the principal itself, the principal's own policies must allow too), for users, the
// account root under enforcement, and AWS service principals (scheduler.amazonaws.com, ec2.amazonaws.com), which
// are checked with or without enforcement.
#include <gtest/gtest.h>

#include "core/common/ids.h"
#include "core/core.h"

namespace cloudbox {
namespace {

constexpr const char* kAcct = "000000000000";

std::string trust(const std::string& principal_json, const std::string& condition = "") {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" + principal_json +
         R"(,"Action":"sts:AssumeRole")" + (condition.empty() ? "" : ",\"Condition\":" + condition) + "}]}";
}

class TrustPolicyTest : public ::testing::TestWithParam<bool> {
 protected:
  static Options options(bool enforce) {
    Options o;
    o.ephemeral = true;
    o.enforce_iam = enforce;
    return o;
  }
  Core core{options(GetParam())};

  RequestContext root() {
    Principal p{"root", std::string("arn:aws:iam::") + kAcct + ":root", kAcct, kAcct, "", ""};
    return RequestContext{core, request_id(), "", "", "us-west-2", kAcct, "test", p, core.clock().now(), "127.0.0.1", false};
  }
  RequestContext service(const std::string& name) {
    RequestContext ctx = root();
    ctx.principal = Principal{"service", name, "", kAcct, "", ""};
    ctx.access_key_id.clear();
    ctx.internal = true;
    return ctx;
  }
  RequestContext user(const std::string& name, const std::string& policy_json = "") {
    core.invoke(root(), "iam", "CreateUser", {{"UserName", name}});
    if (!policy_json.empty())
      core.invoke(root(), "iam", "PutUserPolicy", {{"UserName", name}, {"PolicyName", "p"}, {"PolicyDocument", policy_json}});
    Json key = core.invoke(root(), "iam", "CreateAccessKey", {{"UserName", name}});
    std::string akid = key["AccessKey"]["AccessKeyId"];
    RequestContext ctx = root();
    ctx.access_key_id = akid;
    ctx.principal = core.credentials().find(akid)->principal;
    return ctx;
  }
  std::string role(const std::string& name, const std::string& trust_doc) {
    Json out = core.invoke(root(), "iam", "CreateRole", {{"RoleName", name}, {"AssumeRolePolicyDocument", trust_doc}});
    return out["Role"]["Arn"];
  }
  std::string assume(const RequestContext& ctx, const std::string& role_arn, Json extra = Json::object()) {
    Json in = {{"RoleArn", role_arn}, {"RoleSessionName", "s1"}};
    for (auto& [k, v] : extra.items()) in[k] = v;
    try {
      core.invoke(ctx, "sts", "AssumeRole", in);
    } catch (const AwsError& e) {
      return e.code;
    }
    return "";
  }
  bool enforced() const { return GetParam(); }
};

const std::string kAllowAssume = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]})";

TEST_P(TrustPolicyTest, ServicePrincipalNeedsTheServiceInTheTrustPolicy) {
  std::string trusted = role("sched", trust(R"({"Service":"scheduler.amazonaws.com"})"));
  std::string ec2_only = role("ec2", trust(R"({"Service":["ec2.amazonaws.com"]})"));
  EXPECT_EQ(assume(service("scheduler.amazonaws.com"), trusted), "");
  EXPECT_EQ(assume(service("scheduler.amazonaws.com"), ec2_only), "AccessDenied");
  EXPECT_EQ(assume(service("ec2.amazonaws.com"), ec2_only), "");
}

TEST_P(TrustPolicyTest, ServicePrincipalIsNotTrustedThroughTheAccount) {
  std::string by_account = role("acct", trust(std::string(R"({"AWS":"arn:aws:iam::)") + kAcct + R"(:root"})"));
  EXPECT_EQ(assume(service("scheduler.amazonaws.com"), by_account), "AccessDenied");
}

TEST_P(TrustPolicyTest, ExplicitDenyForTheServiceWins) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"},
    {"Effect":"Deny","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  EXPECT_EQ(assume(service("scheduler.amazonaws.com"), role("denied", doc)), "AccessDenied");
}

TEST_P(TrustPolicyTest, ServiceConditionOnSourceAccount) {
  std::string arn = role("cond", trust(R"({"Service":"scheduler.amazonaws.com"})",
                                       R"({"StringEquals":{"aws:PrincipalServiceName":"scheduler.amazonaws.com"}})"));
  EXPECT_EQ(assume(service("scheduler.amazonaws.com"), arn), "");
}

TEST_P(TrustPolicyTest, RootIsCheckedOnlyWhenEnforced) {
  std::string service_only = role("svc", trust(R"({"Service":"ec2.amazonaws.com"})"));
  std::string by_account = role("acct", trust(std::string(R"({"AWS":")") + kAcct + R"("})"));
  EXPECT_EQ(assume(root(), service_only), enforced() ? "AccessDenied" : "");
  EXPECT_EQ(assume(root(), by_account), "");
}

TEST_P(TrustPolicyTest, UserNamedInTheTrustPolicyNeedsNoIdentityPolicy) {
  if (!enforced()) GTEST_SKIP() << "users are their account's root without enforcement";
  RequestContext alice = user("alice");
  std::string arn = role("r", trust(std::string(R"({"AWS":"arn:aws:iam::)") + kAcct + R"(:user/alice"})"));
  EXPECT_EQ(assume(alice, arn), "");
}

TEST_P(TrustPolicyTest, AccountTrustDelegatesToTheUsersPolicies) {
  if (!enforced()) GTEST_SKIP() << "users are their account's root without enforcement";
  RequestContext without = user("without");
  RequestContext with = user("with", kAllowAssume);
  std::string arn = role("r", trust(std::string(R"({"AWS":"arn:aws:iam::)") + kAcct + R"(:root"})"));
  EXPECT_EQ(assume(without, arn), "AccessDenied");
  EXPECT_EQ(assume(with, arn), "");
}

TEST_P(TrustPolicyTest, IdentityPolicyAloneIsNotEnough) {
  if (!enforced()) GTEST_SKIP() << "users are their account's root without enforcement";
  RequestContext with = user("with", kAllowAssume);
  std::string arn = role("r", trust(R"({"Service":"ec2.amazonaws.com"})"));
  EXPECT_EQ(assume(with, arn), "AccessDenied");
}

TEST_P(TrustPolicyTest, ExternalIdCondition) {
  if (!enforced()) GTEST_SKIP() << "users are their account's root without enforcement";
  RequestContext alice = user("alice");
  std::string arn = role("r", trust(std::string(R"({"AWS":"arn:aws:iam::)") + kAcct + R"(:user/alice"})",
                                    R"({"StringEquals":{"sts:ExternalId":"open-sesame"}})"));
  EXPECT_EQ(assume(alice, arn), "AccessDenied");
  EXPECT_EQ(assume(alice, arn, {{"ExternalId", "wrong-value"}}), "AccessDenied");
  EXPECT_EQ(assume(alice, arn, {{"ExternalId", "open-sesame"}}), "");
}

TEST_P(TrustPolicyTest, SessionNameAndTagConditions) {
  if (!enforced()) GTEST_SKIP() << "users are their account's root without enforcement";
  RequestContext alice = user("alice");
  std::string doc = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},
    "Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringLike":{"sts:RoleSessionName":"s*"},"StringEquals":{"aws:RequestTag/team":"data"}}}]})";
  std::string arn = role("r", doc);
  EXPECT_EQ(assume(alice, arn), "AccessDenied");  // no tag: the StringEquals on the tag fails
  EXPECT_EQ(assume(alice, arn, {{"Tags", Json::array({{{"Key", "team"}, {"Value", "data"}}})}}), "");
  EXPECT_EQ(assume(alice, arn, {{"Tags", Json::array({{{"Key", "team"}, {"Value", "web"}}})}}), "AccessDenied");
}

TEST_P(TrustPolicyTest, SessionOfAServiceCarriesTheRole) {
  std::string arn = role("sched", trust(R"({"Service":"scheduler.amazonaws.com"})"));
  Json out = core.invoke(service("scheduler.amazonaws.com"), "sts", "AssumeRole", {{"RoleArn", arn}, {"RoleSessionName", "run-1"}});
  auto cred = core.credentials().find(out["Credentials"]["AccessKeyId"]);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->principal.type, "assumed-role");
  EXPECT_EQ(cred->principal.arn, std::string("arn:aws:sts::") + kAcct + ":assumed-role/sched/run-1");
}

INSTANTIATE_TEST_SUITE_P(EnforcedAndNot, TrustPolicyTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Enforced" : "NotEnforced"; });

}  // namespace
}  // namespace cloudbox
