#pragma once
// Plain HTTP request/response values, so dispatch can be tested without sockets.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cloudbox {

struct HttpRequest {
  std::string method;  // GET, POST, …
  std::string path;    // raw (still percent-encoded) path
  std::string query;   // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remote_ip = "127.0.0.1";

  const std::string* header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return &v;
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

}  // namespace cloudbox
