"""STS through boto3 and the AWS CLI v2: caller identity and accounts, AssumeRole credentials that work
and expire on the server clock, GetSessionToken, GetAccessKeyInfo, and cases C14 and C15."""
import json
import re

import pytest
from botocore.exceptions import ClientError

from conftest import error_of, expect_error, iam_available

pytestmark = pytest.mark.usefixtures("clean")

ACCT = "000000000000"
ASIA = re.compile(r"^ASIA[A-Z0-9]{16}$")


def ensure_role(server, name, account=ACCT):
    """Creates the role in IAM when the server has IAM; without it, STS accepts any role ARN."""
    arn = f"arn:aws:iam::{account}:role/{name}"
    if iam_available(server):
        iam = server.client("iam", access_key="test" if account == ACCT else account)
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
        try:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
        except ClientError as e:
            if e.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
    return arn


def creds_client(server, service, creds, **kwargs):
    return server.client(service, access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                         session_token=creds["SessionToken"], **kwargs)


# ---------------------------------------------------------------------------------------------------
# GetCallerIdentity and accounts

def test_get_caller_identity_root_of_default_account(sts):
    ident = sts.get_caller_identity()
    assert ident["Account"] == ACCT
    assert ident["Arn"] == f"arn:aws:iam::{ACCT}:root"
    assert ident["UserId"] == ACCT


def test_twelve_digit_access_key_selects_the_account(server):
    ident = server.client("sts", access_key="123456789012").get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == "arn:aws:iam::123456789012:root"
    # Any other unknown key is the default account's root.
    assert server.client("sts", access_key="AKIAIOSFODNN7EXAMPLE").get_caller_identity()["Account"] == ACCT


def test_get_caller_identity_cli(server):
    out = server.aws("sts", "get-caller-identity").ok()
    assert out == {"UserId": ACCT, "Account": ACCT, "Arn": f"arn:aws:iam::{ACCT}:root"}
    out = server.aws("sts", "get-caller-identity", access_key="210987654321").ok()
    assert out["Account"] == "210987654321"


# ---------------------------------------------------------------------------------------------------
# AssumeRole

def test_assume_role_credentials_work(server, sts):
    role = ensure_role(server, "deployer")
    now = server.now()
    r = sts.assume_role(RoleArn=role, RoleSessionName="ci-run")
    c = r["Credentials"]
    assert ASIA.match(c["AccessKeyId"]), c
    assert len(c["SecretAccessKey"]) == 40
    assert c["SessionToken"]
    assert abs(c["Expiration"].timestamp() - (now + 3600)) < 60
    assert r["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCT}:assumed-role/deployer/ci-run"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:ci-run", r["AssumedRoleUser"]["AssumedRoleId"]), r["AssumedRoleUser"]

    ident = creds_client(server, "sts", c).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCT}:assumed-role/deployer/ci-run"
    assert ident["Account"] == ACCT
    assert ident["UserId"] == r["AssumedRoleUser"]["AssumedRoleId"]

    # The role session can use other services, in the role's account.
    sm = creds_client(server, "secretsmanager", c)
    arn = sm.create_secret(Name="from-role", SecretString="v")["ARN"]
    assert arn.startswith(f"arn:aws:secretsmanager:us-east-1:{ACCT}:secret:from-role-")
    assert server.client("secretsmanager").get_secret_value(SecretId="from-role")["SecretString"] == "v"

    # Two sessions get different keys.
    again = sts.assume_role(RoleArn=role, RoleSessionName="ci-run")["Credentials"]
    assert again["AccessKeyId"] != c["AccessKeyId"]


def test_temporary_key_without_its_session_token_is_refused(server, sts):
    c = sts.assume_role(RoleArn=ensure_role(server, "deployer"), RoleSessionName="s1")["Credentials"]
    bare = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"])
    expect_error(bare.get_caller_identity, "InvalidClientTokenId", 403,
                 "The security token included in the request is invalid")
    wrong = server.client("sts", access_key=c["AccessKeyId"], secret_key=c["SecretAccessKey"],
                          session_token="not-the-token")
    expect_error(wrong.get_caller_identity, "InvalidClientTokenId", 403)


def test_assumed_credentials_expire_with_the_server_clock(server, sts):
    role = ensure_role(server, "short")
    r = sts.assume_role(RoleArn=role, RoleSessionName="brief", DurationSeconds=900)
    c = r["Credentials"]
    expires = c["Expiration"].timestamp()
    assert abs(expires - (server.now() + 900)) < 60
    session_sts = creds_client(server, "sts", c)
    session_sm = creds_client(server, "secretsmanager", c)
    assert session_sts.get_caller_identity()["Arn"].endswith("assumed-role/short/brief")

    server.advance(max(0, expires - server.now() - 100))
    assert session_sts.get_caller_identity()["Arn"].endswith("assumed-role/short/brief")

    server.advance(200)
    assert server.now() > expires
    with pytest.raises(ClientError) as ei:
        session_sm.list_secrets()
    assert error_of(ei)[0] == "ExpiredTokenException", ei.value.response
    assert error_of(ei)[1].startswith("The security token included in the request is expired")
    # Query protocol: code ExpiredToken, HTTP 403 (AWS's common errors; IAM/STS answer "403 Forbidden").
    expect_error(session_sts.get_caller_identity, "ExpiredToken", 403,
                 "The security token included in the request is expired")
    # The long-term credentials are unaffected.
    assert sts.get_caller_identity()["Account"] == ACCT


