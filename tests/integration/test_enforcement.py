"""Walkthrough step 1 with IAM enforcement on (`cloudbox serve --enforce-iam`), through Debian's AWS CLI v2:
least-privilege service accounts whose keys can do exactly what their policies allow."""
import json

import pytest

DESCRIBE_ACTIONS = ["ec2:DescribeVpcAttribute", "ec2:DescribeVpcs", "ec2:DescribeRouteTables", "ec2:DescribeSubnets",
                    "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeNatGateways",
                    "ec2:DescribeVpcEndpoints"]


@pytest.fixture
def enforced(server_factory):
    return server_factory(extra_args=["--enforce-iam"])


def ok(r):
    assert r.rc == 0, r
    return r.out


def make_user(srv, name, policy_arn):
    ok(srv.aws("iam", "create-user", "--user-name", name))
    ok(srv.aws("iam", "attach-user-policy", "--user-name", name, "--policy-arn", policy_arn))
    key = ok(srv.aws("iam", "create-access-key", "--user-name", name))["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_walkthrough_step1_least_privilege(enforced):
    srv = enforced
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": DESCRIBE_ACTIONS, "Resource": "*"}]}
    policy = ok(srv.aws("iam", "create-policy", "--policy-name", "terraform-describe",
                        "--policy-document", json.dumps(doc)))["Policy"]["Arn"]
    tf_key, tf_secret = make_user(srv, "terraform-user", policy)
    reg_key, reg_secret = make_user(srv, "elastic-container-registry-user",
                                    "arn:aws:iam::aws:policy/SecretsManagerReadWrite")

    # terraform-user can read the VPC layout but not change it.
    r = srv.aws("ec2", "describe-vpcs", region="us-west-2", access_key=tf_key, secret_key=tf_secret)
    assert r.rc == 0 and isinstance(r.out["Vpcs"], list), r
    r = srv.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/20", region="us-west-2", access_key=tf_key,
                secret_key=tf_secret)
    assert r.code == "UnauthorizedOperation", r
    r = srv.aws("secretsmanager", "list-secrets", region="us-west-2", access_key=tf_key, secret_key=tf_secret)
    assert r.code == "AccessDeniedException", r

    # The registry user works with secrets, and cannot create networks.
    r = srv.aws("secretsmanager", "create-secret", "--name", "supabase", "--secret-string", '{"user":"u"}',
                region="us-west-2", access_key=reg_key, secret_key=reg_secret)
    assert r.rc == 0, r
    r = srv.aws("secretsmanager", "get-secret-value", "--secret-id", "supabase", "--query", "SecretString",
                "--output", "text", region="us-west-2", access_key=reg_key, secret_key=reg_secret)
    assert r.rc == 0 and r.stdout.strip() == '{"user":"u"}', r
    r = srv.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/20", region="us-west-2", access_key=reg_key,
                secret_key=reg_secret)
    assert r.code == "UnauthorizedOperation", r

    # The policy simulator gives the same answers.
    sim = ok(srv.aws("iam", "simulate-principal-policy", "--policy-source-arn",
                     "arn:aws:iam::000000000000:user/terraform-user", "--action-names", "ec2:DescribeVpcs",
                     "ec2:CreateVpc"))
    decisions = {e["EvalActionName"]: e["EvalDecision"] for e in sim["EvaluationResults"]}
    assert decisions == {"ec2:DescribeVpcs": "allowed", "ec2:CreateVpc": "implicitDeny"}, sim


def test_wrong_secret_key_is_refused(enforced):
    srv = enforced
    ok(srv.aws("iam", "create-user", "--user-name", "u1"))
    key = ok(srv.aws("iam", "create-access-key", "--user-name", "u1"))["AccessKey"]
    r = srv.aws("sts", "get-caller-identity", access_key=key["AccessKeyId"], secret_key="wrong" + key["SecretAccessKey"][5:])
    assert r.code == "SignatureDoesNotMatch" and r.status == 403, r
    r = srv.aws("sts", "get-caller-identity", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"])
    assert r.rc == 0 and r.out["Arn"] == "arn:aws:iam::000000000000:user/u1", r
