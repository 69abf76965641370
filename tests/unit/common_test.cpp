// Shared engines: encodings, IDs, ARNs, pagination tokens, tags, the clock.
#include <gtest/gtest.h>

#include <regex>

#include "core/common/arn.h"
#include "core/common/clock.h"
#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/pagination.h"
#include "core/common/tags.h"

namespace cloudbox {
namespace {

TEST(Encoding, Base64RoundTripAndStrictness) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x7f", 3)}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("a$==").has_value());
  EXPECT_FALSE(base64_decode("a").has_value());
}

TEST(Encoding, UrlDecodingAndSigV4Encoding) {
  EXPECT_EQ(url_decode("a+b%2Fc%3d"), "a b/c=");
  EXPECT_EQ(url_decode("a+b", false), "a+b");
  EXPECT_EQ(url_decode("100%"), "100%");
  EXPECT_EQ(uri_encode("a b/c~"), "a%20b%2Fc~");
  EXPECT_EQ(uri_encode("a/b", false), "a/b");
}

TEST(Encoding, Timestamps) {
  auto t = parse_timestamp("2024-02-29T23:59:58.250Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(iso8601(*t), "2024-02-29T23:59:58.250Z");
  EXPECT_EQ(iso8601_seconds(*t), "2024-02-29T23:59:58Z");
  EXPECT_EQ(http_date(*t), "Thu, 29 Feb 2024 23:59:58 GMT");
  auto off = parse_timestamp("2024-03-01T01:00:00+02:00");
  ASSERT_TRUE(off);
  EXPECT_EQ(iso8601_seconds(*off), "2024-02-29T23:00:00Z");
  EXPECT_EQ(iso8601_seconds(*parse_timestamp("1700000000")), "2023-11-14T22:13:20Z");
  EXPECT_EQ(iso8601_seconds(*parse_timestamp("2024-01-02")), "2024-01-02T00:00:00Z");
  EXPECT_FALSE(parse_timestamp("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2024-01-01T00:00:00Zjunk"));
}

TEST(Encoding, Utf8) {
  EXPECT_EQ(utf8_length("h\xc3\xa9llo"), 5u);
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Ids, Formats) {
  EXPECT_TRUE(std::regex_match(uuid4(), std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_TRUE(std::regex_match(random_hex(17), std::regex("[0-9a-f]{17}")));
  EXPECT_EQ(make_secret_access_key().size(), 40u);
  EXPECT_TRUE(std::regex_match(make_unique_id("AIDA"), std::regex("AIDA[A-Z2-7]{17}")));
  EXPECT_NE(uuid4(), uuid4());
}

TEST(Ids, AccessKeysEncodeTheirAccount) {
  for (const char* account : {"000000000000", "123456789012", "999999999999", "000000000001"}) {
    std::string key = make_access_key_id("ASIA", account);
    EXPECT_EQ(key.size(), 20u);
    EXPECT_EQ(key.substr(0, 4), "ASIA");
    EXPECT_EQ(account_from_access_key_id(key), std::string(account)) << key;
  }
  // A real AWS key from AWS's documentation decodes to its documented account.
  EXPECT_EQ(account_from_access_key_id("ASIAY34FZKBOKMUTVV7A"), std::string("609629065308"));
  EXPECT_FALSE(account_from_access_key_id("short"));
  EXPECT_TRUE(is_account_id("123456789012"));
  EXPECT_FALSE(is_account_id("12345678901a"));
}

TEST(Ids, RandomBelowIsInRange) {
  for (int i = 0; i < 1000; ++i) EXPECT_LT(random_below(7), 7u);
}

TEST(Arn, ParseAndFormat) {
  auto a = Arn::parse("arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->service, "secretsmanager");
  EXPECT_EQ(a->region, "us-east-1");
  EXPECT_EQ(a->account, "000000000000");
  EXPECT_EQ(a->resource, "secret:app/db-AbCdEf");
  EXPECT_EQ(a->str(), "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf");
  auto role = Arn::parse("arn:aws:iam::123456789012:role/path/r");
  ASSERT_TRUE(role);
  EXPECT_EQ(role->region, "");
  EXPECT_EQ(role->resource, "role/path/r");
  EXPECT_FALSE(Arn::parse("arn:aws:iam"));
  EXPECT_FALSE(Arn::parse("not-an-arn"));
  EXPECT_EQ(make_arn("scheduler", "us-east-1", "1", "schedule/default/x"), "arn:aws:scheduler:us-east-1:1:schedule/default/x");
}

TEST(Pagination, PagesAreStableAndTokensBound) {
  std::vector<std::string> items;
  for (int i = 0; i < 25; ++i) items.push_back("item" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  std::string binding = bind_token({{"Filters", "x"}});
  PageRequest req{std::nullopt, 10, binding};
  auto key = [](const std::string& s) { return s; };
  std::vector<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto [page, next] = paginate(items, req, key, "InvalidNextTokenException", "bad");
    seen.insert(seen.end(), page.begin(), page.end());
    if (next.empty()) break;
    req.token = next;
  }
  EXPECT_EQ(seen, items);
  PageRequest other{make_page_token("item05", binding), 10, bind_token({{"Filters", "y"}})};
  try {
    paginate(items, other, key, "InvalidNextTokenException", "bad");
    FAIL() << "a token bound to other parameters must be refused";
  } catch (const AwsError& e) {
    EXPECT_EQ(e.code, "InvalidNextTokenException");
  }
  PageRequest garbage{std::string("!!!"), 10, binding};
  EXPECT_THROW(paginate(items, garbage, key, "InvalidNextTokenException", "bad"), AwsError);
}

// Items that are not in key order (AWS's order of a managed prefix list's entries) still page through once each,
// instead of resuming at the first larger key forever (found by the conformance harness).
TEST(Pagination, ItemsOutOfKeyOrderPageThroughOnce) {
  std::vector<std::string> items = {"pl-63a5400a", "pl-02cd2c6b", "pl-4ea04527", "52.94.0.0/22", "3.5.0.0/19"};
  PageRequest req{std::nullopt, 1, bind_token({{"op", "x"}})};
  auto key = [](const std::string& s) { return s; };
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto [page, next] = paginate(items, req, key, "InvalidPaginationToken", "bad");
    seen.insert(seen.end(), page.begin(), page.end());
    if (next.empty()) break;
    req.token = next;
  }
  EXPECT_EQ(seen, items);
}

TEST(Tags, LimitsAndReservedPrefix) {
  Json ok = Json::array({{{"Key", "env"}, {"Value", "dev"}}});
  EXPECT_EQ(parse_tag_list(ok, "InvalidParameterException").at("env"), "dev");
  EXPECT_THROW(parse_tag_list(Json::array({{{"Key", "aws:x"}, {"Value", "1"}}}), "E"), AwsError);
  EXPECT_THROW(parse_tag_list(Json::array({{{"Key", std::string(129, 'k')}, {"Value", "1"}}}), "E"), AwsError);
  Json many = Json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"Key", "k" + std::to_string(i)}, {"Value", ""}});
  EXPECT_THROW(parse_tag_list(many, "E"), AwsError);
  EXPECT_EQ(tag_list_json({{"a", "1"}}), Json::array({{{"Key", "a"}, {"Value", "1"}}}));
}

TEST(ServerClockTest, MovesForwardOnly) {
  ServerClock clock;
  auto before = clock.now();
  clock.advance(std::chrono::hours(24));
  EXPECT_GE(clock.now() - before, std::chrono::hours(24));
  EXPECT_FALSE(clock.set(before));
  EXPECT_TRUE(clock.set(clock.now() + std::chrono::hours(1)));
  int calls = 0;
  clock.on_change([&] { ++calls; });
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace cloudbox
