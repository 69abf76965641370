// AWS Signature Version 4, as the AWS General Reference specifies it ("Create a signed AWS API request"):
//
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//   StringToSign     = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(sha256(CanonicalRequest))
//   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//   Signature        = hex(HMAC(SigningKey, StringToSign))
//
// The canonical URI of every service except S3 is the normalised path (dot segments and empty segments
// removed) URI-encoded once more on top of the encoding it already has on the wire ("double encoding", which
// is what the SDKs do: botocore quotes the already-quoted path). S3 signs the wire path as it is.
#include "core/auth/sigv4.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include "core/common/encoding.h"
#include "core/common/error.h"

namespace cloudbox {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kAlgorithmV4a = "AWS4-ECDSA-P256-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

const std::string* find_header(const HttpRequest& r, std::string_view lower_name) {
  for (const auto& [k, v] : r.headers)
    if (iequals(k, lower_name)) return &v;
  return nullptr;
}

// Query parameters, decoded (RFC 3986: '+' stays a plus sign), in wire order.
std::vector<std::pair<std::string, std::string>> query_params(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (std::string_view piece : split(query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    out.emplace_back(url_decode(name, false), url_decode(value, false));
  }
  return out;
}

const std::string* find_param(const std::vector<std::pair<std::string, std::string>>& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

// "Tue, 02 Jan 2024 03:04:05 GMT" -> "20240102T030405Z" (for clients that sign with the Date header).
std::string amz_date_from_http_date(std::string_view text) {
  std::tm tm{};
  std::string s(trim(text));
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return {};
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm) == 0) return {};
  return buf;
}

[[noreturn]] void incomplete(const std::string& message) { throw AwsError("IncompleteSignature", message, 400); }

void parse_credential(std::string_view credential, SigV4Info& info, std::string_view algorithm,
                      const std::string& context) {
  auto parts = split(credential, '/');
  // SigV4: AKID/date/region/service/aws4_request. SigV4a has no region in the scope (X-Amz-Region-Set says it).
  bool v4a = algorithm == kAlgorithmV4a;
  size_t expected = v4a ? 4 : 5;
  if (parts.size() != expected || parts[0].empty()) {
    incomplete("Credential should be scoped to a valid region. The credential '" + std::string(credential) +
               "' is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\". " + context);
  }
  if (parts.back() != "aws4_request")
    incomplete("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
               std::string(parts.back()) + "'. " + context);
  info.access_key_id = std::string(parts[0]);
  info.date = std::string(parts[1]);
  if (v4a) {
    info.service = std::string(parts[2]);
  } else {
    info.region = std::string(parts[2]);
    info.service = std::string(parts[3]);
  }
}

std::vector<std::string> parse_signed_headers(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view h : split(text, ';')) {
    h = trim(h);
    if (!h.empty()) out.push_back(lower(h));
  }
  return out;
}

// RFC 3986 section 5.2.4 on the raw path, plus what AWS adds: empty segments ("//") are dropped too.
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result = "/";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result.append(out[i]);
  }
  if (path.back() == '/' && !out.empty()) result += '/';
  return result;
}

std::string canonical_uri(const HttpRequest& r, const std::string& service) {
  std::string_view path = r.path;
  if (size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (service == "s3") return path.empty() ? std::string("/") : std::string(path);
  return uri_encode(remove_dot_segments(path), /*encode_slash=*/false);
}

std::string canonical_query(const HttpRequest& r, bool presigned) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (auto& [k, v] : query_params(r.query)) {
    if (presigned && k == "X-Amz-Signature") continue;
    encoded.emplace_back(uri_encode(k), uri_encode(v));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (i) out += '&';
    out += encoded[i].first;
    out += '=';
    out += encoded[i].second;
  }
  return out;
}

// Trims the value and collapses every run of whitespace (including folded lines) to one space.
std::string canonical_header_value(std::string_view value) {
  value = trim(value);
  std::string out;
  out.reserve(value.size());
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      in_space = true;
      continue;
    }
    if (in_space && !out.empty()) out += ' ';
    in_space = false;
    out += c;
  }
  return out;
}

std::string canonical_headers(const HttpRequest& r, const std::vector<std::string>& signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    std::string joined;
    bool first = true;
    for (const auto& [k, v] : r.headers) {
      if (!iequals(k, name)) continue;
      if (!first) joined += ',';
      joined += canonical_header_value(v);
      first = false;
    }
    out += name;
    out += ':';
    out += joined;
    out += '\n';
  }
  return out;
}

