// Requests → input documents, for every protocol, by walking the input shape.
#include <cctype>
#include <cmath>
#include <set>

#include "core/common/encoding.h"
#include "core/protocol/protocol.h"
#include "core/protocol/scalars.h"

namespace cloudbox::protocol {
namespace {

const char* type_name(ShapeType t) {
  switch (t) {
    case ShapeType::Structure: return "structure";
    case ShapeType::List: return "list";
    case ShapeType::Map: return "map";
    case ShapeType::String: return "string";
    case ShapeType::Boolean: return "boolean";
    case ShapeType::Timestamp: return "timestamp";
    case ShapeType::Blob: return "blob";
    default: return "number";
  }
}

// ---- JSON bodies (json and rest-json protocols) ----

[[noreturn]] void serialization_error(const std::string& message) {
  throw AwsError("SerializationException", message, 400);
}

Json from_json(const Shape& shape, const Json& v, const std::string& path) {
  if (v.is_null()) return v;
  auto mismatch = [&]() -> Json {
    serialization_error("Unexpected value type in payload at '" + path + "': expected " + type_name(shape.type));
  };
  switch (shape.type) {
    case ShapeType::Structure: {
      if (!v.is_object()) return mismatch();
      if (shape.document) return v;
      Json out = Json::object();
      for (auto it = v.begin(); it != v.end(); ++it) {
        const MemberRef* m = shape.member(it.key());
        if (!m) {
          // JSON wire names may differ (locationName); look them up.
          for (const auto& mm : shape.members)
            if (mm.location_name == it.key() && mm.location.empty()) m = &mm;
        }
        if (!m || !m->location.empty()) continue;  // unknown members are ignored, as AWS's JSON services do
        Json val = from_json(*m->shape, it.value(), path.empty() ? m->name : path + "." + m->name);
        if (!val.is_null()) out[m->name] = std::move(val);
      }
      return out;
    }
    case ShapeType::List: {
      if (!v.is_array()) return mismatch();
      Json out = Json::array();
      for (size_t i = 0; i < v.size(); ++i)
        out.push_back(from_json(*shape.list_member.shape, v[i], path + "." + std::to_string(i + 1)));
      return out;
    }
    case ShapeType::Map: {
      if (!v.is_object()) return mismatch();
      Json out = Json::object();
      for (auto it = v.begin(); it != v.end(); ++it)
        out[it.key()] = from_json(*shape.map_value.shape, it.value(), path + "." + it.key());
      return out;
    }
    case ShapeType::String:
      if (!v.is_string()) return mismatch();
      return v;
    case ShapeType::Boolean:
      if (!v.is_boolean()) return mismatch();
      return v;
    case ShapeType::Integer:
    case ShapeType::Long:
      if (!v.is_number_integer()) {
        double d = v.is_number_float() ? v.get<double>() : 0.5;
        if (std::floor(d) != d) return mismatch();
        // Whole numbers written as floats; beyond 64 bits they cannot be an integer member at all.
        if (std::fabs(d) >= 9.2e18) serialization_error("Number out of range at '" + path + "'");
        return Json(static_cast<long long>(d));
      }
      return v;
    case ShapeType::Float:
    case ShapeType::Double:
      if (!v.is_number()) return mismatch();
      return v;
    case ShapeType::Timestamp:
      if (v.is_number()) return Json(v.get<double>());
      if (v.is_string()) {
        if (auto tp = parse_timestamp(v.get<std::string>())) return Json(to_epoch(*tp));
      }
      return mismatch();
    case ShapeType::Blob: {
      if (!v.is_string()) return mismatch();
      auto raw = base64_decode(v.get<std::string>());
      if (!raw) serialization_error("Value at '" + path + "' is not valid base64");
      return Json(*raw);
    }
    default:
      return v;
  }
}

Json parse_json_body(const Shape* shape, const std::string& body) {
  if (!shape) return Json::object();
  if (body.empty()) return Json::object();
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) serialization_error("Malformed request body: not valid JSON");
  if (!doc.is_object()) serialization_error("Malformed request body: expected a JSON object");
  return from_json(*shape, doc, "");
}

// ---- Query and EC2 parameters ----

class QueryReader {
 public:
  QueryReader(const Params& params, bool ec2) : params_(params), ec2_(ec2) {}