def test_assume_role_in_another_account_and_access_key_info(server):
    caller = server.client("sts", access_key="111122223333")
    role = ensure_role(server, "ops", account="111122223333")
    r = caller.assume_role(RoleArn=role, RoleSessionName="ops-session")
    assert r["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/ops/ops-session"
    c = r["Credentials"]
    assert creds_client(server, "sts", c).get_caller_identity()["Account"] == "111122223333"
    info = server.client("sts").get_access_key_info(AccessKeyId=c["AccessKeyId"])
    assert info["Account"] == "111122223333"

    mine = server.client("sts").assume_role(RoleArn=ensure_role(server, "deployer"), RoleSessionName="x1")
    info = server.client("sts").get_access_key_info(AccessKeyId=mine["Credentials"]["AccessKeyId"])
    assert info["Account"] == ACCT


def test_assume_role_validation(server):
    role = ensure_role(server, "deployer")
    # botocore checks some constraints itself; switch that off so the server's checks are what answers.
    sts = server.client("sts", validate=False)
    expect_error(sts.assume_role, "ValidationError", 400,
                 "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 900",
                 RoleArn=role, RoleSessionName="s1", DurationSeconds=899)
    msg = expect_error(sts.assume_role, "ValidationError", 400, RoleArn=role, RoleSessionName="bad name!")
    assert "roleSessionName" in msg and "Member must satisfy regular expression pattern" in msg
    expect_error(sts.assume_role, "ValidationError", 400,
                 "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: "
                 "Member must have length greater than or equal to 2", RoleArn=role, RoleSessionName="a")
    expect_error(sts.assume_role, "ValidationError", 400,
                 "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: "
                 "Member must have value less than or equal to 43200",
                 RoleArn=role, RoleSessionName="s1", DurationSeconds=43201)


# ---------------------------------------------------------------------------------------------------
# GetSessionToken

def test_get_session_token(server, sts):
    now = server.now()
    r = sts.get_session_token(DurationSeconds=7200)
    c = r["Credentials"]
    assert ASIA.match(c["AccessKeyId"]), c
    # Sessions of an account's root last at most one hour, whatever was asked.
    assert abs(c["Expiration"].timestamp() - (now + 3600)) < 60
    ident = creds_client(server, "sts", c).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{ACCT}:root" and ident["Account"] == ACCT
    assert server.client("sts").get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == ACCT

    # Session credentials cannot make more session credentials.
    expect_error(creds_client(server, "sts", c).get_session_token, "AccessDenied", 403,
                 "Cannot call GetSessionToken with session credentials")
    server.advance(3700)
    expect_error(creds_client(server, "sts", c).get_caller_identity, "ExpiredToken", 403)


# ---------------------------------------------------------------------------------------------------
# C14: AssumeRole RoleSessionName longer than 64 characters

def test_c14_role_session_name_length(server):
    role = ensure_role(server, "sess")
    long_name = "s" * 65
    r = server.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", long_name,
                   "--duration-seconds", "900")  # (a)
    assert r.rc != 0, r
    assert r.code == "ValidationError" and r.status == 400, r
    assert r.message.startswith(f"1 validation error detected: Value '{long_name}' at 'roleSessionName' failed to "
                                "satisfy constraint: Member must have length less than or equal to 64"), r
    assert "Member must have length less than or equal to 64" in r.message

    r = server.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", "s" * 64,
                   "--duration-seconds", "900")  # (b)
    assert r.rc == 0, r
    assert r.out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCT}:assumed-role/sess/{'s' * 64}"


def test_c14_duration_above_max_session_duration(server):
    role = ensure_role(server, "sess")
    r = server.aws("sts", "assume-role", "--role-arn", role, "--role-session-name", "ok",
                   "--duration-seconds", "7200")  # (c)
    assert r.code == "ValidationError" and r.status == 400, r
    assert r.message.startswith("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")


# ---------------------------------------------------------------------------------------------------
# C15 (b): the account in a secret's ARN is the one GetCallerIdentity reports

@pytest.mark.parametrize("access_key", ["test", "444455556666"])
def test_c15_secret_arn_account_matches_caller_identity(server, access_key):
    r = server.aws("sts", "get-caller-identity", "--query", "Account", "--output", "text", access_key=access_key)
    assert r.rc == 0, r
    acct = r.stdout.strip()
    assert re.fullmatch(r"[0-9]{12}", acct), r
    r = server.aws("secretsmanager", "create-secret", "--name", "acct", "--secret-string", "x", "--query", "ARN",
                   "--output", "text", access_key=access_key)  # (b)
    assert r.rc == 0, r
    assert re.fullmatch(rf"arn:aws:secretsmanager:us-east-1:{acct}:secret:acct-[A-Za-z0-9]{{6}}", r.stdout.strip()), r
