// EC2 compute through Core::invoke: key pairs and their fingerprints (known vectors), images and instance
// types, RunInstances checks, the instance lifecycle on a moved server clock, Elastic IP association rules,
// and the instance metadata service answered without sockets.
#include <gtest/gtest.h>

#include <regex>

#include "core/common/encoding.h"
#include "core/core.h"
#include "services/ec2/keys.h"
#include "services/ec2/service.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox {
namespace {

const char* kRsaPub =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC5AXFcYXLgBzHlFJn4ngfprbROs6911tJY2TEHYEJmr9r/LBpsFBL+Am+dYmgDsw+V/SycSLsgkgcbH1djSu9dt1ZbN6MJgPzNUocZiStfyM90EVQ8x7pT97HmQr2ml4R18WRcjdKyklYIHYmBWuMVCsW9YtD8C6HNwdGCSRKtgtq/z0nlu/5gIBnx8JEiMG+Pmy7BAS5qFX1T+M8tspKsoq8aOg3LaAkKhs2vztcLfUpT4pAUrVOHSJT8FcALpo2nETBaZfr5uhYYMxDRJaCBkz8eoLeZYyZhVJDBFN2D7FSpNYr+i8vgJ7nQfnVCARuxVg/E0Dkcazoh5qVeAkId test";
// ssh-keygen -e -f k.pub -m pkcs8 | openssl pkey -pubin -outform der | openssl md5 -c
const char* kRsaPubMd5 = "10:49:37:f4:1c:4d:82:d6:39:b7:80:a6:a9:cd:ae:f3";
const char* kEdPub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIORO8wlMTMW1/B7yFoBCWGqryNP646gwum08e5oj06ns test";
// ssh-keygen -lf k.pub → SHA256:lpg3…B3c; AWS shows the padded base64 without the prefix.
const char* kEdSha256 = "lpg3zcUEIKt+7MmT0FHhbYR0xlN31IlDNW2V2gexB3c=";

class Ec2ComputeTest : public ::testing::Test {
 protected:
  Core core{Options{.ephemeral = true}};
  RequestContext ctx{core};

  void SetUp() override {
    ctx.account_id = "000000000000";
    ctx.region = "us-west-2";
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
  void advance(int seconds) {
    core.clock().advance(std::chrono::seconds(seconds));
    core.tick();
  }
  std::string image(const std::string& name_pattern) {
    auto imgs = call("DescribeImages", {{"Filters", {{{"Name", "name"}, {"Values", {name_pattern}}}}}})["Images"];
    EXPECT_FALSE(imgs.empty()) << name_pattern;
    return imgs.empty() ? "" : imgs[0]["ImageId"].get<std::string>();
  }
  std::string ubuntu_arm() { return image("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-20240701"); }
  Json run(const Json& extra = Json::object()) {
    Json in = {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 1}, {"MaxCount", 1}};
    for (auto& [k, v] : extra.items()) in[k] = v;
    return call("RunInstances", in)["Instances"][0];
  }
  Json describe(const std::string& id) {
    return call("DescribeInstances", {{"InstanceIds", {id}}})["Reservations"][0]["Instances"][0];
  }
  ec2::Ec2Service& svc() { return *static_cast<ec2::Ec2Service*>(core.service("ec2")); }
};

TEST(Ec2Keys, ImportedRsaFingerprintIsMd5OfDerPublicKey) {
  auto k = ec2::parse_openssh_public_key(kRsaPub);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->type, "rsa");
  EXPECT_EQ(k->fingerprint, kRsaPubMd5);
  EXPECT_EQ(k->bits, 2048);
}

TEST(Ec2Keys, Ed25519FingerprintIsPaddedBase64Sha256) {
  auto k = ec2::parse_openssh_public_key(kEdPub);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->type, "ed25519");
  EXPECT_EQ(k->fingerprint, kEdSha256);
}

