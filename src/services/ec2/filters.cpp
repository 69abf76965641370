#include "services/ec2/filters.h"

#include <climits>

namespace cloudbox::ec2 {

namespace {
void scalar_text(const Json& v, std::vector<std::string>& out) {
  if (v.is_string()) out.push_back(v.get<std::string>());
  else if (v.is_boolean()) out.push_back(v.get<bool>() ? "true" : "false");
  else if (v.is_number_integer()) out.push_back(std::to_string(v.get<long long>()));
  else if (v.is_number()) out.push_back(v.dump());
}

void walk(const Json& v, std::string_view path, std::vector<std::string>& out) {
  if (v.is_array()) {
    for (const auto& e : v) walk(e, path, out);
    return;
  }
  if (path.empty()) {
    scalar_text(v, out);
    return;
  }
  if (!v.is_object()) return;
  size_t dot = path.find('.');
  std::string head(path.substr(0, dot));
  auto it = v.find(head);
  if (it == v.end()) return;
  walk(*it, dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1), out);
}

bool any_match(const std::vector<std::string>& patterns, const std::vector<std::string>& values) {
  for (const auto& p : patterns)
    for (const auto& v : values)
      if (wildcard_match(p, v)) return true;
  return false;
}
}  // namespace

void values_at(const Json& doc, std::string_view path, std::vector<std::string>& out) { walk(doc, path, out); }

Extractor by_path(std::string path) {
  return [path = std::move(path)](const Json& doc, std::vector<std::string>& out) { walk(doc, path, out); };
}

std::vector<Filter> read_filters(const Json& input, const char* member) {
  std::vector<Filter> out;
  auto it = input.find(member);
  if (it == input.end() || !it->is_array()) return out;
  for (const auto& f : *it) {
    Filter flt;
    flt.name = f.value("Name", "");
    if (auto v = f.find("Values"); v != f.end() && v->is_array())
      for (const auto& s : *v)
        if (s.is_string()) flt.values.push_back(s.get<std::string>());
    out.push_back(std::move(flt));
  }
  return out;
}

void check_filters(const std::vector<Filter>& filters, const FilterTable& table) {
  for (const auto& f : filters) {
    if (f.name.rfind("tag:", 0) == 0 || f.name == "tag-key" || f.name == "tag-value") continue;
    if (!table.count(f.name)) throw AwsError("InvalidParameterValue", "The filter '" + f.name + "' is invalid", 400);
  }
}

bool matches(const std::vector<Filter>& filters, const FilterTable& table, const Json& doc, const TagMap& tags) {
  std::vector<std::string> vals;
  for (const auto& f : filters) {
    if (f.values.empty()) continue;  // a filter without values constrains nothing
    vals.clear();
    if (f.name.rfind("tag:", 0) == 0) {
      auto it = tags.find(f.name.substr(4));
      if (it == tags.end()) return false;
      vals.push_back(it->second);
    } else if (f.name == "tag-key") {
      for (const auto& [k, v] : tags) vals.push_back(k);
    } else if (f.name == "tag-value") {
      for (const auto& [k, v] : tags) vals.push_back(v);
    } else {
      auto it = table.find(f.name);
      if (it == table.end()) return false;
      it->second(doc, vals);
    }
    if (!any_match(f.values, vals)) return false;
  }
  return true;
}

bool wildcard_match(std::string_view p, std::string_view t) {
  // Iterative glob with backtracking to the last '*'.
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '\\' && pi + 1 < p.size()) {
      if (p[pi + 1] == t[ti]) {
        pi += 2;
        ++ti;
        continue;
      }
    } else if (pi < p.size() && p[pi] == '?') {
      ++pi;
      ++ti;
      continue;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
      continue;
    } else if (pi < p.size() && p[pi] == t[ti]) {
      ++pi;
      ++ti;
      continue;
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    ti = ++mark;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Ec2Page page_request(const Json& input, const char* max_member, const char* token_member) {
  Ec2Page page;
  page.req.max_items = INT_MAX;
  if (auto it = input.find(max_member); it != input.end() && it->is_number_integer()) {
    page.req.max_items = std::max(1, it->get<int>());
    page.limited = true;
  }
  if (auto it = input.find(token_member); it != input.end() && it->is_string()) page.req.token = it->get<std::string>();
  Json params = input;
  params.erase(max_member);
  params.erase(token_member);
  params.erase("DryRun");
  page.req.binding = bind_token(params);
  return page;
}

}  // namespace cloudbox::ec2
