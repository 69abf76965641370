"""Replays the Terraform AWS provider's call sequences (see /work/shared/terraform-calls.md) with boto3:
create (with its reads and polls), plan-time refresh, update in place where the provider has one, destroy."""
import json
import time
import urllib.parse
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import expect_error

TRUST_EC2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
TRUST_SCHED = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                       "Principal": {"Service": "scheduler.amazonaws.com"},
                                                       "Action": "sts:AssumeRole"}]}


def doc(action, resource="*"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def code_of(call, **kw):
    try:
        call(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def poll(fn, timeout=20.0, interval=0.2, what=""):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def decoded(value):
    """boto3 already URL-decodes and parses IAM policy documents; the raw wire form is checked by raw_bodies."""
    return value if isinstance(value, dict) else json.loads(urllib.parse.unquote(value))


def raw_bodies(client, op):
    """Records the raw XML bodies of `op`'s responses (to see the URL-encoded documents on the wire)."""
    seen = []
    client.meta.events.register(f"response-received.iam.{op}",
                                lambda response_dict=None, **kw: seen.append(response_dict["body"].decode()))
    return seen


def ec2_snapshot(ec2):
    return {
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        "sgs": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "igws": sorted(g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]),
        "rtbs": sorted(r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]),
        "nacls": sorted(n["NetworkAclId"] for n in ec2.describe_network_acls()["NetworkAcls"]),
        "eips": sorted(a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]),
        "keys": sorted(k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]),
        "endpoints": sorted(e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]),
        "enis": sorted(e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces()["NetworkInterfaces"]),
        "instances": sorted(i["InstanceId"] for r in ec2.describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        )["Reservations"] for i in r["Instances"]),
    }


@pytest.fixture
def tf(clean):
    """Provider start (GetCallerIdentity) on a clean server."""
    assert clean.client("sts").get_caller_identity()["Account"] == "000000000000"
    return clean


# ---------------------------------------------------------------------------------------------------
# EC2 helpers replaying one resource each

def tf_create_vpc(ec2, cidr="10.10.0.0/16"):
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": "tf"}]}])["Vpc"]["VpcId"]
    poll(lambda: ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["State"] == "available", what="vpc available")
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    poll(lambda: ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
         ["EnableDnsHostnames"]["Value"] is True, what="dns hostnames")
    return vpc


def tf_read_vpc(ec2, vpc):
    v = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    assert len(v) == 1 and v[0]["CidrBlock"]
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"] is True
    assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True
    r = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableNetworkAddressUsageMetrics")
    assert r["EnableNetworkAddressUsageMetrics"]["Value"] is False
    nacls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                               {"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    assert len(nacls) == 1, nacls
    rtbs = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                              {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(rtbs) == 1, rtbs
    sgs = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert len(sgs) == 1, sgs
    return v[0]


def tf_delete_vpc(ec2, vpc):
    ec2.delete_vpc(VpcId=vpc)
    expect_error(ec2.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=[vpc])


def tf_create_subnet(ec2, vpc, cidr="10.10.1.0/24", az="us-east-1a", public=False):
    sn = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
    poll(lambda: ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]["State"] == "available", what="subnet")
    if public:
        ec2.modify_subnet_attribute(SubnetId=sn, MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=sn, PrivateDnsHostnameTypeOnLaunch="resource-name")
    return sn


def tf_delete_subnet(ec2, sn):
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sn]}])["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=sn)
    expect_error(ec2.describe_subnets, "InvalidSubnetID.NotFound", SubnetIds=[sn])


def tf_create_sg(ec2, vpc, name="tf-sg"):
    g = ec2.create_security_group(GroupName=name, Description="Managed by Terraform", VpcId=vpc)["GroupId"]
    poll(lambda: ec2.describe_security_groups(GroupIds=[g])["SecurityGroups"], what="sg")
    ec2.revoke_security_group_egress(GroupId=g, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    expect_error(ec2.revoke_security_group_egress, "InvalidPermission.NotFound", GroupId=g, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    ec2.authorize_security_group_egress(GroupId=g, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return g


def tf_delete_sg(ec2, g):
    assert ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [g]}])["NetworkInterfaces"] == []
    ec2.delete_security_group(GroupId=g)
    expect_error(ec2.describe_security_groups, "InvalidGroup.NotFound", GroupIds=[g])


# ---------------------------------------------------------------------------------------------------
# IAM

def test_iam_user_and_access_key(tf):
    iam = tf.client("iam")
    iam.create_user(UserName="tf-user", Path="/", Tags=[{"Key": "env", "Value": "t"}])
    u = iam.get_user(UserName="tf-user")["User"]
    assert u["Arn"] == "arn:aws:iam::000000000000:user/tf-user"
    # aws_iam_access_key
    key = iam.create_access_key(UserName="tf-user")["AccessKey"]
    assert key["SecretAccessKey"] and key["Status"] == "Active"
    keys = iam.list_access_keys(UserName="tf-user")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]
    # update in place: user tags; access key status
    iam.tag_user(UserName="tf-user", Tags=[{"Key": "env", "Value": "u"}])
    assert iam.list_user_tags(UserName="tf-user")["Tags"] == [{"Key": "env", "Value": "u"}]
    iam.update_access_key(UserName="tf-user", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName="tf-user")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    # a user that still has an access key cannot be deleted: force_destroy removes the key first
    expect_error(iam.delete_user, "DeleteConflict", 409, UserName="tf-user")
    # destroy access key then user (force_destroy path)
    iam.delete_access_key(UserName="tf-user", AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName="tf-user")["AccessKeyMetadata"] == []
    assert iam.list_groups_for_user(UserName="tf-user")["Groups"] == []
    assert iam.list_ssh_public_keys(UserName="tf-user")["SSHPublicKeys"] == []
    assert iam.list_mfa_devices(UserName="tf-user")["MFADevices"] == []
    expect_error(iam.get_login_profile, "NoSuchEntity", 404, UserName="tf-user")
    assert iam.list_signing_certificates(UserName="tf-user")["Certificates"] == []
    assert iam.list_service_specific_credentials(UserName="tf-user")["ServiceSpecificCredentials"] == []
    iam.delete_user(UserName="tf-user")
    expect_error(iam.get_user, "NoSuchEntity", 404, UserName="tf-user")
    assert iam.list_users()["Users"] == []