TEST(Ec2Keys, CreatedRsaFingerprintIsSha1OfPkcs8) {
  // openssl pkcs8 -in k.pem -inform PEM -outform DER -topk8 -nocrypt | openssl sha1 -c
  const std::string pem =
      "-----BEGIN RSA PRIVATE KEY-----\n" + std::string(
#include "ec2_compute_test_key.inc"
      ) + "-----END RSA PRIVATE KEY-----\n";
  EXPECT_EQ(ec2::rsa_created_fingerprint_from_pem(pem), "d1:bc:95:cc:91:f1:cb:48:1f:65:eb:e7:f5:66:97:3b:d9:2d:cc:52");
  auto made = ec2::generate_key("rsa");
  EXPECT_EQ(made.private_key.rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(ec2::rsa_created_fingerprint_from_pem(made.private_key), made.fingerprint);
  EXPECT_EQ(made.fingerprint.size(), 59u);
  // The public half parses back.
  EXPECT_TRUE(ec2::parse_openssh_public_key(made.public_openssh));
}

TEST(Ec2Keys, RejectsGarbage) {
  EXPECT_FALSE(ec2::parse_openssh_public_key("not a key"));
  EXPECT_FALSE(ec2::parse_openssh_public_key("ssh-rsa AAAA"));
  EXPECT_FALSE(ec2::parse_openssh_public_key("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC5"));
}

TEST_F(Ec2ComputeTest, KeyPairsCreateImportDescribeDelete) {
  auto rsa = call("CreateKeyPair", {{"KeyName", "a"}});
  EXPECT_TRUE(std::regex_match(rsa["KeyPairId"].get<std::string>(), std::regex("key-[0-9a-f]{17}")));
  EXPECT_EQ(rsa["KeyFingerprint"].get<std::string>().size(), 59u);
  auto ed = call("CreateKeyPair", {{"KeyName", "b"}, {"KeyType", "ed25519"}});
  EXPECT_EQ(ed["KeyMaterial"].get<std::string>().rfind("-----BEGIN OPENSSH PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(ed["KeyFingerprint"].get<std::string>().size(), 44u);
  EXPECT_EQ(fails("CreateKeyPair", {{"KeyName", "a"}}).code, "InvalidKeyPair.Duplicate");
  auto imp = call("ImportKeyPair", {{"KeyName", "c"}, {"PublicKeyMaterial", kRsaPub}});
  EXPECT_EQ(imp["KeyFingerprint"], kRsaPubMd5);
  EXPECT_EQ(fails("ImportKeyPair", {{"KeyName", "d"}, {"PublicKeyMaterial", "hello"}}).code, "InvalidKey.Format");
  EXPECT_EQ(fails("ImportKeyPair", {{"KeyName", "c"}, {"PublicKeyMaterial", kEdPub}}).code, "InvalidKeyPair.Duplicate");
  auto all = call("DescribeKeyPairs")["KeyPairs"];
  EXPECT_EQ(all.size(), 3u);
  auto one = call("DescribeKeyPairs", {{"Filters", {{{"Name", "key-type"}, {"Values", {"ed25519"}}}}}})["KeyPairs"];
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["KeyName"], "b");
  auto err = fails("DescribeKeyPairs", {{"KeyNames", {"nope"}}});
  EXPECT_EQ(err.code, "InvalidKeyPair.NotFound");
  EXPECT_STREQ(err.what(), "The key pair 'nope' does not exist");
  call("DeleteKeyPair", {{"KeyName", "a"}});
  call("DeleteKeyPair", {{"KeyName", "a"}});  // idempotent
  EXPECT_EQ(call("DescribeKeyPairs")["KeyPairs"].size(), 2u);
}

TEST_F(Ec2ComputeTest, ImagesAndTypes) {
  auto mine = call("DescribeImages", {{"Owners", {"amazon"}}, {"Filters", {{{"Name", "architecture"}, {"Values", {"arm64"}}}}}})["Images"];
  ASSERT_FALSE(mine.empty());
  for (const auto& i : mine) {
    EXPECT_EQ(i["ImageOwnerAlias"], "amazon");
    EXPECT_EQ(i["Architecture"], "arm64");
  }
  auto ubuntu = call("DescribeImages", {{"Owners", {"099720109477"}},
                                        {"Filters", {{{"Name", "name"}, {"Values", {"ubuntu/images/*noble-24.04-arm64*"}}}}}})["Images"];
  EXPECT_EQ(ubuntu.size(), 2u);
  EXPECT_EQ(fails("DescribeImages", {{"ImageIds", {"ami-0123456789abcdef0"}}}).code, "InvalidAMIID.NotFound");
  EXPECT_EQ(fails("DescribeImages", {{"ImageIds", {"ubuntu"}}}).code, "InvalidAMIID.Malformed");
  auto types = call("DescribeInstanceTypes", {{"InstanceTypes", {"t4g.small", "t2.small"}}})["InstanceTypes"];
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0]["InstanceType"], "t2.small");
  EXPECT_EQ(types[1]["ProcessorInfo"]["SupportedArchitectures"][0], "arm64");
  EXPECT_EQ(types[1]["MemoryInfo"]["SizeInMiB"], 2048);
  auto offers = call("DescribeInstanceTypeOfferings",
                     {{"LocationType", "availability-zone"}, {"Filters", {{{"Name", "instance-type"}, {"Values", {"t4g.small"}}}}}});
  EXPECT_EQ(offers["InstanceTypeOfferings"].size(), 4u);  // us-west-2 has four zones
}

