// Boost.Beast lives only in this translation unit, to keep builds fast.
#include <utility>  // before asio: Boost 1.74 with GCC 12 needs std::exchange declared
#include "core/http/server.h"

#include <boost/asio.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/common/log.h"
#include "core/core.h"

namespace cloudbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kIdleTimeout = std::chrono::seconds(120);
}

class Session;

// A port a service serves besides the API (an instance's metadata endpoint).
struct SideListener {
  explicit SideListener(asio::io_context& ioc, ListenerHost::Handler h) : acceptor(ioc), handler(std::move(h)) {}
  tcp::acceptor acceptor;
  ListenerHost::Handler handler;
};

struct HttpServer::Impl : ListenerHost {
  Core& core;
  std::string host;
  int port;
  int threads;
  size_t max_body;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc, SIGINT, SIGTERM};
  std::atomic<bool> stopping{false};
  std::mutex sessions_mu;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
  // Time-driven work runs on its own thread so it never stalls a connection.
  std::thread ticker;
  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool tick_stop = false;
  // Stops the server if connections have not finished 5 s after shutdown began.
  std::thread watchdog;
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;

  std::mutex side_mu;
  std::map<int, std::shared_ptr<SideListener>> side;

  Impl(Core& c, std::string h, int p, int t, size_t m) : core(c), host(std::move(h)), port(p), threads(t), max_body(m) {}
  void accept();
  void accept_side(std::shared_ptr<SideListener> listener);
  void begin_shutdown();
  int open(const std::string& host, int port, Handler handler) override;
  void close(int port) override;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server, std::shared_ptr<SideListener> side = nullptr)
      : stream_(std::move(socket)), server_(server), side_(std::move(side)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // Called on shutdown: close now when idle, else after the response in flight.
  void shutdown() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.max_body);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(kIdleTimeout);
    busy_ = false;
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    busy_ = true;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    if (ec == http::error::body_limit) {
      return respond_plain_error(413, "RequestEntityTooLarge",
                                 "Request body exceeds the limit of " + std::to_string(server_.max_body) + " bytes.");
    }
    if (ec == http::error::header_limit) return respond_plain_error(431, "RequestHeaderFieldsTooLarge", "Request headers too large.");
    if (ec) return respond_plain_error(400, "MalformedRequest", "The HTTP request could not be parsed.");

    auto& req = parser_->get();
    HttpRequest in;
    in.method = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    auto q = target.find('?');
    in.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) in.query = std::string(target.substr(q + 1));
    in.headers.reserve(16);
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      in.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    in.body = std::move(req.body());
    in.remote_ip = remote_ip_;
    bool keep_alive = req.keep_alive() && !server_.stopping;

    HttpResponse out;
    if (!side_) {
      out = server_.core.handle(in);
    } else {
      try {
        out = side_->handler(in);
      } catch (const std::exception& e) {
        log::error(std::string("side listener handler failed: ") + e.what());
        out.status = 500;
        out.body = "internal error";
      }
    }
    send(std::move(out), keep_alive, req.version());
  }

  void respond_plain_error(int status, const std::string& code, const std::string& message) {
    HttpResponse out;
    out.status = status;
    out.set_header("Content-Type", "text/xml");
    out.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Type>Sender</Type><Code>" + code +
               "</Code><Message>" + message + "</Message></Error><RequestId>" + request_id() +
               "</RequestId></ErrorResponse>";
    send(std::move(out), false, 11);
  }

  void send(HttpResponse out, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(http::status(out.status), version);
    for (auto& [k, v] : out.headers) res->set(k, v);
    res->set(http::field::date, http_date(Clock::now()));
    res->body() = std::move(out.body);
    res->keep_alive(keep_alive && !closing_);
    res->prepare_payload();
    stream_.expires_after(kIdleTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive() || self->closing_) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  std::shared_ptr<SideListener> side_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_ip_;
  bool busy_ = false;
  bool closing_ = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) return;
      log::warn("accept failed: " + ec.message());
    } else {
      socket.set_option(tcp::no_delay(true));
      auto s = std::make_shared<Session>(std::move(socket), *this);
      {
        std::lock_guard lock(sessions_mu);
        for (auto it = sessions.begin(); it != sessions.end();) it = it->expired() ? sessions.erase(it) : std::next(it);
        sessions.insert(s);
      }
      s->start();
    }
    if (!stopping) accept();
  });
}

void HttpServer::Impl::accept_side(std::shared_ptr<SideListener> listener) {
  listener->acceptor.async_accept(asio::make_strand(ioc), [this, listener](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted || !listener->acceptor.is_open()) return;
      log::warn("accept failed: " + ec.message());
    } else {
      auto s = std::make_shared<Session>(std::move(socket), *this, listener);
      {
        std::lock_guard lock(sessions_mu);
        sessions.insert(s);
      }
      s->start();
    }
    if (!stopping && listener->acceptor.is_open()) accept_side(listener);
  });
}