std::string join_signed_headers(const std::vector<std::string>& signed_headers) {
  std::string out;
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out += ';';
    out += signed_headers[i];
  }
  return out;
}

std::string signing_key(const std::string& secret, const SigV4Info& info) {
  std::string k = hmac_sha256("AWS4" + secret, info.date);
  k = hmac_sha256(k, info.region);
  k = hmac_sha256(k, info.service);
  return hmac_sha256(k, "aws4_request");
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<SigV4Info> parse_sigv4(const HttpRequest& request) {
  const std::string* auth = find_header(request, "authorization");
  const std::string* date_header = find_header(request, "x-amz-date");
  const std::string* token_header = find_header(request, "x-amz-security-token");

  if (auth) {
    std::string_view text = trim(*auth);
    const std::string context = "Authorization=" + std::string(text);
    size_t sp = text.find_first_of(" \t");
    std::string_view algorithm = text.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : trim(text.substr(sp + 1));

    std::optional<std::string> credential, signed_headers, signature;
    if (algorithm == kAlgorithm || algorithm == kAlgorithmV4a) {
      for (std::string_view part : split(rest, ',')) {
        part = trim(part);
        if (part.empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos)
          incomplete("'" + std::string(part) + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                     std::string(text) + "'.");
        std::string_view key = trim(part.substr(0, eq));
        std::string value(trim(part.substr(eq + 1)));
        if (key == "Credential") credential = value;
        else if (key == "SignedHeaders") signed_headers = value;
        else if (key == "Signature") signature = value;
      }
    } else if (algorithm.substr(0, 5) == "AWS4-") {
      incomplete("Unsupported AWS 'algorithm': '" + std::string(algorithm) + "'. " + context);
    }

    std::string amz_date;
    if (date_header) amz_date = std::string(trim(*date_header));
    else if (const std::string* d = find_header(request, "date")) amz_date = amz_date_from_http_date(*d);

    std::string missing;
    if (!credential) missing += "Authorization header requires 'Credential' parameter. ";
    if (!signature) missing += "Authorization header requires 'Signature' parameter. ";
    if (!signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
    if (!date_header && !find_header(request, "date"))
      missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    if (!missing.empty()) incomplete(missing + context);

    SigV4Info info;
    parse_credential(*credential, info, algorithm, context);
    if (algorithm == kAlgorithmV4a) {
      if (const std::string* rs = find_header(request, "x-amz-region-set")) info.region = std::string(trim(*rs));
    }
    info.signed_headers = parse_signed_headers(*signed_headers);
    if (info.signed_headers.empty())
      incomplete("Authorization header requires 'SignedHeaders' parameter. " + context);
    info.signature = *signature;
    info.amz_date = amz_date;
    if (token_header) info.security_token = std::string(trim(*token_header));
    info.presigned = false;
    return info;
  }

  if (request.query.empty()) return std::nullopt;
  auto params = query_params(request.query);
  const std::string* algorithm = find_param(params, "X-Amz-Algorithm");
  const std::string* credential = find_param(params, "X-Amz-Credential");
  if (!algorithm && !credential) return std::nullopt;

  const std::string* date = find_param(params, "X-Amz-Date");
  const std::string* signed_headers = find_param(params, "X-Amz-SignedHeaders");
  const std::string* signature = find_param(params, "X-Amz-Signature");
  if (!algorithm || !credential || !date || !signed_headers || !signature) {
    std::string missing;
    for (auto [name, present] : {std::pair<const char*, bool>{"X-Amz-Algorithm", algorithm != nullptr},
                                 {"X-Amz-Credential", credential != nullptr},
                                 {"X-Amz-Signature", signature != nullptr},
                                 {"X-Amz-Date", date != nullptr},
                                 {"X-Amz-SignedHeaders", signed_headers != nullptr}}) {
      if (present) continue;
      if (!missing.empty()) missing += ", ";
      missing += name;
    }
    incomplete(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
        "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters. Missing: " + missing + ".");
  }
  if (*algorithm != kAlgorithm && *algorithm != kAlgorithmV4a)
    incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\" and \"AWS4-ECDSA-P256-SHA256\"");

  SigV4Info info;
  parse_credential(*credential, info, *algorithm, "X-Amz-Credential=" + *credential);
  if (*algorithm == kAlgorithmV4a) {
    if (const std::string* rs = find_param(params, "X-Amz-Region-Set")) info.region = *rs;
  }
  info.signed_headers = parse_signed_headers(*signed_headers);
  info.signature = *signature;
  info.amz_date = *date;
  if (const std::string* t = find_param(params, "X-Amz-Security-Token")) info.security_token = *t;
  else if (token_header) info.security_token = std::string(trim(*token_header));
  info.presigned = true;
  return info;
}

bool verify_sigv4(const HttpRequest& request, const SigV4Info& info, const std::string& secret_access_key) {
  // SigV4a signatures are ECDSA over a key derived from the secret; cloudbox does not verify them.
  if (info.presigned) {
    for (auto& [k, v] : query_params(request.query))
      if (k == "X-Amz-Algorithm" && v != kAlgorithm) return false;
  } else if (const std::string* auth = find_header(request, "authorization")) {
    if (trim(*auth).substr(0, kAlgorithm.size() + 1) != std::string(kAlgorithm) + " ") return false;
  }
  if (info.signature.size() != 64 || info.amz_date.empty()) return false;

  const std::string prefix = request.method + "\n" + canonical_uri(request, info.service) + "\n" +
                             canonical_query(request, info.presigned) + "\n" +
                             canonical_headers(request, info.signed_headers) + "\n" +
                             join_signed_headers(info.signed_headers) + "\n";

  // The payload hash: the x-amz-content-sha256 header when the client sent one; otherwise the body's hash.
  // Presigned URLs of S3 (and some SDKs' presigners) sign the literal UNSIGNED-PAYLOAD instead.
  std::vector<std::string> payload_hashes;
  if (const std::string* h = find_header(request, "x-amz-content-sha256")) {
    payload_hashes.emplace_back(trim(*h));
  } else {
    payload_hashes.push_back(sha256_hex(request.body));
    if (info.presigned) payload_hashes.emplace_back(kUnsignedPayload);
  }

  const std::string scope = info.date + "/" + info.region + "/" + info.service + "/aws4_request";
  const std::string key = signing_key(secret_access_key, info);
  const std::string provided = lower(info.signature);
  bool ok = false;
  for (const std::string& payload_hash : payload_hashes) {
    const std::string canonical_request = prefix + payload_hash;
    const std::string string_to_sign = std::string(kAlgorithm) + "\n" + info.amz_date + "\n" + scope + "\n" +
                                       sha256_hex(canonical_request);
    const std::string expected = hex_encode(hmac_sha256(key, string_to_sign));
    ok |= constant_time_equal(expected, provided);
  }
  return ok;
}

}  // namespace cloudbox