TEST_F(Ec2ComputeTest, ArchitectureMismatchRefusedAsAws) {
  auto e = fails("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t2.small"}, {"MinCount", 1}, {"MaxCount", 1}});
  EXPECT_EQ(e.code, "InvalidParameterValue");
  EXPECT_EQ(std::string(e.what()).rfind("The architecture 'x86_64,i386' of the specified instance type does not match the "
                                        "architecture 'arm64' of the specified AMI.", 0),
            0u)
      << e.what();
  EXPECT_EQ(call("DescribeInstances")["Reservations"].size(), 0u);
}

TEST_F(Ec2ComputeTest, LifecycleOnTheServerClock) {
  auto i = run();
  std::string id = i["InstanceId"];
  EXPECT_TRUE(std::regex_match(id, std::regex("i-[0-9a-f]{17}")));
  EXPECT_EQ(i["State"]["Name"], "pending");
  EXPECT_EQ(i["State"]["Code"], 0);
  EXPECT_FALSE(i["PublicIpAddress"].get<std::string>().empty());  // default subnet maps public IPs
  std::string eni = i["NetworkInterfaces"][0]["NetworkInterfaceId"];
  auto enis = call("DescribeNetworkInterfaces", {{"NetworkInterfaceIds", {eni}}})["NetworkInterfaces"];
  EXPECT_EQ(enis[0]["Attachment"]["InstanceId"], id);
  EXPECT_EQ(enis[0]["Status"], "in-use");
  auto vols = call("DescribeVolumes", {{"Filters", {{{"Name", "attachment.instance-id"}, {"Values", {id}}}}}})["Volumes"];
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_EQ(vols[0]["VolumeType"], "gp3");
  advance(10);
  EXPECT_EQ(describe(id)["State"]["Name"], "running");
  auto stop = call("StopInstances", {{"InstanceIds", {id}}})["StoppingInstances"][0];
  EXPECT_EQ(stop["PreviousState"]["Name"], "running");
  EXPECT_EQ(stop["CurrentState"]["Name"], "stopping");
  advance(10);
  auto d = describe(id);
  EXPECT_EQ(d["State"]["Name"], "stopped");
  EXPECT_FALSE(d.contains("PublicIpAddress"));  // released on stop
  EXPECT_EQ(d["StateReason"]["Code"], "Client.UserInitiatedShutdown");
  call("ModifyInstanceAttribute", {{"InstanceId", id}, {"DisableApiTermination", {{"Value", true}}}});
  call("StartInstances", {{"InstanceIds", {id}}});
  advance(10);
  d = describe(id);
  EXPECT_EQ(d["State"]["Name"], "running");
  EXPECT_FALSE(d["PublicIpAddress"].get<std::string>().empty());  // a new one on start
  EXPECT_EQ(fails("TerminateInstances", {{"InstanceIds", {id}}}).code, "OperationNotPermitted");
  call("ModifyInstanceAttribute", {{"InstanceId", id}, {"DisableApiTermination", {{"Value", false}}}});
  call("TerminateInstances", {{"InstanceIds", {id}}});
  advance(10);
  EXPECT_EQ(describe(id)["State"]["Name"], "terminated");
  EXPECT_EQ(call("DescribeNetworkInterfaces", {{"Filters", {{{"Name", "attachment.instance-id"}, {"Values", {id}}}}}})["NetworkInterfaces"].size(), 0u);
  EXPECT_EQ(call("DescribeVolumes", {{"Filters", {{{"Name", "attachment.instance-id"}, {"Values", {id}}}}}})["Volumes"].size(), 0u);
  advance(3700);
  EXPECT_EQ(fails("DescribeInstances", {{"InstanceIds", {id}}}).code, "InvalidInstanceID.NotFound");
}

