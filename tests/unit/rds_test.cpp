// RDS through Core::invoke with a fake data plane: validation rules, the state machine on a moved clock,
// filters and Marker paging, subnet groups over EC2, and the master password managed in Secrets Manager.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include <unistd.h>

#include "core/core.h"
#include "services/rds/service.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cloudbox {
namespace {

using rds::DataPlane;
using rds::Phase;
using rds::PgSpec;
using rds::PgStatus;

// Does what it is asked at once (or, with `hold`, leaves the work Busy until release()).
struct FakeDataPlane : DataPlane {
  std::map<std::string, PgStatus> st;
  std::vector<std::string> calls;
  std::map<std::string, std::string> passwords;
  bool hold = false;
  std::string missing;
  std::vector<std::pair<std::string, Phase>> held;

  void put(const std::string& key, Phase p, int port = -1) {
    if (hold) {
      st[key].phase = Phase::Busy;
      held.emplace_back(key, p);
    } else {
      st[key].phase = p;
    }
    if (port >= 0) st[key].port = port;
  }
  void release() {
    for (auto& [k, p] : held) st[k].phase = p;
    held.clear();
  }
  std::string unavailable_reason() override { return missing; }
  void create(const PgSpec& s) override {
    calls.push_back("create " + s.key + (s.restore_from.empty() ? "" : " restore"));
    passwords[s.key] = s.password;
    put(s.key, Phase::Running, s.port + 1);  // as if the wanted port was taken
  }
  void start(const PgSpec& s) override {
    calls.push_back("start " + s.key);
    put(s.key, Phase::Running, s.port);
  }
  void stop(const std::string& k) override {
    calls.push_back("stop " + k);
    put(k, Phase::Stopped);
  }
  void restart(const PgSpec& s) override {
    calls.push_back("restart " + s.key);
    put(s.key, Phase::Running, s.port);
  }
  void set_password(const PgSpec& s) override {
    calls.push_back("password " + s.key);
    passwords[s.key] = s.password;
    put(s.key, Phase::Running);
  }
  void dump(const PgSpec& s, const std::string& job, const std::string&) override {
    calls.push_back("dump " + s.key);
    put(job, Phase::Running);
  }
  void destroy(const std::string& k) override {
    calls.push_back("destroy " + k);
    put(k, Phase::Gone);
  }
  void remove_file(const std::string&) override {}
  PgStatus status(const std::string& k) override { return st.count(k) ? st[k] : PgStatus{}; }
  std::string dump_path(const std::string& name) override { return "/nonexistent/" + name; }
  std::string ca_pem() override { return {}; }
  void shutdown() override {}
  void wipe() override { st.clear(); }
};

FakeDataPlane* g_fake = nullptr;

class RdsTest : public ::testing::Test {
 protected:
  static Core* make_core() {
    rds::RdsService::data_plane_factory() = [] {
      auto f = std::make_unique<FakeDataPlane>();
      g_fake = f.get();
      return f;
    };
    auto* c = new Core(Options{.ephemeral = true});
    rds::RdsService::data_plane_factory() = nullptr;
    return c;
  }
  std::unique_ptr<Core> core{make_core()};
  RequestContext ctx{*core};
  FakeDataPlane& fake = *g_fake;

  void SetUp() override {
    ctx.account_id = "000000000000";
    ctx.region = "us-west-2";
    ctx.principal.account_id = ctx.account_id;
    ctx.principal.arn = "arn:aws:iam::000000000000:root";
  }
  Json call(const std::string& op, const Json& in = Json::object(), const std::string& service = "rds") {
    ctx.now = core->clock().now();
    return core->invoke(ctx, service, op, in);
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
  void tick(int seconds = 1) {
    core->clock().advance(std::chrono::seconds(seconds));
    core->tick();
  }
  std::string status(const std::string& id) {
    return call("DescribeDBInstances", {{"DBInstanceIdentifier", id}})["DBInstances"][0]["DBInstanceStatus"];
  }
  // A VPC with private subnets in two zones and a subnet group over them.
  std::string network() {
    std::string vpc = call("CreateVpc", {{"CidrBlock", "10.0.0.0/20"}}, "ec2")["Vpc"]["VpcId"];
    std::string a = call("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.0.0.0/24"}, {"AvailabilityZone", "us-west-2a"}},
                         "ec2")["Subnet"]["SubnetId"];
    std::string b = call("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.0.1.0/24"}, {"AvailabilityZone", "us-west-2b"}},
                         "ec2")["Subnet"]["SubnetId"];
    call("CreateDBSubnetGroup", {{"DBSubnetGroupName", "Main"}, {"DBSubnetGroupDescription", "d"}, {"SubnetIds", {a, b}}});
    vpc_ = vpc;
    return vpc;
  }
  Json create(const std::string& id, Json extra = Json::object()) {
    Json in = {{"DBInstanceIdentifier", id},          {"Engine", "postgres"},
               {"DBInstanceClass", "db.t4g.micro"},   {"AllocatedStorage", 20},
               {"MasterUsername", "pgadmin"},         {"MasterUserPassword", "Passw0rd!234"}};
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      if (it.value().is_null()) in.erase(it.key());
      else in[it.key()] = it.value();
    }
    return call("CreateDBInstance", in)["DBInstance"];
  }
  std::string vpc_;
};

