// EventBridge Scheduler through a real Core (IAM, STS and Secrets Manager registered): the operations and
// their validation, cases C24–C28 of /work/shared/cases/cases.md, and schedules that fire when the server
// clock moves, calling their target as the execution role.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include <unistd.h>

#include "core/common/clock.h"
#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/scheduler/cron.h"
#include "services/scheduler/service.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox {
namespace {

constexpr const char* kAccount = "000000000000";
constexpr const char* kRoleArn = "arn:aws:iam::000000000000:role/sched";

Json trust_for(const std::string& service) {
  return {{"Version", "2012-10-17"},
          {"Statement", {{{"Effect", "Allow"}, {"Principal", {{"Service", service}}}, {"Action", "sts:AssumeRole"}}}}};
}

class SchedulerTest : public ::testing::Test {
 protected:
  explicit SchedulerTest(Options o = Options{.ephemeral = true}) : core(std::move(o)) {}

  Core core;
  RequestContext ctx{core};

  void SetUp() override {
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
    ctx.access_key_id = "test";
    ctx.principal = Principal{"root", std::string("arn:aws:iam::") + kAccount + ":root", kAccount, kAccount, "", ""};
    make_role("sched", trust_for("scheduler.amazonaws.com"),
              {{"Version", "2012-10-17"},
               {"Statement", {{{"Effect", "Allow"}, {"Action", {"secretsmanager:*", "ec2:*"}}, {"Resource", "*"}}}}});
  }

  void make_role(const std::string& name, const Json& trust, const Json& policy = Json()) {
    core.invoke(ctx, "iam", "CreateRole", {{"RoleName", name}, {"AssumeRolePolicyDocument", trust.dump()}});
    if (!policy.is_null())
      core.invoke(ctx, "iam", "PutRolePolicy",
                  {{"RoleName", name}, {"PolicyName", "p"}, {"PolicyDocument", policy.dump()}});
  }

  Json call(const std::string& op, const Json& in, const std::string& region = "") {
    return core.invoke(ctx, "scheduler", op, in, region);
  }

  AwsError fails(const std::string& op, const Json& in, const std::string& region = "") {
    try {
      Json out = call(op, in, region);
      ADD_FAILURE() << op << " succeeded: " << out.dump();
    } catch (const AwsError& e) {
      return e;
    }
    return AwsError("none", "");
  }

  static Json target(const std::string& arn = "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                     const Json& input = {{"Name", "fired"}, {"SecretString", "x"}},
                     const std::string& role = kRoleArn) {
    return {{"Arn", arn}, {"RoleArn", role}, {"Input", input.dump()}};
  }

