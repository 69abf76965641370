#!/usr/bin/env bash
# The guide's whole deployment, built on a running cloudbox with the real AWS CLI, step by step: IAM service
# accounts, a VPC, RDS PostgreSQL, an EC2 host with an Elastic IP, nightly stop/start with EventBridge
# Scheduler, and a secret the host reads with its instance role. Each step proves what it made, then
# everything is torn down and the region is checked to be as it was.
#
#   examples/guide/run.sh [--endpoint http://127.0.0.1:4566] [--keep]
#
# Needs: the AWS CLI (v2), curl, python3, psql (postgresql-client) and the cloudbox binary (CLOUDBOX_BIN, or
# `cloudbox` on PATH, or build/cloudbox). Works with and without --enforce-iam on the server: it runs as the
# account root (test/test) and proves the service accounts' limits with their own keys when IAM is enforced.
# The server clock is moved forward (POST /_cloudbox/clock) to make the schedules fire.
set -euo pipefail

ENDPOINT="${CLOUDBOX_ENDPOINT:-http://127.0.0.1:4566}"
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --endpoint) ENDPOINT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
REGION=us-west-2
AWS_BIN="${AWS_BIN:-$(command -v /usr/bin/aws || command -v aws)}"
CLOUDBOX="${CLOUDBOX_BIN:-$(command -v cloudbox || echo "$REPO/build/cloudbox")}"
NAME="guide$(date +%s | tail -c 5)"   # prefix of everything made here, so runs never collide
WORK="$(mktemp -d)"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION="$REGION" AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN || true
export AWS_CONFIG_FILE="$WORK/config" AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials"
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"