TEST_F(Ec2ComputeTest, MissingIdsListedAsAws) {
  auto e = fails("TerminateInstances", {{"InstanceIds", {"i-0f5d8ccc56c69fae4", "i-0eecca434287a1a33"}}});
  EXPECT_EQ(e.code, "InvalidInstanceID.NotFound");
  EXPECT_STREQ(e.what(), "The instance IDs 'i-0f5d8ccc56c69fae4, i-0eecca434287a1a33' do not exist");
  e = fails("DescribeInstances", {{"InstanceIds", {"i-0f5d8ccc56c69fae4"}}});
  EXPECT_STREQ(e.what(), "The instance ID 'i-0f5d8ccc56c69fae4' does not exist");
  EXPECT_EQ(fails("DescribeInstances", {{"InstanceIds", {"instance-1"}}}).code, "InvalidInstanceID.Malformed");
  // Existing ids are not listed among the missing ones.
  std::string id = run()["InstanceId"];
  e = fails("StopInstances", {{"InstanceIds", {id, "i-0eecca434287a1a33"}}});
  EXPECT_STREQ(e.what(), "The instance ID 'i-0eecca434287a1a33' does not exist");
}

TEST_F(Ec2ComputeTest, NetworkChecksAndDependencies) {
  std::string vpc = call("CreateVpc", {{"CidrBlock", "10.1.0.0/16"}})["Vpc"]["VpcId"];
  std::string subnet = call("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.1.1.0/24"}})["Subnet"]["SubnetId"];
  std::string other_sg = call("DescribeSecurityGroups", {{"Filters", {{{"Name", "group-name"}, {"Values", {"default"}}},
                                                                      {{"Name", "vpc-id"}, {"Values", {call("DescribeVpcs", {{"Filters", {{{"Name", "is-default"}, {"Values", {"true"}}}}}})["Vpcs"][0]["VpcId"]}}}}}})["SecurityGroups"][0]["GroupId"];
  EXPECT_EQ(fails("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 1}, {"MaxCount", 1},
                                   {"SubnetId", subnet}, {"SecurityGroupIds", {other_sg}}}).code,
            "InvalidParameter");
  EXPECT_EQ(fails("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 1}, {"MaxCount", 1},
                                   {"KeyName", "missing"}}).code,
            "InvalidKeyPair.NotFound");
  auto i = run({{"SubnetId", subnet}, {"PrivateIpAddress", "10.1.1.50"}});
  EXPECT_EQ(i["PrivateIpAddress"], "10.1.1.50");
  EXPECT_FALSE(i.contains("PublicIpAddress"));  // the subnet does not map public IPs
  EXPECT_EQ(i["SecurityGroups"][0]["GroupName"], "default");
  EXPECT_EQ(fails("DeleteSubnet", {{"SubnetId", subnet}}).code, "DependencyViolation");
  // Client token: the same reservation again.
  auto a = call("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 2}, {"MaxCount", 2},
                                 {"SubnetId", subnet}, {"ClientToken", "tok"}});
  auto b = call("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 2}, {"MaxCount", 2},
                                 {"SubnetId", subnet}, {"ClientToken", "tok"}});
  EXPECT_EQ(a["ReservationId"], b["ReservationId"]);
  EXPECT_EQ(b["Instances"].size(), 2u);
  auto res = call("DescribeInstances", {{"Filters", {{{"Name", "subnet-id"}, {"Values", {subnet}}}}}})["Reservations"];
  EXPECT_EQ(res.size(), 2u);
}

