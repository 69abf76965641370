"""EC2 compute with Debian's AWS CLI v2 and boto3: the guide's steps 4 (EC2 host) and 5 (Elastic IP), cases C05
and C07, stop/start on the server clock, and the instance metadata service: boto3 with no keys reading the
role's credentials from IMDS, and `cloudbox exec i-… -- aws …` with instance-role credentials (also under
--enforce-iam, where a role without the permission is denied)."""
import json
import os
import re
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import AWS_CLI_V2, CLOUDBOX_BIN

pytestmark = pytest.mark.usefixtures("clean")

REGION = "us-west-2"
UBUNTU_ARM = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"


def assert_error(r, code, status=400, message_prefix=None):
    assert r.rc != 0, r
    assert r.code == code, r
    assert r.status == status, r
    if message_prefix is not None:
        assert r.message is not None and r.message.startswith(message_prefix), r


def cli(server, *args):
    return server.aws(*args, region=REGION)


def text(server, *args):
    r = server.aws(*args, "--output", "text", region=REGION)
    assert r.rc == 0, r
    return r.stdout.strip()


def ubuntu_arm_image(server):
    return text(server, "ec2", "describe-images", "--owners", "099720109477",
                "--filters", f"Name=name,Values={UBUNTU_ARM}", "Name=architecture,Values=arm64",
                "--query", "sort_by(Images, &CreationDate)[-1].ImageId")


