// IAM through the core: each call goes through Core::invoke (model validation, then the handler).
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <cmath>
#include <cstring>

#include <string>

#include "core/auth/credentials.h"
#include "core/common/encoding.h"
#include "core/common/error.h"
#include "core/common/ids.h"
#include "core/core.h"

using namespace cloudbox;

namespace {

constexpr const char* kAccount = "000000000000";
const std::string kTrust =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
const std::string kDoc =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]})";

class IamTest : public ::testing::Test {
 protected:
  static Options ephemeral() {
    Options o;
    o.ephemeral = true;
    return o;
  }
  IamTest() : core(ephemeral()) {}

  RequestContext root_ctx() {
    Principal root{"root", std::string("arn:aws:iam::") + kAccount + ":root", kAccount, kAccount, "", ""};
    return RequestContext{core, request_id(), "iam", "", "us-east-1", kAccount, "test", root, core.clock().now(), "127.0.0.1", false};
  }
  Json call(const std::string& op, const Json& in = Json::object()) { return core.invoke(root_ctx(), "iam", op, in); }
  AwsError error_of(const std::string& op, const Json& in) {
    try {
      call(op, in);
    } catch (const AwsError& e) {
      return e;
    }
    ADD_FAILURE() << op << " succeeded";
    return AwsError("none", "");
  }

  Core core;
};

TEST_F(IamTest, UserLifecycleAndIds) {
  Json u = call("CreateUser", {{"UserName", "alice"}, {"Path", "/eng/"}, {"Tags", {{{"Key", "team"}, {"Value", "a"}}}}})["User"];
  EXPECT_EQ(u["Arn"], "arn:aws:iam::000000000000:user/eng/alice");
  EXPECT_EQ(u["UserId"].get<std::string>().substr(0, 4), "AIDA");
  EXPECT_EQ(u["UserId"].get<std::string>().size(), 21u);
  EXPECT_EQ(u["Tags"][0]["Key"], "team");
  auto e = error_of("CreateUser", {{"UserName", "ALICE"}});
  EXPECT_EQ(e.code, "EntityAlreadyExistsException");
  EXPECT_EQ(std::string(e.what()), "User with name ALICE already exists.");
  EXPECT_EQ(call("GetUser", {{"UserName", "alice"}})["User"]["Path"], "/eng/");
  call("UpdateUser", {{"UserName", "alice"}, {"NewUserName", "alicia"}});
  EXPECT_EQ(error_of("GetUser", {{"UserName", "alice"}}).code, "NoSuchEntityException");
  EXPECT_EQ(call("GetUser", {{"UserName", "alicia"}})["User"]["Arn"], "arn:aws:iam::000000000000:user/eng/alicia");
  call("DeleteUser", {{"UserName", "alicia"}});
  auto nf = error_of("GetUser", {{"UserName", "alicia"}});
  EXPECT_EQ(std::string(nf.what()), "The user with name alicia cannot be found.");
}

TEST_F(IamTest, AccessKeysRegisterCredentials) {
  call("CreateUser", {{"UserName", "svc"}});
  Json k1 = call("CreateAccessKey", {{"UserName", "svc"}})["AccessKey"];
  std::string akid = k1["AccessKeyId"];
  EXPECT_EQ(akid.substr(0, 4), "AKIA");
  EXPECT_EQ(k1["SecretAccessKey"].get<std::string>().size(), 40u);
  auto cred = core.credentials().find(akid);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->principal.type, "user");
  EXPECT_EQ(cred->principal.arn, "arn:aws:iam::000000000000:user/svc");
  EXPECT_EQ(cred->principal.user_id.substr(0, 4), "AIDA");
  EXPECT_EQ(cred->secret_access_key, k1["SecretAccessKey"]);
  call("CreateAccessKey", {{"UserName", "svc"}});
  auto e = error_of("CreateAccessKey", {{"UserName", "svc"}});
  EXPECT_EQ(e.code, "LimitExceededException");
  EXPECT_EQ(std::string(e.what()), "Cannot exceed quota for AccessKeysPerUser: 2");
  call("UpdateAccessKey", {{"UserName", "svc"}, {"AccessKeyId", akid}, {"Status", "Inactive"}});
  EXPECT_FALSE(core.credentials().find(akid)->active);
  Json list = call("ListAccessKeys", {{"UserName", "svc"}});
  EXPECT_EQ(list["AccessKeyMetadata"].size(), 2u);
  EXPECT_EQ(error_of("DeleteUser", {{"UserName", "svc"}}).code, "DeleteConflictException");
  call("DeleteAccessKey", {{"UserName", "svc"}, {"AccessKeyId", akid}});
  EXPECT_FALSE(core.credentials().find(akid).has_value());
  Json last = call("GetAccessKeyLastUsed", {{"AccessKeyId", list["AccessKeyMetadata"][0]["AccessKeyId"].get<std::string>() == akid
                                                                ? list["AccessKeyMetadata"][1]["AccessKeyId"]
                                                                : list["AccessKeyMetadata"][0]["AccessKeyId"]}});
  EXPECT_EQ(last["UserName"], "svc");
  EXPECT_EQ(last["AccessKeyLastUsed"]["ServiceName"], "N/A");
}