aws() { "$AWS_BIN" --endpoint-url "$ENDPOINT" --region "${AWS_REGION_OVERRIDE:-$REGION}" --output text "$@"; }
as_user() {  # as_user KEY SECRET aws-args…
  local k="$1" s="$2"; shift 2
  AWS_ACCESS_KEY_ID="$k" AWS_SECRET_ACCESS_KEY="$s" aws "$@"
}
step() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok  %s\n' "$*"; }
fail() { printf '   FAILED  %s\n' "$*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; ok "$3"; }
# expect_error CODE what aws-args…: the call must fail with that AWS error code.
expect_error() {
  local code="$1" what="$2" out; shift 2
  if out="$("$@" 2>&1)"; then fail "$what: succeeded, expected $code"; fi
  case "$out" in *"($code)"*) ok "$what ($code)" ;; *) fail "$what: expected $code, got: $out" ;; esac
}
# wait_for WHAT SECONDS EXPECTED command…: polls once a second until the command prints EXPECTED.
wait_for() {
  local what="$1" limit="$2" want="$3" got=""; shift 3
  for _ in $(seq "$limit"); do
    got="$("$@" 2>/dev/null || true)"
    [ "$got" = "$want" ] && { ok "$what: $want"; return 0; }
    sleep 1
  done
  fail "$what: still '$got' after ${limit}s (wanted '$want')"
}
admin() { curl -fsS -X "$1" -H 'content-type: application/json' "$ENDPOINT/_cloudbox/$2" ${3:+-d "$3"}; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# The next time the wall clock of America/Los_Angeles reads HH:MM after the server's now, plus a minute, in UTC.
next_la() {
  admin GET clock | python3 -c "
import json, sys, datetime, zoneinfo
now = datetime.datetime.fromisoformat(json.load(sys.stdin)['now'].replace('Z', '+00:00'))
la = zoneinfo.ZoneInfo('America/Los_Angeles')
t = now.astimezone(la).replace(hour=$1, minute=$2, second=0, microsecond=0)
if t <= now.astimezone(la): t = (t + datetime.timedelta(days=1)).replace(hour=$1, minute=$2)
print((t.astimezone(datetime.timezone.utc) + datetime.timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))"
}

command -v "$AWS_BIN" >/dev/null || fail "the AWS CLI is not installed"
[ -x "$CLOUDBOX" ] || fail "cloudbox binary not found (set CLOUDBOX_BIN)"
ENFORCED="$(admin GET health | json "str(d['enforce_iam']).lower()")" || fail "no cloudbox at $ENDPOINT"
ACCOUNT="$(aws sts get-caller-identity --query Account)"
echo "cloudbox at $ENDPOINT (IAM enforcement: $ENFORCED), account $ACCOUNT, region $REGION, prefix $NAME"

# ---------------------------------------------------------------------------------------------------------
# Teardown: everything this run made, in dependency order; runs on exit, also after a failure.
declare -a CLEANUP=()
later() { CLEANUP+=("$*"); }
teardown() {
  local rc=$?
  if [ "$KEEP" = 1 ]; then echo "(--keep: leaving everything in place)"; return; fi
  step "Teardown"
  for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do
    local out
    out="$(eval "${CLEANUP[$i]}" 2>&1)" || echo "   (cleanup step failed: ${CLEANUP[$i]}: ${out##*$'\n'})"
  done
  rm -rf "$WORK"
  if [ $rc = 0 ]; then
    [ "$(aws ec2 describe-vpcs --filters "Name=tag:Name,Values=$NAME-*" --query 'length(Vpcs)')" = 0 ] || { echo "   FAILED  VPC left behind" >&2; exit 1; }
    [ "$(aws rds describe-db-instances --query "length(DBInstances[?starts_with(DBInstanceIdentifier,'$NAME')])")" = 0 ] || { echo "   FAILED  DB instance left behind" >&2; exit 1; }
    [ "$(aws iam list-users --query "length(Users[?UserName=='terraform-user' || UserName=='elastic-container-registry-user'])")" = 0 ] || { echo "   FAILED  users left behind" >&2; exit 1; }
    [ "$(aws scheduler list-schedules --name-prefix "$NAME" --query 'length(Schedules)')" = 0 ] || { echo "   FAILED  schedules left behind" >&2; exit 1; }
    ok "nothing of this run is left"
    echo; echo "The guide ran green."
  fi
}
trap teardown EXIT

# ---------------------------------------------------------------------------------------------------------
step "1. IAM service accounts (least privilege)"
aws iam create-user --user-name elastic-container-registry-user >/dev/null
later "aws iam delete-user --user-name elastic-container-registry-user"
aws iam attach-user-policy --user-name elastic-container-registry-user --policy-arn arn:aws:iam::aws:policy/SecretsManagerReadWrite
later "aws iam detach-user-policy --user-name elastic-container-registry-user --policy-arn arn:aws:iam::aws:policy/SecretsManagerReadWrite"
aws iam create-user --user-name terraform-user >/dev/null
later "aws iam delete-user --user-name terraform-user"
TF_POLICY_ARN="$(aws iam create-policy --policy-name "$NAME-terraform" --query Policy.Arn --policy-document '{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "TerraformerRDSPermissions", "Effect": "Allow", "Resource": "*", "Action": [
    "ec2:DescribeVpcAttribute", "ec2:DescribeVpcs", "ec2:DescribeRouteTables", "ec2:DescribeSubnets",
    "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeNatGateways", "ec2:DescribeVpcEndpoints"]}]}')"
