// STS through the core: each call goes through Core::invoke (model validation, then the handler), and the
// credentials STS issues are checked the way later requests use them (CredentialDirectory, HTTP requests
// signed with them, the server clock).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/auth/credentials.h"
#include "core/common/encoding.h"
#include "core/common/error.h"
#include "core/common/ids.h"
#include "core/common/arn.h"
#include "core/core.h"

using namespace cloudbox;

namespace {

constexpr const char* kAccount = "000000000000";
constexpr const char* kRole = "arn:aws:iam::000000000000:role/demo";

// Creates the IAM role an ARN names (with its path), trusted by its account's root: AssumeRole needs the role
// to exist, as on AWS.
void create_role(Core& core, const std::string& role_arn) {
  auto arn = Arn::parse(role_arn);
  ASSERT_TRUE(arn);
  std::string rest = arn->resource.substr(std::string("role/").size());
  auto slash = rest.rfind('/');
  std::string name = slash == std::string::npos ? rest : rest.substr(slash + 1);
  std::string path = slash == std::string::npos ? "/" : "/" + rest.substr(0, slash + 1);
  Json trust = {{"Version", "2012-10-17"},
                {"Statement", {{{"Effect", "Allow"},
                                {"Principal", {{"AWS", "arn:aws:iam::" + arn->account + ":root"}}},
                                {"Action", "sts:AssumeRole"}}}}};
  Principal root{"root", "arn:aws:iam::" + arn->account + ":root", arn->account, arn->account, "", ""};
  RequestContext ctx{core, request_id(), "iam", "", "us-east-1", arn->account, "test", root, core.clock().now(), "", false};
  core.invoke(ctx, "iam", "CreateRole", {{"RoleName", name}, {"Path", path}, {"AssumeRolePolicyDocument", trust.dump()}});
}

class StsTest : public ::testing::Test {
 protected:
  static Options ephemeral() {
    Options o;
    o.ephemeral = true;
    return o;
  }
  StsTest() : core(ephemeral()) {
    for (const char* role : {kRole, "arn:aws:iam::000000000000:role/other", "arn:aws:iam::000000000000:role/team/deploy",
                             "arn:aws:iam::000000000000:role/next", "arn:aws:iam::111122223333:role/audit"})
      create_role(core, role);
  }

  RequestContext root_ctx(const std::string& account = kAccount) {
    Principal root{"root", "arn:aws:iam::" + account + ":root", account, account, "", ""};
    return RequestContext{core, request_id(), "sts", "", "us-east-1", account, "test", root, core.clock().now(), "127.0.0.1", false};
  }

  // The context a request signed with credentials STS issued gets from the core.
  RequestContext ctx_for(const std::string& access_key_id) {
    auto c = core.credentials().find(access_key_id);
    EXPECT_TRUE(c.has_value());
    RequestContext ctx = root_ctx();
    if (!c) return ctx;
    ctx.access_key_id = access_key_id;
    ctx.account_id = c->account_id;
    ctx.principal = c->principal;
    return ctx;
  }

  Json call(const RequestContext& ctx, const std::string& op, const Json& input = Json::object()) {
    return core.invoke(ctx, "sts", op, input);
  }

  // Runs the call and returns the error it raises.
  AwsError error_of(const RequestContext& ctx, const std::string& op, const Json& input) {
    try {
      call(ctx, op, input);
    } catch (const AwsError& e) {
      return e;
    }
    ADD_FAILURE() << op << " succeeded";
    return AwsError("none", "");
  }

  Json assume(const std::string& role, const std::string& session, const Json& extra = Json::object()) {
    Json in = {{"RoleArn", role}, {"RoleSessionName", session}};
    for (auto& [k, v] : extra.items()) in[k] = v;
    return call(root_ctx(), "AssumeRole", in);
  }

  // An STS query request, signed (not verified: IAM enforcement is off) with the given credentials.
  HttpResponse http_call(const std::string& action, const std::string& akid, const std::string& token) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"host", "localhost:4566"},
                 {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"x-amz-date", "20240102T030405Z"},
                 {"authorization", "AWS4-HMAC-SHA256 Credential=" + akid +
                                       "/20240102/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, "
                                       "Signature=0000000000000000000000000000000000000000000000000000000000000000"}};
    if (!token.empty()) r.headers.emplace_back("x-amz-security-token", token);
    r.body = "Action=" + action + "&Version=2011-06-15";
    return core.handle(r);
  }

  Core core;
};

}  // namespace