// Case C09: v1 is the default, one default at a time, at most 5 versions, ids never reused.
TEST_F(IamTest, C09PolicyVersions) {
  Json p = call("CreatePolicy", {{"PolicyName", "pv"}, {"PolicyDocument", kDoc}})["Policy"];
  std::string arn = p["Arn"];
  EXPECT_EQ(arn, "arn:aws:iam::000000000000:policy/pv");
  EXPECT_EQ(p["PolicyId"].get<std::string>().substr(0, 4), "ANPA");
  EXPECT_EQ(call("GetPolicy", {{"PolicyArn", arn}})["Policy"]["DefaultVersionId"], "v1");
  Json v1 = call("GetPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}})["PolicyVersion"];
  EXPECT_EQ(v1["IsDefaultVersion"], true);
  EXPECT_EQ(url_decode(v1["Document"].get<std::string>(), false), kDoc);
  for (int i = 2; i <= 5; ++i)
    call("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kDoc}, {"SetAsDefault", true}});
  Json versions = call("ListPolicyVersions", {{"PolicyArn", arn}})["Versions"];
  ASSERT_EQ(versions.size(), 5u);
  int defaults = 0;
  for (const auto& v : versions) {
    if (v["IsDefaultVersion"] == true) {
      ++defaults;
      EXPECT_EQ(v["VersionId"], "v5");
    }
  }
  EXPECT_EQ(defaults, 1);
  auto e = error_of("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kDoc}, {"SetAsDefault", true}});
  EXPECT_EQ(e.code, "LimitExceededException");
  EXPECT_EQ(std::string(e.what()),
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing "
            "version.");
  EXPECT_EQ(error_of("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v5"}}).code, "DeleteConflictException");
  call("DeletePolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v2"}});
  Json v6 = call("CreatePolicyVersion", {{"PolicyArn", arn}, {"PolicyDocument", kDoc}})["PolicyVersion"];
  EXPECT_EQ(v6["VersionId"], "v6");
  EXPECT_EQ(v6["IsDefaultVersion"], false);
  call("SetDefaultPolicyVersion", {{"PolicyArn", arn}, {"VersionId", "v1"}});
  EXPECT_EQ(call("GetPolicy", {{"PolicyArn", arn}})["Policy"]["DefaultVersionId"], "v1");
  EXPECT_EQ(error_of("DeletePolicy", {{"PolicyArn", arn}}).code, "DeleteConflictException");
}

