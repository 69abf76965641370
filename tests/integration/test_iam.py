"""IAM against the real binary with Debian's AWS CLI v2 and boto3: cases C09, C10, C12, C13 of
../shared/cases/cases.md exactly as written there, and the IAM resources of walkthrough step 1."""
import base64
import hashlib
import hmac
import json
import os
import struct
import tempfile
import time
import urllib.parse

import pytest

from conftest import error_of

DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')


@pytest.fixture
def acct(clean):
    return clean.aws("sts", "get-caller-identity", "--query", "Account", "--output", "text").ok().strip()


# ---------------------------------------------------------------------------------------------------
# C09: managed-policy versions

def test_c09_policy_versions(clean, acct):
    s = clean
    arn = s.aws("iam", "create-policy", "--policy-name", "pv", "--policy-document", DOC, "--query", "Policy.Arn",
                "--output", "text").ok().strip()
    assert arn == f"arn:aws:iam::{acct}:policy/pv"
    assert s.aws("iam", "get-policy", "--policy-arn", arn, "--query", "Policy.DefaultVersionId").ok() == "v1"  # (a)
    assert s.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1", "--query",
                 "PolicyVersion.IsDefaultVersion").ok() is True  # (b)
    for _ in range(2, 6):
        s.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC, "--set-as-default").ok()
    versions = s.aws("iam", "list-policy-versions", "--policy-arn", arn, "--query",
                     "Versions[].[VersionId,IsDefaultVersion]").ok()  # (c)
    assert sorted(v for v, _ in versions) == ["v1", "v2", "v3", "v4", "v5"]
    assert [v for v, d in versions if d] == ["v5"]
    r = s.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC, "--set-as-default")  # (d)
    assert r.rc != 0 and r.code == "LimitExceeded" and r.status == 409, r
    assert r.message == ("A managed policy can have up to 5 versions. Before you create a new version, you must "
                         "delete an existing version.")
    r = s.aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v5")  # (e)
    assert r.rc != 0 and r.code == "DeleteConflict" and r.status == 409, r
    # Version ids are never reused, and CreateDate is the time of creation.
    s.aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v2").ok()
    v6 = s.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC).ok()["PolicyVersion"]
    assert v6["VersionId"] == "v6" and v6["IsDefaultVersion"] is False
    # The CLI decodes the URL-encoded document IAM returns.
    doc = s.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1").ok()["PolicyVersion"]["Document"]
    assert doc == json.loads(DOC)


# ---------------------------------------------------------------------------------------------------
# C10: ListRoles paging

def test_c10_list_roles_paging(clean):
    s = clean
    for n in ("a1", "a2", "a3"):
        s.aws("iam", "create-role", "--role-name", n, "--path", "/team-a/", "--assume-role-policy-document", TRUST).ok()
    for n in ("b1", "b2"):
        s.aws("iam", "create-role", "--role-name", n, "--assume-role-policy-document", TRUST).ok()
    assert s.aws("iam", "list-roles", "--path-prefix", "/team-a/", "--query", "Roles[].RoleName").ok() == ["a1", "a2", "a3"]
    b = s.aws("iam", "list-roles", "--path-prefix", "/team-a/", "--no-paginate", "--max-items", "2").ok()
    assert len(b["Roles"]) == 2 and b["IsTruncated"] is True and b["Marker"]
    m = s.aws("iam", "list-roles", "--path-prefix", "/team-a/", "--no-paginate", "--max-items", "2", "--query", "Marker",
              "--output", "text").ok().strip()
    c = s.aws("iam", "list-roles", "--path-prefix", "/team-a/", "--no-paginate", "--max-items", "2", "--marker", m).ok()
    assert [r["RoleName"] for r in c["Roles"]] == ["a3"]
    assert c["IsTruncated"] is False and "Marker" not in c


# ---------------------------------------------------------------------------------------------------
# C12: the simulator

def test_c12_simulate_principal_policy(clean, acct):
    s = clean
    s.aws("iam", "create-user", "--user-name", "iamuser").ok()
    s.aws("iam", "put-user-policy", "--user-name", "iamuser", "--policy-name", "s3", "--policy-document",
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetReplicationConfiguration",'
          '"s3:ListBucket"],"Resource":"arn:aws:s3:::sourcebucket"}]}').ok()
    u = f"arn:aws:iam::{acct}:user/iamuser"
    a = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", u, "--action-names",
              "s3:GetReplicationConfiguration", "--resource-arns", "arn:aws:s3:::sourcebucket", "--query",
              "EvaluationResults[0].EvalDecision").ok()
    b = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", u, "--action-names", "s3:PutObject",
              "--resource-arns", "arn:aws:s3:::sourcebucket/x", "--query", "EvaluationResults[0].EvalDecision").ok()
    assert a == "allowed"
    assert b == "implicitDeny"


