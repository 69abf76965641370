"""Input generation from the model: valid inputs (required members only, and with the optional members) and
invalid inputs (one constraint broken at a time).

Values come, in order of preference, from
  1. the pool of values that earlier successful responses in the same run returned (ids, names, ARNs), so that
     a Get/Describe/Delete after a Create names a resource that exists;
  2. hints for well-known members (ids, ARNs, CIDRs, policy documents, RDS engines, schedule expressions …);
  3. the model's `pattern` (regexgen) within the length limits;
  4. plain filler within the length limits.
Every candidate is checked against the shape's constraints (length, pattern, enum, range) before use, so a valid
input is valid by the model.
"""
import base64
import datetime
import json
import re

import regexgen

ACCOUNT = "000000000000"
REGION = "us-east-1"
MAX_DEPTH = 6

TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "scheduler.amazonaws.com"]},
     "Action": "sts:AssumeRole"}]})
PERMISSIONS_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "ec2:Describe*"], "Resource": "*"}]})
RESOURCE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})

# An OpenSSH ed25519 public key line (a made-up 32-byte key), for ImportKeyPair.
OPENSSH_ED25519 = b"ssh-ed25519 " + base64.b64encode(
    b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(1, 33))) + b" cbx@conformance"

# EC2 resource id prefixes, by the id's shape or member name.
EC2_PREFIX = {
    "VpcId": "vpc", "SubnetId": "subnet", "SecurityGroupId": "sg", "GroupId": "sg", "InstanceId": "i",
    "ImageId": "ami", "RouteTableId": "rtb", "InternetGatewayId": "igw", "NatGatewayId": "nat",
    "NetworkAclId": "acl", "NetworkInterfaceId": "eni", "AllocationId": "eipalloc",
    "VpcPeeringConnectionId": "pcx", "VpcEndpointId": "vpce", "DhcpOptionsId": "dopt", "PrefixListId": "pl",
    "EgressOnlyInternetGatewayId": "eigw", "VolumeId": "vol", "SnapshotId": "snap", "KeyPairId": "key",
    "TransitGatewayId": "tgw", "LaunchTemplateId": "lt", "CarrierGatewayId": "cagw", "VpnGatewayId": "vgw",
    "CustomerGatewayId": "cgw", "VpnConnectionId": "vpn", "SecurityGroupRuleId": "sgr", "ReservationId": "r",
    "SpotInstanceRequestId": "sir", "PlacementGroupId": "pg", "CapacityReservationId": "cr",
    "DedicatedHostId": "h", "HostId": "h", "FleetId": "fleet", "FlowLogId": "fl", "VpcFlowLogId": "fl",
    "TransitGatewayAttachmentId": "tgw-attach", "TransitGatewayRouteTableId": "tgw-rtb",
    "ClientVpnEndpointId": "cvpn-endpoint", "IpamId": "ipam", "IpamPoolId": "ipam-pool", "IpamScopeId": "ipam-scope",
    "RouteTableAssociationId": "rtbassoc", "NetworkAclAssociationId": "aclassoc", "SubnetCidrAssociationId":
    "subnet-cidr-assoc", "VpcCidrAssociationId": "vpc-cidr-assoc", "ElasticIpAssociationId": "eipassoc",
    "NetworkInterfaceAttachmentId": "eni-attach", "LocalGatewayId": "lgw", "VpcEndpointServiceId": "vpce-svc",
    "InstanceEventWindowId": "iew", "TrafficMirrorFilterId": "tmf", "TrafficMirrorSessionId": "tms",
    "TrafficMirrorTargetId": "tmt", "ExportTaskId": "export-i", "ImportTaskId": "import-ami",
    "ConversionTaskId": "import-i", "SpotFleetRequestId": "sfr", "NetworkInsightsPathId": "nip",
    "NetworkInsightsAnalysisId": "nia", "InstanceConnectEndpointId": "eice", "VerifiedAccessInstanceId": "vai",
    "KernelId": "aki", "RamdiskId": "ari", "FpgaImageId": "afi", "CoipPoolId": "lgw-coip-pool",
    "ManagedPrefixListId": "pl", "TransitGatewayMulticastDomainId": "tgw-mcast-domain",
}

# Members that hold a pagination token or switch the request into a mode of its own: never generated in the
# valid inputs (their valid values come from the server).
SKIP_MEMBERS = {"DryRun", "NextToken", "Marker", "PaginationToken", "nextToken"}

# Generic names that say nothing about which resource they name: never filled from the pool by name alone.
GENERIC_POOL_KEYS = {"Name", "Value", "Values", "Key", "Description", "Status", "State", "Type", "Arn", "ARN", "Id",
                     "Message", "Code", "Path", "Engine", "EngineVersion", "Region", "RegionName", "CreateDate",
                     "Enabled", "Tags", "Format"}

# Per service: pool keys to try for an input member (in order).
POOL_ALIASES = {
    "secretsmanager": {"SecretId": ["ARN", "Name"]},
    "scheduler": {"ResourceArn": ["ScheduleGroupArn"]},
    "rds": {"ResourceName": ["DBInstanceArn", "DBSubnetGroupArn", "DBParameterGroupArn"],
            "VpcSecurityGroupId": ["GroupId"], "SubnetIdentifier": ["SubnetId"]},
    "iam": {"PolicyArn": ["PolicyArn"], "RoleName": ["RoleName"], "UserName": ["UserName"]},
    "ec2": {"GroupId": ["GroupId", "SecurityGroupId"], "ResourceId": ["VpcId"], "Resources": ["VpcId"]},
}

