// Policy documents: validation with IAM's MalformedPolicyDocument messages, the size IAM counts, and parsing
// into statements (with each statement's position in the text, which the simulator reports).
#include <algorithm>
#include <cctype>
#include <set>

#include "core/common/ids.h"
#include "services/iam/policy/policy.h"

namespace cloudbox::iam::policy {

namespace {

constexpr const char* kSyntax = "Syntax errors in policy.";

const std::set<std::string>& condition_operators() {
  static const std::set<std::string> ops = {
      "StringEquals",      "StringNotEquals",          "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
      "StringLike",        "StringNotLike",            "NumericEquals",          "NumericNotEquals",
      "NumericLessThan",   "NumericLessThanEquals",    "NumericGreaterThan",     "NumericGreaterThanEquals",
      "DateEquals",        "DateNotEquals",            "DateLessThan",           "DateLessThanEquals",
      "DateGreaterThan",   "DateGreaterThanEquals",    "Bool",                   "BinaryEquals",
      "IpAddress",         "NotIpAddress",             "ArnEquals",              "ArnLike",
      "ArnNotEquals",      "ArnNotLike",               "Null"};
  return ops;
}

bool valid_operator(std::string op) {
  if (op.rfind("ForAnyValue:", 0) == 0) op = op.substr(12);
  else if (op.rfind("ForAllValues:", 0) == 0) op = op.substr(13);
  if (op.size() > 8 && op.compare(op.size() - 8, 8, "IfExists") == 0 && op != "NullIfExists") op.resize(op.size() - 8);
  return condition_operators().count(op) > 0;
}

// "vendor:name": a vendor prefix of letters, digits and dashes, and something after the colon.
bool has_vendor(const std::string& s) {
  auto colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = s[i];
    if (!std::isalnum(c) && c != '-' && c != '*' && c != '?') return false;
  }
  return true;
}

// A string or a non-empty list of strings.
bool string_or_list(const Json& v) {
  if (v.is_string()) return true;
  if (!v.is_array()) return false;
  for (const auto& e : v)
    if (!e.is_string()) return false;
  return true;
}

std::vector<std::string> strings_of(const Json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  else if (v.is_array())
    for (const auto& e : v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

std::string principal_text(const std::string& type, const std::string& value) {
  return "\"" + type + "\":\"" + value + "\"";
}

bool valid_aws_principal(const std::string& v) {
  if (v == "*" || is_account_id(v)) return true;
  if (v.rfind("arn:", 0) != 0) return false;
  // arn:PARTITION:iam::ACCT:root|user/…|role/…|group? (not groups)|federated-user… ; arn:aws:sts::ACCT:assumed-role/…
  size_t p[5];
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    pos = v.find(':', pos);
    if (pos == std::string::npos) return false;
    p[i] = pos++;
  }
  std::string service = v.substr(p[1] + 1, p[2] - p[1] - 1);
  std::string account = v.substr(p[3] + 1, p[4] - p[3] - 1);
  std::string resource = v.substr(p[4] + 1);
  if (!is_account_id(account) || resource.empty()) return false;
  if (service == "iam")
    return resource == "root" || resource.rfind("user/", 0) == 0 || resource.rfind("role/", 0) == 0 ||
           resource.rfind("federated-user/", 0) == 0;
  if (service == "sts") return resource.rfind("assumed-role/", 0) == 0 || resource.rfind("federated-user/", 0) == 0;
  return false;
}

std::optional<std::string> check_principal(const Json& p) {
  if (p.is_string()) {
    if (p.get<std::string>() == "*") return std::nullopt;
    return "Invalid principal in policy: " + p.dump();
  }
  if (!p.is_object() || p.empty()) return std::string(kSyntax);
  for (const auto& [type, value] : p.items()) {
    if (type != "AWS" && type != "Service" && type != "Federated" && type != "CanonicalUser") return std::string(kSyntax);
    if (!string_or_list(value)) return std::string(kSyntax);
    auto values = strings_of(value);
    if (values.empty())
      return std::string(
          "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a "
          "statement with no principals!");
    for (const auto& v : values) {
      if (type == "AWS" && !valid_aws_principal(v)) return "Invalid principal in policy: " + principal_text(type, v);
      if (type == "Service" && (v.empty() || v.find('.') == std::string::npos) && v != "*")
        return "Invalid principal in policy: " + principal_text(type, v);
      if (v.empty()) return "Invalid principal in policy: " + principal_text(type, v);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_statement(const Json& s, Kind kind, std::set<std::string>& sids) {
  if (!s.is_object()) return std::string(kSyntax);
  static const std::set<std::string> allowed = {"Sid",         "Effect",    "Action",       "NotAction", "Resource",
                                                "NotResource", "Principal", "NotPrincipal", "Condition"};
  for (const auto& [k, v] : s.items())
    if (!allowed.count(k)) return std::string(kSyntax);

  if (s.contains("Sid")) {
    if (!s["Sid"].is_string()) return std::string(kSyntax);
    std::string sid = s["Sid"].get<std::string>();
    // Trust and resource policies allow any Sid characters; identity policies only alphanumerics.
    if (kind == Kind::Identity)
      for (unsigned char c : sid)
        if (!std::isalnum(c))
          return std::string(
              "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression "
              "[0-9A-Za-z]*");
    if (!sid.empty() && !sids.insert(sid).second)
      return std::string("Statement IDs (SID) in a single policy must be unique.");
  }

  if (!s.contains("Effect")) return std::string("Missing required field Effect");
  if (!s["Effect"].is_string()) return std::string(kSyntax);
  std::string effect = s["Effect"].get<std::string>();
  if (effect != "Allow" && effect != "Deny") return std::string(kSyntax);

  bool has_action = s.contains("Action"), has_not_action = s.contains("NotAction");
  if (has_action && has_not_action) return std::string(kSyntax);
  if (!has_action && !has_not_action) return std::string("Policy statement must contain actions.");
  const Json& actions = has_action ? s["Action"] : s["NotAction"];
  if (!string_or_list(actions)) return std::string(kSyntax);
  auto action_list = strings_of(actions);
  if (action_list.empty()) return std::string("Policy statement must contain actions.");
  for (const auto& a : action_list)
    if (a != "*" && !has_vendor(a)) return std::string("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");

  bool has_res = s.contains("Resource"), has_not_res = s.contains("NotResource");
  if (has_res && has_not_res) return std::string(kSyntax);
  if (kind == Kind::Trust) {
    if (has_res) return std::string("Has prohibited field Resource");
    if (has_not_res) return std::string("Has prohibited field NotResource");
  } else {
    if (!has_res && !has_not_res) return std::string("Policy statement must contain resources.");
    const Json& res = has_res ? s["Resource"] : s["NotResource"];
    if (!string_or_list(res)) return std::string(kSyntax);
    auto list = strings_of(res);
    if (list.empty()) return std::string("Policy statement must contain resources.");
    for (const auto& r : list) {
      if (r == "*") continue;
      if (r.rfind("arn:", 0) != 0 || std::count(r.begin(), r.end(), ':') < 5)
        return "Resource " + r + " must be in ARN format or \"*\".";
    }
  }

  bool has_p = s.contains("Principal"), has_np = s.contains("NotPrincipal");
  if (has_p && has_np) return std::string(kSyntax);
  if (kind == Kind::Identity) {
    if (has_p || has_np) return std::string("Policy document should not specify a principal.");
  } else {
    if (!has_p && !has_np) return std::string("Missing required field Principal");
    if (kind == Kind::Trust && has_np) return std::string("Has prohibited field NotPrincipal");
    if (auto e = check_principal(has_p ? s["Principal"] : s["NotPrincipal"])) return e;
  }

  if (s.contains("Condition")) {
    const Json& c = s["Condition"];
    if (!c.is_object()) return std::string(kSyntax);
    for (const auto& [op, block] : c.items()) {
      if (!valid_operator(op)) return "Invalid Condition type : " + op;
      if (!block.is_object()) return std::string(kSyntax);
      for (const auto& [key, value] : block.items()) {
        if (!has_vendor(key)) return std::string("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        auto scalar = [](const Json& v) { return v.is_string() || v.is_boolean() || v.is_number(); };
        if (value.is_array()) {
          for (const auto& e : value)
            if (!scalar(e)) return std::string(kSyntax);
        } else if (!scalar(value)) {
          return std::string(kSyntax);
        }
      }
    }
  }
  return std::nullopt;
}

// Walks the document text to find where each statement object starts and ends (1-based line and column).
std::vector<std::pair<Position, Position>> statement_spans(std::string_view text) {
  std::vector<std::pair<Position, Position>> out;
  int line = 1, col = 0;
  int depth = 0;
  bool in_string = false, escape = false;
  std::string last_string;
  std::string current;
  bool statement_next = false;  // saw "Statement": at depth 1
  int statement_depth = -1;     // depth at which statement objects open
  Position start;
  int open_depth = -1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      col = 0;
    } else {
      ++col;
    }
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false, last_string = current;
      else current.push_back(c);
      continue;
    }
    if (c == '"') {
      in_string = true;
      current.clear();
      continue;
    }
    if (c == ':' && depth == 1 && last_string == "Statement") {
      statement_next = true;
      continue;
    }
    if (c == '{' || c == '[') {
      if (statement_next) {
        statement_next = false;
        if (c == '[') statement_depth = depth + 1;
        else statement_depth = depth;
      }
      if (c == '{' && depth == statement_depth && open_depth < 0) {
        start = {line, col};
        open_depth = depth;
      }
      ++depth;
      continue;
    }
    if (c == '}' || c == ']') {
      --depth;
      if (c == '}' && depth == open_depth) {
        out.push_back({start, Position{line, col + 1}});
        open_depth = -1;
      }
      if (depth < statement_depth) statement_depth = -1;
      continue;
    }
  }
  return out;
}

}  // namespace

size_t policy_size(std::string_view text) {
  size_t n = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      ++n;
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      ++n;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c))) ++n;
  }
  return n;
}

