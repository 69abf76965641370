// Regions, availability zones, account attributes, and the one tagging store of every EC2 resource.
#include <algorithm>

#include "services/ec2/service.h"

namespace cloudbox::ec2 {

Json Ec2Service::describe_regions(RequestContext& ctx, const Json& in) {
  static const FilterTable t = {{"endpoint", by_path("Endpoint")},
                                {"opt-in-status", by_path("OptInStatus")},
                                {"region-name", by_path("RegionName")}};
  auto filters = read_filters(in);
  check_filters(filters, t);
  auto names = strings(in, "RegionNames");
  bool all = flag(in, "AllRegions");
  for (const auto& n : names) {
    bool known = false;
    for (const auto& r : all_regions()) known = known || r.name == n;
    if (!known) throw AwsError("InvalidParameterValue", "Invalid region names: " + n, 400);
  }
  Json list = Json::array();
  for (const auto& r : all_regions()) {
    if (!names.empty() && std::find(names.begin(), names.end(), r.name) == names.end()) continue;
    if (names.empty() && !all && r.opt_in) continue;
    Json d = {{"RegionName", r.name},
              {"Endpoint", "ec2." + r.name + ".amazonaws.com"},
              {"OptInStatus", r.opt_in ? "not-opted-in" : "opt-in-not-required"}};
    if (matches(filters, t, d, {})) list.push_back(d);
  }
  return {{"Regions", list}};
}

Json Ec2Service::describe_availability_zones(RequestContext& ctx, const Json& in) {
  static const FilterTable t = {{"group-name", by_path("GroupName")},
                                {"group-long-name", by_path("GroupLongName")},
                                {"message", by_path("Messages.Message")},
                                {"opt-in-status", by_path("OptInStatus")},
                                {"region-name", by_path("RegionName")},
                                {"state", by_path("State")},
                                {"zone-id", by_path("ZoneId")},
                                {"zone-name", by_path("ZoneName")},
                                {"zone-type", by_path("ZoneType")},
                                {"network-border-group", by_path("NetworkBorderGroup")},
                                {"parent-zone-id", by_path("ParentZoneId")},
                                {"parent-zone-name", by_path("ParentZoneName")}};
  auto filters = read_filters(in);
  check_filters(filters, t);
  auto zones = zones_of(ctx.region);
  auto names = strings(in, "ZoneNames"), ids = strings(in, "ZoneIds");
  for (const auto& n : names)
    if (std::none_of(zones.begin(), zones.end(), [&](const Zone& z) { return z.name == n; }))
      throw AwsError("InvalidParameterValue", "The zone '" + n + "' does not exist.", 400);
  for (const auto& n : ids)
    if (std::none_of(zones.begin(), zones.end(), [&](const Zone& z) { return z.id == n; }))
      throw AwsError("InvalidParameterValue", "The zone '" + n + "' does not exist.", 400);
  Json list = Json::array();
  for (const auto& z : zones) {
    bool named = std::find(names.begin(), names.end(), z.name) != names.end();
    bool ided = std::find(ids.begin(), ids.end(), z.id) != ids.end();
    if ((!names.empty() || !ids.empty()) && !named && !ided) continue;
    Json d = {{"State", "available"},
              {"OptInStatus", "opt-in-not-required"},
              {"Messages", Json::array()},
              {"RegionName", ctx.region},
              {"ZoneName", z.name},
              {"ZoneId", z.id},
              {"GroupName", ctx.region + "-zg-1"},
              {"GroupLongName", ctx.region},
              {"NetworkBorderGroup", ctx.region},
              {"ZoneType", "availability-zone"}};
    if (matches(filters, t, d, {})) list.push_back(d);
  }
  return {{"AvailabilityZones", list}};
}

Json Ec2Service::describe_account_attributes(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  Res* def = default_vpc(r);
  std::vector<std::pair<std::string, std::vector<std::string>>> attrs = {
      {"supported-platforms", {"VPC"}},
      {"default-vpc", {def ? def->id : "none"}},
      {"max-instances", {"20"}},
      {"vpc-max-security-groups-per-interface", {"5"}},
      {"max-elastic-ips", {"5"}},
      {"vpc-max-elastic-ips", {"5"}},
  };
  auto names = strings(in, "AttributeNames");
  Json list = Json::array();
  for (const auto& [name, values] : attrs) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    Json vals = Json::array();
    for (const auto& v : values) vals.push_back({{"AttributeValue", v}});
    list.push_back({{"AttributeName", name}, {"AttributeValues", vals}});
  }
  return {{"AccountAttributes", list}};
}

