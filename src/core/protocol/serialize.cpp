// Output documents → responses, and errors → each protocol's envelope, by walking the output shape.
#include <charconv>

#include "core/common/encoding.h"
#include "core/protocol/protocol.h"
#include "core/protocol/scalars.h"
#include "core/protocol/xml_writer.h"

namespace cloudbox::protocol {
namespace {

// ---- JSON ----
// Written straight to text while walking the output shape: no intermediate tree, no copies.

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0, run = 0;  // [run, i) is a stretch of bytes copied as they are
  auto flush = [&] {
    if (i > run) out.append(s.data() + run, i - run);
  };
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      // A valid UTF-8 sequence stays in the run; an invalid byte becomes U+FFFD.
      size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = len && i + len <= s.size();
      for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (ok) {
        i += len;
        continue;
      }
      flush();
      out += "\xEF\xBF\xBD";
      run = ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    run = ++i;
  }
  flush();
  out += '"';
}

void append_number(std::string& out, const Json& v) {
  if (v.is_number_integer()) {
    out += v.is_number_unsigned() ? std::to_string(v.get<unsigned long long>()) : std::to_string(v.get<long long>());
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof buf, v.get<double>());
    out.append(buf, res.ptr);
  }
}

void write_json(std::string& out, const Shape& s, const Json& v, std::string_view ts_format) {
  switch (s.type) {
    case ShapeType::Structure: {
      if (!v.is_object() || s.document) break;
      out += '{';
      bool first = true;
      // Walk the document's members (usually far fewer than the shape's) and look each up in the shape;
      // JSON member order carries no meaning. Members the shape does not know are left out.
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (it->is_null()) continue;
        const MemberRef* m = s.member(it.key());
        if (!m || !m->location.empty()) continue;  // headers, status codes: not in the body
        if (!first) out += ',';
        first = false;
        append_escaped(out, m->location_name.empty() ? m->name : m->location_name);
        out += ':';
        write_json(out, *m->shape, *it, m->timestamp_format.empty() ? m->shape->timestamp_format : m->timestamp_format);
      }
      out += '}';
      return;
    }
    case ShapeType::List: {
      out += '[';
      if (v.is_array()) {
        bool first = true;
        for (const auto& item : v) {
          if (!first) out += ',';
          first = false;
          write_json(out, *s.list_member.shape, item, s.list_member.shape->timestamp_format);
        }
      }
      out += ']';
      return;
    }
    case ShapeType::Map: {
      out += '{';
      if (v.is_object()) {
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
          if (!first) out += ',';
          first = false;
          append_escaped(out, it.key());
          out += ':';
          write_json(out, *s.map_value.shape, it.value(), s.map_value.shape->timestamp_format);
        }
      }
      out += '}';
      return;
    }
    case ShapeType::Timestamp: {
      Json t = timestamp_to_json(v, ts_format.empty() ? "unixTimestamp" : ts_format);
      if (t.is_string()) append_escaped(out, t.get_ref<const std::string&>());
      else if (t.is_number()) append_number(out, t);
      else break;
      return;
    }
    case ShapeType::Blob:
      if (!v.is_string()) break;
      append_escaped(out, base64_encode(v.get_ref<const std::string&>()));
      return;
    default:
      if (v.is_string()) {
        append_escaped(out, v.get_ref<const std::string&>());
        return;
      }
      if (v.is_number()) {
        append_number(out, v);
        return;
      }
      if (v.is_boolean()) {
        out += v.get<bool>() ? "true" : "false";
        return;
      }
  }
  // A value that does not fit its shape (or a document): written as it is.
  out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string shape_json(const Shape& s, const Json& v) {
  std::string out;
  out.reserve(256);
  write_json(out, s, v, "");
  return out;
}

std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// ---- XML (query and ec2) ----

struct XmlOut {
  XmlWriter w;
  bool ec2;

