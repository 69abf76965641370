// The model-driven protocol layer, tested on AWS's real models for each protocol.
#include <gtest/gtest.h>

#include "core/common/encoding.h"
#include "core/model/model.h"
#include "core/protocol/protocol.h"
#include "core/protocol/xml_writer.h"

namespace cloudbox {
namespace {

const ServiceModel& model(const char* name) {
  static std::map<std::string, std::unique_ptr<ServiceModel>> cache;
  auto& slot = cache[name];
  if (!slot) slot = ServiceModel::parse(name, embedded_model(name));
  return *slot;
}

HttpRequest form_request(const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/";
  r.headers = {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = body;
  return r;
}

Json parse_query(const char* service, const std::string& body) {
  const auto& m = model(service);
  HttpRequest req = form_request(body);
  auto params = protocol::parse_form(body);
  std::string name;
  std::map<std::string, std::string> labels;
  const Operation* op = protocol::resolve_operation(m, req, params, name, labels);
  EXPECT_NE(op, nullptr) << body;
  return protocol::parse_input(m, *op, req, params, labels);
}

AwsError expect_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const AwsError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an AwsError";
  return AwsError("none", "none");
}

TEST(Model, EmbeddedModelsParse) {
  for (const auto& name : embedded_model_names()) {
    const auto& m = model(name.c_str());
    EXPECT_FALSE(m.operations().empty()) << name;
    EXPECT_FALSE(m.protocol.empty()) << name;
  }
  EXPECT_EQ(model("secretsmanager").operations().size(), 23u);
  EXPECT_EQ(model("secretsmanager").target_prefix, "secretsmanager");
  EXPECT_EQ(model("ec2").protocol, "ec2");
  EXPECT_EQ(model("scheduler").protocol, "rest-json");
}

TEST(Model, ErrorShapesCarryWireCodesAndStatus) {
  const Shape* s = model("iam").error_shape("NoSuchEntityException");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->error_code, "NoSuchEntity");
  EXPECT_EQ(s->http_status, 404);
  EXPECT_EQ(model("iam").error_shape("NoSuchEntity"), s);
}

TEST(JsonProtocol, ResolvesTargetAndDecodesBlobs) {
  const auto& m = model("secretsmanager");
  HttpRequest req;
  req.method = "POST";
  req.headers = {{"x-amz-target", "secretsmanager.CreateSecret"}};
  req.body = R"({"Name":"n","SecretBinary":")" + base64_encode(std::string("\x00\xff\x10", 3)) + R"(","Unknown":1})";
  std::string name;
  std::map<std::string, std::string> labels;
  const Operation* op = protocol::resolve_operation(m, req, {}, name, labels);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->name, "CreateSecret");
  Json in = protocol::parse_input(m, *op, req, {}, labels);
  EXPECT_EQ(in["Name"], "n");
  EXPECT_EQ(in["SecretBinary"].get<std::string>(), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(in.contains("Unknown"));
}

TEST(JsonProtocol, WrongTargetPrefixIsUnknown) {
  HttpRequest req;
  req.headers = {{"x-amz-target", "other.CreateSecret"}};
  std::string name;
  std::map<std::string, std::string> labels;
  EXPECT_EQ(protocol::resolve_operation(model("secretsmanager"), req, {}, name, labels), nullptr);
}

TEST(JsonProtocol, MalformedBodiesAreSerializationErrors) {
  const auto& m = model("secretsmanager");
  const Operation* op = m.operation("GetSecretValue");
  for (const char* body : {"{", "[1,2]", "\"str\"", R"({"SecretId": 5})", R"({"SecretId": {"a":1}})",
                           R"({"VersionStage": ["x"]})", R"({"SecretId": "s", "VersionStage": 1.5})"}) {
    HttpRequest req;
    req.body = body;
    auto e = expect_error([&] { protocol::parse_input(m, *op, req, {}, {}); });
    EXPECT_EQ(e.code, "SerializationException") << body;
    EXPECT_EQ(e.http_status, 400);
  }
}

TEST(JsonProtocol, HugeIntegersAreRefusedNotWrapped) {
  const auto& m = model("secretsmanager");
  HttpRequest req;
  req.body = R"({"PasswordLength": 99999999999999999999999})";
  auto e = expect_error([&] { protocol::parse_input(m, *m.operation("GetRandomPassword"), req, {}, {}); });
  EXPECT_EQ(e.code, "SerializationException");
  req.body = R"({"PasswordLength": 12.0})";
  EXPECT_EQ(protocol::parse_input(m, *m.operation("GetRandomPassword"), req, {}, {})["PasswordLength"], 12);
}

TEST(Validation, MissingRequiredMemberUsesAwsMessage) {
  const auto& m = model("secretsmanager");
  auto e = expect_error([&] { protocol::validate_input(m, *m.operation("GetSecretValue"), Json::object()); });
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_STREQ(e.what(),
               "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null");
}

TEST(Validation, LengthRangeAndCountAllReported) {
  const auto& m = model("secretsmanager");
  Json in = {{"SecretId", std::string(2049, 'a')}, {"MaxResults", 0}};
  auto e = expect_error([&] { protocol::validate_input(m, *m.operation("ListSecretVersionIds"), in); });
  std::string msg = e.what();
  EXPECT_EQ(msg.rfind("2 validation errors detected: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("at 'secretId' failed to satisfy constraint: Member must have length less than or equal to 2048"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"),
            std::string::npos) << msg;
}

TEST(Validation, StsRoleSessionNameTooLong) {  // case C14 (a)
  std::string name(65, 's');
  Json in = parse_query("sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fsess"
                               "&RoleSessionName=" + name + "&DurationSeconds=900");
  EXPECT_EQ(in["DurationSeconds"], 900);
  const auto& m = model("sts");
  auto e = expect_error([&] { protocol::validate_input(m, *m.operation("AssumeRole"), in); });
  EXPECT_EQ(e.code, "ValidationError");
  EXPECT_EQ(std::string(e.what()), "1 validation error detected: Value '" + name +
                                       "' at 'roleSessionName' failed to satisfy constraint: Member must have length "
                                       "less than or equal to 64");
  Json ok = in;
  ok["RoleSessionName"] = std::string(64, 's');
  EXPECT_NO_THROW(protocol::validate_input(m, *m.operation("AssumeRole"), ok));
}

TEST(Validation, PatternAndEnum) {
  const auto& m = model("sts");
  Json in = {{"RoleArn", "arn:aws:iam::000000000000:role/r"}, {"RoleSessionName", "has space"}};
  auto e = expect_error([&] { protocol::validate_input(m, *m.operation("AssumeRole"), in); });
  EXPECT_NE(std::string(e.what()).find("Member must satisfy regular expression pattern"), std::string::npos);
  const auto& sm = model("secretsmanager");
  Json list = {{"SortOrder", "sideways"}};
  auto e2 = expect_error([&] { protocol::validate_input(sm, *sm.operation("ListSecrets"), list); });
  EXPECT_NE(std::string(e2.what()).find("Member must satisfy enum value set: [asc, desc]"), std::string::npos) << e2.what();
}

TEST(QueryProtocol, ListsMapsAndStructures) {
  Json in = parse_query("iam",
                        "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fteam%2F"
                        "&Tags.member.1.Key=env&Tags.member.1.Value=dev&Tags.member.2.Key=k2&Tags.member.2.Value=");
  EXPECT_EQ(in["UserName"], "bob");
  EXPECT_EQ(in["Path"], "/team/");
  ASSERT_EQ(in["Tags"].size(), 2u);
  EXPECT_EQ(in["Tags"][0]["Key"], "env");
  EXPECT_EQ(in["Tags"][1]["Value"], "");
  Json policies = parse_query("sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s"
                                     "&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FX");
  EXPECT_EQ(policies["PolicyArns"][0]["arn"], "arn:aws:iam::aws:policy/X");
}

TEST(QueryProtocol, EmptyListMarker) {
  Json in = parse_query("iam", "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags=");
  ASSERT_TRUE(in.contains("Tags"));
  EXPECT_TRUE(in["Tags"].is_array());
  EXPECT_TRUE(in["Tags"].empty());
}

TEST(QueryProtocol, BadScalarIsValidationError) {
  auto e = expect_error([] {
    parse_query("sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleSessionName=s&DurationSeconds=lots");
  });
  EXPECT_EQ(e.code, "ValidationError");
}

TEST(Ec2Protocol, FlattenedListsAndCapitalisedLocationNames) {
  Json in = parse_query("ec2",
                        "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1&VpcId.2=vpc-2&Filter.1.Name=tag%3AName"
                        "&Filter.1.Value.1=a&Filter.1.Value.2=b&DryRun=true&MaxResults=5");
  EXPECT_EQ(in["VpcIds"], Json({"vpc-1", "vpc-2"}));
  EXPECT_EQ(in["Filters"][0]["Name"], "tag:Name");
  EXPECT_EQ(in["Filters"][0]["Values"], Json({"a", "b"}));
  EXPECT_EQ(in["DryRun"], true);
  EXPECT_EQ(in["MaxResults"], 5);
}

TEST(Ec2Protocol, UnknownParameterAndMissingParameter) {
  auto e = expect_error([] { parse_query("ec2", "Action=DescribeVpcs&Version=2016-11-15&Bogus=1"); });
  EXPECT_EQ(e.code, "UnknownParameter");
  EXPECT_STREQ(e.what(), "The parameter Bogus is not recognized");
  const auto& m = model("ec2");
  auto e2 = expect_error([&] { protocol::validate_input(m, *m.operation("DeleteVpc"), Json::object()); });
  EXPECT_EQ(e2.code, "MissingParameter");
  EXPECT_STREQ(e2.what(), "The request must contain the parameter VpcId");
}

TEST(Ec2Protocol, OutputUsesLocationNamesAndItems) {
  const auto& m = model("ec2");
  Json out = {{"Vpcs", {{{"VpcId", "vpc-1"}, {"CidrBlock", "10.0.0.0/16"}, {"IsDefault", false},
                         {"Tags", {{{"Key", "Name"}, {"Value", "a&b"}}}}}}}};
  HttpResponse r = protocol::serialize_output(m, *m.operation("DescribeVpcs"), out, "rid-1");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"(<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>rid-1</requestId><vpcSet><item>)"),
            std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<vpcId>vpc-1</vpcId>"), std::string::npos);
  EXPECT_NE(r.body.find("<isDefault>false</isDefault>"), std::string::npos);
  EXPECT_NE(r.body.find("<tagSet><item><key>Name</key><value>a&amp;b</value></item></tagSet>"), std::string::npos) << r.body;
}