TEST_F(RdsTest, CreateGoesCreatingBackingUpAvailableOnlyWhenTheServerAnswers) {
  network();
  fake.hold = true;
  Json db = create("Pg1", {{"DBSubnetGroupName", "main"}, {"DBName", "app"}});
  EXPECT_EQ(db["DBInstanceIdentifier"], "pg1");
  EXPECT_EQ(db["DBInstanceStatus"], "creating");
  EXPECT_EQ(db["DBInstanceArn"], "arn:aws:rds:us-west-2:000000000000:db:pg1");
  EXPECT_TRUE(std::regex_match(db["DbiResourceId"].get<std::string>(), std::regex("db-[A-Z0-9]{26}")));
  EXPECT_EQ(db["PendingModifiedValues"]["MasterUserPassword"], "****");
  EXPECT_FALSE(db.contains("Endpoint"));
  EXPECT_FALSE(db.contains("MasterUserSecret"));
  EXPECT_FALSE(db["PubliclyAccessible"].get<bool>());
  EXPECT_EQ(db["DBSubnetGroup"]["VpcId"], vpc_);
  EXPECT_EQ(db["DBParameterGroups"][0]["DBParameterGroupName"], "default.postgres16");
  // The VPC's default security group when none is named.
  auto sgs = call("DescribeSecurityGroups", {{"Filters", Json::array({{{"Name", "vpc-id"}, {"Values", {vpc_}}}})}},
                  "ec2")["SecurityGroups"];
  EXPECT_EQ(db["VpcSecurityGroups"][0]["VpcSecurityGroupId"], sgs[0]["GroupId"]);

  tick(600);  // time alone does not make a server
  EXPECT_EQ(status("pg1"), "creating");
  fake.release();
  tick();
  EXPECT_EQ(status("pg1"), "backing-up");
  tick();
  EXPECT_EQ(status("pg1"), "backing-up");  // until the automated snapshot (a real dump) is written
  fake.release();
  tick();
  Json d = call("DescribeDBInstances", {{"DBInstanceIdentifier", "pg1"}})["DBInstances"][0];
  EXPECT_EQ(d["DBInstanceStatus"], "available");
  EXPECT_EQ(d["Endpoint"]["Port"], 5433);  // the port the server really took
  EXPECT_TRUE(std::regex_match(d["Endpoint"]["Address"].get<std::string>(),
                               std::regex("pg1\\.c[a-z0-9]{12}\\.us-west-2\\.rds\\.localhost")));
  EXPECT_EQ(d["PendingModifiedValues"], Json::object());
  // An automated snapshot was taken (backup retention 1 by default).
  auto snaps = call("DescribeDBSnapshots", {{"DBInstanceIdentifier", "pg1"}})["DBSnapshots"];
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(snaps[0]["SnapshotType"], "automated");
  EXPECT_EQ(snaps[0]["Status"], "available");
}

