// Input documents checked against the model's constraints, with AWS's messages:
// "2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: Member must …; …"
#include <cmath>

#include "core/common/encoding.h"
#include "core/protocol/protocol.h"

namespace cloudbox::protocol {

std::string validation_error_code(std::string_view protocol) {
  if (protocol == "query") return "ValidationError";
  if (protocol == "ec2") return "InvalidParameterValue";
  return "ValidationException";
}

namespace {

std::string lower_camel(const std::string& name) {
  if (name.empty()) return name;
  std::string out = name;
  // Leading acronyms are lowered as a block (e.g. "KMSKeyId" → "kMSKeyId" in AWS's messages): AWS lowers
  // only the first character, so do the same.
  out[0] = char(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

struct Validator {
  std::vector<std::string> errors;
  std::vector<std::string> missing_wire;  // EC2 reports missing parameters by wire name

  std::string show(const Json& v, const Shape& s) {
    if (s.sensitive) return "Value '***'";
    if (v.is_string()) return "Value '" + v.get<std::string>() + "'";
    if (v.is_array() || v.is_object()) return "Value '" + v.dump() + "'";
    return "Value '" + v.dump() + "'";
  }

  void fail(const Json& v, const Shape& s, const std::string& path, const std::string& constraint) {
    errors.push_back(show(v, s) + " at '" + path + "' failed to satisfy constraint: " + constraint);
  }

  void check(const Shape& s, const Json& v, const std::string& path) {
    switch (s.type) {
      case ShapeType::Structure: {
        if (!v.is_object() || s.document) return;
        for (const auto& r : s.required) {
          if (!v.contains(r) || v[r].is_null()) {
            const MemberRef* m = s.member(r);
            std::string p = path.empty() ? lower_camel(r) : path + "." + lower_camel(r);
            errors.push_back("Value null at '" + p + "' failed to satisfy constraint: Member must not be null");
            std::string wire = m && !m->query_name.empty() ? m->query_name
                               : m && !m->location_name.empty() ? m->location_name : r;
            wire[0] = char(std::toupper(static_cast<unsigned char>(wire[0])));
            missing_wire.push_back(wire);
          }
        }
        for (auto it = v.begin(); it != v.end(); ++it) {
          const MemberRef* m = s.member(it.key());
          if (!m || it.value().is_null()) continue;
          check(*m->shape, it.value(), path.empty() ? lower_camel(m->name) : path + "." + lower_camel(m->name));
        }
        return;
      }
      case ShapeType::List: {
        if (!v.is_array()) return;
        if (s.min && double(v.size()) < *s.min)
          fail(v, s, path, "Member must have length greater than or equal to " + std::to_string(long(*s.min)));
        if (s.max && double(v.size()) > *s.max)
          fail(v, s, path, "Member must have length less than or equal to " + std::to_string(long(*s.max)));
        for (size_t i = 0; i < v.size(); ++i)
          check(*s.list_member.shape, v[i], path + "." + std::to_string(i + 1) + ".member");
        return;
      }
      case ShapeType::Map: {
        if (!v.is_object()) return;
        if (s.min && double(v.size()) < *s.min)
          fail(v, s, path, "Member must have length greater than or equal to " + std::to_string(long(*s.min)));
        if (s.max && double(v.size()) > *s.max)
          fail(v, s, path, "Member must have length less than or equal to " + std::to_string(long(*s.max)));
        for (auto it = v.begin(); it != v.end(); ++it) {
          check(*s.map_key.shape, it.key(), path + ".key");
          check(*s.map_value.shape, it.value(), path + ".value");
        }
        return;
      }
      case ShapeType::String: {
        if (!v.is_string()) return;
        const std::string& str = v.get_ref<const std::string&>();
        size_t len = utf8_length(str);
        if (s.min && double(len) < *s.min)
          fail(v, s, path, "Member must have length greater than or equal to " + std::to_string(long(*s.min)));
        if (s.max && double(len) > *s.max)
          fail(v, s, path, "Member must have length less than or equal to " + std::to_string(long(*s.max)));
        if (!s.enum_values.empty()) {
          bool ok = false;
          for (const auto& e : s.enum_values) ok = ok || e == str;
          if (!ok) {
            std::string set;
            for (const auto& e : s.enum_values) set += (set.empty() ? "" : ", ") + e;
            fail(v, s, path, "Member must satisfy enum value set: [" + set + "]");
          }
        }
        if (const std::regex* re = s.pattern_regex(); re && !str.empty() && len <= 4096) {
          if (!std::regex_match(str, *re)) fail(v, s, path, "Member must satisfy regular expression pattern: " + s.pattern);
        }
        return;
      }
      case ShapeType::Integer:
      case ShapeType::Long:
      case ShapeType::Float:
      case ShapeType::Double: {
        if (!v.is_number()) return;
        double d = v.get<double>();
        auto num = [](double x) {
          return std::floor(x) == x ? std::to_string(static_cast<long long>(x)) : std::to_string(x);
        };
        if (s.min && d < *s.min) fail(v, s, path, "Member must have value greater than or equal to " + num(*s.min));
        if (s.max && d > *s.max) fail(v, s, path, "Member must have value less than or equal to " + num(*s.max));
        return;
      }
      case ShapeType::Blob: {
        if (!v.is_string()) return;
        size_t len = v.get_ref<const std::string&>().size();
        if (s.min && double(len) < *s.min)
          fail(v, s, path, "Member must have length greater than or equal to " + std::to_string(long(*s.min)));
        if (s.max && double(len) > *s.max)
          fail(v, s, path, "Member must have length less than or equal to " + std::to_string(long(*s.max)));
        return;
      }
      default:
        return;
    }
  }
};

}  // namespace

void validate_input(const ServiceModel& model, const Operation& op, const Json& input) {
  if (!op.input) return;
  Validator v;
  v.check(*op.input, input, "");
  if (v.errors.empty()) return;
  if (model.protocol == "ec2") {
    if (!v.missing_wire.empty())
      throw AwsError("MissingParameter", "The request must contain the parameter " + v.missing_wire.front(), 400);
    throw AwsError("InvalidParameterValue", v.errors.front(), 400);
  }
  std::string msg = std::to_string(v.errors.size()) + (v.errors.size() == 1 ? " validation error" : " validation errors") +
                    " detected: ";
  for (size_t i = 0; i < v.errors.size(); ++i) msg += (i ? "; " : "") + v.errors[i];
  throw AwsError(validation_error_code(model.protocol), msg, 400);
}

}  // namespace cloudbox::protocol
