"""RDS for PostgreSQL with Debian's AWS CLI v2, boto3 and psql: the guide's step 3 (subnet group over private
subnets, a db.t4g.micro with a managed master password, psql over TLS, the port open), stop/start keeping data,
a cloudbox restart keeping the database, cases C21-C23, Terraform's dbi-resource-id read, and bad input.

Every DB instance here is a real PostgreSQL server, so the tests share a few instances and poll
describe-db-instances themselves (the CLI's waiter sleeps 30 s between polls) before calling the waiter once."""
import hashlib
import json
import os
import signal
import socket
import subprocess
import time

import pytest
from conftest import expect_error

PSQL = "/usr/bin/psql"


def text(server, *args, region="us-east-1"):
    r = server.aws(*args, "--output", "text", region=region)
    assert r.rc == 0, r
    return r.stdout.strip()


def assert_error(r, code, status=400, contains=None):
    assert r.rc != 0, r
    assert r.code == code, r
    assert r.status == status, r
    if contains is not None:
        assert contains in (r.message or ""), r


def wait_status(rds, ident, wanted, timeout=90):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
        if last["DBInstanceStatus"] == wanted:
            return last
        if last["DBInstanceStatus"] == "failed":
            break
        time.sleep(0.3)
    raise AssertionError(f"{ident} did not become {wanted}: {last}")


