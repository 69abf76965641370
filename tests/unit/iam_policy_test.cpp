// The IAM policy engine (src/services/iam/policy): table-driven evaluation cases, each written from the rule of
// AWS's IAM User Guide it checks ("Policy evaluation logic", "IAM JSON policy elements: Condition operators",
// "Conditions with multiple context keys or values", "Policy variables", "Action", "Resource", "Principal",
// "NotAction"/"NotResource"/"NotPrincipal"), plus document validation with IAM's messages.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "services/iam/policy/policy.h"

using namespace cloudbox::iam::policy;

namespace {

// "key=v1|v2;key2=v" → context
Context ctx_of(const std::string& spec) {
  Context c;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ';')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string key = item.substr(0, eq);
    std::vector<std::string> values;
    if (eq != std::string::npos) {
      std::stringstream vs(item.substr(eq + 1));
      std::string v;
      while (std::getline(vs, v, '|')) values.push_back(v);
    }
    c.set(key, values);
  }
  return c;
}

std::string doc(const std::string& statements, const std::string& version = "2012-10-17") {
  return R"({"Version":")" + version + R"(","Statement":[)" + statements + "]}";
}

struct Case {
  const char* name;
  std::string policy;  // full identity policy document
  const char* action;
  const char* resource;
  const char* context;
  const char* expect;  // allowed | explicitDeny | implicitDeny
};

std::string allow(const std::string& body) { return doc(R"({"Effect":"Allow",)" + body + "}"); }
std::string deny_and_allow_all(const std::string& body) {
  return doc(R"({"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny",)" + body + "}");
}
// Allow s3:GetObject on * when the condition holds.
std::string cond(const std::string& condition) {
  return allow(R"("Action":"s3:GetObject","Resource":"*","Condition":)" + condition);
}

const char* kObj = "arn:aws:s3:::bucket/key";

