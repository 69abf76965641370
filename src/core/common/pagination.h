#pragma once
// One pagination scheme for every list operation: opaque tokens that name the key of the next item and
// are bound to the request's other parameters, so a token reused with different filters is refused.
#include <optional>
#include <string>
#include <vector>

#include "core/common/error.h"
#include "core/common/json.h"

namespace cloudbox {

struct PageRequest {
  std::optional<std::string> token;  // NextToken / Marker as received
  int max_items;                     // already defaulted and range-checked by the caller
  std::string binding;               // a digest of the request's other parameters (see bind_token)
};

// Digest of the parameters a token must be used with (excluding the token and page size themselves).
std::string bind_token(const Json& params);

// Builds the token that resumes at `next_key`.
std::string make_page_token(const std::string& next_key, const std::string& binding);
// Returns the key to resume from, or nullopt when the token is malformed or bound to other parameters.
std::optional<std::string> parse_page_token(const std::string& token, const std::string& binding);

// Pages a list that is sorted by `key_of`. Returns the items of this page and the next token (empty when done).
// Throws AwsError(invalid_token_code, invalid_token_message) for a bad token.
template <typename T, typename KeyFn>
std::pair<std::vector<T>, std::string> paginate(const std::vector<T>& sorted, const PageRequest& req, KeyFn key_of,
                                                const std::string& invalid_token_code,
                                                const std::string& invalid_token_message, int status = 400) {
  size_t start = 0;
  if (req.token && !req.token->empty()) {
    auto key = parse_page_token(*req.token, req.binding);
    if (!key) throw AwsError(invalid_token_code, invalid_token_message, status);
    // Resume at the first item at or after the token's key. Items must come in key order for that; when a
    // caller's are not, resume at the token's own item (a lower-bound search would loop).
    bool in_order = true;
    for (size_t i = 1; i < sorted.size() && in_order; ++i) in_order = !(key_of(sorted[i]) < key_of(sorted[i - 1]));
    if (in_order) {
      while (start < sorted.size() && key_of(sorted[start]) < *key) ++start;
    } else {
      while (start < sorted.size() && !(key_of(sorted[start]) == *key)) ++start;
    }
  }
  std::vector<T> page;
  size_t end = start;
  for (; end < sorted.size() && page.size() < size_t(req.max_items); ++end) page.push_back(sorted[end]);
  std::string next;
  if (end < sorted.size()) next = make_page_token(key_of(sorted[end]), req.binding);
  return {std::move(page), std::move(next)};
}

}  // namespace cloudbox