  Json schedule(const std::string& name, const std::string& expression, Json extra = Json::object()) {
    Json in = {{"Name", name},
               {"ScheduleExpression", expression},
               {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
               {"Target", target()}};
    for (auto& [k, v] : extra.items()) in[k] = v;
    return in;
  }

  double now() { return to_epoch(core.clock().now()); }

  // Moves the server clock to `epoch` (forward only) and runs the tick, as POST /_cloudbox/clock does.
  void move_to(double epoch) {
    if (epoch > now()) core.clock().set(from_epoch(epoch));
    core.tick();
  }
  void advance(double seconds) { move_to(now() + seconds); }

  Json history(const std::string& name = "") {
    auto* svc = dynamic_cast<scheduler::SchedulerService*>(core.service("scheduler"));
    EXPECT_NE(svc, nullptr);
    std::lock_guard lock(svc->mutex());
    return svc->executions(name)["Executions"];
  }

  bool secret_exists(const std::string& name, const std::string& region = "us-east-1") {
    try {
      core.invoke(ctx, "secretsmanager", "DescribeSecret", {{"SecretId", name}}, region);
      return true;
    } catch (const AwsError&) {
      return false;
    }
  }
};

// ---------------------------------------------------------------------------------------------------
// Operations

TEST_F(SchedulerTest, CreateAndGetInTheDefaultGroup) {
  Json out = call("CreateSchedule", schedule("ok1", "rate(5 minutes)", {{"Description", "d"}}));
  EXPECT_EQ(out["ScheduleArn"], "arn:aws:scheduler:us-east-1:000000000000:schedule/default/ok1");
  Json got = call("GetSchedule", {{"Name", "ok1"}});
  EXPECT_EQ(got["Arn"], out["ScheduleArn"]);
  EXPECT_EQ(got["GroupName"], "default");
  EXPECT_EQ(got["State"], "ENABLED");
  EXPECT_EQ(got["Description"], "d");
  EXPECT_EQ(got["ScheduleExpressionTimezone"], "UTC");
  EXPECT_EQ(got["ActionAfterCompletion"], "NONE");
  EXPECT_EQ(got["FlexibleTimeWindow"]["Mode"], "OFF");
  // AWS fills the retry policy's defaults in.
  EXPECT_EQ(got["Target"]["RetryPolicy"]["MaximumEventAgeInSeconds"], 86400);
  EXPECT_EQ(got["Target"]["RetryPolicy"]["MaximumRetryAttempts"], 185);
  EXPECT_TRUE(got["CreationDate"].is_number());
  // Regions are separate.
  EXPECT_EQ(fails("GetSchedule", {{"Name", "ok1"}}, "us-west-2").code, "ResourceNotFoundException");
}

TEST_F(SchedulerTest, C24_InvalidExpressionsAreRefused) {
  for (const char* expr : {"every day", "rate(1 fortnight)"}) {
    AwsError e = fails("CreateSchedule", schedule("bad", expr));
    EXPECT_EQ(e.code, "ValidationException");
    EXPECT_EQ(std::string(e.what()), "Invalid Schedule Expression " + std::string(expr) + ".");
  }
  AwsError nf = fails("GetSchedule", {{"Name", "bad"}});
  EXPECT_EQ(nf.code, "ResourceNotFoundException");
  EXPECT_STREQ(nf.what(), "Schedule bad does not exist.");
  EXPECT_EQ(call("CreateSchedule", schedule("ok1", "rate(5 minutes)"))["ScheduleArn"],
            "arn:aws:scheduler:us-east-1:000000000000:schedule/default/ok1");
}

TEST_F(SchedulerTest, C25_CronWithRangesStepsAndListsIsAccepted) {
  int i = 0;
  for (const char* expr : {"cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "cron(30-30 13-13 ? * 2,4,6 *)",
                           "cron(1-31/30 1-1 ? * 1,7 *)", "cron(0 8 ? * MON-FRI *)"}) {
    ++i;
    call("CreateSchedule",
         schedule("cron" + std::to_string(i), expr, {{"ScheduleExpressionTimezone", "America/New_York"}}));
  }
  Json got = call("GetSchedule", {{"Name", "cron4"}});
  EXPECT_EQ(got["ScheduleExpression"], "cron(0 8 ? * MON-FRI *)");
  EXPECT_EQ(got["ScheduleExpressionTimezone"], "America/New_York");
  EXPECT_EQ(got["State"], "ENABLED");
}

TEST_F(SchedulerTest, InvalidTimeZoneIsRefused) {
  AwsError e = fails("CreateSchedule", schedule("tz", "cron(0 8 * * ? *)", {{"ScheduleExpressionTimezone", "Mars/Olympus"}}));
  EXPECT_EQ(e.code, "ValidationException");
}

TEST_F(SchedulerTest, C26_DuplicateNameIsAConflictPerGroup) {
  call("CreateSchedule", schedule("DuplicateSchedule", "rate(1 hour)"));
  AwsError a = fails("CreateSchedule", schedule("DuplicateSchedule", "rate(2 hours)"));
  EXPECT_EQ(a.code, "ConflictException");
  EXPECT_STREQ(a.what(), "Schedule DuplicateSchedule already exists.");
  EXPECT_EQ(call("GetSchedule", {{"Name", "DuplicateSchedule"}})["ScheduleExpression"], "rate(1 hour)");
  call("CreateScheduleGroup", {{"Name", "g2"}});
  Json b = call("CreateSchedule", schedule("DuplicateSchedule", "rate(1 hour)", {{"GroupName", "g2"}}));
  EXPECT_EQ(b["ScheduleArn"], "arn:aws:scheduler:us-east-1:000000000000:schedule/g2/DuplicateSchedule");
  EXPECT_EQ(fails("CreateScheduleGroup", {{"Name", "g2"}}).code, "ConflictException");
}

TEST_F(SchedulerTest, ClientTokenMakesCreateIdempotent) {
  Json in = schedule("idem", "rate(1 hour)", {{"ClientToken", "token-1"}});
  Json first = call("CreateSchedule", in);
  EXPECT_EQ(call("CreateSchedule", in)["ScheduleArn"], first["ScheduleArn"]);
  in["ClientToken"] = "token-2";
  EXPECT_EQ(fails("CreateSchedule", in).code, "ConflictException");
  Json g = {{"Name", "gi"}, {"ClientToken", "t"}};
  EXPECT_EQ(call("CreateScheduleGroup", g)["ScheduleGroupArn"], call("CreateScheduleGroup", g)["ScheduleGroupArn"]);
}

TEST_F(SchedulerTest, C27_SchedulesLiveInsideTheirGroup) {
  call("CreateScheduleGroup", {{"Name", "g1"}});
  call("CreateSchedule", schedule("s", "rate(5 minutes)", {{"GroupName", "g1"}}));
  Json a = call("UpdateSchedule", schedule("s", "rate(10 minutes)", {{"GroupName", "g1"}}));  // (a)
  EXPECT_EQ(a["ScheduleArn"], "arn:aws:scheduler:us-east-1:000000000000:schedule/g1/s");
  Json b = call("GetSchedule", {{"Name", "s"}, {"GroupName", "g1"}});  // (b)
  EXPECT_EQ(b["ScheduleExpression"], "rate(10 minutes)");
  EXPECT_EQ(b["Arn"], "arn:aws:scheduler:us-east-1:000000000000:schedule/g1/s");
  EXPECT_EQ(fails("GetSchedule", {{"Name", "s"}}).code, "ResourceNotFoundException");  // (c)
  AwsError d = fails("CreateSchedule", schedule("s", "rate(5 minutes)", {{"GroupName", "nogroup"}}));  // (d)
  EXPECT_EQ(d.code, "ResourceNotFoundException");
  call("DeleteScheduleGroup", {{"Name", "g1"}});
  EXPECT_EQ(call("GetScheduleGroup", {{"Name", "g1"}})["State"], "DELETING");
  EXPECT_EQ(fails("GetSchedule", {{"Name", "s"}, {"GroupName", "g1"}}).code, "ResourceNotFoundException");
  core.tick();
  EXPECT_EQ(fails("GetScheduleGroup", {{"Name", "g1"}}).code, "ResourceNotFoundException");
  EXPECT_EQ(fails("ListSchedules", {{"GroupName", "g1"}}).code, "ResourceNotFoundException");  // (e)
}

TEST_F(SchedulerTest, UpdateIsAFullReplace) {
  call("CreateSchedule", schedule("full", "rate(5 minutes)",
                                  {{"Description", "first"}, {"State", "DISABLED"},
                                   {"ScheduleExpressionTimezone", "Europe/London"}}));
  call("UpdateSchedule", schedule("full", "cron(0 6 * * ? *)"));
  Json got = call("GetSchedule", {{"Name", "full"}});
  EXPECT_FALSE(got.contains("Description"));
  EXPECT_EQ(got["State"], "ENABLED");
  EXPECT_EQ(got["ScheduleExpressionTimezone"], "UTC");
  EXPECT_EQ(got["ScheduleExpression"], "cron(0 6 * * ? *)");
  EXPECT_EQ(fails("UpdateSchedule", schedule("missing", "rate(5 minutes)")).code, "ResourceNotFoundException");
  AwsError bad = fails("UpdateSchedule", schedule("full", "rate(5 fortnights)"));
  EXPECT_EQ(bad.code, "ValidationException");
  EXPECT_EQ(call("GetSchedule", {{"Name", "full"}})["ScheduleExpression"], "cron(0 6 * * ? *)");
}

TEST_F(SchedulerTest, C28_RecurringStartDateInThePastIsRefused) {
  AwsError a = fails("CreateSchedule", schedule("past", "rate(1 hour)", {{"StartDate", now() - 86400}}));
  EXPECT_EQ(a.code, "ValidationException");
  EXPECT_STREQ(a.what(), "The StartDate you specify cannot be earlier than 5 minutes ago.");
  call("CreateSchedule", schedule("fut", "rate(1 hour)", {{"StartDate", now() + 86400}}));
  // Within five minutes is allowed, and one-time schedules ignore StartDate.
  call("CreateSchedule", schedule("recent", "rate(1 hour)", {{"StartDate", now() - 120}}));
  call("CreateSchedule", schedule("once", "at(2035-01-01T00:00:00)", {{"StartDate", now() - 86400}}));
  EXPECT_EQ(fails("CreateSchedule", schedule("ends", "rate(1 hour)", {{"StartDate", now() + 7200},
                                                                     {"EndDate", now() + 3600}}))
                .code,
            "ValidationException");
}

TEST_F(SchedulerTest, FlexibleWindowNeedsItsMaximum) {
  EXPECT_EQ(fails("CreateSchedule", schedule("f", "rate(1 hour)", {{"FlexibleTimeWindow", {{"Mode", "FLEXIBLE"}}}})).code,
            "ValidationException");
  call("CreateSchedule",
       schedule("f", "rate(1 hour)", {{"FlexibleTimeWindow", {{"Mode", "FLEXIBLE"}, {"MaximumWindowInMinutes", 15}}}}));
}

TEST_F(SchedulerTest, RoleMustTrustTheSchedulerService) {
  make_role("lambda-role", trust_for("lambda.amazonaws.com"));
  Json in = schedule("untrusted", "rate(1 hour)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", {{"Name", "x"}},
                        "arn:aws:iam::000000000000:role/lambda-role");
  AwsError e = fails("CreateSchedule", in);
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_STREQ(e.what(), "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.");
  in["Target"]["RoleArn"] = "arn:aws:iam::000000000000:role/no-such-role";
  EXPECT_EQ(fails("CreateSchedule", in).code, "ValidationException");
  // The same check on update.
  call("CreateSchedule", schedule("trusted", "rate(1 hour)"));
  in["Name"] = "trusted";
  in["Target"]["RoleArn"] = "arn:aws:iam::000000000000:role/lambda-role";
  EXPECT_EQ(fails("UpdateSchedule", in).code, "ValidationException");
}

TEST_F(SchedulerTest, TargetsCloudboxCannotServeAreRefused) {
  Json in = schedule("t", "rate(1 hour)");
  for (const char* arn : {"arn:aws:lambda:us-east-1:000000000000:function:f", "arn:aws:sqs:us-east-1:000000000000:q",
                          "arn:aws:sns:us-east-1:000000000000:t",
                          "arn:aws:events:us-east-1:000000000000:event-bus/default",
                          "arn:aws:scheduler:::aws-sdk:dynamodb:putItem",
                          "arn:aws:scheduler:::aws-sdk:ec2:noSuchAction",
                          "arn:aws:scheduler:::aws-sdk:secretsmanager:getSecretValue",
                          "arn:aws:scheduler:::aws-sdk:ec2:describeInstances", "arn:aws:scheduler:::aws-sdk:ec2",
                          "not-an-arn"}) {
    in["Target"]["Arn"] = arn;
    AwsError e = fails("CreateSchedule", in);
    EXPECT_EQ(e.code, "ValidationException") << arn;
  }
  in["Target"] = target();
  in["Target"]["Input"] = "not json";
  EXPECT_EQ(fails("CreateSchedule", in).code, "ValidationException");
  // Action names match the model case-insensitively.
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:ec2:stopInstances", {{"InstanceIds", {"i-0123456789abcdef0"}}});
  call("CreateSchedule", in);
}

TEST_F(SchedulerTest, ListSchedulesFiltersAndPages) {
  call("CreateScheduleGroup", {{"Name", "g"}});
  for (int i = 0; i < 5; ++i) call("CreateSchedule", schedule("a" + std::to_string(i), "rate(1 hour)"));
  call("CreateSchedule", schedule("b0", "rate(1 hour)", {{"State", "DISABLED"}}));
  call("CreateSchedule", schedule("a9", "rate(1 hour)", {{"GroupName", "g"}}));
  EXPECT_EQ(call("ListSchedules", Json::object())["Schedules"].size(), 7u);
  EXPECT_EQ(call("ListSchedules", {{"NamePrefix", "a"}})["Schedules"].size(), 6u);
  EXPECT_EQ(call("ListSchedules", {{"GroupName", "g"}})["Schedules"].size(), 1u);
  Json disabled = call("ListSchedules", {{"State", "DISABLED"}})["Schedules"];
  ASSERT_EQ(disabled.size(), 1u);
  EXPECT_EQ(disabled[0]["Name"], "b0");
  EXPECT_EQ(disabled[0]["Target"]["Arn"], "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret");
  std::vector<std::string> names;
  Json page = call("ListSchedules", {{"MaxResults", 3}});
  for (;;) {
    for (const auto& s : page["Schedules"]) names.push_back(s["Name"].get<std::string>());
    if (!page.contains("NextToken")) break;
    page = call("ListSchedules", {{"MaxResults", 3}, {"NextToken", page["NextToken"]}});
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4", "a9", "b0"}));
  Json first = call("ListSchedules", {{"MaxResults", 2}});
  EXPECT_EQ(fails("ListSchedules", {{"MaxResults", 2}, {"NamePrefix", "b"}, {"NextToken", first["NextToken"]}}).code,
            "ValidationException");
}

TEST_F(SchedulerTest, GroupsTagsAndTheDefaultGroup) {
  Json groups = call("ListScheduleGroups", Json::object())["ScheduleGroups"];
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["Name"], "default");
  EXPECT_EQ(groups[0]["Arn"], "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default");
  EXPECT_EQ(fails("DeleteScheduleGroup", {{"Name", "default"}}).code, "ValidationException");
  std::string arn = call("CreateScheduleGroup", {{"Name", "tagged"}, {"Tags", {{{"Key", "team"}, {"Value", "data"}}}}})
                        ["ScheduleGroupArn"];
  EXPECT_EQ(arn, "arn:aws:scheduler:us-east-1:000000000000:schedule-group/tagged");
  call("TagResource", {{"ResourceArn", arn}, {"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}});
  Json tags = call("ListTagsForResource", {{"ResourceArn", arn}})["Tags"];
  EXPECT_EQ(tags, Json::parse(R"([{"Key":"env","Value":"prod"},{"Key":"team","Value":"data"}])"));
  call("UntagResource", {{"ResourceArn", arn}, {"TagKeys", {"team"}}});
  EXPECT_EQ(call("ListTagsForResource", {{"ResourceArn", arn}})["Tags"].size(), 1u);
  // Schedules are not taggable (the model's ARN pattern admits schedule groups only).
  EXPECT_EQ(fails("TagResource", {{"ResourceArn", "arn:aws:scheduler:us-east-1:000000000000:schedule/default/x"},
                                  {"Tags", {{{"Key", "k"}, {"Value", "v"}}}}})
                .code,
            "ValidationException");
  EXPECT_EQ(fails("ListTagsForResource", {{"ResourceArn", "arn:aws:scheduler:us-east-1:000000000000:schedule-group/nope"}})
                .code,
            "ResourceNotFoundException");
  EXPECT_EQ(call("ListScheduleGroups", {{"NamePrefix", "ta"}})["ScheduleGroups"].size(), 1u);
}

TEST_F(SchedulerTest, AuthzTargetsNameTheScheduleAndPassTheRole) {
  Service* svc = core.service("scheduler");
  ASSERT_NE(svc, nullptr);
  RequestContext c = ctx;
  c.operation = "CreateSchedule";
  auto targets = svc->authz_targets(c, schedule("n", "rate(1 hour)", {{"GroupName", "g"}}));
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].action, "scheduler:CreateSchedule");
  EXPECT_EQ(targets[0].resources, std::vector<std::string>{"arn:aws:scheduler:us-east-1:000000000000:schedule/g/n"});
  EXPECT_EQ(targets[1].action, "iam:PassRole");
  EXPECT_EQ(targets[1].resources, std::vector<std::string>{kRoleArn});
  EXPECT_EQ(targets[1].context.at("iam:PassedToService"), std::vector<std::string>{"scheduler.amazonaws.com"});
  c.operation = "DeleteScheduleGroup";
  targets = svc->authz_targets(c, {{"Name", "g"}});
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].action, "scheduler:DeleteScheduleGroup");
  EXPECT_EQ(targets[0].resources, std::vector<std::string>{"arn:aws:scheduler:us-east-1:000000000000:schedule-group/g"});
}

// ---------------------------------------------------------------------------------------------------
// Firing

TEST_F(SchedulerTest, CronTargetRunsAsTheExecutionRoleWhenTheClockPassesIt) {
  call("CreateSchedule", schedule("daily", "cron(0 6 * * ? *)", {{"ScheduleExpressionTimezone", "America/Los_Angeles"}}));
  auto e = scheduler::parse_expression("cron(0 6 * * ? *)");
  int64_t fire = *scheduler::next_fire(*e, scheduler::find_zone("America/Los_Angeles"), int64_t(std::ceil(now())));
  move_to(double(fire) - 1);
  EXPECT_FALSE(secret_exists("fired"));
  EXPECT_EQ(history().size(), 0u);
  move_to(double(fire) + 30);
  EXPECT_TRUE(secret_exists("fired"));
  Json h = history("daily");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["Status"], "SUCCEEDED");
  EXPECT_EQ(h[0]["Service"], "secretsmanager");
  EXPECT_EQ(h[0]["Operation"], "CreateSecret");
  EXPECT_EQ(h[0]["Attempt"], 1);
  EXPECT_EQ(h[0]["ScheduledTime"], iso8601_seconds(from_epoch(double(fire))));
  EXPECT_EQ(h[0]["ScheduleArn"], "arn:aws:scheduler:us-east-1:000000000000:schedule/default/daily");
  EXPECT_EQ(h[0]["Input"]["Name"], "fired");
  // The call ran as a session of the execution role.
  EXPECT_EQ(h[0]["Principal"].get<std::string>().rfind("arn:aws:sts::000000000000:assumed-role/sched/", 0), 0u)
      << h[0].dump();
  // The next day's invocation fails (the secret exists): visible, and not retried (a client error).
  move_to(double(fire) + 86400 + 30);
  h = history("daily");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1]["Status"], "FAILED");
  EXPECT_EQ(h[1]["ErrorCode"], "ResourceExistsException");
  EXPECT_FALSE(h[1].contains("NextAttempt"));
}

