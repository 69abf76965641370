"""EC2 networking through Debian's AWS CLI v2 (and boto3 for the guide's VPC): cases C01-C04, C06 and C08 of
cases.md exactly as their repros say, the guide's step 2 "VPC and more", waiters, and durability."""
import re

import pytest

pytestmark = pytest.mark.usefixtures("clean")


def assert_error(r, code, status=400, message_prefix=None):
    assert r.rc != 0, r
    assert r.code == code, r
    assert r.status == status, r
    if message_prefix is not None:
        assert r.message is not None and r.message.startswith(message_prefix), r


def text(server, *args, region="us-east-1"):
    r = server.aws(*args, "--output", "text", region=region)
    assert r.rc == 0, r
    return r.stdout.strip()


# ---------------------------------------------------------------------------------------------------
# C01: DeleteVpc refuses a VPC that still has a subnet

def test_c01_delete_vpc_with_subnet_is_a_dependency_violation(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId")
    subnet = text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24",
                  "--query", "Subnet.SubnetId")
    r = server.aws("ec2", "delete-vpc", "--vpc-id", vpc)                                   # (a)
    assert_error(r, "DependencyViolation", 400, f"The vpc '{vpc}' has dependencies and cannot be deleted.")
    out = server.aws("ec2", "describe-vpcs", "--vpc-ids", vpc).ok()                        # (b)
    assert out["Vpcs"][0]["VpcId"] == vpc
    assert out["Vpcs"][0]["State"] == "available"
    server.aws("ec2", "delete-subnet", "--subnet-id", subnet).ok()
    r = server.aws("ec2", "delete-vpc", "--vpc-id", vpc)                                   # (c)
    assert r.rc == 0, r
    r = server.aws("ec2", "describe-vpcs", "--vpc-ids", vpc)                               # (d)
    assert_error(r, "InvalidVpcID.NotFound", 400, f"The vpc ID '{vpc}' does not exist")
    # Its main route table, default security group and default network ACL went with it.
    for call, key in (("describe-route-tables", "RouteTables"), ("describe-security-groups", "SecurityGroups"),
                      ("describe-network-acls", "NetworkAcls")):
        out = server.aws("ec2", call, "--filters", f"Name=vpc-id,Values={vpc}").ok()
        assert out[key] == [], (call, out)


