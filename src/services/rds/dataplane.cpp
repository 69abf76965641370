// The real RDS data plane: one PostgreSQL server per DB instance, run from Debian's server binaries.
//
// Layout under the data root (`<state-dir>/rds`, or a temp dir in ephemeral mode):
//   ca/ca.key, ca/ca.pem           the local CA (what DescribeCertificates reports as rds-ca-rsa2048-g1)
//   <dbi-resource-id>/data         the cluster (initdb), owned by the server's user
//   <dbi-resource-id>/server.*     the server's TLS key and certificate, signed by the CA
//   <dbi-resource-id>/postgres.log the server's log; the Unix socket lives in the same directory
//   snapshots/<name>.sql           pg_dumpall output of DB snapshots
// As root, every server process runs as the `postgres` user (initdb and postgres refuse root).
#include "services/rds/dataplane.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"

namespace fs = std::filesystem;

namespace cloudbox::rds {

namespace {

struct RunResult {
  int rc = -1;
  std::string output;
};

// Runs argv[0] with argv, stdout+stderr captured, as the postgres user when `uid` is non-zero. The child
// gets its own session (so a terminal's Ctrl-C does not reach servers it spawns) and none of cloudbox's
// descriptors (so a server never holds cloudbox's listening socket).
RunResult run(const std::vector<std::string>& argv, unsigned uid, unsigned gid, const std::string& cwd = "/") {
  RunResult r;
  char out_path[] = "/tmp/cloudbox-rds-cmd-XXXXXX";
  int out = mkstemp(out_path);
  if (out < 0) {
    r.output = "mkstemp failed";
    return r;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string home = "HOME=" + cwd;
  std::vector<std::string> env_s = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", home};
  std::vector<char*> env;
  for (auto& e : env_s) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(out, 1);
    dup2(out, 2);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    if (uid != 0) {
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
    }
    if (chdir(cwd.c_str()) != 0 && chdir("/") != 0) _exit(126);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  if (pid < 0) {
    close(out);
    unlink(out_path);
    r.output = "fork failed";
    return r;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  std::ifstream f(out_path);
  std::stringstream ss;
  ss << f.rdbuf();
  r.output = ss.str();
  close(out);
  unlink(out_path);
  return r;
}

std::string tail_of(const std::string& s, size_t n = 600) { return s.size() <= n ? s : s.substr(s.size() - n); }

void write_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += size_t(n);
  }
  fchmod(fd, mode);
  close(fd);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string find_bin() {
  std::error_code ec;
  int best = -1;
  std::string best_dir;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string name = e.path().filename().string();
    int v = std::atoi(name.c_str());
    std::string bin = e.path().string() + "/bin";
    if (v > best && access((bin + "/postgres").c_str(), X_OK) == 0 && access((bin + "/initdb").c_str(), X_OK) == 0) {
      best = v;
      best_dir = bin;
    }
  }
  return best_dir;
}

// True when nothing listens on 127.0.0.1:port, nor on [::1]:port (names under .localhost may resolve to
// either, so a port half taken would send clients to someone else's server).
bool port_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  if (!ok) return false;
  int fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd6 < 0) return true;  // no IPv6 here: the server listens on IPv4 only
  setsockopt(fd6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(uint16_t(port));
  a6.sin6_addr = in6addr_loopback;
  int rc = bind(fd6, reinterpret_cast<sockaddr*>(&a6), sizeof a6);
  int err = errno;
  close(fd6);
  return rc == 0 || err != EADDRINUSE;
}

std::string sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

std::string sql_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

}  // namespace

PostgresDataPlane::PostgresDataPlane(std::string root) : root_(std::move(root)) {
  bin_ = find_bin();
  if (geteuid() == 0) {
    if (passwd* pw = getpwnam("postgres")) {
      as_postgres_ = true;
      pg_uid_ = pw->pw_uid;
      pg_gid_ = pw->pw_gid;
    }
  }
  thread_ = std::thread([this] { worker(); });
}

