// Secrets Manager through Core::invoke (validation + handler), plus a few raw HTTP requests for the wire.
// Cases C16–C20 of /work/shared/cases/cases.md are reproduced exactly as written.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

#include <unistd.h>

#include "core/common/clock.h"
#include "core/common/ids.h"
#include "core/core.h"

// Options and RequestContext are filled member by member below.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox {
namespace {

constexpr const char* kAccount = "000000000000";

class SecretsManagerTest : public ::testing::Test {
 protected:
  Core core{Options{.ephemeral = true}};
  RequestContext ctx{core};

  void SetUp() override {
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
  }

  Json call(const std::string& op, const Json& in, const std::string& region = "") {
    return core.invoke(ctx, "secretsmanager", op, in, region);
  }

  // The error an operation fails with (a test failure if it succeeds).
  AwsError fails(const std::string& op, const Json& in, const std::string& region = "") {
    try {
      Json out = call(op, in, region);
      ADD_FAILURE() << op << " succeeded: " << out.dump();
    } catch (const AwsError& e) {
      return e;
    }
    return AwsError("none", "");
  }

  std::string create(const std::string& name, const std::string& value = "v") {
    return call("CreateSecret", {{"Name", name}, {"SecretString", value}})["VersionId"].get<std::string>();
  }

  Json describe(const std::string& id) { return call("DescribeSecret", {{"SecretId", id}}); }

  std::string get(const std::string& id) {
    return call("GetSecretValue", {{"SecretId", id}})["SecretString"].get<std::string>();
  }

  double now() { return to_epoch(core.clock().now()); }

  void advance_days(double days) {
    core.clock().advance(std::chrono::microseconds(static_cast<long long>(days * 86400.0 * 1e6)));
  }

  // A raw JSON 1.1 request, as the AWS CLI sends it.
  // Sends `body` over the wire as an SDK would: SDKs fill ClientRequestToken in when a version is written.
  HttpResponse http(const std::string& op, Json body, bool sdk_token = true) {
    if (sdk_token && !body.contains("ClientRequestToken") && (body.contains("SecretString") || body.contains("SecretBinary")))
      body["ClientRequestToken"] = uuid4();
    HttpRequest r;
    r.method = "POST";
    r.path = "/";
    r.headers = {{"authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/secretsmanager/aws4_request, "
                                   "SignedHeaders=host;x-amz-date, Signature=abc"},
                 {"x-amz-date", "20240101T000000Z"},
                 {"x-amz-target", "secretsmanager." + op},
                 {"content-type", "application/x-amz-json-1.1"}};
    r.body = body.dump();
    return core.handle(r);
  }
};

#define EXPECT_AWS_ERROR(expr, code_)                               \
  do {                                                              \
    AwsError e_ = (expr);                                           \
    EXPECT_EQ(e_.code, code_) << e_.what();                         \
  } while (0)

bool is_uuid(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

// ---------------------------------------------------------------------------------------------------
// Cases C15–C20

TEST_F(SecretsManagerTest, C15_ArnCarriesTheCallersAccountAndASixCharacterSuffix) {
  Json out = call("CreateSecret", {{"Name", "acct"}, {"SecretString", "x"}});
  std::string arn = out["ARN"];
  EXPECT_TRUE(std::regex_match(arn, std::regex("^arn:aws:secretsmanager:us-east-1:000000000000:secret:acct-[A-Za-z0-9]{6}$")))
      << arn;
  EXPECT_EQ(out["Name"], "acct");
}

TEST_F(SecretsManagerTest, C16_CreateWithNameScheduledForDeletion) {
  call("CreateSecret", {{"Name", "pend"}, {"SecretString", "x"}});
  call("DeleteSecret", {{"SecretId", "pend"}});
  AwsError a = fails("CreateSecret", {{"Name", "pend"}, {"SecretString", "y"}});  // (a)
  EXPECT_EQ(a.code, "InvalidRequestException");
  EXPECT_STREQ(a.what(),
               "You can't create this secret because a secret with this name is already scheduled for deletion.");
  call("RestoreSecret", {{"SecretId", "pend"}});
  AwsError b = fails("CreateSecret", {{"Name", "pend"}, {"SecretString", "y"}});  // (b)
  EXPECT_EQ(b.code, "ResourceExistsException");
  EXPECT_STREQ(b.what(), "The operation failed because the secret pend already exists.");
}

TEST_F(SecretsManagerTest, C16_OnTheWireBothErrorsAreHttp400) {
  ASSERT_EQ(http("CreateSecret", {{"Name", "pend"}, {"SecretString", "x"}}).status, 200);
  ASSERT_EQ(http("DeleteSecret", {{"SecretId", "pend"}}).status, 200);
  HttpResponse a = http("CreateSecret", {{"Name", "pend"}, {"SecretString", "y"}});
  EXPECT_EQ(a.status, 400);
  Json body = Json::parse(a.body);
  EXPECT_NE(body["__type"].get<std::string>().find("InvalidRequestException"), std::string::npos) << a.body;
  ASSERT_EQ(http("RestoreSecret", {{"SecretId", "pend"}}).status, 200);
  HttpResponse b = http("CreateSecret", {{"Name", "pend"}, {"SecretString", "y"}});
  EXPECT_EQ(b.status, 400);
  EXPECT_NE(b.body.find("ResourceExistsException"), std::string::npos) << b.body;
}

TEST_F(SecretsManagerTest, WireCarriesBinaryAsBase64AndDatesAsEpochSeconds) {
  HttpResponse created = http("CreateSecret", {{"Name", "wire"}, {"SecretBinary", "AAH/"}, {"ClientRequestToken", "12345678-1234-4234-8234-123456789012"}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(Json::parse(created.body)["VersionId"], "12345678-1234-4234-8234-123456789012");
  HttpResponse got = http("GetSecretValue", {{"SecretId", "wire"}});
  ASSERT_EQ(got.status, 200) << got.body;
  Json body = Json::parse(got.body);
  EXPECT_EQ(body["SecretBinary"], "AAH/");
  EXPECT_TRUE(body["CreatedDate"].is_number());
  EXPECT_EQ(body["VersionStages"], Json({"AWSCURRENT"}));
  HttpResponse bad = http("DescribeSecret", {{"SecretId", "bad name"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("ValidationException"), std::string::npos) << bad.body;
  HttpResponse missing = http("DescribeSecret", {{"SecretId", "missing"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("ResourceNotFoundException"), std::string::npos) << missing.body;
}

TEST_F(SecretsManagerTest, C17_OperationsOnSecretMarkedForDeletion) {
  call("CreateSecret", {{"Name", "test/secret-name"}, {"SecretString", "secret-value"}});
  call("DeleteSecret", {{"SecretId", "test/secret-name"}});
  const char* msg = "You can't perform this operation on the secret because it was marked for deletion.";
  AwsError a = fails("TagResource", {{"SecretId", "test/secret-name"},
                                     {"Tags", {{{"Key", "TaggingAfterDeletionWorks"}, {"Value", "true"}}}}});
  EXPECT_EQ(a.code, "InvalidRequestException");
  EXPECT_STREQ(a.what(), msg);
  AwsError b = fails("UntagResource", {{"SecretId", "test/secret-name"}, {"TagKeys", {"TaggingAfterDeletionWorks"}}});
  EXPECT_EQ(b.code, "InvalidRequestException");
  EXPECT_STREQ(b.what(), msg);
  AwsError c = fails("GetSecretValue", {{"SecretId", "test/secret-name"}});
  EXPECT_EQ(c.code, "InvalidRequestException");
  EXPECT_STREQ(c.what(), msg);
  Json d = describe("test/secret-name");
  ASSERT_TRUE(d.contains("DeletedDate"));
  EXPECT_TRUE(d["DeletedDate"].is_number());
  // put, update and the other writes are refused the same way
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "test/secret-name"}, {"SecretString", "z"}}),
                   "InvalidRequestException");
  EXPECT_AWS_ERROR(fails("UpdateSecret", {{"SecretId", "test/secret-name"}, {"Description", "d"}}),
                   "InvalidRequestException");
  EXPECT_AWS_ERROR(fails("PutResourcePolicy", {{"SecretId", "test/secret-name"}, {"ResourcePolicy", "{}"}}),
                   "InvalidRequestException");
}

TEST_F(SecretsManagerTest, C18_DescribeSecretShowsVersionIdsToStages) {
  std::string v1 = call("CreateSecret", {{"Name", "vis"}, {"SecretString", "one"}})["VersionId"];
  Json a = describe("vis")["VersionIdsToStages"];  // (a)
  EXPECT_EQ(a, Json({{v1, {"AWSCURRENT"}}}));
  std::string v2 = call("PutSecretValue", {{"SecretId", "vis"}, {"SecretString", "two"}})["VersionId"];
  Json b = describe("vis")["VersionIdsToStages"];  // (b)
  EXPECT_EQ(b, Json({{v2, {"AWSCURRENT"}}, {v1, {"AWSPREVIOUS"}}}));
  EXPECT_EQ(v1.size(), 36u);
  EXPECT_EQ(v2.size(), 36u);
  EXPECT_TRUE(is_uuid(v1));
  EXPECT_TRUE(is_uuid(v2));
}

TEST_F(SecretsManagerTest, C19_CustomStagingLabelMovesToTheNewVersion) {
  std::string base = call("CreateSecret", {{"Name", "cst"}, {"SecretString", "base"}})["VersionId"];
  std::string v1 = call("PutSecretValue", {{"SecretId", "cst"}, {"SecretString", "one"}, {"VersionStages", {"test_stage"}}})["VersionId"];
  std::string v2 = call("PutSecretValue", {{"SecretId", "cst"}, {"SecretString", "two"}, {"VersionStages", {"test_stage"}}})["VersionId"];
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "cst"}, {"VersionStage", "test_stage"}})["SecretString"], "two");  // (a)
  EXPECT_EQ(get("cst"), "base");                                                                                 // (b)
  Json c = describe("cst")["VersionIdsToStages"];                                                                // (c)
  EXPECT_EQ(c, Json({{v2, {"test_stage"}}, {base, {"AWSCURRENT"}}}));
  EXPECT_FALSE(c.contains(v1));
  // V1 still exists, as a deprecated version
  Json all = call("ListSecretVersionIds", {{"SecretId", "cst"}, {"IncludeDeprecated", true}})["Versions"];
  bool found = false;
  for (const auto& v : all)
    if (v["VersionId"] == v1) {
      found = true;
      EXPECT_FALSE(v.contains("VersionStages"));
    }
  EXPECT_TRUE(found);
}

