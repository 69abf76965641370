#include "core/protocol/scalars.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/common/encoding.h"

namespace cloudbox::protocol {

std::optional<Json> scalar_from_text(const Shape& shape, std::string_view text) {
  std::string s(text);
  switch (shape.type) {
    case ShapeType::String:
      return Json(s);
    case ShapeType::Integer:
    case ShapeType::Long: {
      if (s.empty()) return std::nullopt;
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (errno || *end != '\0') return std::nullopt;
      if (shape.type == ShapeType::Integer && (v > INT32_MAX || v < INT32_MIN)) return std::nullopt;
      return Json(v);
    }
    case ShapeType::Float:
    case ShapeType::Double: {
      if (s.empty()) return std::nullopt;
      char* end = nullptr;
      double v = std::strtod(s.c_str(), &end);
      if (*end != '\0' || !std::isfinite(v)) return std::nullopt;
      return Json(v);
    }
    case ShapeType::Boolean:
      if (s == "true") return Json(true);
      if (s == "false") return Json(false);
      return std::nullopt;
    case ShapeType::Timestamp: {
      auto tp = parse_timestamp(s);
      if (!tp) {
        // HTTP-date form (rest protocols' headers).
        std::tm tm{};
        if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return Json(double(timegm(&tm)));
        return std::nullopt;
      }
      return Json(to_epoch(*tp));
    }
    case ShapeType::Blob: {
      auto raw = base64_decode(s);
      if (!raw) return std::nullopt;
      return Json(*raw);
    }
    default:
      return std::nullopt;
  }
}

std::string format_number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", d);
  std::string out(buf);
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::string scalar_to_text(const Shape& shape, const Json& value, std::string_view timestamp_format) {
  switch (shape.type) {
    case ShapeType::Boolean:
      return value.is_boolean() ? (value.get<bool>() ? "true" : "false") : value.dump();
    case ShapeType::Integer:
    case ShapeType::Long:
      if (value.is_number()) return std::to_string(value.get<long long>());
      break;
    case ShapeType::Float:
    case ShapeType::Double:
      if (value.is_number()) return format_number(value.get<double>());
      break;
    case ShapeType::Timestamp:
      if (value.is_number()) {
        TimePoint tp = from_epoch(value.get<double>());
        if (timestamp_format == "rfc822") return http_date(tp);
        if (timestamp_format == "unixTimestamp") return format_number(value.get<double>());
        return iso8601(tp);
      }
      break;
    case ShapeType::Blob:
      if (value.is_string()) return base64_encode(value.get_ref<const std::string&>());
      break;
    default:
      break;
  }
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Json timestamp_to_json(const Json& value, std::string_view timestamp_format) {
  if (!value.is_number()) return value;
  if (timestamp_format == "iso8601") return iso8601(from_epoch(value.get<double>()));
  if (timestamp_format == "rfc822") return http_date(from_epoch(value.get<double>()));
  double d = value.get<double>();
  if (std::floor(d) == d) return static_cast<long long>(d);
  return d;
}

}  // namespace cloudbox::protocol