TEST(QueryProtocol, OutputHasResultWrapperAndMetadata) {
  const auto& m = model("sts");
  Json out = {{"UserId", "000000000000"}, {"Account", "000000000000"}, {"Arn", "arn:aws:iam::000000000000:root"}};
  HttpResponse r = protocol::serialize_output(m, *m.operation("GetCallerIdentity"), out, "rid");
  EXPECT_EQ(r.body,
            R"(<?xml version="1.0" encoding="UTF-8"?><GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">)"
            "<GetCallerIdentityResult><UserId>000000000000</UserId><Account>000000000000</Account>"
            "<Arn>arn:aws:iam::000000000000:root</Arn></GetCallerIdentityResult>"
            "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>");
}

TEST(QueryProtocol, TimestampsAreIso8601) {
  const auto& m = model("sts");
  Json out = {{"Credentials", {{"AccessKeyId", "ASIA"}, {"SecretAccessKey", "s"}, {"SessionToken", "t"},
                               {"Expiration", 1700000000.5}}}};
  HttpResponse r = protocol::serialize_output(m, *m.operation("GetSessionToken"), out, "rid");
  EXPECT_NE(r.body.find("<Expiration>2023-11-14T22:13:20.500Z</Expiration>"), std::string::npos) << r.body;
}