TEST_F(Ec2ComputeTest, ElasticIpAssociationRules) {
  auto i = run();
  std::string id = i["InstanceId"];
  std::string auto_ip = i["PublicIpAddress"];
  auto eip = call("AllocateAddress", {{"Domain", "vpc"}});
  std::string alloc = eip["AllocationId"], ip = eip["PublicIp"];
  std::string assoc = call("AssociateAddress", {{"AllocationId", alloc}, {"InstanceId", id}})["AssociationId"];
  EXPECT_EQ(assoc.rfind("eipassoc-", 0), 0u);
  EXPECT_EQ(describe(id)["PublicIpAddress"], ip);
  auto addr = call("DescribeAddresses", {{"AllocationIds", {alloc}}})["Addresses"][0];
  EXPECT_EQ(addr["InstanceId"], id);
  EXPECT_EQ(addr["AssociationId"], assoc);
  EXPECT_EQ(fails("ReleaseAddress", {{"AllocationId", alloc}}).code, "InvalidIPAddress.InUse");
  std::string other = run()["InstanceId"];
  EXPECT_EQ(fails("AssociateAddress", {{"AllocationId", alloc}, {"InstanceId", other}}).code, "Resource.AlreadyAssociated");
  std::string assoc2 = call("AssociateAddress", {{"AllocationId", alloc}, {"InstanceId", other}, {"AllowReassociation", true}})["AssociationId"];
  EXPECT_NE(describe(id)["PublicIpAddress"], ip);
  EXPECT_EQ(describe(other)["PublicIpAddress"], ip);
  // Stop keeps the Elastic IP.
  advance(10);
  call("StopInstances", {{"InstanceIds", {other}}});
  advance(10);
  EXPECT_EQ(describe(other)["PublicIpAddress"], ip);
  call("DisassociateAddress", {{"AssociationId", assoc2}});
  EXPECT_FALSE(describe(other).contains("PublicIpAddress"));
  EXPECT_FALSE(call("DescribeAddresses", {{"AllocationIds", {alloc}}})["Addresses"][0].contains("AssociationId"));
  call("ReleaseAddress", {{"AllocationId", alloc}});
  (void)auto_ip;
}

TEST_F(Ec2ComputeTest, ModifyInstanceTypeOnlyWhenStopped) {
  std::string id = run()["InstanceId"];
  advance(10);
  auto e = fails("ModifyInstanceAttribute", {{"InstanceId", id}, {"InstanceType", {{"Value", "t4g.medium"}}}});
  EXPECT_EQ(e.code, "IncorrectInstanceState");
  call("StopInstances", {{"InstanceIds", {id}}});
  advance(10);
  EXPECT_EQ(fails("ModifyInstanceAttribute", {{"InstanceId", id}, {"InstanceType", {{"Value", "t3.medium"}}}}).code,
            "InvalidInstanceAttributeValue");
  call("ModifyInstanceAttribute", {{"InstanceId", id}, {"InstanceType", {{"Value", "t4g.medium"}}}});
  EXPECT_EQ(call("DescribeInstanceAttribute", {{"InstanceId", id}, {"Attribute", "instanceType"}})["InstanceType"]["Value"],
            "t4g.medium");
}

HttpRequest imds_req(const std::string& method, const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = method;
  r.path = path;
  r.headers = std::move(headers);
  return r;
}

TEST_F(Ec2ComputeTest, MetadataServiceWithoutSockets) {
  std::string user_data = base64_encode("#!/bin/sh\necho hi\n");
  auto i = run({{"UserData", user_data}, {"MetadataOptions", {{"HttpTokens", "required"}}}});
  std::string id = i["InstanceId"];
  // Not running yet: nothing served.
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id")).status, 404);
  advance(10);
  // Tokens are required.
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id")).status, 401);
  EXPECT_EQ(svc().imds_handle(id, imds_req("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "0"}})).status, 400);
  auto tok = svc().imds_handle(id, imds_req("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}}));
  ASSERT_EQ(tok.status, 200);
  std::vector<std::pair<std::string, std::string>> h = {{"x-aws-ec2-metadata-token", tok.body}};
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id", {{"x-aws-ec2-metadata-token", "bad"}})).status, 401);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id", h)).body, id);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-type", h)).body, "t4g.small");
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/placement/region", h)).body, "us-west-2");
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/local-ipv4", h)).body, i["PrivateIpAddress"]);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/user-data", h)).body, "#!/bin/sh\necho hi\n");
  std::string listing = svc().imds_handle(id, imds_req("GET", "/latest/meta-data/", h)).body;
  EXPECT_NE(listing.find("ami-id\n"), std::string::npos) << listing;
  EXPECT_NE(listing.find("placement/"), std::string::npos);
  EXPECT_EQ(listing.find("iam/"), std::string::npos);  // no role
  auto doc = Json::parse(svc().imds_handle(id, imds_req("GET", "/latest/dynamic/instance-identity/document", h)).body);
  EXPECT_EQ(doc["instanceId"], id);
  EXPECT_EQ(doc["region"], "us-west-2");
  // The token expires on the server clock.
  advance(61);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id", h)).status, 401);
  // IMDSv1 when tokens are optional.
  call("ModifyInstanceMetadataOptions", {{"InstanceId", id}, {"HttpTokens", "optional"}});
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/instance-id")).body, id);
}

