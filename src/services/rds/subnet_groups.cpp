// DB subnet groups: EC2 subnets of one VPC covering at least two Availability Zones. Subnets are looked up
// in EC2 through Core::invoke; the default VPC's implicit "default" group is made on first use.
#include <set>

#include "core/core.h"
#include "services/rds/service.h"

namespace cloudbox::rds {

namespace {

void check_group_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 255;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ' ');
  if (!ok)
    throw AwsError("InvalidParameterValue",
                   "The parameter DBSubnetGroupName is not a valid identifier. It must contain no more than 255 "
                   "letters, numbers, periods, underscores, spaces, or hyphens.",
                   400);
  if (lower(name) == "default")
    throw AwsError("InvalidParameterValue", "DBSubnetGroupName must not be \"default\".", 400);
}

std::string joined(const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : ", ") + id;
  return s;
}

}  // namespace

Json RdsService::ec2_subnets(RequestContext& ctx, const std::vector<std::string>& ids) {
  try {
    return core_.invoke(ctx, "ec2", "DescribeSubnets", {{"SubnetIds", ids}}).value("Subnets", Json::array());
  } catch (const AwsError& e) {
    throw AwsError("InvalidSubnet", "Some input subnets in :[" + joined(ids) + "] are invalid.", 400);
  }
}

namespace {

// The DBSubnetGroup document for EC2 subnet documents (all of one VPC, two AZs or more).
Json group_doc(const RegionState& r, const std::string& name, const std::string& description, const Json& subnets,
               bool require_two_azs) {
  std::string vpc;
  std::set<std::string> azs;
  Json list = Json::array();
  std::vector<std::string> ids;
  for (const auto& s : subnets) ids.push_back(s.value("SubnetId", ""));
  for (const auto& s : subnets) {
    std::string v = s.value("VpcId", "");
    if (!vpc.empty() && v != vpc)
      throw AwsError("InvalidSubnet",
                     "Subnets in a DB subnet group must all be in the same VPC: [" + joined(ids) + "].", 400);
    vpc = v;
    azs.insert(s.value("AvailabilityZone", ""));
    list.push_back({{"SubnetIdentifier", s.value("SubnetId", "")},
                    {"SubnetAvailabilityZone", {{"Name", s.value("AvailabilityZone", "")}}},
                    {"SubnetOutpost", Json::object()},
                    {"SubnetStatus", "Active"}});
  }
  if (require_two_azs && azs.size() < 2) {
    std::string cover;
    for (const auto& a : azs) cover += (cover.empty() ? "" : ", ") + a;
    throw AwsError("DBSubnetGroupDoesNotCoverEnoughAZs",
                   "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ "
                   "coverage: " + cover + ". Add subnets to cover at least 2 AZs.");
  }
  return {{"DBSubnetGroupName", name},
          {"DBSubnetGroupDescription", description},
          {"VpcId", vpc},
          {"SubnetGroupStatus", "Complete"},
          {"Subnets", list},
          {"DBSubnetGroupArn", rds_arn(r, "subgrp", name)},
          {"SupportedNetworkTypes", Json::array({"IPV4"})}};
}

}  // namespace

Rec& RdsService::subnet_group_for(RequestContext& ctx, RegionState& r, const std::string& name_in) {
  std::string name = lower(name_in.empty() ? "default" : name_in);
  auto it = r.subnet_groups.find(name);
  if (it != r.subnet_groups.end()) return it->second;
  if (name != "default")
    throw AwsError("DBSubnetGroupNotFoundFault", "DBSubnetGroup '" + name_in + "' not found.");
  // The default VPC's default subnets.
  Json subnets = core_.invoke(ctx, "ec2", "DescribeSubnets",
                              {{"Filters", Json::array({{{"Name", "default-for-az"}, {"Values", {"true"}}}})}})
                     .value("Subnets", Json::array());
  if (subnets.empty())
    throw AwsError("InvalidVPCNetworkStateFault",
                   "There is no default VPC in this region: create a DB subnet group and name it.");
  Rec rec;
  rec.id = "default";
  rec.seq = next_seq_++;
  rec.doc = group_doc(r, "default", "default", subnets, false);
  Rec& stored = r.subnet_groups[rec.id] = std::move(rec);
  save(r, "subgrp", stored);
  return stored;
}

