#pragma once
// Tags as every service keeps them: an ordered key → value map with AWS's limits.
#include <map>
#include <string>
#include <vector>

#include "core/common/json.h"

namespace cloudbox {

using TagMap = std::map<std::string, std::string>;

struct TagLimits {
  size_t max_tags = 50;
  size_t max_key = 128;
  size_t max_value = 256;
  bool reserve_aws_prefix = true;  // keys starting with "aws:" may not be added by users
};

// Reads a [{Key, Value}, …] list (member names configurable) into a map, validating AWS's limits.
// Throws AwsError(error_code, message) on a violation; `existing` counts toward the tag limit.
TagMap parse_tag_list(const Json& list, const std::string& error_code, const TagMap& existing = {},
                      const TagLimits& limits = {}, const char* key_name = "Key", const char* value_name = "Value");
Json tag_list_json(const TagMap& tags, const char* key_name = "Key", const char* value_name = "Value");

}  // namespace cloudbox