def public_network(server):
    """The guide's VPC: a public subnet (internet gateway, 0.0.0.0/0 route, public IPs on launch)."""
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/20", "--query", "Vpc.VpcId")
    cli(server, "ec2", "modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", '{"Value":true}').ok()
    subnet = text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.0.0/24",
                  "--availability-zone", "us-west-2a", "--query", "Subnet.SubnetId")
    cli(server, "ec2", "modify-subnet-attribute", "--subnet-id", subnet, "--map-public-ip-on-launch").ok()
    igw = text(server, "ec2", "create-internet-gateway", "--query", "InternetGateway.InternetGatewayId")
    cli(server, "ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc).ok()
    rtb = text(server, "ec2", "create-route-table", "--vpc-id", vpc, "--query", "RouteTable.RouteTableId")
    cli(server, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0",
        "--gateway-id", igw).ok()
    cli(server, "ec2", "associate-route-table", "--route-table-id", rtb, "--subnet-id", subnet).ok()
    return vpc, subnet


def run_instance(server, subnet, *extra):
    out = cli(server, "ec2", "run-instances", "--image-id", ubuntu_arm_image(server), "--instance-type", "t4g.small",
              "--subnet-id", subnet, "--count", "1", *extra).ok()
    return out["Instances"][0]


def instance(server, iid):
    return cli(server, "ec2", "describe-instances", "--instance-ids", iid).ok()["Reservations"][0]["Instances"][0]


def wait_running(server, iid):
    server.advance(10)
    assert instance(server, iid)["State"]["Name"] == "running"


# ---------------------------------------------------------------------------------------------------
# Walkthrough step 4: key pair, architecture check, an instance in a public subnet

def test_step4_key_pair_and_instance(server, tmp_path):
    pem = tmp_path / "host.pem"
    material = text(server, "ec2", "create-key-pair", "--key-name", "host", "--query", "KeyMaterial")
    pem.write_text(material + "\n")
    pem.chmod(0o600)
    assert material.startswith("-----BEGIN RSA PRIVATE KEY-----")
    # Real key material: OpenSSL and ssh-keygen load it, and the public half matches AWS's record.
    subprocess.run(["openssl", "pkey", "-in", str(pem), "-noout"], check=True)
    pub = subprocess.run(["ssh-keygen", "-y", "-f", str(pem)], check=True, capture_output=True, text=True).stdout
    assert pub.startswith("ssh-rsa ")
    described = cli(server, "ec2", "describe-key-pairs", "--key-names", "host", "--include-public-key").ok()
    assert described["KeyPairs"][0]["PublicKey"].split()[1] == pub.split()[1]
    assert described["KeyPairs"][0]["KeyType"] == "rsa"

    vpc, subnet = public_network(server)
    image = ubuntu_arm_image(server)
    assert re.fullmatch(r"ami-[0-9a-f]{17}", image)
    r = cli(server, "ec2", "run-instances", "--image-id", image, "--instance-type", "t2.small", "--subnet-id", subnet,
            "--key-name", "host", "--count", "1")
    assert_error(r, "InvalidParameterValue", 400,
                 "The architecture 'x86_64,i386' of the specified instance type does not match the architecture "
                 "'arm64' of the specified AMI.")
    assert cli(server, "ec2", "describe-instances").ok()["Reservations"] == []

    out = cli(server, "ec2", "run-instances", "--image-id", image, "--instance-type", "t4g.small",
              "--subnet-id", subnet, "--key-name", "host", "--count", "1",
              "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=host}]").ok()
    inst = out["Instances"][0]
    iid = inst["InstanceId"]
    assert re.fullmatch(r"i-[0-9a-f]{17}", iid)
    assert inst["State"] == {"Code": 0, "Name": "pending"}
    assert inst["Architecture"] == "arm64"
    assert inst["KeyName"] == "host"
    assert inst["PrivateIpAddress"].startswith("10.0.0.")
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", inst["PublicIpAddress"])
    assert inst["PublicDnsName"].endswith(".us-west-2.compute.amazonaws.com")
    [group] = inst["SecurityGroups"]
    assert group["GroupName"] == "default"
    default_sg = text(server, "ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc}",
                      "Name=group-name,Values=default", "--query", "SecurityGroups[0].GroupId")
    assert group["GroupId"] == default_sg
    eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    enis = cli(server, "ec2", "describe-network-interfaces", "--network-interface-ids", eni).ok()["NetworkInterfaces"]
    assert enis[0]["Attachment"]["InstanceId"] == iid
    assert enis[0]["Association"]["PublicIp"] == inst["PublicIpAddress"]
    vols = cli(server, "ec2", "describe-volumes", "--filters", f"Name=attachment.instance-id,Values={iid}").ok()["Volumes"]
    assert [v["Attachments"][0]["Device"] for v in vols] == ["/dev/sda1"]

    # pending → running on the server clock; the CLI's waiter sees it.
    server.advance(10)
    cli(server, "ec2", "wait", "instance-running", "--instance-ids", iid).ok()
    d = instance(server, iid)
    assert d["State"] == {"Code": 16, "Name": "running"}
    assert "StateReason" not in d
    tagged = cli(server, "ec2", "describe-instances", "--filters", "Name=tag:Name,Values=host",
                 "Name=instance-state-name,Values=running").ok()["Reservations"]
    assert [i["InstanceId"] for r in tagged for i in r["Instances"]] == [iid]
    status = cli(server, "ec2", "describe-instance-status", "--instance-ids", iid).ok()["InstanceStatuses"]
    assert status[0]["InstanceStatus"]["Status"] == "ok"
    # An instance still uses its subnet.
    assert_error(cli(server, "ec2", "delete-subnet", "--subnet-id", subnet), "DependencyViolation")


# ---------------------------------------------------------------------------------------------------
# Walkthrough step 5: Elastic IP

def test_step5_elastic_ip(server):
    _, subnet = public_network(server)
    iid = run_instance(server, subnet)["InstanceId"]
    wait_running(server, iid)
    alloc = cli(server, "ec2", "allocate-address", "--domain", "vpc").ok()
    assoc = text(server, "ec2", "associate-address", "--allocation-id", alloc["AllocationId"], "--instance-id", iid,
                 "--query", "AssociationId")
    assert assoc.startswith("eipassoc-")
    assert instance(server, iid)["PublicIpAddress"] == alloc["PublicIp"]
    [addr] = cli(server, "ec2", "describe-addresses", "--allocation-ids", alloc["AllocationId"]).ok()["Addresses"]
    assert addr["InstanceId"] == iid
    assert addr["AssociationId"] == assoc
    assert addr["NetworkInterfaceId"].startswith("eni-")
    assert addr["PrivateIpAddress"] == instance(server, iid)["PrivateIpAddress"]
    by_assoc = cli(server, "ec2", "describe-addresses", "--filters", f"Name=association-id,Values={assoc}").ok()
    assert len(by_assoc["Addresses"]) == 1
    assert_error(cli(server, "ec2", "release-address", "--allocation-id", alloc["AllocationId"]),
                 "InvalidIPAddress.InUse")
    # Another instance cannot take it without reassociation.
    other = run_instance(server, subnet)["InstanceId"]
    assert_error(cli(server, "ec2", "associate-address", "--allocation-id", alloc["AllocationId"], "--instance-id", other),
                 "Resource.AlreadyAssociated")
    cli(server, "ec2", "disassociate-address", "--association-id", assoc).ok()
    after = instance(server, iid)
    assert after.get("PublicIpAddress") not in (None, alloc["PublicIp"])  # a fresh automatic address
    assert "AssociationId" not in cli(server, "ec2", "describe-addresses", "--allocation-ids",
                                      alloc["AllocationId"]).ok()["Addresses"][0]
    cli(server, "ec2", "release-address", "--allocation-id", alloc["AllocationId"]).ok()
    assert_error(cli(server, "ec2", "disassociate-address", "--association-id", assoc), "InvalidAssociationID.NotFound")


def test_stop_start_terminate(server):
    _, subnet = public_network(server)
    iid = run_instance(server, subnet)["InstanceId"]
    wait_running(server, iid)
    first_ip = instance(server, iid)["PublicIpAddress"]
    out = cli(server, "ec2", "stop-instances", "--instance-ids", iid).ok()["StoppingInstances"][0]
    assert out["PreviousState"]["Name"] == "running" and out["CurrentState"]["Name"] == "stopping"
    server.advance(10)
    cli(server, "ec2", "wait", "instance-stopped", "--instance-ids", iid).ok()
    d = instance(server, iid)
    assert "PublicIpAddress" not in d
    assert d["StateReason"]["Code"] == "Client.UserInitiatedShutdown"
    assert d["StateTransitionReason"].startswith("User initiated (")
    cli(server, "ec2", "modify-instance-attribute", "--instance-id", iid, "--instance-type", "t4g.medium").ok()
    cli(server, "ec2", "start-instances", "--instance-ids", iid).ok()
    server.advance(10)
    d = instance(server, iid)
    assert d["State"]["Name"] == "running" and d["InstanceType"] == "t4g.medium"
    assert d["PublicIpAddress"] and d["PublicIpAddress"] != first_ip or d["PublicIpAddress"]
    cli(server, "ec2", "modify-instance-attribute", "--instance-id", iid, "--disable-api-termination").ok()
    assert_error(cli(server, "ec2", "terminate-instances", "--instance-ids", iid), "OperationNotPermitted")
    cli(server, "ec2", "modify-instance-attribute", "--instance-id", iid, "--no-disable-api-termination").ok()
    out = cli(server, "ec2", "terminate-instances", "--instance-ids", iid).ok()["TerminatingInstances"][0]
    assert out["CurrentState"]["Name"] == "shutting-down"
    server.advance(10)
    cli(server, "ec2", "wait", "instance-terminated", "--instance-ids", iid).ok()
    cli(server, "ec2", "delete-subnet", "--subnet-id", subnet).ok()  # nothing uses it any more
    server.advance(3700)
    assert_error(cli(server, "ec2", "describe-instances", "--instance-ids", iid), "InvalidInstanceID.NotFound")


# ---------------------------------------------------------------------------------------------------
# C05 and C07 exactly as their repros say

def test_c05_missing_instance_ids(server):
    r = server.aws("ec2", "terminate-instances", "--instance-ids", "i-0f5d8ccc56c69fae4", "i-0eecca434287a1a33")
    assert_error(r, "InvalidInstanceID.NotFound")
    assert r.message == "The instance IDs 'i-0f5d8ccc56c69fae4, i-0eecca434287a1a33' do not exist"
    r = server.aws("ec2", "describe-instances", "--instance-ids", "i-0f5d8ccc56c69fae4")
    assert_error(r, "InvalidInstanceID.NotFound")
    assert r.message == "The instance ID 'i-0f5d8ccc56c69fae4' does not exist"
    r = server.aws("ec2", "describe-instances", "--instance-ids", "instance-1")
    assert_error(r, "InvalidInstanceID.Malformed")


def test_c07_fingerprints(server, tmp_path):
    pem = tmp_path / "fp-rsa.pem"
    r = server.aws("ec2", "create-key-pair", "--key-name", "fp-rsa", "--key-type", "rsa", "--query", "KeyMaterial",
                   "--output", "text")
    assert r.rc == 0, r
    pem.write_text(r.stdout)
    fp = server.aws("ec2", "describe-key-pairs", "--key-names", "fp-rsa", "--query", "KeyPairs[0].KeyFingerprint",
                    "--output", "text").stdout.strip()                                                        # (a)
    der = subprocess.run(["openssl", "pkcs8", "-in", str(pem), "-inform", "PEM", "-outform", "DER", "-topk8", "-nocrypt"],
                         check=True, capture_output=True).stdout
    expected = subprocess.run(["openssl", "sha1", "-c"], input=der, check=True, capture_output=True).stdout.decode()
    assert fp == expected.split("= ")[-1].strip()                                                            # (a')
    assert len(fp) == 59

    key = tmp_path / "kp2"
    subprocess.run(["ssh-keygen", "-t", "rsa", "-b", "2048", "-N", "", "-q", "-f", str(key)], check=True)
    r = server.aws("ec2", "import-key-pair", "--key-name", "fp-imp", "--public-key-material", f"fileb://{key}.pub",
                   "--query", "KeyFingerprint", "--output", "text")                                          # (b)
    assert r.rc == 0, r
    pkcs8 = subprocess.run(["ssh-keygen", "-e", "-f", f"{key}.pub", "-m", "pkcs8"], check=True, capture_output=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pkcs8, check=True,
                          capture_output=True).stdout
    md5 = subprocess.run(["openssl", "md5", "-c"], input=spki, check=True, capture_output=True).stdout.decode()
    assert r.stdout.strip() == md5.split("= ")[-1].strip()                                                   # (b')
    assert len(r.stdout.strip()) == 47

    r = server.aws("ec2", "create-key-pair", "--key-name", "fp-ed", "--key-type", "ed25519", "--query",
                   "KeyFingerprint", "--output", "text")                                                     # (c)
    assert r.rc == 0, r
    fp = r.stdout.strip()
    assert ":" not in fp and len(fp) in (43, 44) and re.fullmatch(r"[A-Za-z0-9+/]+=?", fp)

    # An imported ED25519 key: SHA-256 of the key blob, as ssh-keygen -l prints it (AWS keeps the padding).
    ed = tmp_path / "ed"
    subprocess.run(["ssh-keygen", "-t", "ed25519", "-N", "", "-q", "-f", str(ed)], check=True)
    r = server.aws("ec2", "import-key-pair", "--key-name", "fp-ed-imp", "--public-key-material", f"fileb://{ed}.pub",
                   "--query", "KeyFingerprint", "--output", "text")
    line = subprocess.run(["ssh-keygen", "-l", "-f", f"{ed}.pub"], check=True, capture_output=True, text=True).stdout
    assert r.stdout.strip() == line.split()[1].removeprefix("SHA256:") + "="
    # Bad material and duplicates.
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-rsa not-base64 x\n")
    assert_error(server.aws("ec2", "import-key-pair", "--key-name", "bad", "--public-key-material", f"fileb://{bad}"),
                 "InvalidKey.Format")
    assert_error(server.aws("ec2", "create-key-pair", "--key-name", "fp-ed"), "InvalidKeyPair.Duplicate")
    server.aws("ec2", "delete-key-pair", "--key-name", "fp-ed").ok()
    server.aws("ec2", "delete-key-pair", "--key-name", "fp-ed").ok()  # deleting again succeeds, as on AWS


# ---------------------------------------------------------------------------------------------------
# The instance metadata service and `cloudbox exec`

TRUST_EC2 = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def role_with_profile(server, name, allow_secrets):
    iam = server.client("iam", region=REGION)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_EC2)
    if allow_secrets:
        iam.put_role_policy(RoleName=name, PolicyName="read-secrets", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def instance_with_profile(server, profile):
    ec2 = server.client("ec2", region=REGION)
    image = ec2.describe_images(Owners=["099720109477"], Filters=[
        {"Name": "name", "Values": [UBUNTU_ARM]}])["Images"][0]["ImageId"]
    iid = ec2.run_instances(ImageId=image, InstanceType="t4g.small", MinCount=1, MaxCount=1,
                            IamInstanceProfile={"Name": profile},
                            MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    server.advance(10)
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    return iid


def exec_env(server, iid):
    status, body = server.admin("GET", f"/_cloudbox/ec2/instances/{iid}/exec-env")
    return status, body


def clean_env(**extra):
    home = tempfile.mkdtemp(prefix="cloudbox-imds-home-")
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "AWS_CONFIG_FILE": os.path.join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
           "AWS_PAGER": ""}
    env.update(extra)
    return env


BOTO3_SCRIPT = r"""
import json, sys, boto3
s = boto3.session.Session(region_name="us-west-2")
c = s.get_credentials().get_frozen_credentials()
ident = s.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()
print(json.dumps({"method": s.get_credentials().method, "key": c.access_key, "arn": ident["Arn"]}))
"""


def test_imds_boto3_gets_role_credentials(server):
    role_with_profile(server, "app", allow_secrets=True)
    iid = instance_with_profile(server, "app")
    status, env = exec_env(server, iid)
    assert status == 200, env
    imds = env["imds_endpoint"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", imds)
    # IMDSv2 by hand: a token is required on this instance.
    req = urllib.request.Request(imds + "latest/meta-data/instance-id")
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=5)
    assert ei.value.code == 401
    tok_req = urllib.request.Request(imds + "latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    token = urllib.request.urlopen(tok_req, timeout=5).read().decode()
    req = urllib.request.Request(imds + "latest/meta-data/instance-id", headers={"X-aws-ec2-metadata-token": token})
    assert urllib.request.urlopen(req, timeout=5).read().decode() == iid
    # boto3 with no keys at all finds the role's credentials through IMDS.
    p = subprocess.run(["/usr/bin/python3", "-c", BOTO3_SCRIPT, server.url], capture_output=True, text=True, timeout=60,
                       env=clean_env(AWS_EC2_METADATA_SERVICE_ENDPOINT=imds))
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["method"] == "iam-role"
    assert got["key"].startswith("ASIA")
    assert got["arn"] == f"arn:aws:sts::000000000000:assumed-role/app/{iid}"


def test_cloudbox_exec_uses_instance_role(server):
    server.client("secretsmanager", region=REGION).create_secret(
        Name="supabase", SecretString='{"password":"supabase-password","user":"supabase-user"}')
    role_with_profile(server, "reader", allow_secrets=True)
    iid = instance_with_profile(server, "reader")
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, iid, "--", AWS_CLI_V2, "--endpoint-url",
                        server.url, "secretsmanager", "get-secret-value", "--secret-id", "supabase",
                        "--query", "SecretString", "--output", "text"],
                       capture_output=True, text=True, timeout=120,
                       env=clean_env(AWS_ACCESS_KEY_ID="AKIAREALKEYSHOULDGO", AWS_SECRET_ACCESS_KEY="x"))
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["user"] == "supabase-user"
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, iid, "--", AWS_CLI_V2, "--endpoint-url",
                        server.url, "sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
                       capture_output=True, text=True, timeout=120, env=clean_env())
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"arn:aws:sts::000000000000:assumed-role/reader/{iid}"
    # The environment the command sees: no static keys, the instance's region and metadata endpoint.
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, iid, "--", "/usr/bin/env"],
                       capture_output=True, text=True, timeout=30, env=clean_env(AWS_ACCESS_KEY_ID="AKIAX", AWS_PROFILE="p"))
    env = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    assert "AWS_ACCESS_KEY_ID" not in env and "AWS_PROFILE" not in env
    assert env["AWS_REGION"] == REGION and env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_ENDPOINT_URL"] == server.url
    assert env["AWS_EC2_METADATA_SERVICE_ENDPOINT"].startswith("http://127.0.0.1:")
    # A stopped instance has no metadata service: exec refuses.
    server.client("ec2", region=REGION).stop_instances(InstanceIds=[iid])
    server.advance(10)
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, iid, "--", "/bin/true"],
                       capture_output=True, text=True, timeout=30, env=clean_env())
    assert p.returncode != 0
    assert "not running" in p.stderr
    # The plain form still works.
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, "--", "/usr/bin/env"],
                       capture_output=True, text=True, timeout=30, env=clean_env())
    assert p.returncode == 0 and "AWS_ACCESS_KEY_ID=test" in p.stdout