std::vector<Case> cases() {
  std::vector<Case> v = {
      // --- Action element: exact, wildcards, case-insensitivity, lists ---
      {"action exact", allow(R"("Action":"s3:GetObject","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"action other", allow(R"("Action":"s3:GetObject","Resource":"*")"), "s3:PutObject", kObj, "", "implicitDeny"},
      {"action case insensitive", allow(R"("Action":"S3:getobject","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"action star", allow(R"("Action":"*","Resource":"*")"), "ec2:RunInstances", "*", "", "allowed"},
      {"action service star", allow(R"("Action":"s3:*","Resource":"*")"), "s3:ListBucket", kObj, "", "allowed"},
      {"action service star other service", allow(R"("Action":"s3:*","Resource":"*")"), "ec2:DescribeVpcs", "*", "", "implicitDeny"},
      {"action prefix wildcard", allow(R"("Action":"ec2:Describe*","Resource":"*")"), "ec2:DescribeVpcs", "*", "", "allowed"},
      {"action prefix wildcard miss", allow(R"("Action":"ec2:Describe*","Resource":"*")"), "ec2:CreateVpc", "*", "", "implicitDeny"},
      {"action middle wildcard", allow(R"("Action":"iam:*AccessKey*","Resource":"*")"), "iam:CreateAccessKey", "*", "", "allowed"},
      {"action middle wildcard 2", allow(R"("Action":"iam:*AccessKey*","Resource":"*")"), "iam:ListAccessKeys", "*", "", "allowed"},
      {"action question mark", allow(R"("Action":"s3:?etObject","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"action question mark one char", allow(R"("Action":"s3:?etObject","Resource":"*")"), "s3:GGetObject", kObj, "", "implicitDeny"},
      {"action list first", allow(R"("Action":["s3:GetObject","s3:PutObject"],"Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"action list second", allow(R"("Action":["s3:GetObject","s3:PutObject"],"Resource":"*")"), "s3:PutObject", kObj, "", "allowed"},
      {"action list none", allow(R"("Action":["s3:GetObject","s3:PutObject"],"Resource":"*")"), "s3:DeleteObject", kObj, "", "implicitDeny"},
      {"action prefix is not enough", allow(R"("Action":"s3:Get","Resource":"*")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"action service must match whole", allow(R"("Action":"s3:*","Resource":"*")"), "s3x:GetObject", kObj, "", "implicitDeny"},
      // --- NotAction ---
      {"notaction allows others", allow(R"("NotAction":"iam:*","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"notaction excludes listed", allow(R"("NotAction":"iam:*","Resource":"*")"), "iam:CreateUser", "*", "", "implicitDeny"},
      {"notaction list", allow(R"("NotAction":["iam:*","organizations:*"],"Resource":"*")"), "organizations:ListAccounts", "*", "", "implicitDeny"},
      {"notaction deny denies others", deny_and_allow_all(R"("NotAction":"s3:*","Resource":"*")"), "ec2:RunInstances", "*", "", "explicitDeny"},
      {"notaction deny spares listed", deny_and_allow_all(R"("NotAction":"s3:*","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"notaction case insensitive", allow(R"("NotAction":"IAM:*","Resource":"*")"), "iam:CreateUser", "*", "", "implicitDeny"},
      // --- Resource element ---
      {"resource exact", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket/key")"), "s3:GetObject", kObj, "", "allowed"},
      {"resource other", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket/other")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"resource wildcard", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket/*")"), "s3:GetObject", kObj, "", "allowed"},
      {"resource wildcard spans slashes", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket/*")"), "s3:GetObject", "arn:aws:s3:::bucket/a/b/c", "", "allowed"},
      {"resource bucket vs object", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"resource case sensitive", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::Bucket/key")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"resource question mark", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::bucket/ke?")"), "s3:GetObject", kObj, "", "allowed"},
      {"resource list", allow(R"("Action":"s3:*","Resource":["arn:aws:s3:::x","arn:aws:s3:::bucket/*"])"), "s3:GetObject", kObj, "", "allowed"},
      {"resource region wildcard", allow(R"("Action":"ec2:StartInstances","Resource":"arn:aws:ec2:*:*:instance/*")"), "ec2:StartInstances", "arn:aws:ec2:us-west-2:000000000000:instance/i-0123", "", "allowed"},
      {"resource region mismatch", allow(R"("Action":"ec2:StartInstances","Resource":"arn:aws:ec2:us-west-2:*:instance/*")"), "ec2:StartInstances", "arn:aws:ec2:us-east-1:000000000000:instance/i-0123", "", "implicitDeny"},
      {"resource account mismatch", allow(R"("Action":"ec2:StartInstances","Resource":"arn:aws:ec2:*:111111111111:instance/*")"), "ec2:StartInstances", "arn:aws:ec2:us-east-1:000000000000:instance/i-0123", "", "implicitDeny"},
      {"resource type mismatch", allow(R"("Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/*")"), "ec2:DeleteVolume", "arn:aws:ec2:us-east-1:000000000000:volume/vol-1", "", "implicitDeny"},
      {"resource secret suffix wildcard", allow(R"("Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-*")"), "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-AbCdEf", "", "allowed"},
      {"resource secret other name", allow(R"("Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:000000000000:secret:app/a-*")"), "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/b-AbCdEf", "", "implicitDeny"},
      {"resource star matches star", allow(R"("Action":"ec2:DescribeVpcs","Resource":"*")"), "ec2:DescribeVpcs", "*", "", "allowed"},
      {"resource specific does not match star request", allow(R"("Action":"ec2:DescribeVpcs","Resource":"arn:aws:ec2:*:*:vpc/*")"), "ec2:DescribeVpcs", "*", "", "implicitDeny"},
      {"resource colon in resource part", allow(R"("Action":"logs:*","Resource":"arn:aws:logs:*:*:log-group:/app/*")"), "logs:PutLogEvents", "arn:aws:logs:us-east-1:000000000000:log-group:/app/web:log-stream:x", "", "allowed"},
      {"resource iam role path", allow(R"("Action":"iam:PassRole","Resource":"arn:aws:iam::000000000000:role/service/*")"), "iam:PassRole", "arn:aws:iam::000000000000:role/service/app", "", "allowed"},
      {"resource iam role other path", allow(R"("Action":"iam:PassRole","Resource":"arn:aws:iam::000000000000:role/service/*")"), "iam:PassRole", "arn:aws:iam::000000000000:role/app", "", "implicitDeny"},
      // --- NotResource ---
      {"notresource allows others", allow(R"("Action":"s3:*","NotResource":"arn:aws:s3:::secret/*")"), "s3:GetObject", kObj, "", "allowed"},
      {"notresource excludes listed", allow(R"("Action":"s3:*","NotResource":"arn:aws:s3:::bucket/*")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"notresource deny", deny_and_allow_all(R"("Action":"s3:*","NotResource":["arn:aws:s3:::ok","arn:aws:s3:::ok/*"])"), "s3:GetObject", kObj, "", "explicitDeny"},
      {"notresource deny spares listed", deny_and_allow_all(R"("Action":"s3:*","NotResource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"])"), "s3:GetObject", kObj, "", "allowed"},
      {"notaction with notresource", allow(R"("NotAction":"s3:DeleteObject","NotResource":"arn:aws:s3:::x/*")"), "s3:GetObject", kObj, "", "allowed"},
      // --- Explicit deny wins; implicit deny by default ---
      {"no statements match", allow(R"("Action":"sqs:*","Resource":"*")"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"deny wins over allow", deny_and_allow_all(R"("Action":"s3:GetObject","Resource":"*")"), "s3:GetObject", kObj, "", "explicitDeny"},
      {"deny elsewhere does not matter", deny_and_allow_all(R"("Action":"s3:DeleteObject","Resource":"*")"), "s3:GetObject", kObj, "", "allowed"},
      {"deny on other resource", deny_and_allow_all(R"("Action":"s3:*","Resource":"arn:aws:s3:::other/*")"), "s3:GetObject", kObj, "", "allowed"},
      {"deny with wildcard action", deny_and_allow_all(R"("Action":"s3:Get*","Resource":"*")"), "s3:GetObject", kObj, "", "explicitDeny"},
      {"deny alone", doc(R"({"Effect":"Deny","Action":"s3:*","Resource":"*"})"), "s3:GetObject", kObj, "", "explicitDeny"},
      {"deny with false condition", deny_and_allow_all(R"("Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}})"), "s3:GetObject", kObj, "aws:SecureTransport=true", "allowed"},
      {"deny with true condition", deny_and_allow_all(R"("Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}})"), "s3:GetObject", kObj, "aws:SecureTransport=false", "explicitDeny"},
      {"single statement object", R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}})", "s3:GetObject", kObj, "", "allowed"},

      // --- String operators ---
      {"StringEquals match", cond(R"({"StringEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "aws:username=alice", "allowed"},
      {"StringEquals mismatch", cond(R"({"StringEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "aws:username=bob", "implicitDeny"},
      {"StringEquals case sensitive", cond(R"({"StringEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "aws:username=Alice", "implicitDeny"},
      {"StringEquals key name case insensitive", cond(R"({"StringEquals":{"AWS:UserName":"alice"}})"), "s3:GetObject", kObj, "aws:username=alice", "allowed"},
      {"StringEquals missing key", cond(R"({"StringEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"StringEquals values OR", cond(R"({"StringEquals":{"aws:username":["bob","alice"]}})"), "s3:GetObject", kObj, "aws:username=alice", "allowed"},
      {"StringEquals no wildcard", cond(R"({"StringEquals":{"aws:username":"al*"}})"), "s3:GetObject", kObj, "aws:username=alice", "implicitDeny"},
      {"StringNotEquals match", cond(R"({"StringNotEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "aws:username=bob", "allowed"},
      {"StringNotEquals mismatch", cond(R"({"StringNotEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "aws:username=alice", "implicitDeny"},
      {"StringNotEquals values NOR", cond(R"({"StringNotEquals":{"aws:username":["bob","alice"]}})"), "s3:GetObject", kObj, "aws:username=alice", "implicitDeny"},
      {"StringNotEquals values NOR none", cond(R"({"StringNotEquals":{"aws:username":["bob","alice"]}})"), "s3:GetObject", kObj, "aws:username=carol", "allowed"},
      {"StringNotEquals missing key is true", cond(R"({"StringNotEquals":{"aws:username":"alice"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"StringEqualsIgnoreCase", cond(R"({"StringEqualsIgnoreCase":{"aws:username":"ALICE"}})"), "s3:GetObject", kObj, "aws:username=alice", "allowed"},
      {"StringEqualsIgnoreCase mismatch", cond(R"({"StringEqualsIgnoreCase":{"aws:username":"ALICE"}})"), "s3:GetObject", kObj, "aws:username=alicia", "implicitDeny"},
      {"StringNotEqualsIgnoreCase", cond(R"({"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}})"), "s3:GetObject", kObj, "aws:username=alice", "implicitDeny"},
      {"StringNotEqualsIgnoreCase other", cond(R"({"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}})"), "s3:GetObject", kObj, "aws:username=bob", "allowed"},
      {"StringLike star", cond(R"({"StringLike":{"s3:prefix":"home/*"}})"), "s3:GetObject", kObj, "s3:prefix=home/alice/x", "allowed"},
      {"StringLike star mismatch", cond(R"({"StringLike":{"s3:prefix":"home/*"}})"), "s3:GetObject", kObj, "s3:prefix=public/x", "implicitDeny"},
      {"StringLike question", cond(R"({"StringLike":{"s3:prefix":"v?"}})"), "s3:GetObject", kObj, "s3:prefix=v1", "allowed"},
      {"StringLike question one char", cond(R"({"StringLike":{"s3:prefix":"v?"}})"), "s3:GetObject", kObj, "s3:prefix=v10", "implicitDeny"},
      {"StringLike empty string", cond(R"({"StringLike":{"s3:prefix":""}})"), "s3:GetObject", kObj, "s3:prefix=", "implicitDeny"},
      {"StringLike case sensitive", cond(R"({"StringLike":{"s3:prefix":"Home/*"}})"), "s3:GetObject", kObj, "s3:prefix=home/x", "implicitDeny"},
      {"StringLike exact", cond(R"({"StringLike":{"s3:prefix":"home"}})"), "s3:GetObject", kObj, "s3:prefix=home", "allowed"},
      {"StringNotLike", cond(R"({"StringNotLike":{"s3:prefix":"private/*"}})"), "s3:GetObject", kObj, "s3:prefix=public/x", "allowed"},
      {"StringNotLike mismatch", cond(R"({"StringNotLike":{"s3:prefix":"private/*"}})"), "s3:GetObject", kObj, "s3:prefix=private/x", "implicitDeny"},
      {"StringNotLike missing key is true", cond(R"({"StringNotLike":{"s3:prefix":"private/*"}})"), "s3:GetObject", kObj, "", "allowed"},
      // --- Numeric ---
      {"NumericEquals", cond(R"({"NumericEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "allowed"},
      {"NumericEquals decimal form", cond(R"({"NumericEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10.0", "allowed"},
      {"NumericEquals mismatch", cond(R"({"NumericEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=11", "implicitDeny"},
      {"NumericEquals not a number", cond(R"({"NumericEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=ten", "implicitDeny"},
      {"NumericEquals json number", cond(R"({"NumericEquals":{"s3:max-keys":10}})"), "s3:GetObject", kObj, "s3:max-keys=10", "allowed"},
      {"NumericNotEquals", cond(R"({"NumericNotEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=11", "allowed"},
      {"NumericNotEquals equal", cond(R"({"NumericNotEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "implicitDeny"},
      {"NumericLessThan", cond(R"({"NumericLessThan":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=9", "allowed"},
      {"NumericLessThan equal", cond(R"({"NumericLessThan":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "implicitDeny"},
      {"NumericLessThanEquals equal", cond(R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "allowed"},
      {"NumericLessThanEquals above", cond(R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=11", "implicitDeny"},
      {"NumericGreaterThan", cond(R"({"NumericGreaterThan":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=11", "allowed"},
      {"NumericGreaterThan equal", cond(R"({"NumericGreaterThan":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "implicitDeny"},
      {"NumericGreaterThanEquals", cond(R"({"NumericGreaterThanEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=10", "allowed"},
      {"NumericGreaterThanEquals below", cond(R"({"NumericGreaterThanEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "s3:max-keys=9", "implicitDeny"},
      {"Numeric negative", cond(R"({"NumericLessThan":{"s3:max-keys":"0"}})"), "s3:GetObject", kObj, "s3:max-keys=-1", "allowed"},
      {"Numeric missing key", cond(R"({"NumericLessThan":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"NumericNotEquals missing key", cond(R"({"NumericNotEquals":{"s3:max-keys":"10"}})"), "s3:GetObject", kObj, "", "allowed"},
      // --- Date ---
      {"DateLessThan", cond(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"DateLessThan after", cond(R"({"DateLessThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "implicitDeny"},
      {"DateGreaterThan", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"DateGreaterThan before", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "implicitDeny"},
      {"DateEquals", cond(R"({"DateEquals":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"DateEquals other", cond(R"({"DateEquals":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:01Z", "implicitDeny"},
      {"DateNotEquals", cond(R"({"DateNotEquals":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:01Z", "allowed"},
      {"DateLessThanEquals equal", cond(R"({"DateLessThanEquals":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"DateGreaterThanEquals equal", cond(R"({"DateGreaterThanEquals":{"aws:CurrentTime":"2026-12-03T10:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"Date epoch policy value", cond(R"({"DateGreaterThan":{"aws:EpochTime":"1700000000"}})"), "s3:GetObject", kObj, "aws:EpochTime=1800000000", "allowed"},
      {"Date epoch vs iso", cond(R"({"DateLessThan":{"aws:CurrentTime":"1900000000"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"Date with offset", cond(R"({"DateEquals":{"aws:CurrentTime":"2026-12-03T12:00:00+02:00"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"Date bare date", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-12-03T10:00:00Z", "allowed"},
      {"Date unparseable", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}})"), "s3:GetObject", kObj, "aws:CurrentTime=yesterday", "implicitDeny"},
      {"Date missing key", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      // --- Bool ---
      {"Bool true", cond(R"({"Bool":{"aws:SecureTransport":"true"}})"), "s3:GetObject", kObj, "aws:SecureTransport=true", "allowed"},
      {"Bool false request", cond(R"({"Bool":{"aws:SecureTransport":"true"}})"), "s3:GetObject", kObj, "aws:SecureTransport=false", "implicitDeny"},
      {"Bool json boolean", cond(R"({"Bool":{"aws:SecureTransport":true}})"), "s3:GetObject", kObj, "aws:SecureTransport=true", "allowed"},
      {"Bool case insensitive value", cond(R"({"Bool":{"aws:SecureTransport":"TRUE"}})"), "s3:GetObject", kObj, "aws:SecureTransport=true", "allowed"},
      {"Bool missing key", cond(R"({"Bool":{"aws:MultiFactorAuthPresent":"true"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"Bool false policy", cond(R"({"Bool":{"aws:MultiFactorAuthPresent":"false"}})"), "s3:GetObject", kObj, "aws:MultiFactorAuthPresent=false", "allowed"},
      {"Bool false policy missing key", cond(R"({"Bool":{"aws:MultiFactorAuthPresent":"false"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"BoolIfExists false missing", cond(R"({"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"Bool non-boolean request", cond(R"({"Bool":{"aws:SecureTransport":"true"}})"), "s3:GetObject", kObj, "aws:SecureTransport=yes", "implicitDeny"},
      // --- Binary ---
      {"BinaryEquals", cond(R"({"BinaryEquals":{"s3:x-amz-meta":"QmluYXJ5VmFsdWU="}})"), "s3:GetObject", kObj, "s3:x-amz-meta=QmluYXJ5VmFsdWU=", "allowed"},
      {"BinaryEquals mismatch", cond(R"({"BinaryEquals":{"s3:x-amz-meta":"QmluYXJ5VmFsdWU="}})"), "s3:GetObject", kObj, "s3:x-amz-meta=T3RoZXI=", "implicitDeny"},
      {"BinaryEquals missing", cond(R"({"BinaryEquals":{"s3:x-amz-meta":"QmluYXJ5VmFsdWU="}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      // --- IP address ---
      {"IpAddress in range", cond(R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=203.0.113.7", "allowed"},
      {"IpAddress out of range", cond(R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=203.0.114.7", "implicitDeny"},
      {"IpAddress single address", cond(R"({"IpAddress":{"aws:SourceIp":"203.0.113.7"}})"), "s3:GetObject", kObj, "aws:SourceIp=203.0.113.7", "allowed"},
      {"IpAddress /32", cond(R"({"IpAddress":{"aws:SourceIp":"203.0.113.7/32"}})"), "s3:GetObject", kObj, "aws:SourceIp=203.0.113.8", "implicitDeny"},
      {"IpAddress /0", cond(R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})"), "s3:GetObject", kObj, "aws:SourceIp=198.51.100.1", "allowed"},
      {"IpAddress list", cond(R"({"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}})"), "s3:GetObject", kObj, "aws:SourceIp=192.168.3.4", "allowed"},
      {"IpAddress odd prefix", cond(R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/9"}})"), "s3:GetObject", kObj, "aws:SourceIp=10.127.255.255", "allowed"},
      {"IpAddress odd prefix outside", cond(R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/9"}})"), "s3:GetObject", kObj, "aws:SourceIp=10.128.0.0", "implicitDeny"},
      {"IpAddress ipv6", cond(R"({"IpAddress":{"aws:SourceIp":"2001:db8::/32"}})"), "s3:GetObject", kObj, "aws:SourceIp=2001:db8:1234::1", "allowed"},
      {"IpAddress ipv6 outside", cond(R"({"IpAddress":{"aws:SourceIp":"2001:db8::/32"}})"), "s3:GetObject", kObj, "aws:SourceIp=2001:db9::1", "implicitDeny"},
      {"IpAddress family mismatch", cond(R"({"IpAddress":{"aws:SourceIp":"2001:db8::/32"}})"), "s3:GetObject", kObj, "aws:SourceIp=10.0.0.1", "implicitDeny"},
      {"NotIpAddress outside", cond(R"({"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=198.51.100.1", "allowed"},
      {"NotIpAddress inside", cond(R"({"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=203.0.113.1", "implicitDeny"},
      {"IpAddress missing key", cond(R"({"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"deny outside corporate range", deny_and_allow_all(R"("Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=198.51.100.1", "explicitDeny"},
      {"deny outside corporate range from inside", deny_and_allow_all(R"("Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}})"), "s3:GetObject", kObj, "aws:SourceIp=192.0.2.9", "allowed"},
      // --- ARN operators ---
      {"ArnEquals", cond(R"({"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:topic"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:us-east-1:000000000000:topic", "allowed"},
      {"ArnEquals mismatch", cond(R"({"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:topic"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:us-east-1:000000000000:other", "implicitDeny"},
      {"ArnLike wildcard region", cond(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:000000000000:topic"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:eu-west-1:000000000000:topic", "allowed"},
      {"ArnLike wildcard resource", cond(R"({"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:*:function:app-*"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:lambda:us-east-1:000000000000:function:app-web", "allowed"},
      {"ArnLike wildcard does not cross segment", cond(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-*:000000000000:topic"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:eu-west-1:000000000000:topic", "implicitDeny"},
      {"ArnNotEquals", cond(R"({"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:topic"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:us-east-1:000000000000:other", "allowed"},
      {"ArnNotLike", cond(R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}})"), "s3:GetObject", kObj, "aws:PrincipalArn=arn:aws:iam::000000000000:role/admin-x", "implicitDeny"},
      {"ArnNotLike other", cond(R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}})"), "s3:GetObject", kObj, "aws:PrincipalArn=arn:aws:iam::000000000000:role/dev", "allowed"},
      {"ArnNotLike missing key is true", cond(R"({"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin-*"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"ArnLike missing key", cond(R"({"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      // --- Null ---
      {"Null true key absent", cond(R"({"Null":{"aws:TokenIssueTime":"true"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"Null true key present", cond(R"({"Null":{"aws:TokenIssueTime":"true"}})"), "s3:GetObject", kObj, "aws:TokenIssueTime=2026-01-01T00:00:00Z", "implicitDeny"},
      {"Null false key present", cond(R"({"Null":{"aws:TokenIssueTime":"false"}})"), "s3:GetObject", kObj, "aws:TokenIssueTime=2026-01-01T00:00:00Z", "allowed"},
      {"Null false key absent", cond(R"({"Null":{"aws:TokenIssueTime":"false"}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"Null json boolean", cond(R"({"Null":{"aws:RequestTag/team":true}})"), "s3:GetObject", kObj, "", "allowed"},
      {"deny when tag missing", deny_and_allow_all(R"("Action":"ec2:RunInstances","Resource":"*","Condition":{"Null":{"aws:RequestTag/team":"true"}})"), "ec2:RunInstances", "*", "", "explicitDeny"},
      {"deny when tag missing but present", deny_and_allow_all(R"("Action":"ec2:RunInstances","Resource":"*","Condition":{"Null":{"aws:RequestTag/team":"true"}})"), "ec2:RunInstances", "*", "aws:RequestTag/team=web", "allowed"},
      // --- IfExists ---
      {"StringEqualsIfExists absent", cond(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"StringEqualsIfExists present match", cond(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "s3:GetObject", kObj, "ec2:InstanceType=t3.micro", "allowed"},
      {"StringEqualsIfExists present mismatch", cond(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "s3:GetObject", kObj, "ec2:InstanceType=m5.large", "implicitDeny"},
      {"StringNotEqualsIfExists absent", cond(R"({"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"StringLikeIfExists present", cond(R"({"StringLikeIfExists":{"ec2:InstanceType":"t3.*"}})"), "s3:GetObject", kObj, "ec2:InstanceType=t3.small", "allowed"},
      {"NumericLessThanIfExists absent", cond(R"({"NumericLessThanIfExists":{"s3:max-keys":"5"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"NumericLessThanIfExists present big", cond(R"({"NumericLessThanIfExists":{"s3:max-keys":"5"}})"), "s3:GetObject", kObj, "s3:max-keys=6", "implicitDeny"},
      {"DateLessThanIfExists absent", cond(R"({"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"IpAddressIfExists absent", cond(R"({"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})"), "s3:GetObject", kObj, "", "allowed"},
      {"ArnLikeIfExists present mismatch", cond(R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:a"}})"), "s3:GetObject", kObj, "aws:SourceArn=arn:aws:sns:us-east-1:000000000000:b", "implicitDeny"},
      {"deny IfExists absent denies", deny_and_allow_all(R"("Action":"ec2:RunInstances","Resource":"*","Condition":{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "ec2:RunInstances", "*", "", "explicitDeny"},
      {"deny IfExists right type allowed", deny_and_allow_all(R"("Action":"ec2:RunInstances","Resource":"*","Condition":{"StringNotEqualsIfExists":{"ec2:InstanceType":"t3.micro"}})"), "ec2:RunInstances", "*", "ec2:InstanceType=t3.micro", "allowed"},
      // --- Multiple keys (AND), multiple operators (AND) ---
      {"two keys both", cond(R"({"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}})"), "s3:GetObject", kObj, "aws:username=alice;aws:RequestedRegion=us-east-1", "allowed"},
      {"two keys one", cond(R"({"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}})"), "s3:GetObject", kObj, "aws:username=alice;aws:RequestedRegion=us-west-2", "implicitDeny"},
      {"two operators both", cond(R"({"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}})"), "s3:GetObject", kObj, "aws:username=alice;aws:SecureTransport=true", "allowed"},
      {"two operators one", cond(R"({"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}})"), "s3:GetObject", kObj, "aws:username=alice;aws:SecureTransport=false", "implicitDeny"},
      {"empty condition block", cond(R"({})"), "s3:GetObject", kObj, "", "allowed"},
      // --- ForAnyValue / ForAllValues with multivalued keys ---
      {"ForAnyValue one matches", cond(R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|owner", "allowed"},
      {"ForAnyValue none matches", cond(R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "aws:TagKeys=owner|cost", "implicitDeny"},
      {"ForAnyValue missing key false", cond(R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "", "implicitDeny"},
      {"ForAnyValue empty set false", cond(R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "aws:TagKeys", "implicitDeny"},
      {"ForAllValues subset", cond(R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|team", "allowed"},
      {"ForAllValues single", cond(R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env", "allowed"},
      {"ForAllValues extra value", cond(R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|owner", "implicitDeny"},
      {"ForAllValues missing key true", cond(R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}})"), "s3:GetObject", kObj, "", "allowed"},
      {"ForAllValues empty set true", cond(R"({"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "aws:TagKeys", "allowed"},
      {"ForAllValues StringLike", cond(R"({"ForAllValues:StringLike":{"aws:TagKeys":["app-*"]}})"), "s3:GetObject", kObj, "aws:TagKeys=app-a|app-b", "allowed"},
      {"ForAllValues StringLike one off", cond(R"({"ForAllValues:StringLike":{"aws:TagKeys":["app-*"]}})"), "s3:GetObject", kObj, "aws:TagKeys=app-a|x", "implicitDeny"},
      {"ForAnyValue StringLike", cond(R"({"ForAnyValue:StringLike":{"aws:TagKeys":["app-*"]}})"), "s3:GetObject", kObj, "aws:TagKeys=x|app-b", "allowed"},
      {"ForAllValues StringNotEquals none listed", cond(R"({"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|team", "allowed"},
      {"ForAllValues StringNotEquals one listed", cond(R"({"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|secret", "implicitDeny"},
      {"ForAnyValue StringNotEquals one other", cond(R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|team", "allowed"},
      {"ForAnyValue StringNotEquals all listed", cond(R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env", "implicitDeny"},
      {"ForAllValues IgnoreCase", cond(R"({"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["ENV"]}})"), "s3:GetObject", kObj, "aws:TagKeys=env|Env", "allowed"},
      {"single-valued operator on multivalued key any", cond(R"({"StringEquals":{"aws:TagKeys":"env"}})"), "s3:GetObject", kObj, "aws:TagKeys=team|env", "allowed"},
      {"single-valued negated on multivalued key", cond(R"({"StringNotEquals":{"aws:TagKeys":"env"}})"), "s3:GetObject", kObj, "aws:TagKeys=team|env", "implicitDeny"},
      {"deny ForAnyValue forbidden tag", deny_and_allow_all(R"("Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["owner"]}})"), "ec2:CreateTags", "*", "aws:TagKeys=a|owner", "explicitDeny"},
      {"ForAllValues IfExists absent", cond(R"({"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["env"]}})"), "s3:GetObject", kObj, "", "allowed"},
      // --- Policy variables ---
      {"variable in resource", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*")"), "s3:GetObject", "arn:aws:s3:::home/alice/file", "aws:username=alice", "allowed"},
      {"variable in resource other user", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*")"), "s3:GetObject", "arn:aws:s3:::home/bob/file", "aws:username=alice", "implicitDeny"},
      {"variable missing no match", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*")"), "s3:GetObject", "arn:aws:s3:::home/alice/file", "", "implicitDeny"},
      {"variable default value", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username, 'shared'}/*")"), "s3:GetObject", "arn:aws:s3:::home/shared/file", "", "allowed"},
      {"variable ignored in 2008 version", doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"})", "2008-10-17"), "s3:GetObject", "arn:aws:s3:::home/${aws:username}/f", "aws:username=alice", "allowed"},
      {"variable 2008 not substituted", doc(R"({"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"})", "2008-10-17"), "s3:GetObject", "arn:aws:s3:::home/alice/f", "aws:username=alice", "implicitDeny"},
      {"variable in condition", cond(R"({"StringLike":{"s3:prefix":"home/${aws:username}/*"}})"), "s3:GetObject", kObj, "aws:username=alice;s3:prefix=home/alice/x", "allowed"},
      {"variable in condition mismatch", cond(R"({"StringLike":{"s3:prefix":"home/${aws:username}/*"}})"), "s3:GetObject", kObj, "aws:username=alice;s3:prefix=home/bob/x", "implicitDeny"},
      {"variable principal tag", cond(R"({"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}})"), "s3:GetObject", kObj, "aws:PrincipalTag/team=web;aws:ResourceTag/team=web", "allowed"},
      {"variable principal tag mismatch", cond(R"({"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}})"), "s3:GetObject", kObj, "aws:PrincipalTag/team=web;aws:ResourceTag/team=db", "implicitDeny"},
      {"variable escaped star", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::b/${*}")"), "s3:GetObject", "arn:aws:s3:::b/*", "", "allowed"},
      {"variable escaped dollar", cond(R"({"StringEquals":{"s3:prefix":"${$}x"}})"), "s3:GetObject", kObj, "s3:prefix=$x", "allowed"},
      {"variable in ArnLike", cond(R"({"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:user/${aws:username}"}})"), "s3:GetObject", kObj, "aws:username=alice;aws:SourceArn=arn:aws:iam::000000000000:user/alice", "allowed"},
      {"variable userid", allow(R"("Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:userid}/*")"), "s3:GetObject", "arn:aws:s3:::b/AIDAEXAMPLE/x", "aws:userid=AIDAEXAMPLE", "allowed"},
      // --- Global condition keys as used in common policies ---
      {"RequestedRegion allowed", cond(R"({"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}})"), "s3:GetObject", kObj, "aws:RequestedRegion=us-west-2", "allowed"},
      {"RequestedRegion denied", cond(R"({"StringEquals":{"aws:RequestedRegion":["us-east-1","us-west-2"]}})"), "s3:GetObject", kObj, "aws:RequestedRegion=eu-west-1", "implicitDeny"},
      {"PrincipalAccount", cond(R"({"StringEquals":{"aws:PrincipalAccount":"000000000000"}})"), "s3:GetObject", kObj, "aws:PrincipalAccount=000000000000", "allowed"},
      {"PrincipalType", cond(R"({"StringEquals":{"aws:PrincipalType":"User"}})"), "s3:GetObject", kObj, "aws:PrincipalType=AssumedRole", "implicitDeny"},
      {"ResourceTag match", cond(R"({"StringEquals":{"aws:ResourceTag/env":"dev"}})"), "s3:GetObject", kObj, "aws:ResourceTag/env=dev", "allowed"},
      {"ResourceTag tag key case insensitive", cond(R"({"StringEquals":{"aws:ResourceTag/Env":"dev"}})"), "s3:GetObject", kObj, "aws:ResourceTag/env=dev", "allowed"},
      {"RequestTag value case sensitive", cond(R"({"StringEquals":{"aws:RequestTag/env":"dev"}})"), "s3:GetObject", kObj, "aws:RequestTag/env=Dev", "implicitDeny"},
      {"SecureTransport deny http", deny_and_allow_all(R"("Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}})"), "s3:GetObject", kObj, "aws:SecureTransport=false", "explicitDeny"},
      {"CurrentTime window", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2026-06-01T00:00:00Z", "allowed"},
      {"CurrentTime outside window", cond(R"({"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}})"), "s3:GetObject", kObj, "aws:CurrentTime=2027-06-01T00:00:00Z", "implicitDeny"},
      {"service key secretsmanager", cond(R"({"StringEquals":{"secretsmanager:ResourceTag/app":"web"}})"), "s3:GetObject", kObj, "secretsmanager:ResourceTag/app=web", "allowed"},
      {"service key ec2 instance type list", cond(R"({"StringEquals":{"ec2:InstanceType":["t3.micro","t4g.small"]}})"), "s3:GetObject", kObj, "ec2:InstanceType=t4g.small", "allowed"},
  };
  return v;
}

class IamPolicyEval : public ::testing::TestWithParam<Case> {};

TEST_P(IamPolicyEval, Decides) {
  const Case& c = GetParam();
  ASSERT_FALSE(validate(c.policy, Kind::Identity).has_value()) << c.name << ": " << *validate(c.policy, Kind::Identity);
  auto p = Policy::parse(c.policy, "p", "user");
  ASSERT_TRUE(p.has_value());
  Input in;
  in.identity = {&*p};
  Request req;
  req.action = c.action;
  req.resource = c.resource;
  req.caller = {"arn:aws:iam::000000000000:user/alice", "000000000000", "user", "", ""};
  req.context = ctx_of(c.context);
  EXPECT_STREQ(decision_name(evaluate(in, req).decision), c.expect) << c.name;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string out;
  for (char ch : std::string(info.param.name)) out.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return out + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Iam, IamPolicyEval, ::testing::ValuesIn(cases()), case_name);

// ---------------------------------------------------------------------------------------------------
// Combining policy types ("Policy evaluation logic": identity, boundaries, sessions, resource policies)

struct Combo {
  const char* name;
  std::vector<std::string> identity;
  std::optional<std::vector<std::string>> boundary;
  std::optional<std::vector<std::string>> session;
  std::vector<std::string> resource;
  Caller caller;
  const char* resource_account;
  const char* expect;
};

const std::string kAllowGet = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]})";
const std::string kAllowS3 = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})";
const std::string kAllowEc2 = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]})";
const std::string kDenyGet = R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]})";
std::string res_policy(const std::string& principal, const char* effect = "Allow") {
  return std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":")") + effect + R"(","Principal":)" + principal +
         R"(,"Action":"s3:GetObject","Resource":"*"}]})";
}
const Caller kUser{"arn:aws:iam::000000000000:user/alice", "000000000000", "user", "", ""};
const Caller kSession{"arn:aws:sts::000000000000:assumed-role/app/s1", "000000000000", "assumed-role",
                      "arn:aws:iam::000000000000:role/app", ""};
const Caller kOtherUser{"arn:aws:iam::111111111111:user/bob", "111111111111", "user", "", ""};

std::vector<Combo> combos() {
  using V = std::vector<std::string>;
  return {
      {"identity allow", V{kAllowGet}, {}, {}, {}, kUser, "", "allowed"},
      {"identity none", V{}, {}, {}, {}, kUser, "", "implicitDeny"},
      {"identity deny", V{kAllowS3, kDenyGet}, {}, {}, {}, kUser, "", "explicitDeny"},
      {"boundary allows", V{kAllowS3}, V{kAllowGet}, {}, {}, kUser, "", "allowed"},
      {"boundary does not allow", V{kAllowS3}, V{kAllowEc2}, {}, {}, kUser, "", "implicitDeny"},
      {"boundary alone grants nothing", V{}, V{kAllowS3}, {}, {}, kUser, "", "implicitDeny"},
      {"boundary deny", V{kAllowS3}, V{kAllowS3, kDenyGet}, {}, {}, kUser, "", "explicitDeny"},
      {"empty boundary denies", V{kAllowS3}, V{}, {}, {}, kUser, "", "implicitDeny"},
      {"session allows", V{kAllowS3}, {}, V{kAllowGet}, {}, kSession, "", "allowed"},
      {"session does not allow", V{kAllowS3}, {}, V{kAllowEc2}, {}, kSession, "", "implicitDeny"},
      {"session alone grants nothing", V{}, {}, V{kAllowS3}, {}, kSession, "", "implicitDeny"},
      {"session deny", V{kAllowS3}, {}, V{kDenyGet}, {}, kSession, "", "explicitDeny"},
      {"boundary and session both", V{kAllowS3}, V{kAllowS3}, V{kAllowGet}, {}, kSession, "", "allowed"},
      {"boundary and session, boundary misses", V{kAllowS3}, V{kAllowEc2}, V{kAllowGet}, {}, kSession, "", "implicitDeny"},
      {"resource policy grants user ARN", V{}, {}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:user/alice"})")}, kUser, "", "allowed"},
      {"resource policy grants other user", V{}, {}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:user/bob"})")}, kUser, "", "implicitDeny"},
      {"resource policy user ARN not limited by boundary", V{}, V{kAllowEc2}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:user/alice"})")}, kUser, "", "allowed"},
      {"resource policy account principal needs identity", V{}, {}, {}, V{res_policy(R"({"AWS":"000000000000"})")}, kUser, "", "implicitDeny"},
      {"resource policy account principal with identity", V{kAllowGet}, {}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:root"})")}, kUser, "", "allowed"},
      {"resource policy role ARN grants session", V{}, {}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:role/app"})")}, kSession, "", "allowed"},
      {"resource policy role ARN limited by session policy", V{}, {}, V{kAllowEc2}, V{res_policy(R"({"AWS":"arn:aws:iam::000000000000:role/app"})")}, kSession, "", "implicitDeny"},
      {"resource policy session ARN not limited by session policy", V{}, {}, V{kAllowEc2}, V{res_policy(R"({"AWS":"arn:aws:sts::000000000000:assumed-role/app/s1"})")}, kSession, "", "allowed"},
      {"resource policy star", V{}, {}, {}, V{res_policy(R"("*")")}, kUser, "", "allowed"},
      {"resource policy deny wins over identity", V{kAllowS3}, {}, {}, V{res_policy(R"({"AWS":"*"})", "Deny")}, kUser, "", "explicitDeny"},
      {"resource policy NotPrincipal deny spares listed", V{kAllowS3}, {}, {},
       V{R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::000000000000:user/alice","arn:aws:iam::000000000000:root"]},"Action":"s3:*","Resource":"*"}]})"},
       kUser, "", "allowed"},
      {"resource policy NotPrincipal deny hits others", V{kAllowS3}, {}, {},
       V{R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3:*","Resource":"*"}]})"},
       kUser, "", "explicitDeny"},
      {"cross account needs both: only identity", V{kAllowGet}, {}, {}, V{}, kOtherUser, "000000000000", "implicitDeny"},
      {"cross account needs both: only resource", V{}, {}, {}, V{res_policy(R"({"AWS":"111111111111"})")}, kOtherUser, "000000000000", "implicitDeny"},
      {"cross account both", V{kAllowGet}, {}, {}, V{res_policy(R"({"AWS":"111111111111"})")}, kOtherUser, "000000000000", "allowed"},
      {"cross account resource names the user", V{kAllowGet}, {}, {}, V{res_policy(R"({"AWS":"arn:aws:iam::111111111111:user/bob"})")}, kOtherUser, "000000000000", "allowed"},
      {"cross account resource names another account", V{kAllowGet}, {}, {}, V{res_policy(R"({"AWS":"222222222222"})")}, kOtherUser, "000000000000", "implicitDeny"},
      {"service principal", V{}, {}, {}, V{res_policy(R"({"Service":"scheduler.amazonaws.com"})")},
       Caller{"", "000000000000", "service", "", "scheduler.amazonaws.com"}, "", "allowed"},
      {"service principal other service", V{}, {}, {}, V{res_policy(R"({"Service":"lambda.amazonaws.com"})")},
       Caller{"", "000000000000", "service", "", "scheduler.amazonaws.com"}, "", "implicitDeny"},
      {"resource statement without principal never matches", V{}, {}, {},
       V{R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})"}, kUser, "", "implicitDeny"},
  };
}

class IamPolicyCombine : public ::testing::TestWithParam<Combo> {};

TEST_P(IamPolicyCombine, Decides) {
  const Combo& c = GetParam();
  std::vector<Policy> owned;
  owned.reserve(64);
  auto load = [&](const std::vector<std::string>& docs, const char* type) {
    std::vector<const Policy*> out;
    for (const auto& d : docs) {
      owned.push_back(*Policy::parse(d, "x", type));
      out.push_back(&owned.back());
    }
    return out;
  };
  Input in;
  in.identity = load(c.identity, "user");
  if (c.boundary) in.boundary = load(*c.boundary, "user-managed");
  if (c.session) in.session = load(*c.session, "none");
  in.resource = load(c.resource, "resource");
  Request req;
  req.action = "s3:GetObject";
  req.resource = "arn:aws:s3:::bucket/key";
  req.caller = c.caller;
  req.resource_account = c.resource_account;
  EXPECT_STREQ(decision_name(evaluate(in, req).decision), c.expect) << c.name;
}

std::string combo_name(const ::testing::TestParamInfo<Combo>& info) {
  std::string out;
  for (char ch : std::string(info.param.name)) out.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return out + "_" + std::to_string(info.index);
}

INSTANTIATE_TEST_SUITE_P(Iam, IamPolicyCombine, ::testing::ValuesIn(combos()), combo_name);

// ---------------------------------------------------------------------------------------------------
// Validation with IAM's messages

struct Validation {
  const char* name;
  std::string doc;
  Kind kind;
  const char* message;  // "" = valid
};

std::vector<Validation> validations() {
  const std::string trust_ok = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
  return {
      {"valid identity", kAllowGet, Kind::Identity, ""},
      {"valid trust", trust_ok, Kind::Trust, ""},
      {"not json", "{", Kind::Identity, "Syntax errors in policy."},
      {"trailing comma", R"({"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Principal":"*","Effect":"Allow",}]})", Kind::Trust, "Syntax errors in policy."},
      {"not an object", R"([1,2])", Kind::Identity, "Syntax errors in policy."},
      {"unknown top-level", R"({"Version":"2012-10-17","Foo":1,"Statement":[]})", Kind::Identity, "Syntax errors in policy."},
      {"bad version", R"({"Version":"2012-10-18","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, "The policy failed legacy parsing"},
      {"old version ok", R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, ""},
      {"no version ok", R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, ""},
      {"missing statement", R"({"Version":"2012-10-17"})", Kind::Identity, "Syntax errors in policy."},
      {"empty statement list", R"({"Version":"2012-10-17","Statement":[]})", Kind::Identity, "Syntax errors in policy."},
      {"missing resource", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]})", Kind::Identity, "Policy statement must contain resources."},
      {"missing action", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]})", Kind::Identity, "Policy statement must contain actions."},
      {"missing effect", R"({"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]})", Kind::Identity, "Missing required field Effect"},
      {"bad effect", R"({"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, "Syntax errors in policy."},
      {"action and notaction", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"ec2:*","Resource":"*"}]})", Kind::Identity, "Syntax errors in policy."},
      {"action without vendor", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]})", Kind::Identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
      {"resource not arn", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]})", Kind::Identity, "Resource bucket must be in ARN format or \"*\"."},
      {"principal in identity policy", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]})", Kind::Identity, "Policy document should not specify a principal."},
      {"unknown statement field", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}]})", Kind::Identity, "Syntax errors in policy."},
      {"sid not alphanumeric", R"({"Version":"2012-10-17","Statement":[{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
      {"duplicate sid", R"({"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Identity, "Statement IDs (SID) in a single policy must be unique."},
      {"unknown condition operator", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}]})", Kind::Identity, "Invalid Condition type : StringEqualz"},
      {"condition qualifiers accepted", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*"]}}}]})", Kind::Identity, ""},
      {"condition key without vendor", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"username":"a"}}}]})", Kind::Identity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
      {"trust without principal", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]})", Kind::Trust, "Missing required field Principal"},
      {"trust with resource", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]})", Kind::Trust, "Has prohibited field Resource"},
      {"trust bad aws principal", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"foo"},"Action":"sts:AssumeRole"}]})", Kind::Trust, "Invalid principal in policy: \"AWS\":\"foo\""},
      {"trust account principal", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]})", Kind::Trust, ""},
      {"trust root arn principal", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]})", Kind::Trust, ""},
      {"trust unknown principal type", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Person":"x"},"Action":"sts:AssumeRole"}]})", Kind::Trust, "Syntax errors in policy."},
      {"resource policy needs principal", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]})", Kind::Resource, "Missing required field Principal"},
      {"resource policy ok", res_policy(R"({"AWS":"arn:aws:iam::000000000000:user/alice"})"), Kind::Resource, ""},
  };
}

class IamPolicyValidate : public ::testing::TestWithParam<Validation> {};

TEST_P(IamPolicyValidate, Message) {
  const Validation& v = GetParam();
  auto err = validate(v.doc, v.kind);
  if (std::string(v.message).empty()) EXPECT_FALSE(err.has_value()) << v.name << ": " << err.value_or("");
  else EXPECT_EQ(err.value_or("<valid>"), v.message) << v.name;
}

std::string validation_name(const ::testing::TestParamInfo<Validation>& info) {
  std::string out;
  for (char ch : std::string(info.param.name)) out.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
  return out;
}

INSTANTIATE_TEST_SUITE_P(Iam, IamPolicyValidate, ::testing::ValuesIn(validations()), validation_name);

// ---------------------------------------------------------------------------------------------------
// Building blocks

TEST(IamPolicyParts, GlobAndArn) {
  EXPECT_TRUE(glob_match("a*c", "abbbc"));
  EXPECT_TRUE(glob_match("a*", "a"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("**a", "ba"));
  EXPECT_TRUE(action_matches("EC2:describe*", "ec2:DescribeVpcs"));
  EXPECT_TRUE(arn_matches("arn:aws:s3:::*", "arn:aws:s3:::b/k"));
  EXPECT_FALSE(arn_matches("arn:aws:s3:::b", "arn:aws:s3:::b/k"));
  EXPECT_TRUE(arn_matches("*", "anything"));
}

TEST(IamPolicyParts, Cidr) {
  EXPECT_TRUE(ip_in_cidr("10.1.2.3", "10.0.0.0/8"));
  EXPECT_FALSE(ip_in_cidr("11.1.2.3", "10.0.0.0/8"));
  EXPECT_TRUE(ip_in_cidr("::1", "::1/128"));
  EXPECT_FALSE(ip_in_cidr("not-an-ip", "10.0.0.0/8"));
  EXPECT_FALSE(ip_in_cidr("10.0.0.1", "10.0.0.0/33"));
}

TEST(IamPolicyParts, Variables) {
  Context c = ctx_of("aws:username=alice");
  EXPECT_EQ(substitute("home/${aws:username}/x", c).value_or("?"), "home/alice/x");
  EXPECT_EQ(substitute("home/${AWS:UserName}", c).value_or("?"), "home/alice");
  EXPECT_FALSE(substitute("home/${aws:userid}", c).has_value());
  EXPECT_EQ(substitute("${aws:userid, 'none'}", c).value_or("?"), "none");
  EXPECT_EQ(substitute("${*}${?}${$}", c).value_or("?"), "*?$");
}

TEST(IamPolicyParts, StatementPositionsAndContextKeys) {
  std::string text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:Delete*\", \"Resource\": \"*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}\n  ]\n}";
  auto p = Policy::parse(text, "p", "user");
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->statements.size(), 2u);
  EXPECT_EQ(p->statements[0].start.line, 4);
  EXPECT_EQ(p->statements[0].start.column, 5);
  EXPECT_EQ(p->statements[1].start.line, 5);
  EXPECT_EQ(context_keys(*p), std::vector<std::string>{"aws:SecureTransport"});
}

TEST(IamPolicyParts, SizeIgnoresWhitespaceOutsideStrings) {
  EXPECT_EQ(policy_size("{ \"a b\" : 1 }"), std::string("{\"a b\":1}").size());
}

TEST(IamPolicyParts, MissingContextReported) {
  auto p = Policy::parse(cond(R"({"StringEquals":{"aws:username":"alice"}})"), "p", "user");
  Input in;
  in.identity = {&*p};
  Request req{"s3:GetObject", kObj, kUser, "", Context()};
  Result r = evaluate(in, req);
  EXPECT_EQ(r.missing_context, std::vector<std::string>{"aws:username"});
}

}  // namespace