later "aws iam delete-policy --policy-arn $TF_POLICY_ARN"
aws iam attach-user-policy --user-name terraform-user --policy-arn "$TF_POLICY_ARN"
later "aws iam detach-user-policy --user-name terraform-user --policy-arn $TF_POLICY_ARN"
read -r TF_KEY TF_SECRET < <(aws iam create-access-key --user-name terraform-user --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
later "aws iam delete-access-key --user-name terraform-user --access-key-id $TF_KEY"
read -r REG_KEY REG_SECRET < <(aws iam create-access-key --user-name elastic-container-registry-user --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
later "aws iam delete-access-key --user-name elastic-container-registry-user --access-key-id $REG_KEY"
expect_eq "$(aws iam get-policy --policy-arn arn:aws:iam::aws:policy/SecretsManagerReadWrite --query Policy.PolicyName)" \
  SecretsManagerReadWrite "the AWS managed policy SecretsManagerReadWrite is attached"
expect_eq "${TF_KEY:0:4}" AKIA "access keys in AWS's format"
if [ "$ENFORCED" = true ]; then
  as_user "$TF_KEY" "$TF_SECRET" ec2 describe-vpcs >/dev/null && ok "terraform-user can describe VPCs"
  expect_error UnauthorizedOperation "terraform-user cannot create a VPC" as_user "$TF_KEY" "$TF_SECRET" ec2 create-vpc --cidr-block 10.9.0.0/16
  as_user "$REG_KEY" "$REG_SECRET" secretsmanager create-secret --name "$NAME-registry" --secret-string x >/dev/null
  later "aws secretsmanager delete-secret --secret-id $NAME-registry --force-delete-without-recovery"
  expect_eq "$(as_user "$REG_KEY" "$REG_SECRET" secretsmanager get-secret-value --secret-id "$NAME-registry" --query SecretString)" x \
    "the registry user creates and reads secrets"
  expect_error UnauthorizedOperation "the registry user cannot create a VPC" as_user "$REG_KEY" "$REG_SECRET" ec2 create-vpc --cidr-block 10.9.0.0/16
else
  echo "   (IAM enforcement is off: the service accounts' limits are shown by the policy simulator only)"
fi
expect_eq "$(aws iam simulate-principal-policy --policy-source-arn "arn:aws:iam::$ACCOUNT:user/terraform-user" \
  --action-names ec2:DescribeVpcs ec2:CreateVpc --query 'EvaluationResults[].EvalDecision' | tr '\t' ' ')" \
  "allowed implicitDeny" "simulate-principal-policy: DescribeVpcs allowed, CreateVpc denied"

# ---------------------------------------------------------------------------------------------------------
step "2. VPC and more"
tags() { echo "ResourceType=$1,Tags=[{Key=Name,Value=$NAME-$2}]"; }
VPC="$(aws ec2 create-vpc --cidr-block 10.0.0.0/20 --tag-specifications "$(tags vpc vpc)" --query Vpc.VpcId)"
later "aws ec2 delete-vpc --vpc-id $VPC"
aws ec2 modify-vpc-attribute --vpc-id "$VPC" --enable-dns-support '{"Value":true}'
aws ec2 modify-vpc-attribute --vpc-id "$VPC" --enable-dns-hostnames '{"Value":true}'
read -r AZ1 AZ2 _ < <(aws ec2 describe-availability-zones --query 'AvailabilityZones[].ZoneName')
# Helpers that make something set a variable (never called in $(…): their cleanup must reach this shell).
subnet() {  # subnet VAR NAME CIDR AZ
  local id; id="$(aws ec2 create-subnet --vpc-id "$VPC" --cidr-block "$3" --availability-zone "$4" \
    --tag-specifications "$(tags subnet "$2")" --query Subnet.SubnetId)"
  later "aws ec2 delete-subnet --subnet-id $id"; printf -v "$1" %s "$id"
}
subnet PUB1 public1 10.0.0.0/24 "$AZ1"; subnet PUB2 public2 10.0.1.0/24 "$AZ2"
subnet PRIV1 private1 10.0.8.0/24 "$AZ1"; subnet PRIV2 private2 10.0.9.0/24 "$AZ2"
for s in "$PUB1" "$PUB2"; do aws ec2 modify-subnet-attribute --subnet-id "$s" --map-public-ip-on-launch; done
IGW="$(aws ec2 create-internet-gateway --tag-specifications "$(tags internet-gateway igw)" --query InternetGateway.InternetGatewayId)"
later "aws ec2 delete-internet-gateway --internet-gateway-id $IGW"
aws ec2 attach-internet-gateway --internet-gateway-id "$IGW" --vpc-id "$VPC"
later "aws ec2 detach-internet-gateway --internet-gateway-id $IGW --vpc-id $VPC"
route_table() {  # route_table VAR NAME SUBNET…
  local var="$1" name="$2" rt; shift 2
  rt="$(aws ec2 create-route-table --vpc-id "$VPC" --tag-specifications "$(tags route-table "$name")" --query RouteTable.RouteTableId)"
  later "aws ec2 delete-route-table --route-table-id $rt"
  for s in "$@"; do
    local assoc; assoc="$(aws ec2 associate-route-table --route-table-id "$rt" --subnet-id "$s" --query AssociationId)"
    later "aws ec2 disassociate-route-table --association-id $assoc"
  done
  printf -v "$var" %s "$rt"
}
route_table RT_PUB rtb-public "$PUB1" "$PUB2"
aws ec2 create-route --route-table-id "$RT_PUB" --destination-cidr-block 0.0.0.0/0 --gateway-id "$IGW" >/dev/null
route_table RT_PRIV1 rtb-private1 "$PRIV1"; route_table RT_PRIV2 rtb-private2 "$PRIV2"
VPCE="$(aws ec2 create-vpc-endpoint --vpc-id "$VPC" --service-name "com.amazonaws.$REGION.s3" \
  --route-table-ids "$RT_PRIV1" "$RT_PRIV2" --tag-specifications "$(tags vpc-endpoint vpce-s3)" --query VpcEndpoint.VpcEndpointId)"
later "aws ec2 delete-vpc-endpoints --vpc-endpoint-ids $VPCE"
expect_eq "$(aws ec2 describe-vpcs --vpc-ids "$VPC" --query 'Vpcs[0].CidrBlock')" 10.0.0.0/20 "VPC 10.0.0.0/20"
expect_eq "$(aws ec2 describe-vpc-attribute --vpc-id "$VPC" --attribute enableDnsHostnames --query EnableDnsHostnames.Value)" True "DNS hostnames on"
expect_eq "$(aws ec2 describe-subnets --filters "Name=vpc-id,Values=$VPC" --query 'length(Subnets)')" 4 "two public and two private subnets"
expect_eq "$(aws ec2 describe-subnets --subnet-ids "$PUB1" --query 'Subnets[0].AvailableIpAddressCount')" 251 "AWS reserves five addresses of a /24"
expect_eq "$(aws ec2 describe-route-tables --route-table-ids "$RT_PUB" --query "RouteTables[0].Routes[?DestinationCidrBlock=='0.0.0.0/0'].GatewayId | [0]")" \
  "$IGW" "public route table sends 0.0.0.0/0 to the internet gateway"
expect_eq "$(aws ec2 describe-route-tables --route-table-ids "$RT_PRIV1" --query "RouteTables[0].Routes[?DestinationPrefixListId!=null] | length(@)")" 1 "the S3 gateway endpoint routes the private subnets"
DEFAULT_SG="$(aws ec2 describe-security-groups --filters "Name=vpc-id,Values=$VPC" Name=group-name,Values=default --query 'SecurityGroups[0].GroupId')"
[ -n "$DEFAULT_SG" ] && [ "$DEFAULT_SG" != None ] && ok "the VPC's default security group exists ($DEFAULT_SG)"
expect_eq "$(aws ec2 describe-network-acls --filters "Name=vpc-id,Values=$VPC" Name=default,Values=true --query 'length(NetworkAcls)')" 1 "its default network ACL exists"
expect_eq "$(aws ec2 describe-route-tables --filters "Name=vpc-id,Values=$VPC" Name=association.main,Values=true --query 'length(RouteTables)')" 1 "one main route table"
expect_error InvalidSubnet.Range "a subnet outside the VPC is refused" aws ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.1.0.0/24
expect_error InvalidSubnet.Conflict "an overlapping subnet is refused" aws ec2 create-subnet --vpc-id "$VPC" --cidr-block 10.0.0.128/25

# ---------------------------------------------------------------------------------------------------------
step "3. RDS PostgreSQL"
sg() {  # sg VAR NAME DESCRIPTION
  local id; id="$(aws ec2 create-security-group --vpc-id "$VPC" --group-name "$NAME-$2" --description "$3" --query GroupId)"
  later "aws ec2 delete-security-group --group-id $id"; printf -v "$1" %s "$id"
}
sg SG_EC2 ec2-rds-1 'Security group attached to instances to securely connect to the database'
sg SG_RDS rds-ec2-1 'Security group attached to the database to allow EC2 instances to connect'
aws rds create-db-subnet-group --db-subnet-group-name "$NAME-private" --db-subnet-group-description "private subnets" \
  --subnet-ids "$PRIV1" "$PRIV2" >/dev/null
later "aws rds delete-db-subnet-group --db-subnet-group-name $NAME-private"
DB="$NAME-db"
CREATED_STATUS="$(aws rds create-db-instance --db-instance-identifier "$DB" --engine postgres --db-instance-class db.t4g.micro \
  --allocated-storage 20 --storage-type gp3 --no-multi-az --no-publicly-accessible --master-username postgres \
  --manage-master-user-password --db-subnet-group-name "$NAME-private" --vpc-security-group-ids "$SG_RDS" \
  --db-name pipeline --query DBInstance.DBInstanceStatus)"
later "aws rds delete-db-instance --db-instance-identifier $DB --skip-final-snapshot --delete-automated-backups; \
       for _ in \$(seq 120); do aws rds describe-db-instances --db-instance-identifier $DB >/dev/null 2>&1 || break; sleep 1; done"
expect_eq "$CREATED_STATUS" creating "the instance is creating"
wait_for "DB instance status" 240 available aws rds describe-db-instances --db-instance-identifier "$DB" --query 'DBInstances[0].DBInstanceStatus'
read -r DB_HOST DB_PORT SECRET_ARN < <(aws rds describe-db-instances --db-instance-identifier "$DB" \
  --query 'DBInstances[0].[Endpoint.Address,Endpoint.Port,MasterUserSecret.SecretArn]')
case "$SECRET_ARN" in arn:aws:secretsmanager:*:secret:rds!db-*) ok "the master password is a managed secret ($SECRET_ARN)" ;; *) fail "MasterUserSecret: $SECRET_ARN" ;; esac
DB_SECRET="$(aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --query SecretString)"
DB_USER="$(echo "$DB_SECRET" | json "d['username']")"; DB_PASSWORD="$(echo "$DB_SECRET" | json "d['password']")"
expect_eq "$DB_USER" postgres "the secret holds the user name and password as JSON"
(exec 3<>"/dev/tcp/$DB_HOST/$DB_PORT") 2>/dev/null && ok "the endpoint $DB_HOST:$DB_PORT answers (nc -z)" || fail "nothing listens on $DB_HOST:$DB_PORT"
expect_eq "$(PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=10 psql "host=$DB_HOST port=$DB_PORT user=$DB_USER dbname=pipeline sslmode=require" -Atc 'select 1')" 1 \
  "psql with the managed password and sslmode=require: select 1"
