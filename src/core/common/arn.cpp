#include "core/common/arn.h"

namespace cloudbox {

std::string Arn::str() const { return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource; }

std::optional<Arn> Arn::parse(std::string_view text) {
  if (text.substr(0, 4) != "arn:") return std::nullopt;
  std::string_view rest = text.substr(4);
  std::string parts[4];
  for (auto& part : parts) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part = std::string(rest.substr(0, colon));
    rest = rest.substr(colon + 1);
  }
  if (parts[0].empty() || parts[1].empty() || rest.empty()) return std::nullopt;
  return Arn{parts[0], parts[1], parts[2], parts[3], std::string(rest)};
}

std::string make_arn(std::string_view service, std::string_view region, std::string_view account,
                     std::string_view resource) {
  std::string out = "arn:aws:";
  out.append(service).append(":").append(region).append(":").append(account).append(":").append(resource);
  return out;
}

}  // namespace cloudbox
