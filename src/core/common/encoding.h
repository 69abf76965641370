#pragma once
// Byte and text encodings shared by the protocol layer, SigV4 and the services.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/clock.h"

namespace cloudbox {

// ASCII lower case (std::tolower is an out-of-line, locale-aware call per character).
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

std::string base64_encode(std::string_view bytes);
// Strict standard-alphabet decoding (padding optional); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

std::string hex_encode(std::string_view bytes);
std::string sha256(std::string_view data);  // raw 32 bytes
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

// application/x-www-form-urlencoded and URI percent-decoding ('+' is a space only when `plus_is_space`).
std::string url_decode(std::string_view text, bool plus_is_space = true);
// RFC 3986 encoding as SigV4 uses it: unreserved characters kept, everything else %XX (upper case).
std::string uri_encode(std::string_view text, bool encode_slash = true);

// ISO 8601 in UTC with milliseconds: 2024-01-02T03:04:05.000Z (the query/XML protocols' timestamp form).
std::string iso8601(TimePoint t);
// ISO 8601 without fraction: 2024-01-02T03:04:05Z.
std::string iso8601_seconds(TimePoint t);
// RFC 822 / HTTP date: Tue, 02 Jan 2024 03:04:05 GMT.
std::string http_date(TimePoint t);
// Accepts 2024-01-02T03:04:05Z, with fraction, with +hh:mm offset, a bare date, or epoch seconds.
std::optional<TimePoint> parse_timestamp(std::string_view text);

// Number of Unicode code points in valid UTF-8 (AWS length constraints count characters).
size_t utf8_length(std::string_view text);
bool is_valid_utf8(std::string_view text);

}  // namespace cloudbox