TEST_F(SecretsManagerTest, C20_FirstVersionOfValuelessSecretBecomesCurrent) {
  call("CreateSecret", {{"Name", "rot"}});
  std::string token = "0f8fad5b-d9cb-469f-a165-70867728950e";
  Json a = call("PutSecretValue", {{"SecretId", "rot"},
                                   {"ClientRequestToken", token},
                                   {"SecretString", "s1"},
                                   {"VersionStages", {"AWSPENDING"}}});
  EXPECT_EQ(a["VersionId"], token);  // (a)
  call("UpdateSecretVersionStage",
       {{"SecretId", "rot"}, {"VersionStage", "AWSCURRENT"}, {"MoveToVersionId", token}});  // (b)
  Json c = call("GetSecretValue", {{"SecretId", "rot"}});                                 // (c)
  EXPECT_EQ(c["SecretString"], "s1");
  EXPECT_EQ(c["VersionId"], token);
  Json stages = describe("rot")["VersionIdsToStages"][token];
  EXPECT_NE(std::find(stages.begin(), stages.end(), "AWSCURRENT"), stages.end()) << stages.dump();
}

// ---------------------------------------------------------------------------------------------------
// CreateSecret / lookup

TEST_F(SecretsManagerTest, CreateWithoutValueHasNoVersion) {
  Json out = call("CreateSecret", {{"Name", "empty"}, {"Description", "nothing yet"}});
  EXPECT_FALSE(out.contains("VersionId"));
  Json d = describe("empty");
  EXPECT_FALSE(d.contains("VersionIdsToStages"));
  EXPECT_EQ(d["Description"], "nothing yet");
  AwsError e = fails("GetSecretValue", {{"SecretId", "empty"}});
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_STREQ(e.what(), "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
}

TEST_F(SecretsManagerTest, CreateRejectsBothValuesAndBadNames) {
  AwsError both = fails("CreateSecret", {{"Name", "b"}, {"SecretString", "s"}, {"SecretBinary", "b"}});
  EXPECT_EQ(both.code, "InvalidParameterException");
  for (const char* bad : {"Inv Name", "a*b", "semi;colon", "back\\slash"}) {
    AwsError e = fails("CreateSecret", {{"Name", bad}, {"SecretString", "s"}});
    EXPECT_EQ(e.code, "ValidationException") << bad;
    EXPECT_EQ(std::string(e.what()).rfind("Invalid name. Must be a valid name containing alphanumeric characters", 0), 0u);
  }
  EXPECT_NO_THROW(create("Valid/_+=.@-Name"));
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "no such"}}), "ValidationException");
}

TEST_F(SecretsManagerTest, BinarySecretsRoundTripRawBytes) {
  std::string bytes("\x00\x01\xff\xfe binary\x80", 12);
  Json out = call("CreateSecret", {{"Name", "bin"}, {"SecretBinary", bytes}});
  Json got = call("GetSecretValue", {{"SecretId", "bin"}});
  EXPECT_EQ(got["SecretBinary"].get<std::string>(), bytes);
  EXPECT_FALSE(got.contains("SecretString"));
  EXPECT_EQ(got["VersionId"], out["VersionId"]);
}

TEST_F(SecretsManagerTest, ValueSizeLimitIs65536Bytes) {
  std::string ok(65536, 'a');
  EXPECT_NO_THROW(call("CreateSecret", {{"Name", "big"}, {"SecretString", ok}}));
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "big"}, {"SecretString", ok + "a"}}), "ValidationException");
  std::string multibyte;
  for (int i = 0; i < 40000; ++i) multibyte += "\xc3\xa9";  // 40000 characters, 80000 bytes
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "big"}, {"SecretString", multibyte}}),
                   "InvalidParameterException");
}

TEST_F(SecretsManagerTest, LookupByNameFullArnAndPartialArn) {
  std::string arn = call("CreateSecret", {{"Name", "db/password"}, {"SecretString", "pw"}})["ARN"];
  std::string partial = arn.substr(0, arn.size() - 7);
  EXPECT_EQ(get("db/password"), "pw");
  EXPECT_EQ(get(arn), "pw");
  EXPECT_EQ(get(partial), "pw");
  // A wrong suffix is a different (absent) secret; so is another region's or account's ARN.
  std::string wrong = partial + "-zzzzzz";
  if (wrong == arn) wrong = partial + "-yyyyyy";
  EXPECT_AWS_ERROR(fails("GetSecretValue", {{"SecretId", wrong}}), "ResourceNotFoundException");
  std::string other_region = std::regex_replace(arn, std::regex("us-east-1"), "us-west-2");
  EXPECT_AWS_ERROR(fails("GetSecretValue", {{"SecretId", other_region}}), "ResourceNotFoundException");
  AwsError nf = fails("DescribeSecret", {{"SecretId", "missing"}});
  EXPECT_EQ(nf.code, "ResourceNotFoundException");
  EXPECT_STREQ(nf.what(), "Secrets Manager can't find the specified secret.");
}

TEST_F(SecretsManagerTest, PartialArnOfNameEndingLikeASuffixIsTakenAsFullArn) {
  std::string arn = call("CreateSecret", {{"Name", "Name-a1b2c3"}, {"SecretString", "x"}})["ARN"];
  std::string partial = arn.substr(0, arn.size() - 7);  // ends in "-a1b2c3"
  EXPECT_AWS_ERROR(fails("GetSecretValue", {{"SecretId", partial}}), "ResourceNotFoundException");
  EXPECT_EQ(get(arn), "x");
  EXPECT_EQ(get("Name-a1b2c3"), "x");
}