def test_iam_policy_five_versions(tf):
    iam = tf.client("iam")
    gpv = raw_bodies(iam, "GetPolicyVersion")
    arn = iam.create_policy(PolicyName="tf-pol", PolicyDocument=json.dumps(doc("s3:GetObject")))["Policy"]["Arn"]
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    v = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])["PolicyVersion"]
    assert decoded(v["Document"]) == doc("s3:GetObject")
    assert "<Document>%7B%22Version%22" in gpv[-1] or "<Document>%7B%22Statement%22" in gpv[-1], gpv[-1]
    # five updates: the provider deletes the oldest non-default version when there are 5
    for i in range(6):
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        if len(versions) >= 5:
            oldest = sorted((x for x in versions if not x["IsDefaultVersion"]), key=lambda x: x["CreateDate"])[0]
            iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
        new = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc(f"s3:Get{i}")),
                                        SetAsDefault=False)["PolicyVersion"]["VersionId"]
        iam.set_default_policy_version(PolicyArn=arn, VersionId=new)
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    p = iam.get_policy(PolicyArn=arn)["Policy"]
    assert p["DefaultVersionId"] == "v7"
    v = iam.get_policy_version(PolicyArn=arn, VersionId="v7")["PolicyVersion"]
    assert decoded(v["Document"]) == doc("s3:Get5")
    # destroy
    for x in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not x["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=x["VersionId"])
    iam.delete_policy(PolicyArn=arn)
    expect_error(iam.get_policy, "NoSuchEntity", 404, PolicyArn=arn)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_iam_role_attachments_instance_profile(tf):
    iam = tf.client("iam")
    gr = raw_bodies(iam, "GetRole")
    iam.create_role(RoleName="tf-role", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    r = iam.get_role(RoleName="tf-role")["Role"]
    assert decoded(r["AssumeRolePolicyDocument"]) == TRUST_EC2
    assert "<AssumeRolePolicyDocument>%7B%22" in gr[-1], gr[-1]
    assert iam.list_role_policies(RoleName="tf-role")["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName="tf-role")["AttachedPolicies"] == []
    # inline policy read path
    iam.put_role_policy(RoleName="tf-role", PolicyName="inl", PolicyDocument=json.dumps(doc("ec2:Describe*")))
    assert iam.list_role_policies(RoleName="tf-role")["PolicyNames"] == ["inl"]
    assert decoded(iam.get_role_policy(RoleName="tf-role", PolicyName="inl")["PolicyDocument"]) == doc("ec2:Describe*")
    # aws_iam_role_policy_attachment / aws_iam_user_policy_attachment
    arn = iam.create_policy(PolicyName="tf-att", PolicyDocument=json.dumps(doc("s3:*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="tf-role", PolicyArn=arn)
    pages = iam.get_paginator("list_attached_role_policies").paginate(RoleName="tf-role")
    assert [p["PolicyArn"] for pg in pages for p in pg["AttachedPolicies"]] == [arn]
    iam.create_user(UserName="tf-u")
    iam.attach_user_policy(UserName="tf-u", PolicyArn=arn)
    pages = iam.get_paginator("list_attached_user_policies").paginate(UserName="tf-u")
    assert [p["PolicyArn"] for pg in pages for p in pg["AttachedPolicies"]] == [arn]
    ents = iam.list_entities_for_policy(PolicyArn=arn)
    assert [x["RoleName"] for x in ents["PolicyRoles"]] == ["tf-role"]
    assert [x["UserName"] for x in ents["PolicyUsers"]] == ["tf-u"]
    # update in place: role trust policy and description
    iam.update_assume_role_policy(RoleName="tf-role", PolicyDocument=json.dumps(TRUST_SCHED))
    iam.update_role(RoleName="tf-role", Description="changed")
    r = iam.get_role(RoleName="tf-role")["Role"]
    assert decoded(r["AssumeRolePolicyDocument"]) == TRUST_SCHED and r["Description"] == "changed"
    # aws_iam_instance_profile
    iam.create_instance_profile(InstanceProfileName="tf-ip")
    iam.add_role_to_instance_profile(InstanceProfileName="tf-ip", RoleName="tf-role")
    ip = iam.get_instance_profile(InstanceProfileName="tf-ip")["InstanceProfile"]
    assert [x["RoleName"] for x in ip["Roles"]] == ["tf-role"]
    # destroy: role deletion while in a profile conflicts
    expect_error(iam.delete_role, "DeleteConflict", 409, RoleName="tf-role")
    iam.remove_role_from_instance_profile(InstanceProfileName="tf-ip", RoleName="tf-role")
    iam.delete_instance_profile(InstanceProfileName="tf-ip")
    expect_error(iam.get_instance_profile, "NoSuchEntity", 404, InstanceProfileName="tf-ip")
    iam.detach_user_policy(UserName="tf-u", PolicyArn=arn)
    iam.detach_role_policy(RoleName="tf-role", PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName="tf-u")["AttachedPolicies"] == []
    assert iam.list_instance_profiles_for_role(RoleName="tf-role")["InstanceProfiles"] == []
    iam.delete_role_policy(RoleName="tf-role", PolicyName="inl")
    iam.delete_role(RoleName="tf-role")
    expect_error(iam.get_role, "NoSuchEntity", 404, RoleName="tf-role")
    iam.delete_user(UserName="tf-u")
    iam.delete_policy(PolicyArn=arn)
    assert iam.list_roles()["Roles"] == [] or all(
        x["Path"].startswith("/aws-service-role/") for x in iam.list_roles()["Roles"])
    assert iam.list_instance_profiles()["InstanceProfiles"] == []


# ---------------------------------------------------------------------------------------------------
# EC2 networking

def test_vpc_subnet_igw_route_table(tf):
    ec2 = tf.client("ec2")
    before = ec2_snapshot(ec2)
    assert len(before["vpcs"]) == 1  # the default VPC
    vpc = tf_create_vpc(ec2)
    tf_read_vpc(ec2, vpc)
    # aws_subnet
    sn = tf_create_subnet(ec2, vpc)
    s = ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]
    assert s["VpcId"] == vpc and s["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] == "resource-name"
    # update in place: map_public_ip_on_launch
    ec2.modify_subnet_attribute(SubnetId=sn, MapPublicIpOnLaunch={"Value": True})
    assert ec2.describe_subnets(SubnetIds=[sn])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    # aws_internet_gateway: create, attach, poll attachment
    igw = ec2.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": [
        {"Key": "Name", "Value": "tf"}]}])["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    poll(lambda: ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]["Attachments"]
         == [{"State": "available", "VpcId": vpc}], what="igw attached")
    # aws_route_table with a 0.0.0.0/0 route, aws_route_table_association
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    poll(lambda: ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"], what="rtb")
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sn)["AssociationId"]
    poll(lambda: ec2.describe_route_tables(Filters=[{"Name": "association.route-table-association-id",
                                                     "Values": [assoc]}])["RouteTables"], what="assoc")
    # refresh
    tf_read_vpc(ec2, vpc)
    rt = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    routes = {r["DestinationCidrBlock"]: r for r in rt["Routes"]}
    assert routes["0.0.0.0/0"]["GatewayId"] == igw and routes["10.10.0.0/16"]["GatewayId"] == "local"
    assert [a["SubnetId"] for a in rt["Associations"]] == [sn]
    # update in place: route target replace, association replace
    rtb2 = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assoc2 = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb2)["NewAssociationId"]
    assert ec2.describe_route_tables(RouteTableIds=[rtb2])["RouteTables"][0]["Associations"][0]["SubnetId"] == sn
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    # aws_vpc_endpoint (gateway, S3)
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                                   RouteTableIds=[rtb])["VpcEndpoint"]["VpcEndpointId"]
    poll(lambda: ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["State"] == "available",
         what="vpce available")
    pl = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name",
                                             "Values": ["com.amazonaws.us-east-1.s3"]}])["PrefixLists"]
    assert len(pl) == 1
    ec2.modify_vpc_endpoint(VpcEndpointId=vpce, AddRouteTableIds=[rtb2])
    assert sorted(ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["RouteTableIds"]) == \
        sorted([rtb, rtb2])
    # destroy
    ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
    poll(lambda: not ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": [vpce]}, {
        "Name": "vpc-endpoint-state", "Values": ["available", "pending", "deleting"]}])["VpcEndpoints"],
        what="vpce gone")
    ec2.disassociate_route_table(AssociationId=assoc2)
    for t in (rtb, rtb2):
        ec2.delete_route_table(RouteTableId=t)
        expect_error(ec2.describe_route_tables, "InvalidRouteTableID.NotFound", RouteTableIds=[t])
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    expect_error(ec2.describe_internet_gateways, "InvalidInternetGatewayID.NotFound", InternetGatewayIds=[igw])
    tf_delete_subnet(ec2, sn)
    tf_delete_vpc(ec2, vpc)
    assert ec2_snapshot(ec2) == before