TEST_F(StsTest, CallerIdentityOfRoot) {
  Json out = call(root_ctx(), "GetCallerIdentity");
  EXPECT_EQ(out["Account"], kAccount);
  EXPECT_EQ(out["Arn"], "arn:aws:iam::000000000000:root");
  EXPECT_EQ(out["UserId"], kAccount);

  Json other = call(root_ctx("123456789012"), "GetCallerIdentity");
  EXPECT_EQ(other["Account"], "123456789012");
  EXPECT_EQ(other["Arn"], "arn:aws:iam::123456789012:root");
}

TEST_F(StsTest, CallerIdentityOfUser) {
  RequestContext ctx = root_ctx();
  ctx.principal = {"user", "arn:aws:iam::000000000000:user/dev/alice", "AIDAEXAMPLEEXAMPLEEXA", kAccount, "alice", ""};
  Json out = call(ctx, "GetCallerIdentity");
  EXPECT_EQ(out["Arn"], "arn:aws:iam::000000000000:user/dev/alice");
  EXPECT_EQ(out["UserId"], "AIDAEXAMPLEEXAMPLEEXA");
  EXPECT_EQ(out["Account"], kAccount);
}

TEST_F(StsTest, AssumeRoleIssuesCredentialsInAwsFormats) {
  double before = std::floor(to_epoch(core.clock().now()));
  Json out = assume(kRole, "s1");
  const Json& c = out["Credentials"];
  std::string akid = c["AccessKeyId"];
  EXPECT_EQ(akid.size(), 20u);
  EXPECT_EQ(akid.substr(0, 4), "ASIA");
  EXPECT_EQ(c["SecretAccessKey"].get<std::string>().size(), 40u);
  std::string token = c["SessionToken"];
  EXPECT_EQ(token.rfind("IQoJb3JpZ2luX2Vj", 0), 0u);
  EXPECT_GE(token.size(), 300u);
  double expiration = c["Expiration"].get<double>();
  EXPECT_EQ(expiration, std::floor(expiration));
  EXPECT_GE(expiration, before + 3600);
  EXPECT_LE(expiration, before + 3601);

  std::string role_id = out["AssumedRoleUser"]["AssumedRoleId"];
  EXPECT_EQ(role_id.substr(0, 4), "AROA");
  EXPECT_EQ(role_id.size(), 4u + 17u + 3u);
  EXPECT_EQ(role_id.substr(21), ":s1");
  EXPECT_EQ(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::000000000000:assumed-role/demo/s1");
  EXPECT_FALSE(out.contains("PackedPolicySize"));

  // The same role always has the same id; another role has another.
  Json again = assume(kRole, "s2");
  EXPECT_EQ(again["AssumedRoleUser"]["AssumedRoleId"], role_id.substr(0, 21) + ":s2");
  Json other = assume("arn:aws:iam::000000000000:role/other", "s1");
  EXPECT_NE(other["AssumedRoleUser"]["AssumedRoleId"].get<std::string>().substr(0, 21), role_id.substr(0, 21));
  // Two sessions never share keys.
  EXPECT_NE(again["Credentials"]["AccessKeyId"], akid);
}

TEST_F(StsTest, AssumedRoleCredentialsStandForTheRoleSession) {
  Json out = assume("arn:aws:iam::000000000000:role/team/deploy", "ci-run");
  std::string akid = out["Credentials"]["AccessKeyId"];
  auto cred = core.credentials().find(akid);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->secret_access_key, out["Credentials"]["SecretAccessKey"]);
  EXPECT_EQ(cred->session_token, out["Credentials"]["SessionToken"]);
  EXPECT_EQ(cred->account_id, kAccount);
  ASSERT_TRUE(cred->expiration);
  EXPECT_EQ(to_epoch(*cred->expiration), out["Credentials"]["Expiration"].get<double>());
  EXPECT_EQ(cred->principal.type, "assumed-role");
  EXPECT_EQ(cred->principal.arn, "arn:aws:sts::000000000000:assumed-role/deploy/ci-run");
  EXPECT_EQ(cred->principal.name, "deploy");
  EXPECT_EQ(cred->principal.session_name, "ci-run");
  EXPECT_EQ(cred->session["role_arn"], "arn:aws:iam::000000000000:role/team/deploy");

  Json who = call(ctx_for(akid), "GetCallerIdentity");
  EXPECT_EQ(who["Arn"], "arn:aws:sts::000000000000:assumed-role/deploy/ci-run");
  EXPECT_EQ(who["UserId"], out["AssumedRoleUser"]["AssumedRoleId"]);
  EXPECT_EQ(who["Account"], kAccount);
}

