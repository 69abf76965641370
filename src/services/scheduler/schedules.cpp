// CreateSchedule, GetSchedule, UpdateSchedule (a full replace, as on AWS), DeleteSchedule, ListSchedules, and
// the validation Create and Update share: expression, time zone, dates, flexible window, target, role.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <tuple>

#include "core/common/arn.h"
#include "core/common/encoding.h"
#include "core/common/pagination.h"
#include "core/core.h"
#include "core/model/model.h"
#include "services/scheduler/service.h"

namespace cloudbox::scheduler {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// AWS: "The execution role you provide must allow AWS EventBridge Scheduler to assume the role." (the
// ValidationException CreateSchedule answers, and the one Terraform retries on while IAM propagates).
constexpr const char* kRoleMessage = "The execution role you provide must allow AWS EventBridge Scheduler to assume the role.";

// Read-only API actions EventBridge Scheduler refuses as universal targets (User Guide, "Using universal
// targets": actions beginning with these prefixes are not supported).
constexpr const char* kReadOnlyPrefixes[] = {"get",       "describe",     "list",        "poll",       "receive",
                                             "search",    "scan",         "query",       "select",     "read",
                                             "lookup",    "discover",     "validate",    "batchget",   "batchdescribe",
                                             "batchread", "transactget",  "adminget",    "adminlist",  "retrieve",
                                             "testconnection", "isauthorized"};

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Validation

TargetRef SchedulerService::validate_target(const Json& target) {
  const std::string arn = target.at("Arn").get<std::string>();
  const std::string prefix = "arn:aws:scheduler:::aws-sdk:";
  if (arn.rfind(prefix, 0) == 0) {
    std::string rest = arn.substr(prefix.size());
    auto colon = rest.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size() ||
        rest.find(':', colon + 1) != std::string::npos)
      validation("Invalid universal target " + arn + ": use arn:aws:scheduler:::aws-sdk:service:apiAction.");
    std::string svc = rest.substr(0, colon), action = rest.substr(colon + 1);
    auto model_name = universal_service(svc);
    if (!model_name)
      validation("cloudbox does not have the service '" + svc + "' named by the universal target " + arn +
                 "; it serves ec2, rds, secretsmanager, iam, sts and scheduler.");
    std::string la = lower(action);
    for (const char* p : kReadOnlyPrefixes)
      if (la.rfind(p, 0) == 0)
        validation("EventBridge Scheduler does not support read-only API actions as universal targets: " + action + ".");
    const ServiceModel& m = core_.model(*model_name);
    for (const auto& [op, def] : m.operations())
      if (lower(op) == la) {
        if (auto input = opt_string(target, "Input")) {
          // EventBridge Scheduler's payload quota is 256 KB.
          if (input->size() > 256 * 1024)
            validation("The Input of the target is " + std::to_string(input->size()) +
                       " bytes, more than the payload limit of 262144 bytes.");
          Json parsed = Json::parse(*input, nullptr, false);
          if (parsed.is_discarded() || !parsed.is_object())
            validation("The Input of a universal target must be a JSON object: the request parameters of " + svc +
                       ":" + action + ".");
        }
        return {*model_name, op};
      }
    validation("Invalid universal target " + arn + ": " + svc + " has no API action " + action + ".");
  }
  auto parsed = Arn::parse(arn);
  if (!parsed || parsed->service.empty()) validation("Invalid target ARN " + arn + ".");
  validation("cloudbox does not support templated targets for " + parsed->service + " (" + arn +
             "): it has no " + parsed->service +
             " service to deliver to. Use a universal target, arn:aws:scheduler:::aws-sdk:SERVICE:apiAction, for "
             "ec2, rds, secretsmanager, iam, sts or scheduler.");
}

// The scheduler must be able to assume the role: STS decides by the role's trust policy (for the service
// principal scheduler.amazonaws.com), and a role that is not there cannot be assumed either. The session is
// kept for the first invocations.
void SchedulerService::validate_role(RequestContext& ctx, const Schedule& s) {
  try {
    role_session(s, ctx.now);
  } catch (const AwsError&) {
    validation(kRoleMessage);
  }
}

