#include "core/common/ids.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include <cctype>
#include <stdexcept>

namespace cloudbox {
namespace {
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}

namespace {
// Small draws come from a per-thread buffer of CSPRNG output, refilled 4 KiB at a time: one OpenSSL call
// (and its lock) per 4 KiB instead of one per identifier character. Bytes are handed out once and wiped.
struct RandomPool {
  unsigned char buf[4096];
  size_t pos = sizeof buf;
  ~RandomPool() { OPENSSL_cleanse(buf, sizeof buf); }
};
thread_local RandomPool t_pool;

void fill_random(void* out, size_t n) {
  if (n > 256) {
    if (RAND_bytes(static_cast<unsigned char*>(out), int(n)) != 1) throw std::runtime_error("RAND_bytes failed");
    return;
  }
  if (t_pool.pos + n > sizeof t_pool.buf) {
    if (RAND_bytes(t_pool.buf, sizeof t_pool.buf) != 1) throw std::runtime_error("RAND_bytes failed");
    t_pool.pos = 0;
  }
  std::memcpy(out, t_pool.buf + t_pool.pos, n);
  OPENSSL_cleanse(t_pool.buf + t_pool.pos, n);
  t_pool.pos += n;
}
}  // namespace

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n) fill_random(out.data(), n);
  return out;
}

uint64_t random_u64() {
  uint64_t v;
  fill_random(&v, sizeof v);
  return v;
}

uint64_t random_below(uint64_t bound) {
  if (bound <= 1) return 0;
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // reject the tail so every value is equally likely
  for (;;) {
    uint64_t v = random_u64();
    if (v < limit) return v % bound;
  }
}

std::string random_from(std::string_view alphabet, size_t chars) {
  std::string out;
  out.reserve(chars);
  for (size_t i = 0; i < chars; ++i) out.push_back(alphabet[random_below(alphabet.size())]);
  return out;
}

std::string random_hex(size_t chars) { return random_from("0123456789abcdef", chars); }

std::string random_alnum(size_t chars) {
  return random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", chars);
}

std::string uuid4() {
  std::string b = random_bytes(16);
  b[6] = char((b[6] & 0x0f) | 0x40);
  b[8] = char((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[(unsigned char)b[i] >> 4]);
    out.push_back(kHex[(unsigned char)b[i] & 15]);
  }
  return out;
}

std::string request_id() { return uuid4(); }

// Layout (as observed in real keys): base32 of 10 bytes; bytes 0..5 hold (account << 7) | random bits.
std::string make_access_key_id(std::string_view prefix, std::string_view account_id) {
  uint64_t account = 0;
  for (char c : account_id) account = account * 10 + uint64_t(c - '0');
  std::string raw = random_bytes(10);
  uint64_t head = (account << 7) | (uint64_t(uint8_t(raw[5])) & 0x7f);
  head &= 0x7fffffffffffULL;  // top bit clear
  for (int i = 0; i < 6; ++i) raw[size_t(i)] = char((head >> (8 * (5 - i))) & 0xff);
  std::string out(prefix);
  uint64_t buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32[(buffer >> bits) & 31]);
    }
  }
  return out;
}

std::optional<std::string> account_from_access_key_id(std::string_view key) {
  if (key.size() != 20) return std::nullopt;
  std::string_view body = key.substr(4);
  uint64_t buffer = 0;
  int bits = 0;
  std::string raw;
  for (char c : body) {
    const char* p = nullptr;
    for (const char* q = kBase32; *q; ++q)
      if (*q == c) p = q;
    if (!p) return std::nullopt;
    buffer = (buffer << 5) | uint64_t(p - kBase32);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      raw.push_back(char((buffer >> bits) & 0xff));
    }
  }
  if (raw.size() < 6) return std::nullopt;
  uint64_t head = 0;
  for (int i = 0; i < 6; ++i) head = (head << 8) | uint8_t(raw[size_t(i)]);
  uint64_t account = (head & 0x7fffffffff80ULL) >> 7;
  std::string s = std::to_string(account);
  if (s.size() > 12) return std::nullopt;
  return std::string(12 - s.size(), '0') + s;
}

std::string make_secret_access_key() {
  return random_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}

std::string make_unique_id(std::string_view prefix) { return std::string(prefix) + random_from(kBase32, 17); }

bool is_account_id(std::string_view s) {
  if (s.size() != 12) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace cloudbox
