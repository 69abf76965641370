// cloudbox command line: `serve` runs the server; `exec` runs a command pointed at it.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>

#include "core/common/json.h"

#include "core/common/log.h"
#include "core/core.h"
#include "core/http/server.h"

namespace {

std::string default_state_dir() {
  if (const char* d = std::getenv("CLOUDBOX_STATE_DIR")) return d;
  if (const char* x = std::getenv("XDG_DATA_HOME")) return std::string(x) + "/cloudbox";
  if (const char* h = std::getenv("HOME")) return std::string(h) + "/.local/share/cloudbox";
  return ".cloudbox";
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && (std::string(v) == "1" || std::string(v) == "true");
}

// A plain HTTP GET against cloudbox (http://host:port only); returns the status and fills `body`.
int http_get(const std::string& endpoint, const std::string& path, std::string& body) {
  std::smatch m;
  static const std::regex url(R"(^http://([^/:]+)(?::(\d+))?/?$)");
  if (!std::regex_match(endpoint, m, url)) {
    body = "cloudbox exec: the endpoint must look like http://HOST:PORT, not " + endpoint;
    return -1;
  }
  std::string host = m[1], port = m[2].matched ? std::string(m[2]) : "80";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res) {
    body = "cloudbox exec: cannot resolve " + host;
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    body = "cloudbox exec: cannot connect to " + endpoint + " (is `cloudbox serve` running?)";
    return -1;
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != ssize_t(req.size())) {
    close(fd);
    body = "cloudbox exec: cannot send the request";
    return -1;
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, size_t(n));
  close(fd);
  auto sp = resp.find(' ');
  auto hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) {
    body = "cloudbox exec: malformed answer from " + endpoint;
    return -1;
  }
  body = resp.substr(hdr_end + 4);
  return std::atoi(resp.c_str() + sp + 1);
}

// `cloudbox exec INSTANCE -- CMD`: runs CMD as if on the instance: no static credentials anywhere, the
// instance's metadata service as the credential source, its region, and cloudbox as the endpoint.
int exec_on_instance(const std::string& endpoint, const std::string& instance, std::vector<std::string> command) {
  std::string body;
  int status = http_get(endpoint, "/_cloudbox/ec2/instances/" + instance + "/exec-env", body);
  if (status < 0) {
    std::fprintf(stderr, "%s\n", body.c_str());
    return 1;
  }
  cloudbox::Json env = cloudbox::Json::parse(body, nullptr, false);
  if (status != 200 || env.is_discarded()) {
    std::string msg = env.is_discarded() ? body : env.value("message", env.value("error", body));
    std::fprintf(stderr, "cloudbox exec: %s\n", msg.c_str());
    return 1;
  }
  std::string region = env.value("region", "us-east-1");
  std::string imds = env.value("imds_endpoint", "");
  // Empty config and credentials files, so nothing from ~/.aws is used.
  std::string dir = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/cloudbox-exec-" +
                    std::to_string(getuid());
  mkdir(dir.c_str(), 0700);
  std::string config = dir + "/config", creds = dir + "/credentials";
  { std::ofstream(config, std::ios::trunc) << "[default]\nregion = " << region << "\n"; }
  { std::ofstream(creds, std::ios::trunc); }
  for (const char* v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_EC2_METADATA_DISABLED",
                        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_CREDENTIAL_PROCESS"})
    unsetenv(v);
  setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", creds.c_str(), 1);
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.c_str(), 1);
  setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
  setenv("CLOUDBOX_ENDPOINT", endpoint.c_str(), 1);  // for clients that ignore AWS_ENDPOINT_URL: --endpoint-url "$CLOUDBOX_ENDPOINT"
  setenv("CLOUDBOX_INSTANCE_ID", instance.c_str(), 1);
  setenv("AWS_REGION", region.c_str(), 1);
  setenv("AWS_DEFAULT_REGION", region.c_str(), 1);
  if (command.empty()) {
    const char* shell = std::getenv("SHELL");
    command = {shell && *shell ? shell : "/bin/sh", "-i"};
  }
  std::vector<char*> args;
  for (auto& c : command) args.push_back(c.data());
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::perror(args[0]);
  return 127;
}