TEST_F(SecretsManagerTest, SecretsAreScopedByRegionAndAccount) {
  create("scoped");
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "scoped"}}, "eu-west-1"), "ResourceNotFoundException");
  RequestContext other{core};
  other.account_id = "111122223333";
  other.region = "us-east-1";
  try {
    core.invoke(other, "secretsmanager", "DescribeSecret", {{"SecretId", "scoped"}});
    ADD_FAILURE() << "another account saw the secret";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code, "ResourceNotFoundException");
  }
  // the same name is free in another region
  EXPECT_NO_THROW(call("CreateSecret", {{"Name", "scoped"}, {"SecretString", "w"}}, "eu-west-1"));
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "scoped"}}, "eu-west-1")["SecretString"], "w");
}

TEST_F(SecretsManagerTest, CreateIsIdempotentForTheSameToken) {
  std::string token = "11111111-2222-3333-4444-555555555555";
  Json first = call("CreateSecret", {{"Name", "idem"}, {"SecretString", "x"}, {"ClientRequestToken", token}});
  EXPECT_EQ(first["VersionId"], token);
  Json again = call("CreateSecret", {{"Name", "idem"}, {"SecretString", "x"}, {"ClientRequestToken", token}});
  EXPECT_EQ(again["ARN"], first["ARN"]);
  EXPECT_AWS_ERROR(fails("CreateSecret", {{"Name", "idem"}, {"SecretString", "other"}, {"ClientRequestToken", token}}),
                   "ResourceExistsException");
}

// ---------------------------------------------------------------------------------------------------
// Versions and staging labels

TEST_F(SecretsManagerTest, PutSecretValueIsIdempotentPerClientRequestToken) {
  create("tok", "v0");
  std::string token = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  Json a = call("PutSecretValue", {{"SecretId", "tok"}, {"SecretString", "v1"}, {"ClientRequestToken", token}});
  Json b = call("PutSecretValue", {{"SecretId", "tok"}, {"SecretString", "v1"}, {"ClientRequestToken", token}});
  EXPECT_EQ(a["VersionId"], token);
  EXPECT_EQ(b["VersionId"], token);
  EXPECT_EQ(b["VersionStages"], Json({"AWSCURRENT"}));
  Json versions = call("ListSecretVersionIds", {{"SecretId", "tok"}, {"IncludeDeprecated", true}})["Versions"];
  EXPECT_EQ(versions.size(), 2u);
  AwsError e = fails("PutSecretValue", {{"SecretId", "tok"}, {"SecretString", "different"}, {"ClientRequestToken", token}});
  EXPECT_EQ(e.code, "ResourceExistsException");
  EXPECT_STREQ(e.what(), "You can't modify an existing version, you can only create a new version.");
  // token too short for a VersionId (32–64 characters) is refused by the model
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "tok"}, {"SecretString", "x"}, {"ClientRequestToken", "short"}}),
                   "ValidationException");
}

TEST_F(SecretsManagerTest, PutSecretValueNeedsExactlyOneValue) {
  create("one");
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "one"}}), "InvalidRequestException");
  EXPECT_AWS_ERROR(fails("PutSecretValue", {{"SecretId", "one"}, {"SecretString", "a"}, {"SecretBinary", "b"}}),
                   "InvalidParameterException");
}

TEST_F(SecretsManagerTest, CurrentPreviousAndDeprecatedVersions) {
  std::string v1 = create("cycle", "1");
  std::string v2 = call("PutSecretValue", {{"SecretId", "cycle"}, {"SecretString", "2"}})["VersionId"];
  std::string v3 = call("PutSecretValue", {{"SecretId", "cycle"}, {"SecretString", "3"}})["VersionId"];
  EXPECT_EQ(describe("cycle")["VersionIdsToStages"], Json({{v3, {"AWSCURRENT"}}, {v2, {"AWSPREVIOUS"}}}));
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "cycle"}, {"VersionStage", "AWSPREVIOUS"}})["SecretString"], "2");
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "cycle"}, {"VersionId", v1}})["SecretString"], "1");
  Json listed = call("ListSecretVersionIds", {{"SecretId", "cycle"}})["Versions"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["VersionId"], v2);
  EXPECT_EQ(listed[1]["VersionId"], v3);
  EXPECT_EQ(listed[1]["KmsKeyIds"], Json({"DefaultEncryptionKey"}));
  Json all = call("ListSecretVersionIds", {{"SecretId", "cycle"}, {"IncludeDeprecated", true}})["Versions"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["VersionId"], v1);
  EXPECT_FALSE(all[0].contains("VersionStages"));
}

TEST_F(SecretsManagerTest, GetSecretValueVersionErrors) {
  std::string v1 = create("gv", "1");
  call("PutSecretValue", {{"SecretId", "gv"}, {"SecretString", "2"}});
  AwsError mismatch = fails("GetSecretValue", {{"SecretId", "gv"}, {"VersionId", v1}, {"VersionStage", "AWSCURRENT"}});
  EXPECT_EQ(mismatch.code, "InvalidRequestException");
  EXPECT_STREQ(mismatch.what(), "You provided a VersionStage that is not associated to the provided VersionId.");
  std::string missing = "99999999-9999-4999-8999-999999999999";
  AwsError nv = fails("GetSecretValue", {{"SecretId", "gv"}, {"VersionId", missing}});
  EXPECT_EQ(nv.code, "ResourceNotFoundException");
  EXPECT_EQ(std::string(nv.what()), "Secrets Manager can't find the specified secret value for VersionId: " + missing);
  AwsError ns = fails("GetSecretValue", {{"SecretId", "gv"}, {"VersionStage", "nope"}});
  EXPECT_EQ(ns.code, "ResourceNotFoundException");
  EXPECT_STREQ(ns.what(), "Secrets Manager can't find the specified secret value for staging label: nope");
}

// Recorded against AWS (custom labels with an AWSPENDING rotation cycle).
TEST_F(SecretsManagerTest, RotationCycleWithCustomLabels) {
  create("cycle2", "SS");
  std::string v0 = call("PutSecretValue", {{"SecretId", "cycle2"}, {"SecretString", "S1"}, {"VersionStages", {"AWSCURRENT", "PUT0"}}})["VersionId"];
  Json p1 = call("PutSecretValue", {{"SecretId", "cycle2"}, {"SecretString", "S2"}, {"VersionStages", {"PUT1", "AWSPENDING"}}});
  std::string v1 = p1["VersionId"];
  EXPECT_EQ(p1["VersionStages"], Json({"AWSPENDING", "PUT1"}));  // sorted, as AWS lists them
  call("UpdateSecretVersionStage", {{"SecretId", "cycle2"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v0}, {"MoveToVersionId", v1}});
  EXPECT_EQ(describe("cycle2")["VersionIdsToStages"],
            Json({{v0, {"AWSPREVIOUS", "PUT0"}}, {v1, {"AWSCURRENT", "AWSPENDING", "PUT1"}}}));
  EXPECT_EQ(get("cycle2"), "S2");
  std::string v2 = call("PutSecretValue", {{"SecretId", "cycle2"}, {"SecretString", "S3"}, {"VersionStages", {"AWSPENDING", "PUT2"}}})["VersionId"];
  EXPECT_EQ(describe("cycle2")["VersionIdsToStages"],
            Json({{v0, {"AWSPREVIOUS", "PUT0"}}, {v1, {"AWSCURRENT", "PUT1"}}, {v2, {"AWSPENDING", "PUT2"}}}));
  call("UpdateSecretVersionStage", {{"SecretId", "cycle2"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v1}, {"MoveToVersionId", v2}});
  EXPECT_EQ(describe("cycle2")["VersionIdsToStages"],
            Json({{v0, {"PUT0"}}, {v1, {"AWSPREVIOUS", "PUT1"}}, {v2, {"AWSCURRENT", "AWSPENDING", "PUT2"}}}));
  EXPECT_EQ(get("cycle2"), "S3");
}

