#pragma once
// Converting scalar members between wire text and document values, shared by every protocol.
#include <optional>
#include <string>
#include <string_view>

#include "core/common/json.h"
#include "core/model/model.h"

namespace cloudbox::protocol {

// Text as it appears in a query parameter, header or URI label → document value; nullopt if it does not
// parse as the shape's type.
std::optional<Json> scalar_from_text(const Shape& shape, std::string_view text);

// Document value → wire text for XML, headers and query strings. `format` is the timestamp format
// ("iso8601", "rfc822", "unixTimestamp").
std::string scalar_to_text(const Shape& shape, const Json& value, std::string_view timestamp_format);

// Document timestamp (epoch seconds) → JSON wire value per format (default epoch seconds).
Json timestamp_to_json(const Json& value, std::string_view timestamp_format);

// Formats a double without exponent notation or trailing zeros, as AWS writes numbers.
std::string format_number(double d);

}  // namespace cloudbox::protocol
