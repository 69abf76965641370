// Core::handle: routing of raw HTTP requests, admin endpoints, and error envelopes before a handler runs.
#include <gtest/gtest.h>

#include "core/core.h"

namespace cloudbox {
namespace {

HttpRequest signed_request(const std::string& service, const std::string& method = "POST") {
  HttpRequest r;
  r.method = method;
  r.path = "/";
  r.headers = {{"authorization", "AWS4-HMAC-SHA256 Credential=test/20240101/us-west-2/" + service +
                                     "/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"},
               {"x-amz-date", "20240101T000000Z"}};
  return r;
}

class DispatchTest : public ::testing::Test {
 protected:
  Core core{Options{.ephemeral = true}};
};

TEST_F(DispatchTest, HealthListsServices) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/_cloudbox/health";
  HttpResponse resp = core.handle(r);
  ASSERT_EQ(resp.status, 200);
  Json body = Json::parse(resp.body);
  EXPECT_EQ(body["status"], "running");
  EXPECT_EQ(body["version"], core.version());
  EXPECT_TRUE(body["services"].is_object());
  EXPECT_TRUE(body["ephemeral"].get<bool>());
}

TEST_F(DispatchTest, ClockAdvancesAndRefusesToGoBack) {
  HttpRequest get;
  get.method = "GET";
  get.path = "/_cloudbox/clock";
  std::string before = Json::parse(core.handle(get).body)["now"];

  HttpRequest post;
  post.method = "POST";
  post.path = "/_cloudbox/clock";
  post.body = R"({"advance_seconds": 86400})";
  HttpResponse moved = core.handle(post);
  ASSERT_EQ(moved.status, 200);
  std::string after = Json::parse(moved.body)["now"];
  EXPECT_GT(after, before);
  EXPECT_GE(core.clock().offset(), std::chrono::seconds(86400));

  post.body = R"({"set": "2001-01-01T00:00:00Z"})";
  EXPECT_EQ(core.handle(post).status, 400);
  post.body = R"({"advance_seconds": -5})";
  EXPECT_EQ(core.handle(post).status, 400);
  post.body = "not json";
  EXPECT_EQ(core.handle(post).status, 400);
  post.body = R"({"set": "2099-01-01T00:00:00Z"})";
  HttpResponse set = core.handle(post);
  ASSERT_EQ(set.status, 200);
  EXPECT_EQ(Json::parse(set.body)["now"].get<std::string>().substr(0, 10), "2099-01-01");
}

TEST_F(DispatchTest, UnknownAdminEndpointIs404) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/_cloudbox/nope";
  EXPECT_EQ(core.handle(r).status, 404);
}

TEST_F(DispatchTest, UnknownServiceInScope) {
  HttpRequest r = signed_request("kinesis");
  r.headers.push_back({"x-amz-target", "Kinesis_20131202.ListStreams"});
  r.body = "{}";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("UnknownService"), std::string::npos) << resp.body;
}

TEST_F(DispatchTest, UnknownJsonOperation) {
  HttpRequest r = signed_request("secretsmanager");
  r.headers.push_back({"x-amz-target", "secretsmanager.StealSecrets"});
  r.headers.push_back({"content-type", "application/x-amz-json-1.1"});
  r.body = "{}";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(Json::parse(resp.body)["__type"], "UnknownOperationException");
}

TEST_F(DispatchTest, UnknownQueryActionAndWrongVersion) {
  HttpRequest r = signed_request("sts");
  r.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
  r.body = "Action=StealCredentials&Version=2011-06-15";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("<Code>InvalidAction</Code>"), std::string::npos) << resp.body;

  r.body = "Action=GetCallerIdentity&Version=1999-01-01";
  resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("<Code>InvalidAction</Code>"), std::string::npos) << resp.body;
}

TEST_F(DispatchTest, ModelOperationWithoutHandlerIsNotImplemented) {
  HttpRequest r = signed_request("ec2");
  r.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
  r.body = "Action=DescribeSpotFleetRequests&Version=2016-11-15";
  HttpResponse resp = core.handle(r);
  if (core.service("ec2") == nullptr) {
    EXPECT_EQ(resp.status, 501);
    EXPECT_NE(resp.body.find("<Code>NotImplemented</Code>"), std::string::npos) << resp.body;
  } else {
    EXPECT_NE(resp.status, 500) << resp.body;
  }
}

TEST_F(DispatchTest, MalformedAuthorizationIsIncompleteSignature) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"authorization", "AWS4-HMAC-SHA256 garbage"}, {"x-amz-target", "secretsmanager.ListSecrets"}};
  r.body = "{}";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("IncompleteSignature"), std::string::npos) << resp.body;
}

TEST_F(DispatchTest, UnsignedQueryRequestIsRoutedByActionAndVersion) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"content-type", "application/x-www-form-urlencoded"}};
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  EXPECT_NE(resp.body.find("<Account>000000000000</Account>"), std::string::npos) << resp.body;
}

TEST_F(DispatchTest, AccountFromTwelveDigitKey) {
  HttpRequest r = signed_request("sts");
  r.headers[0].second = "AWS4-HMAC-SHA256 Credential=111122223333/20240101/us-east-1/sts/aws4_request, "
                        "SignedHeaders=host, Signature=abc";
  r.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  HttpResponse resp = core.handle(r);
  EXPECT_NE(resp.body.find("<Arn>arn:aws:iam::111122223333:root</Arn>"), std::string::npos) << resp.body;
}

}  // namespace
}  // namespace cloudbox

namespace cloudbox {
namespace {

TEST(CredentialDirectoryTest, ExpiredCredentialsArePurgedAfterAWeek) {
  Core core{Options{.ephemeral = true}};
  Credential c;
  c.access_key_id = "ASIATESTTESTTESTTEST";
  c.account_id = "000000000000";
  c.expiration = core.clock().now() + std::chrono::hours(1);
  core.credentials().add(c);
  core.tick();
  EXPECT_TRUE(core.credentials().find(c.access_key_id));
  core.clock().advance(std::chrono::hours(24 * 8));
  core.tick();
  EXPECT_FALSE(core.credentials().find(c.access_key_id));
}

}  // namespace
}  // namespace cloudbox

namespace cloudbox {
namespace {

TEST(DispatchEnforced, OldSignaturesAreRefused) {
  Options o;
  o.ephemeral = true;
  o.enforce_iam = true;
  Core core(o);
  HttpRequest r = signed_request("sts");
  r.headers[1].second = "20200101T000000Z";
  r.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
  r.body = "Action=GetCallerIdentity&Version=2011-06-15";
  HttpResponse resp = core.handle(r);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("<Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20200101T000000Z is now earlier than"),
            std::string::npos) << resp.body;
}

TEST_F(DispatchTest, ClockCannotWrapAround) {
  HttpRequest post;
  post.method = "POST";
  post.path = "/_cloudbox/clock";
  for (const char* body : {R"({"advance_seconds": 1e12})", R"({"advance_seconds": 1e300})", R"({"set": "2300-01-01T00:00:00Z"})"}) {
    post.body = body;
    EXPECT_EQ(core.handle(post).status, 400) << body;
  }
  EXPECT_LT(core.clock().offset(), std::chrono::hours(1));
}

TEST_F(DispatchTest, ResetKeepsTheClock) {
  core.clock().advance(std::chrono::hours(48));
  HttpRequest post;
  post.method = "POST";
  post.path = "/_cloudbox/reset";
  ASSERT_EQ(core.handle(post).status, 200);
  EXPECT_GE(core.clock().offset(), std::chrono::hours(48));
}

}  // namespace
}  // namespace cloudbox