TEST_F(SchedulerTest, WrongRegionTargetFailsVisibly) {
  core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "east"}, {"SecretString", "v1"}}, "us-east-1");
  Json in = schedule("west", "rate(1 hour)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue",
                        {{"SecretId", "east"}, {"SecretString", "v2"}});
  call("CreateSchedule", in, "us-west-2");
  core.tick();  // a rate schedule without StartDate starts at once
  Json h = history("west");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["Status"], "FAILED");
  EXPECT_EQ(h[0]["ErrorCode"], "ResourceNotFoundException");
  EXPECT_EQ(h[0]["Region"], "us-west-2");
}

TEST_F(SchedulerTest, RateFiresOncePerDueTimeInOrder) {
  core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "counter"}, {"SecretString", "0"}});
  Json in = schedule("every5", "rate(5 minutes)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue",
                        {{"SecretId", "counter"}, {"SecretString", "tick"}});
  call("CreateSchedule", in);
  core.tick();  // starts at once
  ASSERT_EQ(history("every5").size(), 1u);
  advance(3600);  // twelve more due times
  Json h = history("every5");
  ASSERT_EQ(h.size(), 13u);
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h[i]["Status"], "SUCCEEDED") << h[i].dump();
  for (size_t i = 1; i < h.size(); ++i) {
    double a = to_epoch(*parse_timestamp(h[i - 1]["ScheduledTime"].get<std::string>()));
    double b = to_epoch(*parse_timestamp(h[i]["ScheduledTime"].get<std::string>()));
    EXPECT_EQ(b - a, 300) << i;
  }
  Json versions = core.invoke(ctx, "secretsmanager", "ListSecretVersionIds", {{"SecretId", "counter"}});
  EXPECT_EQ(versions["Versions"].size(), 2u);  // AWSCURRENT and AWSPREVIOUS (older ones have no label)
}