TEST(JsonProtocol, OutputTimestampsAreEpochSecondsAndBlobsBase64) {
  const auto& m = model("secretsmanager");
  Json out = {{"Name", "n"}, {"SecretBinary", std::string("\x01\x02", 2)}, {"CreatedDate", 1700000000.0}};
  HttpResponse r = protocol::serialize_output(m, *m.operation("GetSecretValue"), out, "rid");
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["SecretBinary"], "AQI=");
  EXPECT_EQ(body["CreatedDate"], 1700000000);
  EXPECT_EQ(body["Name"], "n");
}

TEST(RestJson, RoutesByMethodAndPathWithLabels) {
  const auto& m = model("scheduler");
  HttpRequest req;
  req.method = "GET";
  req.path = "/schedules/nightly-stop";
  req.query = "groupName=g1";
  std::string name;
  std::map<std::string, std::string> labels;
  const Operation* op = protocol::resolve_operation(m, req, {}, name, labels);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->name, "GetSchedule");
  Json in = protocol::parse_input(m, *op, req, {}, labels);
  EXPECT_EQ(in["Name"], "nightly-stop");
  EXPECT_EQ(in["GroupName"], "g1");

  req.path = "/tags/" + uri_encode("arn:aws:scheduler:us-east-1:000000000000:schedule-group/g1");
  req.query = "";
  op = protocol::resolve_operation(m, req, {}, name, labels);
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->name, "ListTagsForResource");
  in = protocol::parse_input(m, *op, req, {}, labels);
  EXPECT_EQ(in["ResourceArn"], "arn:aws:scheduler:us-east-1:000000000000:schedule-group/g1");

  req.method = "DELETE";
  req.path = "/nowhere";
  EXPECT_EQ(protocol::resolve_operation(m, req, {}, name, labels), nullptr);
}