def test_c01_other_dependencies_and_malformed_ids(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.1.0.0/16", "--query", "Vpc.VpcId")
    igw = text(server, "ec2", "create-internet-gateway", "--query", "InternetGateway.InternetGatewayId")
    server.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc).ok()
    assert_error(server.aws("ec2", "delete-vpc", "--vpc-id", vpc), "DependencyViolation")
    assert_error(server.aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw), "DependencyViolation",
                 400, f"The internetGateway '{igw}' has dependencies and cannot be deleted.")
    server.aws("ec2", "detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc).ok()
    server.aws("ec2", "delete-internet-gateway", "--internet-gateway-id", igw).ok()
    sg = text(server, "ec2", "create-security-group", "--group-name", "app", "--description", "app",
              "--vpc-id", vpc, "--query", "GroupId")
    assert_error(server.aws("ec2", "delete-vpc", "--vpc-id", vpc), "DependencyViolation")
    server.aws("ec2", "delete-security-group", "--group-id", sg).ok()
    server.aws("ec2", "delete-vpc", "--vpc-id", vpc).ok()
    assert_error(server.aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-123"), "InvalidVpcID.NotFound", 400,
                 "The vpc ID 'vpc-123' does not exist")
    assert_error(server.aws("ec2", "describe-vpcs", "--vpc-ids", "nope"), "InvalidVpcID.Malformed")
    assert_error(server.aws("ec2", "describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0"),
                 "InvalidSubnetID.NotFound", 400, "The subnet ID 'subnet-0123456789abcdef0' does not exist")
    assert_error(server.aws("ec2", "describe-security-groups", "--group-ids", "sg-0123456789abcdef0"),
                 "InvalidGroup.NotFound")
    assert_error(server.aws("ec2", "describe-route-tables", "--route-table-ids", "rtb-0123456789abcdef0"),
                 "InvalidRouteTableID.NotFound", 400, "The routeTable ID 'rtb-0123456789abcdef0' does not exist")
    assert_error(server.aws("ec2", "describe-internet-gateways", "--internet-gateway-ids", "igw-0123456789abcdef0"),
                 "InvalidInternetGatewayID.NotFound")
    # Several missing ids are named together.
    assert_error(server.aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-0aaaaaaaaaaaaaaaa", "vpc-0bbbbbbbbbbbbbbbb"),
                 "InvalidVpcID.NotFound", 400, "The vpc IDs 'vpc-0aaaaaaaaaaaaaaaa, vpc-0bbbbbbbbbbbbbbbb' do not exist")
    # DryRun
    assert_error(server.aws("ec2", "create-vpc", "--cidr-block", "10.3.0.0/16", "--dry-run"), "DryRunOperation", 412,
                 "Request would have succeeded, but DryRun flag is set.")


# ---------------------------------------------------------------------------------------------------
# C02: only the main route table is main

def test_c02_route_table_associations(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.2.0.0/16", "--query", "Vpc.VpcId")
    rtb = text(server, "ec2", "create-route-table", "--vpc-id", vpc, "--query", "RouteTable.RouteTableId")
    out = server.aws("ec2", "describe-route-tables", "--route-table-ids", rtb).ok()             # (a)
    assert out["RouteTables"][0]["Associations"] == []
    subnet = text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.2.1.0/24",
                  "--query", "Subnet.SubnetId")
    subnet2 = text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.2.2.0/24",
                   "--query", "Subnet.SubnetId")
    assoc = server.aws("ec2", "associate-route-table", "--route-table-id", rtb, "--subnet-id", subnet).ok()  # (b)
    assert re.match(r"^rtbassoc-", assoc["AssociationId"]), assoc
    out = server.aws("ec2", "describe-route-tables", "--filters",
                     f"Name=association.subnet-id,Values={subnet}").ok()                         # (c)
    assert [t["RouteTableId"] for t in out["RouteTables"]] == [rtb]
    a = [x for x in out["RouteTables"][0]["Associations"] if x.get("SubnetId") == subnet]
    assert len(a) == 1 and a[0]["Main"] is False and a[0]["SubnetId"] == subnet
    out = server.aws("ec2", "describe-route-tables", "--filters",
                     f"Name=association.subnet-id,Values={subnet2}").ok()                        # (d)
    assert out["RouteTables"] == []
    out = server.aws("ec2", "describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}",
                     "Name=association.main,Values=false").ok()                                   # (e)
    ids = [t["RouteTableId"] for t in out["RouteTables"]]
    main = server.aws("ec2", "describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}",
                      "Name=association.main,Values=true").ok()["RouteTables"]
    assert len(main) == 1 and main[0]["RouteTableId"] != rtb
    assert rtb in ids and main[0]["RouteTableId"] not in ids
    assert [x["Main"] for x in main[0]["Associations"]] == [True]
    # The valid filter name is association.subnet-id, not subnet-id.
    r = server.aws("ec2", "describe-route-tables", "--filters", f"Name=subnet-id,Values={subnet}")
    assert_error(r, "InvalidParameterValue", 400, "The filter 'subnet-id' is invalid")
    # A main association cannot be disassociated; an explicit one can, and a table in use cannot be deleted.
    assert_error(server.aws("ec2", "delete-route-table", "--route-table-id", rtb), "DependencyViolation")
    server.aws("ec2", "disassociate-route-table", "--association-id", assoc["AssociationId"]).ok()
    server.aws("ec2", "delete-route-table", "--route-table-id", rtb).ok()


# ---------------------------------------------------------------------------------------------------
# C03: rule ids cover egress rules