TEST_F(RdsTest, PasswordAndNameRules) {
  network();
  EXPECT_EQ(fails("CreateDBInstance", {{"DBInstanceIdentifier", "x1"}, {"Engine", "postgres"},
                                       {"DBInstanceClass", "db.t3.micro"}, {"AllocatedStorage", 20},
                                       {"MasterUsername", "pgadmin"}, {"MasterUserPassword", "has/slash1"}})
                .code,
            "InvalidParameterValue");
  for (const char* pw : {"has@at12345", "has\"quote1", "has space1", "short1"}) {
    AwsError e = fails("CreateDBInstance", {{"DBInstanceIdentifier", "x1"}, {"Engine", "postgres"},
                                           {"DBInstanceClass", "db.t3.micro"}, {"AllocatedStorage", 20},
                                           {"MasterUsername", "pgadmin"}, {"MasterUserPassword", pw}});
    EXPECT_EQ(e.code, "InvalidParameterValue") << pw;
    EXPECT_NE(std::string(e.what()).find("MasterUserPassword"), std::string::npos) << pw;
  }
  auto base = [](Json over) {
    Json in = {{"DBInstanceIdentifier", "x1"},      {"Engine", "postgres"}, {"DBInstanceClass", "db.t3.micro"},
               {"AllocatedStorage", 20},            {"MasterUsername", "pgadmin"},
               {"MasterUserPassword", "Passw0rd!234"}};
    for (auto it = over.begin(); it != over.end(); ++it) {
      if (it.value().is_null()) in.erase(it.key());
      else in[it.key()] = it.value();
    }
    return in;
  };
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBInstanceIdentifier", "1abc"}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBInstanceIdentifier", "a--b"}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"MasterUsername", "rdsadmin"}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"MasterUsername", "1user"}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"MasterUserPassword", nullptr}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"ManageMasterUserPassword", true}})).code, "InvalidParameterCombination");
  EXPECT_EQ(fails("CreateDBInstance", base({{"AllocatedStorage", 5}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBInstanceClass", "db.x9.huge"}})).code, "InvalidParameterCombination");
  EXPECT_EQ(fails("CreateDBInstance", base({{"Engine", "mysql"}})).code, "InvalidParameterValue");
  EXPECT_EQ(fails("CreateDBInstance", base({{"EngineVersion", "9.6"}})).code, "InvalidParameterCombination");
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBSubnetGroupName", "nope"}})).code, "DBSubnetGroupNotFoundFault");
  EXPECT_EQ(fails("CreateDBInstance", base({{"Port", 80}})).code, "InvalidParameterValue");
  // Another family's default group is a wrong combination (conformance harness); an unknown group is not found.
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBParameterGroupName", "default.postgres15"}})).code,
            "InvalidParameterCombination");
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBParameterGroupName", "my-params"}})).code, "DBParameterGroupNotFoundFault");
  // Nothing was made by the refusals.
  EXPECT_EQ(call("DescribeDBInstances")["DBInstances"].size(), 0u);
  // "postgres" is an allowed master user name on RDS.
  EXPECT_EQ(create("ok1", {{"MasterUsername", "postgres"}, {"DBSubnetGroupName", "main"}})["MasterUsername"], "postgres");
  EXPECT_EQ(fails("CreateDBInstance", base({{"DBInstanceIdentifier", "OK1"}})).code, "DBInstanceAlreadyExistsFault");
}

TEST_F(RdsTest, SubnetGroupsNeedTwoZonesOfOneVpcAndExistingSubnets) {
  std::string vpc = call("CreateVpc", {{"CidrBlock", "10.1.0.0/16"}}, "ec2")["Vpc"]["VpcId"];
  std::string a = call("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.1.0.0/24"}, {"AvailabilityZone", "us-west-2a"}},
                       "ec2")["Subnet"]["SubnetId"];
  std::string a2 = call("CreateSubnet", {{"VpcId", vpc}, {"CidrBlock", "10.1.1.0/24"}, {"AvailabilityZone", "us-west-2a"}},
                        "ec2")["Subnet"]["SubnetId"];
  AwsError e = fails("CreateDBSubnetGroup", {{"DBSubnetGroupName", "g"}, {"DBSubnetGroupDescription", "d"},
                                             {"SubnetIds", {a, a2}}});
  EXPECT_EQ(e.code, "DBSubnetGroupDoesNotCoverEnoughAZs");
  EXPECT_NE(std::string(e.what()).find("us-west-2a"), std::string::npos);
  EXPECT_EQ(fails("CreateDBSubnetGroup", {{"DBSubnetGroupName", "g"}, {"DBSubnetGroupDescription", "d"},
                                          {"SubnetIds", {a, "subnet-0123456789abcdef0"}}})
                .code,
            "InvalidSubnet");
  std::string other = call("CreateVpc", {{"CidrBlock", "10.2.0.0/16"}}, "ec2")["Vpc"]["VpcId"];
  std::string b = call("CreateSubnet", {{"VpcId", other}, {"CidrBlock", "10.2.0.0/24"}, {"AvailabilityZone", "us-west-2b"}},
                       "ec2")["Subnet"]["SubnetId"];
  EXPECT_EQ(fails("CreateDBSubnetGroup", {{"DBSubnetGroupName", "g"}, {"DBSubnetGroupDescription", "d"},
                                          {"SubnetIds", {a, b}}})
                .code,
            "InvalidSubnet");
  EXPECT_EQ(call("DescribeDBSubnetGroups")["DBSubnetGroups"].size(), 0u);
  EXPECT_EQ(fails("DescribeDBSubnetGroups", {{"DBSubnetGroupName", "g"}}).code, "DBSubnetGroupNotFoundFault");
}