// Case C10: ListRoles honours PathPrefix, MaxItems and Marker.
TEST_F(IamTest, C10ListRolesPaging) {
  for (const char* n : {"a1", "a2", "a3"})
    call("CreateRole", {{"RoleName", n}, {"Path", "/team-a/"}, {"AssumeRolePolicyDocument", kTrust}});
  for (const char* n : {"b1", "b2"}) call("CreateRole", {{"RoleName", n}, {"AssumeRolePolicyDocument", kTrust}});
  Json all = call("ListRoles", {{"PathPrefix", "/team-a/"}});
  ASSERT_EQ(all["Roles"].size(), 3u);
  EXPECT_EQ(all["IsTruncated"], false);
  Json first = call("ListRoles", {{"PathPrefix", "/team-a/"}, {"MaxItems", 2}});
  EXPECT_EQ(first["Roles"].size(), 2u);
  EXPECT_EQ(first["IsTruncated"], true);
  ASSERT_TRUE(first.contains("Marker"));
  Json second = call("ListRoles", {{"PathPrefix", "/team-a/"}, {"MaxItems", 2}, {"Marker", first["Marker"]}});
  ASSERT_EQ(second["Roles"].size(), 1u);
  EXPECT_EQ(second["Roles"][0]["RoleName"], "a3");
  EXPECT_EQ(second["IsTruncated"], false);
  EXPECT_FALSE(second.contains("Marker"));
  EXPECT_EQ(call("ListRoles")["Roles"].size(), 5u);
}

// Case C13: trust policies are validated; nothing is created or changed on failure.
TEST_F(IamTest, C13TrustPolicyValidation) {
  auto e = error_of("CreateRole", {{"RoleName", "badtrust"},
                                   {"AssumeRolePolicyDocument",
                                    R"({"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Principal":"*","Effect":"Allow",}]})"}});
  EXPECT_EQ(e.code, "MalformedPolicyDocumentException");
  EXPECT_EQ(error_of("GetRole", {{"RoleName", "badtrust"}}).code, "NoSuchEntityException");
  call("CreateRole", {{"RoleName", "goodtrust"}, {"AssumeRolePolicyDocument", kTrust}});
  auto e2 = error_of("UpdateAssumeRolePolicy",
                     {{"RoleName", "goodtrust"},
                      {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]})"}});
  EXPECT_EQ(e2.code, "MalformedPolicyDocumentException");
  Json r = call("GetRole", {{"RoleName", "goodtrust"}})["Role"];
  EXPECT_EQ(url_decode(r["AssumeRolePolicyDocument"].get<std::string>(), false), kTrust);
  EXPECT_EQ(r["MaxSessionDuration"], 3600);
  EXPECT_EQ(r["RoleId"].get<std::string>().substr(0, 4), "AROA");
}

TEST_F(IamTest, InlinePoliciesValidatedAndEncoded) {
  call("CreateUser", {{"UserName", "u"}});
  auto e = error_of("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"},
                                      {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]})"}});
  EXPECT_EQ(e.code, "MalformedPolicyDocumentException");
  EXPECT_EQ(std::string(e.what()), "Policy statement must contain resources.");
  call("PutUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}, {"PolicyDocument", kDoc}});
  Json got = call("GetUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}});
  EXPECT_EQ(got["PolicyDocument"], uri_encode(kDoc, true));
  EXPECT_EQ(call("ListUserPolicies", {{"UserName", "u"}})["PolicyNames"], Json::array({"p"}));
  EXPECT_EQ(error_of("DeleteUser", {{"UserName", "u"}}).code, "DeleteConflictException");
  call("DeleteUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}});
  auto nf = error_of("GetUserPolicy", {{"UserName", "u"}, {"PolicyName", "p"}});
  EXPECT_EQ(std::string(nf.what()), "The user policy with name p cannot be found.");
}

TEST_F(IamTest, GroupsMembershipAndAttachments) {
  call("CreateUser", {{"UserName", "u"}});
  Json g = call("CreateGroup", {{"GroupName", "devs"}})["Group"];
  EXPECT_EQ(g["GroupId"].get<std::string>().substr(0, 4), "AGPA");
  call("AddUserToGroup", {{"GroupName", "devs"}, {"UserName", "u"}});
  EXPECT_EQ(call("GetGroup", {{"GroupName", "devs"}})["Users"][0]["UserName"], "u");
  EXPECT_EQ(call("ListGroupsForUser", {{"UserName", "u"}})["Groups"][0]["GroupName"], "devs");
  EXPECT_EQ(error_of("DeleteGroup", {{"GroupName", "devs"}}).code, "DeleteConflictException");
  std::string admin = "arn:aws:iam::aws:policy/AdministratorAccess";
  call("AttachGroupPolicy", {{"GroupName", "devs"}, {"PolicyArn", admin}});
  EXPECT_EQ(call("GetPolicy", {{"PolicyArn", admin}})["Policy"]["AttachmentCount"], 1);
  Json ents = call("ListEntitiesForPolicy", {{"PolicyArn", admin}});
  EXPECT_EQ(ents["PolicyGroups"][0]["GroupName"], "devs");
  EXPECT_EQ(call("ListAttachedGroupPolicies", {{"GroupName", "devs"}})["AttachedPolicies"][0]["PolicyArn"], admin);
  auto e = error_of("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", "arn:aws:iam::aws:policy/Nope"}});
  EXPECT_EQ(e.code, "NoSuchEntityException");
  EXPECT_EQ(error_of("CreatePolicyVersion", {{"PolicyArn", admin}, {"PolicyDocument", kDoc}}).code, "AccessDenied");
  call("DetachGroupPolicy", {{"GroupName", "devs"}, {"PolicyArn", admin}});
  call("RemoveUserFromGroup", {{"GroupName", "devs"}, {"UserName", "u"}});
  call("DeleteGroup", {{"GroupName", "devs"}});
}

