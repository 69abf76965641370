#include "core/core.h"

#include <algorithm>
#include <cstdio>
#include <chrono>

#include "core/auth/sigv4.h"
#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"
#include "core/model/model.h"
#include "core/protocol/protocol.h"

namespace cloudbox {

std::vector<ServiceFactory>& service_factories() {
  static std::vector<ServiceFactory> factories;
  return factories;
}

Core::Core(Options options)
    : options_(std::move(options)),
      store_(std::make_unique<Store>(options_.ephemeral ? std::string() : options_.state_dir)),
      credentials_(*store_),
      started_(Clock::now()) {
  if (auto offset = store_->get_meta("clock_offset_us")) clock_.set_offset(std::chrono::microseconds(std::stoll(*offset)));
  credentials_.load();
  for (auto& factory : service_factories()) {
    auto svc = factory(*this);
    std::string name = svc->name();
    Registered reg;
    svc->register_operations(reg.handlers);
    {
      std::lock_guard lock(svc->mutex());
      svc->load();
    }
    reg.service = std::move(svc);
    services_.emplace(name, std::move(reg));
  }
  clock_.on_change([this] {
    store_->set_meta("clock_offset_us", std::to_string(clock_.offset().count()));
  });
}

Core::~Core() = default;

std::string Core::version() const { return CLOUDBOX_VERSION; }

Service* Core::service(std::string_view name) {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : it->second.service.get();
}

std::vector<std::string> Core::service_names() const {
  std::vector<std::string> out;
  for (const auto& [name, reg] : services_) out.push_back(name);
  return out;
}

const ServiceModel& Core::model(std::string_view name) {
  std::lock_guard lock(models_mu_);
  auto it = models_.find(name);
  if (it != models_.end()) return *it->second;
  std::string_view text = embedded_model(name);
  if (text.empty()) throw std::runtime_error("no model named " + std::string(name));
  auto parsed = ServiceModel::parse(name, text);
  auto& ref = *parsed;
  models_.emplace(std::string(name), std::move(parsed));
  return ref;
}

void Core::tick() {
  TimePoint now = clock_.now();
  credentials_.remove_expired_before(now - std::chrono::hours(24 * 7));
  for (auto& [name, reg] : services_) {
    std::lock_guard lock(reg.service->mutex());
    try {
      reg.service->tick(now);
    } catch (const std::exception& e) {
      log::error("tick of " + name + " failed: " + e.what());
    }
  }
}

void Core::reset() {
  store_->clear();
  // The clock only moves forward, so a reset keeps it where it is (and remembers that across restarts).
  store_->set_meta("clock_offset_us", std::to_string(clock_.offset().count()));
  credentials_.reset();
  for (auto& [name, reg] : services_) {
    std::lock_guard lock(reg.service->mutex());
    reg.service->reset();
  }
}

Json Core::call_handler(Registered& reg, RequestContext& ctx, const Json& input) {
  auto it = reg.handlers.find(ctx.operation);
  if (it == reg.handlers.end())
    throw AwsError("NotImplemented",
                   "cloudbox does not implement " + ctx.service + ":" + ctx.operation + " yet.", 501, false);
  std::lock_guard lock(reg.service->mutex());
  return it->second(ctx, input);
}

Json Core::invoke(const RequestContext& caller, std::string_view service_name, std::string_view operation,
                  const Json& input, std::string_view region) {
  auto sit = services_.find(service_name);
  const ServiceModel& m = model(service_name);
  const Operation* op = m.operation(operation);
  if (!op)
    throw AwsError(m.protocol == "query" || m.protocol == "ec2" ? "InvalidAction" : "UnknownOperationException",
                   "The action " + std::string(operation) + " is not valid for this web service.", 400);
  protocol::validate_input(m, *op, input);
  RequestContext ctx{*this};
  ctx.request_id = request_id();
  ctx.service = std::string(service_name);
  ctx.operation = op->name;
  ctx.region = region.empty() ? caller.region : std::string(region);
  ctx.account_id = caller.account_id;
  ctx.access_key_id = caller.access_key_id;
  ctx.principal = caller.principal;
  ctx.now = clock_.now();
  ctx.source_ip = caller.source_ip;
  ctx.internal = true;
  ctx.always_authorize = caller.always_authorize;
  if (sit == services_.end())
    throw AwsError("NotImplemented", "cloudbox does not implement the " + std::string(service_name) + " service yet.",
                   501, false);
  authorize(sit->second, ctx, input);
  return call_handler(sit->second, ctx, input);
}

namespace {

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.set_header("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

// Picks the envelope for errors raised before the service is known.
std::string guess_protocol(const HttpRequest& req) {
  if (req.header("x-amz-target")) return "json";
  const std::string* ct = req.header("content-type");
  if (ct && ct->find("json") != std::string::npos) return "rest-json";
  return "query";
}

}  // namespace

HttpResponse Core::handle(const HttpRequest& request) {
  try {
    if (request.path.rfind("/_cloudbox/", 0) == 0) return handle_admin(request);
    return handle_api(request);
  } catch (const std::exception& e) {
    log::error(std::string("internal error: ") + e.what());
    AwsError err("InternalFailure", "The request processing has failed because of an unknown error.", 500, false);
    return protocol::serialize_error(nullptr, guess_protocol(request), err, request_id());
  }
}

HttpResponse Core::handle_admin(const HttpRequest& req) {
  std::string path = req.path.substr(std::string("/_cloudbox/").size());
  if (path == "health" && req.method == "GET") {
    Json services = Json::object();
    for (auto& [name, reg] : services_) {
      Json s = {{"state", "running"}, {"operations", reg.handlers.size()}};
      std::lock_guard lock(reg.service->mutex());
      Json extra = reg.service->health();
      for (auto& [k, v] : extra.items()) s[k] = v;
      services[name] = s;
    }
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started_).count();
    return json_response(200, {{"status", "running"},
                               {"version", version()},
                               {"services", services},
                               {"ephemeral", store_->ephemeral()},
                               {"enforce_iam", options_.enforce_iam},
                               {"uptime_seconds", uptime},
                               {"now", iso8601(clock_.now())}});
  }
  if (path == "reset" && req.method == "POST") {
    reset();
    return json_response(200, {{"reset", true}});
  }
  if (path == "clock") {
    if (req.method == "GET") return json_response(200, {{"now", iso8601(clock_.now())}});
    if (req.method == "POST") {
      Json body = Json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object())
        return json_response(400, {{"error", "the body must be a JSON object"}});
      // The clock's range ends in 2262 (64-bit nanoseconds); refuse anything that would wrap.
      constexpr double kMaxAdvance = 100.0 * 366 * 86400;
      auto limit = parse_timestamp("2200-01-01T00:00:00Z");
      if (body.contains("advance_seconds")) {
        if (!body["advance_seconds"].is_number() || body["advance_seconds"].get<double>() < 0)
          return json_response(400, {{"error", "advance_seconds must be a non-negative number (the clock only moves forward)"}});
        if (body["advance_seconds"].get<double>() > kMaxAdvance ||
            clock_.now() + std::chrono::seconds(static_cast<long long>(body["advance_seconds"].get<double>())) > *limit)
          return json_response(400, {{"error", "advance_seconds is too large: the clock cannot go past 2200-01-01"}});
        clock_.advance(std::chrono::microseconds(static_cast<long long>(body["advance_seconds"].get<double>() * 1e6)));
      } else if (body.contains("set")) {
        auto when = body["set"].is_string() ? parse_timestamp(body["set"].get<std::string>()) : std::nullopt;
        if (!when) return json_response(400, {{"error", "set must be an ISO 8601 timestamp"}});
        if (*when > *limit) return json_response(400, {{"error", "the clock cannot go past 2200-01-01"}});
        if (!clock_.set(*when))
          return json_response(400, {{"error", "the clock only moves forward; it is now " + iso8601(clock_.now())}});
      } else {
        return json_response(400, {{"error", "give advance_seconds or set"}});
      }
      tick();
      return json_response(200, {{"now", iso8601(clock_.now())}});
    }
  }
  // /_cloudbox/<service>/<rest>: the service's own admin endpoints.
  auto slash = path.find('/');
  std::string service_name = path.substr(0, slash);
  auto sit = services_.find(service_name);
  if (sit != services_.end()) {
    std::string rest = slash == std::string::npos ? std::string() : path.substr(slash + 1);
    std::optional<HttpResponse> answer;
    try {
      std::lock_guard lock(sit->second.service->mutex());
      answer = sit->second.service->admin(req, rest);
    } catch (const AwsError& e) {
      return json_response(e.http_status ? e.http_status : 400, {{"error", e.code + ": " + e.what()}});
    } catch (const std::exception& e) {
      return json_response(500, {{"error", std::string(e.what())}});
    }
    if (answer) return *answer;
  }
  return json_response(404, {{"error", "no admin endpoint " + req.method + " /_cloudbox/" + path}});
}