PGPASSWORD="$DB_PASSWORD" psql "host=$DB_HOST port=$DB_PORT user=$DB_USER dbname=pipeline sslmode=require" -qAtc \
  "create table runs (id int primary key, note text); insert into runs values (1, 'written before the night')"

# ---------------------------------------------------------------------------------------------------------
step "4. EC2 host"
aws ec2 create-key-pair --key-name "$NAME-key" --query KeyMaterial >"$WORK/key.pem"
later "aws ec2 delete-key-pair --key-name $NAME-key"
chmod 600 "$WORK/key.pem"
openssl pkey -in "$WORK/key.pem" -noout 2>/dev/null && ok "the key pair's private key is real PEM key material" || fail "key material is not a private key"
AMI="$(aws ec2 describe-images --owners 099720109477 --filters 'Name=name,Values=ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*' \
  --query 'sort_by(Images,&CreationDate)[-1].ImageId')"
[ "${AMI:0:4}" = ami- ] && ok "Ubuntu 24.04 arm64 image $AMI"
expect_error InvalidParameterValue "t2.small with an arm64 image is refused" \
  aws ec2 run-instances --image-id "$AMI" --instance-type t2.small --key-name "$NAME-key" --subnet-id "$PUB1"
INSTANCE="$(aws ec2 run-instances --image-id "$AMI" --instance-type t4g.small --key-name "$NAME-key" --subnet-id "$PUB1" \
  --tag-specifications "$(tags instance host)" --query 'Instances[0].InstanceId')"
