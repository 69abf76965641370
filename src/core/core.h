#pragma once
// The core: owns the clock, the store, the credential directory, the service models and the services,
// and turns HTTP requests into handler calls (dispatch.cpp). It names no service.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/auth/credentials.h"
#include "core/auth/sigv4.h"
#include "core/common/clock.h"
#include "core/http/message.h"
#include "core/service.h"
#include "core/store/store.h"

namespace cloudbox {

class ServiceModel;

// Extra ports a service serves besides the API port (EC2's per-instance metadata endpoints). The HTTP
// server provides them; there is none in unit tests or before the server runs, so services open their
// ports lazily (from tick()) rather than in load().
class ListenerHost {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  virtual ~ListenerHost() = default;
  // Serves `handler` on host:port (0 picks a free port) on the server's I/O threads, without any service
  // lock held; returns the port. Throws std::runtime_error when the port cannot be bound.
  virtual int open(const std::string& host, int port, Handler handler) = 0;
  // Stops accepting on the port (connections already open finish their current request).
  virtual void close(int port) = 0;
};

struct Options {
  std::string host = "127.0.0.1";
  int port = 4566;
  std::string state_dir;  // empty with ephemeral
  bool ephemeral = false;
  std::string log_level = "info";
  bool enforce_iam = false;
  int threads = 2;
  size_t max_body_bytes = 16 * 1024 * 1024;
  std::string default_region = "us-east-1";
};

class Core {
 public:
  explicit Core(Options options);
  ~Core();

  const Options& options() const { return options_; }
  ServerClock& clock() { return clock_; }
  Store& store() { return *store_; }
  CredentialDirectory& credentials() { return credentials_; }

  // Service by model name ("secretsmanager"), or nullptr.
  Service* service(std::string_view name);
  std::vector<std::string> service_names() const;
  // The service's API model, loaded on first use (thread-safe).
  const ServiceModel& model(std::string_view name);

  // Answers one HTTP request (admin endpoints or an AWS API call). Never throws.
  HttpResponse handle(const HttpRequest& request);

  // Calls an operation as `caller`'s principal, exactly as an external request would be handled
  // (validation, handler, IAM when enforced), without the wire format. Throws AwsError.
  Json invoke(const RequestContext& caller, std::string_view service, std::string_view operation, const Json& input,
              std::string_view region = {});

  // The service that decides requests when IAM is enforced (IAM registers itself).
  void set_authorizer(Authorizer* authorizer) { authorizer_ = authorizer; }
  Authorizer* authorizer() const { return authorizer_; }

  // Where services open extra ports; nullptr when no HTTP server is running.
  ListenerHost* listener_host() const { return listener_host_.load(); }
  void set_listener_host(ListenerHost* host) { listener_host_.store(host); }

  // Runs every service's time-driven work now.
  void tick();
  // Wipes all state (store, credentials, services).
  void reset();

  std::string version() const;

 private:
  struct Registered {
    std::unique_ptr<Service> service;
    std::unordered_map<std::string, Handler> handlers;
  };
  HttpResponse handle_admin(const HttpRequest& request);
  HttpResponse handle_api(const HttpRequest& request);
  Json call_handler(Registered& reg, RequestContext& ctx, const Json& input);
  void resolve_caller(const HttpRequest& request, const std::optional<SigV4Info>& sig, RequestContext& ctx);
  void check_signing_time(const SigV4Info& sig, bool json) const;
  void authorize(Registered& reg, const RequestContext& ctx, const Json& input);

  Options options_;
  ServerClock clock_;
  std::unique_ptr<Store> store_;
  CredentialDirectory credentials_;
  std::map<std::string, Registered, std::less<>> services_;
  std::mutex models_mu_;
  std::map<std::string, std::unique_ptr<ServiceModel>, std::less<>> models_;
  TimePoint started_;
  Authorizer* authorizer_ = nullptr;
  std::atomic<ListenerHost*> listener_host_{nullptr};
};

}  // namespace cloudbox
