#include "core/common/tags.h"

#include "core/common/encoding.h"
#include "core/common/error.h"

namespace cloudbox {

TagMap parse_tag_list(const Json& list, const std::string& error_code, const TagMap& existing, const TagLimits& limits,
                      const char* key_name, const char* value_name) {
  TagMap out;
  if (!list.is_array()) return out;
  for (const auto& tag : list) {
    std::string key = tag.value(key_name, std::string());
    std::string value = tag.value(value_name, std::string());
    if (key.empty() || utf8_length(key) > limits.max_key)
      throw AwsError(error_code, "The tag key must be between 1 and " + std::to_string(limits.max_key) + " characters.");
    if (utf8_length(value) > limits.max_value)
      throw AwsError(error_code, "The tag value must be at most " + std::to_string(limits.max_value) + " characters.");
    if (limits.reserve_aws_prefix && key.size() >= 4 && (key.compare(0, 4, "aws:") == 0))
      throw AwsError(error_code, "Tag keys starting with 'aws:' are reserved for AWS use.");
    out[key] = value;
  }
  TagMap merged = existing;
  for (auto& [k, v] : out) merged[k] = v;
  if (merged.size() > limits.max_tags)
    throw AwsError(error_code, "The number of tags exceeds the limit of " + std::to_string(limits.max_tags) + ".");
  return out;
}

Json tag_list_json(const TagMap& tags, const char* key_name, const char* value_name) {
  Json out = Json::array();
  out.get_ref<Json::array_t&>().reserve(tags.size());
  for (const auto& [k, v] : tags) {
    Json tag = Json::object();
    tag[key_name] = k;
    tag[value_name] = v;
    out.push_back(std::move(tag));
  }
  return out;
}

}  // namespace cloudbox