# Optional members that a typical call sets (the "typical" valid variant adds them to the required ones), so
# that creates succeed and later calls find what they name: AWS requires one of several alternatives for these.
TYPICAL = {
    "ec2": {"CidrBlock", "SubnetId", "GroupId", "AllocationId", "VpcId", "Value", "Values", "InternetGatewayId",
            "RouteTableId", "DestinationCidrBlock", "GatewayId", "NetworkAclId", "Description", "Domain",
            "VpcPeeringConnectionId", "PeerVpcId", "NatGatewayId", "NetworkInterfaceId", "PrefixListId",
            "DhcpOptionsId", "Resources", "AssociationId", "SecurityGroupRuleIds", "IpPermissions",
            "IpPermission.IpProtocol", "IpPermission.FromPort", "IpPermission.ToPort", "IpPermission.IpRanges",
            "IpRange.CidrIp", "Egress", "RuleAction", "Protocol", "Entries", "Cidr", "VpcEndpointType",
            "ServiceName", "RuleNumber", "ImageId", "InstanceType", "KeyName"},
    "iam": {"UserName", "Value", "Status", "PolicyArn"},
    "sts": {"Value"},
    "secretsmanager": {"SecretString", "Value", "Key", "VersionStage", "MoveToVersionId"},
    "rds": {"Engine", "DBInstanceClass", "MasterUsername", "MasterUserPassword", "AllocatedStorage", "Value",
            "DBSubnetGroupName", "Description", "ParameterName", "ParameterValue",
            "ApplyMethod", "DBSnapshotIdentifier"},
    "scheduler": {"Value", "Mode", "GroupName", "Target.Input"},
}

# Creates in dependency order, then the rest alphabetically.
CREATE_ORDER = {
    "ec2": ["CreateVpc", "CreateSubnet", "CreateInternetGateway", "CreateSecurityGroup", "CreateRouteTable",
            "CreateNetworkAcl", "CreateDhcpOptions", "CreateEgressOnlyInternetGateway", "AllocateAddress",
            "CreateNatGateway", "CreateKeyPair", "CreateLaunchTemplate", "CreateNetworkInterface",
            "CreateVpcEndpoint", "CreateManagedPrefixList", "CreateVpcPeeringConnection"],
    "iam": ["CreateUser", "CreateGroup", "CreateRole", "CreatePolicy", "CreateInstanceProfile", "CreateAccessKey",
            "CreateLoginProfile", "CreateVirtualMFADevice"],
    "rds": ["CreateDBSubnetGroup", "CreateDBParameterGroup", "CreateDBClusterParameterGroup", "CreateOptionGroup",
            "CreateDBCluster", "CreateDBInstance"],
    "scheduler": ["CreateScheduleGroup", "CreateSchedule"],
    "secretsmanager": ["CreateSecret"],
}

# Lists that need more than one item to be useful (RDS subnet groups must cover two zones).
LIST_LENGTH = {"SubnetIds": 2}

CREATE_VERBS = ("Create", "Allocate", "Import", "Run", "Request", "Purchase", "Copy", "Generate", "Provision")
LINK_VERBS = ("Add", "Attach", "Associate", "Assign", "Put", "Set", "Tag", "Register", "Enable", "Accept", "Upload",
              "Authorize", "Start", "Replicate", "Rotate", "Validate", "Simulate", "Assume", "Decode")
READ_VERBS = ("Describe", "Get", "List", "Search", "Export", "Batch")
DESTROY_VERBS = ("Delete", "Remove", "Release", "Deregister", "Detach", "Disassociate", "Unassign", "Revoke",
                 "Reject", "Disable", "Cancel", "Terminate", "Untag", "Stop", "Reset", "Deprovision", "Unmonitor",
                 "Unlock", "Deactivate", "Failover", "Reboot", "Restore", "Promote", "Switchover", "Withdraw")


def verb_of(op_name):
    m = re.match(r"[A-Z][a-z]+", op_name)
    return m.group(0) if m else op_name


def phase_of(service, op_model):
    """0: reads that need no input; 1: creates; 2: links; 3: reads with inputs; 4: the rest; 5: destroys."""
    verb = verb_of(op_model.name)
    required = op_model.input_shape.required_members if op_model.input_shape else []
    if verb in READ_VERBS and not required:
        return 0
    if verb in CREATE_VERBS:
        return 1
    if verb in LINK_VERBS:
        return 2
    if verb in READ_VERBS:
        return 3
    if verb in DESTROY_VERBS:
        return 5
    return 4


def ordered_operations(service, service_model):
    ops = [service_model.operation_model(n) for n in service_model.operation_names]
    order = CREATE_ORDER.get(service, [])

    def key(op):
        ph = phase_of(service, op)
        pri = order.index(op.name) if op.name in order else len(order)
        return (ph, pri, op.name)

    return sorted(ops, key=key)


