// SigV4 parsing and verification, checked against AWS's published Signature Version 4 test suite
// (the "aws-sig-v4-test-suite" of the AWS General Reference, as kept by awslabs/aws-c-auth) and against
// requests signed by botocore.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/auth/sigv4.h"
#include "core/common/error.h"

using namespace cloudbox;

namespace {

constexpr const char* kSuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kSuiteScope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
constexpr const char* kSuiteDate = "20150830T123600Z";

HttpRequest make_request(std::string method, std::string path, std::string query,
                         std::vector<std::pair<std::string, std::string>> headers, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  for (auto& [k, v] : headers) {
    std::string lower = k;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(lower, v);
  }
  r.body = std::move(body);
  return r;
}

std::string suite_auth(const std::string& signed_headers, const std::string& signature) {
  return std::string("AWS4-HMAC-SHA256 Credential=") + kSuiteScope + ", SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

// A request of the suite signed in the Authorization header, with host and x-amz-date.
HttpRequest suite_header_request(std::string method, std::string path, std::string query,
                                 std::vector<std::pair<std::string, std::string>> extra,
                                 const std::string& signed_headers, const std::string& signature,
                                 std::string body = "") {
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.amazonaws.com"}};
  for (auto& h : extra) headers.push_back(h);
  headers.emplace_back("Authorization", suite_auth(signed_headers, signature));
  headers.emplace_back("X-Amz-Date", kSuiteDate);
  return make_request(std::move(method), std::move(path), std::move(query), std::move(headers), std::move(body));
}

bool verifies(const HttpRequest& r, const std::string& secret) {
  auto info = parse_sigv4(r);
  EXPECT_TRUE(info.has_value());
  if (!info) return false;
  return verify_sigv4(r, *info, secret);
}

struct SuiteCase {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  std::vector<std::pair<std::string, std::string>> headers;
  const char* signed_headers;
  const char* signature;
  const char* body;
};

}  // namespace

TEST(SigV4Suite, HeaderSignedVectors) {
  const std::vector<SuiteCase> cases = {
      {"get-vanilla", "GET", "/", "", {}, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""},
      {"get-relative-relative-normalized", "GET", "/example1/example2/../..", "", {}, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", ""},
      {"get-slashes-normalized", "GET", "//example//", "", {}, "host;x-amz-date",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84", ""},
      {"get-space-normalized", "GET", "/example space/", "", {}, "host;x-amz-date",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741", ""},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", {},
       "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f", ""},
      {"get-utf8", "GET", "/\xE1\x88\xB4", "", {}, "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", ""},
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {}, "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", ""},
      {"get-vanilla-query-unreserved", "GET", "/",
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {}, "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197", ""},
      {"get-vanilla-utf8-query", "GET", "/", "\xE1\x88\xB4=bar", {}, "host;x-amz-date",
       "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04", ""},
      {"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", {}, "host;x-amz-date",
       "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb", ""},
      {"get-header-value-trim", "GET", "/", "", {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
       ""},
      {"get-header-key-duplicate", "GET", "/", "",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}},
       "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea", ""},
      {"get-vanilla-with-session-token", "GET", "/", "",
       {{"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"}},
       "host;x-amz-date;x-amz-security-token", "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
       ""},
      {"post-vanilla", "POST", "/", "", {}, "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", ""},
      {"post-x-www-form-urlencoded", "POST", "/", "",
       {{"Content-Type", "application/x-www-form-urlencoded"},
        {"Content-Length", "13"},
        {"x-amz-content-sha256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"}},
       "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
       "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b", "Param1=value1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpRequest r = suite_header_request(c.method, c.path, c.query, c.headers, c.signed_headers, c.signature, c.body);
    auto info = parse_sigv4(r);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(info->date, "20150830");
    EXPECT_EQ(info->region, "us-east-1");
    EXPECT_EQ(info->service, "service");
    EXPECT_EQ(info->amz_date, kSuiteDate);
    EXPECT_FALSE(info->presigned);
    EXPECT_TRUE(verify_sigv4(r, *info, kSuiteSecret));
    EXPECT_FALSE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz"));
  }
}

TEST(SigV4Suite, PresignedVectors) {
  struct Q {
    const char* name;
    const char* method;
    const char* path;
    const char* params;  // the request's own parameters, before the signing ones
    const char* signature;
  };
  const std::vector<Q> cases = {
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1&",
       "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"},
      {"get-space-normalized", "GET", "/example space/", "",
       "7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6"},
      {"get-utf8", "GET", "/\xE1\x88\xB4", "", "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44"},
      {"post-vanilla", "POST", "/", "", "2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string query = std::string(c.params) +
                        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
                        "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&"
                        "X-Amz-Expires=3600&X-Amz-Signature=" +
                        c.signature;
    HttpRequest r = make_request(c.method, c.path, query,
                                 {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kSuiteDate}});
    auto info = parse_sigv4(r);
    ASSERT_TRUE(info.has_value());
    EXPECT_TRUE(info->presigned);
    EXPECT_EQ(info->access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(info->service, "service");
    EXPECT_EQ(info->signature, c.signature);
    EXPECT_EQ(info->signed_headers, std::vector<std::string>{"host"});
    EXPECT_TRUE(verify_sigv4(r, *info, kSuiteSecret));
    EXPECT_FALSE(verify_sigv4(r, *info, "other"));
  }
}

TEST(SigV4Suite, TamperedRequestsFail) {
  HttpRequest base = suite_header_request("GET", "/", "Param2=value2&Param1=value1", {}, "host;x-amz-date",
                                          "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  ASSERT_TRUE(verifies(base, kSuiteSecret));

  HttpRequest r = base;
  r.query = "Param2=value2&Param1=value2";
  EXPECT_FALSE(verifies(r, kSuiteSecret));
  r = base;
  r.method = "POST";
  EXPECT_FALSE(verifies(r, kSuiteSecret));
  r = base;
  r.path = "/other";
  EXPECT_FALSE(verifies(r, kSuiteSecret));
  r = base;
  r.body = "x";  // the body is part of the signature (no x-amz-content-sha256 header)
  EXPECT_FALSE(verifies(r, kSuiteSecret));
  r = base;
  for (auto& [k, v] : r.headers)
    if (k == "host") v = "evil.example.com";
  EXPECT_FALSE(verifies(r, kSuiteSecret));
  r = base;
  r.headers.emplace_back("user-agent", "unsigned headers may change");
  EXPECT_TRUE(verifies(r, kSuiteSecret));
  r = base;
  for (auto& [k, v] : r.headers)
    if (k == "x-amz-date") v = "20150830T123601Z";
  EXPECT_FALSE(verifies(r, kSuiteSecret));
}

// Requests signed by botocore 1.29 (Debian's python3-botocore), SigV4Auth / SigV4QueryAuth on an AWSRequest,
// with the clock fixed at 2024-01-02T03:04:05Z.
TEST(SigV4Botocore, QueryProtocolPost) {
  HttpRequest r = make_request(
      "POST", "/", "",
      {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
       {"User-Agent", "test"},
       {"Host", "localhost:4566"},
       {"X-Amz-Date", "20240102T030405Z"},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240102/us-east-1/sts/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=a4f788f9ce375f1e71e42670856dbb986dc98e961d02fa5de42535734663bc04"},
       {"Content-Length", "111"}},
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fdemo&"
      "RoleSessionName=s1");
  auto info = parse_sigv4(r);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->access_key_id, "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(info->region, "us-east-1");
  EXPECT_EQ(info->service, "sts");
  EXPECT_EQ(info->date, "20240102");
  EXPECT_EQ(info->signed_headers, (std::vector<std::string>{"content-type", "host", "x-amz-date"}));
  EXPECT_TRUE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
  EXPECT_FALSE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
  r.body += "&DurationSeconds=900";
  EXPECT_FALSE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
}

TEST(SigV4Botocore, EncodedPathQueryAndSessionToken) {
  // botocore double-encodes the path for every service but S3: /a%20b/c%2Fd is signed as /a%2520b/c%252Fd.
  HttpRequest r = make_request(
      "GET", "/a%20b/c%2Fd", "b=2&a=1&a=0&x=hello%20world",
      {{"User-Agent", "test"},
       {"Host", "localhost:4566"},
       {"X-Amz-Date", "20240102T030405Z"},
       {"X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLETOKEN//+="},
       {"Authorization",
        "AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20240102/eu-west-1/secretsmanager/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=4ef03f8415326ef93967985645969d99a71c645117ea1b5b4d5d5d023d935e7f"}});
  auto info = parse_sigv4(r);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->security_token, "FwoGZXIvYXdzEXAMPLETOKEN//+=");
  EXPECT_EQ(info->region, "eu-west-1");
  EXPECT_EQ(info->service, "secretsmanager");
  EXPECT_TRUE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
  r.query = "b=2&a=1&a=0&x=hello%20worle";
  EXPECT_FALSE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
}

TEST(SigV4Botocore, PresignedGetCallerIdentity) {
  HttpRequest r = make_request(
      "GET", "/",
      "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"
      "X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20240102%2Fus-east-1%2Fsts%2Faws4_request&"
      "X-Amz-Date=20240102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"
      "X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLETOKEN%2F%2F%2B%3D&"
      "X-Amz-Signature=08244bcc7f5f8d8237f2eacc5c857a5f77ecccf4c679e70ed1d0d17867c6a1dd",
      {{"Host", "localhost:4566"}});
  auto info = parse_sigv4(r);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->presigned);
  EXPECT_EQ(info->access_key_id, "ASIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(info->date, "20240102");
  EXPECT_EQ(info->region, "us-east-1");
  EXPECT_EQ(info->service, "sts");
  EXPECT_EQ(info->amz_date, "20240102T030405Z");
  EXPECT_EQ(info->security_token, "FwoGZXIvYXdzEXAMPLETOKEN//+=");
  EXPECT_TRUE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
  r.query = "Action=GetSessionToken" + r.query.substr(r.query.find('&'));
  EXPECT_FALSE(verify_sigv4(r, *info, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
}

TEST(SigV4Parse, NoSigningInformation) {
  EXPECT_FALSE(parse_sigv4(make_request("GET", "/", "", {{"Host", "x"}})).has_value());
  EXPECT_FALSE(parse_sigv4(make_request("GET", "/", "Action=GetCallerIdentity", {{"Host", "x"}})).has_value());
}

TEST(SigV4Parse, ToleratesMissingSpacesAfterCommas) {
  HttpRequest r = make_request(
      "GET", "/", "",
      {{"Host", "example.amazonaws.com"},
       {"X-Amz-Date", kSuiteDate},
       {"Authorization", std::string("AWS4-HMAC-SHA256 Credential=") + kSuiteScope +
                             ",SignedHeaders=host;x-amz-date,Signature="
                             "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}});
  auto info = parse_sigv4(r);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_TRUE(verify_sigv4(r, *info, kSuiteSecret));
}

TEST(SigV4Parse, MalformedHeadersAreIncompleteSignature) {
  auto expect_incomplete = [](const std::string& auth, bool with_date, const std::string& fragment) {
    SCOPED_TRACE(auth);
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", "h"}, {"Authorization", auth}};
    if (with_date) headers.emplace_back("X-Amz-Date", kSuiteDate);
    HttpRequest r = make_request("POST", "/", "", headers);
    try {
      parse_sigv4(r);
      ADD_FAILURE() << "no error";
    } catch (const AwsError& e) {
      EXPECT_EQ(e.code, "IncompleteSignature");
      EXPECT_EQ(e.http_status, 400);
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_incomplete("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host",
                    true, "Authorization header requires 'Signature' parameter.");
  expect_incomplete("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abc", true,
                    "Authorization header requires 'Credential' parameter.");
  expect_incomplete("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, "
                    "Signature=abc",
                    false, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  expect_incomplete("Bearer abc", true,
                    "Authorization header requires 'Credential' parameter. Authorization header requires "
                    "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
                    "Authorization=Bearer abc");
  expect_incomplete("AWS4-HMAC-SHA256 Credential AKID/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, "
                    "Signature=abc",
                    true, "not a valid key=value pair (missing equal-sign) in Authorization header");
  expect_incomplete("AWS4-HMAC-SHA256 Credential=AKID/20240101/sts/aws4_request, SignedHeaders=host, Signature=abc",
                    true, "Credential should be scoped to a valid region.");
  expect_incomplete("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws5_request, SignedHeaders=host, "
                    "Signature=abc",
                    true, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
}

TEST(SigV4Parse, PresignedMissingParameters) {
  HttpRequest r = make_request("GET", "/",
                               "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%"
                               "2Faws4_request&X-Amz-Date=20240101T000000Z",
                               {{"Host", "h"}});
  try {
    parse_sigv4(r);
    ADD_FAILURE() << "no error";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code, "IncompleteSignature");
    EXPECT_NE(std::string(e.what()).find("X-Amz-Signature"), std::string::npos);
  }
}

TEST(SigV4Parse, DateHeaderStandsInForXAmzDate) {
  HttpRequest r = make_request(
      "GET", "/", "",
      {{"Host", "example.amazonaws.com"},
       {"Date", "Sun, 30 Aug 2015 12:36:00 GMT"},
       {"Authorization", suite_auth("host", "0000000000000000000000000000000000000000000000000000000000000000")}});
  auto info = parse_sigv4(r);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->amz_date, kSuiteDate);
}
