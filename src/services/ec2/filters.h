#pragma once
// The one EC2 filter engine behind every Describe*: `Filter.N.Name` / `Filter.N.Value.M` (already parsed
// into {"Name", "Values"} documents), several values OR'ed, several filters AND'ed, wildcards `*` and `?`
// (with `\` escaping them), and `tag:KEY`, `tag-key`, `tag-value` for every resource. A resource kind
// declares its filterable fields as name → extractor; an unknown name is refused as AWS refuses it.
// Also EC2 pagination (MaxResults / NextToken) over the core's opaque, parameter-bound tokens.
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/common/pagination.h"
#include "core/common/tags.h"

namespace cloudbox::ec2 {

struct Filter {
  std::string name;
  std::vector<std::string> values;
};

// Appends the values a resource has for one filter name. Booleans come out "true"/"false".
using Extractor = std::function<void(const Json& doc, std::vector<std::string>& out)>;
using FilterTable = std::unordered_map<std::string, Extractor>;

// An extractor that reads a dotted member path through the document; arrays on the way are walked
// element by element ("CidrBlockAssociationSet.CidrBlock").
Extractor by_path(std::string path);
// Appends the scalar(s) at `path` in `doc` (the same walk `by_path` does).
void values_at(const Json& doc, std::string_view path, std::vector<std::string>& out);

// Reads `member` (a [{Name, Values}] list) from a request document.
std::vector<Filter> read_filters(const Json& input, const char* member = "Filters");
// Throws InvalidParameterValue "The filter 'x' is invalid" for a name neither in `table` nor a tag filter.
void check_filters(const std::vector<Filter>& filters, const FilterTable& table);
// True when the resource passes every filter.
bool matches(const std::vector<Filter>& filters, const FilterTable& table, const Json& doc, const TagMap& tags);

// `*` any run of characters, `?` one character, `\*` `\?` `\\` literal.
bool wildcard_match(std::string_view pattern, std::string_view text);

// EC2 pagination: MaxResults (absent: everything) and NextToken, bound to the request's other members.
struct Ec2Page {
  PageRequest req;
  bool limited = false;
};
Ec2Page page_request(const Json& input, const char* max_member = "MaxResults", const char* token_member = "NextToken");

template <typename T, typename KeyFn>
std::pair<std::vector<T>, std::string> paginate_ec2(const std::vector<T>& sorted, const Ec2Page& page, KeyFn key_of) {
  return paginate(sorted, page.req, key_of, "InvalidPaginationToken", "The pagination token is not valid.", 400);
}

}  // namespace cloudbox::ec2