HttpResponse Core::handle_api(const HttpRequest& req) {
  std::string rid = request_id();
  auto started = std::chrono::steady_clock::now();
  protocol::Params params;
  std::string protocol_name = guess_protocol(req);
  const ServiceModel* svc_model = nullptr;
  std::string op_name;
  try {
    std::optional<SigV4Info> sig = parse_sigv4(req);

    // Query-protocol parameters come from the form body (POST) or the query string (GET).
    const std::string* ct = req.header("content-type");
    if (req.method == "POST" && ct && ct->find("application/x-www-form-urlencoded") != std::string::npos)
      params = protocol::parse_form(req.body);
    else if (req.method == "GET" && req.query.find("Action=") != std::string::npos)
      params = protocol::parse_form(req.query);

    // Which service: the credential scope, else the target prefix or the action.
    std::string service_name;
    const auto& names = embedded_model_names();
    if (sig) {
      if (std::find(names.begin(), names.end(), sig->service) != names.end()) {
        service_name = sig->service;
      } else {
        for (const auto& n : names) {
          const Json& md = embedded_model_metadata(n);
          if (md.value("signingName", "") == sig->service || md.value("endpointPrefix", "") == sig->service)
            service_name = n;
        }
      }
      if (service_name.empty())
        throw AwsError("UnknownService",
                       "cloudbox does not serve the service '" + sig->service + "' named in the request's credential scope.",
                       400);
    } else if (const std::string* target = req.header("x-amz-target")) {
      std::string prefix = target->substr(0, target->rfind('.'));
      for (const auto& n : names)
        if (embedded_model_metadata(n).value("targetPrefix", "") == prefix) service_name = n;
    } else if (auto a = params.find("Action"); a != params.end()) {
      auto v = params.find("Version");
      for (const auto& n : names) {
        const Json& md = embedded_model_metadata(n);
        if ((v == params.end() || v->second == md.value("apiVersion", "")) && embedded_model_has_operation(n, a->second))
          service_name = n;
      }
    }
    if (service_name.empty())
      throw AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);

    svc_model = &this->model(service_name);
    protocol_name = svc_model->protocol;

    std::map<std::string, std::string> labels;
    const Operation* op = protocol::resolve_operation(*svc_model, req, params, op_name, labels);
    if (!op) {
      if (protocol_name == "json") throw AwsError("UnknownOperationException", "", 400);
      if (protocol_name == "rest-json")
        throw AwsError("UnknownOperationException", "No operation matches " + req.method + " " + req.path, 404);
      if (op_name.empty()) throw AwsError("MissingAction", "Missing Action", 400);
      throw AwsError("InvalidAction", "The action " + op_name + " is not valid for this web service.", 400);
    }
    if ((protocol_name == "query" || protocol_name == "ec2")) {
      auto v = params.find("Version");
      if (v != params.end() && v->second != svc_model->api_version)
        throw AwsError("InvalidAction", "The action " + op_name + " is not valid for version " + v->second + ".", 400);
    }

    RequestContext ctx{*this};
    ctx.request_id = rid;
    ctx.service = service_name;
    ctx.operation = op->name;
    ctx.region = sig && !sig->region.empty() ? sig->region : options_.default_region;
    ctx.now = clock_.now();
    ctx.source_ip = req.remote_ip;
    resolve_caller(req, sig, ctx);

    Json input = protocol::parse_input(*svc_model, *op, req, params, labels);
    protocol::validate_input(*svc_model, *op, input);
    auto sit = services_.find(service_name);
    if (sit == services_.end())
      throw AwsError("NotImplemented", "cloudbox does not implement the " + service_name + " service yet.", 501, false);
    authorize(sit->second, ctx, input);
    Json output = call_handler(sit->second, ctx, input);
    HttpResponse resp = protocol::serialize_output(*svc_model, *op, output, rid);
    if (log::enabled(log::Level::Debug)) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
      log::debug(service_name + ":" + op->name + " " + std::to_string(resp.status) + " " + std::to_string(us) + "us");
    }
    return resp;
  } catch (const AwsError& e) {
    HttpResponse resp = protocol::serialize_error(svc_model, protocol_name, e, rid);
    if (log::enabled(log::Level::Debug))
      log::debug((svc_model ? svc_model->name : std::string("?")) + ":" + op_name + " " + std::to_string(resp.status) + " " + e.code);
    return resp;
  }
}

