#pragma once
// What a service is to the core: a name (its model's file name), a table of operation handlers, and a
// uniform load/reset/tick interface so persistence and time are handled generically.
//
// Handlers receive the request as a document keyed by the model's member names (already parsed and
// validated against the input shape) and return the output document the same way. Inside documents,
// timestamps are epoch seconds (numbers) and blobs are raw bytes in a string; the protocol layer converts.
// Handlers never see the wire format and never write XML or JSON envelopes.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth/authorizer.h"
#include "core/common/clock.h"
#include "core/common/error.h"
#include "core/common/json.h"
#include "core/http/message.h"

namespace cloudbox {

class Core;
class Store;

// Who is calling. Without IAM enforcement every caller with unknown credentials is its account's root.
struct Principal {
  std::string type = "root";  // root | user | assumed-role | federated-user | service (arn = "scheduler.amazonaws.com")
  std::string arn;            // arn:aws:iam::ACCT:root, …:user/NAME, arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
  std::string user_id;        // ACCT for root, AIDA… for users, AROA…:SESSION for role sessions
  std::string account_id;
  std::string name;           // user name, or role name for a role session
  std::string session_name;   // role session name
};

struct RequestContext {
  Core& core;
  std::string request_id;
  std::string service;    // model name, e.g. "secretsmanager"
  std::string operation;  // e.g. "CreateSecret"
  std::string region;
  std::string account_id;
  std::string access_key_id;
  Principal principal;
  TimePoint now;
  std::string source_ip;
  bool internal = false;  // a call cloudbox makes on a principal's behalf (scheduler targets, RDS secrets)
  // The principal's policies decide even without --enforce-iam: a schedule's execution role, whose permissions
  // AWS always applies to what the schedule calls.
  bool always_authorize = false;
};

using Handler = std::function<Json(RequestContext&, const Json& input)>;

class Service {
 public:
  explicit Service(Core& core) : core_(core) {}
  virtual ~Service() = default;

  virtual std::string name() const = 0;
  virtual void register_operations(std::unordered_map<std::string, Handler>& table) = 0;
  // Rebuilds in-memory state from the store at start-up (called once, before serving).
  virtual void load() {}
  // Forgets all in-memory state (the store has already been wiped).
  virtual void reset() = 0;
  // Time-driven work (deletion windows, state transitions). Called with the service lock held,
  // about once a second and right after the server clock is moved.
  virtual void tick(TimePoint /*now*/) {}
  // How IAM should see a request when it is enforced: the actions, resource ARNs and condition keys.
  // Empty (the default) means one target: "<signing name>:<Operation>" on "*"; targets with an empty action
  // need no permission (e.g. sts:GetCallerIdentity). Called with the service lock held.
  virtual std::vector<AuthzTarget> authz_targets(const RequestContext& /*ctx*/, const Json& /*input*/) { return {}; }
  // A short state summary for GET /_cloudbox/health.
  virtual Json health() const { return Json::object(); }
  // Admin requests to /_cloudbox/<name>/<rest> (execution histories, exec environments). Called with the
  // service lock held; nullopt answers 404.
  virtual std::optional<HttpResponse> admin(const HttpRequest& /*request*/, std::string_view /*rest*/) {
    return std::nullopt;
  }

  // The dispatcher holds this lock around every handler, load, reset and tick of the service, so a
  // service's own code needs no locking.
  std::recursive_mutex& mutex() { return mutex_; }

 protected:
  Core& core_;

 private:
  std::recursive_mutex mutex_;
};

using ServiceFactory = std::function<std::unique_ptr<Service>(Core&)>;

// Services register themselves at static-initialisation time; the core only looks them up.
std::vector<ServiceFactory>& service_factories();
struct ServiceRegistrar {
  explicit ServiceRegistrar(ServiceFactory f) { service_factories().push_back(std::move(f)); }
};

#define CLOUDBOX_REGISTER_SERVICE(Type) \
  static ::cloudbox::ServiceRegistrar cloudbox_registrar_##Type([](::cloudbox::Core& core) { \
    return std::unique_ptr<::cloudbox::Service>(new Type(core)); \
  })

}  // namespace cloudbox
