#pragma once
// The one exception type every handler throws. The protocol layer turns it into the wire envelope of the
// service's protocol (JSON __type, query <ErrorResponse>, EC2 <Response><Errors>, rest-json headers).
#include <stdexcept>
#include <string>

namespace cloudbox {

struct AwsError : std::runtime_error {
  // `code` is either an error shape name of the service model (its wire code and HTTP status then come
  // from the model) or a common AWS error code, in which case `http_status` says the status.
  std::string code;
  int http_status;  // 0: take it from the model (falls back to 400)
  bool sender_fault;

  AwsError(std::string code_, std::string message, int status = 0, bool sender = true)
      : std::runtime_error(std::move(message)), code(std::move(code_)), http_status(status), sender_fault(sender) {}
};

}  // namespace cloudbox
