#include "services/ec2/cidr.h"

#include <cctype>
#include <cstdio>
#include <vector>

namespace cloudbox::ec2 {

namespace {
std::optional<int> parse_prefix(std::string_view s, int max) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  if (v > max) return std::nullopt;
  return v;
}
}  // namespace

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    size_t start = i;
    unsigned v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      v = v * 10 + unsigned(text[i] - '0');
      if (v > 255 || i - start >= 3) return std::nullopt;
      ++i;
    }
    if (i - start > 1 && text[start] == '0') return std::nullopt;
    out = (out << 8) | v;
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return out;
}

std::string ipv4_str(uint32_t a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ipv4(text.substr(0, slash));
  auto p = parse_prefix(text.substr(slash + 1), 32);
  if (!ip || !p) return std::nullopt;
  return Ipv4Cidr{*ip, *p};
}

std::string Ipv4Cidr::str() const { return ipv4_str(network()) + "/" + std::to_string(prefix); }

std::optional<Ipv6Addr> parse_ipv6(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  std::vector<uint16_t> head, tail;
  bool seen_gap = false;
  size_t i = 0;
  if (text.substr(0, 2) == "::") {
    seen_gap = true;
    i = 2;
  } else if (text[0] == ':') {
    return std::nullopt;
  }
  while (i < text.size()) {
    size_t start = i;
    unsigned v = 0;
    while (i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]))) {
      char c = char(std::tolower(static_cast<unsigned char>(text[i])));
      v = v * 16 + unsigned(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || len > 4) return std::nullopt;
    (seen_gap ? tail : head).push_back(uint16_t(v));
    if (i == text.size()) break;
    if (text[i] != ':') return std::nullopt;
    ++i;
    if (i < text.size() && text[i] == ':') {
      if (seen_gap) return std::nullopt;
      seen_gap = true;
      ++i;
    } else if (i == text.size()) {
      return std::nullopt;  // trailing single colon
    }
  }
  size_t n = head.size() + tail.size();
  if (seen_gap ? n > 7 : n != 8) return std::nullopt;
  std::vector<uint16_t> words = head;
  words.resize(8 - tail.size(), 0);
  words.insert(words.end(), tail.begin(), tail.end());
  Ipv6Addr a;
  for (int k = 0; k < 8; ++k) {
    a.b[2 * k] = uint8_t(words[k] >> 8);
    a.b[2 * k + 1] = uint8_t(words[k] & 255);
  }
  return a;
}

std::string ipv6_str(const Ipv6Addr& a) {
  uint16_t w[8];
  for (int k = 0; k < 8; ++k) w[k] = uint16_t(a.b[2 * k] << 8 | a.b[2 * k + 1]);
  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (w[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && w[j] == 0) ++j;
    if (j - k > best_len && j - k >= 2) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  std::string out;
  char buf[8];
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", w[k]);
    out += buf;
  }
  return out;
}

std::optional<Ipv6Cidr> Ipv6Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ipv6(text.substr(0, slash));
  auto p = parse_prefix(text.substr(slash + 1), 128);
  if (!ip || !p) return std::nullopt;
  return Ipv6Cidr{*ip, *p};
}

Ipv6Addr Ipv6Cidr::network() const {
  Ipv6Addr n = addr;
  for (int i = 0; i < 16; ++i) {
    int bits = prefix - i * 8;
    if (bits >= 8) continue;
    if (bits <= 0) n.b[i] = 0;
    else n.b[i] &= uint8_t(0xff << (8 - bits));
  }
  return n;
}

bool Ipv6Cidr::contains(const Ipv6Cidr& other) const {
  if (other.prefix < prefix) return false;
  Ipv6Cidr probe{other.addr, prefix};
  return probe.network() == network();
}

std::string Ipv6Cidr::str() const { return ipv6_str(network()) + "/" + std::to_string(prefix); }

bool is_rfc1918(const Ipv4Cidr& c) {
  static const Ipv4Cidr ranges[] = {{0x0A000000, 8}, {0xAC100000, 12}, {0xC0A80000, 16}, {0x64400000, 10}, {0xC6130000, 16}};
  for (const auto& r : ranges)
    if (r.contains(c)) return true;
  return false;
}

}  // namespace cloudbox::ec2