def psql(host, port, user, password, dbname, sql, sslmode="require"):
    env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="10")
    return subprocess.run([PSQL, f"host={host} port={port} user={user} dbname={dbname} sslmode={sslmode}",
                           "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, env=env, timeout=30)


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def private_network(server, region, prefix="10.0"):
    """A VPC with two private subnets in two zones, and a DB subnet group over them (walkthrough step 2/3)."""
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", f"{prefix}.0.0/20", "--query", "Vpc.VpcId", region=region)
    subnets = []
    for i, az in enumerate(("a", "b")):
        subnets.append(text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"{prefix}.{8 + i}.0/24",
                            "--availability-zone", region + az, "--query", "Subnet.SubnetId", region=region))
    return vpc, subnets


# ---------------------------------------------------------------------------------------------------
# Walkthrough step 3, then stop/start, C21 rotation and Terraform's read, on one instance

def test_walkthrough_step3_managed_password_psql_stop_start(server):
    region = "us-west-2"
    server.reset()
    vpc, subnets = private_network(server, region)
    out = server.aws("rds", "create-db-subnet-group", "--db-subnet-group-name", "demo-private",
                     "--db-subnet-group-description", "private subnets", "--subnet-ids", *subnets,
                     region=region).ok()
    group = out["DBSubnetGroup"]
    assert group["VpcId"] == vpc
    assert sorted(s["SubnetAvailabilityZone"]["Name"] for s in group["Subnets"]) == ["us-west-2a", "us-west-2b"]
    assert group["DBSubnetGroupArn"] == "arn:aws:rds:us-west-2:000000000000:subgrp:demo-private"

    out = server.aws("rds", "create-db-instance", "--db-instance-identifier", "demo-db", "--engine", "postgres",
                     "--db-instance-class", "db.t4g.micro", "--allocated-storage", "20",
                     "--master-username", "pgadmin", "--manage-master-user-password", "--db-name", "app",
                     "--db-subnet-group-name", "demo-private", "--no-publicly-accessible", "--no-multi-az",
                     region=region).ok()
    db = out["DBInstance"]
    assert db["DBInstanceStatus"] == "creating"
    assert db["PubliclyAccessible"] is False
    secret_arn = db["MasterUserSecret"]["SecretArn"]                                      # C21 (a)
    assert secret_arn.startswith("arn:aws:secretsmanager:us-west-2:000000000000:secret:rds!db-")
    assert db["MasterUserSecret"]["SecretStatus"] in ("creating", "active")
    assert db["MasterUserSecret"]["KmsKeyId"]

    rds = server.client("rds", region=region)
    wait_status(rds, "demo-db", "available")
    r = server.aws("rds", "wait", "db-instance-available", "--db-instance-identifier", "demo-db", region=region)
    assert r.rc == 0, r
    db = server.aws("rds", "describe-db-instances", "--db-instance-identifier", "demo-db",
                    region=region).ok()["DBInstances"][0]
    assert db["MasterUserSecret"]["SecretArn"] == secret_arn                               # C21 (b)
    assert db["MasterUserSecret"]["SecretStatus"] == "active"
    host, port = db["Endpoint"]["Address"], db["Endpoint"]["Port"]
    assert host.startswith("demo-db.c") and host.endswith(".us-west-2.rds.localhost")

    secret = json.loads(text(server, "secretsmanager", "get-secret-value", "--secret-id", secret_arn,
                             "--query", "SecretString", region=region))
    assert secret["username"] == "pgadmin"
    password = secret["password"]

    res = psql(host, port, "pgadmin", password, "app", "select 1")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "1"
    res = psql(host, port, "pgadmin", password, "app", "select ssl from pg_stat_ssl where pid = pg_backend_pid()")
    assert res.stdout.strip() == "t", res
    assert psql(host, port, "pgadmin", "wrong-password", "app", "select 1").returncode != 0
    assert psql(host, port, "pgadmin", password, "app", "select 1", sslmode="disable").returncode != 0  # TLS only
    assert port_open(host, port)                                                          # nc -z
    res = psql(host, port, "pgadmin", password, "app",
               "create table notes(id int primary key, body text); insert into notes values (1, 'kept')")
    assert res.returncode == 0, res.stderr

    # Terraform reads by DbiResourceId.
    rid = db["DbiResourceId"]
    out = server.aws("rds", "describe-db-instances", "--filters", f"Name=dbi-resource-id,Values={rid}",
                     region=region).ok()
    assert [d["DBInstanceIdentifier"] for d in out["DBInstances"]] == ["demo-db"]

    # Stop: the server is really down; start: the data is still there.
    out = server.aws("rds", "stop-db-instance", "--db-instance-identifier", "demo-db", region=region).ok()
    assert out["DBInstance"]["DBInstanceStatus"] == "stopping"
    wait_status(rds, "demo-db", "stopped")
    assert not port_open("127.0.0.1", port)
    assert_error(server.aws("rds", "stop-db-instance", "--db-instance-identifier", "demo-db", region=region),
                 "InvalidDBInstanceState")
    server.aws("rds", "start-db-instance", "--db-instance-identifier", "demo-db", region=region).ok()
    db = wait_status(rds, "demo-db", "available")
    res = psql(host, db["Endpoint"]["Port"], "pgadmin", password, "app", "select body from notes where id = 1")
    assert res.stdout.strip() == "kept", res

    # C21 (d): rotation puts a new password in the secret and in the server.
    status = text(server, "rds", "modify-db-instance", "--db-instance-identifier", "demo-db",
                  "--rotate-master-user-password", "--apply-immediately",
                  "--query", "DBInstance.MasterUserSecret.SecretStatus", region=region)
    assert status == "rotating"
    db = wait_status(rds, "demo-db", "available")
    new_password = json.loads(text(server, "secretsmanager", "get-secret-value", "--secret-id", secret_arn,
                                   "--query", "SecretString", region=region))["password"]
    assert new_password != password
    assert psql(host, db["Endpoint"]["Port"], "pgadmin", new_password, "app", "select 1").returncode == 0
    assert psql(host, db["Endpoint"]["Port"], "pgadmin", password, "app", "select 1").returncode != 0

    # Snapshot (a real dump) and restore into a new instance.
    server.aws("rds", "create-db-snapshot", "--db-instance-identifier", "demo-db", "--db-snapshot-identifier",
               "demo-snap", region=region).ok()
    deadline = time.time() + 60
    while time.time() < deadline:
        snap = rds.describe_db_snapshots(DBSnapshotIdentifier="demo-snap")["DBSnapshots"][0]
        if snap["Status"] != "creating":
            break
        time.sleep(0.3)
    assert snap["Status"] == "available", snap
    rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="demo-restored", DBSnapshotIdentifier="demo-snap",
                                             DBSubnetGroupName="demo-private")
    restored = wait_status(rds, "demo-restored", "available")
    res = psql(restored["Endpoint"]["Address"], restored["Endpoint"]["Port"], "pgadmin", new_password, "app",
               "select body from notes where id = 1")
    assert res.stdout.strip() == "kept", res

    # Deleting removes the managed secret and the server.
    rds.delete_db_instance(DBInstanceIdentifier="demo-restored", SkipFinalSnapshot=True)
    server.aws("rds", "delete-db-instance", "--db-instance-identifier", "demo-db", "--skip-final-snapshot",
               region=region).ok()
    deadline = time.time() + 30
    while time.time() < deadline:
        if all(d["DBInstanceIdentifier"] != "demo-db" for d in rds.describe_db_instances()["DBInstances"]):
            break
        time.sleep(0.3)
    r = server.aws("rds", "wait", "db-instance-deleted", "--db-instance-identifier", "demo-db", region=region)
    assert r.rc == 0, r
    assert_error(server.aws("secretsmanager", "describe-secret", "--secret-id", secret_arn, region=region),
                 "ResourceNotFoundException")
    deadline = time.time() + 30
    while port_open("127.0.0.1", db["Endpoint"]["Port"]) and time.time() < deadline:
        time.sleep(0.3)
    assert not port_open("127.0.0.1", db["Endpoint"]["Port"])
    assert_error(server.aws("rds", "describe-db-instances", "--db-instance-identifier", "demo-db", region=region),
                 "DBInstanceNotFound", 404, "DBInstance demo-db not found.")