def test_c11c_simulate_resource_scoped(clean, acct):
    s = clean
    a = f"arn:aws:secretsmanager:us-east-1:{acct}:secret:app/a-AbCdEf"
    b = f"arn:aws:secretsmanager:us-east-1:{acct}:secret:app/b-AbCdEf"
    s.aws("iam", "create-user", "--user-name", "scoped").ok()
    s.aws("iam", "put-user-policy", "--user-name", "scoped", "--policy-name", "p", "--policy-document",
          json.dumps({"Version": "2012-10-17", "Statement": [{
              "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
              "Resource": f"arn:aws:secretsmanager:us-east-1:{acct}:secret:app/a-*"}]})).ok()
    out = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", f"arn:aws:iam::{acct}:user/scoped",
                "--action-names", "secretsmanager:GetSecretValue", "--resource-arns", a, b, "--query",
                "EvaluationResults[].[EvalResourceName,EvalDecision]").ok()
    assert out == [[a, "allowed"], [b, "implicitDeny"]]


# ---------------------------------------------------------------------------------------------------
# C13: trust policy validation

def test_c13_trust_policy_validation(clean):
    s = clean
    r = s.aws("iam", "create-role", "--role-name", "badtrust", "--assume-role-policy-document",
              '{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Principal":"*","Effect":"Allow",}]}')
    assert r.rc != 0 and r.code == "MalformedPolicyDocument" and r.status == 400, r  # (a)
    r = s.aws("iam", "get-role", "--role-name", "badtrust")
    assert r.rc != 0 and r.code == "NoSuchEntity" and r.status == 404, r  # (b)
    s.aws("iam", "create-role", "--role-name", "goodtrust", "--assume-role-policy-document", TRUST).ok()
    r = s.aws("iam", "update-assume-role-policy", "--role-name", "goodtrust", "--policy-document",
              '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}')
    assert r.rc != 0 and r.code == "MalformedPolicyDocument" and r.status == 400, r  # (c)
    role = s.aws("iam", "get-role", "--role-name", "goodtrust").ok()["Role"]
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)


# ---------------------------------------------------------------------------------------------------
# Walkthrough step 1: the IAM resources

SECRETS_RW = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
DESCRIBES = ["ec2:DescribeVpcAttribute", "ec2:DescribeVpcs", "ec2:DescribeRouteTables", "ec2:DescribeSubnets",
             "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeNatGateways",
             "ec2:DescribeVpcEndpoints"]


