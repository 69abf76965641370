// Unit tests for the EC2 engines: CIDR/IP math, the filter engine, pagination.
#include <gtest/gtest.h>

#include "services/ec2/cidr.h"
#include "services/ec2/filters.h"

using namespace cloudbox;
using namespace cloudbox::ec2;

TEST(Ec2Cidr, ParsesIpv4Strictly) {
  EXPECT_EQ(parse_ipv4("10.0.0.1").value(), 0x0A000001u);
  EXPECT_EQ(parse_ipv4("255.255.255.255").value(), 0xFFFFFFFFu);
  EXPECT_FALSE(parse_ipv4("256.0.0.1"));
  EXPECT_FALSE(parse_ipv4("10.0.0"));
  EXPECT_FALSE(parse_ipv4("10.0.0.1.2"));
  EXPECT_FALSE(parse_ipv4("10.00.0.1"));
  EXPECT_FALSE(parse_ipv4("a.b.c.d"));
  EXPECT_FALSE(parse_ipv4(""));
  EXPECT_EQ(ipv4_str(0xC0A80101), "192.168.1.1");
}

TEST(Ec2Cidr, Ipv4Blocks) {
  auto vpc = Ipv4Cidr::parse("10.0.0.0/16").value();
  EXPECT_EQ(vpc.size(), 65536u);
  EXPECT_TRUE(vpc.canonical());
  EXPECT_EQ(vpc.str(), "10.0.0.0/16");
  auto sub = Ipv4Cidr::parse("10.0.1.0/24").value();
  EXPECT_TRUE(vpc.contains(sub));
  EXPECT_FALSE(sub.contains(vpc));
  EXPECT_TRUE(vpc.overlaps(sub));
  EXPECT_TRUE(sub.overlaps(vpc));
  EXPECT_FALSE(sub.overlaps(Ipv4Cidr::parse("10.0.2.0/24").value()));
  EXPECT_TRUE(sub.overlaps(Ipv4Cidr::parse("10.0.1.128/25").value()));
  auto odd = Ipv4Cidr::parse("10.0.1.5/24").value();
  EXPECT_FALSE(odd.canonical());
  EXPECT_EQ(odd.str(), "10.0.1.0/24");
  EXPECT_EQ(ipv4_str(sub.last()), "10.0.1.255");
  EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.0/33"));
  EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.0"));
  EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.0/"));
  EXPECT_EQ(Ipv4Cidr::parse("0.0.0.0/0").value().size(), uint64_t(1) << 32);
  EXPECT_TRUE(Ipv4Cidr::parse("0.0.0.0/0").value().contains(sub));
  EXPECT_TRUE(is_rfc1918(vpc));
  EXPECT_TRUE(is_rfc1918(Ipv4Cidr::parse("172.31.0.0/16").value()));
  EXPECT_FALSE(is_rfc1918(Ipv4Cidr::parse("8.8.0.0/16").value()));
}

