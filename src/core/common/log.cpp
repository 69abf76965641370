#include "core/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/common/clock.h"
#include "core/common/encoding.h"

namespace cloudbox::log {
namespace {
std::atomic<int> g_level{int(Level::Info)};
std::mutex g_mu;
}  // namespace

void set_level(Level level) { g_level = int(level); }

bool set_level(std::string_view name) {
  static const std::pair<const char*, Level> kNames[] = {{"debug", Level::Debug}, {"info", Level::Info},
                                                         {"warn", Level::Warn},   {"warning", Level::Warn},
                                                         {"error", Level::Error}, {"off", Level::Off}};
  for (auto& [n, l] : kNames)
    if (name == n) {
      set_level(l);
      return true;
    }
  return false;
}

bool enabled(Level level) { return int(level) >= g_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view message) {
  static const char* kTags[] = {"debug", "info", "warn", "error"};
  std::string line = iso8601(Clock::now()) + " " + kTags[int(level)] + " " + std::string(message) + "\n";
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace cloudbox::log