  std::string element_name(const MemberRef& m) const { return m.location_name.empty() ? m.name : m.location_name; }

  void value(const Shape& s, const Json& v, const std::string& tag, std::string_view ts_format) {
    switch (s.type) {
      case ShapeType::Structure:
        w.open(tag);
        members(s, v);
        w.close(tag);
        return;
      case ShapeType::List:
        w.open(tag);
        list_items(s, v);
        w.close(tag);
        return;
      case ShapeType::Map:
        w.open(tag);
        map_entries(s, v);
        w.close(tag);
        return;
      default:
        w.element(tag, scalar_to_text(s, v, ts_format.empty() ? "iso8601" : ts_format));
    }
  }

  void list_items(const Shape& s, const Json& v) {
    if (!v.is_array()) return;
    std::string item = s.list_member.location_name.empty() ? (ec2 ? "item" : "member") : s.list_member.location_name;
    for (const auto& e : v) value(*s.list_member.shape, e, item, s.list_member.shape->timestamp_format);
  }

  void map_entries(const Shape& s, const Json& v, bool flattened = false, const std::string& flat_tag = "") {
    if (!v.is_object()) return;
    std::string k = s.map_key.location_name.empty() ? "key" : s.map_key.location_name;
    std::string val = s.map_value.location_name.empty() ? "value" : s.map_value.location_name;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& entry = flattened ? flat_tag : std::string("entry");
      w.open(entry);
      w.element(k, it.key());
      value(*s.map_value.shape, it.value(), val, s.map_value.shape->timestamp_format);
      w.close(entry);
    }
  }

  void members(const Shape& s, const Json& v) {
    if (!v.is_object()) return;
    for (const auto& m : s.members) {
      auto it = v.find(m.name);
      if (it == v.end() || it->is_null()) continue;
      std::string tag = element_name(m);
      bool flat = m.flattened || m.shape->flattened;
      if (m.shape->type == ShapeType::List && flat) {
        std::string item = m.shape->list_member.location_name.empty() ? tag : m.shape->list_member.location_name;
        if (it->is_array())
          for (const auto& e : *it) value(*m.shape->list_member.shape, e, item, m.shape->list_member.shape->timestamp_format);
      } else if (m.shape->type == ShapeType::Map && flat) {
        map_entries(*m.shape, *it, true, tag);
      } else {
        value(*m.shape, *it, tag, m.timestamp_format.empty() ? m.shape->timestamp_format : m.timestamp_format);
      }
    }
  }
};

std::string xml_namespace(const ServiceModel& model) {
  if (!model.xml_namespace.empty()) {
    // Responses carry the namespace with a trailing slash (the EC2 model omits it).
    return model.xml_namespace.back() == '/' ? model.xml_namespace : model.xml_namespace + "/";
  }
  if (model.protocol == "ec2") return "http://ec2.amazonaws.com/doc/" + model.api_version + "/";
  return "https://" + model.endpoint_prefix + ".amazonaws.com/doc/" + model.api_version + "/";
}

}  // namespace