int HttpServer::Impl::open(const std::string& bind_host, int bind_port, Handler handler) {
  if (stopping) throw std::runtime_error("the server is shutting down");
  beast::error_code ec;
  auto address = asio::ip::make_address(bind_host, ec);
  if (ec) throw std::runtime_error("not an IP address: " + bind_host);
  auto listener = std::make_shared<SideListener>(ioc, std::move(handler));
  tcp::endpoint ep(address, static_cast<unsigned short>(bind_port));
  listener->acceptor.open(ep.protocol(), ec);
  if (!ec) listener->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) listener->acceptor.bind(ep, ec);
  if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + bind_host + ":" + std::to_string(bind_port) + ": " + ec.message());
  int bound = listener->acceptor.local_endpoint().port();
  {
    std::lock_guard lock(side_mu);
    side[bound] = listener;
  }
  // Accepting starts on an I/O thread, so the acceptor is only ever touched from there after this point.
  asio::post(ioc, [this, listener] { accept_side(listener); });
  return bound;
}

void HttpServer::Impl::close(int side_port) {
  std::shared_ptr<SideListener> listener;
  {
    std::lock_guard lock(side_mu);
    auto it = side.find(side_port);
    if (it == side.end()) return;
    listener = it->second;
    side.erase(it);
  }
  asio::post(ioc, [listener] {
    beast::error_code ec;
    listener->acceptor.close(ec);
  });
}

void HttpServer::Impl::begin_shutdown() {
  if (stopping.exchange(true)) return;
  log::info("shutting down: finishing requests in flight");
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel();
  {
    std::lock_guard lock(side_mu);
    for (auto& [p, listener] : side) listener->acceptor.close(ec);
    side.clear();
  }
  {
    std::lock_guard lock(sessions_mu);
    for (auto& w : sessions)
      if (auto s = w.lock()) s->shutdown();
  }
  {
    std::lock_guard lock(tick_mu);
    tick_stop = true;
  }
  tick_cv.notify_all();
  // Give slow clients a bounded time to finish, then stop regardless. (A timer inside the io_context
  // would itself keep run() busy for the whole grace period.)
  watchdog = std::thread([this] {
    std::unique_lock lock(done_mu);
    if (!done_cv.wait_for(lock, std::chrono::seconds(5), [this] { return done; })) ioc.stop();
  });
}

HttpServer::HttpServer(Core& core, std::string host, int port, int threads, size_t max_body_bytes)
    : impl_(std::make_unique<Impl>(core, std::move(host), port, threads, max_body_bytes)) {
  core.set_listener_host(impl_.get());
}

HttpServer::~HttpServer() {
  impl_->core.set_listener_host(nullptr);
  if (impl_->ticker.joinable()) {
    {
      std::lock_guard lock(impl_->tick_mu);
      impl_->tick_stop = true;
    }
    impl_->tick_cv.notify_all();
    impl_->ticker.join();
  }
}

int HttpServer::listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->host, ec);
  if (ec) {
    // A host name such as "localhost".
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(impl_->host, std::to_string(impl_->port), ec);
    if (ec || results.empty()) throw std::runtime_error("cannot resolve host " + impl_->host);
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint ep(address, static_cast<unsigned short>(impl_->port));
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + impl_->host + ":" + std::to_string(impl_->port) + ": " + ec.message());
  impl_->port = impl_->acceptor.local_endpoint().port();
  return impl_->port;
}

void HttpServer::run(std::function<void()> on_ready) {
  Impl& s = *impl_;
  s.signals.async_wait([&s](beast::error_code ec, int) {
    if (!ec) s.begin_shutdown();
  });
  s.accept();
  s.ticker = std::thread([&s] {
    std::unique_lock lock(s.tick_mu);
    while (!s.tick_stop) {
      s.tick_cv.wait_for(lock, std::chrono::seconds(1));
      if (s.tick_stop) break;
      lock.unlock();
      s.core.tick();
      lock.lock();
    }
  });
  if (on_ready) on_ready();
  std::vector<std::thread> pool;
  for (int i = 1; i < s.threads; ++i) pool.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : pool) t.join();
  {
    std::lock_guard lock(s.done_mu);
    s.done = true;
  }
  s.done_cv.notify_all();
  if (s.watchdog.joinable()) s.watchdog.join();
  {
    std::lock_guard lock(s.tick_mu);
    s.tick_stop = true;
  }
  s.tick_cv.notify_all();
  if (s.ticker.joinable()) s.ticker.join();
}

void HttpServer::stop() {
  asio::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace cloudbox