TEST(Ec2Cidr, Ipv6) {
  auto a = parse_ipv6("2600:1f14:abc:de00::").value();
  EXPECT_EQ(ipv6_str(a), "2600:1f14:abc:de00::");
  EXPECT_EQ(ipv6_str(parse_ipv6("::").value()), "::");
  EXPECT_EQ(ipv6_str(parse_ipv6("::1").value()), "::1");
  EXPECT_EQ(ipv6_str(parse_ipv6("2001:DB8:0:0:1:0:0:1").value()), "2001:db8::1:0:0:1");
  EXPECT_FALSE(parse_ipv6("1:::2"));
  EXPECT_FALSE(parse_ipv6("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(parse_ipv6("12345::"));
  auto vpc = Ipv6Cidr::parse("2600:1f14:abc:de00::/56").value();
  auto sub = Ipv6Cidr::parse("2600:1f14:abc:de01::/64").value();
  EXPECT_TRUE(vpc.contains(sub));
  EXPECT_FALSE(vpc.contains(Ipv6Cidr::parse("2600:1f14:abc:df00::/64").value()));
  EXPECT_TRUE(Ipv6Cidr::parse("::/0").value().contains(sub));
  EXPECT_EQ(Ipv6Cidr::parse("2600:1f14:abc:de01::5/56").value().str(), "2600:1f14:abc:de00::/56");
}

TEST(Ec2Filters, Wildcards) {
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("web-*", "web-1"));
  EXPECT_FALSE(wildcard_match("web-*", "db-1"));
  EXPECT_TRUE(wildcard_match("w?b", "web"));
  EXPECT_FALSE(wildcard_match("w?b", "weeb"));
  EXPECT_TRUE(wildcard_match("*-prod-*", "app-prod-7"));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(wildcard_match("a\\*b", "a*b"));
  EXPECT_FALSE(wildcard_match("a\\*b", "aXb"));
  EXPECT_TRUE(wildcard_match("exact", "exact"));
  EXPECT_FALSE(wildcard_match("exact", "exactly"));
}

namespace {
FilterTable vpc_table() {
  return {{"vpc-id", by_path("VpcId")},
          {"cidr-block-association.cidr-block", by_path("CidrBlockAssociationSet.CidrBlock")},
          {"is-default", by_path("IsDefault")}};
}
Json filters(std::initializer_list<std::pair<const char*, std::vector<std::string>>> fs) {
  Json out = Json::array();
  for (const auto& [n, vs] : fs) out.push_back({{"Name", n}, {"Values", vs}});
  return {{"Filters", out}};
}
}  // namespace

TEST(Ec2Filters, FieldsTagsAndOrSemantics) {
  Json vpc = {{"VpcId", "vpc-1"},
              {"IsDefault", false},
              {"CidrBlockAssociationSet", {{{"CidrBlock", "10.0.0.0/16"}}, {{"CidrBlock", "10.1.0.0/16"}}}}};
  TagMap tags = {{"Name", "main-vpc"}, {"env", "prod"}};
  auto t = vpc_table();
  auto run = [&](const Json& in) {
    auto f = read_filters(in);
    check_filters(f, t);
    return matches(f, t, vpc, tags);
  };
  EXPECT_TRUE(run(filters({{"vpc-id", {"vpc-1"}}})));
  EXPECT_TRUE(run(filters({{"vpc-id", {"vpc-2", "vpc-1"}}})));                       // OR
  EXPECT_FALSE(run(filters({{"vpc-id", {"vpc-1"}}, {"is-default", {"true"}}})));     // AND
  EXPECT_TRUE(run(filters({{"vpc-id", {"vpc-1"}}, {"is-default", {"false"}}})));
  EXPECT_TRUE(run(filters({{"cidr-block-association.cidr-block", {"10.1.*"}}})));  // any element of a list
  EXPECT_TRUE(run(filters({{"tag:Name", {"main-*"}}})));
  EXPECT_FALSE(run(filters({{"tag:Name", {"other"}}})));
  EXPECT_FALSE(run(filters({{"tag:missing", {"*"}}})));
  EXPECT_TRUE(run(filters({{"tag-key", {"env"}}})));
  EXPECT_FALSE(run(filters({{"tag-key", {"owner"}}})));
  EXPECT_TRUE(run(filters({{"tag-value", {"prod"}}})));
  EXPECT_TRUE(run(Json::object()));
}

TEST(Ec2Filters, UnknownFilterNameIsRefused) {
  auto t = vpc_table();
  auto f = read_filters(filters({{"subnet-id", {"x"}}}));
  try {
    check_filters(f, t);
    FAIL() << "expected an error";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code, "InvalidParameterValue");
    EXPECT_STREQ(e.what(), "The filter 'subnet-id' is invalid");
    EXPECT_EQ(e.http_status, 400);
  }
}

TEST(Ec2Filters, PaginationWalksAllItemsOnce) {
  std::vector<std::string> items;
  for (int i = 0; i < 23; ++i) items.push_back("id-" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  Json in = {{"MaxResults", 5}, {"Filters", Json::array()}};
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    Json req = in;
    if (!token.empty()) req["NextToken"] = token;
    auto page = page_request(req);
    auto [got, next] = paginate_ec2(items, page, [](const std::string& s) { return s; });
    seen.insert(seen.end(), got.begin(), got.end());
    token = next;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 5);
  EXPECT_EQ(seen, items);
  // No MaxResults: everything at once.
  auto all = paginate_ec2(items, page_request(Json::object()), [](const std::string& s) { return s; });
  EXPECT_EQ(all.first.size(), 23u);
  EXPECT_TRUE(all.second.empty());
  // A token used with other parameters is refused.
  auto first = paginate_ec2(items, page_request(in), [](const std::string& s) { return s; });
  Json other = {{"MaxResults", 5}, {"NextToken", first.second}, {"Filters", filters({{"vpc-id", {"x"}}})["Filters"]}};
  EXPECT_THROW(paginate_ec2(items, page_request(other), [](const std::string& s) { return s; }), AwsError);
  Json garbage = {{"MaxResults", 5}, {"NextToken", "garbage"}};
  EXPECT_THROW(paginate_ec2(items, page_request(garbage), [](const std::string& s) { return s; }), AwsError);
}
