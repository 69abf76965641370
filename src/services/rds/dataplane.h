#pragma once
// The RDS data plane: what makes a DB instance a real PostgreSQL server. The control plane (RdsService)
// asks for work (create, start, stop, restart, set a password, dump, destroy) and reads back how far it got;
// the work itself runs on a worker thread, never under the service lock. Unit tests inject a fake.
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace cloudbox::rds {

// What one server (or one dump job) is doing.
enum class Phase {
  None,     // never heard of
  Busy,     // work queued or running
  Running,  // the server answers (for a dump job: the dump is written)
  Stopped,  // the server is down (cleanly)
  Failed,   // the last job failed; `error` says why
  Gone,     // destroyed
};

struct PgStatus {
  Phase phase = Phase::None;
  int port = 0;  // the port the server really listens on
  std::string error;
};

struct PgSpec {
  std::string key;        // the instance's DbiResourceId (also its directory name)
  int port = 5432;        // wanted port (the next free one is taken when it is busy)
  std::string user;       // master user name
  std::string password;   // master password
  std::string db_name;    // initial database (besides "postgres"); may be empty
  std::string host_name;  // endpoint address (the server certificate's name)
  std::string restore_from;  // a dump file to load after initdb (restores)
};

class DataPlane {
 public:
  virtual ~DataPlane() = default;
  // Empty when servers can be made; otherwise why not (e.g. PostgreSQL binaries missing).
  virtual std::string unavailable_reason() = 0;
  // initdb + TLS + start + initial database (+ restore). Ends Running or Failed.
  virtual void create(const PgSpec& spec) = 0;
  // Starts an existing server (adopts one still running from before a cloudbox restart).
  virtual void start(const PgSpec& spec) = 0;
  virtual void stop(const std::string& key) = 0;
  virtual void restart(const PgSpec& spec) = 0;
  // ALTER ROLE … PASSWORD on a running server; ends Running.
  virtual void set_password(const PgSpec& spec) = 0;
  // Writes a dump of a running server under job key `job` (Running when done).
  virtual void dump(const PgSpec& spec, const std::string& job, const std::string& file) = 0;
  // Stops the server and removes its directory; ends Gone.
  virtual void destroy(const std::string& key) = 0;
  virtual void remove_file(const std::string& file) = 0;
  virtual PgStatus status(const std::string& key) = 0;
  // Where dumps of snapshot `name` go.
  virtual std::string dump_path(const std::string& name) = 0;
  // The CA certificate (PEM) that signs the servers' certificates; generated on first use.
  virtual std::string ca_pem() = 0;
  // Stops every server this process runs (cloudbox shutdown); waits for queued work first.
  virtual void shutdown() = 0;
  // Stops every server and removes all data (POST /_cloudbox/reset).
  virtual void wipe() = 0;
};

// The real one: PostgreSQL binaries from /usr/lib/postgresql/<highest>/bin, data under `root`
// (a temp dir when `root` is empty, removed at exit). As root, servers run as the `postgres` user.
class PostgresDataPlane : public DataPlane {
 public:
  explicit PostgresDataPlane(std::string root);
  ~PostgresDataPlane() override;

  std::string unavailable_reason() override;
  void create(const PgSpec& spec) override;
  void start(const PgSpec& spec) override;
  void stop(const std::string& key) override;
  void restart(const PgSpec& spec) override;
  void set_password(const PgSpec& spec) override;
  void dump(const PgSpec& spec, const std::string& job, const std::string& file) override;
  void destroy(const std::string& key) override;
  void remove_file(const std::string& file) override;
  PgStatus status(const std::string& key) override;
  std::string dump_path(const std::string& name) override;
  std::string ca_pem() override;
  void shutdown() override;
  void wipe() override;

 private:
  void enqueue(const std::string& key, std::function<void()> job);
  void set(const std::string& key, Phase phase, const std::string& error = {}, int port = -1);
  void worker();
  void ensure_root();
  std::string dir_of(const std::string& key) const { return root_ + "/" + key; }
  // Jobs (run on the worker).
  void do_create(const PgSpec& spec);
  void do_start(const PgSpec& spec);
  void do_stop(const std::string& key);
  bool server_running(const std::string& key);
  void ensure_ca();
  void make_server_cert(const std::string& dir, const std::string& host_name);
  void write_config(const std::string& dir);
  void run_sql(const std::string& key, int port, const std::string& user, const std::string& db, const std::string& sql,
               bool stop_on_error = true);
  void run_file(const std::string& key, int port, const std::string& user, const std::string& file);
  int pick_port(int wanted, const std::string& key);

  std::string root_;
  bool temp_root_ = false;
  bool root_ready_ = false;
  std::string bin_;
  bool as_postgres_ = false;  // cloudbox runs as root: servers run as the postgres user
  unsigned pg_uid_ = 0, pg_gid_ = 0;

  std::mutex setup_mu_;  // root dir and CA creation
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::map<std::string, PgStatus> status_;
  std::thread thread_;
};

}  // namespace cloudbox::rds
