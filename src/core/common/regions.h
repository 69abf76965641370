#pragma once
// The AWS regions cloudbox knows (the commercial partition), for checks such as a replica region that
// must exist. A request may still name any region in its signature, as with a real endpoint.
#include <string_view>
#include <vector>

namespace cloudbox {

const std::vector<std::string_view>& known_regions();
bool is_known_region(std::string_view region);

}  // namespace cloudbox
