#pragma once
// Amazon RDS for PostgreSQL: DB subnet groups (over EC2 subnets), DB instances that are real PostgreSQL
// servers (dataplane.h), master passwords managed in Secrets Manager, DB snapshots (real dumps) and restores,
// the catalog (engine versions, orderable options, default parameter/option groups, certificates), events
// and tags. State is kept per account and region; each resource is one record in the store, written before
// the handler answers. Status transitions follow the server clock in tick(), and the data plane's progress.
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/common/tags.h"
#include "core/service.h"
#include "services/rds/dataplane.h"

namespace cloudbox::rds {

inline constexpr const char* kNamespace = "rds";

// One resource: its document in the model's output shape (members starting with '_' are cloudbox's own
// bookkeeping, never serialized), its tags and a creation sequence number.
struct Rec {
  std::string id;
  Json doc;
  TagMap tags;
  uint64_t seq = 0;
};

struct RegionState {
  std::string account;
  std::string region;
  std::map<std::string, Rec> instances;      // identifier (lower case) → DBInstance
  std::map<std::string, Rec> subnet_groups;  // name (lower case) → DBSubnetGroup
  std::map<std::string, Rec> snapshots;      // identifier → DBSnapshot
  std::deque<Json> events;                   // newest last, bounded
};

class RdsService : public Service {
 public:
  explicit RdsService(Core& core);
  // For tests: when set, every RdsService made afterwards takes its data plane from here (e.g. a fake).
  static std::function<std::unique_ptr<DataPlane>()>& data_plane_factory();
  ~RdsService() override;

  std::string name() const override { return "rds"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void load() override;
  void reset() override;
  void tick(TimePoint now) override;
  Json health() const override;
  // IAM sees rds:<Operation> on the instance, subnet group or snapshot the request names (else "*").
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& input) override;

  using Method = Json (RdsService::*)(RequestContext&, const Json&);

  // subnet_groups.cpp
  Json create_db_subnet_group(RequestContext& ctx, const Json& in);
  Json describe_db_subnet_groups(RequestContext& ctx, const Json& in);
  Json modify_db_subnet_group(RequestContext& ctx, const Json& in);
  Json delete_db_subnet_group(RequestContext& ctx, const Json& in);
  // instances.cpp
  Json create_db_instance(RequestContext& ctx, const Json& in);
  Json describe_db_instances(RequestContext& ctx, const Json& in);
  Json modify_db_instance(RequestContext& ctx, const Json& in);
  Json delete_db_instance(RequestContext& ctx, const Json& in);
  Json reboot_db_instance(RequestContext& ctx, const Json& in);
  Json stop_db_instance(RequestContext& ctx, const Json& in);
  Json start_db_instance(RequestContext& ctx, const Json& in);
  // snapshots.cpp
  Json create_db_snapshot(RequestContext& ctx, const Json& in);
  Json describe_db_snapshots(RequestContext& ctx, const Json& in);
  Json delete_db_snapshot(RequestContext& ctx, const Json& in);
  Json restore_from_snapshot(RequestContext& ctx, const Json& in);
  // catalog.cpp
  Json describe_db_engine_versions(RequestContext& ctx, const Json& in);
  Json describe_orderable_options(RequestContext& ctx, const Json& in);
  Json describe_db_parameter_groups(RequestContext& ctx, const Json& in);
  Json describe_option_groups(RequestContext& ctx, const Json& in);
  Json describe_certificates(RequestContext& ctx, const Json& in);
  Json describe_events(RequestContext& ctx, const Json& in);
  Json list_tags(RequestContext& ctx, const Json& in);
  Json add_tags(RequestContext& ctx, const Json& in);
  Json remove_tags(RequestContext& ctx, const Json& in);
  Json describe_db_clusters(RequestContext& ctx, const Json& in);

  // --- shared machinery (service.cpp)
  RegionState& region(const RequestContext& ctx) { return region(ctx.account_id, ctx.region); }
  RegionState& region(const std::string& account, const std::string& region_name);
  void save(RegionState& r, const char* kind, const Rec& rec);
  void erase(RegionState& r, const char* kind, const std::string& id);
  void event(RegionState& r, const std::string& source_id, const std::string& source_type, const std::string& arn,
             const std::string& message, const std::vector<std::string>& categories, double when);
  Rec& instance(RegionState& r, const std::string& id);  // DBInstanceNotFound
  Json render_instance(const RegionState& r, const Rec& rec) const;
  // The Endpoint host: <id>.c<12 chars fixed per account+region>.<region>.rds.localhost
  static std::string endpoint_address(const std::string& account, const std::string& region, const std::string& id);
  PgSpec spec_of(const RegionState& r, const Rec& rec) const;
  // Subnet groups: the named group, or the default VPC's implicit "default" group (made on first use).
  Rec& subnet_group_for(RequestContext& ctx, RegionState& r, const std::string& name);
  Json ec2_subnets(RequestContext& ctx, const std::vector<std::string>& ids);
  // Security groups: validated through EC2; the VPC's default group when none are named.
  Json security_groups_for(RequestContext& ctx, const std::string& vpc_id, const std::vector<std::string>& ids);
  // Managed master passwords (Secrets Manager).
  std::string new_password() const;
  Json create_managed_secret(RequestContext& ctx, RegionState& r, Rec& db, const std::string& password);
  // Turns management on: a new password in a new secret. Returns the password.
  std::string new_password_for(RequestContext& ctx, Rec& db);
  void put_secret_password(RequestContext& ctx, Rec& db, const std::string& password);
  void delete_managed_secret(RequestContext& ctx, Rec& db);
  static std::string kms_key_arn(const std::string& account, const std::string& region);
  // Snapshots: a record plus a dump job on the data plane.
  Rec& make_snapshot(RegionState& r, Rec& db, const std::string& snap_id, const std::string& type, TagMap tags,
                     double now);
  // Time: the state machine of one instance.
  void advance(RegionState& r, Rec& db, double now);
  void advance_snapshots(RegionState& r, double now);
  DataPlane& dp() { return *dp_; }

 private:
  std::unique_ptr<DataPlane> dp_;
  uint64_t next_seq_ = 1;
  std::map<std::string, RegionState> regions_;  // "account|region"
};

// Helpers for the handler files.
std::string str(const Json& in, const char* member, const std::string& fallback = "");
bool has(const Json& in, const char* member);
bool flag(const Json& in, const char* member, bool fallback = false);
std::vector<std::string> strings(const Json& in, const char* member);
double epoch(const RequestContext& ctx);
std::string lower(std::string s);
std::string rds_arn(const RegionState& r, const std::string& type, const std::string& id);
// Marker/MaxRecords paging (MaxRecords 20–100, default 100) over items sorted by key.
struct RdsPage {
  std::vector<Json> items;
  std::string marker;
};
RdsPage page_of(const Json& in, std::vector<std::pair<std::string, Json>> sorted);
// RDS filters: [{Name, Values}]; unknown names are refused.
struct RdsFilter {
  std::string name;
  std::vector<std::string> values;
};
std::vector<RdsFilter> read_filters(const Json& in, const std::vector<std::string>& known);
bool any_of(const std::vector<std::string>& values, const std::string& v);
// Identifier rules (1–63 letters, digits, hyphens; a letter first; no trailing or double hyphen).
void check_identifier(const std::string& member, const std::string& id);
TagMap read_tags(const Json& in, const TagMap& existing = {});

}  // namespace cloudbox::rds