def test_walkthrough_step1_resources(clean, acct):
    s = clean
    user = s.aws("iam", "create-user", "--user-name", "elastic-container-registry-user").ok()["User"]
    assert user["Arn"] == f"arn:aws:iam::{acct}:user/elastic-container-registry-user"
    assert user["UserId"].startswith("AIDA")
    s.aws("iam", "attach-user-policy", "--user-name", "elastic-container-registry-user", "--policy-arn", SECRETS_RW).ok()
    attached = s.aws("iam", "list-attached-user-policies", "--user-name", "elastic-container-registry-user").ok()
    assert attached["AttachedPolicies"] == [{"PolicyName": "SecretsManagerReadWrite", "PolicyArn": SECRETS_RW}]
    pol = s.aws("iam", "get-policy", "--policy-arn", SECRETS_RW).ok()["Policy"]
    doc = s.aws("iam", "get-policy-version", "--policy-arn", SECRETS_RW, "--version-id",
                pol["DefaultVersionId"]).ok()["PolicyVersion"]["Document"]
    actions = [a for st in doc["Statement"] for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert "secretsmanager:*" in actions

    s.aws("iam", "create-user", "--user-name", "terraform-user").ok()
    tf_doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": DESCRIBES, "Resource": "*"}]})
    arn = s.aws("iam", "create-policy", "--policy-name", "terraform-describe", "--policy-document", tf_doc, "--query",
                "Policy.Arn", "--output", "text").ok().strip()
    s.aws("iam", "attach-user-policy", "--user-name", "terraform-user", "--policy-arn", arn).ok()
    keys = {}
    for u in ("elastic-container-registry-user", "terraform-user"):
        k = s.aws("iam", "create-access-key", "--user-name", u).ok()["AccessKey"]
        assert k["AccessKeyId"].startswith("AKIA") and len(k["SecretAccessKey"]) == 40 and k["Status"] == "Active"
        keys[u] = k
    # Requests signed with a user's key are that user.
    k = keys["terraform-user"]
    who = s.aws("sts", "get-caller-identity", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).ok()
    assert who["Arn"] == f"arn:aws:iam::{acct}:user/terraform-user"
    assert who["UserId"].startswith("AIDA")

    tf = f"arn:aws:iam::{acct}:user/terraform-user"
    reg = f"arn:aws:iam::{acct}:user/elastic-container-registry-user"
    sim = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", tf, "--action-names", "ec2:DescribeVpcs",
                "ec2:CreateVpc", "--query", "EvaluationResults[].EvalDecision").ok()
    assert sim == ["allowed", "implicitDeny"]
    # The walkthrough says the registry user "cannot describe VPCs", but AWS's published SecretsManagerReadWrite
    # document allows ec2:DescribeVpcs (with DescribeSubnets and DescribeSecurityGroups, for rotation set-up); the
    # real document decides, so VPC creation is what it is denied.
    sim = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", reg, "--action-names",
                "secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "ec2:DescribeVpcs", "ec2:CreateVpc",
                "--query", "EvaluationResults[].EvalDecision").ok()
    assert sim == ["allowed", "allowed", "allowed", "implicitDeny"]
    ents = s.aws("iam", "list-entities-for-policy", "--policy-arn", arn).ok()
    assert [u["UserName"] for u in ents["PolicyUsers"]] == ["terraform-user"]


def test_access_key_deactivation_and_deletion(clean):
    s = clean
    s.aws("iam", "create-user", "--user-name", "k").ok()
    k = s.aws("iam", "create-access-key", "--user-name", "k").ok()["AccessKey"]
    args = dict(access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"])
    assert s.aws("sts", "get-caller-identity", **args).ok()["Arn"].endswith(":user/k")
    s.aws("iam", "update-access-key", "--user-name", "k", "--access-key-id", k["AccessKeyId"], "--status",
          "Inactive").ok()
    r = s.aws("sts", "get-caller-identity", **args)
    assert r.rc != 0 and r.code == "InvalidClientTokenId", r
    s.aws("iam", "delete-access-key", "--user-name", "k", "--access-key-id", k["AccessKeyId"]).ok()
    r = s.aws("iam", "create-access-key", "--user-name", "k")
    assert r.rc == 0
    r2 = s.aws("iam", "create-access-key", "--user-name", "k").ok()
    r3 = s.aws("iam", "create-access-key", "--user-name", "k")
    assert r3.code == "LimitExceeded" and r3.status == 409, r3


# ---------------------------------------------------------------------------------------------------
# boto3

def test_boto3_roles_profiles_and_errors(clean):
    iam = clean.client("iam")
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, Description="d", MaxSessionDuration=7200,
                           Tags=[{"Key": "env", "Value": "dev"}])["Role"]
    assert role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName="app")["Role"]
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "d"
    assert got["Tags"] == [{"Key": "env", "Value": "dev"}]
    # boto3 decodes the URL-encoded trust policy into a dict.
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)
    ip = iam.create_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]
    assert ip["InstanceProfileId"].startswith("AIPA")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    assert iam.get_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]["Roles"][0]["RoleName"] == "app"
    with pytest.raises(iam.exceptions.DeleteConflictException) as e:
        iam.delete_role(RoleName="app")
    assert error_of(e)[2] == 409
    with pytest.raises(iam.exceptions.NoSuchEntityException) as e:
        iam.get_user(UserName="ghost")
    assert error_of(e) == ("NoSuchEntity", "The user with name ghost cannot be found.", 404)
    iam.put_role_policy(RoleName="app", PolicyName="inline", PolicyDocument=DOC)
    assert iam.get_role_policy(RoleName="app", PolicyName="inline")["PolicyDocument"] == json.loads(DOC)
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException) as e:
        iam.put_role_policy(RoleName="app", PolicyName="bad", PolicyDocument='{"Statement":[{"Effect":"Allow"}]}')
    assert error_of(e)[0] == "MalformedPolicyDocument"
    aws_policies = [p for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    names = {p["PolicyName"] for p in aws_policies}
    assert len(aws_policies) > 1000 and len(names) == len(aws_policies)
    assert {"AdministratorAccess", "SecretsManagerReadWrite", "AmazonSSMManagedInstanceCore"} <= names
    lambda_basic = [p for p in aws_policies if p["PolicyName"] == "AWSLambdaBasicExecutionRole"][0]
    assert lambda_basic["Arn"] == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert iam.list_policies(Scope="Local")["Policies"] == []
    details = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in details["RoleDetailList"]] == ["app"]
    assert details["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"] == json.loads(DOC)


