// Schedule groups (the default group always exists and cannot be deleted) and their tags. Schedules are not
// taggable, as on AWS: the model's TagResource ARN pattern admits schedule groups only.
#include <algorithm>

#include "core/common/arn.h"
#include "core/common/pagination.h"
#include "core/core.h"
#include "services/scheduler/service.h"

namespace cloudbox::scheduler {

namespace {

Json group_json(const Group& g) {
  return {{"Arn", g.arn},
          {"Name", g.name},
          {"State", g.state},
          {"CreationDate", g.created},
          {"LastModificationDate", g.modified}};
}

TagLimits scheduler_tag_limits() {
  TagLimits limits;
  limits.max_tags = 200;
  return limits;
}

}  // namespace

Json SchedulerService::create_schedule_group(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  const auto token = opt_string(in, "ClientToken");
  if (Group* existing = find_group(ctx.account_id, ctx.region, name)) {
    if (token && existing->client_token == token && existing->state == "ACTIVE")
      return {{"ScheduleGroupArn", existing->arn}};
    conflict("Schedule group " + name + " already exists.");
  }
  Group g;
  g.account = ctx.account_id;
  g.region = ctx.region;
  g.name = name;
  g.arn = group_arn(ctx.account_id, ctx.region, name);
  g.client_token = token;
  g.created = g.modified = to_epoch(ctx.now);
  if (in.contains("Tags")) g.tags = parse_tag_list(in["Tags"], "ValidationException", {}, scheduler_tag_limits());
  Group& slot = groups_[group_key(g.account, g.region, g.name)] = std::move(g);
  save(slot);
  return {{"ScheduleGroupArn", slot.arn}};
}

Json SchedulerService::get_schedule_group(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  Group* g = find_group(ctx.account_id, ctx.region, name);
  if (!g) not_found("Schedule group " + name + " does not exist.");
  return group_json(*g);
}

// Deleting a group deletes its schedules; the group shows DELETING until the next tick removes it.
Json SchedulerService::delete_schedule_group(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  if (name == kDefaultGroup) validation("You cannot delete the default group.");
  Group* g = find_group(ctx.account_id, ctx.region, name);
  if (!g || g->state != "ACTIVE") not_found("Schedule group " + name + " does not exist.");
  const std::string scope = ctx.account_id + "|" + ctx.region + "|" + name + "|";
  std::vector<std::string> doomed;
  for (auto it = schedules_.lower_bound(scope); it != schedules_.end() && it->first.rfind(scope, 0) == 0; ++it)
    doomed.push_back(it->first);
  for (const auto& key : doomed) erase_schedule(key);
  g->state = "DELETING";
  g->modified = to_epoch(ctx.now);
  save(*g);
  return Json::object();
}

Json SchedulerService::list_schedule_groups(RequestContext& ctx, const Json& in) {
  find_group(ctx.account_id, ctx.region, kDefaultGroup);  // always listed
  const auto prefix = opt_string(in, "NamePrefix");
  PageRequest page;
  page.token = opt_string(in, "NextToken");
  page.max_items = in.contains("MaxResults") ? in["MaxResults"].get<int>() : 100;
  page.binding = bind_token({{"op", "ListScheduleGroups"}, {"prefix", prefix.value_or("")}});
  std::vector<const Group*> items;
  const std::string scope = ctx.account_id + "|" + ctx.region + "|";
  for (auto it = groups_.lower_bound(scope); it != groups_.end() && it->first.rfind(scope, 0) == 0; ++it) {
    if (prefix && it->second.name.rfind(*prefix, 0) != 0) continue;
    items.push_back(&it->second);
  }
  auto [page_items, next] = paginate(items, page, [](const Group* g) { return g->name; }, "ValidationException",
                                     "The NextToken value is invalid.");
  Json list = Json::array();
  for (const Group* g : page_items) list.push_back(group_json(*g));
  Json out = {{"ScheduleGroups", list}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Group& SchedulerService::group_for_tags(const RequestContext& ctx, const std::string& arn) {
  auto parsed = Arn::parse(arn);
  const std::string kind = "schedule-group/";
  if (!parsed || parsed->service != "scheduler" || parsed->resource.rfind(kind, 0) != 0)
    validation("Invalid ResourceArn " + arn + ".");
  const std::string name = parsed->resource.substr(kind.size());
  Group* g = parsed->account == ctx.account_id && parsed->region == ctx.region
                 ? find_group(ctx.account_id, ctx.region, name)
                 : nullptr;
  if (!g || g->state != "ACTIVE") not_found("Schedule group " + name + " does not exist.");
  return *g;
}

Json SchedulerService::tag_resource(RequestContext& ctx, const Json& in) {
  Group& g = group_for_tags(ctx, in.at("ResourceArn").get<std::string>());
  TagMap added = parse_tag_list(in.at("Tags"), "ValidationException", g.tags, scheduler_tag_limits());
  for (auto& [k, v] : added) g.tags[k] = v;
  save(g);
  return Json::object();
}

Json SchedulerService::untag_resource(RequestContext& ctx, const Json& in) {
  Group& g = group_for_tags(ctx, in.at("ResourceArn").get<std::string>());
  for (const auto& k : in.at("TagKeys")) g.tags.erase(k.get<std::string>());
  save(g);
  return Json::object();
}

Json SchedulerService::list_tags_for_resource(RequestContext& ctx, const Json& in) {
  Group& g = group_for_tags(ctx, in.at("ResourceArn").get<std::string>());
  return {{"Tags", tag_list_json(g.tags)}};
}

}  // namespace cloudbox::scheduler