TEST_F(RdsTest, SubnetGroupInUseCannotBeDeleted) {
  network();
  create("pg1", {{"DBSubnetGroupName", "main"}});
  EXPECT_EQ(fails("DeleteDBSubnetGroup", {{"DBSubnetGroupName", "main"}}).code, "InvalidDBSubnetGroupStateFault");
  tick();
  tick();
  call("DeleteDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"SkipFinalSnapshot", true}});
  tick();
  call("DeleteDBSubnetGroup", {{"DBSubnetGroupName", "main"}});
  EXPECT_EQ(fails("DeleteDBSubnetGroup", {{"DBSubnetGroupName", "main"}}).code, "DBSubnetGroupNotFoundFault");
}

TEST_F(RdsTest, SecurityGroupsMustBeInTheInstancesVpc) {
  network();
  std::string other = call("CreateVpc", {{"CidrBlock", "10.9.0.0/16"}}, "ec2")["Vpc"]["VpcId"];
  std::string sg_other = call("CreateSecurityGroup", {{"GroupName", "x"}, {"Description", "x"}, {"VpcId", other}},
                              "ec2")["GroupId"];
  EXPECT_EQ(fails("CreateDBInstance", {{"DBInstanceIdentifier", "p"}, {"Engine", "postgres"},
                                       {"DBInstanceClass", "db.t3.micro"}, {"AllocatedStorage", 20},
                                       {"MasterUsername", "u1"}, {"MasterUserPassword", "Passw0rd!234"},
                                       {"DBSubnetGroupName", "main"}, {"VpcSecurityGroupIds", {sg_other}}})
                .code,
            "InvalidParameterCombination");
  std::string sg = call("CreateSecurityGroup", {{"GroupName", "db"}, {"Description", "db"}, {"VpcId", vpc_}},
                        "ec2")["GroupId"];
  Json db = create("p", {{"DBSubnetGroupName", "main"}, {"VpcSecurityGroupIds", {sg}}});
  EXPECT_EQ(db["VpcSecurityGroups"][0]["VpcSecurityGroupId"], sg);
  EXPECT_EQ(db["VpcSecurityGroups"][0]["Status"], "active");
}

TEST_F(RdsTest, StopStartAndTheSevenDayRestart) {
  network();
  create("pg1", {{"DBSubnetGroupName", "main"}, {"MultiAZ", true}});
  EXPECT_EQ(fails("StopDBInstance", {{"DBInstanceIdentifier", "pg1"}}).code, "InvalidDBInstanceStateFault");
  tick();
  tick();
  // C22: a Multi-AZ postgres instance can be stopped.
  EXPECT_EQ(call("StopDBInstance", {{"DBInstanceIdentifier", "pg1"}})["DBInstance"]["DBInstanceStatus"], "stopping");
  tick();
  EXPECT_EQ(status("pg1"), "stopped");
  EXPECT_EQ(fails("StopDBInstance", {{"DBInstanceIdentifier", "pg1"}}).code, "InvalidDBInstanceStateFault");
  tick(6 * 86400);
  EXPECT_EQ(status("pg1"), "stopped");
  tick(86400);
  EXPECT_EQ(status("pg1"), "available");  // started by itself after 7 days
  EXPECT_EQ(fails("StartDBInstance", {{"DBInstanceIdentifier", "pg1"}}).code, "InvalidDBInstanceStateFault");
  auto events = call("DescribeEvents", {{"SourceType", "db-instance"}, {"SourceIdentifier", "pg1"},
                                        {"Duration", 20000}})["Events"];
  bool auto_start = false;
  for (const auto& e : events)
    auto_start = auto_start || e["Message"].get<std::string>().find("maximum allowed time") != std::string::npos;
  EXPECT_TRUE(auto_start) << events.dump();
}

TEST_F(RdsTest, DeleteRules) {
  network();
  create("pg1", {{"DBSubnetGroupName", "main"}, {"DeletionProtection", true}});
  tick();
  tick();
  EXPECT_EQ(fails("DeleteDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"SkipFinalSnapshot", true}}).code,
            "InvalidParameterCombination");
  call("ModifyDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"DeletionProtection", false}});
  EXPECT_EQ(fails("DeleteDBInstance", {{"DBInstanceIdentifier", "pg1"}}).code, "InvalidParameterCombination");
  EXPECT_EQ(fails("DeleteDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"SkipFinalSnapshot", true},
                                       {"FinalDBSnapshotIdentifier", "f"}})
                .code,
            "InvalidParameterCombination");
  Json d = call("DeleteDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"FinalDBSnapshotIdentifier", "final-1"}});
  EXPECT_EQ(d["DBInstance"]["DBInstanceStatus"], "deleting");
  tick();
  EXPECT_EQ(fails("DescribeDBInstances", {{"DBInstanceIdentifier", "pg1"}}).code, "DBInstanceNotFoundFault");
  auto snaps = call("DescribeDBSnapshots")["DBSnapshots"];
  ASSERT_EQ(snaps.size(), 1u);  // the final one; the automated one went with the instance
  EXPECT_EQ(snaps[0]["DBSnapshotIdentifier"], "final-1");
  EXPECT_EQ(snaps[0]["SnapshotType"], "manual");
  // Restore it into a new instance: a real restore of the dump.
  Json r = call("RestoreDBInstanceFromDBSnapshot", {{"DBInstanceIdentifier", "pg2"}, {"DBSnapshotIdentifier", "final-1"},
                                                     {"DBSubnetGroupName", "main"}})["DBInstance"];
  EXPECT_EQ(r["MasterUsername"], "pgadmin");
  EXPECT_EQ(fake.calls.back(), "create " + r["DbiResourceId"].get<std::string>() + " restore");
}

TEST_F(RdsTest, FiltersAndMarkerPaging) {
  network();
  for (int i = 0; i < 25; ++i) create("db" + std::to_string(100 + i), {{"DBSubnetGroupName", "main"}});
  Json first = call("DescribeDBInstances", {{"MaxRecords", 20}});
  EXPECT_EQ(first["DBInstances"].size(), 20u);
  ASSERT_TRUE(first.contains("Marker"));
  Json second = call("DescribeDBInstances", {{"MaxRecords", 20}, {"Marker", first["Marker"]}});
  EXPECT_EQ(second["DBInstances"].size(), 5u);
  EXPECT_FALSE(second.contains("Marker"));
  EXPECT_EQ(second["DBInstances"][0]["DBInstanceIdentifier"], "db120");
  EXPECT_EQ(fails("DescribeDBInstances", {{"MaxRecords", 5}}).code, "InvalidParameterValue");

  Json one = call("DescribeDBInstances", {{"DBInstanceIdentifier", "db107"}})["DBInstances"][0];
  auto by = [&](const std::string& name, const std::string& value) {
    Json out = call("DescribeDBInstances", {{"Filters", Json::array({{{"Name", name}, {"Values", {value}}}})}});
    std::vector<std::string> ids;
    for (const auto& d : out["DBInstances"]) ids.push_back(d["DBInstanceIdentifier"]);
    return ids;
  };
  EXPECT_EQ(by("db-instance-id", one["DBInstanceArn"]), std::vector<std::string>{"db107"});
  EXPECT_EQ(by("db-instance-id", "db107"), std::vector<std::string>{"db107"});
  EXPECT_EQ(by("dbi-resource-id", one["DbiResourceId"]), std::vector<std::string>{"db107"});
  EXPECT_TRUE(by("engine", "mysql").empty());
  EXPECT_EQ(by("engine", "postgres").size(), 25u);
  EXPECT_EQ(fails("DescribeDBInstances", {{"Filters", Json::array({{{"Name", "bogus"}, {"Values", {"x"}}}})}}).code,
            "InvalidParameterValue");
  EXPECT_EQ(fails("DescribeDBInstances", {{"DBInstanceIdentifier", "nope"}}).code, "DBInstanceNotFoundFault");
}

TEST_F(RdsTest, ManagedMasterPasswordLivesInSecretsManager) {
  network();
  Json db = create("pgm", {{"DBSubnetGroupName", "main"}, {"MasterUserPassword", nullptr},
                           {"ManageMasterUserPassword", true}});
  ASSERT_TRUE(db.contains("MasterUserSecret"));
  std::string arn = db["MasterUserSecret"]["SecretArn"];
  EXPECT_TRUE(std::regex_search(arn, std::regex("^arn:aws:secretsmanager:us-west-2:000000000000:secret:rds!db-")));
  EXPECT_FALSE(db["MasterUserSecret"]["KmsKeyId"].get<std::string>().empty());
  Json v = Json::parse(call("GetSecretValue", {{"SecretId", arn}}, "secretsmanager")["SecretString"].get<std::string>());
  EXPECT_EQ(v["username"], "pgadmin");
  std::string key = db["DbiResourceId"];
  EXPECT_EQ(v["password"], fake.passwords[key]);  // the server got the same password
  Json desc = call("DescribeSecret", {{"SecretId", arn}}, "secretsmanager");
  EXPECT_EQ(desc["OwningService"], "rds");
  // AWS's own tags, which only cloudbox's internal calls may set.
  Json tags = Json::object();
  for (const Json& t : desc["Tags"]) tags[t["Key"].get<std::string>()] = t["Value"];
  EXPECT_EQ(tags["aws:rds:primaryDBInstanceArn"], db["DBInstanceArn"]);
  EXPECT_EQ(tags["aws:secretsmanager:owningService"], "rds");
  EXPECT_NE(desc["Description"].get<std::string>().find(db["DBInstanceArn"].get<std::string>()), std::string::npos);
  tick();
  tick();
  EXPECT_EQ(call("DescribeDBInstances", {{"DBInstanceIdentifier", "pgm"}})["DBInstances"][0]["MasterUserSecret"]
                ["SecretStatus"],
            "active");

  // Rotation: a new password in the secret and in the server; the status says rotating until done.
  fake.hold = true;
  Json m = call("ModifyDBInstance", {{"DBInstanceIdentifier", "pgm"}, {"RotateMasterUserPassword", true},
                                     {"ApplyImmediately", true}})["DBInstance"];
  EXPECT_EQ(m["MasterUserSecret"]["SecretStatus"], "rotating");
  Json v2 = Json::parse(call("GetSecretValue", {{"SecretId", arn}}, "secretsmanager")["SecretString"].get<std::string>());
  EXPECT_NE(v2["password"], v["password"]);
  EXPECT_EQ(v2["password"], fake.passwords[key]);
  fake.release();
  fake.hold = false;
  tick();
  EXPECT_EQ(status("pgm"), "available");

  // Turning management off needs a password, and removes the secret.
  EXPECT_EQ(fails("ModifyDBInstance", {{"DBInstanceIdentifier", "pgm"}, {"ManageMasterUserPassword", false},
                                       {"ApplyImmediately", true}})
                .code,
            "InvalidParameterCombination");
  Json off = call("ModifyDBInstance", {{"DBInstanceIdentifier", "pgm"}, {"ManageMasterUserPassword", false},
                                       {"MasterUserPassword", "Another-Pass1"}, {"ApplyImmediately", true}})["DBInstance"];
  EXPECT_FALSE(off.contains("MasterUserSecret"));
  EXPECT_EQ(fake.passwords[key], "Another-Pass1");
  // Deleted without a recovery window.
  EXPECT_THROW(call("DescribeSecret", {{"SecretId", arn}}, "secretsmanager"), AwsError);
}

TEST_F(RdsTest, ModifyPendingVersusImmediate) {
  network();
  create("pg1", {{"DBSubnetGroupName", "main"}});
  tick();
  tick();
  Json m = call("ModifyDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"DBInstanceClass", "db.t4g.small"}})["DBInstance"];
  EXPECT_EQ(m["DBInstanceClass"], "db.t4g.micro");
  EXPECT_EQ(m["PendingModifiedValues"]["DBInstanceClass"], "db.t4g.small");
  m = call("ModifyDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"AllocatedStorage", 30}, {"ApplyImmediately", true}})
          ["DBInstance"];
  EXPECT_EQ(m["DBInstanceClass"], "db.t4g.small");  // pending ones apply with ApplyImmediately
  EXPECT_EQ(m["AllocatedStorage"], 30);
  EXPECT_EQ(m["DBInstanceStatus"], "modifying");
  tick();
  EXPECT_EQ(status("pg1"), "available");
  EXPECT_EQ(fails("ModifyDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"AllocatedStorage", 25},
                                       {"ApplyImmediately", true}})
                .code,
            "InvalidParameterValue");
  call("ModifyDBInstance", {{"DBInstanceIdentifier", "pg1"}, {"MasterUserPassword", "NewPass-1234"}});
  EXPECT_EQ(fake.passwords[call("DescribeDBInstances", {{"DBInstanceIdentifier", "pg1"}})["DBInstances"][0]["DbiResourceId"]
                               .get<std::string>()],
            "NewPass-1234");
}

TEST_F(RdsTest, CatalogAndTags) {
  Json v = call("DescribeDBEngineVersions", {{"Engine", "postgres"}, {"DefaultOnly", true}})["DBEngineVersions"];
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]["EngineVersion"], "16.4");
  EXPECT_EQ(v[0]["DBParameterGroupFamily"], "postgres16");
  auto pgs = call("DescribeDBParameterGroups", {{"DBParameterGroupName", "default.postgres16"}})["DBParameterGroups"];
  ASSERT_EQ(pgs.size(), 1u);
  EXPECT_EQ(fails("DescribeDBParameterGroups", {{"DBParameterGroupName", "mine"}}).code, "DBParameterGroupNotFoundFault");
  auto ogs = call("DescribeOptionGroups", {{"EngineName", "postgres"}, {"MajorEngineVersion", "16"}})["OptionGroupsList"];
  ASSERT_EQ(ogs.size(), 1u);
  EXPECT_EQ(ogs[0]["OptionGroupName"], "default:postgres-16");
  auto opts = call("DescribeOrderableDBInstanceOptions",
                   {{"Engine", "postgres"}, {"EngineVersion", "16.4"}, {"DBInstanceClass", "db.t4g.micro"}});
  EXPECT_FALSE(opts["OrderableDBInstanceOptions"].empty());
  Json certs = call("DescribeCertificates");
  EXPECT_EQ(certs["DefaultCertificateForNewLaunches"], "rds-ca-rsa2048-g1");

  network();
  Json db = create("pg1", {{"DBSubnetGroupName", "main"}, {"Tags", Json::array({{{"Key", "team"}, {"Value", "data"}}})}});
  std::string arn = db["DBInstanceArn"];
  call("AddTagsToResource", {{"ResourceName", arn}, {"Tags", Json::array({{{"Key", "env"}, {"Value", "dev"}}})}});
  auto tags = call("ListTagsForResource", {{"ResourceName", arn}})["TagList"];
  EXPECT_EQ(tags.size(), 2u);
  call("RemoveTagsFromResource", {{"ResourceName", arn}, {"TagKeys", {"team"}}});
  tags = call("ListTagsForResource", {{"ResourceName", arn}})["TagList"];
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0]["Key"], "env");
  EXPECT_EQ(fails("ListTagsForResource", {{"ResourceName", "arn:aws:rds:us-west-2:000000000000:db:nope"}}).code,
            "DBInstanceNotFoundFault");
  EXPECT_EQ(fails("AddTagsToResource", {{"ResourceName", arn}, {"Tags", Json::array({{{"Key", "aws:x"}, {"Value", "1"}}})}})
                .code,
            "InvalidParameterValue");
}

