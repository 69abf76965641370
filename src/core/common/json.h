#pragma once
// One JSON type for every document in cloudbox: parsed requests (keyed by the model's member names),
// handler results, and stored records.
#include <nlohmann/json.hpp>

namespace cloudbox {
using Json = nlohmann::json;
}