def test_exec_under_enforce_iam_denies_role_without_permission(server_factory):
    s = server_factory(extra_args=["--enforce-iam"])
    s.client("secretsmanager", region=REGION).create_secret(Name="supabase", SecretString='{"user":"u"}')
    role_with_profile(s, "allowed", allow_secrets=True)
    role_with_profile(s, "denied", allow_secrets=False)
    ok_iid = instance_with_profile(s, "allowed")
    no_iid = instance_with_profile(s, "denied")

    def get_secret(iid):
        return subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", s.url, iid, "--", AWS_CLI_V2, "--endpoint-url", s.url,
                               "secretsmanager", "get-secret-value", "--secret-id", "supabase",
                               "--query", "SecretString", "--output", "text"],
                              capture_output=True, text=True, timeout=120, env=clean_env())

    p = get_secret(ok_iid)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["user"] == "u"
    p = get_secret(no_iid)
    assert p.returncode != 0
    assert "AccessDenied" in p.stderr, p.stderr
    assert f"assumed-role/denied/{no_iid}" in p.stderr


def test_instances_and_metadata_survive_a_restart(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    role_with_profile(s, "durable", allow_secrets=False)
    iid = instance_with_profile(s, "durable")
    key = s.client("ec2", region=REGION).create_key_pair(KeyName="k")["KeyFingerprint"]
    assert s.stop() == 0
    s2 = server_factory(state_dir=state_dir)
    ec2 = s2.client("ec2", region=REGION)
    d = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert d["State"]["Name"] == "running"
    assert d["IamInstanceProfile"]["Arn"].endswith(":instance-profile/durable")
    assert ec2.describe_key_pairs(KeyNames=["k"])["KeyPairs"][0]["KeyFingerprint"] == key
    # The metadata service is back on a port of the new process.
    status, env = exec_env(s2, iid)
    assert status == 200, env
    token = urllib.request.urlopen(urllib.request.Request(
        env["imds_endpoint"] + "latest/api/token", method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}), timeout=5).read().decode()
    got = urllib.request.urlopen(urllib.request.Request(
        env["imds_endpoint"] + "latest/meta-data/iam/security-credentials/",
        headers={"X-aws-ec2-metadata-token": token}), timeout=5).read().decode()
    assert got == "durable"
    # Stopping closes it.
    ec2.stop_instances(InstanceIds=[iid])
    s2.advance(10)
    with pytest.raises(urllib.error.URLError) as ei:
        urllib.request.urlopen(env["imds_endpoint"] + "latest/meta-data/", timeout=5)
    assert not isinstance(ei.value, urllib.error.HTTPError), "the port still answers"
    assert exec_env(s2, iid)[0] == 409


def test_role_not_trusting_ec2_gives_no_credentials(server):
    iam = server.client("iam", region=REGION)
    iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.create_instance_profile(InstanceProfileName="lambda-only")
    iam.add_role_to_instance_profile(InstanceProfileName="lambda-only", RoleName="lambda-only")
    iid = instance_with_profile(server, "lambda-only")
    p = subprocess.run([CLOUDBOX_BIN, "exec", "--endpoint", server.url, iid, "--", AWS_CLI_V2, "--endpoint-url",
                        server.url, "sts", "get-caller-identity"], capture_output=True, text=True, timeout=120,
                       env=clean_env())
    assert p.returncode != 0
    assert "Unable to locate credentials" in p.stderr, p.stderr
    status, env = exec_env(server, iid)
    info = json.loads(urllib.request.urlopen(urllib.request.Request(
        env["imds_endpoint"] + "latest/meta-data/iam/info",
        headers={"X-aws-ec2-metadata-token": urllib.request.urlopen(urllib.request.Request(
            env["imds_endpoint"] + "latest/api/token", method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}), timeout=5).read().decode()}), timeout=5).read())
    assert info["Code"] == "AssumeRoleUnauthorizedAccess"