TEST_F(RdsTest, PublicByDefaultOnlyWithAnInternetGateway) {
  network();
  EXPECT_FALSE(create("p1", {{"DBSubnetGroupName", "main"}})["PubliclyAccessible"].get<bool>());
  std::string igw = call("CreateInternetGateway", Json::object(), "ec2")["InternetGateway"]["InternetGatewayId"];
  call("AttachInternetGateway", {{"InternetGatewayId", igw}, {"VpcId", vpc_}}, "ec2");
  EXPECT_TRUE(create("p2", {{"DBSubnetGroupName", "main"}})["PubliclyAccessible"].get<bool>());
  EXPECT_FALSE(create("p3", {{"DBSubnetGroupName", "main"}, {"PubliclyAccessible", false}})["PubliclyAccessible"]
                   .get<bool>());
  // The default VPC has one.
  Json d = create("p4");
  EXPECT_TRUE(d["PubliclyAccessible"].get<bool>());
  EXPECT_EQ(d["DBSubnetGroup"]["DBSubnetGroupName"], "default");
}

TEST(RdsDurability, InstancesComeBackAndTheirServersAreStartedAgain) {
  std::string dir = ::testing::TempDir() + "/rds-durability-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  FakeDataPlane* fake = nullptr;
  rds::RdsService::data_plane_factory() = [&fake] {
    auto f = std::make_unique<FakeDataPlane>();
    fake = f.get();
    return f;
  };
  std::string resource_id;
  {
    Core core(Options{.state_dir = dir});
    RequestContext ctx{core};
    ctx.account_id = "000000000000";
    ctx.region = "us-east-1";
    ctx.now = core.clock().now();
    Json db = core.invoke(ctx, "rds", "CreateDBInstance",
                          {{"DBInstanceIdentifier", "keep"}, {"Engine", "postgres"}, {"DBInstanceClass", "db.t3.micro"},
                           {"AllocatedStorage", 20}, {"MasterUsername", "pgadmin"},
                           {"MasterUserPassword", "Passw0rd!234"}})["DBInstance"];
    resource_id = db["DbiResourceId"];
    core.tick();
    core.tick();
  }
  {
    Core core(Options{.state_dir = dir});
    ASSERT_NE(fake, nullptr);
    EXPECT_EQ(fake->calls, std::vector<std::string>{"start " + resource_id});
    RequestContext ctx{core};
    ctx.account_id = "000000000000";
    ctx.region = "us-east-1";
    ctx.now = core.clock().now();
    core.tick();
    Json d = core.invoke(ctx, "rds", "DescribeDBInstances", {{"DBInstanceIdentifier", "keep"}})["DBInstances"][0];
    EXPECT_EQ(d["DBInstanceStatus"], "available");
    EXPECT_EQ(d["DbiResourceId"], resource_id);
    EXPECT_FALSE(d.contains("_Password"));  // bookkeeping never shows
  }
  rds::RdsService::data_plane_factory() = nullptr;
  std::filesystem::remove_all(dir);
}

