"""Secrets Manager through boto3 (Debian's 1.26): versions and staging labels, idempotency, binary values,
deletion windows on the server clock, listing, batch reads, resource policies, random passwords, tags,
replication and rotation. Error codes and messages are AWS's (API reference; matched by prefix)."""
import datetime
import json
import re
import string
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, expect_error

pytestmark = pytest.mark.usefixtures("clean")

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ARN = re.compile(r"^arn:aws:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):secret:(?P<name>.+)-[A-Za-z0-9]{6}$")
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
NOT_FOUND = "Secrets Manager can't find the specified secret."
DAY = 86400


def stages_of(sm, secret_id):
    return sm.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})


def epoch(dt):
    return dt.timestamp() if isinstance(dt, datetime.datetime) else float(dt)


# ---------------------------------------------------------------------------------------------------
# Basics

def test_create_get_describe(server, sm):
    created = sm.create_secret(Name="app/db", SecretString='{"user":"u","password":"p"}', Description="the db",
                               Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "dev"}])
    m = ARN.match(created["ARN"])
    assert m and m.group("region") == "us-east-1" and m.group("account") == "000000000000"
    assert m.group("name") == "app/db"
    assert created["Name"] == "app/db"
    assert UUID.match(created["VersionId"])

    got = sm.get_secret_value(SecretId="app/db")
    assert got["SecretString"] == '{"user":"u","password":"p"}'
    assert "SecretBinary" not in got
    assert got["ARN"] == created["ARN"] and got["Name"] == "app/db"
    assert got["VersionId"] == created["VersionId"]
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert isinstance(got["CreatedDate"], datetime.datetime)
    assert abs(epoch(got["CreatedDate"]) - server.now()) < 120

    # The full ARN and the partial ARN (without the random suffix) name the same secret.
    assert sm.get_secret_value(SecretId=created["ARN"])["VersionId"] == created["VersionId"]
    partial = created["ARN"][:-7]
    assert sm.describe_secret(SecretId=partial)["ARN"] == created["ARN"]

    d = sm.describe_secret(SecretId="app/db")
    assert d["ARN"] == created["ARN"] and d["Name"] == "app/db" and d["Description"] == "the db"
    assert sorted((t["Key"], t["Value"]) for t in d["Tags"]) == [("env", "dev"), ("team", "data")]
    assert d["VersionIdsToStages"] == {created["VersionId"]: ["AWSCURRENT"]}
    assert isinstance(d["CreatedDate"], datetime.datetime)
    assert isinstance(d["LastChangedDate"], datetime.datetime)
    assert "DeletedDate" not in d
    assert not d.get("RotationEnabled", False)
    # Reading the value records the access, to the day (AWS truncates LastAccessedDate to midnight UTC).
    midnight = (server.now() // DAY) * DAY
    assert epoch(d["LastAccessedDate"]) == midnight


def test_not_found_and_exists(sm):
    expect_error(sm.get_secret_value, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="nope")
    expect_error(sm.describe_secret, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="nope")
    expect_error(sm.put_secret_value, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="nope",
                 SecretString="x")
    expect_error(sm.delete_secret, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="nope")
    sm.create_secret(Name="dup", SecretString="one")
    expect_error(sm.create_secret, "ResourceExistsException", 400,
                 "The operation failed because the secret dup already exists.", Name="dup", SecretString="two")
    assert sm.get_secret_value(SecretId="dup")["SecretString"] == "one"


def test_accounts_are_isolated(server, sm):
    other = server.client("secretsmanager", access_key="111122223333")
    created = other.create_secret(Name="shared-name", SecretString="other-account")
    assert ARN.match(created["ARN"]).group("account") == "111122223333"
    expect_error(sm.get_secret_value, "ResourceNotFoundException", 400, SecretId="shared-name")
    mine = sm.create_secret(Name="shared-name", SecretString="default-account")
    assert ARN.match(mine["ARN"]).group("account") == "000000000000"
    assert other.get_secret_value(SecretId="shared-name")["SecretString"] == "other-account"
    assert sm.get_secret_value(SecretId="shared-name")["SecretString"] == "default-account"


# ---------------------------------------------------------------------------------------------------
# Versions and staging labels

def test_versions_and_staging_labels(sm):
    v1 = sm.create_secret(Name="ver", SecretString="one")["VersionId"]
    p2 = sm.put_secret_value(SecretId="ver", SecretString="two")
    v2 = p2["VersionId"]
    assert p2["VersionStages"] == ["AWSCURRENT"]
    assert stages_of(sm, "ver") == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    v3 = sm.put_secret_value(SecretId="ver", SecretString="three")["VersionId"]
    # AWSPREVIOUS follows AWSCURRENT; v1 has no label left and disappears from the map.
    assert stages_of(sm, "ver") == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}

    assert sm.get_secret_value(SecretId="ver")["SecretString"] == "three"
    assert sm.get_secret_value(SecretId="ver", VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    old = sm.get_secret_value(SecretId="ver", VersionId=v1)
    assert old["SecretString"] == "one" and old.get("VersionStages", []) == []
    both = sm.get_secret_value(SecretId="ver", VersionId=v3, VersionStage="AWSCURRENT")
    assert both["SecretString"] == "three"
    expect_error(sm.get_secret_value, "InvalidRequestException", 400,
                 "You provided a VersionStage that is not associated to the provided VersionId.",
                 SecretId="ver", VersionId=v1, VersionStage="AWSCURRENT")
    missing = str(uuid.uuid4())
    expect_error(sm.get_secret_value, "ResourceNotFoundException", 400,
                 f"Secrets Manager can't find the specified secret value for VersionId: {missing}",
                 SecretId="ver", VersionId=missing)
    expect_error(sm.get_secret_value, "ResourceNotFoundException", 400,
                 "Secrets Manager can't find the specified secret value for staging label: NOPE",
                 SecretId="ver", VersionStage="NOPE")

    listed = sm.list_secret_version_ids(SecretId="ver")
    assert listed["Name"] == "ver"
    assert {v["VersionId"]: sorted(v["VersionStages"]) for v in listed["Versions"]} == {
        v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    listed = sm.list_secret_version_ids(SecretId="ver", IncludeDeprecated=True)
    assert {v["VersionId"] for v in listed["Versions"]} == {v1, v2, v3}

    # Moving AWSCURRENT needs RemoveFromVersionId while another version holds it.
    msg = expect_error(sm.update_secret_version_stage, "InvalidParameterException", 400, SecretId="ver",
                       VersionStage="AWSCURRENT", MoveToVersionId=v1)
    assert "RemoveFromVersionId" in msg
    assert stages_of(sm, "ver") == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    sm.update_secret_version_stage(SecretId="ver", VersionStage="AWSCURRENT", MoveToVersionId=v1,
                                   RemoveFromVersionId=v3)
    # AWSPREVIOUS moves to the version AWSCURRENT was removed from.
    assert stages_of(sm, "ver") == {v1: ["AWSCURRENT"], v3: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId="ver")["SecretString"] == "one"

    # A custom label: attach, then remove.
    sm.update_secret_version_stage(SecretId="ver", VersionStage="blue", MoveToVersionId=v2)
    assert stages_of(sm, "ver")[v2] == ["blue"]
    assert sm.get_secret_value(SecretId="ver", VersionStage="blue")["SecretString"] == "two"
    sm.update_secret_version_stage(SecretId="ver", VersionStage="blue", RemoveFromVersionId=v2)
    assert v2 not in stages_of(sm, "ver")
    expect_error(sm.get_secret_value, "ResourceNotFoundException", 400, SecretId="ver", VersionStage="blue")


def test_update_secret(sm):
    v1 = sm.create_secret(Name="upd", SecretString="one", Description="first")["VersionId"]
    r = sm.update_secret(SecretId="upd", Description="second")
    assert r["Name"] == "upd" and "VersionId" not in r
    d = sm.describe_secret(SecretId="upd")
    assert d["Description"] == "second"
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    v2 = sm.update_secret(SecretId="upd", SecretString="two")["VersionId"]
    assert v2 != v1
    assert stages_of(sm, "upd") == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert sm.describe_secret(SecretId="upd")["Description"] == "second"


def test_put_with_custom_stages_keeps_awscurrent(sm):
    v1 = sm.create_secret(Name="pend", SecretString="current")["VersionId"]
    v2 = sm.put_secret_value(SecretId="pend", SecretString="next", VersionStages=["AWSPENDING"])["VersionId"]
    assert stages_of(sm, "pend") == {v1: ["AWSCURRENT"], v2: ["AWSPENDING"]}
    assert sm.get_secret_value(SecretId="pend")["SecretString"] == "current"
    assert sm.get_secret_value(SecretId="pend", VersionStage="AWSPENDING")["SecretString"] == "next"


# ---------------------------------------------------------------------------------------------------
# ClientRequestToken

def test_client_request_token_idempotency_and_conflict(sm):
    token = str(uuid.uuid4())
    created = sm.create_secret(Name="tok", SecretString="A", ClientRequestToken=token)
    assert created["VersionId"] == token
    # Same name, same token, same value: ignored (idempotent), same version.
    again = sm.create_secret(Name="tok", SecretString="A", ClientRequestToken=token)
    assert again["VersionId"] == token and again["ARN"] == created["ARN"]
    # Same token, another value: refused.
    expect_error(sm.create_secret, "ResourceExistsException", 400, Name="tok", SecretString="B",
                 ClientRequestToken=token)

    t2 = str(uuid.uuid4())
    assert sm.put_secret_value(SecretId="tok", SecretString="C", ClientRequestToken=t2)["VersionId"] == t2
    before = sm.list_secret_version_ids(SecretId="tok", IncludeDeprecated=True)["Versions"]
    retry = sm.put_secret_value(SecretId="tok", SecretString="C", ClientRequestToken=t2)
    assert retry["VersionId"] == t2
    after = sm.list_secret_version_ids(SecretId="tok", IncludeDeprecated=True)["Versions"]
    assert len(after) == len(before) == 2
    expect_error(sm.put_secret_value, "ResourceExistsException", 400, SecretId="tok", SecretString="D",
                 ClientRequestToken=t2)
    assert sm.get_secret_value(SecretId="tok", VersionId=t2)["SecretString"] == "C"
    assert stages_of(sm, "tok") == {token: ["AWSPREVIOUS"], t2: ["AWSCURRENT"]}


# ---------------------------------------------------------------------------------------------------
# Binary secrets

def test_binary_secret_round_trip(sm):
    blob = bytes(range(256)) * 4 + b"\x00\xff\x00"
    created = sm.create_secret(Name="bin", SecretBinary=blob)
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == blob
    assert "SecretString" not in got
    blob2 = b"\x89PNG\r\n\x1a\n" + bytes(1000)
    v2 = sm.put_secret_value(SecretId="bin", SecretBinary=blob2)["VersionId"]
    assert sm.get_secret_value(SecretId="bin")["SecretBinary"] == blob2
    assert sm.get_secret_value(SecretId="bin", VersionId=created["VersionId"])["SecretBinary"] == blob
    assert stages_of(sm, "bin") == {created["VersionId"]: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    # A string version after binary ones: each version keeps its own kind.
    sm.put_secret_value(SecretId="bin", SecretString="text now")
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretString"] == "text now" and "SecretBinary" not in got

    expect_error(sm.create_secret, "InvalidParameterException", 400,
                 "You can't specify both a binary secret value and a string secret value in the same secret.",
                 Name="both", SecretString="s", SecretBinary=b"b")
    expect_error(sm.describe_secret, "ResourceNotFoundException", 400, SecretId="both")


def test_secret_value_size_limit(sm):
    sm.create_secret(Name="big", SecretString="x" * 65536)
    assert len(sm.get_secret_value(SecretId="big")["SecretString"]) == 65536
    # 40,000 two-byte characters: within the model's character limit, over the 65,536-byte quota.
    with pytest.raises(ClientError) as ei:
        sm.put_secret_value(SecretId="big", SecretString="\u00e9" * 40000)
    code, _, status = error_of(ei)
    assert status == 400 and code in ("InvalidParameterException", "ValidationException"), ei.value.response
    assert len(sm.list_secret_version_ids(SecretId="big")["Versions"]) == 1


# ---------------------------------------------------------------------------------------------------
# Deletion, recovery, force delete, and the server clock

def test_delete_restore_force(server, sm):
    arn = sm.create_secret(Name="del", SecretString="v")["ARN"]
    now = server.now()
    d = sm.delete_secret(SecretId="del", RecoveryWindowInDays=7)
    assert d["ARN"] == arn and d["Name"] == "del"
    assert abs(epoch(d["DeletionDate"]) - (now + 7 * DAY)) <= DAY, (d["DeletionDate"], now)
    desc = sm.describe_secret(SecretId="del")
    assert "DeletedDate" in desc
    expect_error(sm.get_secret_value, "InvalidRequestException", 400, MARKED_FOR_DELETION, SecretId="del")
    expect_error(sm.update_secret, "InvalidRequestException", 400, MARKED_FOR_DELETION, SecretId="del",
                 Description="x")
    expect_error(sm.delete_secret, "InvalidRequestException", 400, SecretId="del")

    r = sm.restore_secret(SecretId="del")
    assert r["ARN"] == arn and r["Name"] == "del"
    assert "DeletedDate" not in sm.describe_secret(SecretId="del")
    assert sm.get_secret_value(SecretId="del")["SecretString"] == "v"

    # Default window: 30 days.
    now = server.now()
    d = sm.delete_secret(SecretId="del")
    assert abs(epoch(d["DeletionDate"]) - (now + 30 * DAY)) <= DAY
    sm.restore_secret(SecretId="del")

    expect_error(sm.delete_secret, "InvalidParameterException", 400,
                 "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
                 SecretId="del", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    for days in (6, 31):
        expect_error(sm.delete_secret, "InvalidParameterException", 400,
                     "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
                     SecretId="del", RecoveryWindowInDays=days)
    assert "DeletedDate" not in sm.describe_secret(SecretId="del")

    sm.delete_secret(SecretId="del", ForceDeleteWithoutRecovery=True)
    expect_error(sm.describe_secret, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="del")
    expect_error(sm.restore_secret, "ResourceNotFoundException", 400, SecretId="del")
    # The name is free again at once.
    new_arn = sm.create_secret(Name="del", SecretString="again")["ARN"]
    assert new_arn != arn


def test_deletion_window_follows_server_clock(server, sm):
    sm.create_secret(Name="clocked", SecretString="v")
    sm.create_secret(Name="bystander", SecretString="stays")
    sm.delete_secret(SecretId="clocked", RecoveryWindowInDays=7)
    server.advance(6 * DAY)
    assert "DeletedDate" in sm.describe_secret(SecretId="clocked")
    server.advance(1 * DAY + 3600)
    expect_error(sm.describe_secret, "ResourceNotFoundException", 400, NOT_FOUND, SecretId="clocked")
    assert "clocked" not in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    sm.create_secret(Name="clocked", SecretString="new")
    assert sm.get_secret_value(SecretId="clocked")["SecretString"] == "new"
    assert sm.get_secret_value(SecretId="bystander")["SecretString"] == "stays"


# ---------------------------------------------------------------------------------------------------
# ListSecrets

@pytest.fixture
def five_secrets(server, sm):
    specs = [
        ("prod/db", "Production database", [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "data"}]),
        ("prod/api", "API key for PROD", [{"Key": "env", "Value": "prod"}]),
        ("dev/db", "development database", [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "data"}]),
        ("Dev/other", "misc", []),
        ("shared", "Shared database settings", [{"Key": "owner", "Value": "platform"}]),
    ]
    arns = {}
    for name, desc, tags in specs:
        kwargs = {"Tags": tags} if tags else {}
        arns[name] = sm.create_secret(Name=name, SecretString="v-" + name, Description=desc, **kwargs)["ARN"]
        server.advance(2)  # distinct CreatedDate values, for the sort order
    return arns


def names(resp):
    return sorted(s["Name"] for s in resp["SecretList"])


def test_list_secrets_filters(sm, five_secrets):
    everything = sm.list_secrets()
    assert names(everything) == sorted(five_secrets)
    entry = next(s for s in everything["SecretList"] if s["Name"] == "prod/db")
    assert entry["ARN"] == five_secrets["prod/db"]
    assert entry["Description"] == "Production database"
    assert len(entry["SecretVersionsToStages"]) == 1
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    assert sorted((t["Key"], t["Value"]) for t in entry["Tags"]) == [("env", "prod"), ("team", "data")]
    assert "SecretString" not in entry

    f = lambda *filters: names(sm.list_secrets(Filters=list(filters)))  # noqa: E731
    # name: prefix, case-sensitive.
    assert f({"Key": "name", "Values": ["prod/"]}) == ["prod/api", "prod/db"]
    assert f({"Key": "name", "Values": ["dev"]}) == ["dev/db"]
    assert f({"Key": "name", "Values": ["Dev"]}) == ["Dev/other"]
    assert f({"Key": "name", "Values": ["db"]}) == []
    # Several values in one filter: any of them.
    assert f({"Key": "name", "Values": ["dev", "shared"]}) == ["dev/db", "shared"]
    # description: prefix, not case-sensitive.
    assert f({"Key": "description", "Values": ["production"]}) == ["prod/db"]
    assert f({"Key": "description", "Values": ["DEVELOPMENT"]}) == ["dev/db"]
    # tags.
    assert f({"Key": "tag-key", "Values": ["team"]}) == ["dev/db", "prod/db"]
    assert f({"Key": "tag-value", "Values": ["prod"]}) == ["prod/api", "prod/db"]
    assert f({"Key": "tag-value", "Values": ["plat"]}) == ["shared"]
    # Several filters: all of them.
    assert f({"Key": "tag-key", "Values": ["team"]}, {"Key": "tag-value", "Values": ["dev"]}) == ["dev/db"]
    # Negation.
    assert f({"Key": "name", "Values": ["!prod"]}) == ["Dev/other", "dev/db", "shared"]
    # all: words in any attribute, not case-sensitive.
    assert f({"Key": "all", "Values": ["database"]}) == ["dev/db", "prod/db", "shared"]
    assert f({"Key": "all", "Values": ["platform"]}) == ["shared"]

    # A filter key outside the model's enum.
    expect_error(sm.list_secrets, "ValidationException", 400, Filters=[{"Key": "bogus", "Values": ["x"]}])


def test_list_secrets_sort_and_pagination(sm, five_secrets):
    order = list(five_secrets)  # creation order
    asc = [s["Name"] for s in sm.list_secrets(SortOrder="asc")["SecretList"]]
    desc = [s["Name"] for s in sm.list_secrets(SortOrder="desc")["SecretList"]]
    assert asc == order
    assert desc == list(reversed(order))

    page = sm.list_secrets(MaxResults=2, SortOrder="asc")
    assert [s["Name"] for s in page["SecretList"]] == order[:2]
    assert page.get("NextToken")
    page2 = sm.list_secrets(MaxResults=2, SortOrder="asc", NextToken=page["NextToken"])
    assert [s["Name"] for s in page2["SecretList"]] == order[2:4]

    seen = []
    pages = 0
    for p in sm.get_paginator("list_secrets").paginate(SortOrder="asc", PaginationConfig={"PageSize": 2}):
        pages += 1
        assert len(p["SecretList"]) <= 2
        seen += [s["Name"] for s in p["SecretList"]]
    assert pages == 3
    assert seen == order

    expect_error(sm.list_secrets, "ValidationException", 400, MaxResults=101)
    with pytest.raises(ClientError) as ei:
        sm.list_secrets(NextToken="not-a-token-cloudbox-issued")
    assert error_of(ei)[0] in ("InvalidNextTokenException", "InvalidParameterException"), ei.value.response
    assert error_of(ei)[2] == 400


def test_list_secrets_include_planned_deletion(server, five_secrets):
    sm = server.client("secretsmanager", newer_model=True)
    sm.delete_secret(SecretId="shared", RecoveryWindowInDays=7)
    assert "shared" not in names(sm.list_secrets())
    with_deleted = sm.list_secrets(IncludePlannedDeletion=True)
    assert names(with_deleted) == sorted(five_secrets)
    entry = next(s for s in with_deleted["SecretList"] if s["Name"] == "shared")
    assert "DeletedDate" in entry


# ---------------------------------------------------------------------------------------------------
# BatchGetSecretValue (newer than Debian's botocore: the client uses the repo's model)

def test_batch_get_secret_value(server, five_secrets):
    sm = server.client("secretsmanager", newer_model=True)
    r = sm.batch_get_secret_value(SecretIdList=["prod/db", five_secrets["dev/db"], "missing"])
    values = {v["Name"]: v for v in r["SecretValues"]}
    assert set(values) == {"prod/db", "dev/db"}
    assert values["prod/db"]["SecretString"] == "v-prod/db"
    assert values["dev/db"]["ARN"] == five_secrets["dev/db"]
    assert values["dev/db"]["VersionStages"] == ["AWSCURRENT"]
    assert len(r["Errors"]) == 1
    assert r["Errors"][0]["SecretId"] == "missing"
    assert r["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"

    r = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["prod/"]}])
    assert sorted((v["Name"], v["SecretString"]) for v in r["SecretValues"]) == [
        ("prod/api", "v-prod/api"), ("prod/db", "v-prod/db")]

    expect_error(sm.batch_get_secret_value, "InvalidParameterException", 400, SecretIdList=["prod/db"],
                 Filters=[{"Key": "name", "Values": ["prod/"]}])