TEST_F(Ec2ComputeTest, MetadataRoleCredentialsAreStsSessions) {
  Json trust = {{"Version", "2012-10-17"},
                {"Statement", {{{"Effect", "Allow"}, {"Principal", {{"Service", "ec2.amazonaws.com"}}}, {"Action", "sts:AssumeRole"}}}}};
  ctx.now = core.clock().now();
  core.invoke(ctx, "iam", "CreateRole", {{"RoleName", "app"}, {"AssumeRolePolicyDocument", trust.dump()}});
  core.invoke(ctx, "iam", "CreateInstanceProfile", {{"InstanceProfileName", "app-profile"}});
  core.invoke(ctx, "iam", "AddRoleToInstanceProfile", {{"InstanceProfileName", "app-profile"}, {"RoleName", "app"}});
  EXPECT_EQ(fails("RunInstances", {{"ImageId", ubuntu_arm()}, {"InstanceType", "t4g.small"}, {"MinCount", 1}, {"MaxCount", 1},
                                   {"IamInstanceProfile", {{"Name", "nope"}}}}).code,
            "InvalidParameterValue");
  std::string id = run({{"IamInstanceProfile", {{"Name", "app-profile"}}}})["InstanceId"];
  auto assocs = call("DescribeIamInstanceProfileAssociations")["IamInstanceProfileAssociations"];
  ASSERT_EQ(assocs.size(), 1u);
  EXPECT_EQ(assocs[0]["InstanceId"], id);
  advance(10);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/security-credentials/")).body, "app");
  auto creds = Json::parse(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/security-credentials/app")).body);
  EXPECT_EQ(creds["Code"], "Success");
  EXPECT_EQ(creds["Type"], "AWS-HMAC");
  EXPECT_EQ(creds["AccessKeyId"].get<std::string>().rfind("ASIA", 0), 0u);
  EXPECT_FALSE(creds["Token"].get<std::string>().empty());
  // The credentials are a session of the role, named after the instance.
  auto c = core.credentials().find(creds["AccessKeyId"].get<std::string>());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->principal.arn, "arn:aws:sts::000000000000:assumed-role/app/" + id);
  // Cached until close to expiry; new ones after.
  auto again = Json::parse(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/security-credentials/app")).body);
  EXPECT_EQ(again["AccessKeyId"], creds["AccessKeyId"]);
  advance(3000);
  auto fresh = Json::parse(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/security-credentials/app")).body);
  EXPECT_NE(fresh["AccessKeyId"], creds["AccessKeyId"]);
}

TEST_F(Ec2ComputeTest, VolumesCreateAttachDetachDelete) {
  auto i = run();
  std::string id = i["InstanceId"], zone = i["Placement"]["AvailabilityZone"];
  advance(10);
  auto vol = call("CreateVolume", {{"AvailabilityZone", zone}, {"Size", 20}, {"VolumeType", "gp3"}});
  std::string vid = vol["VolumeId"];
  EXPECT_EQ(vol["State"], "creating");
  EXPECT_EQ(vol["Iops"], 3000);
  EXPECT_EQ(call("DescribeVolumes", {{"VolumeIds", {vid}}})["Volumes"][0]["State"], "available");
  std::string other_zone = zone == "us-west-2a" ? "us-west-2b" : "us-west-2a";
  std::string far = call("CreateVolume", {{"AvailabilityZone", other_zone}, {"Size", 1}})["VolumeId"];
  EXPECT_EQ(fails("AttachVolume", {{"VolumeId", far}, {"InstanceId", id}, {"Device", "/dev/sdf"}}).code, "InvalidVolume.ZoneMismatch");
  EXPECT_EQ(fails("AttachVolume", {{"VolumeId", vid}, {"InstanceId", id}, {"Device", "/dev/sda1"}}).code, "InvalidParameterValue");
  EXPECT_EQ(call("AttachVolume", {{"VolumeId", vid}, {"InstanceId", id}, {"Device", "/dev/sdf"}})["State"], "attaching");
  EXPECT_EQ(fails("AttachVolume", {{"VolumeId", vid}, {"InstanceId", id}, {"Device", "/dev/sdg"}}).code, "VolumeInUse");
  EXPECT_EQ(describe(id)["BlockDeviceMappings"].size(), 2u);
  EXPECT_EQ(fails("DeleteVolume", {{"VolumeId", vid}}).code, "VolumeInUse");
  std::string root = describe(id)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"];
  EXPECT_EQ(fails("DetachVolume", {{"VolumeId", root}}).code, "IncorrectState");  // root of a running instance
  call("DetachVolume", {{"VolumeId", vid}});
  EXPECT_EQ(describe(id)["BlockDeviceMappings"].size(), 1u);
  call("DeleteVolume", {{"VolumeId", vid}});
  EXPECT_EQ(fails("DescribeVolumes", {{"VolumeIds", {vid}}}).code, "InvalidVolume.NotFound");
  // A volume attached after launch (DeleteOnTermination false) stays when the instance terminates.
  std::string extra = call("CreateVolume", {{"AvailabilityZone", zone}, {"Size", 2}})["VolumeId"];
  call("AttachVolume", {{"VolumeId", extra}, {"InstanceId", id}, {"Device", "/dev/sdh"}});
  call("TerminateInstances", {{"InstanceIds", {id}}});
  advance(10);
  auto left = call("DescribeVolumes", {{"Filters", {{{"Name", "size"}, {"Values", {"2"}}}}}})["Volumes"];
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["State"], "available");
  EXPECT_EQ(left[0]["VolumeId"], extra);
  EXPECT_EQ(fails("DescribeVolumes", {{"VolumeIds", {root}}}).code, "InvalidVolume.NotFound");
}

TEST_F(Ec2ComputeTest, OwnImagesFromAnInstance) {
  std::string id = run()["InstanceId"];
  EXPECT_EQ(fails("CreateImage", {{"InstanceId", id}, {"Name", "golden"}}).code, "IncorrectState");  // still pending
  advance(10);
  std::string ami = call("CreateImage", {{"InstanceId", id}, {"Name", "golden"}})["ImageId"];
  EXPECT_EQ(fails("CreateImage", {{"InstanceId", id}, {"Name", "golden"}}).code, "InvalidAMIName.Duplicate");
  auto mine = call("DescribeImages", {{"Owners", {"self"}}})["Images"];
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0]["ImageId"], ami);
  EXPECT_EQ(mine[0]["SourceInstanceId"], id);
  EXPECT_EQ(mine[0]["Architecture"], "arm64");
  EXPECT_EQ(mine[0]["OwnerId"], "000000000000");
  // It launches like any image.
  auto i = call("RunInstances", {{"ImageId", ami}, {"InstanceType", "t4g.micro"}, {"MinCount", 1}, {"MaxCount", 1}})["Instances"][0];
  EXPECT_EQ(i["ImageId"], ami);
  EXPECT_EQ(fails("DeregisterImage", {{"ImageId", ubuntu_arm()}}).code, "AuthFailure");
  call("DeregisterImage", {{"ImageId", ami}});
  EXPECT_EQ(call("DescribeImages", {{"Owners", {"self"}}})["Images"].size(), 0u);
  EXPECT_EQ(fails("DescribeImages", {{"ImageIds", {ami}}}).code, "InvalidAMIID.NotFound");
}