def test_security_group_and_ingress_rule(tf):
    ec2 = tf.client("ec2", newer_model=True)
    before = ec2_snapshot(ec2)
    vpc = tf_create_vpc(ec2, "10.20.0.0/16")
    g = tf_create_sg(ec2, vpc)
    sg = ec2.describe_security_groups(GroupIds=[g])["SecurityGroups"][0]
    assert sg["IpPermissions"] == []
    assert [(p["IpProtocol"], p["IpRanges"]) for p in sg["IpPermissionsEgress"]] == [("-1", [{"CidrIp": "0.0.0.0/0"}])]
    # aws_vpc_security_group_ingress_rule: AuthorizeSecurityGroupIngress with tags, read by rule id
    out = ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
        TagSpecifications=[{"ResourceType": "security-group-rule", "Tags": [{"Key": "Name", "Value": "ssh"}]}])
    rule = out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])["SecurityGroupRules"][0]
    assert (r["GroupId"], r["IsEgress"], r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIpv4"]) == \
        (g, False, "tcp", 22, 22, "10.0.0.0/8")
    # update in place: ModifySecurityGroupRules
    ec2.modify_security_group_rules(GroupId=g, SecurityGroupRules=[{"SecurityGroupRuleId": rule, "SecurityGroupRule": {
        "IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "10.0.0.0/8", "Description": "x"}}])
    r = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])["SecurityGroupRules"][0]
    assert (r["FromPort"], r["ToPort"], r["Description"]) == (2222, 2222, "x")
    # update in place of the group's description-free attributes: tags
    ec2.create_tags(Resources=[g], Tags=[{"Key": "env", "Value": "t"}])
    # destroy the rule, then the group (rules by id first)
    ec2.revoke_security_group_ingress(GroupId=g, SecurityGroupRuleIds=[rule])
    expect_error(ec2.describe_security_group_rules, "InvalidSecurityGroupRuleId.NotFound", SecurityGroupRuleIds=[rule])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [g]}])["SecurityGroupRules"]
    egress = [x["SecurityGroupRuleId"] for x in rules if x["IsEgress"]]
    assert len(egress) == 1 and len(rules) == 1
    ec2.revoke_security_group_egress(GroupId=g, SecurityGroupRuleIds=egress)
    tf_delete_sg(ec2, g)
    tf_delete_vpc(ec2, vpc)
    assert ec2_snapshot(ec2) == before


