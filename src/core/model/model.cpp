#include "core/model/model.h"

#include <mutex>
#include <stdexcept>

namespace cloudbox {

extern const std::pair<std::string_view, std::string_view> kEmbeddedModels[];

std::string_view embedded_model(std::string_view name) {
  for (size_t i = 0; !kEmbeddedModels[i].first.empty(); ++i)
    if (kEmbeddedModels[i].first == name) return kEmbeddedModels[i].second;
  return {};
}

const std::vector<std::string>& embedded_model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (size_t i = 0; !kEmbeddedModels[i].first.empty(); ++i) out.emplace_back(kEmbeddedModels[i].first);
    return out;
  }();
  return names;
}

const Json& embedded_model_metadata(std::string_view name) {
  static const std::map<std::string, Json, std::less<>> all = [] {
    std::map<std::string, Json, std::less<>> out;
    for (const auto& n : embedded_model_names()) {
      std::string_view text = embedded_model(n);
      size_t start = text.find("\"metadata\":{");
      Json md = Json::object();
      if (start != std::string_view::npos) {
        start += std::string_view("\"metadata\":").size();
        int depth = 0;
        size_t end = start;
        for (; end < text.size(); ++end) {
          if (text[end] == '{') ++depth;
          if (text[end] == '}' && --depth == 0) break;
        }
        md = Json::parse(text.substr(start, end - start + 1), nullptr, false);
        if (md.is_discarded()) md = Json::object();
      }
      out.emplace(n, std::move(md));
    }
    return out;
  }();
  static const Json empty = Json::object();
  auto it = all.find(name);
  return it == all.end() ? empty : it->second;
}

bool embedded_model_has_operation(std::string_view name, std::string_view operation) {
  std::string needle = "\"" + std::string(operation) + "\":{\"name\":\"" + std::string(operation) + "\"";
  return embedded_model(name).find(needle) != std::string_view::npos;
}

namespace {

ShapeType type_of(const std::string& t) {
  static const std::unordered_map<std::string, ShapeType> kTypes = {
      {"structure", ShapeType::Structure}, {"list", ShapeType::List},       {"map", ShapeType::Map},
      {"string", ShapeType::String},       {"integer", ShapeType::Integer}, {"long", ShapeType::Long},
      {"float", ShapeType::Float},         {"double", ShapeType::Double},   {"boolean", ShapeType::Boolean},
      {"timestamp", ShapeType::Timestamp}, {"blob", ShapeType::Blob}};
  auto it = kTypes.find(t);
  return it == kTypes.end() ? ShapeType::Unknown : it->second;
}

}  // namespace