// ---------------------------------------------------------------------------------------------------
// Tags

namespace {
Res& resolve_taggable(Ec2Service& svc, RegionState& r, const std::string& id) {
  std::string kind = kind_of_id(id);
  if (!kind_spec(kind)) throw AwsError("InvalidID", "The ID '" + id + "' is not valid", 400);
  return svc.get(r, kind, id);
}
}  // namespace

Json Ec2Service::create_tags(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "Resources");
  Json list = in.value("Tags", Json::array());
  for (auto& t : list)
    if (!t.contains("Value")) t["Value"] = "";
  std::vector<Res*> targets;
  for (const auto& id : ids) targets.push_back(&resolve_taggable(*this, r, id));
  for (Res* res : targets) {
    TagMap add_tags = parse_tag_list(list, "InvalidParameterValue", {}, {});
    TagMap merged = res->tags;
    for (auto& [k, v] : add_tags) merged[k] = v;
    if (merged.size() > 50)
      throw AwsError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.", 400);
  }
  for (Res* res : targets) {
    for (const auto& t : list) res->tags[t.value("Key", "")] = t.value("Value", "");
    touch(r, res->id);
    r.tag_index_stale = true;
  }
  return Json::object();
}

Json Ec2Service::delete_tags(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto ids = strings(in, "Resources");
  std::vector<Res*> targets;
  for (const auto& id : ids) targets.push_back(&resolve_taggable(*this, r, id));
  bool all = !in.contains("Tags");
  for (Res* res : targets) {
    if (all) {
      for (auto it = res->tags.begin(); it != res->tags.end();)
        it = it->first.rfind("aws:", 0) == 0 ? std::next(it) : res->tags.erase(it);
    } else {
      for (const auto& t : in["Tags"]) {
        std::string k = t.value("Key", "");
        if (k.rfind("aws:", 0) == 0)
          throw AwsError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use", 400);
        auto it = res->tags.find(k);
        if (it == res->tags.end()) continue;
        if (t.contains("Value") && t["Value"].is_string() && t["Value"] != it->second) continue;
        res->tags.erase(it);
      }
    }
    touch(r, res->id);
    r.tag_index_stale = true;
  }
  return Json::object();
}

Json Ec2Service::describe_tags(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  static const FilterTable t = {{"key", by_path("Key")},
                                {"resource-id", by_path("ResourceId")},
                                {"resource-type", by_path("ResourceType")},
                                {"value", by_path("Value")}};
  auto filters = read_filters(in);
  for (const auto& f : filters)
    if (!t.count(f.name) && f.name.rfind("tag:", 0) != 0)
      throw AwsError("InvalidParameterValue", "The filter '" + f.name + "' is invalid", 400);
  std::vector<std::pair<std::string, Json>> docs;
  for (const auto& [kind, m] : r.kinds) {
    const KindSpec* spec = kind_spec(kind);
    if (!spec) continue;
    for (const auto& [id, res] : m)
      for (const auto& [k, v] : res.tags) {
        Json d = {{"ResourceId", id}, {"ResourceType", spec->resource_type}, {"Key", k}, {"Value", v}};
        // tag:K filters here mean "the resource has tag K with that value", as in the other calls.
        if (matches(filters, t, d, res.tags)) docs.emplace_back(id + "\x01" + k, std::move(d));
      }
  }
  std::sort(docs.begin(), docs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  auto [items, next] = paginate_ec2(docs, page_request(in), [](const auto& p) { return p.first; });
  Json out = {{"Tags", Json::array()}};
  for (auto& [key, d] : items) out["Tags"].push_back(d);
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

}  // namespace cloudbox::ec2