// With --enforce-iam, everyone but an account's root is decided by the authorizer; otherwise only the use of
// the credentials is noted. The service's lock is released before the authorizer takes its own.
void Core::authorize(Registered& reg, const RequestContext& ctx, const Json& input) {
  // AWS service principals (scheduler.amazonaws.com assuming an execution role) are not governed by identity
  // policies; what they may do is decided by the trust policy of the role they assume.
  if (!authorizer_ || ctx.principal.type.empty() || ctx.principal.type == "service") return;
  if ((!options_.enforce_iam && !ctx.always_authorize) || ctx.principal.type == "root") {
    if (ctx.principal.type != "root") authorizer_->record_use(ctx);
    return;
  }
  std::vector<AuthzTarget> targets;
  {
    std::lock_guard lock(reg.service->mutex());
    targets = reg.service->authz_targets(ctx, input);
  }
  if (targets.empty()) {
    std::string prefix = embedded_model_metadata(ctx.service).value("signingName", ctx.service);
    if (prefix.empty()) prefix = ctx.service;
    targets.push_back(AuthzTarget{prefix + ":" + ctx.operation, {}, {}, std::nullopt, "", ""});
  }
  targets.erase(std::remove_if(targets.begin(), targets.end(), [](const AuthzTarget& t) { return t.action.empty(); }),
                targets.end());
  if (targets.empty()) {
    authorizer_->record_use(ctx);
    return;
  }
  authorizer_->authorize(ctx, targets);
}

