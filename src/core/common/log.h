#pragma once
// A small leveled logger to stderr. Never pass secret material to it.
#include <string_view>

namespace cloudbox::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

void set_level(Level level);
bool set_level(std::string_view name);  // debug|info|warn|error|off; false if unknown
bool enabled(Level level);
void write(Level level, std::string_view message);

inline void debug(std::string_view m) { if (enabled(Level::Debug)) write(Level::Debug, m); }
inline void info(std::string_view m) { if (enabled(Level::Info)) write(Level::Info, m); }
inline void warn(std::string_view m) { if (enabled(Level::Warn)) write(Level::Warn, m); }
inline void error(std::string_view m) { if (enabled(Level::Error)) write(Level::Error, m); }

}  // namespace cloudbox::log