PostgresDataPlane::~PostgresDataPlane() {
  shutdown();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (temp_root_) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

std::string PostgresDataPlane::unavailable_reason() {
  if (bin_.empty())
    return "PostgreSQL server binaries were not found in /usr/lib/postgresql/*/bin; install the Debian package "
           "'postgresql' (apt-get install postgresql) to run RDS for PostgreSQL instances.";
  if (geteuid() == 0 && !as_postgres_)
    return "cloudbox runs as root and there is no 'postgres' user to run database servers as; install the Debian "
           "package 'postgresql', which creates it.";
  return {};
}

void PostgresDataPlane::ensure_root() {
  std::lock_guard lock(setup_mu_);
  if (root_ready_) return;
  std::error_code ec;
  if (root_.empty()) {
    char tmpl[] = "/tmp/cloudbox-rds-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("cannot make a temp dir for RDS data");
    root_ = tmpl;
    temp_root_ = true;
  }
  fs::create_directories(root_, ec);
  chmod(root_.c_str(), 0711);
  if (as_postgres_) {
    // The postgres user must be able to walk down to its data directories: give the directories above
    // ours search permission (x) only, never read, so nothing can be listed.
    fs::path p = fs::path(root_).parent_path();
    auto check = [&]() {
      RunResult r = run({"/usr/bin/test", "-x", root_}, pg_uid_, pg_gid_);
      return r.rc == 0;
    };
    if (!check()) {
      struct stat st{};
      if (stat(p.c_str(), &st) == 0 && st.st_uid == geteuid()) chmod(p.c_str(), (st.st_mode & 07777) | 0011);
    }
    if (!check()) {
      // A state dir under a private home: keep the servers' data in a system location instead.
      root_ = "/var/lib/cloudbox-rds/" + sha256_hex(root_).substr(0, 16);
      fs::create_directories(root_, ec);
      chmod("/var/lib/cloudbox-rds", 0711);
      chmod(root_.c_str(), 0711);
      log::warn("RDS data lives in " + root_ + " (the postgres user cannot reach the state dir)");
    }
  }
  fs::create_directories(root_ + "/snapshots", ec);
  chmod((root_ + "/snapshots").c_str(), 0700);
  if (as_postgres_) chown((root_ + "/snapshots").c_str(), pg_uid_, pg_gid_);
  root_ready_ = true;
}

void PostgresDataPlane::ensure_ca() {
  ensure_root();
  std::lock_guard lock(setup_mu_);
  std::string ca = root_ + "/ca";
  if (access((ca + "/ca.pem").c_str(), R_OK) == 0) return;
  std::error_code ec;
  fs::create_directories(ca, ec);
  chmod(ca.c_str(), 0700);
  RunResult r = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + "/ca.key",
                     "-out", ca + "/ca.pem.tmp", "-days", "3650", "-sha256", "-subj",
                     "/C=US/ST=Washington/L=Seattle/O=cloudbox/OU=Amazon RDS/CN=cloudbox RDS Root CA RSA2048 G1"},
                    0, 0, ca);
  if (r.rc != 0) throw std::runtime_error("openssl could not make the RDS CA: " + tail_of(r.output));
  chmod((ca + "/ca.key").c_str(), 0600);
  fs::rename(ca + "/ca.pem.tmp", ca + "/ca.pem", ec);
}

std::string PostgresDataPlane::ca_pem() {
  try {
    ensure_ca();
  } catch (const std::exception& e) {
    log::error(e.what());
    return {};
  }
  return read_file(root_ + "/ca/ca.pem");
}

std::string PostgresDataPlane::dump_path(const std::string& name) {
  ensure_root();
  return root_ + "/snapshots/" + name + ".sql";
}

void PostgresDataPlane::make_server_cert(const std::string& dir, const std::string& host_name) {
  ensure_ca();
  std::string ca = root_ + "/ca";
  write_file(dir + "/san.cnf",
             "subjectAltName=DNS:" + host_name + ",DNS:localhost,IP:127.0.0.1,IP:::1\n"
             "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
             0600);
  RunResult r = run({"/usr/bin/openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server.key",
                     "-out", dir + "/server.csr", "-subj", "/CN=" + host_name},
                    0, 0, dir);
  if (r.rc != 0) throw std::runtime_error("openssl req failed: " + tail_of(r.output));
  r = run({"/usr/bin/openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", ca + "/ca.pem", "-CAkey",
           ca + "/ca.key", "-set_serial", "0x" + random_hex(16), "-days", "395", "-sha256", "-extfile",
           dir + "/san.cnf", "-out", dir + "/server.crt"},
          0, 0, dir);
  if (r.rc != 0) throw std::runtime_error("openssl x509 failed: " + tail_of(r.output));
  unlink((dir + "/server.csr").c_str());
  unlink((dir + "/san.cnf").c_str());
  chmod((dir + "/server.key").c_str(), 0600);
  chmod((dir + "/server.crt").c_str(), 0644);
  if (as_postgres_) {
    chown((dir + "/server.key").c_str(), pg_uid_, pg_gid_);
    chown((dir + "/server.crt").c_str(), pg_uid_, pg_gid_);
  }
}

