// EC2 networking through Core::invoke: VPCs, subnets, gateways, route tables, security groups, NACLs,
// endpoints, NAT gateways on the server clock, tags, defaults, and durability across a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include <unistd.h>

#include "core/core.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox {
namespace {

class Ec2VpcTest : public ::testing::Test {
 protected:
  Core core{Options{.ephemeral = true}};
  RequestContext ctx{core};

  void SetUp() override {
    ctx.account_id = "000000000000";
    ctx.region = "us-east-1";
  }
  Json call(const std::string& op, const Json& in = Json::object()) {
    ctx.now = core.clock().now();
    return core.invoke(ctx, "ec2", op, in);
  }
  AwsError fails(const std::string& op, const Json& in) {
    try {
      Json out = call(op, in);
      ADD_FAILURE() << op << " succeeded: " << out.dump();
    } catch (const AwsError& e) {
      return e;
    }
    return AwsError("none", "");
  }
  std::string vpc(const std::string& cidr) { return call("CreateVpc", {{"CidrBlock", cidr}})["Vpc"]["VpcId"]; }
  std::string subnet(const std::string& vpc_id, const std::string& cidr) {
    return call("CreateSubnet", {{"VpcId", vpc_id}, {"CidrBlock", cidr}})["Subnet"]["SubnetId"];
  }
  static Json filter(const std::string& name, const std::string& value) {
    return Json::array({{{"Name", name}, {"Values", {value}}}});
  }
};

TEST_F(Ec2VpcTest, NewVpcHasMainTableDefaultGroupAndAcl) {
  std::string id = vpc("10.0.0.0/16");
  EXPECT_TRUE(std::regex_match(id, std::regex("vpc-[0-9a-f]{17}")));
  auto rts = call("DescribeRouteTables", {{"Filters", filter("vpc-id", id)}})["RouteTables"];
  ASSERT_EQ(rts.size(), 1u);
  EXPECT_EQ(rts[0]["Associations"][0]["Main"], true);
  EXPECT_EQ(rts[0]["Routes"][0]["GatewayId"], "local");
  auto sgs = call("DescribeSecurityGroups", {{"Filters", filter("vpc-id", id)}})["SecurityGroups"];
  ASSERT_EQ(sgs.size(), 1u);
  EXPECT_EQ(sgs[0]["GroupName"], "default");
  EXPECT_EQ(sgs[0]["IpPermissions"][0]["UserIdGroupPairs"][0]["GroupId"], sgs[0]["GroupId"]);
  auto acls = call("DescribeNetworkAcls", {{"Filters", filter("vpc-id", id)}})["NetworkAcls"];
  ASSERT_EQ(acls.size(), 1u);
  EXPECT_EQ(acls[0]["IsDefault"], true);
  EXPECT_EQ(acls[0]["Entries"].size(), 4u);
  auto attr = call("DescribeVpcAttribute", {{"VpcId", id}, {"Attribute", "enableDnsHostnames"}});
  EXPECT_EQ(attr["EnableDnsHostnames"]["Value"], false);
  call("ModifyVpcAttribute", {{"VpcId", id}, {"EnableDnsHostnames", {{"Value", true}}}});
  attr = call("DescribeVpcAttribute", {{"VpcId", id}, {"Attribute", "enableDnsHostnames"}});
  EXPECT_EQ(attr["EnableDnsHostnames"]["Value"], true);
}

TEST_F(Ec2VpcTest, DefaultVpcPerRegionOnFirstUse) {
  auto vpcs = call("DescribeVpcs", {{"Filters", filter("is-default", "true")}})["Vpcs"];
  ASSERT_EQ(vpcs.size(), 1u);
  EXPECT_EQ(vpcs[0]["CidrBlock"], "172.31.0.0/16");
  auto subnets = call("DescribeSubnets", {{"Filters", filter("default-for-az", "true")}})["Subnets"];
  EXPECT_EQ(subnets.size(), 6u);  // us-east-1 has six zones
  for (const auto& s : subnets) EXPECT_EQ(s["AvailableIpAddressCount"], 4091);
  auto main = call("DescribeRouteTables", {{"Filters", filter("association.main", "true")}})["RouteTables"];
  ASSERT_EQ(main.size(), 1u);
  EXPECT_EQ(main[0]["Routes"][1]["DestinationCidrBlock"], "0.0.0.0/0");
  EXPECT_TRUE(main[0]["Routes"][1]["GatewayId"].get<std::string>().rfind("igw-", 0) == 0);
  EXPECT_EQ(fails("CreateDefaultVpc", Json::object()).code, "DefaultVpcAlreadyExists");
  // Another region has its own.
  ctx.region = "eu-west-1";
  auto other = call("DescribeVpcs")["Vpcs"];
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(other[0]["VpcId"], vpcs[0]["VpcId"]);
}

TEST_F(Ec2VpcTest, SubnetRulesAndAddressCount) {
  std::string v = vpc("10.1.0.0/16");
  auto s = call("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.1.0.0/24"}, {"AvailabilityZone", "us-east-1c"}})["Subnet"];
  EXPECT_EQ(s["AvailableIpAddressCount"], 251);
  EXPECT_EQ(s["AvailabilityZoneId"], "use1-az2");
  EXPECT_EQ(fails("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.1.0.0/25"}}).code, "InvalidSubnet.Conflict");
  EXPECT_EQ(fails("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.2.0.0/24"}}).code, "InvalidSubnet.Range");
  EXPECT_EQ(fails("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.1.1.0/29"}}).code, "InvalidSubnet.Range");
  EXPECT_EQ(fails("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.1.1.0/33"}}).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateSubnet", {{"VpcId", "vpc-12345678"}, {"CidrBlock", "10.1.1.0/24"}}).code, "InvalidVpcID.NotFound");
  call("ModifySubnetAttribute", {{"SubnetId", s["SubnetId"]}, {"MapPublicIpOnLaunch", {{"Value", true}}}});
  auto got = call("DescribeSubnets", {{"SubnetIds", {s["SubnetId"]}}})["Subnets"][0];
  EXPECT_EQ(got["MapPublicIpOnLaunch"], true);
  auto tiny = call("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.1.2.0/28"}})["Subnet"];
  EXPECT_EQ(tiny["AvailableIpAddressCount"], 11);
}