def test_c03_security_group_rule_lookup_by_id_covers_egress(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.4.0.0/16", "--query", "Vpc.VpcId")
    sg = text(server, "ec2", "create-security-group", "--group-name", "r5", "--description", "r5", "--vpc-id", vpc,
              "--query", "GroupId")
    rule = text(server, "ec2", "authorize-security-group-egress", "--group-id", sg, "--protocol", "tcp", "--port", "80",
                "--cidr", "0.0.0.0/0", "--query", "SecurityGroupRules[0].SecurityGroupRuleId")
    assert re.match(r"^sgr-", rule), rule
    out = server.aws("ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={sg}").ok()  # (a)
    rules = out["SecurityGroupRules"]
    assert len(rules) == 2 and all(x["IsEgress"] for x in rules), rules
    out = server.aws("ec2", "describe-security-group-rules", "--security-group-rule-ids", rule).ok()       # (b)
    assert len(out["SecurityGroupRules"]) == 1
    got = out["SecurityGroupRules"][0]
    assert got["SecurityGroupRuleId"] == rule
    assert got["IsEgress"] is True
    assert got["IpProtocol"] == "tcp"
    assert got["FromPort"] == 80 and got["ToPort"] == 80
    assert got["CidrIpv4"] == "0.0.0.0/0"
    assert got["GroupId"] == sg
    # The same rule again is a duplicate.
    r = server.aws("ec2", "authorize-security-group-egress", "--group-id", sg, "--protocol", "tcp", "--port", "80",
                   "--cidr", "0.0.0.0/0")
    assert_error(r, "InvalidPermission.Duplicate", 400, 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, '
                 'to port: 80, ALLOW" already exists')


def test_rules_referencing_groups_block_deletion(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.5.0.0/16", "--query", "Vpc.VpcId")
    db = text(server, "ec2", "create-security-group", "--group-name", "db", "--description", "db", "--vpc-id", vpc,
              "--query", "GroupId")
    app = text(server, "ec2", "create-security-group", "--group-name", "app", "--description", "app", "--vpc-id", vpc,
               "--query", "GroupId")
    out = server.aws("ec2", "authorize-security-group-ingress", "--group-id", db, "--ip-permissions",
                     f"IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{{GroupId={app}}}]").ok()
    assert out["Return"] is True
    assert out["SecurityGroupRules"][0]["ReferencedGroupInfo"]["GroupId"] == app
    sgs = server.aws("ec2", "describe-security-groups", "--group-ids", db).ok()["SecurityGroups"]
    perm = sgs[0]["IpPermissions"]
    assert perm[0]["FromPort"] == 5432 and perm[0]["UserIdGroupPairs"][0]["GroupId"] == app
    out = server.aws("ec2", "describe-security-groups", "--filters", f"Name=ip-permission.group-id,Values={app}").ok()
    assert [g["GroupId"] for g in out["SecurityGroups"]] == [db]
    assert_error(server.aws("ec2", "delete-security-group", "--group-id", app), "DependencyViolation", 400,
                 f"resource {app} has a dependent object")
    server.aws("ec2", "revoke-security-group-ingress", "--group-id", db, "--ip-permissions",
               f"IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{{GroupId={app}}}]").ok()
    server.aws("ec2", "delete-security-group", "--group-id", app).ok()
    assert_error(server.aws("ec2", "create-security-group", "--group-name", "db", "--description", "again",
                            "--vpc-id", vpc), "InvalidGroup.Duplicate", 400,
                 f"The security group 'db' already exists for VPC '{vpc}'")


# ---------------------------------------------------------------------------------------------------
# C04: new groups start with the allow-all egress rule; the default group is self-referencing and permanent

def test_c04_default_egress_rule_and_default_group(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.6.0.0/16", "--query", "Vpc.VpcId")
    sg = text(server, "ec2", "create-security-group", "--group-name", "tf-like", "--description", "x", "--vpc-id", vpc,
              "--query", "GroupId")
    out = server.aws("ec2", "describe-security-groups", "--group-ids", sg, "--query",
                     "SecurityGroups[0].[IpPermissions,IpPermissionsEgress]").ok()                    # (a)
    ingress, egress = out
    assert ingress == []
    assert len(egress) == 1
    assert egress[0]["IpProtocol"] == "-1"
    assert egress[0]["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"
    out = server.aws("ec2", "revoke-security-group-egress", "--group-id", sg, "--ip-permissions",
                     "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]").ok()                               # (b)
    assert out["Return"] is True
    # Terraform's second revoke (::/0) must fail with InvalidPermission.NotFound.
    r = server.aws("ec2", "revoke-security-group-egress", "--group-id", sg, "--ip-permissions",
                   "IpProtocol=-1,Ipv6Ranges=[{CidrIpv6=::/0}]")
    assert_error(r, "InvalidPermission.NotFound")
    out = server.aws("ec2", "describe-security-groups", "--group-ids", sg, "--query",
                     "SecurityGroups[0].IpPermissionsEgress").ok()                                   # (c)
    assert out == []
    default = text(server, "ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc}",
                   "Name=group-name,Values=default", "--query", "SecurityGroups[0].GroupId")
    out = server.aws("ec2", "describe-security-groups", "--group-ids", default).ok()                 # (d)
    groups = out["SecurityGroups"]
    assert len(groups) == 1 and groups[0]["GroupName"] == "default" and groups[0]["VpcId"] == vpc
    assert groups[0]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"] == default
    eg = groups[0]["IpPermissionsEgress"]
    assert len(eg) == 1 and eg[0]["IpProtocol"] == "-1" and eg[0]["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"
    same_vpc_defaults = server.aws("ec2", "describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc}",
                                   "Name=group-name,Values=default").ok()["SecurityGroups"]
    assert len(same_vpc_defaults) == 1
    r = server.aws("ec2", "delete-security-group", "--group-id", default)                            # (e)
    assert_error(r, "CannotDelete", 400)


# ---------------------------------------------------------------------------------------------------
# C06: a deleted NAT gateway goes deleting → deleted and stays visible

def test_c06_nat_gateway_deleted_state_stays_visible(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.7.0.0/16", "--query", "Vpc.VpcId")
    subnet = text(server, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.7.1.0/24",
                  "--query", "Subnet.SubnetId")
    igw = text(server, "ec2", "create-internet-gateway", "--query", "InternetGateway.InternetGatewayId")
    server.aws("ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc).ok()
    alloc = text(server, "ec2", "allocate-address", "--domain", "vpc", "--query", "AllocationId")
    assert re.match(r"^eipalloc-", alloc), alloc
    nat = text(server, "ec2", "create-nat-gateway", "--subnet-id", subnet, "--allocation-id", alloc,
               "--query", "NatGateway.NatGatewayId")
    assert re.match(r"^nat-", nat), nat
    r = server.aws("ec2", "wait", "nat-gateway-available", "--nat-gateway-ids", nat)
    assert r.rc == 0, r
    gw = server.aws("ec2", "describe-nat-gateways", "--nat-gateway-ids", nat).ok()["NatGateways"][0]
    assert gw["State"] == "available" and gw["VpcId"] == vpc and gw["SubnetId"] == subnet
    assert gw["NatGatewayAddresses"][0]["AllocationId"] == alloc
    # The gateway holds an address of its subnet and the Elastic IP is associated with it.
    assert server.aws("ec2", "describe-subnets", "--subnet-ids", subnet).ok()["Subnets"][0][
        "AvailableIpAddressCount"] == 250
    addr = server.aws("ec2", "describe-addresses", "--allocation-ids", alloc).ok()["Addresses"][0]
    assert addr["NetworkInterfaceId"] == gw["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    assert_error(server.aws("ec2", "delete-subnet", "--subnet-id", subnet), "DependencyViolation")
    out = server.aws("ec2", "delete-nat-gateway", "--nat-gateway-id", nat).ok()                     # (a)
    assert out["NatGatewayId"] == nat
    state = text(server, "ec2", "describe-nat-gateways", "--nat-gateway-ids", nat, "--query",
                 "NatGateways[0].State")                                                            # (b)
    assert state in ("deleting", "deleted")
    out = server.aws("ec2", "describe-nat-gateways", "--filter", "Name=state,Values=available",
                     f"Name=vpc-id,Values={vpc}").ok()                                              # (c)
    assert out["NatGateways"] == []
    server.advance(5)
    state = text(server, "ec2", "describe-nat-gateways", "--nat-gateway-ids", nat, "--query", "NatGateways[0].State")
    assert state == "deleted"
    r = server.aws("ec2", "wait", "nat-gateway-deleted", "--nat-gateway-ids", nat)
    assert r.rc == 0 or "Invalid choice" in r.err, r   # the waiter exists in newer CLIs only
    # The address is free again, the subnet's address comes back; an hour later the gateway is gone.
    addr = server.aws("ec2", "describe-addresses", "--allocation-ids", alloc).ok()["Addresses"][0]
    assert "AssociationId" not in addr and "NetworkInterfaceId" not in addr
    assert server.aws("ec2", "describe-subnets", "--subnet-ids", subnet).ok()["Subnets"][0][
        "AvailableIpAddressCount"] == 251
    server.advance(3700)
    assert_error(server.aws("ec2", "describe-nat-gateways", "--nat-gateway-ids", nat), "NatGatewayNotFound", 400,
                 f"NAT gateway {nat} was not found")
    server.aws("ec2", "release-address", "--allocation-id", alloc).ok()


# ---------------------------------------------------------------------------------------------------
# C08: a gateway endpoint writes a prefix-list route

def test_c08_gateway_endpoint_prefix_list_route(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.9.0.0/16", "--query", "Vpc.VpcId")
    rtb = text(server, "ec2", "create-route-table", "--vpc-id", vpc, "--query", "RouteTable.RouteTableId")
    vpce = text(server, "ec2", "create-vpc-endpoint", "--vpc-id", vpc, "--vpc-endpoint-type", "Gateway",
                "--service-name", "com.amazonaws.us-east-1.s3", "--route-table-ids", rtb,
                "--query", "VpcEndpoint.VpcEndpointId")
    assert re.match(r"^vpce-", vpce), vpce
    out = server.aws("ec2", "describe-vpc-endpoints", "--vpc-endpoint-ids", vpce, "--query",
                     "VpcEndpoints[0].[State,RouteTableIds]").ok()                                  # (a)
    assert out == ["available", [rtb]]
    routes = server.aws("ec2", "describe-route-tables", "--route-table-ids", rtb, "--query",
                        "RouteTables[0].Routes").ok()                                              # (b)
    local = [x for x in routes if x.get("GatewayId") == "local"]
    others = [x for x in routes if x.get("GatewayId") != "local"]
    assert len(local) == 1 and local[0]["DestinationCidrBlock"] == "10.9.0.0/16"
    assert len(others) == 1
    assert others[0]["GatewayId"] == vpce
    assert re.match(r"^pl-", others[0]["DestinationPrefixListId"])
    assert "DestinationCidrBlock" not in others[0]
    # The prefix list is the service's managed list.
    pls = server.aws("ec2", "describe-prefix-lists", "--prefix-list-ids", others[0]["DestinationPrefixListId"]).ok()
    assert pls["PrefixLists"][0]["PrefixListName"] == "com.amazonaws.us-east-1.s3"
    out = server.aws("ec2", "delete-vpc-endpoints", "--vpc-endpoint-ids", vpce).ok()                 # (c)
    assert out["Unsuccessful"] == []
    routes = server.aws("ec2", "describe-route-tables", "--route-table-ids", rtb, "--query",
                        "RouteTables[0].Routes").ok()                                              # (d)
    assert len(routes) == 1 and routes[0]["GatewayId"] == "local"
    # Route table ids on an Interface endpoint are refused.
    r = server.aws("ec2", "create-vpc-endpoint", "--vpc-id", vpc, "--vpc-endpoint-type", "Interface",
                   "--service-name", "com.amazonaws.us-east-1.s3", "--route-table-ids", rtb)
    assert r.rc != 0, r
    assert r.message == "Route table IDs are only supported for Gateway type VPC Endpoint.", r


# ---------------------------------------------------------------------------------------------------
# Defaults, zones, CIDR rules

def test_default_vpc_and_zones(server):
    out = server.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true", region="us-west-2").ok()
    assert len(out["Vpcs"]) == 1
    vpc = out["Vpcs"][0]
    assert vpc["CidrBlock"] == "172.31.0.0/16" and vpc["IsDefault"] is True
    subnets = server.aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc['VpcId']}",
                         region="us-west-2").ok()["Subnets"]
    zones = server.aws("ec2", "describe-availability-zones", region="us-west-2").ok()["AvailabilityZones"]
    assert [z["ZoneName"] for z in zones] == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    assert all(re.match(r"^usw2-az\d$", z["ZoneId"]) for z in zones)
    assert sorted(s["AvailabilityZone"] for s in subnets) == [z["ZoneName"] for z in zones]
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] and s["AvailableIpAddressCount"] == 4091
               for s in subnets)
    igws = server.aws("ec2", "describe-internet-gateways", "--filters",
                      f"Name=attachment.vpc-id,Values={vpc['VpcId']}", region="us-west-2").ok()["InternetGateways"]
    assert len(igws) == 1
    attrs = server.aws("ec2", "describe-account-attributes", "--attribute-names", "default-vpc",
                       region="us-west-2").ok()["AccountAttributes"]
    assert attrs[0]["AttributeValues"][0]["AttributeValue"] == vpc["VpcId"]
    regions = server.aws("ec2", "describe-regions").ok()["Regions"]
    assert "us-west-2" in [x["RegionName"] for x in regions]
    # Each region is separate.
    east = server.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true").ok()["Vpcs"]
    assert east[0]["VpcId"] != vpc["VpcId"]
    assert_error(server.aws("ec2", "describe-vpcs", "--vpc-ids", vpc["VpcId"]), "InvalidVpcID.NotFound")


def test_cidr_rules(server):
    assert_error(server.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/8"), "InvalidVpc.Range", 400,
                 "The CIDR '10.0.0.0/8' is invalid.")
    assert_error(server.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/29"), "InvalidVpc.Range")
    assert_error(server.aws("ec2", "create-vpc", "--cidr-block", "10.0.0.300/16"), "InvalidParameterValue")
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.10.0.0/16", "--query", "Vpc.VpcId")
    server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.10.0.0/24").ok()
    assert_error(server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.10.0.128/25"),
                 "InvalidSubnet.Conflict", 400, "The CIDR '10.10.0.128/25' conflicts with another subnet")
    assert_error(server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.11.0.0/24"),
                 "InvalidSubnet.Range", 400, "The CIDR '10.11.0.0/24' is invalid.")
    assert_error(server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.10.1.0/29"),
                 "InvalidSubnet.Range")
    # A secondary CIDR makes room for more subnets.
    out = server.aws("ec2", "associate-vpc-cidr-block", "--vpc-id", vpc, "--cidr-block", "10.11.0.0/16").ok()
    assert out["CidrBlockAssociation"]["CidrBlock"] == "10.11.0.0/16"
    s = server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.11.0.0/28",
                   "--availability-zone-id", "use1-az1").ok()["Subnet"]
    assert s["AvailableIpAddressCount"] == 11 and s["AvailabilityZone"] == "us-east-1b"
    assert_error(server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.11.1.0/24",
                            "--availability-zone", "us-east-1z"), "InvalidParameterValue")
    routes = server.aws("ec2", "describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}").ok()[
        "RouteTables"][0]["Routes"]
    assert [x.get("DestinationCidrBlock") for x in routes if x.get("GatewayId") == "local"] == [
        "10.10.0.0/16", "10.11.0.0/16"]
    # IPv6 on request.
    v6 = server.aws("ec2", "create-vpc", "--cidr-block", "10.12.0.0/16", "--amazon-provided-ipv6-cidr-block").ok()["Vpc"]
    block = server.aws("ec2", "describe-vpcs", "--vpc-ids", v6["VpcId"]).ok()["Vpcs"][0][
        "Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    assert block.endswith("::/56")


# ---------------------------------------------------------------------------------------------------
# Walkthrough step 2: the console's "VPC and more" with the guide's choices, then read back

PREFIX = "project"


def name_tag(name):
    return f"Tags=[{{Key=Name,Value={name}}}]"


def build_vpc_and_more(server, region="us-west-2"):
    def ok(*args):
        return server.aws("ec2", *args, region=region).ok()

    vpc = ok("create-vpc", "--cidr-block", "10.0.0.0/20", "--tag-specifications",
             f"ResourceType=vpc,{name_tag(PREFIX + '-vpc')}")["Vpc"]["VpcId"]
    assert server.aws("ec2", "wait", "vpc-available", "--vpc-ids", vpc, region=region).rc == 0
    ok("modify-vpc-attribute", "--vpc-id", vpc, "--enable-dns-hostnames", '{"Value":true}')
    azs = [z["ZoneName"] for z in ok("describe-availability-zones")["AvailabilityZones"]][:2]
    plan = [("public1", "10.0.0.0/24", azs[0]), ("public2", "10.0.1.0/24", azs[1]),
            ("private1", "10.0.8.0/24", azs[0]), ("private2", "10.0.9.0/24", azs[1])]
    subnets = {}
    for label, cidr, az in plan:
        subnets[label] = ok("create-subnet", "--vpc-id", vpc, "--cidr-block", cidr, "--availability-zone", az,
                            "--tag-specifications",
                            f"ResourceType=subnet,{name_tag(f'{PREFIX}-subnet-{label}-{az}')}")["Subnet"]["SubnetId"]
    assert server.aws("ec2", "wait", "subnet-available", "--subnet-ids", *subnets.values(), region=region).rc == 0
    igw = ok("create-internet-gateway", "--tag-specifications",
             f"ResourceType=internet-gateway,{name_tag(PREFIX + '-igw')}")["InternetGateway"]["InternetGatewayId"]
    ok("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    public_rtb = ok("create-route-table", "--vpc-id", vpc, "--tag-specifications",
                    f"ResourceType=route-table,{name_tag(PREFIX + '-rtb-public')}")["RouteTable"]["RouteTableId"]
    ok("create-route", "--route-table-id", public_rtb, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw)
    for label in ("public1", "public2"):
        ok("associate-route-table", "--route-table-id", public_rtb, "--subnet-id", subnets[label])
    private_rtbs = []
    for label, az in (("private1", azs[0]), ("private2", azs[1])):
        rtb = ok("create-route-table", "--vpc-id", vpc, "--tag-specifications",
                 f"ResourceType=route-table,{name_tag(f'{PREFIX}-rtb-{label}-{az}')}")["RouteTable"]["RouteTableId"]
        ok("associate-route-table", "--route-table-id", rtb, "--subnet-id", subnets[label])
        private_rtbs.append(rtb)
    vpce = ok("create-vpc-endpoint", "--vpc-id", vpc, "--vpc-endpoint-type", "Gateway", "--service-name",
              f"com.amazonaws.{region}.s3", "--route-table-ids", *private_rtbs, "--tag-specifications",
              f"ResourceType=vpc-endpoint,{name_tag(PREFIX + '-vpce-s3')}")["VpcEndpoint"]["VpcEndpointId"]
    return vpc, subnets, igw, public_rtb, private_rtbs, vpce


def test_walkthrough_step2_vpc_and_more_cli(server):
    region = "us-west-2"
    vpc, subnets, igw, public_rtb, private_rtbs, vpce = build_vpc_and_more(server, region)

    def ok(*args):
        return server.aws("ec2", *args, region=region).ok()

    # Read back through the eight Describe* calls of the guide's terraform-user policy.
    v = ok("describe-vpcs", "--filters", f"Name=tag:Name,Values={PREFIX}-vpc")["Vpcs"]
    assert [x["VpcId"] for x in v] == [vpc] and v[0]["CidrBlock"] == "10.0.0.0/20"
    assert ok("describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsSupport")["EnableDnsSupport"]["Value"]
    assert ok("describe-vpc-attribute", "--vpc-id", vpc, "--attribute", "enableDnsHostnames")[
        "EnableDnsHostnames"]["Value"]
    subs = ok("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}")["Subnets"]
    assert len(subs) == 4 and all(s["AvailableIpAddressCount"] == 251 for s in subs)
    assert len({s["AvailabilityZone"] for s in subs}) == 2
    pub = ok("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}", f"Name=tag:Name,Values={PREFIX}-subnet-public*")
    assert sorted(s["SubnetId"] for s in pub["Subnets"]) == sorted([subnets["public1"], subnets["public2"]])
    gws = ok("describe-internet-gateways", "--filters", f"Name=attachment.vpc-id,Values={vpc}")["InternetGateways"]
    assert [g["InternetGatewayId"] for g in gws] == [igw] and gws[0]["Attachments"][0]["State"] == "available"
    tables = {t["RouteTableId"]: t for t in ok("describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}")[
        "RouteTables"]}
    assert len(tables) == 4  # main + public + 2 private
    public_routes = tables[public_rtb]["Routes"]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "Origin": "CreateRoute",
            "State": "active"} in public_routes
    assert sorted(a["SubnetId"] for a in tables[public_rtb]["Associations"]) == sorted(
        [subnets["public1"], subnets["public2"]])
    for rtb in private_rtbs:
        assert [r["GatewayId"] for r in tables[rtb]["Routes"]] == ["local", vpce]
    main = [t for t in tables.values() if any(a.get("Main") for a in t["Associations"])]
    assert len(main) == 1
    assert ok("describe-security-groups", "--filters", f"Name=vpc-id,Values={vpc}",
              "Name=group-name,Values=default")["SecurityGroups"]
    assert ok("describe-network-acls", "--filters", f"Name=vpc-id,Values={vpc}", "Name=default,Values=true")[
        "NetworkAcls"][0]["Associations"].__len__() == 4
    assert ok("describe-nat-gateways", "--filter", f"Name=vpc-id,Values={vpc}")["NatGateways"] == []
    eps = ok("describe-vpc-endpoints", "--filters", f"Name=vpc-id,Values={vpc}")["VpcEndpoints"]
    assert [e["VpcEndpointId"] for e in eps] == [vpce] and sorted(eps[0]["RouteTableIds"]) == sorted(private_rtbs)
    tags = ok("describe-tags", "--filters", f"Name=resource-id,Values={vpc}")["Tags"]
    assert tags == [{"Key": "Name", "ResourceId": vpc, "ResourceType": "vpc", "Value": f"{PREFIX}-vpc"}]

    # Deleting in the wrong order fails as AWS fails; the right order leaves the region as it was.
    def fails(code, *args):
        assert_error(server.aws("ec2", *args, region=region), code)

    fails("DependencyViolation", "delete-vpc", "--vpc-id", vpc)
    fails("DependencyViolation", "delete-internet-gateway", "--internet-gateway-id", igw)
    fails("DependencyViolation", "delete-route-table", "--route-table-id", public_rtb)
    ok("delete-vpc-endpoints", "--vpc-endpoint-ids", vpce)
    for t in list(tables.values()):
        for a in t["Associations"]:
            if not a["Main"]:
                ok("disassociate-route-table", "--association-id", a["RouteTableAssociationId"])
    for rtb in [public_rtb] + private_rtbs:
        ok("delete-route-table", "--route-table-id", rtb)
    for s in subnets.values():
        ok("delete-subnet", "--subnet-id", s)
    ok("detach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    ok("delete-internet-gateway", "--internet-gateway-id", igw)
    ok("delete-vpc", "--vpc-id", vpc)
    assert [x["IsDefault"] for x in ok("describe-vpcs")["Vpcs"]] == [True]
    assert ok("describe-route-tables", "--filters", f"Name=vpc-id,Values={vpc}")["RouteTables"] == []


def test_walkthrough_step2_read_back_with_boto3(server):
    vpc, subnets, igw, public_rtb, private_rtbs, vpce = build_vpc_and_more(server, "us-west-2")
    ec2 = server.client("ec2", region="us-west-2")
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "Name", "Value": f"{PREFIX}-vpc"}]
    got = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert sorted(s["SubnetId"] for s in got) == sorted(subnets.values())
    pages = list(ec2.get_paginator("describe_subnets").paginate(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}], PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Subnets"]) for p in pages) == 4
    rt = ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                            {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(rt) == 1
    sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                               {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]
    assert sg["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    ep = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]
    assert ep["State"] == "available" and ep["VpcEndpointType"] == "Gateway"


def test_pagination_with_max_results(server):
    vpc = text(server, "ec2", "create-vpc", "--cidr-block", "10.20.0.0/16", "--query", "Vpc.VpcId")
    for i in range(12):
        server.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", f"10.20.{i}.0/24").ok()
    ec2 = server.client("ec2")
    first = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}], MaxResults=5)
    assert len(first["Subnets"]) == 5 and first["NextToken"]
    seen = [s["SubnetId"] for s in first["Subnets"]]
    token = first["NextToken"]
    while token:
        page = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}], MaxResults=5, NextToken=token)
        seen += [s["SubnetId"] for s in page["Subnets"]]
        token = page.get("NextToken")
    assert len(seen) == 12 and len(set(seen)) == 12


