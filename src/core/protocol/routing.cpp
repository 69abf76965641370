// Which operation a request names: X-Amz-Target (json), Action (query, ec2), method + path (rest-json).
#include <vector>

#include "core/common/encoding.h"
#include "core/protocol/protocol.h"

namespace cloudbox::protocol {

Params parse_form(std::string_view text) {
  Params out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) amp = text.size();
    std::string_view pair = text.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = url_decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1));
      out.emplace(std::move(key), std::move(value));
    }
    pos = amp + 1;
  }
  return out;
}

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// Matches a requestUri template ("/schedules/{Name}", "/tags/{ResourceArn+}", "/x?y") against a request.
// Returns the number of literal segments matched (a specificity score), or -1.
int match_uri(std::string_view tmpl, std::string_view path, const Params& query,
              std::map<std::string, std::string>& labels) {
  std::string_view tmpl_path = tmpl, tmpl_query;
  if (auto q = tmpl.find('?'); q != std::string_view::npos) {
    tmpl_path = tmpl.substr(0, q);
    tmpl_query = tmpl.substr(q + 1);
  }
  auto want = split_path(tmpl_path);
  auto have = split_path(path);
  int score = 0;
  size_t i = 0;
  for (; i < want.size(); ++i) {
    std::string_view w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}') {
      std::string_view label = w.substr(1, w.size() - 2);
      if (!label.empty() && label.back() == '+') {
        label.remove_suffix(1);
        if (i >= have.size()) return -1;
        std::string rest;
        for (size_t k = i; k < have.size(); ++k) {
          if (k > i) rest += '/';
          rest += url_decode(have[k], false);
        }
        labels[std::string(label)] = rest;
        return score;
      }
      if (i >= have.size() || have[i].empty()) return -1;
      labels[std::string(label)] = url_decode(have[i], false);
    } else {
      if (i >= have.size() || have[i] != w) return -1;
      score += 2;
    }
  }
  if (i != have.size()) return -1;
  // Literal query parts of the template must be present.
  for (const auto& [k, v] : parse_form(tmpl_query)) {
    auto it = query.find(k);
    if (it == query.end() || (!v.empty() && it->second != v)) return -1;
    score += 1;
  }
  return score;
}

}  // namespace

const Operation* resolve_operation(const ServiceModel& model, const HttpRequest& request, const Params& params,
                                   std::string& name, std::map<std::string, std::string>& labels) {
  if (model.protocol == "json") {
    const std::string* target = request.header("x-amz-target");
    if (!target) return nullptr;
    auto dot = target->rfind('.');
    name = dot == std::string::npos ? *target : target->substr(dot + 1);
    if (dot == std::string::npos || target->substr(0, dot) != model.target_prefix) return nullptr;
    return model.operation(name);
  }
  if (model.protocol == "query" || model.protocol == "ec2") {
    auto it = params.find("Action");
    if (it == params.end()) return nullptr;
    name = it->second;
    return model.operation(name);
  }
  // rest-json / rest-xml: the most specific template that matches.
  const Operation* best = nullptr;
  int best_score = -1;
  Params query = parse_form(request.query);
  for (const auto& [op_name, op] : model.operations()) {
    if (op.http_method != request.method) continue;
    std::map<std::string, std::string> found;
    int score = match_uri(op.request_uri, request.path, query, found);
    if (score > best_score) {
      best_score = score;
      best = &op;
      labels = std::move(found);
    }
  }
  if (best) name = best->name;
  else name = request.method + " " + request.path;
  return best;
}

}  // namespace cloudbox::protocol