TEST_F(StsTest, CrossAccountRoleCarriesItsAccount) {
  Json out = assume("arn:aws:iam::111122223333:role/audit", "x1");
  std::string akid = out["Credentials"]["AccessKeyId"];
  EXPECT_EQ(out["AssumedRoleUser"]["Arn"], "arn:aws:sts::111122223333:assumed-role/audit/x1");
  EXPECT_EQ(core.credentials().find(akid)->account_id, "111122223333");
  EXPECT_EQ(call(root_ctx(), "GetAccessKeyInfo", {{"AccessKeyId", akid}})["Account"], "111122223333");
  // The account is encoded in the key itself, as AWS encodes it.
  EXPECT_EQ(account_from_access_key_id(akid), "111122223333");
  EXPECT_EQ(call(ctx_for(akid), "GetCallerIdentity")["Account"], "111122223333");
}

TEST_F(StsTest, GetAccessKeyInfoDecodesAwsKeyIds) {
  // Published examples of AWS's key id encoding.
  EXPECT_EQ(call(root_ctx(), "GetAccessKeyInfo", {{"AccessKeyId", "ASIAY34FZKBOKMUTVV7A"}})["Account"], "609629065308");
  EXPECT_EQ(call(root_ctx(), "GetAccessKeyInfo", {{"AccessKeyId", "AKIAIOSFODNN7EXAMPLE"}})["Account"], "581039954779");
  AwsError e = error_of(root_ctx(), "GetAccessKeyInfo", {{"AccessKeyId", "short"}});
  EXPECT_EQ(e.code, "ValidationError");
}