// Recorded against AWS: a new current value ends the rotation of the old current version.
TEST_F(SecretsManagerTest, NewCurrentValueDropsPendingFromOldCurrent) {
  std::string v0 = create("pend2", "Something1");
  std::string v1 = call("PutSecretValue", {{"SecretId", "pend2"}, {"SecretString", "Something2"}, {"VersionStages", {"AWSPENDING"}}})["VersionId"];
  call("UpdateSecretVersionStage", {{"SecretId", "pend2"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v0}, {"MoveToVersionId", v1}});
  EXPECT_EQ(describe("pend2")["VersionIdsToStages"], Json({{v0, {"AWSPREVIOUS"}}, {v1, {"AWSCURRENT", "AWSPENDING"}}}));
  std::string v2 = call("PutSecretValue", {{"SecretId", "pend2"}, {"SecretString", "SS3"}})["VersionId"];
  EXPECT_EQ(describe("pend2")["VersionIdsToStages"], Json({{v1, {"AWSPREVIOUS"}}, {v2, {"AWSCURRENT"}}}));
}

TEST_F(SecretsManagerTest, LabelsNotListedStayOnTheOldVersion) {
  std::string base = create("labels");
  std::string a = call("PutSecretValue", {{"SecretId", "labels"}, {"SecretString", "a"}, {"VersionStages", {"one", "two", "three"}}})["VersionId"];
  std::string b = call("PutSecretValue", {{"SecretId", "labels"}, {"SecretString", "b"}, {"VersionStages", {"one", "two", "four"}}})["VersionId"];
  EXPECT_EQ(describe("labels")["VersionIdsToStages"],
            Json({{base, {"AWSCURRENT"}}, {a, {"three"}}, {b, {"four", "one", "two"}}}));
}

TEST_F(SecretsManagerTest, UpdateSecretVersionStageRules) {
  std::string v1 = create("usvs", "1");
  std::string v2 = call("PutSecretValue", {{"SecretId", "usvs"}, {"SecretString", "2"}, {"VersionStages", {"AWSPENDING"}}})["VersionId"];
  // AWSCURRENT is on v1, so moving it needs RemoveFromVersionId
  AwsError e = fails("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "AWSCURRENT"}, {"MoveToVersionId", v2}});
  EXPECT_EQ(e.code, "InvalidParameterException");
  EXPECT_EQ(std::string(e.what()),
            "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to "
            "version " + v1 + ", so you must explicitly reference that version in RemoveFromVersionId.");
  // the label must be on RemoveFromVersionId
  EXPECT_AWS_ERROR(fails("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v2}, {"MoveToVersionId", v2}}),
                   "InvalidParameterException");
  // unknown versions
  std::string missing = "99999999-9999-4999-8999-999999999999";
  EXPECT_AWS_ERROR(fails("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "X"}, {"MoveToVersionId", missing}}),
                   "ResourceNotFoundException");
  EXPECT_AWS_ERROR(fails("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "X"}}), "InvalidParameterException");
  // AWSCURRENT can't just be removed
  EXPECT_AWS_ERROR(fails("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v1}}),
                   "InvalidParameterException");
  // custom labels: attach, then detach; a version left without labels is deprecated
  call("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "blue"}, {"MoveToVersionId", v2}});
  EXPECT_EQ(describe("usvs")["VersionIdsToStages"][v2], Json({"AWSPENDING", "blue"}));
  call("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "blue"}, {"RemoveFromVersionId", v2}});
  call("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "AWSPENDING"}, {"RemoveFromVersionId", v2}});
  EXPECT_FALSE(describe("usvs")["VersionIdsToStages"].contains(v2));
  // a proper move
  call("UpdateSecretVersionStage", {{"SecretId", "usvs"}, {"VersionStage", "AWSCURRENT"}, {"RemoveFromVersionId", v1}, {"MoveToVersionId", v2}});
  EXPECT_EQ(describe("usvs")["VersionIdsToStages"], Json({{v1, {"AWSPREVIOUS"}}, {v2, {"AWSCURRENT"}}}));
  EXPECT_EQ(get("usvs"), "2");
}

TEST_F(SecretsManagerTest, ReplicaRegionsMustExist) {
  EXPECT_AWS_ERROR(fails("CreateSecret", {{"Name", "rep"}, {"SecretString", "x"},
                                          {"AddReplicaRegions", {{{"Region", "mars-1"}}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "rep"}}), "ResourceNotFoundException");  // nothing half-made
  create("rep", "x");
  EXPECT_AWS_ERROR(fails("ReplicateSecretToRegions", {{"SecretId", "rep"}, {"AddReplicaRegions", {{{"Region", "us-nowhere-9"}}}}}),
                   "InvalidParameterException");
}

TEST_F(SecretsManagerTest, AtMostOneHundredDeprecatedVersionsAreKeptOnceADayOld) {
  create("many", "0");
  for (int i = 1; i <= 110; ++i) call("PutSecretValue", {{"SecretId", "many"}, {"SecretString", std::to_string(i)}});
  auto count_versions = [&] {
    Json page = call("ListSecretVersionIds", {{"SecretId", "many"}, {"IncludeDeprecated", true}, {"MaxResults", 100}});
    size_t total = page["Versions"].size();
    EXPECT_TRUE(page.contains("NextToken"));
    Json rest = call("ListSecretVersionIds", {{"SecretId", "many"}, {"IncludeDeprecated", true}, {"NextToken", page["NextToken"]}});
    EXPECT_FALSE(rest.contains("NextToken"));
    return total + rest["Versions"].size();
  };
  // Versions less than 24 hours old are never removed.
  EXPECT_EQ(count_versions(), 111u);
  core.clock().advance(std::chrono::hours(25));
  call("PutSecretValue", {{"SecretId", "many"}, {"SecretString", "111"}});
  EXPECT_EQ(count_versions(), 102u);  // AWSCURRENT, AWSPREVIOUS and the 100 newest deprecated versions
  EXPECT_EQ(get("many"), "111");
  EXPECT_AWS_ERROR(fails("ListSecretVersionIds", {{"SecretId", "many"}, {"NextToken", "garbage"}}), "InvalidNextTokenException");
}

// ---------------------------------------------------------------------------------------------------
// Describe / Update / dates

TEST_F(SecretsManagerTest, DescribeSecretFields) {
  double before = now();
  call("CreateSecret", {{"Name", "desc"},
                        {"SecretString", "x"},
                        {"Description", "my secret"},
                        {"Tags", {{{"Key", "env"}, {"Value", "dev"}}}}});
  Json d = describe("desc");
  EXPECT_EQ(d["Name"], "desc");
  EXPECT_EQ(d["Description"], "my secret");
  EXPECT_FALSE(d.contains("KmsKeyId"));  // AWS omits the default key
  EXPECT_FALSE(d.contains("RotationEnabled"));
  EXPECT_FALSE(d.contains("DeletedDate"));
  EXPECT_FALSE(d.contains("LastAccessedDate"));
  EXPECT_FALSE(d.contains("ReplicationStatus"));
  EXPECT_EQ(d["Tags"], Json::parse(R"([{"Key":"env","Value":"dev"}])"));
  EXPECT_GE(d["CreatedDate"].get<double>(), before - 1);
  EXPECT_GE(d["LastChangedDate"].get<double>(), d["CreatedDate"].get<double>());

  call("CreateSecret", {{"Name", "kms"}, {"SecretString", "x"}, {"KmsKeyId", "alias/mine"}});
  EXPECT_EQ(describe("kms")["KmsKeyId"], "alias/mine");
  Json versions = call("ListSecretVersionIds", {{"SecretId", "kms"}})["Versions"];
  EXPECT_EQ(versions[0]["KmsKeyIds"], Json({"alias/mine"}));
}

TEST_F(SecretsManagerTest, LastAccessedDateIsMidnightUtcOfTheLastRead) {
  create("acc");
  EXPECT_FALSE(describe("acc").contains("LastAccessedDate"));
  get("acc");
  double t = now();
  double day = std::floor(t / 86400.0) * 86400.0;
  EXPECT_EQ(describe("acc")["LastAccessedDate"].get<double>(), day);
  Json v = call("ListSecretVersionIds", {{"SecretId", "acc"}})["Versions"][0];
  EXPECT_EQ(v["LastAccessedDate"].get<double>(), day);
  advance_days(2);
  get("acc");
  EXPECT_EQ(describe("acc")["LastAccessedDate"].get<double>(), day + 2 * 86400.0);
}

TEST_F(SecretsManagerTest, UpdateSecret) {
  std::string v1 = create("upd", "1");
  Json meta = call("UpdateSecret", {{"SecretId", "upd"}, {"Description", "new description"}});
  EXPECT_FALSE(meta.contains("VersionId"));  // no new version without a value
  EXPECT_EQ(describe("upd")["Description"], "new description");
  Json val = call("UpdateSecret", {{"SecretId", "upd"}, {"SecretString", "2"}, {"KmsKeyId", "alias/k"}});
  ASSERT_TRUE(val.contains("VersionId"));
  std::string v2 = val["VersionId"];
  EXPECT_EQ(describe("upd")["VersionIdsToStages"], Json({{v2, {"AWSCURRENT"}}, {v1, {"AWSPREVIOUS"}}}));
  EXPECT_EQ(describe("upd")["KmsKeyId"], "alias/k");
  EXPECT_EQ(get("upd"), "2");
  EXPECT_AWS_ERROR(fails("UpdateSecret", {{"SecretId", "upd"}, {"SecretString", "a"}, {"SecretBinary", "b"}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("UpdateSecret", {{"SecretId", "nope"}, {"Description", "x"}}), "ResourceNotFoundException");
}

// ---------------------------------------------------------------------------------------------------
// DeleteSecret / RestoreSecret

TEST_F(SecretsManagerTest, DeleteSecretWindowsAndErrors) {
  create("del");
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "del"}, {"RecoveryWindowInDays", 6}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "del"}, {"RecoveryWindowInDays", 31}}), "InvalidParameterException");
  AwsError both = fails("DeleteSecret", {{"SecretId", "del"}, {"RecoveryWindowInDays", 7}, {"ForceDeleteWithoutRecovery", true}});
  EXPECT_EQ(both.code, "InvalidParameterException");
  EXPECT_STREQ(both.what(), "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");

  double t = now();
  Json out = call("DeleteSecret", {{"SecretId", "del"}});
  EXPECT_NEAR(out["DeletionDate"].get<double>(), t + 30 * 86400.0, 5);
  EXPECT_NEAR(describe("del")["DeletedDate"].get<double>(), out["DeletionDate"].get<double>(), 0.001);
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "del"}}), "InvalidRequestException");

  create("del7");
  Json seven = call("DeleteSecret", {{"SecretId", "del7"}, {"RecoveryWindowInDays", 7}});
  EXPECT_NEAR(seven["DeletionDate"].get<double>(), t + 7 * 86400.0, 5);
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "missing"}}), "ResourceNotFoundException");
}