# ---------------------------------------------------------------------------------------------------
# Durability

def test_restart_keeps_networking(server_factory, state_dir):
    s = server_factory(state_dir=state_dir)
    vpc = s.aws("ec2", "create-vpc", "--cidr-block", "10.30.0.0/16").ok()["Vpc"]["VpcId"]
    subnet = s.aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.30.1.0/24").ok()["Subnet"]["SubnetId"]
    sg = s.aws("ec2", "create-security-group", "--group-name", "web", "--description", "web",
               "--vpc-id", vpc).ok()["GroupId"]
    s.aws("ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22",
          "--cidr", "203.0.113.7/32").ok()
    s.aws("ec2", "create-tags", "--resources", subnet, "--tags", "Key=tier,Value=web").ok()
    default_vpc = s.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true").ok()["Vpcs"][0]["VpcId"]
    s.kill9()
    s2 = server_factory(state_dir=state_dir)
    assert s2.aws("ec2", "describe-vpcs", "--vpc-ids", vpc).ok()["Vpcs"][0]["CidrBlock"] == "10.30.0.0/16"
    got = s2.aws("ec2", "describe-subnets", "--filters", "Name=tag:tier,Values=web").ok()["Subnets"]
    assert [x["SubnetId"] for x in got] == [subnet]
    perms = s2.aws("ec2", "describe-security-groups", "--group-ids", sg).ok()["SecurityGroups"][0]["IpPermissions"]
    assert perms[0]["IpRanges"] == [{"CidrIp": "203.0.113.7/32"}]
    defaults = s2.aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true").ok()["Vpcs"]
    assert [v["VpcId"] for v in defaults] == [default_vpc]