Json RdsService::create_db_subnet_group(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name_in = str(in, "DBSubnetGroupName");
  check_group_name(name_in);
  std::string name = lower(name_in);
  if (r.subnet_groups.count(name))
    throw AwsError("DBSubnetGroupAlreadyExistsFault", "DB subnet group '" + name + "' already exists.");
  std::vector<std::string> ids = strings(in, "SubnetIds");
  if (ids.empty())
    throw AwsError("InvalidParameterValue", "The parameter SubnetIds must be provided and must not be empty.", 400);
  TagMap tags = read_tags(in);
  Json subnets = ec2_subnets(ctx, ids);
  Rec rec;
  rec.id = name;
  rec.seq = next_seq_++;
  rec.tags = std::move(tags);
  rec.doc = group_doc(r, name, str(in, "DBSubnetGroupDescription"), subnets, true);
  Rec& stored = r.subnet_groups[name] = std::move(rec);
  save(r, "subgrp", stored);
  return {{"DBSubnetGroup", stored.doc}};
}

Json RdsService::describe_db_subnet_groups(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  read_filters(in, {});
  std::vector<std::pair<std::string, Json>> items;
  if (has(in, "DBSubnetGroupName")) {
    std::string name = lower(str(in, "DBSubnetGroupName"));
    auto it = r.subnet_groups.find(name);
    if (it == r.subnet_groups.end())
      throw AwsError("DBSubnetGroupNotFoundFault", "DBSubnetGroup '" + str(in, "DBSubnetGroupName") + "' not found.");
    items.emplace_back(name, it->second.doc);
  } else {
    for (const auto& [name, g] : r.subnet_groups) items.emplace_back(name, g.doc);
  }
  RdsPage page = page_of(in, std::move(items));
  Json out = {{"DBSubnetGroups", page.items}};
  if (!page.marker.empty()) out["Marker"] = page.marker;
  return out;
}

Json RdsService::modify_db_subnet_group(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = lower(str(in, "DBSubnetGroupName"));
  auto it = r.subnet_groups.find(name);
  if (it == r.subnet_groups.end())
    throw AwsError("DBSubnetGroupNotFoundFault", "DBSubnetGroup '" + str(in, "DBSubnetGroupName") + "' not found.");
  Rec& g = it->second;
  std::string description = has(in, "DBSubnetGroupDescription") ? str(in, "DBSubnetGroupDescription")
                                                                  : g.doc.value("DBSubnetGroupDescription", "");
  std::vector<std::string> ids = strings(in, "SubnetIds");
  if (ids.empty())
    throw AwsError("InvalidParameterValue", "The parameter SubnetIds must be provided and must not be empty.", 400);
  Json subnets = ec2_subnets(ctx, ids);
  Json doc = group_doc(r, name, description, subnets, true);
  if (doc.value("VpcId", "") != g.doc.value("VpcId", ""))
    for (const auto& [id, db] : r.instances)
      if (db.doc["DBSubnetGroup"].value("DBSubnetGroupName", "") == name)
        throw AwsError("InvalidParameterValue",
                       "The new subnets are not in the same VPC as the DB instances using the subnet group.", 400);
  g.doc = doc;
  save(r, "subgrp", g);
  // Instances show their group as it is now.
  for (auto& [id, db] : r.instances)
    if (db.doc["DBSubnetGroup"].value("DBSubnetGroupName", "") == name) {
      db.doc["DBSubnetGroup"] = doc;
      db.doc["DBSubnetGroup"].erase("DBSubnetGroupArn");
      save(r, "db", db);
    }
  return {{"DBSubnetGroup", g.doc}};
}

Json RdsService::delete_db_subnet_group(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = lower(str(in, "DBSubnetGroupName"));
  auto it = r.subnet_groups.find(name);
  if (it == r.subnet_groups.end())
    throw AwsError("DBSubnetGroupNotFoundFault", "DBSubnetGroup '" + str(in, "DBSubnetGroupName") + "' not found.");
  for (const auto& [id, db] : r.instances)
    if (db.doc["DBSubnetGroup"].value("DBSubnetGroupName", "") == name)
      throw AwsError("InvalidDBSubnetGroupStateFault", "Cannot delete the subnet group '" + name +
                                                           "' because at least one database instance: " + id +
                                                           " is still using it.");
  erase(r, "subgrp", name);
  r.subnet_groups.erase(it);
  return Json::object();
}

}  // namespace cloudbox::rds
