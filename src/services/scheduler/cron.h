#pragma once
// EventBridge Scheduler's schedule expressions, as pure functions: parsing (with AWS's validation) and the
// next fire times of cron(...), rate(...) and at(...) in an IANA time zone. No service state, no clock.
//
//   cron(minutes hours day-of-month month day-of-week year)
//     minutes 0-59, hours 0-23, day-of-month 1-31 (, - * ? / L W LW), month 1-12 or JAN-DEC (, - * /),
//     day-of-week 1-7 or SUN-SAT, 1 = SUN (, - * ? L #), year 1970-2199 (, - * /);
//     exactly one of day-of-month / day-of-week is '?'.
//   rate(N unit)  unit minute|minutes|hour|hours|day|days, singular exactly when N is 1.
//   at(yyyy-mm-ddThh:mm:ss)  one time, in the schedule's time zone.
//
// Daylight saving time (EventBridge Scheduler User Guide, "Schedule types", section "Daylight saving time",
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html, and AWS re:Post
// "eventbridge-scheduler-adjust-dst"): "When the time shifts forward in Spring, your schedule invocation gets
// skipped if the cron expression falls on a non-existent date and time. When the time shifts back in the
// Fall, your schedule runs only once and doesn't repeat its invocation." — so a cron time inside the
// spring-forward gap does not fire, and a cron time inside the repeated fall-back hour fires once, at its
// first occurrence. Rate expressions are durations on the clock ("days represents a 24-hour duration"), so
// they ignore DST entirely. An at() time inside the gap is taken as the instant the gap ends (the clock
// reading a user would see); a repeated at() time fires at its first occurrence.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace cloudbox::scheduler {

inline constexpr int kMinYear = 1970;
inline constexpr int kMaxYear = 2199;

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  // Day of month.
  bool dom_any = false;           // '?' (day-of-week decides) or '*'
  bool dom_question = false;      // '?'
  std::bitset<32> days;           // 1..31
  bool last_day = false;          // L
  bool last_weekday = false;      // LW
  std::vector<int> nearest_weekday;  // nW
  std::bitset<13> months;         // 1..12
  // Day of week (1 = Sunday … 7 = Saturday).
  bool dow_any = false;           // '*' or '?'
  bool dow_question = false;      // '?'
  std::bitset<8> weekdays;        // 1..7
  std::vector<int> last_of_weekday;                // nL: the last such weekday of the month
  std::vector<std::pair<int, int>> nth_weekday;    // d#n: the n-th such weekday of the month
  std::bitset<kMaxYear - kMinYear + 1> years;
};

struct Expression {
  enum class Kind { Cron, Rate, At } kind = Kind::Cron;
  std::string text;
  CronSpec cron;
  int64_t rate_seconds = 0;
  // at(): the local wall-clock time.
  int at_year = 0, at_month = 0, at_day = 0, at_hour = 0, at_minute = 0, at_second = 0;

  bool recurring() const { return kind != Kind::At; }
};

// Parses a ScheduleExpression. On failure returns nullopt and sets `error` to AWS's message
// ("Invalid Schedule Expression <expression>.").
std::optional<Expression> parse_expression(std::string_view text, std::string* error = nullptr);

// The IANA zone for a ScheduleExpressionTimezone (empty means UTC), or nullptr if there is no such zone.
const date::time_zone* find_zone(std::string_view name);

// The earliest fire time at or after `t` (epoch seconds, UTC), or nullopt when there is none (the cron year
// field has ended, the at() time is before `t`). `rate_anchor` is where a rate's sequence starts (the
// StartDate, else the creation time): its fire times are rate_anchor + k·period, k ≥ 0.
std::optional<int64_t> next_fire(const Expression& e, const date::time_zone* zone, int64_t t, int64_t rate_anchor = 0);

// Convenience for tests and docs: the next `n` fire times strictly after `t`.
std::vector<int64_t> next_fires(const Expression& e, const date::time_zone* zone, int64_t t, size_t n,
                                int64_t rate_anchor = 0);

}  // namespace cloudbox::scheduler