void PostgresDataPlane::write_config(const std::string& dir) {
  std::string data = dir + "/data";
  std::string conf =
      "# Written by cloudbox (RDS). Port comes from the command line.\n"
      "listen_addresses = '127.0.0.1,::1'\n"
      "unix_socket_directories = '" + dir + "'\n"
      "unix_socket_permissions = 0700\n"
      "password_encryption = 'scram-sha-256'\n"
      "ssl = on\n"
      "ssl_cert_file = '" + dir + "/server.crt'\n"
      "ssl_key_file = '" + dir + "/server.key'\n"
      "max_connections = 100\n"
      "shared_buffers = 32MB\n"
      "dynamic_shared_memory_type = posix\n"
      "log_timezone = 'UTC'\n"
      "timezone = 'UTC'\n";
  write_file(data + "/cloudbox.conf", conf, 0600);
  std::string main = read_file(data + "/postgresql.conf");
  if (main.find("include_if_exists = 'cloudbox.conf'") == std::string::npos) {
    main += "\ninclude_if_exists = 'cloudbox.conf'\n";
    write_file(data + "/postgresql.conf", main, 0600);
  }
  // Over TCP only TLS with a password (scram-sha-256), as RDS for PostgreSQL 15+ (rds.force_ssl=1). The Unix
  // socket (mode 0700, in the instance's private directory) is cloudbox's own way in.
  std::string hba =
      "# Written by cloudbox (RDS)\n"
      "local   all  all                 trust\n"
      "hostssl all  all  127.0.0.1/32   scram-sha-256\n"
      "hostssl all  all  ::1/128        scram-sha-256\n"
      "hostssl all  all  0.0.0.0/0      scram-sha-256\n"
      "hostssl all  all  ::/0           scram-sha-256\n";
  write_file(data + "/pg_hba.conf", hba, 0600);
  if (as_postgres_) {
    chown((data + "/cloudbox.conf").c_str(), pg_uid_, pg_gid_);
    chown((data + "/postgresql.conf").c_str(), pg_uid_, pg_gid_);
    chown((data + "/pg_hba.conf").c_str(), pg_uid_, pg_gid_);
  }
}

int PostgresDataPlane::pick_port(int wanted, const std::string& key) {
  std::vector<int> taken;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, s] : status_)
      if (k != key && s.port > 0 && (s.phase == Phase::Running || s.phase == Phase::Busy)) taken.push_back(s.port);
  }
  for (int p = wanted; p < wanted + 200 && p < 65536; ++p) {
    if (std::find(taken.begin(), taken.end(), p) != taken.end()) continue;
    if (port_free(p)) return p;
  }
  throw std::runtime_error("no free port at or above " + std::to_string(wanted));
}

bool PostgresDataPlane::server_running(const std::string& key) {
  std::string pidfile = dir_of(key) + "/data/postmaster.pid";
  std::ifstream f(pidfile);
  if (!f) return false;
  long pid = 0;
  f >> pid;
  if (pid <= 0 || kill(pid_t(pid), 0) != 0) return false;
  std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  return cmd.find("postgres") != std::string::npos;
}

