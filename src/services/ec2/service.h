#pragma once
// Amazon EC2 networking: VPCs with real CIDR/IP address management, subnets, internet and NAT gateways,
// route tables, security groups and rules, network ACLs, DHCP options, VPC endpoints and prefix lists,
// Elastic IP allocation (for NAT gateways), network interfaces made by those, regions and zones, and one
// tagging store for all of them. Every account and region gets AWS's default VPC on first use.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/http/message.h"
#include "core/service.h"
#include "core/store/store.h"
#include "services/ec2/filters.h"
#include "services/ec2/state.h"

namespace cloudbox::ec2 {

// What AWS calls each kind in errors, tags and ids.
struct KindSpec {
  const char* kind;           // id prefix
  const char* resource_type;  // DescribeTags / TagSpecifications resource type
  const char* nf_code;        // not-found error code
  const char* nf_one;         // message for one missing id (%s = the id)
  const char* nf_many;        // message for several (%s = "id1, id2")
  const char* malformed_code;
  const char* tags_member;    // "Tags" (NetworkInterface: "TagSet")
};
const KindSpec* kind_spec(std::string_view kind);

struct Zone {
  std::string name;
  std::string id;
};
struct RegionInfo {
  std::string name;
  bool opt_in;  // opt-in region (not enabled by default)
  std::vector<Zone> zones;
};
const std::vector<RegionInfo>& all_regions();
// The zones of a region (AWS's names and ids; three regular zones for regions not in the table).
std::vector<Zone> zones_of(const std::string& region);

class Ec2Service : public Service {
 public:
  explicit Ec2Service(Core& core) : Service(core) {}

  std::string name() const override { return "ec2"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void load() override;
  void reset() override;
  void tick(TimePoint now) override;
  Json health() const override;
  std::optional<HttpResponse> admin(const HttpRequest& request, std::string_view rest) override;
  // authz.cpp: the action, resource ARNs and condition keys IAM decides a request by.
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& in) override;

  using Method = Json (Ec2Service::*)(RequestContext&, const Json&);