namespace cloudbox {

void sign_sigv4(HttpRequest& request, const std::string& access_key_id, const std::string& secret_access_key,
                const std::string& region, const std::string& service, const std::string& amz_date,
                const std::string& session_token) {
  request.headers.erase(std::remove_if(request.headers.begin(), request.headers.end(),
                                       [](const auto& h) { return h.first == "authorization" || h.first == "x-amz-date"; }),
                        request.headers.end());
  request.headers.emplace_back("x-amz-date", amz_date);
  if (!session_token.empty()) request.headers.emplace_back("x-amz-security-token", session_token);
  if (!find_header(request, "host")) request.headers.emplace_back("host", "127.0.0.1");
  SigV4Info info;
  info.access_key_id = access_key_id;
  info.date = amz_date.substr(0, 8);
  info.region = region;
  info.service = service;
  info.amz_date = amz_date;
  for (const auto& [k, v] : request.headers) info.signed_headers.push_back(lower(k));
  std::sort(info.signed_headers.begin(), info.signed_headers.end());
  info.signed_headers.erase(std::unique(info.signed_headers.begin(), info.signed_headers.end()), info.signed_headers.end());
  const std::string canonical_request = request.method + "\n" + canonical_uri(request, service) + "\n" +
                                        canonical_query(request, false) + "\n" +
                                        canonical_headers(request, info.signed_headers) + "\n" +
                                        join_signed_headers(info.signed_headers) + "\n" + sha256_hex(request.body);
  const std::string scope = info.date + "/" + region + "/" + service + "/aws4_request";
  const std::string string_to_sign =
      std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" + sha256_hex(canonical_request);
  const std::string signature = hex_encode(hmac_sha256(signing_key(secret_access_key, info), string_to_sign));
  request.headers.emplace_back("authorization", std::string(kAlgorithm) + " Credential=" + access_key_id + "/" + scope +
                                                    ", SignedHeaders=" + join_signed_headers(info.signed_headers) +
                                                    ", Signature=" + signature);
}

}  // namespace cloudbox