def _public_key(tmp_path):
    import subprocess
    subprocess.run(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True)
    return (tmp_path / "k.pub").read_text().strip()


def test_key_pair(tf, tmp_path):
    ec2 = tf.client("ec2")
    before = ec2_snapshot(ec2)
    key = ec2.import_key_pair(KeyName="tf-key", PublicKeyMaterial=_public_key(tmp_path).encode(),
                              TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": "a", "Value": "b"}]}])
    kp = ec2.describe_key_pairs(KeyNames=["tf-key"], IncludePublicKey=True)["KeyPairs"][0]
    assert kp["KeyPairId"] == key["KeyPairId"] and kp["KeyType"] == "ed25519"
    assert kp["PublicKey"].startswith("ssh-ed25519") and kp["KeyFingerprint"] == key["KeyFingerprint"]
    # update in place: tags only
    ec2.create_tags(Resources=[key["KeyPairId"]], Tags=[{"Key": "a", "Value": "c"}])
    kp = ec2.describe_key_pairs(KeyPairIds=[key["KeyPairId"]])["KeyPairs"][0]
    assert kp["Tags"] == [{"Key": "a", "Value": "c"}]
    ec2.delete_key_pair(KeyPairId=key["KeyPairId"])
    expect_error(ec2.describe_key_pairs, "InvalidKeyPair.NotFound", KeyNames=["tf-key"])
    assert ec2_snapshot(ec2) == before


class Net:
    """VPC + subnet + internet gateway + security group, as a configuration around an instance has them."""

    def __init__(self, ec2, cidr):
        self.ec2 = ec2
        self.vpc = tf_create_vpc(ec2, cidr + ".0.0/16")
        self.sn = tf_create_subnet(ec2, self.vpc, cidr + ".1.0/24")
        self.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.groups = [tf_create_sg(ec2, self.vpc)]

    def destroy(self):
        ec2 = self.ec2
        for grp in self.groups:
            poll(lambda: not ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [grp]}])[
                "NetworkInterfaces"], what="eni gone")
            tf_delete_sg(ec2, grp)
        ec2.detach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        ec2.delete_internet_gateway(InternetGatewayId=self.igw)
        tf_delete_subnet(ec2, self.sn)
        tf_delete_vpc(ec2, self.vpc)