void SchedulerService::read_definition(RequestContext& ctx, const Json& in, Schedule& s) {
  const double now = to_epoch(ctx.now);
  s.description = opt_string(in, "Description");
  s.expression = in.at("ScheduleExpression").get<std::string>();
  std::string error;
  auto expr = parse_expression(s.expression, &error);
  if (!expr) validation(error);
  s.timezone = opt_string(in, "ScheduleExpressionTimezone");
  if (s.timezone && !find_zone(*s.timezone)) validation("Invalid time zone " + *s.timezone + ".");

  s.start_date = in.contains("StartDate") ? std::optional<double>(in["StartDate"].get<double>()) : std::nullopt;
  s.end_date = in.contains("EndDate") ? std::optional<double>(in["EndDate"].get<double>()) : std::nullopt;
  // StartDate and EndDate apply to recurring schedules only (AWS ignores them for one-time schedules).
  if (expr->recurring()) {
    if (s.start_date && *s.start_date < now - 300)
      validation("The StartDate you specify cannot be earlier than 5 minutes ago.");
    if (s.end_date && *s.end_date <= now) validation("The EndDate you specify cannot be earlier than the current time.");
    if (s.start_date && s.end_date && *s.end_date <= *s.start_date)
      validation("The EndDate you specify must be after the StartDate.");
  }

  s.flexible_time_window = in.at("FlexibleTimeWindow");
  const std::string mode = s.flexible_time_window.value("Mode", "OFF");
  const bool has_window = s.flexible_time_window.contains("MaximumWindowInMinutes");
  if (mode == "FLEXIBLE" && !has_window)
    validation("MaximumWindowInMinutes must be provided when the FlexibleTimeWindow Mode is FLEXIBLE.");
  if (mode == "OFF" && has_window)
    validation("MaximumWindowInMinutes must not be provided when the FlexibleTimeWindow Mode is OFF.");

  s.state = opt_string(in, "State").value_or("ENABLED");
  s.kms_key_arn = opt_string(in, "KmsKeyArn");
  s.action_after_completion = opt_string(in, "ActionAfterCompletion").value_or("NONE");

  Json target = in.at("Target");
  validate_target(target);
  Json retry = target.value("RetryPolicy", Json::object());
  if (!retry.contains("MaximumEventAgeInSeconds")) retry["MaximumEventAgeInSeconds"] = kDefaultMaxEventAge;
  if (!retry.contains("MaximumRetryAttempts")) retry["MaximumRetryAttempts"] = kDefaultMaxRetries;
  target["RetryPolicy"] = retry;
  s.target = target;
}

// ---------------------------------------------------------------------------------------------------
// Views

Json SchedulerService::schedule_json(const Schedule& s) {
  Json j = {{"Arn", s.arn},
            {"Name", s.name},
            {"GroupName", s.group},
            {"ScheduleExpression", s.expression},
            {"FlexibleTimeWindow", s.flexible_time_window},
            {"Target", s.target},
            {"State", s.state},
            {"ActionAfterCompletion", s.action_after_completion},
            {"CreationDate", s.created},
            {"LastModificationDate", s.modified}};
  if (s.description) j["Description"] = *s.description;
  // AWS evaluates expressions without a time zone in UTC and says so.
  j["ScheduleExpressionTimezone"] = s.timezone.value_or("UTC");
  if (s.start_date) j["StartDate"] = *s.start_date;
  if (s.end_date) j["EndDate"] = *s.end_date;
  if (s.kms_key_arn) j["KmsKeyArn"] = *s.kms_key_arn;
  return j;
}

// ---------------------------------------------------------------------------------------------------
// Handlers

Json SchedulerService::create_schedule(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  const std::string group = opt_string(in, "GroupName").value_or(kDefaultGroup);
  require_group(ctx, group);
  const auto token = opt_string(in, "ClientToken");
  if (Schedule* existing = find_schedule(ctx.account_id, ctx.region, group, name)) {
    // A retry of the same request (same ClientToken) answers what the first one did.
    if (token && existing->client_token == token) return {{"ScheduleArn", existing->arn}};
    conflict("Schedule " + name + " already exists.");
  }
  Schedule s;
  s.account = ctx.account_id;
  s.region = ctx.region;
  s.group = group;
  s.name = name;
  s.arn = make_arn("scheduler", ctx.region, ctx.account_id, "schedule/" + group + "/" + name);
  read_definition(ctx, in, s);
  validate_role(ctx, s);
  s.client_token = token;
  s.created = s.modified = to_epoch(ctx.now);
  const int64_t now = static_cast<int64_t>(std::floor(to_epoch(ctx.now)));
  s.rate_anchor = s.start_date ? static_cast<int64_t>(std::ceil(*s.start_date)) : now;
  plan_from(s, now);
  std::string key = schedule_key(s.account, s.region, s.group, s.name);
  Schedule& slot = schedules_[key] = std::move(s);
  save(slot);
  return {{"ScheduleArn", slot.arn}};
}

