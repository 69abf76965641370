// The tick: every enabled schedule keeps its next invocation time; once the server clock reaches it the target
// is invoked (once per due time, in order), as the execution role, and the outcome is kept in the history.
//
// Bounds: however far the clock jumps, due times older than the retry policy's MaximumEventAgeInSeconds are
// dropped in one step (one DROPPED record), and at most kMaxInvocationsPerTick invocations run per tick (the
// rest run on the following ticks, about a second apart). Failed invocations whose error is transient
// (throttling, 5xx) are retried with exponential backoff on the server clock, up to MaximumRetryAttempts and
// within MaximumEventAgeInSeconds; other errors fail at once. A failure that is given up is noted as what
// would go to the dead-letter queue when one is configured (cloudbox has no SQS).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"
#include "core/core.h"
#include "core/model/model.h"
#include "services/scheduler/service.h"

namespace cloudbox::scheduler {

namespace {

constexpr size_t kMaxInvocationsPerTick = 1000;
constexpr size_t kMaxResponseChars = 4096;

std::string iso(int64_t t) { return iso8601_seconds(from_epoch(double(t))); }

}  // namespace

void SchedulerService::plan_from(Schedule& s, int64_t from) {
  s.next_time.reset();
  s.due_time.reset();
  auto e = parse_expression(s.expression);
  if (!e) return;
  const date::time_zone* zone = find_zone(s.timezone.value_or(""));
  std::optional<int64_t> next;
  if (e->kind == Expression::Kind::At) {
    // A one-time schedule fires at its time, even when that was a moment ago (the maximum event age decides
    // whether it is still worth invoking); once invoked it has no next time.
    if (s.invocations == 0) next = next_fire(*e, zone, std::numeric_limits<int64_t>::min() / 4);
  } else {
    int64_t f = from;
    if (s.start_date) f = std::max(f, static_cast<int64_t>(std::ceil(*s.start_date)));
    next = next_fire(*e, zone, f, s.rate_anchor);
    if (next && s.end_date && double(*next) >= *s.end_date) next.reset();
  }
  if (!next) return;
  s.next_time = next;
  int64_t delay = 0;
  if (s.flexible_time_window.value("Mode", "OFF") == "FLEXIBLE") {
    int window = s.flexible_time_window.value("MaximumWindowInMinutes", 0);
    if (window > 0) delay = static_cast<int64_t>(random_below(uint64_t(window) * 60));
  }
  s.due_time = *next + delay;
}

void SchedulerService::tick(TimePoint now_tp) {
  const int64_t now = static_cast<int64_t>(std::floor(to_epoch(now_tp)));
  // Groups being deleted are gone one tick after DeleteScheduleGroup (their schedules went at once).
  std::vector<std::string> gone;
  for (const auto& [key, g] : groups_)
    if (g.state == "DELETING") gone.push_back(key);
  for (const auto& key : gone) erase_group(key);

  std::vector<std::pair<int64_t, std::string>> due;
  for (const auto& [key, s] : schedules_) {
    if (s.state != "ENABLED") continue;
    std::optional<int64_t> when = s.due_time;
    for (const auto& r : s.retries)
      if (!when || r.at < *when) when = r.at;
    if (when && *when <= now) due.emplace_back(*when, key);
  }
  std::sort(due.begin(), due.end());
  size_t budget = kMaxInvocationsPerTick;
  for (const auto& [when, key] : due) {
    if (budget == 0) break;
    fire_due(key, now, budget);
  }
}

void SchedulerService::fire_due(const std::string& key, int64_t now, size_t& budget) {
  while (budget > 0) {
    auto it = schedules_.find(key);
    if (it == schedules_.end()) return;
    Schedule& s = it->second;
    if (s.state != "ENABLED") return;
    auto retry = std::min_element(s.retries.begin(), s.retries.end(),
                                  [](const PendingRetry& a, const PendingRetry& b) { return a.at < b.at; });
    if (retry != s.retries.end() && retry->at > now) retry = s.retries.end();
    const bool fresh = s.due_time && *s.due_time <= now;
    if (!fresh && retry == s.retries.end()) return;
    const bool use_retry = retry != s.retries.end() && (!fresh || retry->at <= *s.due_time);
    const int max_age = s.max_event_age();
    const auto dlq = s.target.contains("DeadLetterConfig") ? opt_string(s.target["DeadLetterConfig"], "Arn")
                                                           : std::nullopt;
    Json base = {{"ScheduleArn", s.arn},
                 {"ScheduleName", s.name},
                 {"GroupName", s.group},
                 {"Region", s.region},
                 {"TargetArn", s.target.value("Arn", "")},
                 {"InvocationTime", iso(now)}};
    int64_t scheduled;
    int attempt;
    if (use_retry) {
      scheduled = retry->scheduled;
      attempt = retry->attempt;
      s.retries.erase(retry);
      if (now - scheduled > max_age) {
        Json e = base;
        e["ScheduledTime"] = iso(scheduled);
        e["Attempt"] = attempt;
        e["Status"] = "DROPPED";
        e["Reason"] = "The retry is older than MaximumEventAgeInSeconds (" + std::to_string(max_age) + ").";
        if (dlq) e["DeadLetter"] = "would send to DLQ " + *dlq + " (cloudbox has no SQS)";
        record(e);
        --budget;
        if (finish_if_complete(key)) return;
        continue;
      }
    } else {
      scheduled = *s.next_time;
      attempt = 1;
      if (now - scheduled > max_age) {
        // Every due time older than the maximum event age is dropped at once, however far the clock jumped.
        const int64_t cutoff = now - max_age;
        plan_from(s, std::max(cutoff, scheduled + 1));
        if (s.next_time && *s.next_time == scheduled) s.next_time.reset(), s.due_time.reset();
        Json e = base;
        e["ScheduledTime"] = iso(scheduled);
        e["Attempt"] = 0;
        e["Status"] = "DROPPED";
        e["Reason"] = "Not invoked: the event is older than MaximumEventAgeInSeconds (" + std::to_string(max_age) +
                      "); every due time before " + iso(cutoff) + " was dropped.";
        if (dlq) e["DeadLetter"] = "would send to DLQ " + *dlq + " (cloudbox has no SQS)";
        record(e);
        if (!s.next_time) s.invocations++;  // a one-time schedule is done
        --budget;
        if (finish_if_complete(key)) return;
        continue;
      }
      s.invocations++;
      plan_from(s, scheduled + 1);
    }

    // The invocation. The target may be any service (even this one), so nothing here holds a reference
    // into schedules_ across the call.
    Schedule snapshot = s;
    Json e = base;
    e["ScheduledTime"] = iso(scheduled);
    e["Attempt"] = attempt;
    bool ok = false, transient = false;
    try {
      TargetRef ref = validate_target(snapshot.target);
      e["Service"] = ref.service;
      e["Operation"] = ref.operation;
      // Context attributes (User Guide, "Adding context attributes"): replaced in the payload on each attempt.
      const std::string execution_id = random_hex(16);
      e["ExecutionId"] = execution_id;
      Json input = Json::object();
      if (auto text = opt_string(snapshot.target, "Input")) {
        std::string payload = *text;
        const std::pair<const char*, std::string> attributes[] = {
            {"<aws.scheduler.schedule-arn>", snapshot.arn},
            {"<aws.scheduler.scheduled-time>", iso(scheduled)},
            {"<aws.scheduler.execution-id>", execution_id},
            {"<aws.scheduler.attempt-number>", std::to_string(attempt)},
        };
        for (const auto& [keyword, value] : attributes)
          for (size_t at = payload.find(keyword); at != std::string::npos; at = payload.find(keyword, at + value.size()))
            payload.replace(at, std::string(keyword).size(), value);
        input = Json::parse(payload);
      }
      // The history keeps a bounded copy: it holds up to a thousand invocations.
      if (std::string dump = input.dump(); dump.size() <= kMaxResponseChars) e["Input"] = input;
      else e["InputTruncated"] = dump.substr(0, kMaxResponseChars);
      Session session = role_session(snapshot, from_epoch(double(now)));
      RequestContext caller = blank_context(core_);
      caller.request_id = request_id();
      caller.service = ref.service;
      caller.operation = ref.operation;
      caller.region = snapshot.region;
      caller.account_id = session.account_id;
      caller.access_key_id = session.access_key_id;
      caller.principal = session.principal;
      caller.now = core_.clock().now();
      caller.internal = true;
      e["Principal"] = session.principal.arn;
      caller.always_authorize = true;  // on AWS the execution role's policies always decide what it may call
      Json out = core_.invoke(caller, ref.service, ref.operation, input, snapshot.region);
      ok = true;
      e["Status"] = "SUCCEEDED";
      std::string dump = out.dump();
      if (dump.size() <= kMaxResponseChars) e["Response"] = out;
      else e["ResponseTruncated"] = dump.substr(0, kMaxResponseChars);
    } catch (const AwsError& err) {
      transient = is_retryable(err.code, err.http_status);
      e["Status"] = "FAILED";
      e["ErrorCode"] = err.code;
      e["ErrorMessage"] = std::string(err.what());
    } catch (const std::exception& err) {
      transient = true;  // an internal failure is a 500: retried like one
      e["Status"] = "FAILED";
      e["ErrorCode"] = "InternalError";
      e["ErrorMessage"] = std::string(err.what());
    }
    --budget;

    auto again = schedules_.find(key);
    if (again == schedules_.end()) {  // the target deleted the schedule itself
      record(e);
      return;
    }
    Schedule& after = again->second;
    if (!ok) {
      if (transient && attempt <= after.max_retries()) {
        int64_t at = now + retry_delay_seconds(attempt);
        after.retries.push_back({scheduled, attempt + 1, at});
        e["NextAttempt"] = iso(at);
      } else if (dlq) {
        e["DeadLetter"] = "would send to DLQ " + *dlq + " (cloudbox has no SQS)";
      }
    }
    record(e);
    if (finish_if_complete(key)) return;
  }
}

// Saves the schedule; a schedule with nothing left to invoke is complete, and ActionAfterCompletion DELETE
// removes it. Returns true when it was removed.
bool SchedulerService::finish_if_complete(const std::string& key) {
  auto it = schedules_.find(key);
  if (it == schedules_.end()) return true;
  Schedule& s = it->second;
  if (!s.next_time && s.retries.empty() && s.action_after_completion == "DELETE") {
    erase_schedule(key);
    return true;
  }
  save(s);
  return false;
}

SchedulerService::Session SchedulerService::role_session(const Schedule& s, TimePoint now) {
  const std::string key = schedule_key(s.account, s.region, s.group, s.name);
  const std::string role = s.target.value("RoleArn", "");
  auto it = sessions_.find(key);
  if (it != sessions_.end() && it->second.role_arn == role && it->second.expires > now + std::chrono::minutes(5) &&
      core_.credentials().find(it->second.session.access_key_id))
    return it->second.session;

  // EventBridge Scheduler assumes the execution role as the service principal scheduler.amazonaws.com.
  RequestContext svc = blank_context(core_);
  svc.request_id = request_id();
  svc.service = "sts";
  svc.operation = "AssumeRole";
  svc.region = s.region;
  svc.account_id = s.account;
  svc.principal.type = "service";
  svc.principal.arn = "scheduler.amazonaws.com";
  svc.principal.name = "scheduler.amazonaws.com";
  svc.principal.account_id = s.account;
  svc.now = now;
  svc.internal = true;
  const std::string session_name = sha256_hex(s.arn).substr(0, 32);
  Json out = core_.invoke(svc, "sts", "AssumeRole", {{"RoleArn", role}, {"RoleSessionName", session_name}});
  const std::string akid = out.at("Credentials").at("AccessKeyId").get<std::string>();
  auto cred = core_.credentials().find(akid);
  if (!cred) throw AwsError("InternalError", "STS issued credentials cloudbox cannot find.", 500, false);
  Session session{akid, cred->principal, cred->account_id};
  sessions_[key] = {session, cred->expiration.value_or(now + std::chrono::hours(1)), role};
  return session;
}

void SchedulerService::record(Json entry) {
  entry["Seq"] = ++history_seq_;
  char key[32];
  std::snprintf(key, sizeof key, "%020llu", static_cast<unsigned long long>(history_seq_));
  Store::Batch batch;
  if (!core_.store().ephemeral()) batch.put(kHistory, key, entry);
  history_.push_back(std::move(entry));
  while (history_.size() > kMaxHistory) {
    char old[32];
    std::snprintf(old, sizeof old, "%020llu",
                  static_cast<unsigned long long>(history_.front().value("Seq", uint64_t(0))));
    if (!core_.store().ephemeral()) batch.erase(kHistory, old);
    history_.pop_front();
  }
  if (!batch.ops.empty()) core_.store().commit(batch);
}

Json SchedulerService::executions(const std::string& schedule) const {
  Json list = Json::array();
  for (const auto& e : history_)
    if (schedule.empty() || e.value("ScheduleName", "") == schedule || e.value("ScheduleArn", "") == schedule)
      list.push_back(e);
  return {{"Executions", list}};
}

}  // namespace cloudbox::scheduler