TEST_F(SchedulerTest, ATrustedRoleWithoutThePermissionFailsVisibly) {
  // Without --enforce-iam too: the execution role's policies decide what a schedule may call.
  make_role("weak", trust_for("scheduler.amazonaws.com"),
            {{"Version", "2012-10-17"},
             {"Statement", {{{"Effect", "Allow"}, {"Action", "secretsmanager:DescribeSecret"}, {"Resource", "*"}}}}});
  Json in = schedule("weak", "rate(1 hour)");
  in["Target"]["RoleArn"] = "arn:aws:iam::000000000000:role/weak";
  call("CreateSchedule", in);
  core.tick();
  Json h = history("weak");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["Status"], "FAILED");
  EXPECT_EQ(h[0]["ErrorCode"], "AccessDeniedException");
  EXPECT_NE(h[0]["ErrorMessage"].get<std::string>().find("secretsmanager:CreateSecret"), std::string::npos)
      << h[0].dump();
  EXPECT_FALSE(secret_exists("fired"));
}

TEST_F(SchedulerTest, ContextAttributesAreReplacedInTheInput) {
  Json in = schedule("ctx", "rate(1 hour)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                        {{"Name", "attempt-<aws.scheduler.attempt-number>"},
                         {"SecretString", "<aws.scheduler.scheduled-time>|<aws.scheduler.schedule-arn>|<aws.scheduler.execution-id>"}});
  call("CreateSchedule", in);
  core.tick();
  Json h = history("ctx");
  ASSERT_EQ(h.size(), 1u);
  ASSERT_EQ(h[0]["Status"], "SUCCEEDED") << h[0].dump();
  Json v = core.invoke(ctx, "secretsmanager", "GetSecretValue", {{"SecretId", "attempt-1"}});
  EXPECT_EQ(v["SecretString"], h[0]["ScheduledTime"].get<std::string>() +
                                   "|arn:aws:scheduler:us-east-1:000000000000:schedule/default/ctx|" +
                                   h[0]["ExecutionId"].get<std::string>());
  EXPECT_EQ(h[0]["ExecutionId"].get<std::string>().size(), 16u);
}