# ---------------------------------------------------------------------------------------------------
# Resource policies

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000000:role/reader"},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }],
}


def test_resource_policy(sm):
    arn = sm.create_secret(Name="pol", SecretString="v")["ARN"]
    r = sm.get_resource_policy(SecretId="pol")
    assert r["ARN"] == arn and r["Name"] == "pol" and "ResourcePolicy" not in r

    put = sm.put_resource_policy(SecretId="pol", ResourcePolicy=json.dumps(POLICY))
    assert put["ARN"] == arn and put["Name"] == "pol"
    r = sm.get_resource_policy(SecretId="pol")
    assert json.loads(r["ResourcePolicy"]) == POLICY

    v = sm.validate_resource_policy(SecretId="pol", ResourcePolicy=json.dumps(POLICY))
    assert v["PolicyValidationPassed"] is True
    assert v.get("ValidationErrors", []) == []

    expect_error(sm.put_resource_policy, "MalformedPolicyDocumentException", 400, SecretId="pol",
                 ResourcePolicy="{not json")
    public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                      "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    expect_error(sm.put_resource_policy, "PublicPolicyException", 400, SecretId="pol",
                 ResourcePolicy=json.dumps(public), BlockPublicPolicy=True)
    assert json.loads(sm.get_resource_policy(SecretId="pol")["ResourcePolicy"]) == POLICY

    d = sm.delete_resource_policy(SecretId="pol")
    assert d["ARN"] == arn and d["Name"] == "pol"
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")


