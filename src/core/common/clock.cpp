#include "core/common/clock.h"

namespace cloudbox {

bool ServerClock::set(TimePoint when) {
  auto current = now();
  if (when < current) return false;
  offset_us_.fetch_add(std::chrono::ceil<std::chrono::microseconds>(when - current).count());  // ceil: never land just short of `when`
  notify();
  return true;
}

void ServerClock::on_change(std::function<void()> listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void ServerClock::notify() {
  std::vector<std::function<void()>> copy;
  {
    std::lock_guard lock(listeners_mu_);
    copy = listeners_;
  }
  for (auto& l : copy) l();
}

double to_epoch(TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms) / 1000.0;
}

TimePoint from_epoch(double seconds) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

}  // namespace cloudbox