TEST_F(SecretsManagerTest, ForceDeleteIsImmediate) {
  create("force");
  call("DeleteSecret", {{"SecretId", "force"}, {"ForceDeleteWithoutRecovery", true}});
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "force"}}), "ResourceNotFoundException");
  EXPECT_NO_THROW(create("force"));
  // also ends the window of a secret already scheduled for deletion
  call("DeleteSecret", {{"SecretId", "force"}});
  call("DeleteSecret", {{"SecretId", "force"}, {"ForceDeleteWithoutRecovery", true}});
  EXPECT_AWS_ERROR(fails("RestoreSecret", {{"SecretId", "force"}}), "ResourceNotFoundException");
}

TEST_F(SecretsManagerTest, DeletionFollowsTheServerClock) {
  std::string arn = call("CreateSecret", {{"Name", "clock"}, {"SecretString", "x"}})["ARN"];
  call("DeleteSecret", {{"SecretId", "clock"}, {"RecoveryWindowInDays", 7}});
  advance_days(6.9);
  EXPECT_TRUE(describe("clock").contains("DeletedDate"));
  advance_days(0.2);
  // gone at once, without waiting for a tick
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "clock"}}), "ResourceNotFoundException");
  std::string arn2 = call("CreateSecret", {{"Name", "clock"}, {"SecretString", "y"}})["ARN"];
  EXPECT_NE(arn, arn2);

  // and tick purges in the background
  create("ticked");
  call("DeleteSecret", {{"SecretId", "ticked"}, {"RecoveryWindowInDays", 7}});
  advance_days(8);
  core.tick();
  Json listed = call("ListSecrets", {{"IncludePlannedDeletion", true}})["SecretList"];
  for (const auto& s : listed) EXPECT_NE(s["Name"], "ticked");
}

TEST_F(SecretsManagerTest, RestoreSecretCancelsDeletion) {
  create("res", "keep");
  call("DeleteSecret", {{"SecretId", "res"}});
  Json out = call("RestoreSecret", {{"SecretId", "res"}});
  EXPECT_EQ(out["Name"], "res");
  EXPECT_FALSE(describe("res").contains("DeletedDate"));
  EXPECT_EQ(get("res"), "keep");
  advance_days(40);
  EXPECT_EQ(get("res"), "keep");
  EXPECT_AWS_ERROR(fails("RestoreSecret", {{"SecretId", "nope"}}), "ResourceNotFoundException");
}

// ---------------------------------------------------------------------------------------------------
// ListSecrets

TEST_F(SecretsManagerTest, ListSecretsFilters) {
  call("CreateSecret", {{"Name", "prod/db"}, {"SecretString", "x"}, {"Description", "Database password"},
                        {"Tags", {{{"Key", "team"}, {"Value", "payments"}}}}});
  call("CreateSecret", {{"Name", "prod/api"}, {"SecretString", "x"}, {"Description", "API key"},
                        {"Tags", {{{"Key", "team"}, {"Value", "search"}}}}});
  call("CreateSecret", {{"Name", "dev/db"}, {"SecretString", "x"}, {"Tags", {{{"Key", "owner"}, {"Value", "me"}}}}});
  auto names = [&](const Json& filters) {
    std::set<std::string> out;
    Json listed = call("ListSecrets", {{"Filters", filters}});
    for (const auto& s : listed["SecretList"]) out.insert(s["Name"]);
    return out;
  };
  using S = std::set<std::string>;
  EXPECT_EQ(names({{{"Key", "name"}, {"Values", {"prod"}}}}), (S{"prod/db", "prod/api"}));
  EXPECT_EQ(names({{{"Key", "name"}, {"Values", {"Prod"}}}}), S{});  // name is case-sensitive
  EXPECT_EQ(names({{{"Key", "name"}, {"Values", {"!prod"}}}}), S{"dev/db"});
  EXPECT_EQ(names({{{"Key", "name"}, {"Values", {"prod", "dev/"}}}}), (S{"prod/db", "prod/api", "dev/db"}));
  EXPECT_EQ(names({{{"Key", "description"}, {"Values", {"database"}}}}), S{"prod/db"});  // not case-sensitive
  EXPECT_EQ(names({{{"Key", "tag-key"}, {"Values", {"tea"}}}}), (S{"prod/db", "prod/api"}));
  EXPECT_EQ(names({{{"Key", "tag-value"}, {"Values", {"pay"}}}}), S{"prod/db"});
  EXPECT_EQ(names({{{"Key", "tag-key"}, {"Values", {"team"}}}, {{"Key", "tag-value"}, {"Values", {"!search"}}}}),
            S{"prod/db"});
  EXPECT_EQ(names({{{"Key", "all"}, {"Values", {"PASSWORD"}}}}), S{"prod/db"});
  EXPECT_EQ(names({{{"Key", "all"}, {"Values", {"me"}}}}), S{"dev/db"});
  EXPECT_EQ(names({{{"Key", "primary-region"}, {"Values", {"us-east-1"}}}}), S{});
  EXPECT_EQ(names({{{"Key", "owning-service"}, {"Values", {"rds"}}}}), S{});
  // the model refuses an unknown filter key
  EXPECT_AWS_ERROR(fails("ListSecrets", {{"Filters", {{{"Key", "colour"}, {"Values", {"x"}}}}}}), "ValidationException");
}