TEST_F(SchedulerTest, ReadOnlyActionsAreNotUniversalTargets) {
  Json in = schedule("ro", "rate(5 minutes)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:getRandomPassword", Json::object());
  EXPECT_EQ(fails("CreateSchedule", in).code, "ValidationException");
}

TEST_F(SchedulerTest, AClockJumpDropsStaleEventsInOneStep) {
  core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "counter"}, {"SecretString", "0"}});
  Json in = schedule("minutely", "rate(1 minute)");
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue",
                        {{"SecretId", "counter"}, {"SecretString", "tick"}});
  in["Target"]["RetryPolicy"] = {{"MaximumEventAgeInSeconds", 600}, {"MaximumRetryAttempts", 0}};
  in["Target"]["DeadLetterConfig"] = {{"Arn", "arn:aws:sqs:us-east-1:000000000000:dlq"}};
  call("CreateSchedule", in);
  core.tick();
  advance(5.0 * 365 * 86400);  // five years: millions of due times, nearly all stale
  Json h = history("minutely");
  ASSERT_GE(h.size(), 3u);
  // One DROPPED record for everything older than ten minutes, then the last ten minutes' invocations.
  size_t dropped = 0, ok = 0;
  for (const auto& e : h) {
    if (e["Status"] == "DROPPED") ++dropped;
    if (e["Status"] == "SUCCEEDED") ++ok;
  }
  EXPECT_EQ(dropped, 1u);
  EXPECT_GE(ok, 11u);
  EXPECT_LE(ok, 12u);
  const Json* drop = nullptr;
  for (const auto& e : h)
    if (e["Status"] == "DROPPED") drop = &e;
  ASSERT_NE(drop, nullptr);
  EXPECT_NE((*drop)["DeadLetter"].get<std::string>().find("arn:aws:sqs:us-east-1:000000000000:dlq"), std::string::npos);
}