  // --- vpcs.cpp
  Json create_vpc(RequestContext& ctx, const Json& in);
  Json create_default_vpc(RequestContext& ctx, const Json& in);
  Json delete_vpc(RequestContext& ctx, const Json& in);
  Json describe_vpcs(RequestContext& ctx, const Json& in);
  Json describe_vpc_attribute(RequestContext& ctx, const Json& in);
  Json modify_vpc_attribute(RequestContext& ctx, const Json& in);
  Json modify_vpc_tenancy(RequestContext& ctx, const Json& in);
  Json associate_vpc_cidr_block(RequestContext& ctx, const Json& in);
  Json disassociate_vpc_cidr_block(RequestContext& ctx, const Json& in);
  Json create_dhcp_options(RequestContext& ctx, const Json& in);
  Json delete_dhcp_options(RequestContext& ctx, const Json& in);
  Json describe_dhcp_options(RequestContext& ctx, const Json& in);
  Json associate_dhcp_options(RequestContext& ctx, const Json& in);
  // --- subnets.cpp
  Json create_subnet(RequestContext& ctx, const Json& in);
  Json delete_subnet(RequestContext& ctx, const Json& in);
  Json describe_subnets(RequestContext& ctx, const Json& in);
  Json modify_subnet_attribute(RequestContext& ctx, const Json& in);
  Json associate_subnet_cidr_block(RequestContext& ctx, const Json& in);
  Json disassociate_subnet_cidr_block(RequestContext& ctx, const Json& in);
  Json describe_network_interfaces(RequestContext& ctx, const Json& in);
  Json create_network_interface(RequestContext& ctx, const Json& in);
  Json delete_network_interface_op(RequestContext& ctx, const Json& in);
  Json modify_network_interface_attribute(RequestContext& ctx, const Json& in);
  // --- gateways.cpp
  Json create_internet_gateway(RequestContext& ctx, const Json& in);
  Json delete_internet_gateway(RequestContext& ctx, const Json& in);
  Json describe_internet_gateways(RequestContext& ctx, const Json& in);
  Json attach_internet_gateway(RequestContext& ctx, const Json& in);
  Json detach_internet_gateway(RequestContext& ctx, const Json& in);
  Json create_egress_only_internet_gateway(RequestContext& ctx, const Json& in);
  Json delete_egress_only_internet_gateway(RequestContext& ctx, const Json& in);
  Json describe_egress_only_internet_gateways(RequestContext& ctx, const Json& in);
  Json allocate_address(RequestContext& ctx, const Json& in);
  Json release_address(RequestContext& ctx, const Json& in);
  Json describe_addresses(RequestContext& ctx, const Json& in);
  Json create_nat_gateway(RequestContext& ctx, const Json& in);
  Json delete_nat_gateway(RequestContext& ctx, const Json& in);
  Json describe_nat_gateways(RequestContext& ctx, const Json& in);
  // --- peering.cpp
  Json create_vpc_peering_connection(RequestContext& ctx, const Json& in);
  Json accept_vpc_peering_connection(RequestContext& ctx, const Json& in);
  Json reject_vpc_peering_connection(RequestContext& ctx, const Json& in);
  Json delete_vpc_peering_connection(RequestContext& ctx, const Json& in);
  Json describe_vpc_peering_connections(RequestContext& ctx, const Json& in);
  // --- route_tables.cpp
  Json create_route_table(RequestContext& ctx, const Json& in);
  Json delete_route_table(RequestContext& ctx, const Json& in);
  Json describe_route_tables(RequestContext& ctx, const Json& in);
  Json create_route(RequestContext& ctx, const Json& in);
  Json replace_route(RequestContext& ctx, const Json& in);
  Json delete_route(RequestContext& ctx, const Json& in);
  Json associate_route_table(RequestContext& ctx, const Json& in);
  Json disassociate_route_table(RequestContext& ctx, const Json& in);
  Json replace_route_table_association(RequestContext& ctx, const Json& in);
  // --- security_groups.cpp
  Json create_security_group(RequestContext& ctx, const Json& in);
  Json delete_security_group(RequestContext& ctx, const Json& in);
  Json describe_security_groups(RequestContext& ctx, const Json& in);
  Json authorize_ingress(RequestContext& ctx, const Json& in);
  Json authorize_egress(RequestContext& ctx, const Json& in);
  Json revoke_ingress(RequestContext& ctx, const Json& in);
  Json revoke_egress(RequestContext& ctx, const Json& in);
  Json describe_security_group_rules(RequestContext& ctx, const Json& in);
  Json modify_security_group_rules(RequestContext& ctx, const Json& in);
  Json update_rule_descriptions_ingress(RequestContext& ctx, const Json& in);
  Json update_rule_descriptions_egress(RequestContext& ctx, const Json& in);
  // --- network_acls.cpp
  Json create_network_acl(RequestContext& ctx, const Json& in);
  Json delete_network_acl(RequestContext& ctx, const Json& in);
  Json describe_network_acls(RequestContext& ctx, const Json& in);
  Json create_network_acl_entry(RequestContext& ctx, const Json& in);
  Json replace_network_acl_entry(RequestContext& ctx, const Json& in);
  Json delete_network_acl_entry(RequestContext& ctx, const Json& in);
  Json replace_network_acl_association(RequestContext& ctx, const Json& in);
  // --- endpoints.cpp
  Json create_vpc_endpoint(RequestContext& ctx, const Json& in);
  Json delete_vpc_endpoints(RequestContext& ctx, const Json& in);
  Json describe_vpc_endpoints(RequestContext& ctx, const Json& in);
  Json modify_vpc_endpoint(RequestContext& ctx, const Json& in);
  Json describe_prefix_lists(RequestContext& ctx, const Json& in);
  Json describe_managed_prefix_lists(RequestContext& ctx, const Json& in);
  Json get_managed_prefix_list_entries(RequestContext& ctx, const Json& in);
  Json create_managed_prefix_list(RequestContext& ctx, const Json& in);
  Json modify_managed_prefix_list(RequestContext& ctx, const Json& in);
  Json delete_managed_prefix_list(RequestContext& ctx, const Json& in);
  // True for an AWS-managed list of the region or one of the account's own.
  bool prefix_list_exists(RegionState& r, const std::string& id);
  Json describe_vpc_endpoint_services(RequestContext& ctx, const Json& in);
  // --- account.cpp
  Json describe_regions(RequestContext& ctx, const Json& in);
  Json describe_availability_zones(RequestContext& ctx, const Json& in);
  Json describe_account_attributes(RequestContext& ctx, const Json& in);
  Json create_tags(RequestContext& ctx, const Json& in);
  Json delete_tags(RequestContext& ctx, const Json& in);
  Json describe_tags(RequestContext& ctx, const Json& in);