  Json read_structure(const Shape& shape, const std::string& prefix) {
    Json out = Json::object();
    for (const auto& m : shape.members) {
      std::string key = prefix + wire_name(m);
      Json v = read(*m.shape, m, key);
      if (!v.is_null()) out[m.name] = std::move(v);
    }
    return out;
  }

  const std::set<std::string>& consumed() const { return consumed_; }

 private:
  std::string wire_name(const MemberRef& m) const {
    if (ec2_) {
      if (!m.query_name.empty()) return m.query_name;
      if (!m.location_name.empty()) {
        std::string n = m.location_name;
        n[0] = char(std::toupper(static_cast<unsigned char>(n[0])));
        return n;
      }
      return m.name;
    }
    return m.location_name.empty() ? m.name : m.location_name;
  }

  // True when some parameter is `key` or starts with `key.`.
  bool present(const std::string& key) const {
    auto it = params_.lower_bound(key);
    if (it == params_.end()) return false;
    if (it->first == key) return true;
    return it->first.size() > key.size() && it->first.compare(0, key.size(), key) == 0 && it->first[key.size()] == '.';
  }

  const std::string* value(const std::string& key) {
    auto it = params_.find(key);
    if (it == params_.end()) return nullptr;
    consumed_.insert(key);
    return &it->second;
  }

  Json read(const Shape& shape, const MemberRef& ref, const std::string& key) {
    switch (shape.type) {
      case ShapeType::Structure:
        if (!present(key)) return Json();
        return read_structure(shape, key + ".");
      case ShapeType::List: {
        bool flat = ec2_ || ref.flattened || shape.flattened;
        std::string base = key;
        if (!flat) {
          base += "." + (shape.list_member.location_name.empty() ? std::string("member") : shape.list_member.location_name);
        }
        Json out = Json::array();
        if (const std::string* empty = value(key); empty && empty->empty()) return out;  // "Tags=" is an empty list
        for (int i = 1;; ++i) {
          std::string item = base + "." + std::to_string(i);
          if (!present(item)) break;
          Json v = read(*shape.list_member.shape, shape.list_member, item);
          out.push_back(std::move(v));
        }
        if (out.empty() && !present(base)) return Json();
        return out;
      }
      case ShapeType::Map: {
        bool flat = ref.flattened || shape.flattened;
        std::string base = flat ? key : key + ".entry";
        std::string kname = shape.map_key.location_name.empty() ? "key" : shape.map_key.location_name;
        std::string vname = shape.map_value.location_name.empty() ? "value" : shape.map_value.location_name;
        Json out = Json::object();
        for (int i = 1;; ++i) {
          std::string entry = base + "." + std::to_string(i);
          if (!present(entry)) break;
          const std::string* k = value(entry + "." + kname);
          if (!k) continue;
          out[*k] = read(*shape.map_value.shape, shape.map_value, entry + "." + vname);
        }
        if (out.empty()) return Json();
        return out;
      }
      default: {
        const std::string* v = value(key);
        if (!v) return Json();
        auto parsed = scalar_from_text(shape, *v);
        if (!parsed) {
          if (ec2_)
            throw AwsError("InvalidParameterValue",
                           "Invalid value '" + *v + "' for " + key + ". Expected a " + type_name(shape.type) + ".", 400);
          throw AwsError("ValidationError",
                         "1 validation error detected: Value '" + *v + "' at '" + key +
                             "' failed to satisfy constraint: Member must be a valid " + type_name(shape.type),
                         400);
        }
        return *parsed;
      }
    }
  }