TEST_F(SchedulerTest, OneTimeScheduleDeletesItselfAfterCompletion) {
  // at() is local time in the schedule's zone; pick tomorrow in UTC.
  TimePoint t = core.clock().now() + std::chrono::hours(24);
  std::string stamp = iso8601_seconds(t).substr(0, 19);
  call("CreateSchedule", schedule("once", "at(" + stamp + ")", {{"ActionAfterCompletion", "DELETE"}}));
  call("CreateSchedule", schedule("keep", "at(" + stamp + ")", {{"Target", target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", {{"Name", "kept"}, {"SecretString", "x"}})}}));
  advance(3600);
  EXPECT_FALSE(secret_exists("fired"));
  advance(86400);
  EXPECT_TRUE(secret_exists("fired"));
  EXPECT_TRUE(secret_exists("kept"));
  EXPECT_EQ(fails("GetSchedule", {{"Name", "once"}}).code, "ResourceNotFoundException");
  EXPECT_EQ(call("GetSchedule", {{"Name", "keep"}})["State"], "ENABLED");  // NONE keeps it
  advance(86400);
  EXPECT_EQ(history("keep").size(), 1u);  // once only
}

TEST_F(SchedulerTest, AOneTimeScheduleWhoseEventIsTooOldIsDroppedAndCompletes) {
  TimePoint t = core.clock().now() + std::chrono::hours(1);
  std::string stamp = iso8601_seconds(t).substr(0, 19);
  Json in = schedule("late", "at(" + stamp + ")", {{"ActionAfterCompletion", "DELETE"}});
  in["Target"]["RetryPolicy"] = {{"MaximumEventAgeInSeconds", 60}};
  call("CreateSchedule", in);
  advance(7200);  // an hour past its time: older than a minute
  Json h = history("late");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["Status"], "DROPPED");
  EXPECT_FALSE(secret_exists("fired"));
  EXPECT_EQ(fails("GetSchedule", {{"Name", "late"}}).code, "ResourceNotFoundException");
}

TEST_F(SchedulerTest, DisabledSchedulesDoNotFire) {
  call("CreateSchedule", schedule("off", "rate(1 minute)", {{"State", "DISABLED"}}));
  advance(600);
  EXPECT_EQ(history("off").size(), 0u);
  EXPECT_FALSE(secret_exists("fired"));
  const double enabled_at = std::floor(now());
  call("UpdateSchedule", schedule("off", "rate(1 minute)", {{"State", "ENABLED"}}));
  advance(61);
  Json h = history("off");
  // From now on, not the ten missed ones.
  ASSERT_GE(h.size(), 1u);
  ASSERT_LE(h.size(), 2u);
  for (const auto& e : h) EXPECT_GE(to_epoch(*parse_timestamp(e["ScheduledTime"].get<std::string>())), enabled_at);
}

TEST_F(SchedulerTest, EndDateStopsARecurringSchedule) {
  core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "counter"}, {"SecretString", "0"}});
  Json in = schedule("bounded", "rate(10 minutes)", {{"EndDate", now() + 1500}});
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue",
                        {{"SecretId", "counter"}, {"SecretString", "tick"}});
  call("CreateSchedule", in);
  core.tick();
  advance(7200);
  EXPECT_EQ(history("bounded").size(), 3u);  // +0, +10 min, +20 min; +30 min is past EndDate
}