  // --- keypairs.cpp
  Json create_key_pair(RequestContext& ctx, const Json& in);
  Json import_key_pair(RequestContext& ctx, const Json& in);
  Json describe_key_pairs(RequestContext& ctx, const Json& in);
  Json delete_key_pair(RequestContext& ctx, const Json& in);
  Res* find_key_pair(RegionState& r, const std::string& name);
  // --- images.cpp
  Json describe_images(RequestContext& ctx, const Json& in);
  Json describe_instance_types(RequestContext& ctx, const Json& in);
  Json describe_instance_type_offerings(RequestContext& ctx, const Json& in);
  Json create_image(RequestContext& ctx, const Json& in);
  Json deregister_image(RequestContext& ctx, const Json& in);
  // A catalog image of the region or one of the account's own (as DescribeImages shows it).
  std::optional<Json> find_image(RegionState& r, const std::string& id);
  // The same, or InvalidAMIID.Malformed / InvalidAMIID.NotFound.
  Json image_or_throw(RegionState& r, const std::string& id);
  static std::optional<Json> instance_type_info(const std::string& type);
  // --- instances.cpp
  Json run_instances(RequestContext& ctx, const Json& in);
  Json describe_instances(RequestContext& ctx, const Json& in);
  Json start_instances(RequestContext& ctx, const Json& in);
  Json stop_instances(RequestContext& ctx, const Json& in);
  Json terminate_instances(RequestContext& ctx, const Json& in);
  Json reboot_instances(RequestContext& ctx, const Json& in);
  Json describe_instance_status(RequestContext& ctx, const Json& in);
  Json describe_instance_attribute(RequestContext& ctx, const Json& in);
  Json modify_instance_attribute(RequestContext& ctx, const Json& in);
  Json modify_instance_metadata_options(RequestContext& ctx, const Json& in);
  Json get_console_output(RequestContext& ctx, const Json& in);
  Json associate_iam_instance_profile(RequestContext& ctx, const Json& in);
  Json replace_iam_instance_profile_association(RequestContext& ctx, const Json& in);
  Json disassociate_iam_instance_profile(RequestContext& ctx, const Json& in);
  Json describe_iam_instance_profile_associations(RequestContext& ctx, const Json& in);
  Json describe_volumes(RequestContext& ctx, const Json& in);
  Json describe_instance_credit_specifications(RequestContext& ctx, const Json& in);
  Json modify_instance_credit_specification(RequestContext& ctx, const Json& in);
  Json describe_addresses_attribute(RequestContext& ctx, const Json& in);
  Json associate_address(RequestContext& ctx, const Json& in);
  Json disassociate_address(RequestContext& ctx, const Json& in);
  std::vector<Res*> instances_or_throw(RegionState& r, const std::vector<std::string>& ids);
  Res& instance_by_association(RegionState& r, const std::string& assoc_id);
  Json resolve_instance_profile(const RequestContext& ctx, const Json& spec);
  void set_instance_state(RegionState& r, Res& inst, const std::string& s, double now);
  void stop_one(RegionState& r, Res& inst, double now, const std::string& why);
  void set_eni_public(RegionState& r, Res& eni, const std::string& ip, const std::string& alloc, const std::string& assoc);
  void disassociate_eip(RegionState& r, Res& eip, bool give_auto_ip);
  void release_instance_resources(RegionState& r, Res& inst, double now);
  // Instances follow the server clock: pending → running, stopping → stopped, shutting-down → terminated → gone.
  void advance_instances(RegionState& r, double now);
  static void append_console(Res& inst, const std::string& line);
  // Tags of one resource type from TagSpecifications (other types ignored).
  static TagMap tags_from_specs_any(const Json& in, const std::string& resource_type);
  // --- imds.cpp
  // Answers one request to the metadata service of `instance_id` (takes the service lock itself).
  HttpResponse imds_handle(const std::string& instance_id, const HttpRequest& req);
  // Opens a metadata port for every running instance and closes the others' (no-op without a ListenerHost).
  void sync_imds();
  std::string region_key_of_instance(const std::string& instance_id);
  // The instance's role credentials as IMDS shows them (cached, refreshed before expiry); null without a role.
  Json instance_credentials(RegionState& r, Res& inst, double now, std::string& role_name);
  std::map<std::string, int> imds_ports_;                                  // instance id → port
  std::map<std::string, std::pair<std::string, double>> imds_tokens_;      // token → (instance id, expiry)
  std::map<std::string, Json> creds_;                                       // instance id → credentials

  // ---------------------------------------------------------------------------------------------
  // Shared machinery (service.cpp)