TEST_F(IamTest, InstanceProfilesAndServiceLinkedRoles) {
  call("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", kTrust}});
  Json ip = call("CreateInstanceProfile", {{"InstanceProfileName", "ip"}})["InstanceProfile"];
  EXPECT_EQ(ip["InstanceProfileId"].get<std::string>().substr(0, 4), "AIPA");
  call("AddRoleToInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r"}});
  EXPECT_EQ(call("GetInstanceProfile", {{"InstanceProfileName", "ip"}})["InstanceProfile"]["Roles"][0]["RoleName"], "r");
  EXPECT_EQ(error_of("AddRoleToInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r"}}).code,
            "LimitExceededException");
  EXPECT_EQ(error_of("DeleteRole", {{"RoleName", "r"}}).code, "DeleteConflictException");
  EXPECT_EQ(call("ListInstanceProfilesForRole", {{"RoleName", "r"}})["InstanceProfiles"].size(), 1u);
  call("RemoveRoleFromInstanceProfile", {{"InstanceProfileName", "ip"}, {"RoleName", "r"}});
  call("DeleteInstanceProfile", {{"InstanceProfileName", "ip"}});
  call("DeleteRole", {{"RoleName", "r"}});

  Json slr = call("CreateServiceLinkedRole", {{"AWSServiceName", "autoscaling.amazonaws.com"}})["Role"];
  EXPECT_EQ(slr["RoleName"], "AWSServiceRoleForAutoScaling");
  EXPECT_EQ(slr["Path"], "/aws-service-role/autoscaling.amazonaws.com/");
  EXPECT_EQ(error_of("DeleteRole", {{"RoleName", "AWSServiceRoleForAutoScaling"}}).code, "UnmodifiableEntityException");
  std::string task = call("DeleteServiceLinkedRole", {{"RoleName", "AWSServiceRoleForAutoScaling"}})["DeletionTaskId"];
  EXPECT_EQ(call("GetServiceLinkedRoleDeletionStatus", {{"DeletionTaskId", task}})["Status"], "SUCCEEDED");
}

TEST_F(IamTest, AccountLevel) {
  call("CreateAccountAlias", {{"AccountAlias", "my-alias"}});
  EXPECT_EQ(call("ListAccountAliases")["AccountAliases"], Json::array({"my-alias"}));
  EXPECT_EQ(error_of("GetAccountPasswordPolicy", Json::object()).code, "NoSuchEntityException");
  call("UpdateAccountPasswordPolicy", {{"MinimumPasswordLength", 12}, {"RequireNumbers", true}});
  EXPECT_EQ(call("GetAccountPasswordPolicy")["PasswordPolicy"]["MinimumPasswordLength"], 12);
  call("CreateUser", {{"UserName", "u"}});
  EXPECT_EQ(error_of("CreateLoginProfile", {{"UserName", "u"}, {"Password", "short1"}}).code,
            "PasswordPolicyViolationException");
  call("CreateLoginProfile", {{"UserName", "u"}, {"Password", "long-enough-password-1"}});
  EXPECT_EQ(call("GetLoginProfile", {{"UserName", "u"}})["LoginProfile"]["UserName"], "u");
  Json summary = call("GetAccountSummary")["SummaryMap"];
  EXPECT_EQ(summary["Users"], 1);
  EXPECT_EQ(summary["AccessKeysPerUserQuota"], 2);
  Json details = call("GetAccountAuthorizationDetails");
  EXPECT_EQ(details["UserDetailList"].size(), 1u);
}