TEST_F(SchedulerTest, FiresAtLocalTimeAcrossSpringForward) {
  // 2030-03-10: America/Los_Angeles skips 02:00–03:00. cron(30 2 * * ? *) fires 03-09 02:30 PST, not on the
  // 10th, then 03-11 02:30 PDT.
  Json in = schedule("dst", "cron(30 2 * * ? *)", {{"ScheduleExpressionTimezone", "America/Los_Angeles"}});
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", {{"Name", "dst"}, {"SecretString", "x"}});
  move_to(to_epoch(*parse_timestamp("2030-03-09T00:00:00Z")));
  call("CreateSchedule", in);
  // A day at a time, so no event gets older than MaximumEventAgeInSeconds (a day) before it is invoked.
  for (const char* t : {"2030-03-10T00:00:00Z", "2030-03-11T00:00:00Z", "2030-03-12T00:00:00Z"})
    move_to(to_epoch(*parse_timestamp(t)));
  Json h = history("dst");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0]["ScheduledTime"], "2030-03-09T10:30:00Z");
  EXPECT_EQ(h[0]["Status"], "SUCCEEDED");
  EXPECT_EQ(h[1]["ScheduledTime"], "2030-03-11T09:30:00Z");
  EXPECT_EQ(h[1]["Status"], "FAILED");  // invoked (the secret exists by then), not dropped
}

TEST_F(SchedulerTest, FiresOnceInTheRepeatedHourOfFallBack) {
  // 2030-11-03: America/Los_Angeles repeats 01:00–02:00. cron(30 1 * * ? *) fires once that day, at 01:30 PDT.
  Json in = schedule("fall", "cron(30 1 * * ? *)", {{"ScheduleExpressionTimezone", "America/Los_Angeles"}});
  in["Target"] = target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", {{"Name", "fall"}, {"SecretString", "x"}});
  move_to(to_epoch(*parse_timestamp("2030-11-02T00:00:00Z")));
  call("CreateSchedule", in);
  for (const char* t : {"2030-11-03T00:00:00Z", "2030-11-04T00:00:00Z", "2030-11-04T12:00:00Z"})
    move_to(to_epoch(*parse_timestamp(t)));
  Json h = history("fall");
  ASSERT_EQ(h.size(), 3u);
  for (const auto& e : h) EXPECT_NE(e["Status"], "DROPPED") << e.dump();
  EXPECT_EQ(h[0]["ScheduledTime"], "2030-11-02T08:30:00Z");
  EXPECT_EQ(h[1]["ScheduledTime"], "2030-11-03T08:30:00Z");
  EXPECT_EQ(h[2]["ScheduledTime"], "2030-11-04T09:30:00Z");
}

TEST_F(SchedulerTest, EventsOlderThanTheMaximumAgeAreDroppedNotInvoked) {
  // The default maximum event age is a day: jumping two and a half days drops the first two daily times.
  Json in = schedule("daily", "cron(30 1 * * ? *)", {{"ScheduleExpressionTimezone", "America/Los_Angeles"}});
  move_to(to_epoch(*parse_timestamp("2030-11-02T00:00:00Z")));
  call("CreateSchedule", in);
  move_to(to_epoch(*parse_timestamp("2030-11-04T12:00:00Z")));
  Json h = history("daily");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0]["Status"], "DROPPED");
  EXPECT_EQ(h[0]["ScheduledTime"], "2030-11-02T08:30:00Z");
  EXPECT_EQ(h[1]["Status"], "SUCCEEDED");
  EXPECT_EQ(h[1]["ScheduledTime"], "2030-11-04T09:30:00Z");
  EXPECT_FALSE(h[0].contains("DeadLetter"));  // no DeadLetterConfig
}

