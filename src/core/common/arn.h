#pragma once
// ARNs: arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
#include <optional>
#include <string>
#include <string_view>

namespace cloudbox {

struct Arn {
  std::string partition = "aws";
  std::string service;
  std::string region;
  std::string account;
  std::string resource;  // everything after the fifth colon, e.g. "secret:name-AbCdEf" or "role/path/name"

  std::string str() const;
  static std::optional<Arn> parse(std::string_view text);
};

std::string make_arn(std::string_view service, std::string_view region, std::string_view account,
                     std::string_view resource);

}  // namespace cloudbox
