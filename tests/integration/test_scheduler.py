"""EventBridge Scheduler through Debian's AWS CLI v2: schedules in America/Los_Angeles that really fire when the
server clock moves, calling their universal target as the execution role; cases C24–C28; IAM enforcement
(iam:PassRole). `make_schedule_role` and `create_schedule` are the building blocks walkthrough step 6 needs
(start/stop an EC2 instance or RDS database at 06:00 / 23:00 Los Angeles time)."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from conftest import DEFAULT_ACCOUNT

LA = ZoneInfo("America/Los_Angeles")
SCHEDULER_TRUST = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
                                  "Action": "sts:AssumeRole"}]}


def ok(r):
    assert r.rc == 0, r
    return r.out


def make_schedule_role(srv, name, actions, resource="*", trust=None, region="us-west-2", **creds):
    """A customer managed policy allowing `actions` on `resource`, and a role carrying it that the scheduler
    service may assume (or whatever `trust` says). Returns the role ARN."""
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    policy = ok(srv.aws("iam", "create-policy", "--policy-name", name + "-policy", "--policy-document",
                        json.dumps(doc), region=region, **creds))["Policy"]["Arn"]
    role = ok(srv.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document",
                      json.dumps(trust or SCHEDULER_TRUST), region=region, **creds))["Role"]["Arn"]
    ok(srv.aws("iam", "attach-role-policy", "--role-name", name, "--policy-arn", policy, region=region, **creds))
    return role


def create_schedule(srv, name, expression, target_arn, role_arn, input_doc, timezone="America/Los_Angeles",
                    region="us-west-2", retries=0, extra=(), **creds):
    """aws scheduler create-schedule with a universal target, flexible window off, `retries` retries."""
    target = {"Arn": target_arn, "RoleArn": role_arn, "Input": json.dumps(input_doc),
              "RetryPolicy": {"MaximumRetryAttempts": retries}}
    return srv.aws("scheduler", "create-schedule", "--name", name, "--schedule-expression", expression,
                   "--schedule-expression-timezone", timezone, "--flexible-time-window", "Mode=OFF",
                   "--target", json.dumps(target), *extra, region=region, **creds)


def next_local(srv, hour, minute=0, zone=LA):
    """The next hh:mm in `zone` after the server clock, as epoch seconds."""
    now = dt.datetime.fromtimestamp(srv.now(), tz=dt.timezone.utc).astimezone(zone)
    t = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if t <= now:
        t = (now + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return t.timestamp()


def move_past(srv, epoch, by=30):
    srv.advance(max(0, epoch - srv.now()) + by)


def executions(srv, schedule=None):
    path = "/_cloudbox/scheduler/executions" + (f"?schedule={schedule}" if schedule else "")
    status, body = srv.admin("GET", path)
    if status == 404:
        pytest.skip("the core's admin hook for services (GET /_cloudbox/scheduler/…) is not merged yet")
    assert status == 200, body
    return body["Executions"]


def secret_exists(srv, name, region="us-west-2"):
    return srv.aws("secretsmanager", "describe-secret", "--secret-id", name, region=region).rc == 0


def test_cron_schedule_in_los_angeles_fires_as_the_execution_role(clean):
    srv = clean
    role = make_schedule_role(srv, "sched-secrets", ["secretsmanager:CreateSecret"])
    r = create_schedule(srv, "nightly", "cron(0 23 * * ? *)", "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                        role, {"Name": "made-by-schedule", "SecretString": "{\"by\":\"scheduler\"}"})
    assert ok(r)["ScheduleArn"] == f"arn:aws:scheduler:us-west-2:{DEFAULT_ACCOUNT}:schedule/default/nightly"
    got = ok(srv.aws("scheduler", "get-schedule", "--name", "nightly", region="us-west-2"))
    assert [got["ScheduleExpression"], got["ScheduleExpressionTimezone"], got["State"]] == \
        ["cron(0 23 * * ? *)", "America/Los_Angeles", "ENABLED"]
    assert got["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0

    fire = next_local(srv, 23)
    srv.advance(max(0, fire - srv.now() - 60))  # a minute before 23:00 Los Angeles time: nothing yet
    assert not secret_exists(srv, "made-by-schedule")
    move_past(srv, fire)
    value = ok(srv.aws("secretsmanager", "get-secret-value", "--secret-id", "made-by-schedule", region="us-west-2"))
    assert value["SecretString"] == "{\"by\":\"scheduler\"}"

    runs = executions(srv, "nightly")
    assert len(runs) == 1, runs
    run = runs[0]
    assert run["Status"] == "SUCCEEDED", run
    assert (run["Service"], run["Operation"]) == ("secretsmanager", "CreateSecret")
    assert run["ScheduledTime"] == dt.datetime.fromtimestamp(fire, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run["Principal"].startswith(f"arn:aws:sts::{DEFAULT_ACCOUNT}:assumed-role/sched-secrets/")
    # The next night the secret exists: the failure is recorded, visibly, and not retried.
    move_past(srv, fire + 86400)
    runs = executions(srv, "nightly")
    assert [x["Status"] for x in runs] == ["SUCCEEDED", "FAILED"], runs
    assert runs[1]["ErrorCode"] == "ResourceExistsException"


def test_target_in_another_region_fails_visibly(clean):
    srv = clean
    ok(srv.aws("secretsmanager", "create-secret", "--name", "west-only", "--secret-string", "v1", region="us-west-2"))
    role = make_schedule_role(srv, "sched-put", ["secretsmanager:PutSecretValue"])
    ok(create_schedule(srv, "east", "rate(5 minutes)", "arn:aws:scheduler:::aws-sdk:secretsmanager:putSecretValue",
                       role, {"SecretId": "west-only", "SecretString": "v2"}, region="us-east-1"))
    srv.advance(1)
    runs = executions(srv, "east")
    assert runs and runs[0]["Status"] == "FAILED", runs
    assert runs[0]["ErrorCode"] == "ResourceNotFoundException"
    assert runs[0]["Region"] == "us-east-1"


def test_trusted_role_without_the_permission_fails_visibly(clean):
    srv = clean
    role = make_schedule_role(srv, "sched-describe-only", ["secretsmanager:DescribeSecret"])
    ok(create_schedule(srv, "weak", "rate(1 hour)", "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", role,
                       {"Name": "never", "SecretString": "x"}))
    srv.advance(1)
    runs = executions(srv, "weak")
    assert runs and runs[0]["Status"] == "FAILED", runs
    assert runs[0]["ErrorCode"] == "AccessDeniedException"
    assert "secretsmanager:CreateSecret" in runs[0]["ErrorMessage"]
    assert not secret_exists(srv, "never")


def test_untrusted_role_is_refused(clean):
    srv = clean
    lambda_trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = make_schedule_role(srv, "not-for-scheduler", ["ec2:StopInstances"], trust=lambda_trust)
    r = create_schedule(srv, "stop", "cron(0 23 * * ? *)", "arn:aws:scheduler:::aws-sdk:ec2:stopInstances", role,
                        {"InstanceIds": ["i-0123456789abcdef0"]})
    assert (r.code, r.status) == ("ValidationException", 400), r
    assert r.message == "The execution role you provide must allow AWS EventBridge Scheduler to assume the role."
    assert srv.aws("scheduler", "get-schedule", "--name", "stop", region="us-west-2").code == "ResourceNotFoundException"


def test_cases_c24_to_c28(clean):
    srv = clean
    role = make_schedule_role(srv, "sched", ["ec2:StopInstances"], region="us-east-1")
    target = ["arn:aws:scheduler:::aws-sdk:ec2:stopInstances", role, {"InstanceIds": ["i-0123456789abcdef0"]}]
    utc = {"timezone": "UTC", "region": "us-east-1"}
    # C24
    for name, expr in [("bad1", "every day"), ("bad2", "rate(1 fortnight)")]:
        r = create_schedule(srv, name, expr, *target, **utc)
        assert (r.code, r.status) == ("ValidationException", 400), r
        assert "Invalid Schedule Expression" in r.message
    r = srv.aws("scheduler", "get-schedule", "--name", "bad1")
    assert (r.code, r.status) == ("ResourceNotFoundException", 404), r
    assert ok(create_schedule(srv, "ok1", "rate(5 minutes)", *target, **utc))["ScheduleArn"] == \
        f"arn:aws:scheduler:us-east-1:{DEFAULT_ACCOUNT}:schedule/default/ok1"
    # C25
    for i, expr in enumerate(["cron(0-15/1 8-8 ? * 2,3,4,5,6,7 *)", "cron(30-30 13-13 ? * 2,4,6 *)",
                              "cron(1-31/30 1-1 ? * 1,7 *)", "cron(0 8 ? * MON-FRI *)"], 1):
        ok(create_schedule(srv, f"cron{i}", expr, *target, timezone="America/New_York", region="us-east-1"))
    assert ok(srv.aws("scheduler", "get-schedule", "--name", "cron4", "--query",
                      "[ScheduleExpression,ScheduleExpressionTimezone,State]")) == \
        ["cron(0 8 ? * MON-FRI *)", "America/New_York", "ENABLED"]
    # C26
    ok(create_schedule(srv, "DuplicateSchedule", "rate(1 hour)", *target, **utc))
    r = create_schedule(srv, "DuplicateSchedule", "rate(2 hours)", *target, **utc)
    assert (r.code, r.status) == ("ConflictException", 409), r
    assert ok(srv.aws("scheduler", "get-schedule", "--name", "DuplicateSchedule"))["ScheduleExpression"] == "rate(1 hour)"
    ok(srv.aws("scheduler", "create-schedule-group", "--name", "g2"))
    arn = ok(create_schedule(srv, "DuplicateSchedule", "rate(1 hour)", *target, extra=("--group-name", "g2"), **utc))
    assert arn["ScheduleArn"].endswith("schedule/g2/DuplicateSchedule")
    r = srv.aws("scheduler", "create-schedule-group", "--name", "g2")
    assert (r.code, r.status) == ("ConflictException", 409), r
    # C27
    ok(srv.aws("scheduler", "create-schedule-group", "--name", "g1"))
    ok(create_schedule(srv, "s", "rate(5 minutes)", *target, extra=("--group-name", "g1"), **utc))
    upd = ok(srv.aws("scheduler", "update-schedule", "--name", "s", "--group-name", "g1", "--schedule-expression",
                     "rate(10 minutes)", "--flexible-time-window", "Mode=OFF", "--target",
                     json.dumps({"Arn": target[0], "RoleArn": role, "Input": json.dumps(target[2])})))
    assert upd["ScheduleArn"].endswith("schedule/g1/s")
    assert ok(srv.aws("scheduler", "get-schedule", "--name", "s", "--group-name", "g1", "--query",
                      "[ScheduleExpression,Arn]")) == \
        ["rate(10 minutes)", f"arn:aws:scheduler:us-east-1:{DEFAULT_ACCOUNT}:schedule/g1/s"]
    r = srv.aws("scheduler", "get-schedule", "--name", "s")
    assert (r.code, r.status) == ("ResourceNotFoundException", 404), r
    r = create_schedule(srv, "s", "rate(5 minutes)", *target, extra=("--group-name", "nogroup"), **utc)
    assert (r.code, r.status) == ("ResourceNotFoundException", 404), r
    ok(srv.aws("scheduler", "delete-schedule-group", "--name", "g1"))
    r = srv.aws("scheduler", "list-schedules", "--group-name", "g1")
    assert r.code == "ResourceNotFoundException" or r.out["Schedules"] == [], r
    # C28
    past = (dt.datetime.fromtimestamp(srv.now(), dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = create_schedule(srv, "past", "rate(1 hour)", *target, extra=("--start-date", past), **utc)
    assert (r.code, r.status) == ("ValidationException", 400), r
    assert r.message == "The StartDate you specify cannot be earlier than 5 minutes ago."
    fut = (dt.datetime.fromtimestamp(srv.now(), dt.timezone.utc) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok(create_schedule(srv, "fut", "rate(1 hour)", *target, extra=("--start-date", fut), **utc))


def test_templated_targets_are_refused_clearly(clean):
    srv = clean
    role = make_schedule_role(srv, "sched-lambda", ["lambda:InvokeFunction"])
    r = srv.aws("scheduler", "create-schedule", "--name", "l", "--schedule-expression", "rate(1 hour)",
                "--flexible-time-window", "Mode=OFF", "--target",
                json.dumps({"Arn": f"arn:aws:lambda:us-west-2:{DEFAULT_ACCOUNT}:function:f", "RoleArn": role}),
                region="us-west-2")
    assert (r.code, r.status) == ("ValidationException", 400), r
    assert "templated targets for lambda" in r.message


@pytest.fixture
def enforced(server_factory):
    return server_factory(extra_args=["--enforce-iam"])


def test_enforced_create_schedule_needs_pass_role(enforced):
    srv = enforced
    role = make_schedule_role(srv, "sched-enf", ["secretsmanager:CreateSecret"])
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "scheduler:*", "Resource": "*"}]}
    ok(srv.aws("iam", "create-user", "--user-name", "no-pass"))
    ok(srv.aws("iam", "put-user-policy", "--user-name", "no-pass", "--policy-name", "s", "--policy-document",
               json.dumps(doc)))
    key = ok(srv.aws("iam", "create-access-key", "--user-name", "no-pass"))["AccessKey"]
    creds = {"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}
    r = create_schedule(srv, "denied", "rate(1 hour)", "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", role,
                        {"Name": "x", "SecretString": "y"}, **creds)
    assert (r.code, r.status) == ("AccessDeniedException", 403), r
    assert "iam:PassRole" in r.message, r
    # Reading schedules needs no PassRole.
    assert ok(srv.aws("scheduler", "list-schedules", region="us-west-2", **creds))["Schedules"] == []
    # With iam:PassRole on the role (for the scheduler service) the same request succeeds.
    pass_doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
         "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}}]}
    ok(srv.aws("iam", "put-user-policy", "--user-name", "no-pass", "--policy-name", "pass", "--policy-document",
               json.dumps(pass_doc)))
    r = create_schedule(srv, "allowed", "rate(1 hour)", "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret",
                        role, {"Name": "by-enforced-schedule", "SecretString": "y"}, **creds)
    assert ok(r)["ScheduleArn"].endswith("schedule/default/allowed")
    # It fires at once (a rate without StartDate) as the role, whose policy allows CreateSecret.
    srv.advance(1)
    assert srv.aws("secretsmanager", "describe-secret", "--secret-id", "by-enforced-schedule",
                   region="us-west-2").rc == 0