// Case C12: the simulator's decision comes from the statements that match.
TEST_F(IamTest, C12SimulatePrincipalPolicy) {
  call("CreateUser", {{"UserName", "iamuser"}});
  call("PutUserPolicy",
       {{"UserName", "iamuser"},
        {"PolicyName", "s3"},
        {"PolicyDocument",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetReplicationConfiguration","s3:ListBucket"],"Resource":"arn:aws:s3:::sourcebucket"}]})"}});
  std::string u = "arn:aws:iam::000000000000:user/iamuser";
  Json a = call("SimulatePrincipalPolicy", {{"PolicySourceArn", u},
                                            {"ActionNames", {"s3:GetReplicationConfiguration"}},
                                            {"ResourceArns", {"arn:aws:s3:::sourcebucket"}}});
  EXPECT_EQ(a["EvaluationResults"][0]["EvalDecision"], "allowed");
  EXPECT_EQ(a["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"], "s3");
  EXPECT_EQ(a["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyType"], "user");
  Json b = call("SimulatePrincipalPolicy", {{"PolicySourceArn", u},
                                            {"ActionNames", {"s3:PutObject"}},
                                            {"ResourceArns", {"arn:aws:s3:::sourcebucket/x"}}});
  EXPECT_EQ(b["EvaluationResults"][0]["EvalDecision"], "implicitDeny");
}

// Case C11 (c): one result per resource, resource-scoped allow.
TEST_F(IamTest, C11SimulateResourceScoped) {
  call("CreateUser", {{"UserName", "scoped"}});
  call("PutUserPolicy",
       {{"UserName", "scoped"},
        {"PolicyName", "p"},
        {"PolicyDocument",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-*"}]})"}});
  std::string a = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-AbCdEf";
  std::string b = "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/b-AbCdEf";
  Json r = call("SimulatePrincipalPolicy", {{"PolicySourceArn", "arn:aws:iam::000000000000:user/scoped"},
                                            {"ActionNames", {"secretsmanager:GetSecretValue"}},
                                            {"ResourceArns", {a, b}}})["EvaluationResults"];
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["EvalResourceName"], a);
  EXPECT_EQ(r[0]["EvalDecision"], "allowed");
  EXPECT_EQ(r[1]["EvalResourceName"], b);
  EXPECT_EQ(r[1]["EvalDecision"], "implicitDeny");
}