  // The caller's account+region state, with its defaults made on first use.
  RegionState& region(const RequestContext& ctx);
  RegionState& region(const std::string& account, const std::string& region_name);
  // A new resource (marked for writing).
  Res& add(RegionState& r, const std::string& id, Json doc, TagMap tags = {});
  // Marks a resource changed / removes one (written when the handler returns).
  void touch(RegionState& r, const std::string& id);
  void drop(RegionState& r, const std::string& id);
  // Brings RegionState::subnets_by_vpc / sg_by_name up to date.
  static void ensure_vpc_index(RegionState& r);
  // Looks up an id of `kind`: Malformed when it is not of that kind's form, NotFound when missing.
  Res& get(RegionState& r, const std::string& kind, const std::string& id);
  // The resource document as Describe* shows it (with its tags).
  Json render(const RegionState& r, const Res& res) const;
  // Generic Describe*: explicit ids (each must exist), filters (names checked), pagination.
  Json describe(RequestContext& ctx, const Json& in, const std::string& kind, const char* ids_member,
                const char* out_member, const FilterTable& table, const char* filter_member = "Filters",
                const std::function<bool(const Res&)>& include = nullptr);
  // Throws the kind's NotFound error for the given missing ids.
  // Ids of `kind` that a literal tag:K filter selects (through the tag index), or nullopt when no such filter.
  std::optional<std::set<std::string>> tag_candidates(RegionState& r, const std::string& kind,
                                                      const std::vector<Filter>& filters);
  [[noreturn]] static void not_found(const std::string& kind, const std::vector<std::string>& ids);
  static void check_id_form(const std::string& kind, const std::string& id);
  // Tags from TagSpecifications for `resource_type`.
  static TagMap tags_from_specs(const Json& in, const std::string& resource_type);
  std::string new_id(const std::string& prefix) const;

  // Defaults: the region's default VPC and, for every VPC, its main route table, default SG and NACL.
  void make_defaults(RegionState& r);
  Res& make_vpc(RegionState& r, const std::string& cidr, bool is_default, const std::string& tenancy, TagMap tags,
                bool ipv6);
  std::string default_dhcp_options(RegionState& r);
  Res* default_vpc(RegionState& r);
  // Security groups (security_groups.cpp).
  Res& make_security_group(RegionState& r, const std::string& vpc_id, const std::string& name,
                           const std::string& description, bool is_default, TagMap tags);
  void delete_security_group_rules(RegionState& r, Res& sg);
  // Network ACLs (network_acls.cpp).
  Res& make_network_acl(RegionState& r, const std::string& vpc_id, bool is_default, TagMap tags);
  void associate_subnet_with_default_acl(RegionState& r, const std::string& vpc_id, const std::string& subnet_id);
  void drop_subnet_acl_association(RegionState& r, const std::string& subnet_id);
  // Route tables (route_tables.cpp).
  Res& make_route_table(RegionState& r, const std::string& vpc_id, bool main, TagMap tags);
  void add_local_routes(RegionState& r, const std::string& vpc_id, const std::string& cidr, bool ipv6);
  void remove_routes_to(RegionState& r, const std::string& target_member, const std::string& target);
  // Subnets (subnets.cpp).
  Res& make_subnet(RegionState& r, Res& vpc, const std::string& cidr, const Zone& zone, bool default_for_az,
                   TagMap tags);
  // Allocates the lowest free private address in the subnet (the first four and the last are reserved).
  std::string allocate_ip(RegionState& r, Res& subnet, const std::string& wanted = "");
  void release_ip(RegionState& r, const std::string& subnet_id, const std::string& ip);
  Res& make_network_interface(RegionState& r, Res& subnet, const std::string& interface_type,
                              const std::string& description, const Json& groups);
  void delete_network_interface(RegionState& r, const std::string& eni_id);
  // NAT gateways follow the server clock (gateways.cpp).
  void advance_nat_gateways(RegionState& r, double now);

  // Durable writes: every record touched during a handler, written together before it answers.
  void flush();
  static std::string record_key(const RegionState& r, const std::string& id);

  uint64_t next_seq_ = 1;
  std::map<std::string, RegionState> regions_;  // "account|region" → state
  std::set<std::pair<std::string, std::string>> dirty_;  // (region key, id)
  std::set<std::string> dirty_meta_;                     // region keys whose meta record changed
};

// An instance as DescribeInstances shows it: network interface, addresses, groups and volumes from their records.
Json instance_view(const RegionState& r, const Res& inst);
// A public address from Amazon's ranges, not held by an Elastic IP of the region.
std::string random_public_ip(const RegionState& r);

// A security group as Describe* shows it: IpPermissions / IpPermissionsEgress built from its rules.
Json sg_view(const RegionState& r, const Res& sg);

// True when document `d` has string member `k` equal to `v` (no copies: for loops over many resources).
inline bool field_is(const Json& d, const char* k, const std::string& v) {
  auto it = d.find(k);
  return it != d.end() && it->is_string() && it->get_ref<const std::string&>() == v;
}

// Helpers for handler files.
std::string str(const Json& in, const char* member, const std::string& fallback = "");
bool has(const Json& in, const char* member);
bool flag(const Json& in, const char* member, bool fallback = false);
double epoch(const RequestContext& ctx);
std::string arn_of(const RegionState& r, const std::string& type, const std::string& id);
// {"Value": bool} attribute documents.
Json bool_attr(bool v);
std::vector<std::string> strings(const Json& in, const char* member);

}  // namespace cloudbox::ec2