# ---------------------------------------------------------------------------------------------------
# Cases C21 (c), C22, C23 in the default VPC of us-east-1

def test_cases_c21c_c22_c23(server):
    server.reset()
    # Something else already listens on the wanted port: the server takes the next free one, and says so.
    squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    squatter.bind(("127.0.0.1", 0))
    squatter.listen(1)
    taken = squatter.getsockname()[1]
    out = server.aws("rds", "create-db-instance", "--db-instance-identifier", "pgss", "--engine", "postgres",
                     "--db-instance-class", "db.t3.micro", "--allocated-storage", "20", "--master-username",
                     "pgadmin", "--master-user-password", "Passw0rd!234", "--multi-az", "--port", str(taken)).ok()
    assert out["DBInstance"]["MultiAZ"] is True
    assert "MasterUserSecret" not in out["DBInstance"]
    # C21 (c): no managed secret, no MasterUserSecret.
    assert text(server, "rds", "describe-db-instances", "--db-instance-identifier", "pgss",
                "--query", "DBInstances[0].MasterUserSecret") == "None"
    # C23
    arn = text(server, "rds", "describe-db-instances", "--db-instance-identifier", "pgss",
               "--query", "DBInstances[0].DBInstanceArn")
    assert arn == "arn:aws:rds:us-east-1:000000000000:db:pgss"
    for value in (arn, "pgss"):
        out = server.aws("rds", "describe-db-instances", "--filters", f"Name=db-instance-id,Values={value}",
                         "--query", "DBInstances[].DBInstanceIdentifier").ok()
        assert out == ["pgss"]
    assert server.aws("rds", "describe-db-instances", "--filters", "Name=engine,Values=mysql",
                      "--query", "DBInstances").ok() == []
    # C22: Multi-AZ postgres stops.
    rds = server.client("rds")
    db = wait_status(rds, "pgss", "available")
    squatter.close()
    assert db["Endpoint"]["Port"] > taken
    res = psql(db["Endpoint"]["Address"], db["Endpoint"]["Port"], "pgadmin", "Passw0rd!234", "postgres", "select 1")
    assert res.stdout.strip() == "1", res
    status = text(server, "rds", "stop-db-instance", "--db-instance-identifier", "pgss",
                  "--query", "DBInstance.DBInstanceStatus")
    assert status in ("stopping", "stopped")
    wait_status(rds, "pgss", "stopped")
    # A stopped instance starts by itself after seven days.
    server.advance(7 * 86400 + 60)
    wait_status(rds, "pgss", "available")
    rds.delete_db_instance(DBInstanceIdentifier="pgss", SkipFinalSnapshot=True)


# ---------------------------------------------------------------------------------------------------
# Bad input (no servers are started by refusals)