def test_state_survives_restart(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    s.aws("iam", "create-user", "--user-name", "durable").ok()
    arn = s.aws("iam", "create-policy", "--policy-name", "p", "--policy-document", DOC, "--query", "Policy.Arn",
                "--output", "text").ok().strip()
    s.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", DOC, "--set-as-default").ok()
    s.aws("iam", "attach-user-policy", "--user-name", "durable", "--policy-arn", arn).ok()
    k = s.aws("iam", "create-access-key", "--user-name", "durable").ok()["AccessKey"]
    s.stop()
    s2 = server_factory(state_dir=state_dir)
    assert s2.aws("iam", "get-policy", "--policy-arn", arn, "--query", "Policy.DefaultVersionId").ok() == "v2"
    assert s2.aws("iam", "list-attached-user-policies", "--user-name", "durable").ok()["AttachedPolicies"][0]["PolicyArn"] == arn
    who = s2.aws("sts", "get-caller-identity", access_key=k["AccessKeyId"], secret_key=k["SecretAccessKey"]).ok()
    assert who["Arn"].endswith(":user/durable")


def test_terraform_call_sequences(clean):
    """The reads and deletes the Terraform AWS provider makes for aws_iam_user (force_destroy), aws_iam_role and
    aws_iam_policy (../shared/terraform-calls.md)."""
    iam = clean.client("iam")
    # aws_iam_policy update: ListPolicyVersions, delete the oldest when there are 5, CreatePolicyVersion, set default.
    arn = iam.create_policy(PolicyName="tf", PolicyDocument=DOC)["Policy"]["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
    iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
    v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC)["PolicyVersion"]["VersionId"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId=v)
    got = iam.get_policy_version(PolicyArn=arn, VersionId=iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"])
    assert got["PolicyVersion"]["Document"] == json.loads(DOC)
    # aws_iam_user with force_destroy.
    iam.create_user(UserName="tf-user")
    iam.create_access_key(UserName="tf-user")
    iam.create_login_profile(UserName="tf-user", Password="Correct-Horse-9")
    iam.attach_user_policy(UserName="tf-user", PolicyArn=arn)
    assert iam.list_groups_for_user(UserName="tf-user")["Groups"] == []
    for k in iam.list_access_keys(UserName="tf-user")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName="tf-user", AccessKeyId=k["AccessKeyId"])
    assert iam.list_ssh_public_keys(UserName="tf-user")["SSHPublicKeys"] == []
    assert iam.list_mfa_devices(UserName="tf-user")["MFADevices"] == []
    assert iam.list_signing_certificates(UserName="tf-user")["Certificates"] == []
    assert iam.list_service_specific_credentials(UserName="tf-user")["ServiceSpecificCredentials"] == []
    iam.delete_login_profile(UserName="tf-user")
    with pytest.raises(iam.exceptions.DeleteConflictException):
        iam.delete_user(UserName="tf-user")
    iam.detach_user_policy(UserName="tf-user", PolicyArn=arn)
    iam.delete_user(UserName="tf-user")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as e:
        iam.get_user(UserName="tf-user")
    assert error_of(e)[2] == 404
    # aws_iam_policy delete: non-default versions first, then the policy.
    for ver in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not ver["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=ver["VersionId"])
    iam.delete_policy(PolicyArn=arn)
    # aws_iam_role read and delete.
    iam.create_role(RoleName="tf-role", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="tf-role", PolicyName="p", PolicyDocument=DOC)
    iam.create_instance_profile(InstanceProfileName="tf-ip")
    iam.add_role_to_instance_profile(InstanceProfileName="tf-ip", RoleName="tf-role")
    assert iam.list_role_policies(RoleName="tf-role")["PolicyNames"] == ["p"]
    assert iam.list_attached_role_policies(RoleName="tf-role")["AttachedPolicies"] == []
    for ip in iam.list_instance_profiles_for_role(RoleName="tf-role")["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(InstanceProfileName=ip["InstanceProfileName"], RoleName="tf-role")
    iam.delete_role_policy(RoleName="tf-role", PolicyName="p")
    iam.delete_role(RoleName="tf-role")
    iam.delete_instance_profile(InstanceProfileName="tf-ip")
    assert iam.list_roles()["Roles"] == [] and iam.list_instance_profiles()["InstanceProfiles"] == []


def test_walkthrough_steps_6_and_7_iam_resources(clean, acct):
    """Step 6: a policy for ec2:StartInstances/StopInstances on us-west-2 instances, on a role the scheduler
    trusts. Step 7: an instance profile for a role that may read secrets."""
    s = clean
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"],
        "Resource": "arn:aws:ec2:us-west-2:*:instance/*"}]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    parn = s.aws("iam", "create-policy", "--policy-name", "start-stop", "--policy-document", doc, "--query",
                 "Policy.Arn", "--output", "text", region="us-west-2").ok().strip()
    role = s.aws("iam", "create-role", "--role-name", "scheduler-start-stop", "--assume-role-policy-document", trust,
                 region="us-west-2").ok()["Role"]
    assert role["Arn"] == f"arn:aws:iam::{acct}:role/scheduler-start-stop"
    s.aws("iam", "attach-role-policy", "--role-name", "scheduler-start-stop", "--policy-arn", parn).ok()
    # IAM is global: the role is there from another region too.
    assert s.aws("iam", "get-role", "--role-name", "scheduler-start-stop", region="eu-west-1").ok()["Role"]["Arn"] == role["Arn"]
    inst = f"arn:aws:ec2:us-west-2:{acct}:instance/i-0123456789abcdef0"
    other = f"arn:aws:ec2:us-east-1:{acct}:instance/i-0123456789abcdef0"
    out = s.aws("iam", "simulate-principal-policy", "--policy-source-arn", role["Arn"], "--action-names",
                "ec2:StopInstances", "ec2:TerminateInstances", "--resource-arns", inst, other, "--query",
                "EvaluationResults[].[EvalActionName,EvalResourceName,EvalDecision]").ok()
    assert out == [["ec2:StopInstances", inst, "allowed"], ["ec2:StopInstances", other, "implicitDeny"],
                   ["ec2:TerminateInstances", inst, "implicitDeny"], ["ec2:TerminateInstances", other, "implicitDeny"]]

    s.aws("iam", "create-role", "--role-name", "ec2-secrets", "--assume-role-policy-document", TRUST).ok()
    s.aws("iam", "put-role-policy", "--role-name", "ec2-secrets", "--policy-name", "read", "--policy-document",
          json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                               "Resource": "*"}]})).ok()
    s.aws("iam", "create-instance-profile", "--instance-profile-name", "ec2-secrets").ok()
    s.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "ec2-secrets", "--role-name",
          "ec2-secrets").ok()
    ip = s.aws("iam", "get-instance-profile", "--instance-profile-name", "ec2-secrets").ok()["InstanceProfile"]
    assert ip["Arn"] == f"arn:aws:iam::{acct}:instance-profile/ec2-secrets"
    assert [r["RoleName"] for r in ip["Roles"]] == ["ec2-secrets"]