TEST_F(RdsTest, IamSeesTheResourceTheRequestNames) {
  Service* svc = core->service("rds");
  ASSERT_NE(svc, nullptr);
  ctx.operation = "StopDBInstance";
  auto t = svc->authz_targets(ctx, {{"DBInstanceIdentifier", "Pg1"}});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].action, "rds:StopDBInstance");
  EXPECT_EQ(t[0].resources, std::vector<std::string>{"arn:aws:rds:us-west-2:000000000000:db:pg1"});
  ctx.operation = "DescribeDBInstances";
  t = svc->authz_targets(ctx, Json::object());
  EXPECT_TRUE(t[0].resources.empty());
}

TEST_F(RdsTest, MissingPostgresIsAClearError) {
  network();
  fake.missing = "install the Debian package 'postgresql'";
  AwsError e = fails("CreateDBInstance", {{"DBInstanceIdentifier", "p"}, {"Engine", "postgres"},
                                          {"DBInstanceClass", "db.t3.micro"}, {"AllocatedStorage", 20},
                                          {"MasterUsername", "u1"}, {"MasterUserPassword", "Passw0rd!234"},
                                          {"DBSubnetGroupName", "main"}});
  EXPECT_NE(std::string(e.what()).find("postgresql"), std::string::npos);
  EXPECT_EQ(call("DescribeDBInstances")["DBInstances"].size(), 0u);
}

TEST_F(RdsTest, UnimplementedOperationsAnswerNotImplemented) {
  AwsError e = fails("CreateDBCluster", {{"DBClusterIdentifier", "c"}, {"Engine", "aurora-postgresql"}});
  EXPECT_EQ(e.code, "NotImplemented");
}

}  // namespace
}  // namespace cloudbox
