// EventBridge Scheduler: registration, records, load/reset/tick, lookup, IAM targets.
#include "services/scheduler/service.h"

#include <algorithm>

#include "core/common/arn.h"
#include "core/common/encoding.h"
#include "core/common/log.h"
#include "core/core.h"

namespace cloudbox::scheduler {

// ---------------------------------------------------------------------------------------------------
// Helpers

std::optional<std::string> opt_string(const Json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<std::pair<std::string, std::string>> split_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      out.emplace_back(url_decode(part.substr(0, eq)), eq == std::string::npos ? "" : url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

void validation(const std::string& message) { throw AwsError("ValidationException", message); }
void not_found(const std::string& message) { throw AwsError("ResourceNotFoundException", message); }
void conflict(const std::string& message) { throw AwsError("ConflictException", message); }

std::optional<std::string> universal_service(const std::string& name) {
  static const std::map<std::string, std::string> kServices = {
      {"ec2", "ec2"}, {"rds", "rds"}, {"secretsmanager", "secretsmanager"},
      {"iam", "iam"}, {"sts", "sts"}, {"scheduler", "scheduler"},
  };
  auto it = kServices.find(name);
  if (it == kServices.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------------------------------------------
// Records

Json to_record(const Schedule& s) {
  Json j = {{"account", s.account},
            {"region", s.region},
            {"group", s.group},
            {"name", s.name},
            {"arn", s.arn},
            {"expression", s.expression},
            {"flexible_time_window", s.flexible_time_window},
            {"target", s.target},
            {"state", s.state},
            {"action_after_completion", s.action_after_completion},
            {"created", s.created},
            {"modified", s.modified},
            {"rate_anchor", s.rate_anchor},
            {"invocations", s.invocations}};
  auto put = [&j](const char* k, const auto& v) {
    if (v) j[k] = *v;
  };
  put("description", s.description);
  put("timezone", s.timezone);
  put("start_date", s.start_date);
  put("end_date", s.end_date);
  put("kms_key_arn", s.kms_key_arn);
  put("client_token", s.client_token);
  put("next_time", s.next_time);
  put("due_time", s.due_time);
  Json retries = Json::array();
  for (const auto& r : s.retries) retries.push_back({{"scheduled", r.scheduled}, {"attempt", r.attempt}, {"at", r.at}});
  j["retries"] = retries;
  return j;
}

Schedule schedule_from_record(const Json& j) {
  Schedule s;
  s.account = j.at("account").get<std::string>();
  s.region = j.at("region").get<std::string>();
  s.group = j.at("group").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.arn = j.at("arn").get<std::string>();
  s.expression = j.at("expression").get<std::string>();
  s.flexible_time_window = j.value("flexible_time_window", Json::object());
  s.target = j.value("target", Json::object());
  s.state = j.value("state", std::string("ENABLED"));
  s.action_after_completion = j.value("action_after_completion", std::string("NONE"));
  s.created = j.value("created", 0.0);
  s.modified = j.value("modified", 0.0);
  s.rate_anchor = j.value("rate_anchor", int64_t(0));
  s.invocations = j.value("invocations", uint64_t(0));
  auto str = [&j](const char* k) -> std::optional<std::string> {
    if (j.contains(k) && j[k].is_string()) return j[k].get<std::string>();
    return std::nullopt;
  };
  auto num = [&j](const char* k) -> std::optional<double> {
    if (j.contains(k) && j[k].is_number()) return j[k].get<double>();
    return std::nullopt;
  };
  auto i64 = [&j](const char* k) -> std::optional<int64_t> {
    if (j.contains(k) && j[k].is_number()) return j[k].get<int64_t>();
    return std::nullopt;
  };
  s.description = str("description");
  s.timezone = str("timezone");
  s.start_date = num("start_date");
  s.end_date = num("end_date");
  s.kms_key_arn = str("kms_key_arn");
  s.client_token = str("client_token");
  s.next_time = i64("next_time");
  s.due_time = i64("due_time");
  for (const auto& r : j.value("retries", Json::array()))
    s.retries.push_back({r.at("scheduled").get<int64_t>(), r.at("attempt").get<int>(), r.at("at").get<int64_t>()});
  return s;
}

Json to_record(const Group& g) {
  Json j = {{"account", g.account}, {"region", g.region},   {"name", g.name},        {"arn", g.arn},
            {"state", g.state},     {"tags", Json(g.tags)}, {"created", g.created}, {"modified", g.modified}};
  if (g.client_token) j["client_token"] = *g.client_token;
  return j;
}

Group group_from_record(const Json& j) {
  Group g;
  g.account = j.at("account").get<std::string>();
  g.region = j.at("region").get<std::string>();
  g.name = j.at("name").get<std::string>();
  g.arn = j.at("arn").get<std::string>();
  g.state = j.value("state", std::string("ACTIVE"));
  if (j.contains("tags") && j["tags"].is_object()) g.tags = j["tags"].get<TagMap>();
  g.created = j.value("created", 0.0);
  g.modified = j.value("modified", 0.0);
  if (j.contains("client_token") && j["client_token"].is_string()) g.client_token = j["client_token"].get<std::string>();
  return g;
}

// ---------------------------------------------------------------------------------------------------
// Service interface

void SchedulerService::register_operations(std::unordered_map<std::string, Handler>& table) {
  const std::pair<const char*, Method> ops[] = {
      {"CreateSchedule", &SchedulerService::create_schedule},
      {"CreateScheduleGroup", &SchedulerService::create_schedule_group},
      {"DeleteSchedule", &SchedulerService::delete_schedule},
      {"DeleteScheduleGroup", &SchedulerService::delete_schedule_group},
      {"GetSchedule", &SchedulerService::get_schedule},
      {"GetScheduleGroup", &SchedulerService::get_schedule_group},
      {"ListScheduleGroups", &SchedulerService::list_schedule_groups},
      {"ListSchedules", &SchedulerService::list_schedules},
      {"ListTagsForResource", &SchedulerService::list_tags_for_resource},
      {"TagResource", &SchedulerService::tag_resource},
      {"UntagResource", &SchedulerService::untag_resource},
      {"UpdateSchedule", &SchedulerService::update_schedule},
  };
  for (const auto& [op, method] : ops)
    table[op] = [this, method](RequestContext& ctx, const Json& input) { return (this->*method)(ctx, input); };
}

void SchedulerService::load() {
  reset();
  for (auto& [key, record] : core_.store().load(kGroups)) {
    try {
      Group g = group_from_record(record);
      groups_[key] = std::move(g);
    } catch (const std::exception& e) {
      log::error("scheduler: skipping unreadable group record " + key + ": " + e.what());
    }
  }
  for (auto& [key, record] : core_.store().load(kSchedules)) {
    try {
      Schedule s = schedule_from_record(record);
      schedules_[key] = std::move(s);
    } catch (const std::exception& e) {
      log::error("scheduler: skipping unreadable schedule record " + key + ": " + e.what());
    }
  }
  for (auto& [key, record] : core_.store().load(kHistory)) {
    history_.push_back(record);
    history_seq_ = std::max<uint64_t>(history_seq_, record.value("Seq", uint64_t(0)));
  }
}

void SchedulerService::reset() {
  schedules_.clear();
  groups_.clear();
  history_.clear();
  history_seq_ = 0;
  sessions_.clear();
}

Json SchedulerService::health() const {
  size_t enabled = 0;
  for (const auto& [k, s] : schedules_)
    if (s.state == "ENABLED") ++enabled;
  return {{"schedules", schedules_.size()}, {"enabled", enabled}, {"executions", history_.size()}};
}

std::optional<HttpResponse> SchedulerService::admin(const HttpRequest& request, std::string_view rest) {
  if (rest != "executions" || request.method != "GET") return std::nullopt;
  std::string schedule;
  for (const auto& pair : split_query(request.query)) {
    if (pair.first == "schedule") schedule = pair.second;
  }
  HttpResponse r;
  r.status = 200;
  r.set_header("Content-Type", "application/json");
  r.body = executions(schedule).dump();
  return r;
}

// ---------------------------------------------------------------------------------------------------
// IAM: scheduler:<Op> on the resource; creating or updating a schedule also passes its execution role.

std::vector<AuthzTarget> SchedulerService::authz_targets(const RequestContext& ctx, const Json& in) {
  const std::string& op = ctx.operation;
  const std::string group = opt_string(in, "GroupName").value_or(kDefaultGroup);
  auto schedule_arn = [&] {
    return make_arn("scheduler", ctx.region, ctx.account_id, "schedule/" + group + "/" + opt_string(in, "Name").value_or(""));
  };
  AuthzTarget t{"scheduler:" + op, {}, {}, std::nullopt, "", "", false};
  if (op == "CreateSchedule" || op == "UpdateSchedule") {
    t.resources = {schedule_arn()};
    std::vector<AuthzTarget> out = {t};
    if (in.contains("Target") && in["Target"].is_object()) {
      if (auto role = opt_string(in["Target"], "RoleArn")) {
        AuthzTarget pass{"iam:PassRole", {*role}, {{"iam:PassedToService", {"scheduler.amazonaws.com"}}},
                         std::nullopt, "", "", false};
        out.push_back(pass);
      }
    }
    return out;
  }
  if (op == "GetSchedule" || op == "DeleteSchedule") {
    t.resources = {schedule_arn()};
  } else if (op == "CreateScheduleGroup" || op == "GetScheduleGroup" || op == "DeleteScheduleGroup") {
    t.resources = {group_arn(ctx.account_id, ctx.region, opt_string(in, "Name").value_or(""))};
  } else if (op == "TagResource" || op == "UntagResource" || op == "ListTagsForResource") {
    t.resources = {opt_string(in, "ResourceArn").value_or("*")};
  }
  return {t};
}

// ---------------------------------------------------------------------------------------------------
// Lookup and storage

std::string SchedulerService::schedule_key(const std::string& account, const std::string& region,
                                           const std::string& group, const std::string& name) {
  // Names and groups are [0-9a-zA-Z-_.]: '|' cannot occur in them.
  return account + "|" + region + "|" + group + "|" + name;
}

std::string SchedulerService::group_key(const std::string& account, const std::string& region,
                                        const std::string& group) {
  return account + "|" + region + "|" + group;
}

std::string SchedulerService::group_arn(const std::string& account, const std::string& region,
                                        const std::string& name) const {
  return make_arn("scheduler", region, account, "schedule-group/" + name);
}

Group* SchedulerService::find_group(const std::string& account, const std::string& region, const std::string& name) {
  auto it = groups_.find(group_key(account, region, name));
  if (it != groups_.end()) return &it->second;
  if (name != kDefaultGroup) return nullptr;
  // The default group exists in every account and region; it is materialised on first use.
  Group g;
  g.account = account;
  g.region = region;
  g.name = kDefaultGroup;
  g.arn = group_arn(account, region, kDefaultGroup);
  g.created = g.modified = to_epoch(core_.clock().now());
  Group& slot = groups_[group_key(account, region, name)] = std::move(g);
  save(slot);
  return &slot;
}

Group& SchedulerService::require_group(const RequestContext& ctx, const std::string& name) {
  Group* g = find_group(ctx.account_id, ctx.region, name);
  if (!g || g->state != "ACTIVE") not_found("Schedule group " + name + " does not exist.");
  return *g;
}

Schedule* SchedulerService::find_schedule(const std::string& account, const std::string& region,
                                          const std::string& group, const std::string& name) {
  auto it = schedules_.find(schedule_key(account, region, group, name));
  return it == schedules_.end() ? nullptr : &it->second;
}

Schedule& SchedulerService::require_schedule(const RequestContext& ctx, const std::string& group,
                                             const std::string& name) {
  Schedule* s = find_schedule(ctx.account_id, ctx.region, group, name);
  if (!s) not_found("Schedule " + name + " does not exist.");
  return *s;
}

void SchedulerService::save(const Schedule& s) {
  if (core_.store().ephemeral()) return;
  core_.store().put(kSchedules, schedule_key(s.account, s.region, s.group, s.name), to_record(s));
}

void SchedulerService::save(const Group& g) {
  if (core_.store().ephemeral()) return;
  core_.store().put(kGroups, group_key(g.account, g.region, g.name), to_record(g));
}

void SchedulerService::erase_schedule(const std::string& key) {
  schedules_.erase(key);
  sessions_.erase(key);
  core_.store().erase(kSchedules, key);
}

void SchedulerService::erase_group(const std::string& key) {
  groups_.erase(key);
  core_.store().erase(kGroups, key);
}

CLOUDBOX_REGISTER_SERVICE(SchedulerService);

}  // namespace cloudbox::scheduler
