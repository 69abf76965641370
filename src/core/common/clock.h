#pragma once
// The server clock. Everything time-based (deletion windows, credential expiry, schedules, state
// transitions) reads this clock, so tests can move time forward through the admin endpoint.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

namespace cloudbox {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

class ServerClock {
 public:
  TimePoint now() const { return Clock::now() + std::chrono::microseconds(offset_us_.load(std::memory_order_relaxed)); }
  // Moves the clock forward by `seconds` (negative values are refused by the caller).
  void advance(std::chrono::microseconds by) { offset_us_.fetch_add(by.count()); notify(); }
  // Sets the clock to `when` if that is not in the past; returns false otherwise.
  bool set(TimePoint when);
  std::chrono::microseconds offset() const { return std::chrono::microseconds(offset_us_.load()); }
  void set_offset(std::chrono::microseconds off) { offset_us_.store(off.count()); }
  // Called after every manual move, so time-driven work runs at once.
  void on_change(std::function<void()> listener);

 private:
  void notify();
  std::atomic<long long> offset_us_{0};
  std::mutex listeners_mu_;
  std::vector<std::function<void()>> listeners_;
};

// Seconds since the epoch, with fraction: the form timestamps take inside request/response documents.
double to_epoch(TimePoint t);
TimePoint from_epoch(double seconds);

}  // namespace cloudbox
