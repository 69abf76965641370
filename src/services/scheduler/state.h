#pragma once
// EventBridge Scheduler state: schedule groups and schedules per account and region (one sealed record
// each), their next-fire state (so a restart resumes where it stopped), and the bounded execution history.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/json.h"
#include "core/common/tags.h"

namespace cloudbox::scheduler {

inline constexpr const char* kSchedules = "scheduler";          // account|region|group|name → Schedule
inline constexpr const char* kGroups = "scheduler-groups";      // account|region|group → Group
inline constexpr const char* kHistory = "scheduler-history";    // zero-padded sequence → execution record
inline constexpr const char* kDefaultGroup = "default";
inline constexpr size_t kMaxHistory = 1000;                    // execution records kept (oldest dropped)
inline constexpr int kDefaultMaxEventAge = 86400;
inline constexpr int kDefaultMaxRetries = 185;

struct Group {
  std::string account, region, name, arn;
  std::string state = "ACTIVE";  // ACTIVE | DELETING
  TagMap tags;
  double created = 0, modified = 0;
  std::optional<std::string> client_token;
};

// A retry of a failed invocation, due at `at` (server clock, epoch seconds).
struct PendingRetry {
  int64_t scheduled = 0;  // the scheduled time of the invocation being retried
  int attempt = 2;        // the attempt number this retry will be
  int64_t at = 0;
};

struct Schedule {
  std::string account, region, group, name, arn;
  std::optional<std::string> description;
  std::string expression;
  std::optional<std::string> timezone;
  std::optional<double> start_date, end_date;
  Json flexible_time_window = Json::object();
  Json target = Json::object();  // as the API returns it (RetryPolicy filled in)
  std::string state = "ENABLED";
  std::optional<std::string> kms_key_arn;
  std::string action_after_completion = "NONE";
  std::optional<std::string> client_token;
  double created = 0, modified = 0;

  // Firing state.
  int64_t rate_anchor = 0;               // rate(): fire times are rate_anchor + k·period
  std::optional<int64_t> next_time;      // scheduled time of the next invocation (none: finished)
  std::optional<int64_t> due_time;       // when it is invoked (next_time plus the flexible-window delay)
  std::vector<PendingRetry> retries;
  uint64_t invocations = 0;

  int max_event_age() const {
    const Json& r = target.value("RetryPolicy", Json::object());
    return r.value("MaximumEventAgeInSeconds", kDefaultMaxEventAge);
  }
  int max_retries() const {
    const Json& r = target.value("RetryPolicy", Json::object());
    return r.value("MaximumRetryAttempts", kDefaultMaxRetries);
  }
};

// Whether an invocation error is transient (throttling, server faults) and worth a retry; client errors such
// as not-found, access denied or validation fail at once. 501 (an operation cloudbox lacks) is permanent.
inline bool is_retryable(const std::string& code, int http_status) {
  if (code.find("Throttl") != std::string::npos || code == "RequestLimitExceeded" || code == "ServiceUnavailable" ||
      code == "InternalFailure" || code == "InternalError" || code == "InternalServerError" ||
      code == "InternalServerException")
    return true;
  return http_status >= 500 && http_status != 501;
}

// The delay before retry number `attempt` (1-based): 1, 2, 4 … minutes, at most an hour.
inline int64_t retry_delay_seconds(int attempt) {
  int64_t d = 60;
  for (int i = 1; i < attempt && d < 3600; ++i) d *= 2;
  return d < 3600 ? d : 3600;
}

Json to_record(const Schedule& s);
Schedule schedule_from_record(const Json& j);
Json to_record(const Group& g);
Group group_from_record(const Json& j);

}  // namespace cloudbox::scheduler
