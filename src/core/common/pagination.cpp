#include "core/common/pagination.h"

#include "core/common/encoding.h"

namespace cloudbox {

std::string bind_token(const Json& params) { return hex_encode(sha256(params.dump())).substr(0, 16); }

std::string make_page_token(const std::string& next_key, const std::string& binding) {
  Json t = {{"k", next_key}, {"b", binding}};
  return base64url_encode(t.dump());
}

std::optional<std::string> parse_page_token(const std::string& token, const std::string& binding) {
  auto raw = base64url_decode(token);
  if (!raw) return std::nullopt;
  Json t = Json::parse(*raw, nullptr, false);
  if (t.is_discarded() || !t.is_object() || !t.contains("k") || !t["k"].is_string() || !t.contains("b") ||
      t["b"] != binding)
    return std::nullopt;
  return t["k"].get<std::string>();
}

}  // namespace cloudbox