# ---------------------------------------------------------------------------------------------------
# GetRandomPassword

PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def test_get_random_password(sm):
    for _ in range(5):
        pw = sm.get_random_password()["RandomPassword"]
        assert len(pw) == 32
        chars = set(pw)
        # RequireEachIncludedType defaults to true: one of each type.
        assert chars & set(string.ascii_uppercase) and chars & set(string.ascii_lowercase)
        assert chars & set(string.digits) and chars & PUNCTUATION
        assert " " not in pw
        assert chars <= set(string.ascii_letters + string.digits) | PUNCTUATION

    pw = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True, ExcludeNumbers=True)["RandomPassword"]
    assert len(pw) == 50 and set(pw) <= set(string.ascii_letters)

    for _ in range(5):
        pw = sm.get_random_password(PasswordLength=100, ExcludeCharacters="abcXYZ019!@")["RandomPassword"]
        assert len(pw) == 100 and not set(pw) & set("abcXYZ019!@")

    pw = sm.get_random_password(PasswordLength=12, ExcludeUppercase=True, ExcludeLowercase=True,
                                ExcludePunctuation=True)["RandomPassword"]
    assert len(pw) == 12 and set(pw) <= set(string.digits)

    pw = sm.get_random_password(PasswordLength=4096, IncludeSpace=True, RequireEachIncludedType=True)["RandomPassword"]
    assert len(pw) == 4096 and " " in pw

    passwords = {sm.get_random_password()["RandomPassword"] for _ in range(20)}
    assert len(passwords) == 20

    expect_error(sm.get_random_password, "ValidationException", 400, PasswordLength=4097)
    expect_error(sm.get_random_password, "InvalidParameterException", 400, PasswordLength=10,
                 ExcludeUppercase=True, ExcludeLowercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
    # Four required types cannot fit in three characters.
    expect_error(sm.get_random_password, "InvalidParameterException", 400, PasswordLength=3)


# ---------------------------------------------------------------------------------------------------
# Tags

def test_tags(sm):
    sm.create_secret(Name="tagged", SecretString="v", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId="tagged")["Tags"]}
    assert tags == {"a": "one", "b": "2"}
    sm.untag_resource(SecretId="tagged", TagKeys=["a", "not-there"])
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId="tagged")["Tags"]}
    assert tags == {"b": "2"}
    listed = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["b"]}])["SecretList"]
    assert [s["Name"] for s in listed] == ["tagged"]
    # Tagging changes no version.
    assert len(sm.list_secret_version_ids(SecretId="tagged")["Versions"]) == 1
    expect_error(sm.tag_resource, "ResourceNotFoundException", 400, SecretId="nope",
                 Tags=[{"Key": "a", "Value": "1"}])