TEST_F(SchedulerTest, ExecutionHistoryOverTheAdminEndpoint) {
  call("CreateSchedule", schedule("a", "rate(1 hour)"));
  call("CreateSchedule", schedule("b", "rate(1 hour)", {{"Target", target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", {{"Name", "b"}, {"SecretString", "x"}})}}));
  core.tick();
  HttpRequest r;
  r.method = "GET";
  r.path = "/_cloudbox/scheduler/executions";
  HttpResponse all = core.handle(r);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Json::parse(all.body)["Executions"].size(), 2u);
  r.query = "schedule=b";
  Json only = Json::parse(core.handle(r).body)["Executions"];
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["ScheduleName"], "b");
  r.query = "schedule=" + uri_encode("arn:aws:scheduler:us-east-1:000000000000:schedule/default/a");
  EXPECT_EQ(Json::parse(core.handle(r).body)["Executions"].size(), 1u);
  r.path = "/_cloudbox/scheduler/nothing";
  EXPECT_EQ(core.handle(r).status, 404);
}

TEST(SchedulerRetry, TransientErrorsAreRetriedWithBackoff) {
  EXPECT_TRUE(scheduler::is_retryable("ThrottlingException", 400));
  EXPECT_TRUE(scheduler::is_retryable("RequestLimitExceeded", 503));
  EXPECT_TRUE(scheduler::is_retryable("InternalError", 500));
  EXPECT_TRUE(scheduler::is_retryable("Whatever", 502));
  EXPECT_FALSE(scheduler::is_retryable("NotImplemented", 501));
  EXPECT_FALSE(scheduler::is_retryable("ResourceNotFoundException", 400));
  EXPECT_FALSE(scheduler::is_retryable("AccessDeniedException", 403));
  EXPECT_FALSE(scheduler::is_retryable("InvalidInstanceID.NotFound", 400));
  EXPECT_EQ(scheduler::retry_delay_seconds(1), 60);
  EXPECT_EQ(scheduler::retry_delay_seconds(2), 120);
  EXPECT_EQ(scheduler::retry_delay_seconds(3), 240);
  EXPECT_EQ(scheduler::retry_delay_seconds(7), 3600);
  EXPECT_EQ(scheduler::retry_delay_seconds(185), 3600);
}

// Schedules, their next-fire state and the history survive a restart; invocations that fell due while the
// server was down fire if younger than MaximumEventAgeInSeconds, else they are recorded as dropped.
TEST(SchedulerRestart, SchedulesAndHistorySurviveARestart) {
  auto dir = std::filesystem::temp_directory_path() / ("cloudbox-sched-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  Principal root{"root", "arn:aws:iam::000000000000:root", kAccount, kAccount, "", ""};
  double fire_at = 0;
  {
    Core core{Options{.state_dir = dir.string()}};
    RequestContext ctx{core};
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
    ctx.principal = root;
    core.invoke(ctx, "iam", "CreateRole",
                {{"RoleName", "sched"}, {"AssumeRolePolicyDocument", trust_for("scheduler.amazonaws.com").dump()}});
    Json allow = {{"Version", "2012-10-17"},
                  {"Statement", {{{"Effect", "Allow"}, {"Action", "secretsmanager:PutSecretValue"}, {"Resource", "*"}}}}};
    core.invoke(ctx, "iam", "PutRolePolicy", {{"RoleName", "sched"}, {"PolicyName", "p"}, {"PolicyDocument", allow.dump()}});
    core.invoke(ctx, "secretsmanager", "CreateSecret", {{"Name", "counter"}, {"SecretString", "0"}});
    Json put = {{"SecretId", "counter"}, {"SecretString", "tick"}};
    for (auto [name, age] : {std::pair<const char*, int>{"young", 86400}, {"old", 60}}) {
      core.invoke(ctx, "scheduler", "CreateSchedule",
                  {{"Name", name},
                   {"ScheduleExpression", "rate(1 hour)"},
                   {"StartDate", to_epoch(core.clock().now()) + 600},
                   {"FlexibleTimeWindow", {{"Mode", "OFF"}}},
                   {"Target", {{"Arn", "arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue"},
                               {"RoleArn", kRoleArn},
                               {"Input", put.dump()},
                               {"RetryPolicy", {{"MaximumEventAgeInSeconds", age}}}}}});
    }
    fire_at = std::ceil(to_epoch(core.clock().now()) + 600);
  }
  {
    Core core{Options{.state_dir = dir.string()}};
    RequestContext ctx{core};
    ctx.account_id = kAccount;
    ctx.region = "us-east-1";
    ctx.principal = root;
    EXPECT_EQ(core.invoke(ctx, "scheduler", "GetSchedule", {{"Name", "young"}})["ScheduleExpression"], "rate(1 hour)");
    // The server was "down" past the first due time by 30 minutes.
    core.clock().set(from_epoch(fire_at + 1800));
    core.tick();
    auto* svc = dynamic_cast<scheduler::SchedulerService*>(core.service("scheduler"));
    Json young, old;
    {
      std::lock_guard lock(svc->mutex());
      young = svc->executions("young")["Executions"];
      old = svc->executions("old")["Executions"];
    }
    ASSERT_EQ(young.size(), 1u);
    EXPECT_EQ(young[0]["Status"], "SUCCEEDED");
    ASSERT_EQ(old.size(), 1u);
    EXPECT_EQ(old[0]["Status"], "DROPPED");
  }
  {
    Core core{Options{.state_dir = dir.string()}};
    auto* svc = dynamic_cast<scheduler::SchedulerService*>(core.service("scheduler"));
    std::lock_guard lock(svc->mutex());
    EXPECT_EQ(svc->executions()["Executions"].size(), 2u);  // the history is persisted too
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cloudbox

namespace cloudbox {
namespace {

// A payload over the 256 KB quota is refused at create (a 9 MB Input once filled the execution history with
// gigabytes and stalled the server: found by a trial run).
TEST_F(SchedulerTest, InputOverThePayloadQuotaIsRefused) {
  Json big = schedule("big", "rate(1 minute)", {{"Target", target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                                                                   {{"Name", "x"}, {"SecretString", std::string(300 * 1024, 'a')}})}});
  EXPECT_EQ(fails("CreateSchedule", big).code, "ValidationException");
  Json fits = schedule("fits", "rate(1 minute)", {{"Target", target("arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                                                                    {{"Name", "x"}, {"SecretString", std::string(100 * 1024, 'a')}})}});
  EXPECT_NO_THROW(call("CreateSchedule", fits));
}

}  // namespace
}  // namespace cloudbox
