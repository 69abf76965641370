// Durable state: sealed records survive reopening, and nothing is stored in the clear.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include "core/common/ids.h"
#include "core/store/crypto.h"
#include "core/store/store.h"

namespace cloudbox {
namespace {

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("cloudbox-store-" + random_hex(8));
  return dir.string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(Sealer, RoundTripAndTamperDetection) {
  Sealer s(random_bytes(32));
  std::string sealed = s.seal("top secret", "ns\0key");
  EXPECT_EQ(sealed.find("top secret"), std::string::npos);
  EXPECT_EQ(s.open(sealed, "ns\0key"), std::string("top secret"));
  EXPECT_FALSE(s.open(sealed, "other"));
  sealed[14] ^= 1;
  EXPECT_FALSE(s.open(sealed, "ns\0key"));
  EXPECT_FALSE(s.open("short", ""));
}

TEST(StoreTest, PersistsAcrossReopenAndSealsValues) {
  std::string dir = temp_dir();
  std::string binary("\x00\x01\xfe\xff", 4);
  {
    Store store(dir);
    store.put("svc", "a", {{"value", "hunter2-plaintext-marker"}, {"bin", binary}});
    store.put("svc", "b", {{"n", 1}});
    Store::Batch batch;
    batch.put("svc", "c", {{"n", 3}});
    batch.erase("svc", "b");
    store.commit(batch);
    store.set_meta("clock", "42");
  }
  {
    Store store(dir);
    auto records = store.load("svc");
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[0].first, "a");
    EXPECT_EQ(records[0].second["value"], "hunter2-plaintext-marker");
    EXPECT_EQ(records[0].second["bin"].get<std::string>(), binary);
    EXPECT_EQ(records[1].first, "c");
    EXPECT_EQ(store.get_meta("clock"), std::string("42"));
    EXPECT_TRUE(store.load("other").empty());
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_EQ(slurp(entry.path()).find("hunter2-plaintext-marker"), std::string::npos) << entry.path();
  struct stat st {};
  ASSERT_EQ(stat((dir + "/master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::filesystem::remove_all(dir);
}

TEST(StoreTest, ClearAndEphemeral) {
  std::string dir = temp_dir();
  {
    Store store(dir);
    store.put("svc", "a", {{"n", 1}});
    store.clear();
    EXPECT_TRUE(store.load("svc").empty());
  }
  std::filesystem::remove_all(dir);
  Store mem("");
  EXPECT_TRUE(mem.ephemeral());
  mem.put("svc", "a", {{"n", 1}});
  EXPECT_TRUE(mem.load("svc").empty());
}

}  // namespace
}  // namespace cloudbox