// Services that manage secrets (RDS master passwords) mark them with OwningService through an internal call;
// an external request can't set it.
TEST_F(SecretsManagerTest, OwningServiceFromInternalCallers) {
  call("CreateSecret", {{"Name", "rds!db-1234"}, {"SecretString", "{}"}, {"OwningService", "rds"}});
  EXPECT_EQ(describe("rds!db-1234")["OwningService"], "rds");
  Json listed = call("ListSecrets", {{"Filters", {{{"Key", "owning-service"}, {"Values", {"rds"}}}}}});
  ASSERT_EQ(listed["SecretList"].size(), 1u);
  EXPECT_EQ(listed["SecretList"][0]["Name"], "rds!db-1234");
  ASSERT_EQ(http("CreateSecret", {{"Name", "mine"}, {"SecretString", "x"}, {"OwningService", "rds"}}).status, 200);
  EXPECT_FALSE(describe("mine").contains("OwningService"));
}

TEST_F(SecretsManagerTest, ListSecretsSortsPagesAndHidesDeleted) {
  for (int i = 0; i < 5; ++i) {
    create("s" + std::to_string(i));
    advance_days(0.001);
  }
  call("DeleteSecret", {{"SecretId", "s2"}});
  auto collect = [&](Json req) {
    std::vector<std::string> out;
    req["MaxResults"] = 2;
    for (int guard = 0; guard < 10; ++guard) {
      Json page = call("ListSecrets", req);
      EXPECT_LE(page["SecretList"].size(), 2u);
      for (const auto& s : page["SecretList"]) out.push_back(s["Name"]);
      if (!page.contains("NextToken")) break;
      req["NextToken"] = page["NextToken"];
    }
    return out;
  };
  EXPECT_EQ(collect(Json::object()), (std::vector<std::string>{"s0", "s1", "s3", "s4"}));
  EXPECT_EQ(collect({{"SortOrder", "desc"}}), (std::vector<std::string>{"s4", "s3", "s1", "s0"}));
  EXPECT_EQ(collect({{"IncludePlannedDeletion", true}}), (std::vector<std::string>{"s0", "s1", "s2", "s3", "s4"}));
  EXPECT_EQ(collect({{"SortBy", "name"}, {"SortOrder", "desc"}}), (std::vector<std::string>{"s4", "s3", "s1", "s0"}));
  Json deleted = call("ListSecrets", {{"IncludePlannedDeletion", true}, {"Filters", {{{"Key", "name"}, {"Values", {"s2"}}}}}});
  ASSERT_EQ(deleted["SecretList"].size(), 1u);
  EXPECT_TRUE(deleted["SecretList"][0].contains("DeletedDate"));
  // list entries carry SecretVersionsToStages
  EXPECT_TRUE(deleted["SecretList"][0].contains("SecretVersionsToStages"));
  EXPECT_FALSE(deleted["SecretList"][0].contains("VersionIdsToStages"));
  // a token still works when the secret it points at is gone
  Json p1 = call("ListSecrets", {{"MaxResults", 2}});
  ASSERT_EQ(p1["SecretList"][1]["Name"], "s1");
  call("DeleteSecret", {{"SecretId", "s3"}, {"ForceDeleteWithoutRecovery", true}});
  Json p2 = call("ListSecrets", {{"MaxResults", 2}, {"NextToken", p1["NextToken"]}});
  ASSERT_EQ(p2["SecretList"].size(), 1u);
  EXPECT_EQ(p2["SecretList"][0]["Name"], "s4");
  EXPECT_FALSE(p2.contains("NextToken"));
  // tokens are bound to the request they came from
  Json first = call("ListSecrets", {{"MaxResults", 1}});
  EXPECT_AWS_ERROR(fails("ListSecrets", {{"MaxResults", 1}, {"SortOrder", "desc"}, {"NextToken", first["NextToken"]}}),
                   "InvalidNextTokenException");
  EXPECT_AWS_ERROR(fails("ListSecrets", {{"MaxResults", 101}}), "ValidationException");
}

// ---------------------------------------------------------------------------------------------------
// BatchGetSecretValue

TEST_F(SecretsManagerTest, BatchGetSecretValue) {
  create("b1", "one");
  create("b2", "two");
  create("gone", "x");
  call("DeleteSecret", {{"SecretId", "gone"}});
  Json out = call("BatchGetSecretValue", {{"SecretIdList", {"b1", "b2", "missing", "gone"}}});
  ASSERT_EQ(out["SecretValues"].size(), 2u);
  EXPECT_EQ(out["SecretValues"][0]["SecretString"], "one");
  EXPECT_EQ(out["SecretValues"][1]["SecretString"], "two");
  ASSERT_EQ(out["Errors"].size(), 2u);
  EXPECT_EQ(out["Errors"][0]["SecretId"], "missing");
  EXPECT_EQ(out["Errors"][0]["ErrorCode"], "ResourceNotFoundException");
  EXPECT_EQ(out["Errors"][1]["SecretId"], "gone");
  EXPECT_EQ(out["Errors"][1]["ErrorCode"], "InvalidRequestException");

  Json filtered = call("BatchGetSecretValue", {{"Filters", {{{"Key", "name"}, {"Values", {"b"}}}}}, {"MaxResults", 1}});
  ASSERT_EQ(filtered["SecretValues"].size(), 1u);
  EXPECT_EQ(filtered["SecretValues"][0]["Name"], "b1");
  ASSERT_TRUE(filtered.contains("NextToken"));
  Json next = call("BatchGetSecretValue", {{"Filters", {{{"Key", "name"}, {"Values", {"b"}}}}},
                                           {"MaxResults", 1},
                                           {"NextToken", filtered["NextToken"]}});
  ASSERT_EQ(next["SecretValues"].size(), 1u);
  EXPECT_EQ(next["SecretValues"][0]["Name"], "b2");

  EXPECT_AWS_ERROR(fails("BatchGetSecretValue", {{"SecretIdList", {"b1"}}, {"Filters", {{{"Key", "name"}, {"Values", {"b"}}}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("BatchGetSecretValue", {{"SecretIdList", {"b1"}}, {"MaxResults", 5}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("BatchGetSecretValue", Json::object()), "InvalidParameterException");
}

// ---------------------------------------------------------------------------------------------------
// Tags

TEST_F(SecretsManagerTest, TagAndUntag) {
  create("tags");
  call("TagResource", {{"SecretId", "tags"}, {"Tags", {{{"Key", "a"}, {"Value", "1"}}, {{"Key", "b"}, {"Value", "2"}}}}});
  call("TagResource", {{"SecretId", "tags"}, {"Tags", {{{"Key", "a"}, {"Value", "3"}}}}});
  EXPECT_EQ(describe("tags")["Tags"], Json::parse(R"([{"Key":"a","Value":"3"},{"Key":"b","Value":"2"}])"));
  call("UntagResource", {{"SecretId", "tags"}, {"TagKeys", {"a", "not-there"}}});
  EXPECT_EQ(describe("tags")["Tags"], Json::parse(R"([{"Key":"b","Value":"2"}])"));
  EXPECT_AWS_ERROR(fails("TagResource", {{"SecretId", "tags"}, {"Tags", {{{"Key", "aws:reserved"}, {"Value", "x"}}}}}),
                   "InvalidParameterException");
  Json fifty = Json::array();
  for (int i = 0; i < 50; ++i) fifty.push_back({{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  EXPECT_AWS_ERROR(fails("TagResource", {{"SecretId", "tags"}, {"Tags", fifty}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("TagResource", {{"SecretId", "nope"}, {"Tags", fifty}}), "ResourceNotFoundException");
}

// ---------------------------------------------------------------------------------------------------
// Resource policies

TEST_F(SecretsManagerTest, ResourcePolicies) {
  create("pol");
  EXPECT_FALSE(call("GetResourcePolicy", {{"SecretId", "pol"}}).contains("ResourcePolicy"));
  std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]})";
  Json put = call("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", policy}, {"BlockPublicPolicy", true}});
  EXPECT_EQ(put["Name"], "pol");
  EXPECT_EQ(call("GetResourcePolicy", {{"SecretId", "pol"}})["ResourcePolicy"], policy);
  call("DeleteResourcePolicy", {{"SecretId", "pol"}});
  EXPECT_FALSE(call("GetResourcePolicy", {{"SecretId", "pol"}}).contains("ResourcePolicy"));

  AwsError bad = fails("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", "{not json"}});
  EXPECT_EQ(bad.code, "MalformedPolicyDocumentException");
  EXPECT_AWS_ERROR(fails("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy",
      R"({"Version":"2012-10-17","Statement":[{"Effect":"AllowSomething","Principal":"*","Action":"secretsmanager:*","Resource":"*"}]})"}}),
                   "MalformedPolicyDocumentException");

  std::string open =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]})";
  AwsError pub = fails("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", open}, {"BlockPublicPolicy", true}});
  EXPECT_EQ(pub.code, "PublicPolicyException");
  EXPECT_NO_THROW(call("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", open}}));
  std::string pinned =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]})";
  EXPECT_NO_THROW(call("PutResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", pinned}, {"BlockPublicPolicy", true}}));

  Json ok = call("ValidateResourcePolicy", {{"ResourcePolicy", policy}});
  EXPECT_TRUE(ok["PolicyValidationPassed"].get<bool>());
  EXPECT_TRUE(ok["ValidationErrors"].empty());
  Json broad = call("ValidateResourcePolicy", {{"SecretId", "pol"}, {"ResourcePolicy", open}});
  EXPECT_FALSE(broad["PolicyValidationPassed"].get<bool>());
  EXPECT_EQ(broad["ValidationErrors"].size(), 1u);
  EXPECT_AWS_ERROR(fails("ValidateResourcePolicy", {{"ResourcePolicy", "[]"}}), "MalformedPolicyDocumentException");
  EXPECT_AWS_ERROR(fails("ValidateResourcePolicy", {{"SecretId", "nope"}, {"ResourcePolicy", policy}}),
                   "ResourceNotFoundException");
}