def test_bad_input(server):
    region = "us-west-2"
    server.reset()
    ec2 = server.client("ec2", region=region)
    rds = server.client("rds", region=region, newer_model=True, validate=False)
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24", AvailabilityZone="us-west-2a")["Subnet"]["SubnetId"]
    a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.2.0/24", AvailabilityZone="us-west-2a")["Subnet"]["SubnetId"]
    # With the CLI, as the guide's users see it.
    r = server.aws("rds", "create-db-subnet-group", "--db-subnet-group-name", "one-az", "--db-subnet-group-description",
                   "x", "--subnet-ids", a, a2, region=region)
    assert_error(r, "DBSubnetGroupDoesNotCoverEnoughAZs", 400, "Current AZ coverage: us-west-2a")
    expect_error(rds.create_db_subnet_group, "InvalidSubnet", DBSubnetGroupName="ghost", DBSubnetGroupDescription="x",
                 SubnetIds=[a, "subnet-0123456789abcdef0"])

    base = dict(DBInstanceIdentifier="bad1", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                MasterUsername="pgadmin")
    r = server.aws("rds", "create-db-instance", "--db-instance-identifier", "bad1", "--engine", "postgres",
                   "--db-instance-class", "db.t3.micro", "--allocated-storage", "20", "--master-username", "pgadmin",
                   "--master-user-password", "pass/word123", region=region)
    assert_error(r, "InvalidParameterValue", 400, "MasterUserPassword")
    for pw in ("pass@word123", 'pass"word123', "pass word123", "short"):
        msg = expect_error(rds.create_db_instance, "InvalidParameterValue", MasterUserPassword=pw, **base)
        assert "MasterUserPassword" in msg
    expect_error(rds.create_db_instance, "InvalidParameterValue", **base)
    expect_error(rds.create_db_instance, "InvalidParameterCombination", ManageMasterUserPassword=True,
                 MasterUserPassword="Passw0rd!234", **base)
    expect_error(rds.create_db_instance, "DBSubnetGroupNotFoundFault", 404, MasterUserPassword="Passw0rd!234",
                 DBSubnetGroupName="nope", **base)
    expect_error(rds.create_db_instance, "InvalidParameterValue", MasterUserPassword="Passw0rd!234",
                 **dict(base, MasterUsername="rdsadmin"))
    assert rds.describe_db_instances()["DBInstances"] == []
    # A duplicate identifier (case-insensitive) is refused.
    rds.create_db_instance(MasterUserPassword="Passw0rd!234", **dict(base, DBInstanceIdentifier="dup1"))
    r = server.aws("rds", "create-db-instance", "--db-instance-identifier", "DUP1", "--engine", "postgres",
                   "--db-instance-class", "db.t3.micro", "--allocated-storage", "20", "--master-username", "pgadmin",
                   "--master-user-password", "Passw0rd!234", region=region)
    assert_error(r, "DBInstanceAlreadyExists", 400, "DB instance already exists")
    expect_error(rds.delete_db_instance, "InvalidParameterCombination", 400, "FinalDBSnapshotIdentifier is required",
                 DBInstanceIdentifier="dup1")
    expect_error(rds.describe_db_instances, "InvalidParameterValue", 400, "Unrecognized filter name",
                 Filters=[{"Name": "bogus", "Values": ["x"]}])
    expect_error(rds.create_db_cluster, "NotImplemented", 501, DBClusterIdentifier="c1", Engine="aurora-postgresql")
    rds.delete_db_instance(DBInstanceIdentifier="dup1", SkipFinalSnapshot=True)


# ---------------------------------------------------------------------------------------------------
# A cloudbox restart on the same state dir brings the database back with its data

def test_restart_keeps_the_database(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    rds = s.client("rds")
    rds.create_db_instance(DBInstanceIdentifier="keep", Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="pgadmin", MasterUserPassword="Passw0rd!234",
                           DBName="app")
    db = wait_status(rds, "keep", "available")
    host, port = db["Endpoint"]["Address"], db["Endpoint"]["Port"]
    res = psql(host, port, "pgadmin", "Passw0rd!234", "app",
               "create table t(v text); insert into t values ('survives')")
    assert res.returncode == 0, res.stderr
    # The server's certificate is signed by the local CA that DescribeCertificates reports as the default.
    ca = os.path.join(state_dir, "rds", "ca", "ca.pem")
    assert os.path.exists(ca), ca  # (a state dir under /tmp is reachable by the postgres user)
    res = psql(host, port, "pgadmin", "Passw0rd!234", "app", "select 1", sslmode=f"verify-full sslrootcert={ca}")
    assert res.stdout.strip() == "1", res
    der = subprocess.run(["openssl", "x509", "-in", ca, "-outform", "DER"], capture_output=True).stdout
    certs = rds.describe_certificates()["Certificates"]
    default = [c for c in certs if c["CertificateIdentifier"] == "rds-ca-rsa2048-g1"][0]
    assert default["Thumbprint"] == hashlib.sha1(der).hexdigest()
    assert s.stop(signal.SIGTERM) == 0
    assert not port_open("127.0.0.1", port)  # a clean stop stops the servers too

    s2 = server_factory(state_dir=state_dir)
    rds = s2.client("rds")
    db = wait_status(rds, "keep", "available")
    res = psql(host, db["Endpoint"]["Port"], "pgadmin", "Passw0rd!234", "app", "select v from t")
    assert res.stdout.strip() == "survives", res

    # kill -9 leaves the server running; the next cloudbox adopts it.
    assert s2.kill9() == -signal.SIGKILL
    s3 = server_factory(state_dir=state_dir)
    rds = s3.client("rds")
    db = wait_status(rds, "keep", "available")
    res = psql(host, db["Endpoint"]["Port"], "pgadmin", "Passw0rd!234", "app", "select v from t")
    assert res.stdout.strip() == "survives", res
    rds.delete_db_instance(DBInstanceIdentifier="keep", SkipFinalSnapshot=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        if not rds.describe_db_instances()["DBInstances"]:
            break
        time.sleep(0.3)
    assert not port_open("127.0.0.1", db["Endpoint"]["Port"])
    assert s3.stop(signal.SIGTERM) == 0
