// cloudbox command line: `serve` runs the server; `exec` runs a command pointed at it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

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

}  // namespace

int main(int argc, char** argv) {
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
                                          "(clients that ignore AWS_ENDPOINT_URL need --endpoint-url)");
  exec->add_option("--endpoint", endpoint, "cloudbox URL")->capture_default_str();
  exec->add_option("command", command, "The command and its arguments")->required();

  app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);

  if (app.got_subcommand("version")) {
    std::printf("cloudbox %s\n", CLOUDBOX_VERSION);
    return 0;
  }
  if (app.got_subcommand("exec")) {
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