// ---------------------------------------------------------------------------------------------------
// GetRandomPassword

TEST_F(SecretsManagerTest, GetRandomPasswordDefaults) {
  const std::string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::string pw = call("GetRandomPassword", Json::object())["RandomPassword"];
  EXPECT_EQ(pw.size(), 32u);
  bool lower = false, upper = false, digit = false, punct = false;
  for (char c : pw) {
    lower |= std::islower(static_cast<unsigned char>(c)) != 0;
    upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
    digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
    punct |= punctuation.find(c) != std::string::npos;
    EXPECT_NE(c, ' ');
  }
  EXPECT_TRUE(lower && upper && digit && punct) << pw;
  EXPECT_NE(pw, call("GetRandomPassword", Json::object())["RandomPassword"].get<std::string>());
}

TEST_F(SecretsManagerTest, RawWritesWithoutClientRequestTokenAreRefused) {
  for (const char* op : {"CreateSecret", "PutSecretValue", "UpdateSecret"}) {
    Json body = {{"SecretString", "x"}};
    body[std::string(op) == "CreateSecret" ? "Name" : "SecretId"] = "tokenless";
    HttpResponse r = http(op, body, false);
    EXPECT_EQ(r.status, 400) << op;
    EXPECT_EQ(Json::parse(r.body)["__type"], "InvalidRequestException") << op;
    EXPECT_EQ(Json::parse(r.body)["Message"], "You must provide a ClientRequestToken value. We recommend a UUID-type value.");
    if (std::string(op) == "CreateSecret") EXPECT_EQ(http("CreateSecret", body).status, 200);
  }
  EXPECT_EQ(http("CreateSecret", {{"Name", "valueless"}}, false).status, 200);
}

TEST_F(SecretsManagerTest, GetRandomPasswordOptions) {
  std::string digits = call("GetRandomPassword", {{"PasswordLength", 4096},
                                                  {"ExcludeLowercase", true},
                                                  {"ExcludeUppercase", true},
                                                  {"ExcludePunctuation", true},
                                                  {"ExcludeCharacters", "0123"}})["RandomPassword"];
  EXPECT_EQ(digits.size(), 4096u);
  for (char c : digits) EXPECT_TRUE(c >= '4' && c <= '9') << c;
  // Only '9' and ' ' can be drawn: the chance of no space in 199 draws is 2^-199.
  std::string spaced = call("GetRandomPassword", {{"PasswordLength", 200},
                                                  {"IncludeSpace", true},
                                                  {"ExcludeLowercase", true},
                                                  {"ExcludeUppercase", true},
                                                  {"ExcludePunctuation", true},
                                                  {"ExcludeCharacters", "012345678"}})["RandomPassword"];
  EXPECT_NE(spaced.find(' '), std::string::npos);
  EXPECT_EQ(call("GetRandomPassword", {{"PasswordLength", 1}, {"RequireEachIncludedType", false}})["RandomPassword"]
                .get<std::string>()
                .size(),
            1u);
  EXPECT_AWS_ERROR(fails("GetRandomPassword", {{"PasswordLength", 3}}), "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("GetRandomPassword", {{"ExcludeLowercase", true},
                                               {"ExcludeUppercase", true},
                                               {"ExcludeNumbers", true},
                                               {"ExcludePunctuation", true}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("GetRandomPassword", {{"PasswordLength", 0}}), "ValidationException");
  EXPECT_AWS_ERROR(fails("GetRandomPassword", {{"PasswordLength", 4097}}), "ValidationException");
}

// ---------------------------------------------------------------------------------------------------
// Replication

TEST_F(SecretsManagerTest, ReplicasAreReadOnlySecretsInTheOtherRegion) {
  Json out = call("CreateSecret", {{"Name", "rep"}, {"SecretString", "v1"}, {"AddReplicaRegions", {{{"Region", "us-west-2"}}}}});
  std::string arn = out["ARN"];
  ASSERT_EQ(out["ReplicationStatus"].size(), 1u);
  EXPECT_EQ(out["ReplicationStatus"][0]["Region"], "us-west-2");
  EXPECT_EQ(out["ReplicationStatus"][0]["Status"], "InSync");

  Json replica = call("DescribeSecret", {{"SecretId", "rep"}}, "us-west-2");
  std::string replica_arn = replica["ARN"];
  EXPECT_EQ(replica_arn, std::regex_replace(arn, std::regex("us-east-1"), "us-west-2"));
  EXPECT_EQ(replica["PrimaryRegion"], "us-east-1");
  EXPECT_EQ(describe("rep")["PrimaryRegion"], "us-east-1");
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", replica_arn}}, "us-west-2")["SecretString"], "v1");

  // kept in sync
  call("PutSecretValue", {{"SecretId", "rep"}, {"SecretString", "v2"}});
  call("TagResource", {{"SecretId", "rep"}, {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}});
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "rep"}}, "us-west-2")["SecretString"], "v2");
  EXPECT_EQ(call("DescribeSecret", {{"SecretId", "rep"}}, "us-west-2")["Tags"].size(), 1u);
  EXPECT_EQ(call("DescribeSecret", {{"SecretId", "rep"}}, "us-west-2")["VersionIdsToStages"],
            describe("rep")["VersionIdsToStages"]);

  // read-only there
  AwsError ro = fails("PutSecretValue", {{"SecretId", "rep"}, {"SecretString", "x"}}, "us-west-2");
  EXPECT_EQ(ro.code, "InvalidRequestException");
  EXPECT_STREQ(ro.what(), "Operation not permitted on a replica secret. Call must be made in primary secret's region.");
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "rep"}}, "us-west-2"), "InvalidRequestException");
  EXPECT_AWS_ERROR(fails("TagResource", {{"SecretId", "rep"}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}, "us-west-2"),
                   "InvalidRequestException");
  // and the primary can't be deleted while it has replicas
  EXPECT_AWS_ERROR(fails("DeleteSecret", {{"SecretId", "rep"}}), "InvalidParameterException");

  Json ls = call("ListSecrets", {{"Filters", {{{"Key", "primary-region"}, {"Values", {"us-east-1"}}}}}}, "us-west-2");
  EXPECT_EQ(ls["SecretList"].size(), 1u);

  Json removed = call("RemoveRegionsFromReplication", {{"SecretId", "rep"}, {"RemoveReplicaRegions", {"us-west-2"}}});
  EXPECT_TRUE(removed["ReplicationStatus"].empty());
  EXPECT_AWS_ERROR(fails("DescribeSecret", {{"SecretId", "rep"}}, "us-west-2"), "ResourceNotFoundException");
  EXPECT_FALSE(describe("rep").contains("PrimaryRegion"));
  EXPECT_NO_THROW(call("DeleteSecret", {{"SecretId", "rep"}, {"ForceDeleteWithoutRecovery", true}}));
}