def noun_of(op_name):
    return op_name[len(verb_of(op_name)):]


def hyphenate(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def singular(name):
    if name.endswith("Ids"):
        return name[:-1]
    if name.endswith("ses"):
        return name[:-2]
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


class Pool:
    """Values seen in successful responses, by member name (and aliases like RoleArn for Role.Arn)."""

    def __init__(self):
        self.values = {}
        self.pinned = {}

    def pin(self, key, value):
        """A value preferred to any harvested one (set up before the run)."""
        self.pinned[key] = value

    def add(self, key, value):
        if isinstance(value, str) and value and len(value) < 2048:
            lst = self.values.setdefault(key, [])
            if value in lst:
                lst.remove(value)
            lst.append(value)
            del lst[:-8]

    def get(self, key):
        lst = list(reversed(self.values.get(key) or []))
        if key in self.pinned:
            lst = [self.pinned[key]] + [v for v in lst if v != self.pinned[key]]
        return lst

    def harvest(self, shape, value, parent=None):
        if shape is None or value is None:
            return
        t = shape.type_name
        if t == "structure" and isinstance(value, dict):
            for name, member in shape.members.items():
                if name not in value:
                    continue
                v = value[name]
                if member.type_name == "string":
                    self.add(name, v)
                    if member.name not in ("String", "string") and not member.name.endswith("Type"):
                        self.add(member.name, v)
                    if name in ("Arn", "ARN", "Id", "Name") and parent:
                        self.add(parent + name, v)
                else:
                    self.harvest(member, v, parent=member.name if member.type_name == "structure" else name)
        elif t == "list" and isinstance(value, list):
            for item in value[:4]:
                if shape.member.type_name == "string":
                    self.add(singular(parent or "") or shape.member.name, item)
                    self.add(shape.member.name, item)
                else:
                    self.harvest(shape.member, item, parent=shape.member.name)


def check_string(shape, value):
    """None when `value` satisfies the string shape's constraints, else why not."""
    md = shape.metadata
    if not isinstance(value, str):
        return "not a string"
    if "min" in md and len(value) < md["min"]:
        return "shorter than %d" % md["min"]
    if "max" in md and len(value) > md["max"]:
        return "longer than %d" % md["max"]
    if shape.enum and value not in shape.enum:
        return "not in the enum"
    if "pattern" in md and not regexgen.full_matches(md["pattern"], value):
        return "does not match the pattern"
    return None


def ec2_id(prefix, variant=0):
    return "%s-0%015x%d" % (prefix, 0xcb0c0ffee + variant, variant)


class Generator:
    def __init__(self, service, service_model, pool):
        self.service = service
        self.model = service_model
        self.protocol = service_model.metadata["protocol"]
        self.pool = pool
        self.counter = 0

    # -- strings ------------------------------------------------------------------------------------
    def hints(self, op, member, shape, parent, variant):
        """Plausible values for a string member, best first."""
        s, n, sn = self.service, member or "", shape.name
        v = variant
        out = []
        noun = noun_of(op)
        low = n.lower()
        uniq = "%s%d" % (hyphenate(noun)[:24] or "x", v)
        # Policy documents
        if n in ("AssumeRolePolicyDocument",) or sn == "trustPolicyDocumentType":
            out.append(TRUST_POLICY)
        if "PolicyDocument" in n or n in ("PolicyDocument", "Policy", "PermissionsBoundaryPolicyInputList") \
                or sn in ("policyDocumentType", "sessionPolicyDocumentType", "unrestrictedSessionPolicyDocumentType"):
            out.append(RESOURCE_POLICY if (s == "secretsmanager" or n == "ResourcePolicy") else PERMISSIONS_POLICY)
        if n == "ResourcePolicy":
            out.append(RESOURCE_POLICY)
        # ARNs
        if n == "PolicyArn" or sn == "arnType" and "Policy" in n:
            out.append("arn:aws:iam::aws:policy/ReadOnlyAccess")
        if n == "RoleArn" or n == "ExecutionRoleArn":
            out.append("arn:aws:iam::%s:role/cbx-role" % ACCOUNT)
        if n == "PermissionsBoundary":
            out.append("arn:aws:iam::aws:policy/PowerUserAccess")
        if n == "SerialNumber":
            out.append("arn:aws:iam::%s:mfa/cbx-mfa" % ACCOUNT)
        if n == "PrincipalArn" and s == "sts":
            out.append("arn:aws:iam::%s:saml-provider/cbx" % ACCOUNT)
        if n == "RotationLambdaARN":
            out.append("arn:aws:lambda:%s:%s:function:cbx-rotation" % (REGION, ACCOUNT))
        if n == "Arn" and parent == "Target":
            out.append("arn:aws:scheduler:::aws-sdk:ec2:createTags")
        if n in ("Arn", "DeadLetterConfigArn") and parent == "DeadLetterConfig":
            out.append("arn:aws:sqs:%s:%s:cbx-dlq" % (REGION, ACCOUNT))
        if n == "KmsKeyArn":
            out.append("arn:aws:kms:%s:%s:key/cbx-key" % (REGION, ACCOUNT))
        if n in ("KmsKeyId", "KMSKeyId"):
            out.append("alias/aws/%s" % s)
        if n == "PolicySourceArn":
            out.append("arn:aws:iam::%s:user/cbx-user" % ACCOUNT)
        if n == "ResourceArn" and s == "scheduler":
            out.append("arn:aws:scheduler:%s:%s:schedule-group/default" % (REGION, ACCOUNT))
        if n == "ResourceName" and s == "rds":
            out.append("arn:aws:rds:%s:%s:db:cbx-db0" % (REGION, ACCOUNT))
        if low.endswith("arn") and not out:
            out.append("arn:aws:%s:%s:%s:%s/cbx-%s" % (s, "" if s in ("iam", "sts") else REGION, ACCOUNT,
                                                        hyphenate(n[:-3]) or "resource", uniq))
        # EC2 ids
        if s == "ec2":
            pre = EC2_PREFIX.get(sn) or EC2_PREFIX.get(n) or EC2_PREFIX.get(singular(n))
            if pre:
                out.append(ec2_id(pre, v))
            if "Cidr" in n or "Cidr" in sn:
                if "Ipv6" in n:
                    out.append("2600:1f18:cb0c:%x00::/56" % v if op != "CreateSubnet" else "2600:1f18:cb0c::/64")
                elif op == "CreateVpc":
                    out.append("10.0.0.0/16")
                elif op == "AssociateVpcCidrBlock":
                    out.append("10.%d.0.0/16" % (200 + v))
                elif op == "CreateSubnet":
                    out.append("10.0.%d.0/24" % (16 * v))
                else:
                    out.append("0.0.0.0/0")
            if low in ("availabilityzone", "zonename"):
                out.append("us-east-1a")
            if low in ("availabilityzoneid", "zoneid"):
                out.append("use1-az1")
            if low in ("regionname", "region"):
                out.append(REGION)
            if "ipaddress" in low or low.endswith("ip") or low in ("publicip", "privateip", "address"):
                out.append("10.0.0.%d" % (10 + v))
            if low in ("ipprotocol", "protocol"):
                out.append("tcp")
            if n == "Name" and parent in ("Filter",):
                out.append("tag-key")
            if n == "ResourceType" and parent == "TagSpecification":
                out.append(hyphenate(noun))
            if n == "ServiceName":
                out.append("com.amazonaws.%s.s3" % REGION)
            if n == "AddressFamily":
                out.append("IPv4")
            if n == "Key" and parent == "NewDhcpConfiguration":
                out.append("domain-name")
            if n == "Value" and parent == "NewDhcpConfiguration":
                out.append("example.com")
            if n in ("Resource", "Resources"):
                out.extend(self.pool.get("VpcId")[:1])
            if n == "Domain":
                out.append("vpc")
            if n == "KeyName":
                out.append("cbx-%s-%d" % (hyphenate(op), v))
            if n == "InstanceType":
                out.append("t3.micro")
            if n in ("GroupName",):
                out.append("cbx-sg-%d" % v)
            if n == "Description" or n == "GroupDescription":
                out.append("cloudbox conformance")
            if low.endswith("id") and not out:
                out.append(ec2_id(hyphenate(n[:-2]).split("-")[0] or "res", v))
        # IAM / STS
        if s in ("iam", "sts"):
            if n in ("Path", "PathPrefix") or sn in ("pathType", "pathPrefixType", "policyPathType"):
                out.append("/")
            if n.endswith("Name") and sn in ("userNameType", "existingUserNameType", "roleNameType", "groupNameType",
                                               "policyNameType", "instanceProfileNameType"):
                out.append("cbx-%s" % uniq)
            if n == "AWSServiceName":
                out.append("elasticbeanstalk.amazonaws.com")
            if n == "ServiceName":
                out.append("codecommit.amazonaws.com")
            if n in ("AuthenticationCode1", "TokenCode"):
                out.append("123456")
            if n == "AuthenticationCode2":
                out.append("654321")
            if n == "Url":
                out.append("https://oidc.cbx.example.com")
            if n == "ClientIDList" or sn == "clientIDType":
                out.append("sts.amazonaws.com")
            if sn == "thumbprintType":
                out.append("9e99a48a9960b14926bb7f3b02e22da2b0ab7280")
            if n in ("ActionName", "ActionNames") or sn == "ActionNameType":
                out.append("iam:GetUser")
            if n in ("ResourceArns", "ResourceArn") or sn == "ResourceNameType":
                out.append("*")
            if n == "RoleSessionName":
                out.append("cbx-session")
            if n == "AccessKeyId":
                out.append("AKIACBX0CONFORMANCE1")
            if n == "AccountAlias":
                out.append("cbx-alias-%d" % v)
            if n == "SSHPublicKeyBody":
                out.append("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7cbx cbx@example.com")
            if n in ("Password", "OldPassword", "NewPassword"):
                out.append("Cbx-Passw0rd-%d!" % v)
            if n == "ContextKeyName":
                out.append("aws:CurrentTime")
            if n == "WebIdentityToken":
                out.append("eyJhbGciOiJub25lIn0.eyJzdWIiOiJjYngifQ.")
            if n == "SAMLAssertion":
                out.append(base64.b64encode(b"<samlp:Response>cbx</samlp:Response>").decode() + "=" * 0)
            if n == "ExternalId":
                out.append("cbx-external-id")
            if n == "EncodedMessage":
                out.append("cbx-encoded-authorization-message")
        # Secrets Manager
        if s == "secretsmanager":
            if n in ("SecretId", "Name") and not out:
                out.append("cbx-secret-%d" % v)
            if n == "SecretString":
                out.append('{"user":"cbx","password":"cbx-password"}')
            if n in ("ClientRequestToken", "VersionId", "MoveToVersionId", "RemoveFromVersionId"):
                out.append("00000000-0000-4000-8000-%012d" % v)
            if n == "VersionStage" or sn == "SecretVersionStageType":
                out.append("AWSCURRENT")
            if n == "Region":
                out.append("us-west-2")
            if n == "ScheduleExpression":
                out.append("rate(10 days)")
        # RDS
        if s == "rds":
            ids = {"DBInstanceIdentifier": "cbx-db", "DBClusterIdentifier": "cbx-cluster",
                   "DBSubnetGroupName": "cbx-subnets", "DBParameterGroupName": "cbx-params",
                   "DBClusterParameterGroupName": "cbx-cluster-params", "DBSnapshotIdentifier": "cbx-snap",
                   "DBClusterSnapshotIdentifier": "cbx-cluster-snap", "OptionGroupName": "cbx-options",
                   "SourceDBInstanceIdentifier": "cbx-db", "TargetDBInstanceIdentifier": "cbx-db-copy",
                   "DBSecurityGroupName": "cbx-dbsg", "EventSubscriptionName": "cbx-events",
                   "DBProxyName": "cbx-proxy", "GlobalClusterIdentifier": "cbx-global"}
            if n in ids:
                out.append("%s%d" % (ids[n], v))
            if n == "Engine":
                out.append("postgres")
            if n == "DBInstanceClass":
                out.append("db.t3.micro")
            if n == "EngineVersion":
                out.append("16.3")
            if n in ("DBParameterGroupFamily",):
                out.append("postgres16")
            if n == "MasterUsername":
                out.append("cbxadmin")
            if n == "MasterUserPassword":
                out.append("Cbx-Passw0rd-123")
            if n == "DBName":
                out.append("cbxdb")
            if n == "AvailabilityZone":
                out.append("us-east-1a")
            if n in ("SubnetIds", "SubnetIdentifier") or n == "SubnetId":
                out.append(ec2_id("subnet", v))
            if n in ("VpcSecurityGroupIds", "VpcSecurityGroupId"):
                out.append(ec2_id("sg", v))
            if n in ("Description", "DBSubnetGroupDescription"):
                out.append("cloudbox conformance")
            if n == "ParameterName":
                out.append("max_connections")
            if n == "ParameterValue":
                out.append("100")
            if n == "Name" and parent == "Filter":
                out.append("engine")
            if n == "SourceType":
                out.append("db-instance")
        # Scheduler
        if s == "scheduler":
            if n == "ScheduleExpression":
                out.append("rate(5 minutes)")
            if n == "ScheduleExpressionTimezone":
                out.append("UTC")
            if n == "GroupName" and op != "CreateScheduleGroup":
                out.append("default")
            if n == "Name":
                out.append("cbx-%s" % uniq)
            if n == "Input":
                out.append('{"Resources": ["vpc-0123456789abcdef0"], "Tags": [{"Key": "cbx", "Value": "cbx"}]}')
        # Tags and generic text
        if n in ("Key", "TagKey") or sn in ("tagKeyType", "TagKey"):
            out.append("cbx-key")
        if n in ("Value", "TagValue") or sn in ("tagValueType", "TagValue"):
            out.append("cbx-value")
        if "Email" in n:
            out.append("cbx@example.com")
        if n.endswith("Url") or n.endswith("URL") or n.endswith("Uri"):
            out.append("https://cbx.example.com/conformance")
        if n in ("Description",):
            out.append("cloudbox conformance")
        return out

    def string(self, op, member, shape, parent, variant, create_noun=None, index=0):
        md = shape.metadata
        if shape.enum:
            enum = list(shape.enum)
            for h in self.hints(op, member, shape, parent, variant):
                if h in enum:
                    return h
            return enum[0]
        candidates = []
        use_pool = member is not None and not (create_noun and (member.startswith(create_noun) or member == "Name"
                                                                or create_noun.startswith(member.replace("Name", ""))))
        if use_pool:
            keys = list(POOL_ALIASES.get(self.service, {}).get(member, []))
            if member not in GENERIC_POOL_KEYS:
                keys.append(member)
                keys.append(singular(member))
            if shape.name not in ("String", "string", "NonEmptyString") and shape.name not in GENERIC_POOL_KEYS \
                    and not shape.name.endswith("Type"):
                keys.append(shape.name)
            pooled = []
            for k in keys:
                # AWS's own "default" resources are not what a create names, nor what a delete should remove
                avoid_default = create_noun or verb_of(op) in DESTROY_VERBS
                pooled.extend(v for v in self.pool.get(k) if (v != "default" or not avoid_default) and v not in pooled)
            if pooled and index:
                pooled = pooled[index % len(pooled):] + pooled[:index % len(pooled)]
            candidates.extend(pooled)
        candidates.extend(self.hints(op, member, shape, parent, variant))
        for c in candidates:
            if check_string(shape, c) is None:
                return c
        lo, hi = md.get("min", 0), md.get("max")
        if "pattern" in md:
            ex = regexgen.example(md["pattern"], lo, hi)
            if ex is not None and check_string(shape, ex) is None:
                return ex
        base = "cbx%s%d" % (re.sub(r"[^a-z0-9]", "", (member or "v").lower())[:20], variant)
        if hi is not None and len(base) > hi:
            base = base[:hi]
        while len(base) < lo:
            base += "x"
        return base

    # -- any shape ----------------------------------------------------------------------------------
    def value(self, op, shape, member=None, parent=None, variant=0, optional=False, depth=0, stack=(),
              create_noun=None, typical=(), index=0):
        t = shape.type_name
        md = shape.metadata
        if t == "structure":
            out = {}
            if shape.name in stack and depth > 1 or depth > MAX_DEPTH:
                return out
            names = list(shape.members)
            req = set(shape.required_members)
            for name in names:
                if name in SKIP_MEMBERS and name not in req:
                    continue
                m = shape.members[name]
                if name not in req:
                    wanted = name in typical or "%s.%s" % (shape.name, name) in typical
                    if not (optional or wanted) or depth >= (4 if optional else 8) or m.name in stack:
                        continue
                    if m.metadata.get("deprecated") or shape.members[name].serialization.get("deprecated"):
                        continue
                v = self.value(op, m, member=name, parent=shape.name, variant=variant, optional=optional,
                               depth=depth + 1, stack=stack + (shape.name,), create_noun=create_noun,
                               typical=typical)
                if name not in req and m.type_name == "string" and check_string(m, v) is not None:
                    continue  # no value satisfies this optional member's constraints: leave it out
                out[name] = v
            if not out and names and depth > 0:
                # An empty structure cannot be written in the query protocols (and says little in JSON): give it
                # its first member.
                name = next((n for n in names if n not in SKIP_MEMBERS), names[0])
                out[name] = self.value(op, shape.members[name], member=name, parent=shape.name, variant=variant,
                                       optional=False, depth=depth + 1, stack=stack + (shape.name,),
                                       create_noun=create_noun)
            return out
        if t == "list":
            lo = md.get("min", 0)
            hi = md.get("max")
            n = max(lo, LIST_LENGTH.get(member, 1))
            if hi is not None:
                n = min(n, hi)
            item_member = singular(member) if member else None
            items = []
            for i in range(n):
                items.append(self.value(op, shape.member, member=item_member, parent=parent, variant=variant + i,
                                        optional=optional, depth=depth + 1, stack=stack, create_noun=create_noun,
                                        typical=typical, index=i))
            if shape.member.type_name == "string" and len(set(items)) < len(items):
                items = [x if k == 0 else (x + str(k) if check_string(shape.member, x + str(k)) is None else x)
                         for k, x in enumerate(items)]
            return items
        if t == "map":
            k = self.string(op, None, shape.key, parent, variant) if shape.key.type_name == "string" else "k"
            if shape.key.enum:
                k = list(shape.key.enum)[0]
            return {k: self.value(op, shape.value, member=None, parent=parent, variant=variant, optional=optional,
                                  depth=depth + 1, stack=stack, create_noun=create_noun, typical=typical)}
        if t == "string":
            return self.string(op, member, shape, parent, variant, create_noun, index)
        if t in ("integer", "long"):
            return self.number(member, md, integer=True)
        if t in ("double", "float"):
            return float(self.number(member, md, integer=False))
        if t == "boolean":
            return bool(optional) and member not in ("ForceDeleteWithoutRecovery",)
        if t == "timestamp":
            n = (member or "").lower()
            if "end" in n or "expir" in n or "to" == n[-2:]:
                return datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
            return datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
        if t == "blob":
            if member == "PublicKeyMaterial":
                return OPENSSH_ED25519
            data = b"cloudbox-conformance"
            lo, hi = md.get("min", 0), md.get("max")
            if hi is not None:
                data = data[:hi]
            while len(data) < lo:
                data += b"x"
            return data
        return None

    def number(self, member, md, integer=True):
        n = (member or "")
        preferred = {"DurationSeconds": 3600, "MaxSessionDuration": 3600, "AllocatedStorage": 20, "Port": 5432,
                     "FromPort": 443, "ToPort": 443, "RecoveryWindowInDays": 7, "PasswordLength": 32,
                     "MaxResults": 10, "MaxItems": 10, "MaxRecords": 20, "RuleNumber": 100,
                     "MaximumWindowInMinutes": 5, "BackupRetentionPeriod": 1, "Iops": 1000,
                     "MinimumPasswordLength": 8, "MaxPasswordAge": 90, "PasswordReusePrevention": 3,
                     "MaxAgeInSeconds": 3600, "Ipv4NetmaskLength": 24, "Ipv6NetmaskLength": 56}
        v = preferred.get(n, 10)
        lo, hi = md.get("min"), md.get("max")
        if lo is not None and v < lo:
            v = lo
        if hi is not None and v > hi:
            v = hi
        return int(v) if integer else v

    # -- whole inputs -------------------------------------------------------------------------------
    def valid_inputs(self, op_model):
        """[(label, params)]: required members only, then with optional members (when there are any)."""
        shape = op_model.input_shape
        if shape is None:
            return [("valid: no input", {})]
        verb = verb_of(op_model.name)
        create_noun = noun_of(op_model.name) if verb in CREATE_VERBS else None
        req = self.value(op_model.name, shape, variant=0, optional=False, create_noun=create_noun)
        cases = [("valid: required members", req)]
        typical = TYPICAL.get(self.service, set())
        typ = self.value(op_model.name, shape, variant=2, optional=False, create_noun=create_noun, typical=typical)
        if typ != req:
            cases.append(("valid: typical members", typ))
        has_optional = any(n not in shape.required_members and n not in SKIP_MEMBERS for n in shape.members)
        if has_optional:
            full = self.value(op_model.name, shape, variant=1, optional=True, create_noun=create_noun)
            cases.append(("valid: with optional members", full))
        base = typ if typ != req else req
        special = self.special_text(shape, base)
        if special is not None:
            cases.append(("valid: text with markup and non-ASCII characters", special))
        if "DryRun" in shape.members:
            dry = dict(base)
            dry["DryRun"] = True
            cases.append(("valid: DryRun", dry))
        empty = dict(base)
        for name, m in shape.members.items():
            if m.type_name == "list" and not m.metadata.get("min") and name not in shape.required_members \
                    and name not in SKIP_MEMBERS and not m.serialization.get("location"):
                empty[name] = []
        if empty != base:
            cases.append(("valid: optional lists empty", empty))
        for bound in ("max", "min"):
            b = self.boundary(op_model, shape, base, bound)
            if b is not None:
                cases.append(("valid: members at their %s length/value" % bound, b))
        return cases

    SPECIAL = "cbx <a&b> \"q\" 'a' \u00fc\u00e9"

    def special_text(self, shape, base):
        """`base` with its free-text top-level strings (descriptions …) holding XML/JSON metacharacters and
        non-ASCII letters, where the model allows them: answers must escape what they echo."""
        out = dict(base)
        changed = False
        for name, m in shape.members.items():
            if m.type_name != "string" or m.enum or m.serialization.get("location") or name in SKIP_MEMBERS:
                continue
            if not any(w in name for w in ("Description", "Comment", "Message", "Note")):
                continue
            if check_string(m, self.SPECIAL) is None:
                out[name] = self.SPECIAL
                changed = True
        return out if changed else None

    def boundary(self, op_model, shape, base, bound):
        """`base` with its top-level strings (length) and numbers (value) at the model's `bound`; None when
        nothing has that bound."""
        out = dict(base)
        changed = False
        for name, m in shape.members.items():
            if name in SKIP_MEMBERS or m.serialization.get("location") in ("uri", "header", "headers"):
                continue
            md = m.metadata
            if bound not in md:
                continue
            if m.type_name in ("integer", "long", "double", "float"):
                if name in out or name in shape.required_members:
                    out[name] = int(md[bound]) if m.type_name in ("integer", "long") else float(md[bound])
                    changed = True
            elif m.type_name == "string" and not m.enum and name in out and isinstance(out[name], str):
                n = int(md[bound])
                if n > 4096 or n == 0:
                    continue
                v = out[name]
                cand = v[:n] if len(v) >= n else v + (v[-1] if v else "a") * (n - len(v))
                if len(cand) == n and check_string(m, cand) is None:
                    out[name] = cand
                    changed = True
        return out if changed else None


WRONG_TYPE_QUERY = {"integer": "notAnInteger", "long": "notALong", "boolean": "notABoolean",
                    "timestamp": "notATimestamp", "double": "notADouble", "float": "notAFloat"}
WRONG_TYPE_JSON = {"integer": "notAnInteger", "long": "notALong", "boolean": "notABoolean",
                   "timestamp": "notATimestamp", "double": "notADouble", "float": "notAFloat", "string": 12345,
                   "list": "notAList", "structure": "notAStructure", "map": "notAMap", "blob": 12345}

MAX_INVALID = 9


def wire_name(protocol, name, member):
    ser = member.serialization
    if protocol == "ec2":
        if "queryName" in ser:
            return ser["queryName"]
        if "name" in ser:
            return ser["name"][0].upper() + ser["name"][1:]
        return name
    return ser.get("name", name)


def invalid_inputs(gen, op_model, base):
    """[(label, params, mutation)] breaking one constraint each; `mutation(request_dict)` rewrites the serialized
    request for what botocore's serializer cannot send (wrong types, unknown members). `base` is the valid
    input with required members."""
    shape = op_model.input_shape
    protocol = gen.protocol
    if shape is None:
        return []
    cases = []
    req = list(shape.required_members)
    members = list(shape.members.items())
    # rest-json members bound to the URI cannot be left out or typed wrong on the wire in any meaningful way
    body_members = [(n, m) for n, m in members if m.serialization.get("location") in (None, "querystring")
                    and n not in SKIP_MEMBERS]
    ordered = [(n, m) for n, m in body_members if n in req] + [(n, m) for n, m in body_members if n not in req]

    def with_member(name, value):
        p = dict(base)
        p[name] = value
        return p

    # 1. missing required members (up to two)
    uri_required = {n for n, m in members if m.serialization.get("location") == "uri"}
    missing = [n for n in req if n not in uri_required]
    for name in missing[:3]:
        p = dict(base)
        p.pop(name, None)
        cases.append(("invalid: missing required %s" % name, p, None))
    # 2. string too long / too short
    for name, m in ordered:
        if m.type_name == "string" and "max" in m.metadata and m.metadata["max"] <= 65536 and not m.enum:
            good = gen.value(op_model.name, m, member=name, parent=shape.name)
            fill = (good or "a")[0] if isinstance(good, str) else "a"
            cases.append(("invalid: %s longer than max %d" % (name, m.metadata["max"]),
                          with_member(name, (good or "") + fill * (m.metadata["max"] + 1 - len(good or ""))), None))
            break
    for name, m in ordered:
        if m.type_name == "string" and m.metadata.get("min", 0) >= 1 and not m.enum:
            good = gen.value(op_model.name, m, member=name, parent=shape.name)
            cases.append(("invalid: %s shorter than min %d" % (name, m.metadata["min"]),
                          with_member(name, good[:m.metadata["min"] - 1]), None))
            break
    # 3. numbers out of range
    for bound in ("max", "min"):
        for name, m in ordered:
            if m.type_name in ("integer", "long", "double", "float") and bound in m.metadata:
                v = m.metadata[bound] + (1 if bound == "max" else -1)
                cases.append(("invalid: %s %s %s %s" % (name, "above" if bound == "max" else "below", bound,
                                                         m.metadata[bound]),
                              with_member(name, int(v) if m.type_name in ("integer", "long") else float(v)), None))
                break
    # 4. a value outside the enum
    for name, m in ordered:
        if m.type_name == "string" and m.enum:
            cases.append(("invalid: %s not in enum" % name, with_member(name, "CbxNotAnEnumValue"), None))
            break
    # 5. list too long
    for name, m in ordered:
        if m.type_name == "list" and "max" in m.metadata and m.metadata["max"] <= 200:
            item = gen.value(op_model.name, m.member, member=singular(name), parent=shape.name)
            items = [item] * (int(m.metadata["max"]) + 1)
            if m.member.type_name == "string":
                items = ["%s%d" % (item, i) if check_string(m.member, "%s%d" % (item, i)) is None else item
                         for i in range(len(items))]
            cases.append(("invalid: %s with more than max %d items" % (name, m.metadata["max"]),
                          with_member(name, items), None))
            break
    # 6. wrong type (serialized valid, then rewritten on the wire)
    table = WRONG_TYPE_JSON if protocol in ("json", "rest-json") else WRONG_TYPE_QUERY
    for name, m in ordered:
        if m.type_name in table:
            if protocol in ("query", "ec2") and m.serialization.get("location"):
                continue
            if m.serialization.get("location") == "querystring" and m.type_name in ("string", "list", "map"):
                continue  # everything in a query string is text
            bad = table[m.type_name]
            p = dict(base)
            if name not in p:
                p[name] = gen.value(op_model.name, m, member=name, parent=shape.name, optional=False)
            cases.append(("invalid: %s of the wrong type (%s for %s)" % (name, type(bad).__name__, m.type_name), p,
                          _wrong_type_mutation(protocol, name, m, bad)))
            break
    # 7. an unknown member
    cases.append(("invalid: unknown member", dict(base), _unknown_member_mutation(protocol, shape)))
    return cases[:MAX_INVALID]


def _wrong_type_mutation(protocol, name, member, bad):
    wire = wire_name(protocol, name, member)
    location = member.serialization.get("location")

    def mutate(request_dict):
        if protocol in ("query", "ec2"):
            body = request_dict["body"]
            for k in [k for k in body if k == wire or k.startswith(wire + ".")]:
                del body[k]
            body[wire] = bad
        elif location == "querystring":
            _set_query_param(request_dict, member.serialization.get("name", name), str(bad))
        else:
            doc = json.loads(request_dict["body"] or b"{}")
            doc[wire] = bad
            request_dict["body"] = json.dumps(doc).encode()
    return mutate


def _unknown_member_mutation(protocol, shape):
    def mutate(request_dict):
        if protocol in ("query", "ec2"):
            request_dict["body"]["CbxUnknownParameter"] = "cbx"
        else:
            body = request_dict.get("body")
            if body or request_dict.get("method") in ("POST", "PUT", "PATCH") or protocol == "json":
                doc = json.loads(body or b"{}")
                doc["CbxUnknownMember"] = "cbx"
                request_dict["body"] = json.dumps(doc).encode()
            else:
                _set_query_param(request_dict, "CbxUnknownMember", "cbx")
    return mutate


def _set_query_param(request_dict, key, value):
    """Sets a query-string parameter of a serialized rest request: botocore has already written the URL by the
    time the before-call hook runs, so the URL is rewritten too."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
    qs = request_dict.get("query_string")
    if isinstance(qs, dict):
        qs[key] = value
    if request_dict.get("url"):
        parts = urlsplit(request_dict["url"])
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key] + [(key, value)]
        request_dict["url"] = urlunsplit(parts._replace(query=urlencode(pairs)))