// C14 (a), (b), (c).
TEST_F(StsTest, RoleSessionNameAndDurationLimits) {
  AwsError a = error_of(root_ctx(), "AssumeRole",
                        {{"RoleArn", kRole}, {"RoleSessionName", std::string(65, 's')}, {"DurationSeconds", 900}});
  EXPECT_EQ(a.code, "ValidationError");
  EXPECT_NE(std::string(a.what()).find("at 'roleSessionName' failed to satisfy constraint: Member must have length "
                                       "less than or equal to 64"),
            std::string::npos)
      << a.what();

  Json b = call(root_ctx(), "AssumeRole",
                {{"RoleArn", kRole}, {"RoleSessionName", std::string(64, 's')}, {"DurationSeconds", 900}});
  EXPECT_EQ(b["AssumedRoleUser"]["Arn"], "arn:aws:sts::000000000000:assumed-role/demo/" + std::string(64, 's'));

  // Without IAM, every role has IAM's default MaxSessionDuration of one hour.
  AwsError c = error_of(root_ctx(), "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "ok"}, {"DurationSeconds", 7200}});
  EXPECT_EQ(c.code, "ValidationError");
  EXPECT_EQ(c.http_status, 400);
  EXPECT_STREQ(c.what(), "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");

  AwsError range = error_of(root_ctx(), "AssumeRole",
                            {{"RoleArn", kRole}, {"RoleSessionName", "ok"}, {"DurationSeconds", 899}});
  EXPECT_EQ(range.code, "ValidationError");
  AwsError pattern = error_of(root_ctx(), "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "has space"}});
  EXPECT_EQ(pattern.code, "ValidationError");

  Json full = call(root_ctx(), "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "ok"}, {"DurationSeconds", 3600}});
  EXPECT_TRUE(full.contains("Credentials"));
}

TEST_F(StsTest, InvalidRoleArns) {
  AwsError a = error_of(root_ctx(), "AssumeRole", {{"RoleArn", "not-an-arn-at-all-really"}, {"RoleSessionName", "s1"}});
  EXPECT_EQ(a.code, "ValidationError");
  EXPECT_STREQ(a.what(), "not-an-arn-at-all-really is invalid");
  AwsError b = error_of(root_ctx(), "AssumeRole",
                        {{"RoleArn", "arn:aws:iam::000000000000:user/alice"}, {"RoleSessionName", "s1"}});
  EXPECT_EQ(b.code, "ValidationError");
  EXPECT_STREQ(b.what(), "Request ARN is invalid");
}

TEST_F(StsTest, RoleChainingIsLimitedToOneHour) {
  Json first = assume(kRole, "first");
  RequestContext session = ctx_for(first["Credentials"]["AccessKeyId"]);
  AwsError e = error_of(session, "AssumeRole",
                        {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "second"},
                         {"DurationSeconds", 3601}});
  EXPECT_EQ(e.code, "ValidationError");
  EXPECT_STREQ(e.what(), "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");

  Json second = call(session, "AssumeRole", {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "second"}});
  auto cred = core.credentials().find(second["Credentials"]["AccessKeyId"]);
  ASSERT_TRUE(cred);
  EXPECT_TRUE(cred->session["chained"].get<bool>());
  EXPECT_EQ(cred->session["source_arn"], "arn:aws:sts::000000000000:assumed-role/demo/first");
}

TEST_F(StsTest, SessionPoliciesAreCheckedAndRecorded) {
  const std::string policy =
      R"({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})";
  Json out = assume(kRole, "p1", {{"Policy", policy},
                                 {"PolicyArns", Json::array({{{"arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}})}});
  ASSERT_TRUE(out.contains("PackedPolicySize"));
  EXPECT_GT(out["PackedPolicySize"].get<int>(), 0);
  EXPECT_LE(out["PackedPolicySize"].get<int>(), 100);
  auto cred = core.credentials().find(out["Credentials"]["AccessKeyId"]);
  ASSERT_TRUE(cred);
  EXPECT_EQ(Json::parse(cred->session["policy"].get<std::string>()), Json::parse(policy));
  EXPECT_EQ(cred->session["policy_arns"], Json::array({"arn:aws:iam::aws:policy/ReadOnlyAccess"}));

  AwsError bad = error_of(root_ctx(), "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "p1"}, {"Policy", "{not json"}});
  EXPECT_EQ(bad.code, "MalformedPolicyDocumentException");

  std::string big = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":")" +
                    std::string(3000, 'a') + R"("}]})";
  AwsError large = error_of(root_ctx(), "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "p1"}, {"Policy", big}});
  EXPECT_EQ(large.code, "PackedPolicyTooLargeException");
  EXPECT_NE(std::string(large.what()).find("% of allotted space"), std::string::npos);

  AwsError arn = error_of(root_ctx(), "AssumeRole",
                          {{"RoleArn", kRole}, {"RoleSessionName", "p1"},
                           {"PolicyArns", Json::array({{{"arn", "arn:aws:s3:::bucket-name-here"}}})}});
  EXPECT_EQ(arn.code, "ValidationError");
}

TEST_F(StsTest, SessionTagsAndTransitiveKeys) {
  Json tags = Json::array({{{"Key", "Project"}, {"Value", "apollo"}}, {{"Key", "Team"}, {"Value", "core"}}});
  Json out = assume(kRole, "t1", {{"Tags", tags}, {"TransitiveTagKeys", Json::array({"Project"})}});
  EXPECT_TRUE(out.contains("PackedPolicySize"));
  std::string akid = out["Credentials"]["AccessKeyId"];
  auto cred = core.credentials().find(akid);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->session["tags"], Json({{"Project", "apollo"}, {"Team", "core"}}));
  EXPECT_EQ(cred->session["transitive_tag_keys"], Json::array({"Project"}));

  // The transitive tag follows into the chained session; the other one does not.
  RequestContext session = ctx_for(akid);
  Json next = call(session, "AssumeRole", {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "t2"}});
  auto chained = core.credentials().find(next["Credentials"]["AccessKeyId"]);
  ASSERT_TRUE(chained);
  EXPECT_EQ(chained->session["tags"], Json({{"Project", "apollo"}}));
  EXPECT_EQ(chained->session["transitive_tag_keys"], Json::array({"Project"}));

  AwsError conflict = error_of(session, "AssumeRole",
                               {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "t3"},
                                {"Tags", Json::array({{{"Key", "project"}, {"Value", "x"}}})}});
  EXPECT_EQ(conflict.code, "InvalidParameterValue");

  AwsError dup = error_of(root_ctx(), "AssumeRole",
                          {{"RoleArn", kRole}, {"RoleSessionName", "t4"},
                           {"Tags", Json::array({{{"Key", "A"}, {"Value", "1"}}, {{"Key", "a"}, {"Value", "2"}}})}});
  EXPECT_EQ(dup.code, "InvalidParameterValue");
  EXPECT_STREQ(dup.what(), "Duplicate tag keys found. Please note that Tag keys are case insensitive.");

  AwsError missing = error_of(root_ctx(), "AssumeRole",
                              {{"RoleArn", kRole}, {"RoleSessionName", "t5"}, {"Tags", tags},
                               {"TransitiveTagKeys", Json::array({"Other"})}});
  EXPECT_EQ(missing.code, "InvalidParameterValue");
  EXPECT_STREQ(missing.what(), "The specified transitive tag key must be included in the requested tags.");
}

TEST_F(StsTest, SourceIdentityPersistsAcrossChaining) {
  Json out = assume(kRole, "si", {{"SourceIdentity", "alice"}, {"ExternalId", "ext-123"}});
  EXPECT_EQ(out["SourceIdentity"], "alice");
  std::string akid = out["Credentials"]["AccessKeyId"];
  EXPECT_EQ(core.credentials().find(akid)->session["external_id"], "ext-123");
  RequestContext session = ctx_for(akid);
  Json next = call(session, "AssumeRole", {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "si2"}});
  EXPECT_EQ(next["SourceIdentity"], "alice");
  AwsError e = error_of(session, "AssumeRole",
                        {{"RoleArn", "arn:aws:iam::000000000000:role/next"}, {"RoleSessionName", "si3"},
                         {"SourceIdentity", "bob"}});
  EXPECT_EQ(e.code, "AccessDenied");
}

TEST_F(StsTest, MfaNeedsSerialAndCode) {
  AwsError e = error_of(root_ctx(), "AssumeRole",
                        {{"RoleArn", kRole}, {"RoleSessionName", "m1"}, {"SerialNumber", "arn:aws:iam::000000000000:mfa/dev"}});
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.http_status, 403);
}

TEST_F(StsTest, GetSessionTokenForRootAndUsers) {
  Json root = call(root_ctx(), "GetSessionToken", {{"DurationSeconds", 7200}});
  std::string akid = root["Credentials"]["AccessKeyId"];
  EXPECT_EQ(akid.substr(0, 4), "ASIA");
  auto cred = core.credentials().find(akid);
  ASSERT_TRUE(cred);
  // Root sessions are capped at one hour.
  EXPECT_EQ(root["Credentials"]["Expiration"].get<double>() - cred->session["issued_at"].get<double>(), 3600);
  EXPECT_EQ(cred->principal.arn, "arn:aws:iam::000000000000:root");
  EXPECT_EQ(call(ctx_for(akid), "GetCallerIdentity")["Arn"], "arn:aws:iam::000000000000:root");

  RequestContext user = root_ctx();
  user.access_key_id = "AKIAEXAMPLEUSERKEY00";
  user.principal = {"user", "arn:aws:iam::000000000000:user/alice", "AIDAEXAMPLEEXAMPLEEXA", kAccount, "alice", ""};
  Json u = call(user, "GetSessionToken");
  auto ucred = core.credentials().find(u["Credentials"]["AccessKeyId"]);
  ASSERT_TRUE(ucred);
  EXPECT_EQ(u["Credentials"]["Expiration"].get<double>() - ucred->session["issued_at"].get<double>(), 43200);
  EXPECT_EQ(ucred->principal.arn, "arn:aws:iam::000000000000:user/alice");

  AwsError range = error_of(user, "GetSessionToken", {{"DurationSeconds", 129601}});
  EXPECT_EQ(range.code, "ValidationError");

  AwsError again = error_of(ctx_for(akid), "GetSessionToken", Json::object());
  EXPECT_EQ(again.code, "AccessDenied");
  EXPECT_STREQ(again.what(), "Cannot call GetSessionToken with session credentials");
}

TEST_F(StsTest, GetFederationToken) {
  RequestContext user = root_ctx();
  user.access_key_id = "AKIAEXAMPLEUSERKEY00";
  user.principal = {"user", "arn:aws:iam::000000000000:user/proxy", "AIDAEXAMPLEEXAMPLEEXA", kAccount, "proxy", ""};
  const std::string policy = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
  Json out = call(user, "GetFederationToken", {{"Name", "Bob"}, {"Policy", policy}, {"DurationSeconds", 1800}});
  EXPECT_EQ(out["FederatedUser"]["Arn"], "arn:aws:sts::000000000000:federated-user/Bob");
  EXPECT_EQ(out["FederatedUser"]["FederatedUserId"], "000000000000:Bob");
  EXPECT_TRUE(out.contains("PackedPolicySize"));
  std::string akid = out["Credentials"]["AccessKeyId"];
  auto cred = core.credentials().find(akid);
  ASSERT_TRUE(cred);
  EXPECT_EQ(cred->principal.type, "federated-user");
  EXPECT_EQ(cred->session["parent_arn"], "arn:aws:iam::000000000000:user/proxy");
  Json who = call(ctx_for(akid), "GetCallerIdentity");
  EXPECT_EQ(who["Arn"], "arn:aws:sts::000000000000:federated-user/Bob");
  EXPECT_EQ(who["UserId"], "000000000000:Bob");

  AwsError e = error_of(ctx_for(akid), "GetFederationToken", {{"Name", "Eve"}});
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_STREQ(e.what(), "Cannot call GetFederationToken with session credentials");

  Json root = call(root_ctx(), "GetFederationToken", {{"Name", "Carol"}, {"DurationSeconds", 86400}});
  auto rcred = core.credentials().find(root["Credentials"]["AccessKeyId"]);
  EXPECT_EQ(root["Credentials"]["Expiration"].get<double>() - rcred->session["issued_at"].get<double>(), 3600);
}

TEST_F(StsTest, OperationsNeedingAnExternalIdentityProviderAnswerClearly) {
  AwsError web = error_of(root_ctx(), "AssumeRoleWithWebIdentity",
                          {{"RoleArn", kRole}, {"RoleSessionName", "w1"}, {"WebIdentityToken", "eyJhbGciOiJSUzI1NiJ9.e30.sig"}});
  EXPECT_EQ(web.code, "InvalidIdentityTokenException");
  EXPECT_NE(std::string(web.what()).find("cloudbox does not support AssumeRoleWithWebIdentity"), std::string::npos);

  AwsError saml = error_of(root_ctx(), "AssumeRoleWithSAML",
                           {{"RoleArn", kRole},
                            {"PrincipalArn", "arn:aws:iam::000000000000:saml-provider/idp"},
                            {"SAMLAssertion", "PHNhbWw+PC9zYW1sPg=="}});
  EXPECT_EQ(saml.code, "InvalidIdentityTokenException");

  AwsError out = error_of(root_ctx(), "GetWebIdentityToken",
                          {{"Audience", Json::array({"https://example.com"})}, {"SigningAlgorithm", "RS256"}});
  EXPECT_EQ(out.code, "OutboundWebIdentityFederationDisabledException");

  AwsError root = error_of(root_ctx(), "AssumeRoot",
                           {{"TargetPrincipal", "111122223333"},
                            {"TaskPolicyArn", {{"arn", "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}}}});
  EXPECT_EQ(root.code, "AccessDenied");

  AwsError trade = error_of(root_ctx(), "GetDelegatedAccessToken", {{"TradeInToken", "abc"}});
  EXPECT_EQ(trade.code, "ExpiredTradeInTokenException");
}

TEST_F(StsTest, DecodeAuthorizationMessage) {
  Json message = {{"allowed", false},
                  {"explicitDeny", false},
                  {"matchedStatements", {{"items", Json::array()}}},
                  {"failures", {{"items", Json::array()}}},
                  {"context", {{"action", "ec2:RunInstances"}}}};
  Json out = call(root_ctx(), "DecodeAuthorizationMessage", {{"EncodedMessage", base64_encode(message.dump())}});
  EXPECT_EQ(Json::parse(out["DecodedMessage"].get<std::string>()), message);

  AwsError e = error_of(root_ctx(), "DecodeAuthorizationMessage", {{"EncodedMessage", "not-a-cloudbox-message"}});
  EXPECT_EQ(e.code, "InvalidAuthorizationMessageException");
}

TEST_F(StsTest, IssuedCredentialsWorkOverHttpAndExpireOnTheServerClock) {
  Json out = assume(kRole, "http", {{"DurationSeconds", 900}});
  std::string akid = out["Credentials"]["AccessKeyId"];
  std::string token = out["Credentials"]["SessionToken"];

  HttpResponse ok = http_call("GetCallerIdentity", akid, token);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("<Arn>arn:aws:sts::000000000000:assumed-role/demo/http</Arn>"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find("<GetCallerIdentityResult>"), std::string::npos);

  HttpResponse wrong_token = http_call("GetCallerIdentity", akid, "");
  EXPECT_EQ(wrong_token.status, 403) << wrong_token.body;

  core.clock().advance(std::chrono::seconds(901));
  HttpResponse expired = http_call("GetCallerIdentity", akid, token);
  EXPECT_EQ(expired.status, 403) << expired.body;
  EXPECT_NE(expired.body.find("<Code>ExpiredToken</Code>"), std::string::npos) << expired.body;
}

TEST_F(StsTest, AssumeRoleOverHttp) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"host", "localhost:4566"},
               {"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"x-amz-date", "20240102T030405Z"},
               {"authorization",
                "AWS4-HMAC-SHA256 Credential=test/20240102/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, "
                "Signature=0000000000000000000000000000000000000000000000000000000000000000"}};
  r.body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fdemo&"
           "RoleSessionName=" + std::string(65, 's');
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("<Code>ValidationError</Code>"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("Member must have length less than or equal to 64"), std::string::npos) << resp.body;

  r.body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fdemo&"
           "RoleSessionName=ok&DurationSeconds=900&Tags.member.1.Key=Project&Tags.member.1.Value=x";
  resp = core.handle(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_NE(resp.body.find("<AssumeRoleResult>"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("<AssumedRoleId>AROA"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("<PackedPolicySize>"), std::string::npos) << resp.body;
}

TEST(StsPersistence, IssuedCredentialsSurviveARestart) {
  auto dir = std::filesystem::temp_directory_path() / ("cloudbox-sts-test-" + random_hex(8));
  std::string akid;
  {
    Options options;
    options.state_dir = dir.string();
    Core core(options);
    create_role(core, kRole);
    Principal root{"root", "arn:aws:iam::000000000000:root", kAccount, kAccount, "", ""};
    RequestContext ctx{core, request_id(), "sts", "", "us-east-1", kAccount, "test", root, core.clock().now(), "", false};
    Json out = core.invoke(ctx, "sts", "AssumeRole", {{"RoleArn", kRole}, {"RoleSessionName", "persist"}});
    akid = out["Credentials"]["AccessKeyId"];
  }
  {
    Options options;
    options.state_dir = dir.string();
    Core core(options);
    auto cred = core.credentials().find(akid);
    ASSERT_TRUE(cred);
    EXPECT_EQ(cred->principal.arn, "arn:aws:sts::000000000000:assumed-role/demo/persist");
  }
  std::filesystem::remove_all(dir);
}

namespace cloudbox {
namespace {

// A role name IAM could never have (over 64 characters) is a denial, not IAM's validation message about a
// 'roleName' member that STS does not have (found by the conformance harness).
TEST_F(StsTest, RoleNameLongerThanIamAllowsIsADenial) {
  std::string arn = "arn:aws:iam::000000000000:role/" + std::string(70, 'r');
  AwsError e = error_of(root_ctx(), "AssumeRole", {{"RoleArn", arn}, {"RoleSessionName", "long"}});
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(std::string(e.what()).find("roleName"), std::string::npos);
}

}  // namespace
}  // namespace cloudbox