def _totp(seed_b32, step):
    key = base64.b32decode(seed_b32)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def test_virtual_mfa_with_cli(clean, acct):
    s = clean
    s.aws("iam", "create-user", "--user-name", "mfa-user").ok()
    out = os.path.join(tempfile.mkdtemp(), "seed.txt")
    dev = s.aws("iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "mfa-user", "--outfile", out,
                "--bootstrap-method", "Base32StringSeed").ok()["VirtualMFADevice"]
    assert dev["SerialNumber"] == f"arn:aws:iam::{acct}:mfa/mfa-user"
    seed = open(out).read().strip()
    step = int(s.now() // 30)
    r = s.aws("iam", "enable-mfa-device", "--user-name", "mfa-user", "--serial-number", dev["SerialNumber"],
              "--authentication-code1", "000000", "--authentication-code2", "000000")
    assert r.code == "InvalidAuthenticationCode" and r.status == 403, r
    s.aws("iam", "enable-mfa-device", "--user-name", "mfa-user", "--serial-number", dev["SerialNumber"],
          "--authentication-code1", _totp(seed, step - 1), "--authentication-code2", _totp(seed, step)).ok()
    devices = s.aws("iam", "list-mfa-devices", "--user-name", "mfa-user").ok()["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [dev["SerialNumber"]]