def ubuntu_arm(ec2):
    images = ec2.describe_images(Owners=["099720109477"], Filters=[
        {"Name": "name", "Values": ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*"]},
        {"Name": "architecture", "Values": ["arm64"]}])["Images"]
    image = sorted(images, key=lambda i: i["CreationDate"])[-1]
    assert image["RootDeviceName"] and image["BlockDeviceMappings"]
    return image["ImageId"]


def tf_launch(server, ec2, net, **extra):
    token = "terraform-" + uuid.uuid4().hex[:20]
    run = dict(ImageId=ubuntu_arm(ec2), InstanceType="t4g.small", MinCount=1, MaxCount=1, ClientToken=token,
               NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net.sn, "Groups": list(net.groups)}],
               TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "tf"}]}],
               MetadataOptions={"HttpTokens": "required"}, **extra)
    inst = ec2.run_instances(**run)["Instances"][0]
    iid = inst["InstanceId"]
    assert inst["SubnetId"] == net.sn and [x["GroupId"] for x in inst["SecurityGroups"]] == net.groups
    # a retry with the same ClientToken gives the same instance
    assert ec2.run_instances(**run)["Instances"][0]["InstanceId"] == iid

    def running():
        server.advance(1)
        i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        return i if i["State"]["Name"] == "running" else None
    return poll(running, timeout=30, interval=0.05, what="instance running")


def tf_terminate(server, ec2, iid):
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])

    def terminated():
        server.advance(1)
        return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] \
            == "terminated"
    poll(terminated, timeout=30, interval=0.05, what="instance terminated")


def _state(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def test_instance(tf):
    ec2 = tf.client("ec2")
    before = ec2_snapshot(ec2)
    net = Net(ec2, "10.30")
    it = ec2.describe_instance_types(InstanceTypes=["t4g.small"])["InstanceTypes"][0]
    assert it["BurstablePerformanceSupported"] is True
    inst = tf_launch(tf, ec2, net, UserData="#!/bin/sh\necho hi\n")  # boto3 base64-encodes it
    iid = inst["InstanceId"]
    try:
        vols = [b["Ebs"]["VolumeId"] for b in inst["BlockDeviceMappings"]]
        ec2.create_tags(Resources=vols, Tags=[{"Key": "Name", "Value": "tf"}])
        # refresh
        assert ec2.describe_instance_types(InstanceTypes=[inst["InstanceType"]])["InstanceTypes"][0][
            "BurstablePerformanceSupported"] is True
        assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]},
                                          {"Name": "key", "Values": ["aws:ec2launchtemplate:id"]}])["Tags"] == []
        ec2.describe_vpcs(VpcIds=[net.vpc])
        assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")[
            "InstanceInitiatedShutdownBehavior"]["Value"] == "stop"
        assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiStop")[
            "DisableApiStop"]["Value"] is False
        assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")[
            "DisableApiTermination"]["Value"] is False
        ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]
        assert ud["Value"] == "IyEvYmluL3NoCmVjaG8gaGkK"
        v = ec2.describe_volumes(VolumeIds=vols)["Volumes"]
        assert v[0]["Attachments"][0]["InstanceId"] == iid
        assert {"Key": "Name", "Value": "tf"} in v[0]["Tags"]
        cs = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
        assert [c["InstanceId"] for c in cs] == [iid] and cs[0]["CpuCredits"] in ("standard", "unlimited")
        # update in place: security groups via the primary ENI
        net.groups.append(tf_create_sg(ec2, net.vpc, "tf-sg2"))
        eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
        ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=net.groups)
        assert sorted(x["GroupId"] for x in _state(ec2, iid)["SecurityGroups"]) == sorted(net.groups)
        # update in place: instance type, stop / modify / start
        ec2.stop_instances(InstanceIds=[iid])

        def in_state(name):
            def check():
                tf.advance(1)
                return _state(ec2, iid)["State"]["Name"] == name
            return check
        poll(in_state("stopped"), timeout=30, interval=0.05, what="stopped")
        ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "t4g.medium"})
        ec2.start_instances(InstanceIds=[iid])
        poll(in_state("running"), timeout=30, interval=0.05, what="running again")
        assert _state(ec2, iid)["InstanceType"] == "t4g.medium"
        # destroy order: while the instance lives, its group and subnet are in use (the provider retries)
        assert code_of(ec2.delete_security_group, GroupId=net.groups[0]) in ("DependencyViolation",
                                                                             "InvalidGroup.InUse")
        assert code_of(ec2.delete_subnet, SubnetId=net.sn) == "DependencyViolation"
    finally:
        tf_terminate(tf, ec2, iid)
        net.destroy()
    assert ec2_snapshot(ec2) == before


