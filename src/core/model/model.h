#pragma once
// An AWS API model (botocore service-2.json) in a form the protocol layer can walk quickly: shapes with
// resolved member pointers, operations by name, and the metadata that selects the wire protocol.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/common/json.h"

namespace cloudbox {

enum class ShapeType { Structure, List, Map, String, Integer, Long, Float, Double, Boolean, Timestamp, Blob, Unknown };

struct Shape;

// A reference to a shape from a structure member, list member, or map key/value, with the traits
// that live on the reference.
struct MemberRef {
  std::string name;  // member name (for structures)
  const Shape* shape = nullptr;
  std::string location;       // "", "uri", "querystring", "header", "headers", "statusCode"
  std::string location_name;  // wire name (XML element, query key, header, uri label)
  std::string query_name;     // ec2 protocol
  bool flattened = false;
  bool xml_attribute = false;
  bool idempotency_token = false;
  bool json_value = false;
  std::string timestamp_format;
};

struct Shape {
  std::string name;
  ShapeType type = ShapeType::Unknown;
  std::vector<MemberRef> members;  // structure members in model order
  std::unordered_map<std::string, size_t> member_index;
  std::vector<std::string> required;
  MemberRef list_member, map_key, map_value;
  bool flattened = false;
  std::optional<double> min, max;
  std::string pattern;
  std::vector<std::string> enum_values;
  std::string timestamp_format;
  std::string location_name;  // shape-level locationName (lists' member naming)
  std::string payload;        // rest protocols: member that is the body
  bool sensitive = false;
  bool document = false;
  bool union_ = false;
  // Errors
  bool exception = false;
  std::string error_code;  // wire code for query protocols (e.g. NoSuchEntity)
  int http_status = 400;
  bool sender_fault = true;

  const MemberRef* member(const std::string& n) const {
    auto it = member_index.find(n);
    return it == member_index.end() ? nullptr : &members[it->second];
  }
  // Compiled lazily; nullptr when the pattern is empty or not expressible as ECMAScript.
  const std::regex* pattern_regex() const;

 private:
  mutable std::once_flag regex_once_;
  mutable std::unique_ptr<std::regex> regex_;
};

struct Operation {
  std::string name;
  std::string http_method = "POST";
  std::string request_uri = "/";
  int success_code = 200;
  const Shape* input = nullptr;
  const Shape* output = nullptr;
  std::string result_wrapper;  // query protocol: <XResult>
  std::vector<const Shape*> errors;
};

class ServiceModel {
 public:
  // Parses a botocore service-2.json document (documentation already stripped).
  static std::unique_ptr<ServiceModel> parse(std::string_view name, std::string_view json_text);

  std::string name;  // file name: "secretsmanager"
  std::string protocol;  // json | query | ec2 | rest-json | rest-xml
  std::string api_version;
  std::string target_prefix;  // json protocol: X-Amz-Target prefix
  std::string json_version;   // "1.0" / "1.1"
  std::string signing_name;
  std::string endpoint_prefix;
  std::string service_id;
  std::string xml_namespace;  // query/ec2 responses
  Json paginators;

  const Operation* operation(std::string_view op) const;
  const Shape* shape(std::string_view n) const;
  const std::map<std::string, Operation, std::less<>>& operations() const { return operations_; }
  // Error shape by name or wire code.
  const Shape* error_shape(std::string_view code) const;

 private:
  std::unordered_map<std::string, std::unique_ptr<Shape>> shapes_;
  std::map<std::string, Operation, std::less<>> operations_;
  std::unordered_map<std::string, const Shape*> errors_by_code_;
};

// The model text embedded in the binary, or empty when there is none of that name.
std::string_view embedded_model(std::string_view name);
const std::vector<std::string>& embedded_model_names();
// Only the metadata object of an embedded model (protocol, signingName, targetPrefix, apiVersion …), read
// without parsing the whole model, so routing never pays for loading a large model it does not need.
const Json& embedded_model_metadata(std::string_view name);
// True when the embedded model defines an operation of that name (a text search, no parse).
bool embedded_model_has_operation(std::string_view name, std::string_view operation);

}  // namespace cloudbox