later "aws ec2 terminate-instances --instance-ids $INSTANCE; \
       for _ in \$(seq 60); do [ \"\$(aws ec2 describe-instances --instance-ids $INSTANCE --query 'Reservations[0].Instances[0].State.Name')\" = terminated ] && break; sleep 1; done"
expect_eq "$(aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name')" pending "the instance is pending"
wait_for "instance state" 60 running aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name'
PUBLIC_IP="$(aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].PublicIpAddress')"
[ -n "$PUBLIC_IP" ] && [ "$PUBLIC_IP" != None ] && ok "it has a public IP ($PUBLIC_IP)" || fail "no public IP"
expect_eq "$(aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].SecurityGroups[0].GroupId')" "$DEFAULT_SG" "in the default security group"
# RDS's "set up EC2 connection": the instance's group may reach the database's group on 5432, and nothing else.
EGRESS_ALL="$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$SG_EC2" --query 'SecurityGroupRules[?IsEgress].SecurityGroupRuleId')"
aws ec2 revoke-security-group-egress --group-id "$SG_EC2" --security-group-rule-ids $EGRESS_ALL >/dev/null
aws ec2 authorize-security-group-egress --group-id "$SG_EC2" --ip-permissions "IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=$SG_RDS}]" >/dev/null
aws ec2 authorize-security-group-ingress --group-id "$SG_RDS" --ip-permissions "IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=$SG_EC2}]" >/dev/null
later "aws ec2 revoke-security-group-ingress --group-id $SG_RDS --ip-permissions 'IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=$SG_EC2}]'"
later "aws ec2 revoke-security-group-egress --group-id $SG_EC2 --ip-permissions 'IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=$SG_RDS}]'"
aws ec2 modify-instance-attribute --instance-id "$INSTANCE" --groups "$DEFAULT_SG" "$SG_EC2"
expect_eq "$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$SG_EC2" --query 'SecurityGroupRules[?IsEgress].[FromPort,ReferencedGroupInfo.GroupId]' | tr '\t' ' ')" \
  "5432 $SG_RDS" "the instance's group may only reach the database's group on 5432"