TEST_F(Ec2VpcTest, DeleteOrderAndDependencies) {
  std::string v = vpc("10.3.0.0/16");
  std::string s = subnet(v, "10.3.1.0/24");
  AwsError e = fails("DeleteVpc", {{"VpcId", v}});
  EXPECT_EQ(e.code, "DependencyViolation");
  EXPECT_EQ(std::string(e.what()), "The vpc '" + v + "' has dependencies and cannot be deleted.");
  call("DeleteSubnet", {{"SubnetId", s}});
  call("DeleteVpc", {{"VpcId", v}});
  e = fails("DescribeVpcs", {{"VpcIds", {v}}});
  EXPECT_EQ(e.code, "InvalidVpcID.NotFound");
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(fails("DescribeVpcs", {{"VpcIds", {"bogus"}}}).code, "InvalidVpcID.Malformed");
}

TEST_F(Ec2VpcTest, SecurityGroupRulesAndIds) {
  std::string v = vpc("10.4.0.0/16");
  std::string sg = call("CreateSecurityGroup", {{"GroupName", "web"}, {"Description", "web"}, {"VpcId", v}})["GroupId"];
  auto out = call("AuthorizeSecurityGroupIngress",
                  {{"GroupId", sg},
                   {"IpPermissions",
                    {{{"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22},
                      {"IpRanges", {{{"CidrIp", "203.0.113.7/32"}, {"Description", "admin"}}}}}}}});
  std::string rule = out["SecurityGroupRules"][0]["SecurityGroupRuleId"];
  EXPECT_TRUE(std::regex_match(rule, std::regex("sgr-[0-9a-f]{17}")));
  EXPECT_EQ(fails("AuthorizeSecurityGroupIngress",
                  {{"GroupId", sg}, {"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22}, {"CidrIp", "203.0.113.7/32"}})
                .code,
            "InvalidPermission.Duplicate");
  auto group = call("DescribeSecurityGroups", {{"GroupIds", {sg}}})["SecurityGroups"][0];
  EXPECT_EQ(group["IpPermissions"][0]["IpRanges"][0]["Description"], "admin");
  auto rules = call("DescribeSecurityGroupRules", {{"SecurityGroupRuleIds", {rule}}})["SecurityGroupRules"];
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["IsEgress"], false);
  call("RevokeSecurityGroupIngress", {{"GroupId", sg}, {"SecurityGroupRuleIds", {rule}}});
  EXPECT_EQ(call("DescribeSecurityGroups", {{"GroupIds", {sg}}})["SecurityGroups"][0]["IpPermissions"].size(), 0u);
  EXPECT_EQ(fails("DescribeSecurityGroupRules", {{"SecurityGroupRuleIds", {rule}}}).code,
            "InvalidSecurityGroupRuleId.NotFound");
  EXPECT_EQ(fails("CreateSecurityGroup", {{"GroupName", "default"}, {"Description", "x"}, {"VpcId", v}}).code,
            "InvalidParameterValue");
  call("DeleteSecurityGroup", {{"GroupId", sg}});
  EXPECT_EQ(fails("DescribeSecurityGroups", {{"GroupIds", {sg}}}).code, "InvalidGroup.NotFound");
}

TEST_F(Ec2VpcTest, NetworkAclEntries) {
  std::string v = vpc("10.5.0.0/16");
  std::string acl = call("CreateNetworkAcl", {{"VpcId", v}})["NetworkAcl"]["NetworkAclId"];
  Json entry = {{"NetworkAclId", acl}, {"RuleNumber", 100}, {"Protocol", "tcp"}, {"RuleAction", "allow"},
                {"Egress", false},    {"CidrBlock", "0.0.0.0/0"}, {"PortRange", {{"From", 443}, {"To", 443}}}};
  call("CreateNetworkAclEntry", entry);
  EXPECT_EQ(fails("CreateNetworkAclEntry", entry).code, "NetworkAclEntryAlreadyExists");
  auto got = call("DescribeNetworkAcls", {{"NetworkAclIds", {acl}}})["NetworkAcls"][0];
  EXPECT_EQ(got["IsDefault"], false);
  EXPECT_EQ(got["Entries"].size(), 3u);
  auto found = call("DescribeNetworkAcls", {{"Filters", filter("entry.port-range.from", "443")}})["NetworkAcls"];
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["Entries"][1]["Protocol"], "6");
  call("DeleteNetworkAclEntry", {{"NetworkAclId", acl}, {"RuleNumber", 100}, {"Egress", false}});
  call("DeleteNetworkAcl", {{"NetworkAclId", acl}});
}

TEST_F(Ec2VpcTest, NatGatewayFollowsTheServerClock) {
  std::string v = vpc("10.7.0.0/16");
  std::string s = subnet(v, "10.7.1.0/24");
  std::string alloc = call("AllocateAddress", {{"Domain", "vpc"}})["AllocationId"];
  // Without an internet gateway the gateway fails, as on AWS, and lets go of its address.
  std::string failed = call("CreateNatGateway", {{"SubnetId", s}, {"AllocationId", alloc}})["NatGateway"]["NatGatewayId"];
  core.clock().advance(std::chrono::seconds(10));
  auto f = call("DescribeNatGateways", {{"NatGatewayIds", {failed}}})["NatGateways"][0];
  EXPECT_EQ(f["State"], "failed");
  EXPECT_EQ(f["FailureCode"], "Gateway.NotAttached");
  std::string igw = call("CreateInternetGateway")["InternetGateway"]["InternetGatewayId"];
  call("AttachInternetGateway", {{"InternetGatewayId", igw}, {"VpcId", v}});
  auto nat = call("CreateNatGateway", {{"SubnetId", s}, {"AllocationId", alloc}})["NatGateway"];
  EXPECT_EQ(nat["State"], "pending");
  std::string id = nat["NatGatewayId"];
  core.clock().advance(std::chrono::seconds(10));
  EXPECT_EQ(call("DescribeNatGateways", {{"NatGatewayIds", {id}}})["NatGateways"][0]["State"], "available");
  EXPECT_EQ(fails("ReleaseAddress", {{"AllocationId", alloc}}).code, "InvalidIPAddress.InUse");
  call("DeleteNatGateway", {{"NatGatewayId", id}});
  EXPECT_EQ(call("DescribeNatGateways", {{"NatGatewayIds", {id}}})["NatGateways"][0]["State"], "deleting");
  core.clock().advance(std::chrono::seconds(10));
  core.tick();
  EXPECT_EQ(call("DescribeNatGateways", {{"NatGatewayIds", {id}}})["NatGateways"][0]["State"], "deleted");
  EXPECT_EQ(call("DescribeNatGateways", {{"Filter", filter("state", "available")}})["NatGateways"].size(), 0u);
  call("ReleaseAddress", {{"AllocationId", alloc}});
  core.clock().advance(std::chrono::hours(2));
  EXPECT_EQ(fails("DescribeNatGateways", {{"NatGatewayIds", {id}}}).code, "NatGatewayNotFound");
}

TEST_F(Ec2VpcTest, TagsAcrossResourcesAndTagSpecifications) {
  Json in = {{"CidrBlock", "10.8.0.0/16"},
             {"TagSpecifications", {{{"ResourceType", "vpc"}, {"Tags", {{{"Key", "Name"}, {"Value", "main"}}}}}}}};
  std::string v = call("CreateVpc", in)["Vpc"]["VpcId"];
  std::string s = subnet(v, "10.8.1.0/24");
  call("CreateTags", {{"Resources", {v, s}}, {"Tags", {{{"Key", "env"}, {"Value", "prod"}}}}});
  auto tags = call("DescribeTags", {{"Filters", filter("key", "env")}})["Tags"];
  EXPECT_EQ(tags.size(), 2u);
  EXPECT_EQ(call("DescribeVpcs", {{"Filters", filter("tag:Name", "ma*")}})["Vpcs"].size(), 1u);
  EXPECT_EQ(call("DescribeSubnets", {{"Filters", filter("tag-value", "prod")}})["Subnets"].size(), 1u);
  call("DeleteTags", {{"Resources", {s}}, {"Tags", {{{"Key", "env"}}}}});
  EXPECT_EQ(call("DescribeSubnets", {{"Filters", filter("tag-key", "env")}})["Subnets"].size(), 0u);
  EXPECT_EQ(fails("CreateTags", {{"Resources", {"vpc-0123456789abcdef0"}}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}}).code,
            "InvalidVpcID.NotFound");
  EXPECT_EQ(fails("DescribeVpcs", {{"Filters", filter("nope", "x")}}).code, "InvalidParameterValue");
}

TEST_F(Ec2VpcTest, DryRun) {
  AwsError e = fails("CreateVpc", {{"CidrBlock", "10.9.0.0/16"}, {"DryRun", true}});
  EXPECT_EQ(e.code, "DryRunOperation");
  EXPECT_EQ(e.http_status, 412);
}

TEST_F(Ec2VpcTest, ModifyRulesDescriptionsAndSubnetIpv6) {
  std::string v = call("CreateVpc", {{"CidrBlock", "10.11.0.0/16"}, {"AmazonProvidedIpv6CidrBlock", true}})["Vpc"]["VpcId"];
  std::string sg = call("CreateSecurityGroup", {{"GroupName", "m"}, {"Description", "m"}, {"VpcId", v}})["GroupId"];
  // With an IPv6 block, new groups also allow all IPv6 egress.
  auto eg = call("DescribeSecurityGroups", {{"GroupIds", {sg}}})["SecurityGroups"][0]["IpPermissionsEgress"];
  ASSERT_EQ(eg.size(), 1u);
  EXPECT_EQ(eg[0]["Ipv6Ranges"][0]["CidrIpv6"], "::/0");
  auto out = call("AuthorizeSecurityGroupIngress", {{"GroupId", sg}, {"IpProtocol", "tcp"}, {"FromPort", 80},
                                                    {"ToPort", 80}, {"CidrIp", "10.0.0.0/8"}});
  std::string rule = out["SecurityGroupRules"][0]["SecurityGroupRuleId"];
  call("ModifySecurityGroupRules",
       {{"GroupId", sg},
        {"SecurityGroupRules",
         {{{"SecurityGroupRuleId", rule},
           {"SecurityGroupRule", {{"IpProtocol", "tcp"}, {"FromPort", 443}, {"ToPort", 443}, {"CidrIpv4", "10.0.0.0/8"},
                                  {"Description", "tls"}}}}}}});
  auto got = call("DescribeSecurityGroupRules", {{"SecurityGroupRuleIds", {rule}}})["SecurityGroupRules"][0];
  EXPECT_EQ(got["FromPort"], 443);
  EXPECT_EQ(got["Description"], "tls");
  call("UpdateSecurityGroupRuleDescriptionsIngress",
       {{"GroupId", sg}, {"SecurityGroupRuleDescriptions", {{{"SecurityGroupRuleId", rule}, {"Description", "https"}}}}});
  got = call("DescribeSecurityGroupRules", {{"SecurityGroupRuleIds", {rule}}})["SecurityGroupRules"][0];
  EXPECT_EQ(got["Description"], "https");
  std::string block = call("DescribeVpcs", {{"VpcIds", {v}}})["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"];
  std::string s64 = block.substr(0, block.find("::")) + "::/64";
  std::string s = subnet(v, "10.11.1.0/24");
  auto assoc = call("AssociateSubnetCidrBlock", {{"SubnetId", s}, {"Ipv6CidrBlock", s64}});
  EXPECT_EQ(assoc["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"], s64);
  call("ModifySubnetAttribute", {{"SubnetId", s}, {"AssignIpv6AddressOnCreation", {{"Value", true}}}});
  call("DisassociateSubnetCidrBlock", {{"AssociationId", assoc["Ipv6CidrBlockAssociation"]["AssociationId"]}});
  EXPECT_EQ(call("DescribeSubnets", {{"SubnetIds", {s}}})["Subnets"][0]["Ipv6CidrBlockAssociationSet"].size(), 0u);
}

TEST_F(Ec2VpcTest, InterfaceEndpointTakesAddressesAndBlocksSubnetDeletion) {
  std::string v = vpc("10.12.0.0/16");
  call("ModifyVpcAttribute", {{"VpcId", v}, {"EnableDnsHostnames", {{"Value", true}}}});
  std::string s = call("CreateSubnet", {{"VpcId", v}, {"CidrBlock", "10.12.1.0/24"}})["Subnet"]["SubnetId"];
  auto ep = call("CreateVpcEndpoint", {{"VpcId", v}, {"VpcEndpointType", "Interface"},
                                       {"ServiceName", "com.amazonaws.us-east-1.secretsmanager"}, {"SubnetIds", {s}}})["VpcEndpoint"];
  ASSERT_EQ(ep["NetworkInterfaceIds"].size(), 1u);
  EXPECT_EQ(ep["Groups"].size(), 1u);  // the VPC's default group
  EXPECT_EQ(call("DescribeSubnets", {{"SubnetIds", {s}}})["Subnets"][0]["AvailableIpAddressCount"], 250);
  auto enis = call("DescribeNetworkInterfaces", {{"Filters", filter("subnet-id", s)}})["NetworkInterfaces"];
  ASSERT_EQ(enis.size(), 1u);
  EXPECT_EQ(enis[0]["InterfaceType"], "vpc_endpoint");
  EXPECT_EQ(fails("DeleteSubnet", {{"SubnetId", s}}).code, "DependencyViolation");
  call("DeleteVpcEndpoints", {{"VpcEndpointIds", {ep["VpcEndpointId"]}}});
  call("DeleteSubnet", {{"SubnetId", s}});
  EXPECT_EQ(fails("CreateVpcEndpoint", {{"VpcId", v}, {"ServiceName", "com.amazonaws.us-east-1.nothing"}}).code,
            "InvalidServiceName");
}

TEST_F(Ec2VpcTest, NetworkInterfacesOfOnesOwn) {
  std::string v = vpc("10.13.0.0/16");
  std::string s = subnet(v, "10.13.1.0/24");
  std::string sg = call("CreateSecurityGroup", {{"GroupName", "e"}, {"Description", "e"}, {"VpcId", v}})["GroupId"];
  auto eni = call("CreateNetworkInterface", {{"SubnetId", s}, {"PrivateIpAddress", "10.13.1.50"}, {"Groups", {sg}}})["NetworkInterface"];
  EXPECT_EQ(eni["PrivateIpAddress"], "10.13.1.50");
  EXPECT_EQ(eni["Status"], "available");
  EXPECT_EQ(call("DescribeSubnets", {{"SubnetIds", {s}}})["Subnets"][0]["AvailableIpAddressCount"], 250);
  EXPECT_EQ(fails("CreateNetworkInterface", {{"SubnetId", s}, {"PrivateIpAddress", "10.13.1.50"}}).code,
            "InvalidIPAddress.InUse");
  EXPECT_EQ(fails("CreateNetworkInterface", {{"SubnetId", s}, {"PrivateIpAddress", "10.13.1.2"}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(fails("DeleteSecurityGroup", {{"GroupId", sg}}).code, "DependencyViolation");
  EXPECT_EQ(fails("DeleteSubnet", {{"SubnetId", s}}).code, "DependencyViolation");
  call("ModifyNetworkInterfaceAttribute", {{"NetworkInterfaceId", eni["NetworkInterfaceId"]}, {"SourceDestCheck", {{"Value", false}}}});
  auto got = call("DescribeNetworkInterfaces", {{"NetworkInterfaceIds", {eni["NetworkInterfaceId"]}}})["NetworkInterfaces"][0];
  EXPECT_EQ(got["SourceDestCheck"], false);
  call("DeleteNetworkInterface", {{"NetworkInterfaceId", eni["NetworkInterfaceId"]}});
  EXPECT_EQ(call("DescribeSubnets", {{"SubnetIds", {s}}})["Subnets"][0]["AvailableIpAddressCount"], 251);
  call("DeleteSecurityGroup", {{"GroupId", sg}});
  call("DeleteSubnet", {{"SubnetId", s}});
}

// Every operation answers an AWS error (never an internal failure) for empty or wrong-typed ids.
TEST_F(Ec2VpcTest, EveryOperationRefusesEmptyAndBogusInputCleanly) {
  const char* ops[] = {
      "CreateVpc", "DeleteVpc", "DescribeVpcAttribute", "ModifyVpcAttribute", "AssociateVpcCidrBlock",
      "DisassociateVpcCidrBlock", "CreateDhcpOptions", "DeleteDhcpOptions", "AssociateDhcpOptions", "CreateSubnet",
      "DeleteSubnet", "ModifySubnetAttribute", "AssociateSubnetCidrBlock", "DisassociateSubnetCidrBlock",
      "CreateNetworkInterface", "DeleteNetworkInterface", "ModifyNetworkInterfaceAttribute", "DeleteInternetGateway",
      "AttachInternetGateway", "DetachInternetGateway", "ReleaseAddress", "CreateNatGateway", "DeleteNatGateway",
      "CreateRouteTable", "DeleteRouteTable", "CreateRoute", "ReplaceRoute", "DeleteRoute", "AssociateRouteTable",
      "DisassociateRouteTable", "ReplaceRouteTableAssociation", "CreateSecurityGroup", "DeleteSecurityGroup",
      "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
      "RevokeSecurityGroupEgress", "ModifySecurityGroupRules", "CreateNetworkAcl", "DeleteNetworkAcl",
      "CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation",
      "CreateVpcEndpoint", "ModifyVpcEndpoint", "GetManagedPrefixListEntries", "CreateTags", "DeleteTags"};
  const Json bogus[] = {
      Json::object(),
      {{"VpcId", "vpc-0123456789abcdef0"}, {"SubnetId", "subnet-0123456789abcdef0"}, {"GroupId", "sg-0123456789abcdef0"},
       {"RouteTableId", "rtb-0123456789abcdef0"}, {"NetworkAclId", "acl-0123456789abcdef0"},
       {"InternetGatewayId", "igw-0123456789abcdef0"}, {"NatGatewayId", "nat-0123456789abcdef0"},
       {"AllocationId", "eipalloc-0123456789abcdef0"}, {"VpcEndpointId", "vpce-0123456789abcdef0"},
       {"NetworkInterfaceId", "eni-0123456789abcdef0"}, {"DhcpOptionsId", "dopt-0123456789abcdef0"},
       {"AssociationId", "rtbassoc-0123456789abcdef0"}, {"PrefixListId", "pl-00000000"}, {"CidrBlock", "10.0.0.0/16"},
       {"Resources", {"vpc-0123456789abcdef0"}}, {"Tags", {{{"Key", "a"}, {"Value", "b"}}}}, {"RuleNumber", 5},
       {"Protocol", "-1"}, {"RuleAction", "allow"}, {"Egress", false}, {"DestinationCidrBlock", "0.0.0.0/0"},
       {"GatewayId", "igw-0123456789abcdef0"}, {"ServiceName", "com.amazonaws.us-east-1.s3"},
       {"GroupName", "g"}, {"Description", "d"}, {"Attribute", "enableDnsSupport"}}};
  for (const char* op : ops)
    for (const auto& in : bogus) {
      try {
        call(op, in);
      } catch (const AwsError& e) {
        EXPECT_LT(e.http_status, 500) << op << " " << e.code << ": " << e.what();
      } catch (const std::exception& e) {
        ADD_FAILURE() << op << " threw a non-AWS error: " << e.what();
      }
    }
}

TEST_F(Ec2VpcTest, CustomerManagedPrefixLists) {
  auto pl = call("CreateManagedPrefixList", {{"PrefixListName", "office"}, {"AddressFamily", "IPv4"}, {"MaxEntries", 3},
                                             {"Entries", {{{"Cidr", "203.0.113.0/24"}, {"Description", "hq"}}}}})["PrefixList"];
  std::string id = pl["PrefixListId"];
  EXPECT_EQ(pl["Version"], 1);
  auto lists = call("DescribeManagedPrefixLists", {{"Filters", filter("owner-id", "000000000000")}})["PrefixLists"];
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0]["State"], "create-complete");
  EXPECT_EQ(call("DescribeManagedPrefixLists", {{"Filters", filter("owner-id", "AWS")}})["PrefixLists"].size(), 2u);
  auto mod = call("ModifyManagedPrefixList", {{"PrefixListId", id}, {"CurrentVersion", 1},
                                              {"AddEntries", {{{"Cidr", "198.51.100.0/24"}}}}})["PrefixList"];
  EXPECT_EQ(mod["Version"], 2);
  EXPECT_EQ(fails("ModifyManagedPrefixList", {{"PrefixListId", id}, {"CurrentVersion", 1},
                                              {"AddEntries", {{{"Cidr", "192.0.2.0/24"}}}}}).code,
            "PrefixListVersionMismatch");
  EXPECT_EQ(call("GetManagedPrefixListEntries", {{"PrefixListId", id}})["Entries"].size(), 2u);
  std::string v = vpc("10.14.0.0/16");
  std::string sg = call("CreateSecurityGroup", {{"GroupName", "p"}, {"Description", "p"}, {"VpcId", v}})["GroupId"];
  call("AuthorizeSecurityGroupIngress", {{"GroupId", sg},
                                         {"IpPermissions", {{{"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22},
                                                             {"PrefixListIds", {{{"PrefixListId", id}}}}}}}});
  EXPECT_EQ(fails("AuthorizeSecurityGroupIngress",
                  {{"GroupId", sg},
                   {"IpPermissions", {{{"IpProtocol", "tcp"}, {"FromPort", 22}, {"ToPort", 22},
                                       {"PrefixListIds", {{{"PrefixListId", "pl-0123456789abcdef0"}}}}}}}})
                .code,
            "InvalidPrefixListID.NotFound");
  EXPECT_EQ(fails("DeleteManagedPrefixList", {{"PrefixListId", id}}).code, "InvalidPrefixListModification");
  call("DeleteSecurityGroup", {{"GroupId", sg}});
  call("DeleteManagedPrefixList", {{"PrefixListId", id}});
  EXPECT_EQ(fails("GetManagedPrefixListEntries", {{"PrefixListId", id}}).code, "InvalidPrefixListID.NotFound");
}

TEST_F(Ec2VpcTest, EgressOnlyGatewayAndIpv6Routes) {
  std::string v = call("CreateVpc", {{"CidrBlock", "10.15.0.0/16"}, {"AmazonProvidedIpv6CidrBlock", true}})["Vpc"]["VpcId"];
  std::string eigw = call("CreateEgressOnlyInternetGateway", {{"VpcId", v}})["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"];
  std::string rtb = call("CreateRouteTable", {{"VpcId", v}})["RouteTable"]["RouteTableId"];
  call("CreateRoute", {{"RouteTableId", rtb}, {"DestinationIpv6CidrBlock", "::/0"}, {"EgressOnlyInternetGatewayId", eigw}});
  auto routes = call("DescribeRouteTables", {{"RouteTableIds", {rtb}}})["RouteTables"][0]["Routes"];
  ASSERT_EQ(routes.size(), 3u);  // local IPv4, local IPv6, ::/0
  EXPECT_EQ(routes[2]["EgressOnlyInternetGatewayId"], eigw);
  EXPECT_EQ(fails("CreateRoute", {{"RouteTableId", rtb}, {"DestinationIpv6CidrBlock", "::/0"},
                                  {"EgressOnlyInternetGatewayId", eigw}}).code,
            "RouteAlreadyExists");
  EXPECT_EQ(fails("DeleteVpc", {{"VpcId", v}}).code, "DependencyViolation");
  call("DeleteRoute", {{"RouteTableId", rtb}, {"DestinationIpv6CidrBlock", "::/0"}});
  EXPECT_EQ(call("DeleteEgressOnlyInternetGateway", {{"EgressOnlyInternetGatewayId", eigw}})["ReturnCode"], true);
  call("DeleteRouteTable", {{"RouteTableId", rtb}});
  call("DeleteVpc", {{"VpcId", v}});
}

TEST_F(Ec2VpcTest, VpcPeering) {
  std::string a = vpc("10.16.0.0/16"), b = vpc("10.17.0.0/16"), c = vpc("10.16.0.0/20");
  auto pcx = call("CreateVpcPeeringConnection", {{"VpcId", a}, {"PeerVpcId", b}})["VpcPeeringConnection"];
  std::string id = pcx["VpcPeeringConnectionId"];
  EXPECT_EQ(pcx["Status"]["Code"], "initiating-request");
  EXPECT_EQ(call("DescribeVpcPeeringConnections", {{"VpcPeeringConnectionIds", {id}}})["VpcPeeringConnections"][0]["Status"]["Code"],
            "pending-acceptance");
  std::string rtb = call("DescribeRouteTables", {{"Filters", filter("vpc-id", a)}})["RouteTables"][0]["RouteTableId"];
  EXPECT_EQ(fails("CreateRoute", {{"RouteTableId", rtb}, {"DestinationCidrBlock", "10.17.0.0/16"},
                                  {"VpcPeeringConnectionId", id}}).code,
            "InvalidParameterValue");
  call("AcceptVpcPeeringConnection", {{"VpcPeeringConnectionId", id}});
  auto got = call("DescribeVpcPeeringConnections", {{"Filters", filter("status-code", "active")}})["VpcPeeringConnections"];
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["AccepterVpcInfo"]["CidrBlock"], "10.17.0.0/16");
  call("CreateRoute", {{"RouteTableId", rtb}, {"DestinationCidrBlock", "10.17.0.0/16"}, {"VpcPeeringConnectionId", id}});
  call("DeleteVpcPeeringConnection", {{"VpcPeeringConnectionId", id}});
  auto routes = call("DescribeRouteTables", {{"RouteTableIds", {rtb}}})["RouteTables"][0]["Routes"];
  EXPECT_EQ(routes[1]["State"], "blackhole");
  EXPECT_EQ(call("DescribeVpcPeeringConnections", {{"VpcPeeringConnectionIds", {id}}})["VpcPeeringConnections"][0]["Status"]["Code"],
            "deleted");
  auto overlap = call("CreateVpcPeeringConnection", {{"VpcId", a}, {"PeerVpcId", c}})["VpcPeeringConnection"];
  EXPECT_EQ(call("DescribeVpcPeeringConnections", {{"VpcPeeringConnectionIds", {overlap["VpcPeeringConnectionId"]}}})
                ["VpcPeeringConnections"][0]["Status"]["Code"],
            "failed");
}

TEST(Ec2VpcDurability, RestartRebuildsState) {
  std::string dir = std::filesystem::temp_directory_path() / ("cloudbox-ec2-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string v, sg;
  {
    Core core{Options{.state_dir = dir}};
    RequestContext ctx{core};
    ctx.account_id = "000000000000";
    ctx.region = "us-west-2";
    v = core.invoke(ctx, "ec2", "CreateVpc", {{"CidrBlock", "10.0.0.0/20"}})["Vpc"]["VpcId"];
    sg = core.invoke(ctx, "ec2", "CreateSecurityGroup", {{"GroupName", "a"}, {"Description", "a"}, {"VpcId", v}})["GroupId"];
  }
  {
    Core core{Options{.state_dir = dir}};
    RequestContext ctx{core};
    ctx.account_id = "000000000000";
    ctx.region = "us-west-2";
    auto vpcs = core.invoke(ctx, "ec2", "DescribeVpcs", Json::object())["Vpcs"];
    EXPECT_EQ(vpcs.size(), 2u);  // the default VPC and ours, nothing made twice
    auto g = core.invoke(ctx, "ec2", "DescribeSecurityGroups", {{"GroupIds", {sg}}})["SecurityGroups"][0];
    EXPECT_EQ(g["IpPermissionsEgress"][0]["IpRanges"][0]["CidrIp"], "0.0.0.0/0");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cloudbox
