#include "core/common/encoding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>
#include <initializer_list>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace cloudbox {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

std::string encode_b64(std::string_view in, bool url) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto ch = [&](int v) {
    char c = kB64[v];
    if (url && c == '+') c = '-';
    if (url && c == '/') c = '_';
    out.push_back(c);
  };
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    ch((n >> 18) & 63); ch((n >> 12) & 63); ch((n >> 6) & 63); ch(n & 63);
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    ch((n >> 18) & 63); ch((n >> 12) & 63);
    if (!url) out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    ch((n >> 18) & 63); ch((n >> 12) & 63); ch((n >> 6) & 63);
    if (!url) out += "=";
  }
  return out;
}

std::optional<std::string> decode_b64(std::string_view in, bool url) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64_value(c, url);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes) { return encode_b64(bytes, false); }
std::optional<std::string> base64_decode(std::string_view text) { return decode_b64(text, false); }
std::string base64url_encode(std::string_view bytes) { return encode_b64(bytes, true); }
std::optional<std::string> base64url_decode(std::string_view text) { return decode_b64(text, true); }

std::string hex_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

namespace {

// OpenSSL 3's one-shot SHA256() and HMAC() look the algorithm up on every call, which costs more than hashing a
// request; the algorithm is fetched once and each thread keeps a digest context.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? static_cast<const EVP_MD*>(fetched) : EVP_sha256();
  }();
  return md;
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

void sha256_parts(std::initializer_list<std::string_view> parts, unsigned char* out) {
  thread_local DigestContext d;
  unsigned int len = 0;
  EVP_DigestInit_ex(d.ctx, sha256_md(), nullptr);
  for (std::string_view p : parts) EVP_DigestUpdate(d.ctx, p.data(), p.size());
  EVP_DigestFinal_ex(d.ctx, out, &len);
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  sha256_parts({data}, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

// HMAC-SHA256 as RFC 2104 defines it: H((K ^ opad) || H((K ^ ipad) || data)), K padded to the 64-byte block.
std::string hmac_sha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = 64;
  unsigned char k[kBlock] = {};
  if (key.size() > kBlock) sha256_parts({key}, k);
  else std::memcpy(k, key.data(), key.size());
  char ipad[kBlock], opad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = char(k[i] ^ 0x36);
    opad[i] = char(k[i] ^ 0x5c);
  }
  unsigned char inner[SHA256_DIGEST_LENGTH];
  sha256_parts({std::string_view(ipad, kBlock), data}, inner);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  sha256_parts({std::string_view(opad, kBlock), std::string_view(reinterpret_cast<char*>(inner), sizeof inner)},
               reinterpret_cast<unsigned char*>(out.data()));
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return out;
}

std::string url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && hexval(text[i + 1]) >= 0 &&
               hexval(text[i + 2]) >= 0) {
      out.push_back(char(hexval(text[i + 1]) * 16 + hexval(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {
std::tm to_tm(TimePoint t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
}  // namespace

std::string iso8601(TimePoint t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  if (ms < 0) ms += 1000;
  std::tm tm = to_tm(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms));
  return buf;
}

std::string iso8601_seconds(TimePoint t) {
  std::tm tm = to_tm(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string http_date(TimePoint t) {
  std::tm tm = to_tm(t);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<TimePoint> parse_timestamp(std::string_view s) {
  // Epoch seconds (possibly fractional).
  if (!s.empty() && s.find_first_not_of("0123456789.") == std::string_view::npos) {
    try {
      return from_epoch(std::stod(std::string(s)));
    } catch (...) {
      return std::nullopt;
    }
  }
  int y, mo, d, h = 0, mi = 0;
  double sec = 0;
  std::string str(s);
  int consumed = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3) return std::nullopt;
  size_t pos = size_t(consumed);
  int offset_minutes = 0;
  if (pos < str.size()) {
    if (str[pos] != 'T' && str[pos] != 't' && str[pos] != ' ') return std::nullopt;
    ++pos;
    int n = 0;
    if (std::sscanf(str.c_str() + pos, "%2d:%2d%n", &h, &mi, &n) != 2) return std::nullopt;
    pos += size_t(n);
    if (pos < str.size() && str[pos] == ':') {
      ++pos;
      size_t end = pos;
      while (end < str.size() && (std::isdigit(static_cast<unsigned char>(str[end])) || str[end] == '.')) ++end;
      if (end == pos) return std::nullopt;
      sec = std::stod(str.substr(pos, end - pos));
      pos = end;
    }
    if (pos < str.size()) {
      char z = str[pos];
      if (z == 'Z' || z == 'z') {
        ++pos;
      } else if (z == '+' || z == '-') {
        int oh = 0, om = 0, m = 0;
        if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &m) == 2) {
          pos += 1 + size_t(m);
        } else if (std::sscanf(str.c_str() + pos + 1, "%2d%2d%n", &oh, &om, &m) == 2) {
          pos += 1 + size_t(m);
        } else {
          return std::nullopt;
        }
        offset_minutes = (oh * 60 + om) * (z == '+' ? 1 : -1);
      }
    }
    if (pos != str.size()) return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec >= 61) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = 0;
  std::time_t tt = timegm(&tm);
  auto tp = Clock::from_time_t(tt) + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(sec));
  return tp - std::chrono::minutes(offset_minutes);
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
    if (extra == 9 || i + extra >= s.size() + (extra == 0 ? 1 : 0)) return false;
    for (size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace cloudbox
