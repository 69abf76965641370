#pragma once
// The wire protocols of AWS (json, query, ec2, rest-json), written once and driven by the service model:
// requests are parsed into documents keyed by member names, documents are validated against the input
// shape, and handler results are serialized by walking the output shape.
#include <map>
#include <string>
#include <string_view>

#include "core/common/error.h"
#include "core/common/json.h"
#include "core/http/message.h"
#include "core/model/model.h"

namespace cloudbox::protocol {

// Form or query-string parameters, decoded.
using Params = std::multimap<std::string, std::string, std::less<>>;
Params parse_form(std::string_view text);

// Finds the operation a request names. Sets `name` to the requested name even when the model lacks it.
// `labels` receives rest-json URI labels. Returns nullptr when the operation is unknown.
const Operation* resolve_operation(const ServiceModel& model, const HttpRequest& request, const Params& params,
                                   std::string& name, std::map<std::string, std::string>& labels);

// Parses the request into the operation's input document. Throws AwsError for malformed input.
Json parse_input(const ServiceModel& model, const Operation& op, const HttpRequest& request, const Params& params,
                 const std::map<std::string, std::string>& labels);

// Checks a document against the operation's input shape (required, types, lengths, ranges, patterns,
// enums). Throws AwsError with the service's validation code and AWS's message.
void validate_input(const ServiceModel& model, const Operation& op, const Json& input);

// Writes the handler's output document as the protocol's response.
HttpResponse serialize_output(const ServiceModel& model, const Operation& op, const Json& output,
                              const std::string& request_id);

// Writes an error in the protocol's envelope; the code and status come from the model's error shape
// when the error names one.
HttpResponse serialize_error(const ServiceModel* model, std::string_view protocol, const AwsError& error,
                             const std::string& request_id);

// The wire code and status an AwsError maps to under a model.
struct WireError {
  std::string code;
  int status;
  bool sender_fault;
};
WireError wire_error(const ServiceModel* model, std::string_view protocol, const AwsError& error);

// The error code a protocol uses for model-constraint violations.
std::string validation_error_code(std::string_view protocol);

}  // namespace cloudbox::protocol