HttpResponse serialize_output(const ServiceModel& model, const Operation& op, const Json& output,
                              const std::string& request_id) {
  HttpResponse r;
  r.status = op.success_code;
  if (model.protocol == "json") {
    r.set_header("Content-Type", "application/x-amz-json-" + model.json_version);
    r.set_header("x-amzn-RequestId", request_id);
    r.body = op.output ? shape_json(*op.output, output) : "{}";
    return r;
  }
  if (model.protocol == "query" || model.protocol == "ec2") {
    bool ec2 = model.protocol == "ec2";
    XmlOut x{XmlWriter(), ec2};
    x.w.declaration();
    std::string root = op.name + "Response";
    x.w.open(root, xml_namespace(model));
    if (ec2) {
      x.w.element("requestId", request_id);
      if (op.output) x.members(*op.output, output);
    } else {
      if (op.output) {
        std::string wrapper = op.result_wrapper.empty() ? op.name + "Result" : op.result_wrapper;
        x.w.open(wrapper);
        x.members(*op.output, output);
        x.w.close(wrapper);
      }
      x.w.open("ResponseMetadata");
      x.w.element("RequestId", request_id);
      x.w.close("ResponseMetadata");
    }
    x.w.close(root);
    r.set_header("Content-Type", "text/xml");
    r.set_header("x-amzn-RequestId", request_id);
    r.body = x.w.take();
    return r;
  }
  // rest-json
  r.set_header("x-amzn-RequestId", request_id);
  if (!op.output) {
    r.set_header("Content-Type", "application/json");
    r.body = "{}";
    return r;
  }
  const Shape& out = *op.output;
  for (const auto& m : out.members) {
    auto it = output.find(m.name);
    if (it == output.end() || it->is_null()) continue;
    std::string wire = m.location_name.empty() ? m.name : m.location_name;
    if (m.location == "header")
      r.set_header(wire, scalar_to_text(*m.shape, *it, m.timestamp_format.empty() ? "rfc822" : m.timestamp_format));
    else if (m.location == "statusCode" && it->is_number())
      r.status = it->get<int>();
  }
  if (!out.payload.empty()) {
    const MemberRef* p = out.member(out.payload);
    auto it = output.find(out.payload);
    if (p && it != output.end()) {
      if (p->shape->type == ShapeType::Structure) {
        r.set_header("Content-Type", "application/json");
        r.body = shape_json(*p->shape, *it);
      } else {
        r.set_header("Content-Type", "application/octet-stream");
        r.body = it->is_string() ? it->get<std::string>() : it->dump();
      }
    }
    return r;
  }
  r.set_header("Content-Type", "application/json");
  r.body = shape_json(out, output);
  return r;
}

WireError wire_error(const ServiceModel* model, std::string_view protocol, const AwsError& error) {
  WireError w{error.code, error.http_status ? error.http_status : 400, error.sender_fault};
  if (model) {
    if (const Shape* s = model->error_shape(error.code)) {
      bool query_like = protocol == "query" || protocol == "ec2";
      w.code = query_like ? s->error_code : s->name;
      if (!error.http_status) w.status = s->http_status;
      w.sender_fault = s->sender_fault;
    }
  }
  return w;
}

HttpResponse serialize_error(const ServiceModel* model, std::string_view protocol, const AwsError& error,
                             const std::string& request_id) {
  WireError w = wire_error(model, protocol, error);
  HttpResponse r;
  r.status = w.status;
  r.set_header("x-amzn-RequestId", request_id);
  if (protocol == "json" || protocol == "rest-json") {
    r.set_header("Content-Type", protocol == "json" && model
                                     ? "application/x-amz-json-" + model->json_version
                                     : std::string("application/json"));
    r.set_header("x-amzn-ErrorType", w.code);
    Json body = {{"__type", w.code}, {"Message", error.what()}};
    if (protocol == "rest-json") body = {{"Message", error.what()}};
    r.body = dump_json(body);
    return r;
  }
  XmlWriter x;
  x.declaration();
  if (protocol == "ec2") {
    x.open("Response");
    x.open("Errors");
    x.open("Error");
    x.element("Code", w.code);
    x.element("Message", error.what());
    x.close("Error");
    x.close("Errors");
    x.element("RequestID", request_id);
    x.close("Response");
  } else {
    x.open("ErrorResponse", model ? xml_namespace(*model) : std::string());
    x.open("Error");
    x.element("Type", w.sender_fault ? "Sender" : "Receiver");
    x.element("Code", w.code);
    x.element("Message", error.what());
    x.close("Error");
    x.element("RequestId", request_id);
    x.close("ErrorResponse");
  }
  r.set_header("Content-Type", "text/xml");
  r.body = x.take();
  return r;
}

}  // namespace cloudbox::protocol
