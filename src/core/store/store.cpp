#include "core/store/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>

#include "core/store/crypto.h"

namespace cloudbox {
namespace {

std::string aad_of(const std::string& ns, const std::string& key) { return ns + '\0' + key; }

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

Store::Store(const std::string& state_dir) {
  if (state_dir.empty()) return;
  std::filesystem::create_directories(state_dir);
  ::chmod(state_dir.c_str(), 0700);
  sealer_ = std::make_unique<Sealer>(Sealer::from_key_file(state_dir + "/master.key"));
  std::string path = state_dir + "/state.db";
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + path);
  ::chmod(path.c_str(), 0600);
  // WAL with synchronous=NORMAL: a committed transaction survives a crash of this process (kill -9);
  // only an OS crash can lose the last transactions.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("CREATE TABLE IF NOT EXISTS records (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
       "PRIMARY KEY (ns, key)) WITHOUT ROWID");
  exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  if (sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO records (ns, key, value) VALUES (?, ?, ?)", -1, &put_stmt_,
                         nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "DELETE FROM records WHERE ns = ? AND key = ?", -1, &erase_stmt_, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
}

Store::~Store() {
  sqlite3_finalize(put_stmt_);
  sqlite3_finalize(erase_stmt_);
  if (db_) sqlite3_close(db_);
}

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg);
  }
}

void Store::write_op(const Batch::Op& op) {
  sqlite3_stmt* s = op.value ? put_stmt_ : erase_stmt_;
  sqlite3_reset(s);
  sqlite3_bind_text(s, 1, op.ns.data(), int(op.ns.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, op.key.data(), int(op.key.size()), SQLITE_TRANSIENT);
  std::string sealed;
  if (op.value) {
    // MessagePack keeps raw bytes (binary secrets) intact, which JSON text would not.
    auto packed = Json::to_msgpack(*op.value);
    sealed = sealer_->seal(std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()),
                           aad_of(op.ns, op.key));
    sqlite3_bind_blob(s, 3, sealed.data(), int(sealed.size()), SQLITE_TRANSIENT);
  }
  if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("sqlite write: ") + sqlite3_errmsg(db_));
}

void Store::put(const std::string& ns, const std::string& key, const Json& value) {
  Batch b;
  b.put(ns, key, value);
  commit(b);
}

void Store::erase(const std::string& ns, const std::string& key) {
  Batch b;
  b.erase(ns, key);
  commit(b);
}

void Store::commit(const Batch& batch) {
  if (!db_ || batch.ops.empty()) return;
  std::lock_guard lock(mu_);
  if (batch.ops.size() == 1) {
    write_op(batch.ops[0]);
    return;
  }
  exec("BEGIN IMMEDIATE");
  try {
    for (const auto& op : batch.ops) write_op(op);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<std::pair<std::string, Json>> Store::load(const std::string& ns) {
  std::vector<std::pair<std::string, Json>> out;
  if (!db_) return out;
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT key, value FROM records WHERE ns = ? ORDER BY key");
  sqlite3_bind_text(q.s, 1, ns.data(), int(ns.size()), SQLITE_TRANSIENT);
  while (sqlite3_step(q.s) == SQLITE_ROW) {
    std::string key(reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0)));
    std::string_view blob(static_cast<const char*>(sqlite3_column_blob(q.s, 1)), size_t(sqlite3_column_bytes(q.s, 1)));
    auto plain = sealer_->open(blob, aad_of(ns, key));
    if (!plain) throw std::runtime_error("state record " + ns + "/" + key + " cannot be decrypted (wrong master.key?)");
    out.emplace_back(std::move(key), Json::from_msgpack(*plain));
  }
  return out;
}

void Store::clear() {
  if (!db_) return;
  std::lock_guard lock(mu_);
  exec("DELETE FROM records");
  exec("DELETE FROM meta");
}

std::optional<std::string> Store::get_meta(const std::string& key) {
  if (!db_) return std::nullopt;
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT value FROM meta WHERE key = ?");
  sqlite3_bind_text(q.s, 1, key.data(), int(key.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(q.s) == SQLITE_ROW) return std::string(reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0)));
  return std::nullopt;
}

void Store::set_meta(const std::string& key, const std::string& value) {
  if (!db_) return;
  std::lock_guard lock(mu_);
  Stmt q(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  sqlite3_bind_text(q.s, 1, key.data(), int(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(q.s, 2, value.data(), int(value.size()), SQLITE_TRANSIENT);
  sqlite3_step(q.s);
}

}  // namespace cloudbox