Json SchedulerService::get_schedule(RequestContext& ctx, const Json& in) {
  const std::string group = opt_string(in, "GroupName").value_or(kDefaultGroup);
  return schedule_json(require_schedule(ctx, group, in.at("Name").get<std::string>()));
}

Json SchedulerService::update_schedule(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  const std::string group = opt_string(in, "GroupName").value_or(kDefaultGroup);
  Schedule& existing = require_schedule(ctx, group, name);
  // A full replace: every member not given goes back to its default.
  Schedule s;
  s.account = existing.account;
  s.region = existing.region;
  s.group = existing.group;
  s.name = existing.name;
  s.arn = existing.arn;
  s.created = existing.created;
  s.client_token = existing.client_token;
  s.invocations = existing.invocations;
  if (in.at("ScheduleExpression").get<std::string>() != existing.expression) s.invocations = 0;
  read_definition(ctx, in, s);
  validate_role(ctx, s);
  s.modified = to_epoch(ctx.now);
  const int64_t now = static_cast<int64_t>(std::floor(to_epoch(ctx.now)));
  if (s.start_date) s.rate_anchor = static_cast<int64_t>(std::ceil(*s.start_date));
  else if (s.expression == existing.expression && !existing.start_date) s.rate_anchor = existing.rate_anchor;
  else s.rate_anchor = now;
  // Keep the cadence of an unchanged rate: the next time is the next one not yet invoked.
  int64_t from = now;
  if (s.expression == existing.expression && existing.next_time && *existing.next_time > now) from = *existing.next_time;
  plan_from(s, from);
  existing = std::move(s);
  save(existing);
  return {{"ScheduleArn", existing.arn}};
}

Json SchedulerService::delete_schedule(RequestContext& ctx, const Json& in) {
  const std::string name = in.at("Name").get<std::string>();
  const std::string group = opt_string(in, "GroupName").value_or(kDefaultGroup);
  Schedule& s = require_schedule(ctx, group, name);
  erase_schedule(schedule_key(s.account, s.region, s.group, s.name));
  return Json::object();
}

Json SchedulerService::list_schedules(RequestContext& ctx, const Json& in) {
  const auto group = opt_string(in, "GroupName");
  const auto prefix = opt_string(in, "NamePrefix");
  const auto state = opt_string(in, "State");
  if (group) {
    Group* g = find_group(ctx.account_id, ctx.region, *group);
    if (!g || g->state != "ACTIVE") not_found("Schedule group " + *group + " does not exist.");
  }
  PageRequest page;
  page.token = opt_string(in, "NextToken");
  page.max_items = in.contains("MaxResults") ? in["MaxResults"].get<int>() : 100;
  page.binding = bind_token({{"op", "ListSchedules"},
                             {"group", group.value_or("")},
                             {"prefix", prefix.value_or("")},
                             {"state", state.value_or("")}});
  std::vector<const Schedule*> items;
  const std::string scope = ctx.account_id + "|" + ctx.region + "|";
  for (auto it = schedules_.lower_bound(scope); it != schedules_.end() && it->first.rfind(scope, 0) == 0; ++it) {
    const Schedule& s = it->second;
    if (group && s.group != *group) continue;
    if (prefix && s.name.rfind(*prefix, 0) != 0) continue;
    if (state && s.state != *state) continue;
    items.push_back(&s);
  }
  // Sorted by name, then group (the key is group|name, so re-sort).
  std::sort(items.begin(), items.end(), [](const Schedule* a, const Schedule* b) {
    return std::tie(a->name, a->group) < std::tie(b->name, b->group);
  });
  auto [page_items, next] = paginate(
      items, page, [](const Schedule* s) { return s->name + "|" + s->group; }, "ValidationException",
      "The NextToken value is invalid.");
  Json list = Json::array();
  for (const Schedule* s : page_items)
    list.push_back({{"Arn", s->arn},
                    {"Name", s->name},
                    {"GroupName", s->group},
                    {"State", s->state},
                    {"CreationDate", s->created},
                    {"LastModificationDate", s->modified},
                    {"Target", {{"Arn", s->target.value("Arn", "")}}}});
  Json out = {{"Schedules", list}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

}  // namespace cloudbox::scheduler
