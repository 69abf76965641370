// Schedule expressions: parsing and next fire times (see cron.h for the rules and AWS's DST behaviour).
#include "services/scheduler/cron.h"

// The flags Debian's libdate-tz was built with (its CMake package exports them); only this file includes tz.h.
#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#ifndef HAS_STRING_VIEW
#define HAS_STRING_VIEW 1
#endif
#ifndef ONLY_C_LOCALE
#define ONLY_C_LOCALE 1
#endif
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>

namespace cloudbox::scheduler {

namespace {

using namespace std::chrono;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool parse_uint(std::string_view s, int& out) {
  if (s.empty() || s.size() > 6) return false;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// A value of a field: a number in [lo, hi], or (for months and weekdays) a three-letter name.
bool parse_value(std::string_view s, int lo, int hi, const char* const* names, int& out) {
  if (names) {
    std::string u = upper(s);
    int count = hi - lo + 1;
    for (int i = 0; i < count; ++i)
      if (u == names[i]) {
        out = lo + i;
        return true;
      }
  }
  int v;
  if (!parse_uint(s, v) || v < lo || v > hi) return false;
  out = v;
  return true;
}

// The generic part of a field: a comma list of `*`, `a`, `a-b`, `*/n`, `a/n`, `a-b/n`.
// A range whose start is after its end wraps around a cyclic field (Quartz's rule): FRI-MON is Friday,
// Saturday, Sunday, Monday; 22-2 in hours is 22, 23, 0, 1, 2. The year field does not wrap.
template <size_t N>
bool parse_items(const std::vector<std::string>& items, int lo, int hi, const char* const* names, std::bitset<N>& bits,
                 int offset = 0, bool cyclic = true) {
  for (const std::string& item : items) {
    if (item.empty()) return false;
    std::string range = item;
    int step = 1;
    auto slash = item.find('/');
    if (slash != std::string::npos) {
      if (!parse_uint(std::string_view(item).substr(slash + 1), step) || step < 1) return false;
      range = item.substr(0, slash);
    }
    int a, b;
    if (range == "*") {
      a = lo;
      b = hi;
    } else {
      auto dash = range.find('-');
      if (dash != std::string::npos) {
        if (!parse_value(std::string_view(range).substr(0, dash), lo, hi, names, a) ||
            !parse_value(std::string_view(range).substr(dash + 1), lo, hi, names, b) || (a > b && !cyclic))
          return false;
      } else {
        if (!parse_value(range, lo, hi, names, a)) return false;
        b = slash != std::string::npos ? hi : a;  // "a/n" runs from a to the end of the field
      }
    }
    const int span = hi - lo + 1;
    const int length = a <= b ? b - a : b - a + span;  // steps from a to b, wrapping past hi
    for (int k = 0; k <= length; k += step) {
      int v = a + k;
      if (v > hi) v -= span;
      bits.set(size_t(v - offset));
    }
  }
  return true;
}

bool parse_dom(const std::string& field, CronSpec& c) {
  if (field == "?") {
    c.dom_question = c.dom_any = true;
    return true;
  }
  if (field == "*") {
    c.dom_any = true;
    return true;
  }
  std::vector<std::string> generic;
  for (const std::string& raw : split(field, ',')) {
    std::string item = upper(raw);
    if (item == "L") {
      c.last_day = true;
    } else if (item == "LW") {
      c.last_weekday = true;
    } else if (item.size() >= 2 && item.back() == 'W') {
      int d;
      if (!parse_value(std::string_view(item).substr(0, item.size() - 1), 1, 31, nullptr, d)) return false;
      c.nearest_weekday.push_back(d);
    } else {
      generic.push_back(item);
    }
  }
  return parse_items(generic, 1, 31, nullptr, c.days);
}

bool parse_dow(const std::string& field, CronSpec& c) {
  if (field == "?") {
    c.dow_question = c.dow_any = true;
    return true;
  }
  if (field == "*") {
    c.dow_any = true;
    return true;
  }
  std::string f = upper(field);
  if (f.find('#') != std::string::npos) {
    // "d#n": the n-th weekday d of the month; only one such expression in the field.
    if (f.find(',') != std::string::npos) return false;
    auto hash = f.find('#');
    int d, n;
    if (!parse_value(std::string_view(f).substr(0, hash), 1, 7, kDays, d) ||
        !parse_uint(std::string_view(f).substr(hash + 1), n) || n < 1 || n > 5)
      return false;
    c.nth_weekday.emplace_back(d, n);
    return true;
  }
  std::vector<std::string> generic;
  for (const std::string& item : split(f, ',')) {
    if (item == "L") {
      c.weekdays.set(7);  // the last day of the week: Saturday
    } else if (item.size() >= 2 && item.back() == 'L') {
      int d;
      if (!parse_value(std::string_view(item).substr(0, item.size() - 1), 1, 7, kDays, d)) return false;
      c.last_of_weekday.push_back(d);
    } else {
      generic.push_back(item);
    }
  }
  return parse_items(generic, 1, 7, kDays, c.weekdays);
}

std::optional<Expression> parse_cron(std::string_view body) {
  auto fields = split_ws(body);
  if (fields.size() != 6) return std::nullopt;
  Expression e;
  e.kind = Expression::Kind::Cron;
  CronSpec& c = e.cron;
  if (!parse_items(split(fields[0], ','), 0, 59, nullptr, c.minutes)) return std::nullopt;
  if (!parse_items(split(fields[1], ','), 0, 23, nullptr, c.hours)) return std::nullopt;
  if (!parse_dom(fields[2], c)) return std::nullopt;
  if (!parse_items(split(fields[3], ','), 1, 12, kMonths, c.months)) return std::nullopt;
  if (!parse_dow(fields[4], c)) return std::nullopt;
  if (!parse_items(split(fields[5], ','), kMinYear, kMaxYear, nullptr, c.years, kMinYear, false)) return std::nullopt;
  // Exactly one of the day fields is '?'.
  if (c.dom_question == c.dow_question) return std::nullopt;
  return e;
}

std::optional<Expression> parse_rate(std::string_view body) {
  auto parts = split_ws(body);
  if (parts.size() != 2) return std::nullopt;
  int n;
  if (!parse_uint(parts[0], n) || n < 1) return std::nullopt;
  const std::string& unit = parts[1];
  int64_t seconds;
  if (unit == "minute" || unit == "minutes") seconds = 60;
  else if (unit == "hour" || unit == "hours") seconds = 3600;
  else if (unit == "day" || unit == "days") seconds = 86400;
  else return std::nullopt;
  // Singular exactly when the value is 1.
  bool singular = unit.back() != 's';
  if (singular != (n == 1)) return std::nullopt;
  Expression e;
  e.kind = Expression::Kind::Rate;
  e.rate_seconds = seconds * n;
  return e;
}

std::optional<Expression> parse_at(std::string_view body) {
  // Exactly yyyy-mm-ddThh:mm:ss.
  if (body.size() != 19 || body[4] != '-' || body[7] != '-' || body[10] != 'T' || body[13] != ':' || body[16] != ':')
    return std::nullopt;
  Expression e;
  e.kind = Expression::Kind::At;
  if (!parse_uint(body.substr(0, 4), e.at_year) || !parse_uint(body.substr(5, 2), e.at_month) ||
      !parse_uint(body.substr(8, 2), e.at_day) || !parse_uint(body.substr(11, 2), e.at_hour) ||
      !parse_uint(body.substr(14, 2), e.at_minute) || !parse_uint(body.substr(17, 2), e.at_second))
    return std::nullopt;
  date::year_month_day ymd{date::year{e.at_year}, date::month{unsigned(e.at_month)}, date::day{unsigned(e.at_day)}};
  if (!ymd.ok() || e.at_hour > 23 || e.at_minute > 59 || e.at_second > 59) return std::nullopt;
  return e;
}

unsigned last_day_of(int y, unsigned m) {
  return unsigned((date::year{y} / date::month{m} / date::last).day());
}

// 1 = Sunday … 7 = Saturday.
int weekday_of(int y, unsigned m, unsigned d) {
  return int(date::weekday{date::sys_days{date::year{y} / date::month{m} / date::day{d}}}.c_encoding()) + 1;
}

bool day_matches(const CronSpec& c, int y, unsigned m, unsigned d) {
  const unsigned last = last_day_of(y, m);
  const int wd = weekday_of(y, m, d);
  bool dom_ok = c.dom_any;
  if (!dom_ok) {
    if (c.days.test(d)) dom_ok = true;
    if (!dom_ok && c.last_day && d == last) dom_ok = true;
    if (!dom_ok && c.last_weekday) {
      int lwd = weekday_of(y, m, last);
      unsigned target = lwd == 7 ? last - 1 : lwd == 1 ? last - 2 : last;
      dom_ok = d == target;
    }
    for (int n : c.nearest_weekday) {
      if (dom_ok) break;
      if (unsigned(n) > last) continue;
      int nwd = weekday_of(y, m, unsigned(n));
      unsigned target = unsigned(n);
      if (nwd == 7) target = n == 1 ? 3 : unsigned(n - 1);              // Saturday: Friday before, or Monday 3rd
      else if (nwd == 1) target = unsigned(n) == last ? last - 2 : unsigned(n + 1);  // Sunday: Monday after, or Friday
      dom_ok = d == target;
    }
  }
  if (!dom_ok) return false;
  if (c.dow_any) return true;
  if (c.weekdays.test(size_t(wd))) return true;
  for (int l : c.last_of_weekday)
    if (l == wd && d + 7 > last) return true;
  for (auto [w, n] : c.nth_weekday)
    if (w == wd && int((d - 1) / 7 + 1) == n) return true;
  return false;
}

std::optional<int64_t> next_cron(const CronSpec& c, const date::time_zone* zone, int64_t t) {
  // Candidates are local wall-clock minutes in increasing order; each maps to the UTC instant of its first
  // occurrence (a repeated fall-back time fires once), and times in the spring-forward gap are skipped.
  // That mapping is increasing, so the first candidate whose instant is at or after `t` is the answer.
  auto local = zone->to_local(date::sys_seconds{seconds{t}});
  auto local_min = std::chrono::floor<minutes>(local);
  auto day = std::chrono::floor<date::days>(local_min);
  date::year_month_day ymd{day};
  date::hh_mm_ss<minutes> tod{local_min - day};
  int y0 = int(ymd.year());
  unsigned m0 = unsigned(ymd.month()), d0 = unsigned(ymd.day());
  int h0 = int(tod.hours().count()), mi0 = int(tod.minutes().count());
  if (y0 < kMinYear) {
    y0 = kMinYear;
    m0 = d0 = 1;
    h0 = mi0 = 0;
  }
  bool first = true;
  for (int y = y0; y <= kMaxYear; ++y) {
    if (!c.years.test(size_t(y - kMinYear))) {
      first = false;
      continue;
    }
    for (unsigned m = first ? m0 : 1; m <= 12; ++m) {
      if (!c.months.test(m)) {
        first = false;
        continue;
      }
      unsigned last = last_day_of(y, m);
      for (unsigned d = first ? d0 : 1; d <= last; ++d) {
        if (!day_matches(c, y, m, d)) {
          first = false;
          continue;
        }
        auto ld = date::local_days{date::year{y} / date::month{m} / date::day{d}};
        for (int h = first ? h0 : 0; h < 24; ++h) {
          if (!c.hours.test(size_t(h))) {
            first = false;
            continue;
          }
          for (int mi = first ? mi0 : 0; mi < 60; ++mi) {
            if (!c.minutes.test(size_t(mi))) continue;
            date::local_seconds ls = ld + hours{h} + minutes{mi};
            auto info = zone->get_info(ls);
            if (info.result == date::local_info::nonexistent) continue;
            int64_t utc = (ls.time_since_epoch() - info.first.offset).count();
            if (utc >= t) return utc;
          }
          first = false;
        }
        first = false;
      }
      first = false;
    }
    first = false;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Expression> parse_expression(std::string_view text, std::string* error) {
  std::optional<Expression> e;
  auto body_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (text.size() < prefix.size() + 1 || text.substr(0, prefix.size()) != prefix || text.back() != ')')
      return std::nullopt;
    return text.substr(prefix.size(), text.size() - prefix.size() - 1);
  };
  if (auto b = body_of("cron(")) e = parse_cron(*b);
  else if (auto b2 = body_of("rate(")) e = parse_rate(*b2);
  else if (auto b3 = body_of("at(")) e = parse_at(*b3);
  if (!e) {
    if (error) *error = "Invalid Schedule Expression " + std::string(text) + ".";
    return std::nullopt;
  }
  e->text = std::string(text);
  return e;
}

const date::time_zone* find_zone(std::string_view name) {
  try {
    return date::locate_zone(name.empty() ? std::string_view("UTC") : name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::optional<int64_t> next_fire(const Expression& e, const date::time_zone* zone, int64_t t, int64_t rate_anchor) {
  if (!zone) zone = find_zone("UTC");
  switch (e.kind) {
    case Expression::Kind::Rate: {
      if (t <= rate_anchor) return rate_anchor;
      int64_t k = (t - rate_anchor + e.rate_seconds - 1) / e.rate_seconds;
      return rate_anchor + k * e.rate_seconds;
    }
    case Expression::Kind::At: {
      date::local_seconds ls = date::local_days{date::year{e.at_year} / date::month{unsigned(e.at_month)} /
                                                date::day{unsigned(e.at_day)}} +
                               hours{e.at_hour} + minutes{e.at_minute} + seconds{e.at_second};
      auto info = zone->get_info(ls);
      int64_t utc = info.result == date::local_info::nonexistent
                        ? info.second.begin.time_since_epoch().count()
                        : (ls.time_since_epoch() - info.first.offset).count();
      if (utc >= t) return utc;
      return std::nullopt;
    }
    case Expression::Kind::Cron:
      return next_cron(e.cron, zone, t);
  }
  return std::nullopt;
}

std::vector<int64_t> next_fires(const Expression& e, const date::time_zone* zone, int64_t t, size_t n,
                                int64_t rate_anchor) {
  std::vector<int64_t> out;
  int64_t from = t + 1;
  while (out.size() < n) {
    auto next = next_fire(e, zone, from, rate_anchor);
    if (!next) break;
    out.push_back(*next);
    from = *next + 1;
  }
  return out;
}

}  // namespace cloudbox::scheduler
