#pragma once
// The HTTP/1.1 front door (Boost.Beast over Asio): keep-alive connections on a small thread pool,
// request size limits, idle timeouts, and graceful shutdown on SIGINT/SIGTERM.
#include <functional>
#include <memory>
#include <string>

namespace cloudbox {

class Core;

class HttpServer {
 public:
  HttpServer(Core& core, std::string host, int port, int threads, size_t max_body_bytes);
  ~HttpServer();
  // Binds and listens; throws std::runtime_error when the address is taken or invalid. Returns the port.
  int listen();
  // Serves until SIGINT/SIGTERM (or stop()), then lets in-flight requests finish.
  void run(std::function<void()> on_ready = {});
  void stop();

  struct Impl;  // public so the connection code in server.cpp can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cloudbox