// EC2 assumes the role as the ec2.amazonaws.com service principal, so a role that does not trust EC2 gives no
// credentials and iam/info says why.
TEST_F(Ec2ComputeTest, MetadataRoleNotTrustingEc2GivesNoCredentials) {
  Json trust = {{"Version", "2012-10-17"},
                {"Statement", {{{"Effect", "Allow"}, {"Principal", {{"Service", "lambda.amazonaws.com"}}}, {"Action", "sts:AssumeRole"}}}}};
  ctx.now = core.clock().now();
  core.invoke(ctx, "iam", "CreateRole", {{"RoleName", "fn"}, {"AssumeRolePolicyDocument", trust.dump()}});
  core.invoke(ctx, "iam", "CreateInstanceProfile", {{"InstanceProfileName", "fn"}});
  core.invoke(ctx, "iam", "AddRoleToInstanceProfile", {{"InstanceProfileName", "fn"}, {"RoleName", "fn"}});
  std::string id = run({{"IamInstanceProfile", {{"Name", "fn"}}}})["InstanceId"];
  advance(10);
  EXPECT_EQ(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/security-credentials/")).status, 404);
  auto info = Json::parse(svc().imds_handle(id, imds_req("GET", "/latest/meta-data/iam/info")).body);
  EXPECT_EQ(info["Code"], "AssumeRoleUnauthorizedAccess");
}

}  // namespace
}  // namespace cloudbox
