#pragma once
// AWS Signature Version 4: reading who signed a request (Authorization header or presigned query) and,
// when IAM is enforced, checking the signature.
#include <optional>
#include <string>
#include <vector>

#include "core/http/message.h"

namespace cloudbox {

struct SigV4Info {
  std::string access_key_id;
  std::string date;     // yyyymmdd from the credential scope
  std::string region;   // from the credential scope
  std::string service;  // signing name from the credential scope, e.g. "secretsmanager"
  std::vector<std::string> signed_headers;
  std::string signature;  // hex
  std::string amz_date;   // X-Amz-Date (yyyymmddThhmmssZ)
  std::string security_token;  // X-Amz-Security-Token, if any
  bool presigned = false;
};

// Reads the signing information, or nullopt when the request carries none. Throws AwsError
// ("IncompleteSignature", 400) when an Authorization header is present but malformed.
std::optional<SigV4Info> parse_sigv4(const HttpRequest& request);

// Recomputes the signature with `secret_access_key`; true when it matches.
bool verify_sigv4(const HttpRequest& request, const SigV4Info& info, const std::string& secret_access_key);

// Signs `request` as an SDK would (every header it carries is signed; a Host header is added when missing), for
// tests and benchmarks. `amz_date` is yyyymmddThhmmssZ.
void sign_sigv4(HttpRequest& request, const std::string& access_key_id, const std::string& secret_access_key,
                const std::string& region, const std::string& service, const std::string& amz_date,
                const std::string& session_token = "");

}  // namespace cloudbox