# RunInstances keeps CreditSpecification (it was ignored: Terraform's credit_specification showed a perpetual diff).
def test_instance_credit_specification(tf):
    ec2 = tf.client("ec2")
    net = Net(ec2, "10.35")
    assert ec2.describe_instance_types(InstanceTypes=["t4g.small"])["InstanceTypes"][0][
        "BurstablePerformanceSupported"] is True
    iid = tf_launch(tf, ec2, net, CreditSpecification={"CpuCredits": "standard"})["InstanceId"]
    try:
        cs = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
        assert cs == [{"InstanceId": iid, "CpuCredits": "standard"}]
    finally:
        tf_terminate(tf, ec2, iid)
        net.destroy()


def test_eip_and_eip_association(tf):
    ec2 = tf.client("ec2")
    before = ec2_snapshot(ec2)
    net = Net(ec2, "10.40")
    iid = tf_launch(tf, ec2, net)["InstanceId"]
    # aws_eip
    alloc = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": "Name", "Value": "tf"}]}])["AllocationId"]
    a = poll(lambda: ec2.describe_addresses(AllocationIds=[alloc])["Addresses"], what="eip")[0]
    assert a["Domain"] == "vpc" and "AssociationId" not in a and a["PublicIp"]
    ec2.describe_addresses_attribute(AllocationIds=[alloc], Attribute="domain-name")
    # aws_eip_association
    assoc = ec2.associate_address(AllocationId=alloc, InstanceId=iid)["AssociationId"]
    a = ec2.describe_addresses(Filters=[{"Name": "association-id", "Values": [assoc]}])["Addresses"]
    assert len(a) == 1 and a[0]["InstanceId"] == iid and a[0]["AllocationId"] == alloc
    # refresh of the instance sees the address
    i = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert i["PublicIpAddress"] == a[0]["PublicIp"]
    # update in place: tags of the eip
    ec2.create_tags(Resources=[alloc], Tags=[{"Key": "Name", "Value": "tf2"}])
    assert ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["Tags"] == [{"Key": "Name", "Value": "tf2"}]
    # destroy
    ec2.disassociate_address(AssociationId=assoc)
    assert ec2.describe_addresses(Filters=[{"Name": "association-id", "Values": [assoc]}])["Addresses"] == []
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    ec2.release_address(AllocationId=alloc)
    expect_error(ec2.describe_addresses, "InvalidAllocationID.NotFound", AllocationIds=[alloc])
    tf_terminate(tf, ec2, iid)
    net.destroy()
    assert ec2_snapshot(ec2) == before


# ---------------------------------------------------------------------------------------------------
# RDS