  const Params& params_;
  bool ec2_;
  std::set<std::string> consumed_;
};

bool is_protocol_param(const std::string& k) {
  static const std::set<std::string> kFixed = {"Action", "Version", "AWSAccessKeyId", "Signature", "SignatureMethod",
                                               "SignatureVersion", "Timestamp", "Expires", "SecurityToken"};
  return kFixed.count(k) || k.rfind("X-Amz-", 0) == 0;
}

}  // namespace

Json parse_input(const ServiceModel& model, const Operation& op, const HttpRequest& request, const Params& params,
                 const std::map<std::string, std::string>& labels) {
  const Shape* shape = op.input;
  if (model.protocol == "json") return parse_json_body(shape, request.body);

  if (model.protocol == "query" || model.protocol == "ec2") {
    if (!shape) return Json::object();
    bool ec2 = model.protocol == "ec2";
    QueryReader reader(params, ec2);
    Json out = reader.read_structure(*shape, "");
    if (ec2) {
      // EC2 names parameters it does not know (the query services ignore them).
      for (const auto& [k, v] : params) {
        if (is_protocol_param(k) || reader.consumed().count(k)) continue;
        std::string top = k.substr(0, k.find('.'));
        bool known = false;
        for (const auto& m : shape->members) {
          std::string wn = !m.query_name.empty() ? m.query_name : m.name;
          if (!m.location_name.empty() && m.query_name.empty()) {
            wn = m.location_name;
            wn[0] = char(std::toupper(static_cast<unsigned char>(wn[0])));
          }
          if (wn == top) known = true;
        }
        if (!known) throw AwsError("UnknownParameter", "The parameter " + top + " is not recognized", 400);
      }
    }
    return out;
  }

  // rest-json: URI labels, query string, headers, then the body.
  if (!shape) return Json::object();
  Json out;
  if (!shape->payload.empty()) {
    const MemberRef* payload = shape->member(shape->payload);
    out = Json::object();
    if (payload && !request.body.empty()) {
      if (payload->shape->type == ShapeType::Structure)
        out[payload->name] = parse_json_body(payload->shape, request.body);
      else
        out[payload->name] = request.body;
    }
  } else {
    out = parse_json_body(shape, request.body);
  }
  Params query = parse_form(request.query);
  for (const auto& m : shape->members) {
    std::string wire = m.location_name.empty() ? m.name : m.location_name;
    if (m.location == "uri") {
      auto it = labels.find(wire);
      if (it == labels.end()) continue;
      auto v = scalar_from_text(*m.shape, it->second);
      if (!v) throw AwsError("ValidationException", "Invalid value for URI label " + wire, 400);
      out[m.name] = *v;
    } else if (m.location == "querystring") {
      if (m.shape->type == ShapeType::List) {
        Json list = Json::array();
        auto [b, e] = query.equal_range(wire);
        for (auto it = b; it != e; ++it) {
          auto v = scalar_from_text(*m.shape->list_member.shape, it->second);
          if (!v) throw AwsError("ValidationException", "Invalid value for query parameter " + wire, 400);
          list.push_back(*v);
        }
        if (!list.empty()) out[m.name] = list;
      } else if (m.shape->type == ShapeType::Map) {
        Json map = Json::object();
        for (const auto& [k, v] : query) map[k] = v;
        if (!map.empty()) out[m.name] = map;
      } else {
        auto it = query.find(wire);
        if (it == query.end()) continue;
        auto v = scalar_from_text(*m.shape, it->second);
        if (!v)
          throw AwsError("ValidationException",
                         "1 validation error detected: Value '" + it->second + "' at '" + wire +
                             "' failed to satisfy constraint: Member must be a valid " + type_name(m.shape->type),
                         400);
        out[m.name] = *v;
      }
    } else if (m.location == "header") {
      std::string lower = wire;
      for (auto& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      const std::string* h = request.header(lower);
      if (!h) continue;
      auto v = scalar_from_text(*m.shape, *h);
      if (!v) throw AwsError("ValidationException", "Invalid value for header " + wire, 400);
      out[m.name] = *v;
    }
  }
  return out;
}

}  // namespace cloudbox::protocol