const std::regex* Shape::pattern_regex() const {
  std::call_once(regex_once_, [this] {
    if (pattern.empty()) return;
    // AWS patterns are Java regexes; \p{…} classes and possessive forms have no ECMAScript equivalent.
    if (pattern.find("\\p{") != std::string::npos || pattern.find("\\P{") != std::string::npos) return;
    try {
      regex_ = std::make_unique<std::regex>(pattern, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
    }
  });
  return regex_.get();
}

std::unique_ptr<ServiceModel> ServiceModel::parse(std::string_view name, std::string_view text) {
  // ordered_json keeps members in model order, which is the order AWS writes XML elements in.
  using MJson = nlohmann::ordered_json;
  MJson doc = MJson::parse(text);
  auto m = std::make_unique<ServiceModel>();
  m->name = std::string(name);
  const MJson& md = doc.at("metadata");
  m->protocol = md.value("protocol", "");
  m->api_version = md.value("apiVersion", "");
  m->target_prefix = md.value("targetPrefix", "");
  m->json_version = md.value("jsonVersion", "1.1");
  m->endpoint_prefix = md.value("endpointPrefix", "");
  m->signing_name = md.value("signingName", m->endpoint_prefix);
  m->service_id = md.value("serviceId", "");
  m->xml_namespace = md.value("xmlNamespace", "");
  if (doc.contains("paginators")) m->paginators = Json::parse(doc["paginators"].dump());

  const MJson& shapes = doc.at("shapes");
  for (auto it = shapes.begin(); it != shapes.end(); ++it) {
    auto s = std::make_unique<Shape>();
    s->name = it.key();
    m->shapes_[it.key()] = std::move(s);
  }
  auto ref = [&](const MJson& j, const std::string& member_name) {
    MemberRef r;
    r.name = member_name;
    auto found = m->shapes_.find(j.at("shape").get<std::string>());
    if (found == m->shapes_.end()) throw std::runtime_error("model " + m->name + ": unknown shape " + j.dump());
    r.shape = found->second.get();
    r.location = j.value("location", "");
    r.location_name = j.value("locationName", "");
    r.query_name = j.value("queryName", "");
    r.flattened = j.value("flattened", false);
    r.xml_attribute = j.value("xmlAttribute", false);
    r.idempotency_token = j.value("idempotencyToken", false);
    r.json_value = j.value("jsonvalue", false);
    r.timestamp_format = j.value("timestampFormat", "");
    return r;
  };
  for (auto it = shapes.begin(); it != shapes.end(); ++it) {
    const MJson& j = it.value();
    Shape& s = *m->shapes_[it.key()];
    s.type = type_of(j.value("type", ""));
    if (j.contains("min")) s.min = j["min"].get<double>();
    if (j.contains("max")) s.max = j["max"].get<double>();
    s.pattern = j.value("pattern", "");
    if (j.contains("enum")) s.enum_values = j["enum"].get<std::vector<std::string>>();
    s.timestamp_format = j.value("timestampFormat", "");
    s.flattened = j.value("flattened", false);
    s.location_name = j.value("locationName", "");
    s.payload = j.value("payload", "");
    s.sensitive = j.value("sensitive", false);
    s.document = j.value("document", false);
    s.union_ = j.value("union", false);
    if (j.contains("required")) s.required = j["required"].get<std::vector<std::string>>();
    if (s.type == ShapeType::Structure && j.contains("members")) {
      for (auto mi = j["members"].begin(); mi != j["members"].end(); ++mi) {
        s.member_index[mi.key()] = s.members.size();
        s.members.push_back(ref(mi.value(), mi.key()));
      }
    }
    if (s.type == ShapeType::List) s.list_member = ref(j.at("member"), "member");
    if (s.type == ShapeType::Map) {
      s.map_key = ref(j.at("key"), "key");
      s.map_value = ref(j.at("value"), "value");
    }
    if (j.value("exception", false) || j.contains("error")) {
      s.exception = true;
      s.error_code = s.name;
      if (j.contains("error")) {
        const MJson& e = j["error"];
        s.error_code = e.value("code", s.name);
        s.http_status = e.value("httpStatusCode", 400);
        s.sender_fault = e.value("senderFault", true);
      }
      m->errors_by_code_[s.name] = &s;
      m->errors_by_code_.emplace(s.error_code, &s);
    }
  }
  for (auto it = doc.at("operations").begin(); it != doc.at("operations").end(); ++it) {
    const MJson& j = it.value();
    Operation op;
    op.name = it.key();
    if (j.contains("http")) {
      op.http_method = j["http"].value("method", "POST");
      op.request_uri = j["http"].value("requestUri", "/");
      op.success_code = j["http"].value("responseCode", 200);
    }
    if (j.contains("input")) op.input = m->shape(j["input"].at("shape").get<std::string>());
    if (j.contains("output")) {
      op.output = m->shape(j["output"].at("shape").get<std::string>());
      op.result_wrapper = j["output"].value("resultWrapper", "");
    }
    if (j.contains("errors"))
      for (const auto& e : j["errors"])
        if (auto* s = m->shape(e.at("shape").get<std::string>())) op.errors.push_back(s);
    m->operations_.emplace(op.name, std::move(op));
  }
  return m;
}

const Operation* ServiceModel::operation(std::string_view op) const {
  auto it = operations_.find(op);
  return it == operations_.end() ? nullptr : &it->second;
}

const Shape* ServiceModel::shape(std::string_view n) const {
  auto it = shapes_.find(std::string(n));
  return it == shapes_.end() ? nullptr : it->second.get();
}

const Shape* ServiceModel::error_shape(std::string_view code) const {
  auto it = errors_by_code_.find(std::string(code));
  return it == errors_by_code_.end() ? nullptr : it->second;
}

}  // namespace cloudbox