// A signed request must reach the server within 15 minutes of its X-Amz-Date (AWS's replay protection).
// Signing time is wall-clock time, so this compares with the real clock, not the movable server clock.
void Core::check_signing_time(const SigV4Info& sig, bool json) const {
  auto fail = [&](const std::string& msg) {
    return json ? AwsError("InvalidSignatureException", msg, 400) : AwsError("SignatureDoesNotMatch", msg, 403);
  };
  // yyyymmddThhmmssZ, read by hand: this runs on every request under enforcement.
  const std::string& a = sig.amz_date;
  auto digits = [&a](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (a[i] < '0' || a[i] > '9') return -1;
      v = v * 10 + (a[i] - '0');
    }
    return v;
  };
  const bool shaped = a.size() == 16 && a[8] == 'T' && a[15] == 'Z';
  const int y = shaped ? digits(0, 4) : -1, mo = shaped ? digits(4, 2) : -1, d = shaped ? digits(6, 2) : -1;
  const int h = shaped ? digits(9, 2) : -1, mi = shaped ? digits(11, 2) : -1, se = shaped ? digits(13, 2) : -1;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(unsigned(mo)), std::chrono::day(unsigned(d))};
  if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60 || !ymd.ok())
    throw fail("Date must be in ISO-8601 'basic format'. Got '" + sig.amz_date + "'.");
  const TimePoint signed_at_tp = std::chrono::time_point_cast<TimePoint::duration>(
      std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(se));
  const std::optional<TimePoint> signed_at = signed_at_tp;
  auto now = Clock::now();
  auto basic = [](TimePoint t) {
    std::string s = iso8601_seconds(t);
    s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
    s.erase(std::remove(s.begin(), s.end(), ':'), s.end());
    return s;
  };
  constexpr auto kSkew = std::chrono::minutes(15);
  if (*signed_at < now - kSkew)
    throw fail("Signature expired: " + sig.amz_date + " is now earlier than " + basic(now - kSkew) + " (" + basic(now) +
               " - 15 min.)");
  if (*signed_at > now + kSkew)
    throw fail("Signature not yet current: " + sig.amz_date + " is still later than " + basic(now + kSkew) + " (" +
               basic(now) + " + 15 min.)");
}

void Core::resolve_caller(const HttpRequest& req, const std::optional<SigV4Info>& sig, RequestContext& ctx) {
  bool json = ctx.service.empty() || model(ctx.service).protocol.find("json") != std::string::npos;
  auto invalid = [&]() {
    return json ? AwsError("UnrecognizedClientException", "The security token included in the request is invalid.", 400)
                : AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
  };
  auto bad_signature = [&]() {
    const char* msg =
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.";
    return json ? AwsError("InvalidSignatureException", msg, 400) : AwsError("SignatureDoesNotMatch", msg, 403);
  };
  std::string akid = sig ? sig->access_key_id : std::string();
  ctx.access_key_id = akid;
  if (options_.enforce_iam && sig && !sig->presigned) check_signing_time(*sig, json);
  if (!akid.empty()) {
    if (auto cred = credentials_.find(akid)) {
      if (!cred->active) throw invalid();
      if (cred->expiration && *cred->expiration <= ctx.now)
        throw json ? AwsError("ExpiredTokenException", "The security token included in the request is expired", 400)
                   : AwsError("ExpiredToken", "The security token included in the request is expired", 403);
      if (!cred->session_token.empty() && sig->security_token != cred->session_token) throw invalid();
      if (options_.enforce_iam && !verify_sigv4(req, *sig, cred->secret_access_key)) throw bad_signature();
      ctx.account_id = cred->account_id;
      ctx.principal = cred->principal;
      return;
    }
  }
  // Credentials cloudbox never issued: the root of the account the key names (12 digits) or the default one.
  std::string account = is_account_id(akid) ? akid : kDefaultAccount;
  if (options_.enforce_iam) {
    if (!sig) throw AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403);
    if (akid != "test" && !is_account_id(akid)) throw invalid();
    if (!verify_sigv4(req, *sig, "test")) throw bad_signature();
  }
  ctx.account_id = account;
  ctx.principal.type = "root";
  ctx.principal.arn = "arn:aws:iam::" + account + ":root";
  ctx.principal.user_id = account;
  ctx.principal.account_id = account;
}

}  // namespace cloudbox