// `cloudbox executions [--schedule NAME]`: what EventBridge Scheduler invoked, and what came of it.
int print_executions(const std::string& endpoint, const std::string& schedule, bool as_json) {
  std::string body;
  int status = http_get(endpoint, "/_cloudbox/scheduler/executions" + (schedule.empty() ? "" : "?schedule=" + schedule), body);
  cloudbox::Json out = cloudbox::Json::parse(body, nullptr, false);
  if (status != 200 || out.is_discarded()) {
    std::fprintf(stderr, "cloudbox executions: %s\n", status < 0 || out.is_discarded() ? body.c_str() : out.value("error", body).c_str());
    return 1;
  }
  if (as_json) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  const cloudbox::Json& list = out["Executions"];
  if (list.empty()) std::printf("no invocations yet\n");
  for (const auto& e : list) {
    std::string what = e.value("Service", std::string()) + ":" + e.value("Operation", std::string());
    std::string outcome = e.value("ErrorCode", std::string());
    if (!outcome.empty()) outcome += ": " + e.value("ErrorMessage", std::string());
    else if (e.contains("Reason")) outcome = e.value("Reason", std::string());
    if (auto cut = outcome.find(". Encoded authorization failure message"); cut != std::string::npos) outcome.resize(cut + 1);
    std::printf("%-24s %-10s %-40s %s\n", e.value("ScheduledTime", std::string("?")).c_str(), e.value("Status", std::string()).c_str(),
                (e.value("ScheduleName", std::string()) + " " + what).c_str(), outcome.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // `exec INSTANCE [-- CMD…]`: the instance id is taken out before the command line is parsed, so
  // `exec -- CMD` keeps its meaning.
  std::string exec_instance;
  std::vector<char*> argv_kept(argv, argv + argc);
  if (argc > 1 && std::string(argv[1]) == "exec") {
    static const std::regex instance_id("^i-[0-9a-f]{8,17}$");
    for (size_t i = 2; i < argv_kept.size(); ++i) {
      std::string a = argv_kept[i];
      if (a == "--") break;
      if (a == "--endpoint") {
        ++i;
        continue;
      }
      if (std::regex_match(a, instance_id)) {
        exec_instance = a;
        argv_kept.erase(argv_kept.begin() + long(i));
        break;
      }
    }
    argc = int(argv_kept.size());
    argv = argv_kept.data();
  }

  CLI::App app{"cloudbox: the AWS services of a small data team, on one port, with real behaviour"};
  app.require_subcommand(1);
  cloudbox::Options opt;
  opt.state_dir = default_state_dir();
  opt.enforce_iam = env_flag("CLOUDBOX_ENFORCE_IAM");
  if (const char* r = std::getenv("CLOUDBOX_DEFAULT_REGION")) opt.default_region = r;

  auto* serve = app.add_subcommand("serve", "Start the server");
  serve->add_option("--host", opt.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", opt.port, "Port to listen on (0 picks a free one)")->capture_default_str();
  serve->add_option("--state-dir", opt.state_dir, "Where state is kept (SQLite + key)")->capture_default_str();
  serve->add_flag("--ephemeral", opt.ephemeral, "Keep state in memory only");
  serve->add_option("--log-level", opt.log_level, "debug, info, warn, error or off")->capture_default_str();
  serve->add_flag("--enforce-iam", opt.enforce_iam,
                  "Authenticate every request (SigV4 signature, signing time, known and unexpired credentials) "
                  "and authorize it by the caller's IAM policies (CLOUDBOX_ENFORCE_IAM=1)");
  serve->add_option("--threads", opt.threads, "I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
  serve->add_option("--default-region", opt.default_region, "Region for unsigned requests")->capture_default_str();

  std::string endpoint = std::getenv("CLOUDBOX_ENDPOINT") ? std::getenv("CLOUDBOX_ENDPOINT") : "http://127.0.0.1:4566";
  std::vector<std::string> command;
  auto* exec = app.add_subcommand("exec", "Run a command with AWS_ENDPOINT_URL pointing at cloudbox and test credentials "
                                          "(clients that ignore AWS_ENDPOINT_URL need --endpoint-url). "
                                          "`exec i-… [-- CMD]` runs CMD (or $SHELL -i) as on that EC2 instance: no static "
                                          "credentials, the instance's metadata service (its role's credentials) and region");
  exec->add_option("--endpoint", endpoint, "cloudbox URL")->capture_default_str();
  exec->add_option("command", command, "The command and its arguments");

  std::string schedule;
  bool executions_json = false;
  auto* executions = app.add_subcommand("executions", "Show what EventBridge Scheduler invoked and how each invocation ended");
  executions->add_option("--schedule", schedule, "Only this schedule (name or ARN)");
  executions->add_option("--endpoint", endpoint, "cloudbox URL")->capture_default_str();
  executions->add_flag("--json", executions_json, "Print the records as JSON");

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::printf("cloudbox %s\n", CLOUDBOX_VERSION);
    return 0;
  }
  if (app.got_subcommand("executions")) return print_executions(endpoint, schedule, executions_json);
  if (app.got_subcommand("exec") && !exec_instance.empty()) return exec_on_instance(endpoint, exec_instance, command);
  if (app.got_subcommand("exec")) {
    if (command.empty()) {
      std::fprintf(stderr, "cloudbox exec: a command is required (cloudbox exec -- CMD, or cloudbox exec i-… -- CMD)\n");
      return 2;
    }
    // Newer SDKs read AWS_ENDPOINT_URL; older ones (Debian's CLI v2 2.9, boto3 1.26) ignore it and would
    // go to real AWS. So the credentials are always cloudbox's own: a client that ignores the endpoint
    // sends nothing that works on AWS. Real keys, tokens and profiles from the environment are dropped.
    setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
    setenv("AWS_ACCESS_KEY_ID", "test", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_SECURITY_TOKEN");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_DEFAULT_PROFILE");
    if (!std::getenv("AWS_DEFAULT_REGION")) setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    setenv("CLOUDBOX_ENDPOINT", endpoint.c_str(), 1);
    std::vector<char*> args;
    for (auto& c : command) args.push_back(c.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::perror(args[0]);
    return 127;
  }

  if (!cloudbox::log::set_level(opt.log_level)) {
    std::fprintf(stderr, "unknown --log-level %s\n", opt.log_level.c_str());
    return 2;
  }
  try {
    cloudbox::Core core(opt);
    cloudbox::HttpServer server(core, opt.host, opt.port, opt.threads, opt.max_body_bytes);
    int port = server.listen();
    server.run([&] {
      std::printf("cloudbox %s listening on http://%s:%d (%s)\n", CLOUDBOX_VERSION, opt.host.c_str(), port,
                  opt.ephemeral ? "ephemeral" : ("state in " + opt.state_dir).c_str());
      std::fflush(stdout);
    });
    cloudbox::log::info("stopped");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cloudbox: %s\n", e.what());
    return 1;
  }
  return 0;
}