std::optional<std::string> validate(std::string_view text, Kind kind) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::string(kSyntax);
  for (const auto& [k, v] : doc.items())
    if (k != "Version" && k != "Id" && k != "Statement") return std::string(kSyntax);
  if (doc.contains("Version")) {
    if (!doc["Version"].is_string()) return std::string(kSyntax);
    std::string v = doc["Version"].get<std::string>();
    if (v != "2012-10-17" && v != "2008-10-17") return std::string("The policy failed legacy parsing");
  }
  if (doc.contains("Id") && !doc["Id"].is_string()) return std::string(kSyntax);
  if (!doc.contains("Statement")) return std::string(kSyntax);
  const Json& st = doc["Statement"];
  std::set<std::string> sids;
  if (st.is_object()) return check_statement(st, kind, sids);
  if (!st.is_array() || st.empty()) return std::string(kSyntax);
  for (const auto& s : st)
    if (auto e = check_statement(s, kind, sids)) return e;
  return std::nullopt;
}

std::optional<Policy> Policy::parse(std::string_view text, std::string id, std::string type) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  Policy p;
  p.id = std::move(id);
  p.type = std::move(type);
  if (doc.contains("Version") && doc["Version"].is_string()) p.version = doc["Version"].get<std::string>();
  std::vector<Json> raw;
  if (doc.contains("Statement")) {
    if (doc["Statement"].is_object()) raw.push_back(doc["Statement"]);
    else if (doc["Statement"].is_array())
      for (const auto& s : doc["Statement"]) raw.push_back(s);
  }
  auto spans = statement_spans(text);
  for (size_t i = 0; i < raw.size(); ++i) {
    const Json& s = raw[i];
    if (!s.is_object()) continue;
    Statement st;
    st.sid = s.value("Sid", std::string());
    st.allow = s.value("Effect", std::string()) == "Allow";
    st.not_action = s.contains("NotAction");
    st.actions = strings_of(st.not_action ? s["NotAction"] : s.value("Action", Json()));
    st.not_resource = s.contains("NotResource");
    st.has_resource = st.not_resource || s.contains("Resource");
    if (st.has_resource) st.resources = strings_of(st.not_resource ? s["NotResource"] : s["Resource"]);
    st.not_principal = s.contains("NotPrincipal");
    st.has_principal = st.not_principal || s.contains("Principal");
    if (st.has_principal) {
      const Json& pr = st.not_principal ? s["NotPrincipal"] : s["Principal"];
      if (pr.is_string()) st.principals["*"].push_back(pr.get<std::string>());
      else if (pr.is_object())
        for (const auto& [k, v] : pr.items()) st.principals[k] = strings_of(v);
    }
    if (s.contains("Condition") && s["Condition"].is_object()) st.condition = s["Condition"];
    if (i < spans.size()) {
      st.start = spans[i].first;
      st.end = spans[i].second;
    }
    p.statements.push_back(std::move(st));
  }
  return p;
}

std::vector<std::string> context_keys(const Policy& p) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : p.statements)
    for (const auto& [op, block] : s.condition.items())
      if (block.is_object())
        for (const auto& [key, v] : block.items()) {
          std::string lower = key;
          std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
          if (seen.insert(lower).second) out.push_back(key);
        }
  return out;
}

}  // namespace cloudbox::iam::policy