TEST_F(SecretsManagerTest, ReplicateSecretToRegionsAndStopReplication) {
  create("rep2", "v");
  call("CreateSecret", {{"Name", "rep2"}, {"SecretString", "theirs"}}, "eu-west-1");
  Json out = call("ReplicateSecretToRegions", {{"SecretId", "rep2"},
                                               {"AddReplicaRegions", {{{"Region", "eu-west-1"}}, {{"Region", "ap-south-1"}, {"KmsKeyId", "alias/k"}}}}});
  ASSERT_EQ(out["ReplicationStatus"].size(), 2u);
  EXPECT_EQ(out["ReplicationStatus"][0]["Status"], "Failed");  // the name is taken there
  EXPECT_EQ(out["ReplicationStatus"][1]["Status"], "InSync");
  EXPECT_EQ(out["ReplicationStatus"][1]["KmsKeyId"], "alias/k");
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "rep2"}}, "eu-west-1")["SecretString"], "theirs");
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "rep2"}}, "ap-south-1")["SecretString"], "v");

  EXPECT_AWS_ERROR(fails("ReplicateSecretToRegions", {{"SecretId", "rep2"}, {"AddReplicaRegions", {{{"Region", "us-east-1"}}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("ReplicateSecretToRegions", {{"SecretId", "rep2"}, {"AddReplicaRegions", {{{"Region", "ap-south-1"}}}}}),
                   "InvalidParameterException");
  EXPECT_AWS_ERROR(fails("RemoveRegionsFromReplication", {{"SecretId", "rep2"}, {"RemoveReplicaRegions", {"sa-east-1"}}}),
                   "InvalidParameterException");

  // StopReplicationToReplica promotes the replica to a standalone secret.
  EXPECT_AWS_ERROR(fails("StopReplicationToReplica", {{"SecretId", "rep2"}}), "InvalidRequestException");
  Json stopped = call("StopReplicationToReplica", {{"SecretId", "rep2"}}, "ap-south-1");
  EXPECT_NE(stopped["ARN"].get<std::string>().find(":ap-south-1:"), std::string::npos);
  EXPECT_FALSE(call("DescribeSecret", {{"SecretId", "rep2"}}, "ap-south-1").contains("PrimaryRegion"));
  EXPECT_NO_THROW(call("PutSecretValue", {{"SecretId", "rep2"}, {"SecretString", "own"}}, "ap-south-1"));
  Json primary = describe("rep2");
  ASSERT_EQ(primary["ReplicationStatus"].size(), 1u);  // only the failed eu-west-1 entry is left
  EXPECT_EQ(primary["ReplicationStatus"][0]["Region"], "eu-west-1");

  // ForceOverwriteReplicaSecret replaces a same-named secret in the target region.
  call("RemoveRegionsFromReplication", {{"SecretId", "rep2"}, {"RemoveReplicaRegions", {"eu-west-1"}}});
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "rep2"}}, "eu-west-1")["SecretString"], "theirs");
  Json forced = call("ReplicateSecretToRegions", {{"SecretId", "rep2"},
                                                  {"AddReplicaRegions", {{{"Region", "eu-west-1"}}}},
                                                  {"ForceOverwriteReplicaSecret", true}});
  EXPECT_EQ(forced["ReplicationStatus"][0]["Status"], "InSync");
  EXPECT_EQ(call("GetSecretValue", {{"SecretId", "rep2"}}, "eu-west-1")["SecretString"], "v");
}

// ---------------------------------------------------------------------------------------------------
// Rotation

TEST_F(SecretsManagerTest, RotationNeedsLambdaWhichCloudboxDoesNotRun) {
  create("rotate");
  AwsError with_lambda = fails("RotateSecret", {{"SecretId", "rotate"},
                                                {"RotationLambdaARN", "arn:aws:lambda:us-east-1:000000000000:function:rot"},
                                                {"RotationRules", {{"AutomaticallyAfterDays", 30}}}});
  EXPECT_EQ(with_lambda.code, "InvalidRequestException");
  EXPECT_NE(std::string(with_lambda.what()).find("cloudbox does not run Lambda functions"), std::string::npos);
  AwsError without = fails("RotateSecret", {{"SecretId", "rotate"}});
  EXPECT_EQ(without.code, "InvalidRequestException");
  EXPECT_FALSE(describe("rotate").contains("RotationEnabled"));
  EXPECT_AWS_ERROR(fails("RotateSecret", {{"SecretId", "nope"}}), "ResourceNotFoundException");

  Json cancel = call("CancelRotateSecret", {{"SecretId", "rotate"}});
  EXPECT_EQ(cancel["Name"], "rotate");
  EXPECT_FALSE(cancel.contains("VersionId"));
  EXPECT_AWS_ERROR(fails("CancelRotateSecret", {{"SecretId", "nope"}}), "ResourceNotFoundException");
}

TEST_F(SecretsManagerTest, CancelRotateSecretReportsTheUnfinishedPendingVersion) {
  create("cancel", "v1");
  std::string pending = call("PutSecretValue", {{"SecretId", "cancel"}, {"SecretString", "v2"}, {"VersionStages", {"AWSPENDING"}}})["VersionId"];
  Json out = call("CancelRotateSecret", {{"SecretId", "cancel"}});
  EXPECT_EQ(out["VersionId"], pending);
  call("DeleteSecret", {{"SecretId", "cancel"}});
  EXPECT_AWS_ERROR(fails("CancelRotateSecret", {{"SecretId", "cancel"}}), "InvalidRequestException");
  EXPECT_AWS_ERROR(fails("RotateSecret", {{"SecretId", "cancel"}}), "InvalidRequestException");
}

// ---------------------------------------------------------------------------------------------------
// Durability

TEST(SecretsManagerDurability, StateSurvivesARestart) {
  auto dir = std::filesystem::temp_directory_path() / ("cloudbox-sm-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::string arn, v1, v2, bytes("\x00\xff\x10", 3);
  {
    Core core{Options{.state_dir = dir.string()}};
    RequestContext ctx{core};
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
    arn = core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "durable"}, {"SecretString", "one"}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}})["ARN"];
    v1 = core.invoke(ctx, "secretsmanager", "DescribeSecret", {{"SecretId", "durable"}})["VersionIdsToStages"].begin().key();
    v2 = core.invoke(ctx, "secretsmanager", "PutSecretValue", {{"SecretId", "durable"}, {"SecretString", "two"}})["VersionId"];
    core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "bin"}, {"SecretBinary", bytes}});
    core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "doomed"}, {"SecretString", "x"}});
    core.invoke(ctx, "secretsmanager", "DeleteSecret", {{"SecretId", "doomed"}});
  }
  {
    Core core{Options{.state_dir = dir.string()}};
    RequestContext ctx{core};
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
    Json d = core.invoke(ctx, "secretsmanager", "DescribeSecret", {{"SecretId", arn}});
    EXPECT_EQ(d["VersionIdsToStages"], Json({{v2, {"AWSCURRENT"}}, {v1, {"AWSPREVIOUS"}}}));
    EXPECT_EQ(d["Tags"].size(), 1u);
    EXPECT_EQ(core.invoke(ctx, "secretsmanager", "GetSecretValue", {{"SecretId", "durable"}})["SecretString"], "two");
    EXPECT_EQ(core.invoke(ctx, "secretsmanager", "GetSecretValue", {{"SecretId", "bin"}})["SecretBinary"].get<std::string>(), bytes);
    EXPECT_TRUE(core.invoke(ctx, "secretsmanager", "DescribeSecret", {{"SecretId", "doomed"}}).contains("DeletedDate"));
    // new secrets after a restart still sort after the old ones
    core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "later"}, {"SecretString", "x"}});
    Json names = core.invoke(ctx, "secretsmanager", "ListSecrets", Json::object())["SecretList"];
    ASSERT_EQ(names.size(), 3u);
    EXPECT_EQ(names[2]["Name"], "later");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cloudbox