TEST_F(IamTest, SimulateCustomPolicyWithBoundaryAndDeny) {
  std::string allow_all = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
  std::string deny_ec2 = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]})";
  std::string boundary = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
  Json r = call("SimulateCustomPolicy", {{"PolicyInputList", {allow_all, deny_ec2}},
                                         {"PermissionsBoundaryPolicyInputList", {boundary}},
                                         {"ActionNames", {"ec2:DescribeVpcs", "s3:GetObject", "sqs:SendMessage"}}})["EvaluationResults"];
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["EvalDecision"], "explicitDeny");
  EXPECT_EQ(r[0]["MatchedStatements"][0]["SourcePolicyId"], "PolicyInputList.2");
  EXPECT_EQ(r[1]["EvalDecision"], "allowed");
  EXPECT_EQ(r[2]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(r[2]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"], false);
  Json keys = call("GetContextKeysForCustomPolicy",
                   {{"PolicyInputList",
                     {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]})"}}});
  EXPECT_EQ(keys["ContextKeyNames"], Json::array({"aws:RequestedRegion"}));
}

TEST_F(IamTest, AwsManagedPoliciesListedAndReadOnly) {
  Json list = call("ListPolicies", {{"Scope", "AWS"}, {"MaxItems", 1000}})["Policies"];
  ASSERT_FALSE(list.empty());
  bool admin = false;
  for (const auto& p : list) {
    EXPECT_EQ(p["Arn"].get<std::string>().rfind("arn:aws:iam::aws:policy/", 0), 0u);
    if (p["PolicyName"] == "AdministratorAccess") admin = true;
  }
  EXPECT_TRUE(admin);
  EXPECT_TRUE(call("ListPolicies", {{"Scope", "Local"}})["Policies"].empty());
  Json v = call("GetPolicyVersion", {{"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}, {"VersionId", "v1"}});
  Json doc = Json::parse(url_decode(v["PolicyVersion"]["Document"].get<std::string>(), false));
  EXPECT_EQ(doc["Statement"][0]["Action"], "*");
  EXPECT_EQ(error_of("DeletePolicy", {{"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}}).code, "AccessDenied");
}

TEST_F(IamTest, TrustPolicyPrincipalsMustExist) {
  std::string trust_user =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ghost"},"Action":"sts:AssumeRole"}]})";
  auto e = error_of("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", trust_user}});
  EXPECT_EQ(e.code, "MalformedPolicyDocumentException");
  EXPECT_EQ(std::string(e.what()), "Invalid principal in policy: \"AWS\":\"arn:aws:iam::000000000000:user/ghost\"");
  call("CreateUser", {{"UserName", "ghost"}});
  call("CreateRole", {{"RoleName", "r"}, {"AssumeRolePolicyDocument", trust_user}});
  // Other accounts' principals are not checked.
  call("UpdateAssumeRolePolicy",
       {{"RoleName", "r"},
        {"PolicyDocument",
         R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/x"},"Action":"sts:AssumeRole"}]})"}});
}

TEST_F(IamTest, IdentityProviders) {
  std::string arn = call("CreateOpenIDConnectProvider", {{"Url", "https://token.example.com"},
                                                          {"ClientIDList", {"sts.amazonaws.com"}},
                                                          {"ThumbprintList", {std::string(40, 'a')}}})["OpenIDConnectProviderArn"];
  EXPECT_EQ(arn, "arn:aws:iam::000000000000:oidc-provider/token.example.com");
  call("AddClientIDToOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}, {"ClientID", "app"}});
  call("TagOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}, {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  Json got = call("GetOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}});
  EXPECT_EQ(got["ClientIDList"], Json::array({"sts.amazonaws.com", "app"}));
  EXPECT_EQ(got["Tags"][0]["Key"], "k");
  EXPECT_EQ(error_of("CreateOpenIDConnectProvider", {{"Url", "https://token.example.com"}, {"ThumbprintList", {std::string(40, 'a')}}}).code,
            "EntityAlreadyExistsException");
  call("DeleteOpenIDConnectProvider", {{"OpenIDConnectProviderArn", arn}});
  EXPECT_TRUE(call("ListOpenIDConnectProviders")["OpenIDConnectProviderList"].empty());

  std::string metadata = "<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\">" + std::string(1200, ' ') + "</EntityDescriptor>";
  std::string saml = call("CreateSAMLProvider", {{"Name", "corp"}, {"SAMLMetadataDocument", metadata}})["SAMLProviderArn"];
  EXPECT_EQ(saml, "arn:aws:iam::000000000000:saml-provider/corp");
  EXPECT_EQ(call("GetSAMLProvider", {{"SAMLProviderArn", saml}})["SAMLMetadataDocument"], metadata);
  EXPECT_EQ(call("ListSAMLProviders")["SAMLProviderList"].size(), 1u);
  call("DeleteSAMLProvider", {{"SAMLProviderArn", saml}});
  EXPECT_EQ(error_of("GetSAMLProvider", {{"SAMLProviderArn", saml}}).code, "NoSuchEntityException");
}

TEST_F(IamTest, PermissionsBoundaries) {
  std::string boundary = call("CreatePolicy", {{"PolicyName", "b"}, {"PolicyDocument", kDoc}})["Policy"]["Arn"];
  call("CreateUser", {{"UserName", "u"}, {"PermissionsBoundary", boundary}});
  EXPECT_EQ(call("GetUser", {{"UserName", "u"}})["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"], boundary);
  EXPECT_EQ(call("GetPolicy", {{"PolicyArn", boundary}})["Policy"]["PermissionsBoundaryUsageCount"], 1);
  call("AttachUserPolicy", {{"UserName", "u"}, {"PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"}});
  Json sim = call("SimulatePrincipalPolicy", {{"PolicySourceArn", "arn:aws:iam::000000000000:user/u"},
                                              {"ActionNames", {"s3:ListBucket", "ec2:DescribeVpcs"}}})["EvaluationResults"];
  EXPECT_EQ(sim[0]["EvalDecision"], "allowed");
  EXPECT_EQ(sim[1]["EvalDecision"], "implicitDeny");
  EXPECT_EQ(sim[1]["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"], false);
  EXPECT_EQ(error_of("DeletePolicy", {{"PolicyArn", boundary}}).code, "DeleteConflictException");
  call("DeleteUserPermissionsBoundary", {{"UserName", "u"}});
  EXPECT_FALSE(call("GetUser", {{"UserName", "u"}})["User"].contains("PermissionsBoundary"));
  auto e = error_of("PutUserPermissionsBoundary", {{"UserName", "u"}, {"PermissionsBoundary", "arn:aws:iam::000000000000:policy/none"}});
  EXPECT_EQ(e.code, "NoSuchEntityException");
}

TEST_F(IamTest, CredentialReportAndEmptyCredentialLists) {
  call("CreateUser", {{"UserName", "u"}});
  call("CreateAccessKey", {{"UserName", "u"}});
  EXPECT_EQ(error_of("GetCredentialReport", Json::object()).code, "CredentialReportNotPresentException");
  EXPECT_EQ(call("GenerateCredentialReport")["State"], "COMPLETE");
  Json r = call("GetCredentialReport");
  EXPECT_EQ(r["ReportFormat"], "text/csv");
  std::string csv = r["Content"];
  EXPECT_NE(csv.find("\nu,arn:aws:iam::000000000000:user/u,"), std::string::npos) << csv;
  EXPECT_EQ(call("ListMFADevices", {{"UserName", "u"}})["MFADevices"], Json::array());
  EXPECT_EQ(call("ListSSHPublicKeys", {{"UserName", "u"}})["SSHPublicKeys"], Json::array());
  EXPECT_EQ(call("ListSigningCertificates", {{"UserName", "u"}})["Certificates"], Json::array());
  EXPECT_EQ(error_of("ListMFADevices", {{"UserName", "ghost"}}).code, "NoSuchEntityException");
}

// RFC 6238 TOTP, written here independently of the service's code.
std::string totp(const std::string& seed_b32, int64_t step) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string key;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : seed_b32) {
    const char* p = std::strchr(alphabet, c);
    if (!p || !c) continue;
    buffer = (buffer << 5) | unsigned(p - alphabet);
    bits += 5;
    if (bits >= 8) key.push_back(char((buffer >> (bits - 8)) & 0xff)), bits -= 8;
  }
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) msg[i] = static_cast<unsigned char>(step & 0xff), step >>= 8;
  unsigned char mac[64];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), int(key.size()), msg, 8, mac, &len);
  int off = mac[len - 1] & 15;
  unsigned v = ((mac[off] & 0x7fu) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", v % 1000000u);
  return buf;
}

TEST_F(IamTest, VirtualMfaDevicesWithRealCodes) {
  call("CreateUser", {{"UserName", "u"}});
  Json dev = call("CreateVirtualMFADevice", {{"VirtualMFADeviceName", "u-phone"}})["VirtualMFADevice"];
  std::string serial = dev["SerialNumber"];
  EXPECT_EQ(serial, "arn:aws:iam::000000000000:mfa/u-phone");
  std::string seed = dev["Base32StringSeed"];
  EXPECT_EQ(seed.size(), 64u);
  int64_t step = int64_t(std::floor(to_epoch(core.clock().now()) / 30.0));
  auto bad = error_of("EnableMFADevice", {{"UserName", "u"}, {"SerialNumber", serial},
                                          {"AuthenticationCode1", totp(seed, step)}, {"AuthenticationCode2", totp(seed, step + 5)}});
  EXPECT_EQ(bad.code, "InvalidAuthenticationCodeException");
  call("EnableMFADevice", {{"UserName", "u"}, {"SerialNumber", serial},
                           {"AuthenticationCode1", totp(seed, step - 1)}, {"AuthenticationCode2", totp(seed, step)}});
  Json listed = call("ListMFADevices", {{"UserName", "u"}})["MFADevices"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["SerialNumber"], serial);
  EXPECT_EQ(call("ListVirtualMFADevices", {{"AssignmentStatus", "Assigned"}})["VirtualMFADevices"][0]["User"]["UserName"], "u");
  EXPECT_EQ(error_of("DeleteUser", {{"UserName", "u"}}).code, "DeleteConflictException");
  EXPECT_EQ(error_of("DeleteVirtualMFADevice", {{"SerialNumber", serial}}).code, "DeleteConflictException");
  EXPECT_EQ(call("GetAccountSummary")["SummaryMap"]["MFADevicesInUse"], 1);
  call("UpdateUser", {{"UserName", "u"}, {"NewUserName", "u2"}});
  EXPECT_EQ(call("ListMFADevices", {{"UserName", "u2"}})["MFADevices"].size(), 1u);
  call("DeactivateMFADevice", {{"UserName", "u2"}, {"SerialNumber", serial}});
  call("DeleteVirtualMFADevice", {{"SerialNumber", serial}});
  call("DeleteUser", {{"UserName", "u2"}});
}

TEST_F(IamTest, SshPublicKeys) {
  // Fingerprint from `ssh-keygen -l -E md5` of the same key.
  const std::string key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDT9j79Z7Pxs9Gzo2YxjHXJAgmoztCCoiIGTNftEgmqcxtMkSqXHQY80PC0iougr/zm+8qr8R/hCy2OBamcqjomR8ACYAq3ZVls6nGXRKoG9E8xUYvY02+hQkF5rL8hvg8RjMqw2TFJYorbnRGftFBGicquT7MvJO3a9z4butWccHk3BhR92NYFfwmLZYo40O5Ecs/a+v3AHPX81febdBlcJu7LiHOvxgL4jhtlR3K4ehtKJTUH2ayVelydASgplDB09R5gRcyeVXsTmIi5vflJc6xztpOH2O7/r+oACHB5DVK/cou3r84mEvjHc6IxeH/IkgjzWAmeYUWEsotPu26r cloudbox-test";
  call("CreateUser", {{"UserName", "git"}});
  EXPECT_EQ(error_of("UploadSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyBody", "ssh-rsa not-base64!"}}).code,
            "UnrecognizedPublicKeyEncodingException");
  Json k = call("UploadSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyBody", key}})["SSHPublicKey"];
  EXPECT_EQ(k["Fingerprint"], "46:a9:ce:62:9a:e5:8a:a1:f4:71:9c:cc:3f:85:d5:6d");
  EXPECT_EQ(k["SSHPublicKeyId"].get<std::string>().substr(0, 4), "APKA");
  EXPECT_EQ(k["Status"], "Active");
  EXPECT_EQ(error_of("UploadSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyBody", key}}).code,
            "DuplicateSSHPublicKeyException");
  std::string id = k["SSHPublicKeyId"];
  call("UpdateSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyId", id}, {"Status", "Inactive"}});
  EXPECT_EQ(call("GetSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyId", id}, {"Encoding", "SSH"}})["SSHPublicKey"]["Status"], "Inactive");
  EXPECT_EQ(call("ListSSHPublicKeys", {{"UserName", "git"}})["SSHPublicKeys"].size(), 1u);
  EXPECT_EQ(error_of("DeleteUser", {{"UserName", "git"}}).code, "DeleteConflictException");
  call("DeleteSSHPublicKey", {{"UserName", "git"}, {"SSHPublicKeyId", id}});
  call("DeleteUser", {{"UserName", "git"}});
}

}  // namespace
