#pragma once
// Durable state: every service writes its records through here. Records are JSON documents, sealed with
// AES-256-GCM and kept in SQLite (WAL) under the state dir; a write that returned has been committed, so
// it survives kill -9. In ephemeral mode nothing is written and nothing is loaded.
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/common/json.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cloudbox {

class Sealer;

class Store {
 public:
  // An empty `state_dir` makes an ephemeral store.
  explicit Store(const std::string& state_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  bool ephemeral() const { return db_ == nullptr; }

  // Several writes that land together or not at all.
  struct Batch {
    struct Op {
      std::string ns, key;
      std::optional<Json> value;  // nullopt: erase
    };
    std::vector<Op> ops;
    void put(std::string ns, std::string key, Json value) { ops.push_back({std::move(ns), std::move(key), std::move(value)}); }
    void erase(std::string ns, std::string key) { ops.push_back({std::move(ns), std::move(key), std::nullopt}); }
  };

  void put(const std::string& ns, const std::string& key, const Json& value);
  void erase(const std::string& ns, const std::string& key);
  void commit(const Batch& batch);
  // All records of a namespace, in key order.
  std::vector<std::pair<std::string, Json>> load(const std::string& ns);
  // Wipes everything (POST /_cloudbox/reset).
  void clear();

  // Small unsealed settings of the server itself (e.g. the clock offset).
  std::optional<std::string> get_meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);

 private:
  void exec(const char* sql);
  void write_op(const Batch::Op& op);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_stmt_ = nullptr;
  sqlite3_stmt* erase_stmt_ = nullptr;
  std::unique_ptr<Sealer> sealer_;
  std::mutex mu_;
};

}  // namespace cloudbox