expect_eq "$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$SG_RDS" --query 'SecurityGroupRules[?!IsEgress].[FromPort,ReferencedGroupInfo.GroupId]' | tr '\t' ' ')" \
  "5432 $SG_EC2" "the database's group lets the instance's group in on 5432"
aws ec2 authorize-security-group-ingress --group-id "$SG_EC2" --protocol tcp --port 22 --cidr 203.0.113.7/32 >/dev/null
expect_eq "$(aws ec2 describe-security-group-rules --filters "Name=group-id,Values=$SG_EC2" --query "SecurityGroupRules[?!IsEgress && FromPort==\`22\`].CidrIpv4")" \
  203.0.113.7/32 "SSH from one address"

# ---------------------------------------------------------------------------------------------------------
step "5. Elastic IP"
read -r ALLOC EIP < <(aws ec2 allocate-address --domain vpc --query '[AllocationId,PublicIp]')
later "aws ec2 release-address --allocation-id $ALLOC 2>/dev/null || true  # released in this step unless it failed"
ASSOC="$(aws ec2 associate-address --instance-id "$INSTANCE" --allocation-id "$ALLOC" --query AssociationId)"
expect_eq "$(aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].PublicIpAddress')" "$EIP" "the instance's public IP is the Elastic IP"
expect_eq "$(aws ec2 describe-addresses --allocation-ids "$ALLOC" --query 'Addresses[0].[InstanceId,AssociationId]' | tr '\t' ' ')" "$INSTANCE $ASSOC" "describe-addresses shows the association"
expect_error InvalidIPAddress.InUse "releasing it while associated fails" aws ec2 release-address --allocation-id "$ALLOC"
aws ec2 disassociate-address --association-id "$ASSOC"
aws ec2 release-address --allocation-id "$ALLOC"
expect_error InvalidAllocationID.NotFound "after disassociate and release it is gone" aws ec2 describe-addresses --allocation-ids "$ALLOC"

# ---------------------------------------------------------------------------------------------------------
step "6. EventBridge Scheduler: nightly stop and morning start"
TRUST_SCHEDULER='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
role() {  # role VAR NAME TRUST
  local arn; arn="$(aws iam create-role --role-name "$2" --assume-role-policy-document "$3" --query Role.Arn)"
  later "aws iam delete-role --role-name $2"; printf -v "$1" %s "$arn"
}
SCHED_POLICY="$(aws iam create-policy --policy-name "$NAME-start-stop" --query Policy.Arn --policy-document '{
  "Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "arn:aws:ec2:us-west-2:*:instance/*"},
    {"Effect": "Allow", "Action": ["rds:StartDBInstance", "rds:StopDBInstance"], "Resource": "arn:aws:rds:us-west-2:*:db:*"}]}')"
later "aws iam delete-policy --policy-arn $SCHED_POLICY"
role SCHED_ROLE "$NAME-scheduler" "$TRUST_SCHEDULER"
aws iam attach-role-policy --role-name "$NAME-scheduler" --policy-arn "$SCHED_POLICY"
later "aws iam detach-role-policy --role-name $NAME-scheduler --policy-arn $SCHED_POLICY"
schedule() {  # schedule NAME CRON TARGET-ACTION INPUT ROLE [region]
  AWS_REGION_OVERRIDE="${6:-$REGION}" aws scheduler create-schedule --name "$NAME-$1" --schedule-expression "$2" \
    --schedule-expression-timezone America/Los_Angeles --flexible-time-window Mode=OFF \
    --target "{\"Arn\":\"arn:aws:scheduler:::aws-sdk:$3\",\"RoleArn\":\"$5\",\"Input\":$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$4"),\"RetryPolicy\":{\"MaximumRetryAttempts\":0}}" >/dev/null
  later "AWS_REGION_OVERRIDE=${6:-$REGION} aws scheduler delete-schedule --name $NAME-$1"
}
schedule stop-ec2 'cron(0 23 * * ? *)' ec2:stopInstances "{\"InstanceIds\":[\"$INSTANCE\"]}" "$SCHED_ROLE"
schedule start-ec2 'cron(0 6 * * ? *)' ec2:startInstances "{\"InstanceIds\":[\"$INSTANCE\"]}" "$SCHED_ROLE"
schedule stop-db 'cron(0 23 * * ? *)' rds:stopDBInstance "{\"DBInstanceIdentifier\":\"$DB\"}" "$SCHED_ROLE"
schedule start-db 'cron(0 6 * * ? *)' rds:startDBInstance "{\"DBInstanceIdentifier\":\"$DB\"}" "$SCHED_ROLE"
# The same stop in another region than the instance (its role may stop instances in any region, so what fails is
# the lookup: with the role above, IAM would refuse the us-east-1 ARN first), and with a trusted role that may not
# stop instances at all.
role ANY_REGION_ROLE "$NAME-any-region" "$TRUST_SCHEDULER"
aws iam put-role-policy --role-name "$NAME-any-region" --policy-name stop --policy-document \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:StopInstances","Resource":"arn:aws:ec2:*:*:instance/*"}]}'
later "aws iam delete-role-policy --role-name $NAME-any-region --policy-name stop"
schedule stop-ec2-east 'cron(0 23 * * ? *)' ec2:stopInstances "{\"InstanceIds\":[\"$INSTANCE\"]}" "$ANY_REGION_ROLE" us-east-1
role BARE_ROLE "$NAME-no-permission" "$TRUST_SCHEDULER"
schedule stop-ec2-bare 'cron(0 23 * * ? *)' ec2:stopInstances "{\"InstanceIds\":[\"$INSTANCE\"]}" "$BARE_ROLE"
role UNTRUSTED_ROLE "$NAME-untrusted" '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
expect_error ValidationException "a role the scheduler may not assume is refused at create-schedule" \
  aws scheduler create-schedule --name "$NAME-untrusted" --schedule-expression 'cron(0 23 * * ? *)' \
  --flexible-time-window Mode=OFF --target "{\"Arn\":\"arn:aws:scheduler:::aws-sdk:ec2:stopInstances\",\"RoleArn\":\"$UNTRUSTED_ROLE\",\"Input\":\"{}\"}"
expect_eq "$(aws scheduler get-schedule --name "$NAME-stop-ec2" --query '[ScheduleExpression,ScheduleExpressionTimezone,State]' | tr '\t' ' ')" \
  "cron(0 23 * * ? *) America/Los_Angeles ENABLED" "stop schedule at 23:00 Los Angeles time"

NIGHT="$(next_la 23 0)"
echo "   moving the server clock to $NIGHT (23:01 in Los Angeles)"
admin POST clock "{\"set\":\"$NIGHT\"}" >/dev/null
wait_for "instance at night" 60 stopped aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name'
wait_for "database at night" 120 stopped aws rds describe-db-instances --db-instance-identifier "$DB" --query 'DBInstances[0].DBInstanceStatus'
# (Asked with psql and the database's own password rather than a bare port probe: on a busy machine another
# server may take the freed port.)
if PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=3 psql "host=$DB_HOST port=$DB_PORT user=$DB_USER dbname=pipeline sslmode=require" \
  -Atc 'select 1' >/dev/null 2>&1; then fail "the stopped database still answers"; else ok "the stopped database does not answer"; fi
executions() { admin GET "scheduler/executions?schedule=$NAME-$1" | json "' '.join(e.get('Status','') + ':' + str(e.get('ErrorCode','')) for e in d['Executions'])"; }
case "$(executions stop-ec2-east)" in *FAILED:InvalidInstanceID.NotFound*) ok "the schedule in us-east-1 failed visibly: InvalidInstanceID.NotFound" ;; *) fail "us-east-1 schedule history: $(executions stop-ec2-east)" ;; esac
case "$(executions stop-ec2-bare)" in *FAILED:UnauthorizedOperation*|*FAILED:AccessDenied*) ok "the role without ec2:StopInstances failed visibly: $(executions stop-ec2-bare)" ;; *) fail "role without permission: $(executions stop-ec2-bare)" ;; esac

echo "   the night's invocations (cloudbox executions):"
"$CLOUDBOX" executions --endpoint "$ENDPOINT" | grep "$NAME" | sed 's/^/     /' || fail "cloudbox executions"

MORNING="$(next_la 6 0)"
echo "   moving the server clock to $MORNING (06:01 in Los Angeles)"
admin POST clock "{\"set\":\"$MORNING\"}" >/dev/null
wait_for "instance in the morning" 60 running aws ec2 describe-instances --instance-ids "$INSTANCE" --query 'Reservations[0].Instances[0].State.Name'
wait_for "database in the morning" 120 available aws rds describe-db-instances --db-instance-identifier "$DB" --query 'DBInstances[0].DBInstanceStatus'
read -r DB_HOST DB_PORT < <(aws rds describe-db-instances --db-instance-identifier "$DB" --query 'DBInstances[0].[Endpoint.Address,Endpoint.Port]')
expect_eq "$(PGPASSWORD="$DB_PASSWORD" psql "host=$DB_HOST port=$DB_PORT user=$DB_USER dbname=pipeline sslmode=require" -Atc 'select note from runs where id = 1')" \
  "written before the night" "the data written before the night is there"

# ---------------------------------------------------------------------------------------------------------
step "7. Secrets Manager, read by the host with its instance role"
SUPABASE='{"password":"s3cr3t-Pa55","user":"pipeline","database_uri":"postgresql://pipeline@db.example.supabase.co:5432/postgres"}'
SUPABASE_ARN="$(aws secretsmanager create-secret --name "$NAME-supabase" --secret-string "$SUPABASE" --query ARN)"
later "aws secretsmanager delete-secret --secret-id $NAME-supabase --force-delete-without-recovery"
expect_eq "$(aws secretsmanager get-secret-value --secret-id "$NAME-supabase" --query SecretString)" "$SUPABASE" "get-secret-value prints the secret back"
TRUST_EC2='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
profile() {  # profile NAME ROLE-POLICY-JSON-OR-EMPTY
  local _arn; role _arn "$1" "$TRUST_EC2"
  if [ -n "$2" ]; then
    aws iam put-role-policy --role-name "$1" --policy-name read-secret --policy-document "$2"
    later "aws iam delete-role-policy --role-name $1 --policy-name read-secret"
  fi
  aws iam create-instance-profile --instance-profile-name "$1" >/dev/null
  later "aws iam delete-instance-profile --instance-profile-name $1"
  aws iam add-role-to-instance-profile --instance-profile-name "$1" --role-name "$1"
  later "aws iam remove-role-from-instance-profile --instance-profile-name $1 --role-name $1"
}
profile "$NAME-host" "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"$SUPABASE_ARN\"}]}"
PROFILE_ASSOC="$(aws ec2 associate-iam-instance-profile --instance-id "$INSTANCE" --iam-instance-profile "Name=$NAME-host" --query IamInstanceProfileAssociation.AssociationId)"
on_host() { "$CLOUDBOX" exec --endpoint "$ENDPOINT" "$INSTANCE" -- "$AWS_BIN" --endpoint-url "$ENDPOINT" "$@"; }
expect_eq "$(on_host sts get-caller-identity --query Arn --output text)" \
  "arn:aws:sts::$ACCOUNT:assumed-role/$NAME-host/$INSTANCE" "on the host, the CLI finds the instance role by itself"
expect_eq "$(on_host secretsmanager get-secret-value --secret-id "$NAME-supabase" --query SecretString --output text)" "$SUPABASE" \
  "on the host, get-secret-value works with the instance role's temporary credentials alone"
if [ "$ENFORCED" = true ]; then
  profile "$NAME-host-bare" ""
  aws ec2 replace-iam-instance-profile-association --association-id "$PROFILE_ASSOC" --iam-instance-profile "Name=$NAME-host-bare" >/dev/null
  expect_error AccessDeniedException "with a role that lacks the permission it is denied" \
    on_host secretsmanager get-secret-value --secret-id "$NAME-supabase" --query SecretString --output text
else
  echo "   (IAM enforcement is off: a role without the permission would be allowed; run the server with --enforce-iam to see it denied)"
fi
later "aws ec2 disassociate-iam-instance-profile --association-id \$(aws ec2 describe-iam-instance-profile-associations --filters Name=instance-id,Values=$INSTANCE --query 'IamInstanceProfileAssociations[0].AssociationId')"
