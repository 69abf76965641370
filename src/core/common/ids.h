#pragma once
// Identifiers in AWS's formats. All randomness comes from OpenSSL's CSPRNG, since some of these
// (secret access keys, generated passwords) are credentials.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cloudbox {

std::string random_bytes(size_t n);
uint64_t random_u64();
// Uniform integer in [0, bound).
uint64_t random_below(uint64_t bound);
std::string random_hex(size_t chars);                                  // lower-case hex, e.g. vpc-<17 hex>
std::string random_from(std::string_view alphabet, size_t chars);     // uniform over the alphabet
std::string random_alnum(size_t chars);                                // [A-Za-z0-9]
std::string uuid4();                                                   // 8-4-4-4-12 lower-case
std::string request_id();                                              // a UUID, as AWS request ids are

// Access key ids as AWS mints them: a 4-letter prefix (AKIA long-term, ASIA temporary) and 16 base32
// characters that encode the account id, so GetAccessKeyInfo can recover the account from the key alone.
std::string make_access_key_id(std::string_view prefix, std::string_view account_id);
std::optional<std::string> account_from_access_key_id(std::string_view access_key_id);
std::string make_secret_access_key();  // 40 characters
// Unique ids of IAM entities (AIDA…, AROA…, ANPA…): prefix + 17 upper-case base32 characters.
std::string make_unique_id(std::string_view prefix);

bool is_account_id(std::string_view s);  // exactly 12 digits

}  // namespace cloudbox