def _descendants(pid):
    import os
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def test_db_subnet_group_and_db_instance(tf):
    ec2, rds, sm = tf.client("ec2"), tf.client("rds", newer_model=True), tf.client("secretsmanager")
    before = ec2_snapshot(ec2)
    vpc = tf_create_vpc(ec2, "10.50.0.0/16")
    sna = tf_create_subnet(ec2, vpc, "10.50.1.0/24", "us-east-1a")
    snb = tf_create_subnet(ec2, vpc, "10.50.2.0/24", "us-east-1b")
    g = tf_create_sg(ec2, vpc, "tf-db")
    # aws_db_subnet_group
    grp = rds.create_db_subnet_group(DBSubnetGroupName="tf-dbsg", DBSubnetGroupDescription="Managed by Terraform",
                                     SubnetIds=[sna, snb], Tags=[{"Key": "env", "Value": "t"}])["DBSubnetGroup"]
    read = rds.describe_db_subnet_groups(DBSubnetGroupName="tf-dbsg")["DBSubnetGroups"][0]
    assert read["VpcId"] == vpc and sorted(s["SubnetIdentifier"] for s in read["Subnets"]) == sorted([sna, snb])
    assert rds.list_tags_for_resource(ResourceName=grp["DBSubnetGroupArn"])["TagList"] == [{"Key": "env", "Value": "t"}]
    rds.modify_db_subnet_group(DBSubnetGroupName="tf-dbsg", DBSubnetGroupDescription="changed", SubnetIds=[sna, snb])
    rds.add_tags_to_resource(ResourceName=grp["DBSubnetGroupArn"], Tags=[{"Key": "env", "Value": "u"}])
    read = rds.describe_db_subnet_groups(DBSubnetGroupName="tf-dbsg")["DBSubnetGroups"][0]
    assert read["DBSubnetGroupDescription"] == "changed"
    assert rds.list_tags_for_resource(ResourceName=grp["DBSubnetGroupArn"])["TagList"] == [{"Key": "env", "Value": "u"}]
    # aws_db_instance with manage_master_user_password
    db = rds.create_db_instance(DBInstanceIdentifier="tf-db", Engine="postgres", DBInstanceClass="db.t4g.micro",
                                AllocatedStorage=20, MasterUsername="pgadmin", ManageMasterUserPassword=True,
                                DBName="app", DBSubnetGroupName="tf-dbsg", VpcSecurityGroupIds=[g],
                                PubliclyAccessible=False, MultiAZ=False, StorageEncrypted=True,
                                BackupRetentionPeriod=0, CopyTagsToSnapshot=False,
                                Tags=[{"Key": "Name", "Value": "tf"}])["DBInstance"]
    try:
        res_id = db["DbiResourceId"]
        assert res_id.startswith("db-")
        secret_arn = db["MasterUserSecret"]["SecretArn"]
        streak, deadline, last = 0, time.time() + 90, None
        while streak < 3:  # three consecutive "available"
            assert time.time() < deadline, last
            last = rds.describe_db_instances(DBInstanceIdentifier="tf-db")["DBInstances"][0]
            assert last["DBInstanceStatus"] != "failed", last
            streak = streak + 1 if last["DBInstanceStatus"] == "available" else 0
            time.sleep(0.3)
        # refresh: by resource id
        got = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [res_id]}])["DBInstances"]
        assert [d["DBInstanceIdentifier"] for d in got] == ["tf-db"]
        d = got[0]
        assert d["MasterUserSecret"]["SecretArn"] == secret_arn and d["MasterUserSecret"]["SecretStatus"] == "active"
        assert d["Endpoint"]["Port"] and d["DBSubnetGroup"]["DBSubnetGroupName"] == "tf-dbsg"
        assert [x["VpcSecurityGroupId"] for x in d["VpcSecurityGroups"]] == [g]
        assert rds.list_tags_for_resource(ResourceName=d["DBInstanceArn"])["TagList"] == [{"Key": "Name", "Value": "tf"}]
        assert sm.describe_secret(SecretId=secret_arn)["ARN"] == secret_arn
        # update in place: deletion protection on (as a configuration would), ApplyImmediately
        rds.modify_db_instance(DBInstanceIdentifier="tf-db", DeletionProtection=True, ApplyImmediately=True)
        poll(lambda: rds.describe_db_instances(DBInstanceIdentifier="tf-db")["DBInstances"][0]["DBInstanceStatus"]
             == "available", timeout=60, interval=0.3, what="available after modify")
        assert rds.describe_db_instances(DBInstanceIdentifier="tf-db")["DBInstances"][0]["DeletionProtection"] is True
        # destroy: deletion protection blocks, the provider turns it off and retries
        expect_error(rds.delete_db_instance, "InvalidParameterCombination", DBInstanceIdentifier="tf-db",
                     SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
        rds.modify_db_instance(DBInstanceIdentifier="tf-db", DeletionProtection=False, ApplyImmediately=True)
        poll(lambda: rds.describe_db_instances(DBInstanceIdentifier="tf-db")["DBInstances"][0]["DBInstanceStatus"]
             == "available", timeout=60, interval=0.3, what="available after modify")
    finally:
        if code_of(rds.describe_db_instances, DBInstanceIdentifier="tf-db") is None:
            rds.modify_db_instance(DBInstanceIdentifier="tf-db", DeletionProtection=False, ApplyImmediately=True)
            poll(lambda: code_of(rds.delete_db_instance, DBInstanceIdentifier="tf-db", SkipFinalSnapshot=True,
                                 DeleteAutomatedBackups=True) in (None, "InvalidDBInstanceState"),
                 timeout=60, interval=0.5, what="delete accepted")
            poll(lambda: code_of(rds.describe_db_instances, DBInstanceIdentifier="tf-db") == "DBInstanceNotFound",
                 timeout=90, interval=0.3, what="DBInstanceNotFound")
    expect_error(rds.describe_db_instances, "DBInstanceNotFound", 404, DBInstanceIdentifier="tf-db")
    assert rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [res_id]}])["DBInstances"] == []
    poll(lambda: not _descendants(tf.proc.pid), timeout=30, interval=0.3, what="no postgres process left")
    # the managed master secret goes with the instance
    assert sm.list_secrets()["SecretList"] == []
    rds.delete_db_subnet_group(DBSubnetGroupName="tf-dbsg")
    expect_error(rds.describe_db_subnet_groups, "DBSubnetGroupNotFoundFault", 404, DBSubnetGroupName="tf-dbsg")
    tf_delete_sg(ec2, g)
    tf_delete_subnet(ec2, sna)
    tf_delete_subnet(ec2, snb)
    tf_delete_vpc(ec2, vpc)
    assert ec2_snapshot(ec2) == before
    assert rds.describe_db_instances()["DBInstances"] == []
    assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []


# ---------------------------------------------------------------------------------------------------
# Scheduler