TEST(Errors, EnvelopesPerProtocol) {
  AwsError nf("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  HttpResponse j = protocol::serialize_error(&model("secretsmanager"), "json", nf, "rid");
  EXPECT_EQ(j.status, 400);
  Json body = Json::parse(j.body);
  EXPECT_EQ(body["__type"], "ResourceNotFoundException");
  EXPECT_EQ(body["Message"], "Secrets Manager can't find the specified secret.");

  AwsError nse("NoSuchEntityException", "The role with name x cannot be found.");
  HttpResponse q = protocol::serialize_error(&model("iam"), "query", nse, "rid");
  EXPECT_EQ(q.status, 404);
  EXPECT_NE(q.body.find("<Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name x cannot be found.</Message></Error><RequestId>rid</RequestId>"),
            std::string::npos) << q.body;

  AwsError vpc("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist", 400);
  HttpResponse e = protocol::serialize_error(&model("ec2"), "ec2", vpc, "rid");
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.body.find("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>"), std::string::npos);
  EXPECT_NE(e.body.find("<RequestID>rid</RequestID>"), std::string::npos);

  AwsError conflict("ConflictException", "exists");
  HttpResponse r = protocol::serialize_error(&model("scheduler"), "rest-json", conflict, "rid");
  EXPECT_EQ(r.status, 409);
  bool has_type = false;
  for (auto& [k, v] : r.headers) has_type = has_type || (k == "x-amzn-ErrorType" && v == "ConflictException");
  EXPECT_TRUE(has_type);
}

}  // namespace
}  // namespace cloudbox

namespace cloudbox {
namespace {

TEST(JsonProtocol, OutputEscapesStringsAndReplacesInvalidUtf8) {
  const auto& m = ServiceModel::parse("secretsmanager", embedded_model("secretsmanager"));
  Json out = {{"Name", "q\"b\\s\n\x01 \xc3\xa9 \xff"}, {"VersionStages", {"AWSCURRENT"}}};
  HttpResponse r = protocol::serialize_output(*m, *m->operation("GetSecretValue"), out, "rid");
  EXPECT_EQ(r.body, "{\"Name\":\"q\\\"b\\\\s\\n\\u0001 \xc3\xa9 \xef\xbf\xbd\",\"VersionStages\":[\"AWSCURRENT\"]}");
  Json parsed = Json::parse(r.body);
  EXPECT_EQ(parsed["Name"], "q\"b\\s\n\x01 \xc3\xa9 \xef\xbf\xbd");
}

TEST(JsonProtocol, OutputMapsAndNumbers) {
  const auto& m = ServiceModel::parse("secretsmanager", embedded_model("secretsmanager"));
  Json out = {{"Name", "n"}, {"VersionIdsToStages", {{"v1", {"AWSCURRENT"}}, {"v2", Json::array()}}},
              {"CreatedDate", 1700000000.25}};
  HttpResponse r = protocol::serialize_output(*m, *m->operation("DescribeSecret"), out, "rid");
  Json parsed = Json::parse(r.body);
  EXPECT_EQ(parsed["VersionIdsToStages"]["v1"][0], "AWSCURRENT");
  EXPECT_TRUE(parsed["VersionIdsToStages"]["v2"].empty());
  EXPECT_DOUBLE_EQ(parsed["CreatedDate"].get<double>(), 1700000000.25);
}

}  // namespace
}  // namespace cloudbox

namespace cloudbox {
namespace {

// Control characters cannot appear in XML 1.0, even as references: a stored tag value with one must not make
// every later response unparseable (found by a trial run).
TEST(XmlWriterTest, ControlCharactersBecomeReplacementCharacters) {
  XmlWriter w;
  w.element("Value", std::string("a\x01" "b\x1b[31m\tc\n", 11));
  std::string out = w.take();
  EXPECT_EQ(out, "<Value>a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31m\tc\n</Value>");
}

}  // namespace
}  // namespace cloudbox
