#pragma once
// Amazon EventBridge Scheduler: schedule groups and schedules (cron/rate/at in IANA time zones) that really
// fire on the server clock, calling universal targets (arn:aws:scheduler:::aws-sdk:SERVICE:apiAction) through
// Core::invoke as the schedule's execution role, with retries, maximum event age, and an execution history.
//
//   service.cpp    registration, records, load/reset/tick, lookup, IAM targets, admin view of the history
//   schedules.cpp  CreateSchedule … ListSchedules, and the validation they share
//   groups.cpp     schedule groups and tags
//   firing.cpp     the tick: due invocations, retries, dropping stale events, the execution history
//   cron.h/.cpp    the expression engine (pure functions)
//
// Lock order: the tick and the handlers run under this service's lock and call STS, IAM and the target
// services (which take their own locks); none of them ever calls back into the scheduler.
#include <deque>
#include <map>
#include <string>
#include <unordered_map>

#include "core/service.h"
#include "services/scheduler/cron.h"
#include "services/scheduler/state.h"

namespace cloudbox::scheduler {

// What a target ARN names, once validated.
struct TargetRef {
  std::string service;    // cloudbox model name: "ec2", "rds", "secretsmanager", …
  std::string operation;  // model operation name: "StopInstances"
};

class SchedulerService : public Service {
 public:
  explicit SchedulerService(Core& core) : Service(core) {}

  std::string name() const override { return "scheduler"; }
  void register_operations(std::unordered_map<std::string, Handler>& table) override;
  void load() override;
  void reset() override;
  void tick(TimePoint now) override;
  std::vector<AuthzTarget> authz_targets(const RequestContext& ctx, const Json& input) override;
  Json health() const override;
  // GET /_cloudbox/scheduler/executions[?schedule=NAME-or-ARN] → {"Executions": […]}.
  std::optional<HttpResponse> admin(const HttpRequest& request, std::string_view rest) override;

  // The execution history, oldest first: {"Executions": […]}; `schedule` filters by schedule name (or ARN).
  Json executions(const std::string& schedule = "") const;

 private:
  using Method = Json (SchedulerService::*)(RequestContext&, const Json&);

  // schedules.cpp
  Json create_schedule(RequestContext& ctx, const Json& in);
  Json get_schedule(RequestContext& ctx, const Json& in);
  Json update_schedule(RequestContext& ctx, const Json& in);
  Json delete_schedule(RequestContext& ctx, const Json& in);
  Json list_schedules(RequestContext& ctx, const Json& in);
  // Validates a Create/Update request into `s` (everything but identity and dates of record).
  void read_definition(RequestContext& ctx, const Json& in, Schedule& s);
  TargetRef validate_target(const Json& target);
  void validate_role(RequestContext& ctx, const Schedule& s);
  static Json schedule_json(const Schedule& s);

  // groups.cpp
  Json create_schedule_group(RequestContext& ctx, const Json& in);
  Json get_schedule_group(RequestContext& ctx, const Json& in);
  Json delete_schedule_group(RequestContext& ctx, const Json& in);
  Json list_schedule_groups(RequestContext& ctx, const Json& in);
  Json tag_resource(RequestContext& ctx, const Json& in);
  Json untag_resource(RequestContext& ctx, const Json& in);
  Json list_tags_for_resource(RequestContext& ctx, const Json& in);
  Group& group_for_tags(const RequestContext& ctx, const std::string& arn);

  // firing.cpp
  // Works out the schedule's next invocation at or after `from` (epoch seconds).
  void plan_from(Schedule& s, int64_t from);
  void fire_due(const std::string& key, int64_t now, size_t& budget);
  bool finish_if_complete(const std::string& key);
  // Invokes the target once; returns true on success. Records the outcome in the history.
  bool invoke_once(Schedule& s, int64_t scheduled, int attempt, int64_t now, std::string* error_code);
  // Credentials of a role session for the schedule (AssumeRole as scheduler.amazonaws.com, cached).
  struct Session {
    std::string access_key_id;
    Principal principal;
    std::string account_id;
  };
  Session role_session(const Schedule& s, TimePoint now);
  void record(Json entry);

  // service.cpp: lookup and storage
  static std::string schedule_key(const std::string& account, const std::string& region, const std::string& group,
                                  const std::string& name);
  static std::string group_key(const std::string& account, const std::string& region, const std::string& group);
  // The group (the default group always exists); throws ResourceNotFoundException.
  Group& require_group(const RequestContext& ctx, const std::string& name);
  Group* find_group(const std::string& account, const std::string& region, const std::string& name);
  Schedule* find_schedule(const std::string& account, const std::string& region, const std::string& group,
                          const std::string& name);
  Schedule& require_schedule(const RequestContext& ctx, const std::string& group, const std::string& name);
  void save(const Schedule& s);
  void save(const Group& g);
  void erase_schedule(const std::string& key);
  void erase_group(const std::string& key);
  std::string group_arn(const std::string& account, const std::string& region, const std::string& name) const;

  std::map<std::string, Schedule> schedules_;  // schedule_key → schedule
  std::map<std::string, Group> groups_;        // group_key → group
  std::deque<Json> history_;
  uint64_t history_seq_ = 0;
  struct CachedSession {
    Session session;
    TimePoint expires;
    std::string role_arn;
  };
  std::unordered_map<std::string, CachedSession> sessions_;  // schedule key → role session
};

// Helpers shared by the handler files.
std::optional<std::string> opt_string(const Json& in, const char* member);
// A context with every member set (the scheduler's own calls fill in what they need).
inline RequestContext blank_context(Core& core) {
  return RequestContext{core, "", "", "", "", "", "", Principal{}, TimePoint{}, "", false};
}
// Decoded name=value pairs of a raw query string.
std::vector<std::pair<std::string, std::string>> split_query(const std::string& query);
[[noreturn]] void validation(const std::string& message);
[[noreturn]] void not_found(const std::string& message);
[[noreturn]] void conflict(const std::string& message);
// Maps a universal target's service name (ec2, rds, secretsmanager, iam, sts, scheduler) to cloudbox's model.
std::optional<std::string> universal_service(const std::string& name);

}  // namespace cloudbox::scheduler