def test_scheduler_schedule(tf):
    iam, sch = tf.client("iam"), tf.client("scheduler")
    role = iam.create_role(RoleName="tf-sched", AssumeRolePolicyDocument=json.dumps(TRUST_SCHED))["Role"]["Arn"]
    pol = iam.create_policy(PolicyName="tf-sched", PolicyDocument=json.dumps(doc("secretsmanager:*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="tf-sched", PolicyArn=pol)
    target = {"Arn": "arn:aws:scheduler:::aws-sdk:secretsmanager:createSecret", "RoleArn": role, "Input": "{}",
              "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 86400}}
    arn = sch.create_schedule(Name="tf-s", GroupName="default", ScheduleExpression="rate(1 hour)",
                              ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "OFF"},
                              State="ENABLED", Target=target)["ScheduleArn"]
    assert arn == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/tf-s"
    group, name = arn.split(":schedule/")[1].split("/")
    got = sch.get_schedule(GroupName=group, Name=name)
    assert got["Arn"] == arn and got["Name"] == "tf-s" and got["GroupName"] == "default"
    assert got["Target"]["RoleArn"] == role and got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    # update in place: UpdateSchedule is a full replace
    upd = sch.update_schedule(Name="tf-s", GroupName="default", ScheduleExpression="rate(2 hours)",
                              ScheduleExpressionTimezone="UTC", FlexibleTimeWindow={"Mode": "FLEXIBLE",
                                                                                     "MaximumWindowInMinutes": 5},
                              State="DISABLED", Description="changed", Target=target)
    assert upd["ScheduleArn"] == arn
    got = sch.get_schedule(GroupName=group, Name=name)
    assert (got["Arn"], got["ScheduleExpression"], got["State"], got["Description"]) == \
        (arn, "rate(2 hours)", "DISABLED", "changed")
    assert got["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5}
    sch.delete_schedule(Name="tf-s", GroupName="default")
    expect_error(sch.get_schedule, "ResourceNotFoundException", 404, Name="tf-s", GroupName="default")
    assert sch.list_schedules()["Schedules"] == []
    iam.detach_role_policy(RoleName="tf-sched", PolicyArn=pol)
    iam.delete_policy(PolicyArn=pol)
    iam.delete_role(RoleName="tf-sched")


# ---------------------------------------------------------------------------------------------------
# Secrets Manager

def test_secretsmanager_secret_and_version(tf):
    sm = tf.client("secretsmanager", newer_model=True)
    arn = sm.create_secret(Name="tf-secret", Description="d", Tags=[{"Key": "env", "Value": "t"}])["ARN"]
    d = poll(lambda: sm.describe_secret(SecretId=arn), what="secret")
    assert d["ARN"] == arn and "DeletedDate" not in d
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::000000000000:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(policy))
    # refresh
    assert "DeletedDate" not in sm.describe_secret(SecretId=arn)
    assert json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"]) == policy
    # update in place
    sm.update_secret(SecretId=arn, Description="changed")
    assert sm.describe_secret(SecretId=arn)["Description"] == "changed"
    # aws_secretsmanager_secret_version
    v1 = sm.put_secret_value(SecretId=arn, SecretString="one")["VersionId"]
    got = sm.get_secret_value(SecretId=arn, VersionId=v1)
    assert got["SecretString"] == "one" and "AWSCURRENT" in got["VersionStages"]
    v2 = sm.put_secret_value(SecretId=arn, SecretString="two", VersionStages=["AWSCURRENT", "blue"])["VersionId"]
    # update of version_stages: ListSecretVersionIds + UpdateSecretVersionStage
    ids = {v["VersionId"]: v["VersionStages"] for v in sm.list_secret_version_ids(SecretId=arn)["Versions"]}
    assert sorted(ids[v2]) == ["AWSCURRENT", "blue"] and ids[v1] == ["AWSPREVIOUS"]
    sm.update_secret_version_stage(SecretId=arn, VersionStage="green", MoveToVersionId=v2)
    ids = {v["VersionId"]: v["VersionStages"] for v in sm.list_secret_version_ids(SecretId=arn)["Versions"]}
    assert sorted(ids[v2]) == ["AWSCURRENT", "blue", "green"]
    # version destroy: remove every stage but AWSCURRENT, poll GetSecretValue
    for stage in ("blue", "green"):
        sm.update_secret_version_stage(SecretId=arn, VersionStage=stage, RemoveFromVersionId=v2)
    got = sm.get_secret_value(SecretId=arn, VersionId=v2)
    assert got["VersionStages"] == ["AWSCURRENT"]
    # secret destroy with the default recovery window: DescribeSecret then shows DeletedDate (= gone)
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=30)
    d = sm.describe_secret(SecretId=arn)
    assert "DeletedDate" in d
    # CreateSecret of the same name now fails with "scheduled for deletion" (the provider retries)
    msg = expect_error(sm.create_secret, "InvalidRequestException", Name="tf-secret")
    assert "scheduled for deletion" in msg
    assert sm.list_secrets()["SecretList"] == []
    # recovery_window_in_days = 0: ForceDeleteWithoutRecovery, then not found
    arn2 = sm.create_secret(Name="tf-secret-2", SecretString="x")["ARN"]
    sm.delete_secret(SecretId=arn2, ForceDeleteWithoutRecovery=True)
    poll(lambda: code_of(sm.describe_secret, SecretId=arn2) == "ResourceNotFoundException", what="secret gone")
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    poll(lambda: code_of(sm.describe_secret, SecretId=arn) == "ResourceNotFoundException", what="secret gone")
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