void PostgresDataPlane::do_start(const PgSpec& spec) {
  std::string dir = dir_of(spec.key);
  if (server_running(spec.key)) {
    // Still running from before a cloudbox restart: adopt it (postmaster.pid's 4th line is the port).
    std::ifstream f(dir + "/data/postmaster.pid");
    std::string line;
    int port = spec.port;
    for (int i = 0; i < 4 && std::getline(f, line); ++i)
      if (i == 3) port = std::atoi(line.c_str());
    set(spec.key, Phase::Running, {}, port);
    return;
  }
  if (access((dir + "/server.crt").c_str(), R_OK) != 0) make_server_cert(dir, spec.host_name);
  int port = pick_port(spec.port, spec.key);
  {
    std::lock_guard lock(mu_);
    status_[spec.key].port = port;
  }
  RunResult r = run({bin_ + "/pg_ctl", "start", "-w", "-t", "60", "-D", dir + "/data", "-l", dir + "/postgres.log",
                     "-o", "-p " + std::to_string(port)},
                    as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
  if (r.rc != 0)
    throw std::runtime_error("pg_ctl start failed: " + tail_of(r.output) + " " + tail_of(read_file(dir + "/postgres.log")));
  set(spec.key, Phase::Running, {}, port);
}

void PostgresDataPlane::do_stop(const std::string& key) {
  std::string dir = dir_of(key);
  if (server_running(key)) {
    RunResult r = run({bin_ + "/pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", dir + "/data"},
                      as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
    if (r.rc != 0 && server_running(key)) throw std::runtime_error("pg_ctl stop failed: " + tail_of(r.output));
  }
}

void PostgresDataPlane::run_sql(const std::string& key, int port, const std::string& user, const std::string& db,
                                const std::string& sql, bool stop_on_error) {
  std::string dir = dir_of(key);
  std::string file = dir + "/.cloudbox-" + random_hex(8) + ".sql";
  write_file(file, sql, 0600);
  if (as_postgres_) chown(file.c_str(), pg_uid_, pg_gid_);
  RunResult r = run({bin_ + "/psql", "-X", "-q", "-h", dir, "-p", std::to_string(port), "-U", user, "-d", db, "-v",
                     stop_on_error ? "ON_ERROR_STOP=1" : "ON_ERROR_STOP=0", "-f", file},
                    as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
  unlink(file.c_str());
  if (r.rc != 0) throw std::runtime_error("psql failed: " + tail_of(r.output));
}

void PostgresDataPlane::run_file(const std::string& key, int port, const std::string& user, const std::string& file) {
  std::string dir = dir_of(key);
  RunResult r = run({bin_ + "/psql", "-X", "-q", "-h", dir, "-p", std::to_string(port), "-U", user, "-d", "postgres",
                     "-f", file},
                    as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
  if (r.rc != 0) throw std::runtime_error("restore failed: " + tail_of(r.output));
}

void PostgresDataPlane::do_create(const PgSpec& spec) {
  ensure_root();
  std::string dir = dir_of(spec.key);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  chmod(dir.c_str(), 0700);
  if (as_postgres_) chown(dir.c_str(), pg_uid_, pg_gid_);
  std::string pwfile = dir + "/.pwfile";
  write_file(pwfile, spec.password + "\n", 0600);
  if (as_postgres_) chown(pwfile.c_str(), pg_uid_, pg_gid_);
  RunResult r = run({bin_ + "/initdb", "-D", dir + "/data", "-U", spec.user, "--pwfile=" + pwfile, "-E", "UTF8",
                     "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions"},
                    as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
  unlink(pwfile.c_str());
  if (r.rc != 0) throw std::runtime_error("initdb failed: " + tail_of(r.output));
  make_server_cert(dir, spec.host_name);
  write_config(dir);
  do_start(spec);
  int port = status(spec.key).port;
  if (!spec.restore_from.empty()) {
    run_file(spec.key, port, spec.user, spec.restore_from);
    run_sql(spec.key, port, spec.user, "postgres",
            "ALTER ROLE " + sql_ident(spec.user) + " WITH PASSWORD " + sql_literal(spec.password) + ";\n");
  } else if (!spec.db_name.empty() && spec.db_name != "postgres") {
    run_sql(spec.key, port, spec.user, "postgres", "CREATE DATABASE " + sql_ident(spec.db_name) + ";\n");
  }
}

// ---------------------------------------------------------------------------------------------------
// The queue

void PostgresDataPlane::set(const std::string& key, Phase phase, const std::string& error, int port) {
  std::lock_guard lock(mu_);
  PgStatus& s = status_[key];
  s.phase = phase;
  s.error = error;
  if (port >= 0) s.port = port;
}

void PostgresDataPlane::enqueue(const std::string& key, std::function<void()> job) {
  std::lock_guard lock(mu_);
  status_[key].phase = Phase::Busy;
  status_[key].error.clear();
  queue_.push_back([this, key, job = std::move(job)] {
    try {
      job();
    } catch (const std::exception& e) {
      log::error("RDS data plane (" + key + "): " + e.what());
      set(key, Phase::Failed, e.what());
    }
  });
  cv_.notify_all();
}

void PostgresDataPlane::worker() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    auto job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

void PostgresDataPlane::create(const PgSpec& spec) {
  enqueue(spec.key, [this, spec] { do_create(spec); });
}

void PostgresDataPlane::start(const PgSpec& spec) {
  enqueue(spec.key, [this, spec] {
    ensure_root();
    do_start(spec);
  });
}

void PostgresDataPlane::stop(const std::string& key) {
  enqueue(key, [this, key] {
    ensure_root();
    do_stop(key);
    set(key, Phase::Stopped);
  });
}

void PostgresDataPlane::restart(const PgSpec& spec) {
  enqueue(spec.key, [this, spec] {
    ensure_root();
    do_stop(spec.key);
    do_start(spec);
  });
}

void PostgresDataPlane::set_password(const PgSpec& spec) {
  enqueue(spec.key, [this, spec] {
    int port = status(spec.key).port;
    run_sql(spec.key, port, spec.user, "postgres",
            "ALTER ROLE " + sql_ident(spec.user) + " WITH PASSWORD " + sql_literal(spec.password) + ";\n");
    set(spec.key, Phase::Running);
  });
}

void PostgresDataPlane::dump(const PgSpec& spec, const std::string& job, const std::string& file) {
  // Queued under the instance's key order (one worker), reported under the job's key.
  enqueue(job, [this, spec, job, file] {
    int port = status(spec.key).port;
    std::string dir = dir_of(spec.key);
    RunResult r = run({bin_ + "/pg_dumpall", "-h", dir, "-p", std::to_string(port), "-U", spec.user, "-f", file},
                      as_postgres_ ? pg_uid_ : 0, pg_gid_, dir);
    if (r.rc != 0) throw std::runtime_error("pg_dumpall failed: " + tail_of(r.output));
    set(job, Phase::Running);
  });
}

void PostgresDataPlane::destroy(const std::string& key) {
  enqueue(key, [this, key] {
    ensure_root();
    do_stop(key);
    std::error_code ec;
    fs::remove_all(dir_of(key), ec);
    set(key, Phase::Gone);
  });
}

void PostgresDataPlane::remove_file(const std::string& file) {
  std::lock_guard lock(mu_);
  queue_.push_back([file] {
    std::error_code ec;
    fs::remove(file, ec);
  });
  cv_.notify_all();
}

PgStatus PostgresDataPlane::status(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = status_.find(key);
  return it == status_.end() ? PgStatus{} : it->second;
}

void PostgresDataPlane::shutdown() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
  std::vector<std::string> keys;
  for (const auto& [k, s] : status_)
    if (s.phase == Phase::Running || s.phase == Phase::Failed) keys.push_back(k);
  lock.unlock();
  for (const auto& k : keys) {
    if (k.rfind("db-", 0) != 0) continue;  // dump jobs
    try {
      do_stop(k);
      set(k, Phase::Stopped);
    } catch (const std::exception& e) {
      log::error("RDS: stopping " + k + ": " + e.what());
    }
  }
}

void PostgresDataPlane::wipe() {
  shutdown();
  std::error_code ec;
  if (!root_.empty() && root_ready_) {
    // Servers adopted from an earlier run that this process never tracked.
    for (const auto& e : fs::directory_iterator(root_, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("db-", 0) == 0) {
        try {
          do_stop(name);
        } catch (const std::exception&) {
        }
      }
      fs::remove_all(e.path(), ec);
    }
    fs::create_directories(root_ + "/snapshots", ec);
    chmod((root_ + "/snapshots").c_str(), 0700);
    if (as_postgres_) chown((root_ + "/snapshots").c_str(), pg_uid_, pg_gid_);
  }
  std::lock_guard lock(mu_);
  status_.clear();
}

}  // namespace cloudbox::rds