# ---------------------------------------------------------------------------------------------------
# Terraform's sequences (terraform-calls.md), replayed with boto3

def test_terraform_vpc_subnet_security_group_sequences(server):
    from botocore.exceptions import ClientError
    ec2 = server.client("ec2", region="us-west-2")

    def code_of(fn, **kw):
        with pytest.raises(ClientError) as e:
            fn(**kw)
        return e.value.response["Error"]["Code"]

    # aws_vpc create + read
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/20", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "tf"}]}])["Vpc"]["VpcId"]
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["State"] == "available"
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    for attr, key, want in (("enableDnsSupport", "EnableDnsSupport", True),
                            ("enableDnsHostnames", "EnableDnsHostnames", True),
                            ("enableNetworkAddressUsageMetrics", "EnableNetworkAddressUsageMetrics", False)):
        assert ec2.describe_vpc_attribute(VpcId=vpc, Attribute=attr)[key]["Value"] is want
    assert len(ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]},
                                                  {"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]) == 1
    assert len(ec2.describe_route_tables(Filters=[{"Name": "association.main", "Values": ["true"]},
                                                  {"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]) == 1
    assert len(ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                     {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]) == 1
    # aws_subnet create, attributes, read
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-west-2a")["Subnet"]["SubnetId"]
    assert ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["State"] == "available"
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=subnet, PrivateDnsHostnameTypeOnLaunch="resource-name")
    got = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]
    assert got["MapPublicIpOnLaunch"] is True
    assert got["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] == "resource-name"
    # aws_security_group create: poll, revoke the default egress (IPv4 ok, IPv6 NotFound), then authorize
    sg = ec2.create_security_group(GroupName="tf-sg", Description="Managed by Terraform", VpcId=vpc)["GroupId"]
    assert ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["GroupName"] == "tf-sg"
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert code_of(ec2.revoke_security_group_egress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]) == \
        "InvalidPermission.NotFound"
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "198.51.100.4/32"}]}])
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "FromPort": 0, "ToPort": 0, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    # destroy: security group
    assert ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [sg]}])["NetworkInterfaces"] == []
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert len(rules) == 2
    for rule in rules:
        revoke = ec2.revoke_security_group_egress if rule["IsEgress"] else ec2.revoke_security_group_ingress
        revoke(GroupId=sg, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    ec2.delete_security_group(GroupId=sg)
    assert code_of(ec2.describe_security_groups, GroupIds=[sg]) == "InvalidGroup.NotFound"
    # destroy: subnet, then VPC (retried on DependencyViolation until it goes, then NotFound)
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"] == []
    assert code_of(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
    assert code_of(ec2.describe_vpcs, VpcIds=[vpc]) == "InvalidVpcID.NotFound"