# ---------------------------------------------------------------------------------------------------
# Replication

def test_replication(server, sm):
    west = server.client("secretsmanager", region="us-west-2")
    eu = server.client("secretsmanager", region="eu-west-1")
    created = sm.create_secret(Name="multi", SecretString="v1", AddReplicaRegions=[{"Region": "us-west-2"}])
    assert [(s["Region"], s["Status"]) for s in created["ReplicationStatus"]] == [("us-west-2", "InSync")]
    suffix = created["ARN"].rsplit(":", 1)[1]

    replica = west.describe_secret(SecretId="multi")
    assert replica["ARN"] == f"arn:aws:secretsmanager:us-west-2:000000000000:secret:{suffix}"
    assert replica["PrimaryRegion"] == "us-east-1"
    assert west.get_secret_value(SecretId="multi")["SecretString"] == "v1"
    primary = sm.describe_secret(SecretId="multi")
    assert [r["Region"] for r in primary["ReplicationStatus"]] == ["us-west-2"]

    # Values written to the primary reach the replica.
    v2 = sm.put_secret_value(SecretId="multi", SecretString="v2")["VersionId"]
    got = west.get_secret_value(SecretId="multi")
    assert got["SecretString"] == "v2" and got["VersionId"] == v2

    # A replica is read-only.
    with pytest.raises(ClientError) as ei:
        west.put_secret_value(SecretId="multi", SecretString="from-replica")
    code, message, status = error_of(ei)
    assert status == 400 and code in ("InvalidRequestException", "InvalidParameterException"), ei.value.response
    assert "replica" in message.lower()
    assert sm.get_secret_value(SecretId="multi")["SecretString"] == "v2"

    # Add and remove a region.
    r = sm.replicate_secret_to_regions(SecretId="multi", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert sorted(s["Region"] for s in r["ReplicationStatus"]) == ["eu-west-1", "us-west-2"]
    assert eu.get_secret_value(SecretId="multi")["SecretString"] == "v2"
    r = sm.remove_regions_from_replication(SecretId="multi", RemoveReplicaRegions=["eu-west-1"])
    assert [s["Region"] for s in r["ReplicationStatus"]] == ["us-west-2"]
    expect_error(eu.describe_secret, "ResourceNotFoundException", 400, SecretId="multi")

    # A primary with replicas cannot be deleted.
    with pytest.raises(ClientError) as ei:
        sm.delete_secret(SecretId="multi", ForceDeleteWithoutRecovery=True)
    assert error_of(ei)[0] in ("InvalidParameterException", "InvalidRequestException"), ei.value.response
    assert sm.describe_secret(SecretId="multi")["Name"] == "multi"

    # Promote the replica: it becomes a standalone secret, the primary forgets it.
    west.stop_replication_to_replica(SecretId="multi")
    assert "PrimaryRegion" not in west.describe_secret(SecretId="multi")
    assert not sm.describe_secret(SecretId="multi").get("ReplicationStatus")
    west.put_secret_value(SecretId="multi", SecretString="west-own")
    assert west.get_secret_value(SecretId="multi")["SecretString"] == "west-own"
    assert sm.get_secret_value(SecretId="multi")["SecretString"] == "v2"


# ---------------------------------------------------------------------------------------------------
# Rotation: there is no Lambda to run, and the answer must say so clearly and change nothing.

ROTATE_ERRORS = {"InvalidRequestException", "InvalidParameterException", "ResourceNotFoundException",
                 "AccessDeniedException"}


def test_rotation_answers_a_clear_error(sm):
    v1 = sm.create_secret(Name="rot", SecretString="v")["VersionId"]
    with pytest.raises(ClientError) as ei:
        sm.rotate_secret(SecretId="rot")
    code, message, status = error_of(ei)
    assert code == "InvalidRequestException" and status == 400 and message, ei.value.response

    fn = "arn:aws:lambda:us-east-1:000000000000:function:rotator"
    with pytest.raises(ClientError) as ei:
        sm.rotate_secret(SecretId="rot", RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30})
    code, message, status = error_of(ei)
    assert code in ROTATE_ERRORS and status == 400 and message, ei.value.response

    d = sm.describe_secret(SecretId="rot")
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    assert not d.get("RotationEnabled", False)
    # CancelRotateSecret on a secret without rotation is harmless or refused, never a server error.
    try:
        sm.cancel_rotate_secret(SecretId="rot")
    except ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
    assert sm.get_secret_value(SecretId="rot")["SecretString"] == "v"
