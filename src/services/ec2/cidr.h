#pragma once
// IPv4/IPv6 addresses and CIDR blocks: parsing in AWS's strict form, containment, overlap, sizes, and
// address allocation inside a block. Used for VPC/subnet address management and rule validation.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cloudbox::ec2 {

std::optional<uint32_t> parse_ipv4(std::string_view text);  // dotted quad, no leading zeros beyond "0"
std::string ipv4_str(uint32_t addr);

struct Ipv4Cidr {
  uint32_t addr = 0;  // as written (may have host bits set; see canonical())
  int prefix = 0;

  // "a.b.c.d/n", 0 <= n <= 32. nullopt when malformed.
  static std::optional<Ipv4Cidr> parse(std::string_view text);
  uint32_t mask() const { return prefix == 0 ? 0u : ~uint32_t(0) << (32 - prefix); }
  uint32_t network() const { return addr & mask(); }
  uint32_t last() const { return network() | ~mask(); }
  uint64_t size() const { return uint64_t(1) << (32 - prefix); }
  bool canonical() const { return addr == network(); }
  bool contains(uint32_t ip) const { return (ip & mask()) == network(); }
  bool contains(const Ipv4Cidr& other) const { return other.prefix >= prefix && contains(other.network()); }
  bool overlaps(const Ipv4Cidr& other) const { return contains(other.network()) || other.contains(network()); }
  std::string str() const;  // network form: "10.0.0.0/16"
};

struct Ipv6Addr {
  std::array<uint8_t, 16> b{};
  bool operator==(const Ipv6Addr&) const = default;
};
std::optional<Ipv6Addr> parse_ipv6(std::string_view text);
std::string ipv6_str(const Ipv6Addr& a);  // RFC 5952 (lower case, longest zero run compressed)

struct Ipv6Cidr {
  Ipv6Addr addr;
  int prefix = 0;
  static std::optional<Ipv6Cidr> parse(std::string_view text);
  Ipv6Addr network() const;
  bool canonical() const { return addr == network(); }
  bool contains(const Ipv6Cidr& other) const;
  bool overlaps(const Ipv6Cidr& other) const { return contains(other) || other.contains(*this); }
  std::string str() const;
};

// Private (RFC 1918) ranges, and the 100.64.0.0/10 and 198.19.0.0/16 ranges AWS also allows for VPCs.
bool is_rfc1918(const Ipv4Cidr& c);

}  // namespace cloudbox::ec2
