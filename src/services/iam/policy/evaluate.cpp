// Policy evaluation: matching of Action/Resource/Principal (and their Not… forms), conditions with every
// operator, IfExists, ForAnyValue/ForAllValues and policy variables, and the combination of identity,
// boundary, session and resource policies as AWS documents it.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "services/iam/policy/policy.h"

namespace cloudbox::iam::policy {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<double> to_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<double> to_date(const std::string& s) {
  if (auto n = to_number(s)) return *n;  // epoch seconds
  auto t = parse_timestamp(s);
  if (!t) return std::nullopt;
  return to_epoch(*t);
}

// Splits an ARN into its six parts (the last keeps any further colons). Fewer parts: nullopt.
std::optional<std::array<std::string_view, 6>> arn_parts(std::string_view arn) {
  std::array<std::string_view, 6> out;
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    size_t colon = arn.find(':', pos);
    if (colon == std::string_view::npos) return std::nullopt;
    out[size_t(i)] = arn.substr(pos, colon - pos);
    pos = colon + 1;
  }
  out[5] = arn.substr(pos);
  return out;
}

// The base (positive) operator of a negated one, and whether it was negated.
std::pair<std::string, bool> base_operator(const std::string& op) {
  static const std::pair<const char*, const char*> negated[] = {
      {"StringNotEquals", "StringEquals"},   {"StringNotEqualsIgnoreCase", "StringEqualsIgnoreCase"},
      {"StringNotLike", "StringLike"},       {"NumericNotEquals", "NumericEquals"},
      {"DateNotEquals", "DateEquals"},       {"NotIpAddress", "IpAddress"},
      {"ArnNotEquals", "ArnEquals"},         {"ArnNotLike", "ArnLike"}};
  for (const auto& [neg, pos] : negated)
    if (op == neg) return {pos, true};
  return {op, false};
}

bool supports_variables(const std::string& base) { return base.rfind("String", 0) == 0 || base.rfind("Arn", 0) == 0; }

// One policy value against one request value, for a positive operator.
bool value_matches(const std::string& op, const std::string& pv, const std::string& rv) {
  if (op == "StringEquals") return pv == rv;
  if (op == "StringEqualsIgnoreCase") return iequals(pv, rv);
  if (op == "StringLike") return glob_match(pv, rv);
  if (op.rfind("Numeric", 0) == 0) {
    auto p = to_number(pv), r = to_number(rv);
    if (!p || !r) return false;
    if (op == "NumericEquals") return *r == *p;
    if (op == "NumericLessThan") return *r < *p;
    if (op == "NumericLessThanEquals") return *r <= *p;
    if (op == "NumericGreaterThan") return *r > *p;
    if (op == "NumericGreaterThanEquals") return *r >= *p;
    return false;
  }
  if (op.rfind("Date", 0) == 0) {
    auto p = to_date(pv), r = to_date(rv);
    if (!p || !r) return false;
    if (op == "DateEquals") return *r == *p;
    if (op == "DateLessThan") return *r < *p;
    if (op == "DateLessThanEquals") return *r <= *p;
    if (op == "DateGreaterThan") return *r > *p;
    if (op == "DateGreaterThanEquals") return *r >= *p;
    return false;
  }
  if (op == "Bool") return iequals(pv, rv) && (iequals(pv, "true") || iequals(pv, "false"));
  if (op == "BinaryEquals") return pv == rv;  // both base64
  if (op == "IpAddress") return ip_in_cidr(rv, pv);
  if (op == "ArnEquals" || op == "ArnLike") return arn_matches(pv, rv);
  return false;
}

std::string json_scalar(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return v.dump();
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Context

void Context::set(std::string_view key, std::string value) { values_[lower(key)] = {std::move(value)}; }
void Context::set(std::string_view key, std::vector<std::string> values) { values_[lower(key)] = std::move(values); }
void Context::erase(std::string_view key) { values_.erase(lower(key)); }
const std::vector<std::string>* Context::find(std::string_view key) const {
  auto it = values_.find(lower(key));
  return it == values_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------------
// Matching building blocks

bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto eq = [ignore_case](char a, char b) {
    return ignore_case ? ascii_lower(a) == ascii_lower(b)
                       : a == b;
  };
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || (pattern[p] != '*' && eq(pattern[p], text[t])))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool action_matches(std::string_view pattern, std::string_view action) { return glob_match(pattern, action, true); }

bool arn_matches(std::string_view pattern, std::string_view arn) {
  if (pattern == "*") return true;
  auto pp = arn_parts(pattern);
  auto ap = arn_parts(arn);
  if (!pp || !ap) return glob_match(pattern, arn);
  for (size_t i = 0; i < 6; ++i)
    if (!glob_match((*pp)[i], (*ap)[i])) return false;
  return true;
}

bool ip_in_cidr(std::string_view ip_text, std::string_view cidr_text) {
  std::string cidr(cidr_text);
  int prefix = -1;
  if (auto slash = cidr.find('/'); slash != std::string::npos) {
    auto n = to_number(cidr.substr(slash + 1));
    if (!n) return false;
    prefix = int(*n);
    cidr.resize(slash);
  }
  std::string ip(ip_text);
  unsigned char a[16], b[16];
  int len = 0;
  if (inet_pton(AF_INET, cidr.c_str(), a) == 1) {
    if (inet_pton(AF_INET, ip.c_str(), b) != 1) return false;
    len = 4;
  } else if (inet_pton(AF_INET6, cidr.c_str(), a) == 1) {
    if (inet_pton(AF_INET6, ip.c_str(), b) != 1) return false;
    len = 16;
  } else {
    return false;
  }
  if (prefix < 0) prefix = len * 8;
  if (prefix > len * 8) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    int byte = bit / 8, shift = 7 - bit % 8;
    if (((a[byte] >> shift) & 1) != ((b[byte] >> shift) & 1)) return false;
  }
  return true;
}

std::optional<std::string> substitute(std::string_view text, const Context& ctx) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.append(text.substr(i));
        break;
      }
      std::string inner(text.substr(i + 2, close - i - 2));
      i = close + 1;
      if (inner == "*" || inner == "?" || inner == "$") {
        out += inner;
        continue;
      }
      std::optional<std::string> fallback;
      if (auto comma = inner.find(','); comma != std::string::npos) {
        std::string def = inner.substr(comma + 1);
        inner.resize(comma);
        auto q1 = def.find('\''), q2 = def.rfind('\'');
        if (q1 != std::string::npos && q2 > q1) fallback = def.substr(q1 + 1, q2 - q1 - 1);
      }
      while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back()))) inner.pop_back();
      const auto* v = ctx.find(inner);
      if (v && v->size() == 1) out += v->front();
      else if (fallback) out += *fallback;
      else return std::nullopt;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

bool conditions_match(const Json& condition, const Context& ctx, bool variables, std::vector<std::string>* missing) {
  if (!condition.is_object()) return true;
  bool result = true;
  for (const auto& [full_op, block] : condition.items()) {
    std::string op = full_op;
    enum { Single, Any, All } qual = Single;
    if (op.rfind("ForAnyValue:", 0) == 0) qual = Any, op = op.substr(12);
    else if (op.rfind("ForAllValues:", 0) == 0) qual = All, op = op.substr(13);
    bool if_exists = false;
    if (op != "Null" && ends_with(op, "IfExists")) {
      if_exists = true;
      op.resize(op.size() - 8);
    }
    auto [base, negated] = base_operator(op);
    if (!block.is_object()) return false;
    for (const auto& [key, raw] : block.items()) {
      std::vector<std::string> policy_values;
      if (raw.is_array())
        for (const auto& e : raw) policy_values.push_back(json_scalar(e));
      else
        policy_values.push_back(json_scalar(raw));
      const auto* request_values = ctx.find(key);
      bool present = request_values && !request_values->empty();

      if (base == "Null") {
        bool any = false;
        for (const auto& pv : policy_values) {
          if (iequals(pv, "true") && !present) any = true;
          if (iequals(pv, "false") && present) any = true;
        }
        if (!any) result = false;
        continue;
      }
      if (!present) {
        if (missing && std::find(missing->begin(), missing->end(), key) == missing->end()) missing->push_back(key);
        if (if_exists || qual == All) continue;
        if (qual == Any) {
          result = false;
          continue;
        }
        if (!negated) result = false;
        continue;
      }
      if (variables && supports_variables(base)) {
        std::vector<std::string> substituted;
        for (const auto& pv : policy_values)
          if (auto s = substitute(pv, ctx)) substituted.push_back(*s);
        policy_values = std::move(substituted);
      }
      auto matches_any = [&](const std::string& rv) {
        for (const auto& pv : policy_values)
          if (value_matches(base, pv, rv)) return true;
        return false;
      };
      bool ok;
      if (qual == All) {
        ok = std::all_of(request_values->begin(), request_values->end(),
                         [&](const std::string& rv) { return negated ? !matches_any(rv) : matches_any(rv); });
      } else if (qual == Any) {
        ok = std::any_of(request_values->begin(), request_values->end(),
                         [&](const std::string& rv) { return negated ? !matches_any(rv) : matches_any(rv); });
      } else {
        bool any = std::any_of(request_values->begin(), request_values->end(), matches_any);
        ok = negated ? !any : any;
      }
      if (!ok) result = false;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Statements and policies

namespace {

PrincipalMatch principal_match(const Statement& s, const Caller& c) {
  auto rank = [](PrincipalMatch m) {
    switch (m) {
      case PrincipalMatch::Direct: return 4;
      case PrincipalMatch::Role: return 3;
      case PrincipalMatch::Anyone: return 2;
      case PrincipalMatch::Account: return 1;
      default: return 0;
    }
  };
  PrincipalMatch best = PrincipalMatch::None;
  auto consider = [&](PrincipalMatch m) {
    if (rank(m) > rank(best)) best = m;
  };
  for (const auto& [type, values] : s.principals) {
    for (const auto& v : values) {
      if (type == "*" || (type == "AWS" && v == "*")) {
        consider(PrincipalMatch::Anyone);
      } else if (type == "AWS") {
        if (!c.arn.empty() && v == c.arn) consider(PrincipalMatch::Direct);
        else if (!c.role_arn.empty() && v == c.role_arn) consider(PrincipalMatch::Role);
        else if (!c.account.empty() && (v == c.account || v == "arn:aws:iam::" + c.account + ":root"))
          consider(c.type == "root" ? PrincipalMatch::Direct : PrincipalMatch::Account);
      } else if (type == "Service") {
        if (c.type == "service" && iequals(v, c.service)) consider(PrincipalMatch::Direct);
      } else if (type == "Federated" || type == "CanonicalUser") {
        if (!c.arn.empty() && v == c.arn) consider(PrincipalMatch::Direct);
      }
    }
  }
  if (s.not_principal) return best == PrincipalMatch::None ? PrincipalMatch::Anyone : PrincipalMatch::None;
  return best;
}

bool statement_applies(const Statement& s, const Request& req, bool variables, bool check_principal,
                       PrincipalMatch* pm, std::vector<std::string>* missing) {
  bool action_hit = false;
  for (const auto& a : s.actions)
    if (action_matches(a, req.action)) {
      action_hit = true;
      break;
    }
  if (action_hit == s.not_action) return false;

  if (s.has_resource) {
    bool resource_hit = false;
    for (const auto& r : s.resources) {
      std::string pattern = r;
      if (variables && r.find("${") != std::string::npos) {
        auto sub = substitute(r, req.context);
        if (!sub) continue;
        pattern = *sub;
      }
      if (arn_matches(pattern, req.resource)) {
        resource_hit = true;
        break;
      }
    }
    if (resource_hit == s.not_resource) return false;
  }

  PrincipalMatch match = PrincipalMatch::Anyone;
  if (check_principal) {
    if (!s.has_principal) return false;
    match = principal_match(s, req.caller);
    if (match == PrincipalMatch::None) return false;
  }
  if (!conditions_match(s.condition, req.context, variables, missing)) return false;
  if (pm) *pm = match;
  return true;
}

}  // namespace

PolicySetResult evaluate_set(const std::vector<const Policy*>& policies, const Request& req, bool check_principal,
                             PrincipalMatch* best_match) {
  PolicySetResult out;
  if (best_match) *best_match = PrincipalMatch::None;
  for (const Policy* p : policies) {
    if (!p) continue;
    bool variables = p->version == "2012-10-17";
    for (size_t i = 0; i < p->statements.size(); ++i) {
      const Statement& s = p->statements[i];
      PrincipalMatch m = PrincipalMatch::None;
      if (!statement_applies(s, req, variables, check_principal, &m, &out.missing_context)) continue;
      MatchedStatement ms{p->id, p->type, i, s.allow, s.start, s.end};
      if (s.allow) {
        out.allow = true;
        out.allows.push_back(ms);
        if (best_match) {
          auto rank = [](PrincipalMatch x) {
            return x == PrincipalMatch::Direct ? 4 : x == PrincipalMatch::Role ? 3 : x == PrincipalMatch::Anyone ? 2
                                                                                : x == PrincipalMatch::Account ? 1 : 0;
          };
          if (rank(m) > rank(*best_match)) *best_match = m;
        }
      } else {
        out.deny = true;
        out.denies.push_back(ms);
      }
    }
  }
  return out;
}

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::Allowed: return "allowed";
    case Decision::ExplicitDeny: return "explicitDeny";
    default: return "implicitDeny";
  }
}

Result evaluate(const Input& in, const Request& req) {
  Result r;
  auto merge_missing = [&r](const std::vector<std::string>& m) {
    for (const auto& k : m)
      if (std::find(r.missing_context.begin(), r.missing_context.end(), k) == r.missing_context.end())
        r.missing_context.push_back(k);
  };
  PolicySetResult identity = evaluate_set(in.identity, req, false);
  merge_missing(identity.missing_context);
  std::optional<PolicySetResult> boundary, session;
  if (in.boundary) boundary = evaluate_set(*in.boundary, req, false), merge_missing(boundary->missing_context);
  if (in.session) session = evaluate_set(*in.session, req, false), merge_missing(session->missing_context);
  PrincipalMatch resource_match = PrincipalMatch::None;
  PolicySetResult resource = evaluate_set(in.resource, req, true, &resource_match);
  merge_missing(resource.missing_context);

  std::vector<MatchedStatement> denies;
  for (const auto* set : {&identity, boundary ? &*boundary : nullptr, session ? &*session : nullptr, &resource})
    if (set) denies.insert(denies.end(), set->denies.begin(), set->denies.end());
  r.identity_allowed = identity.allow;
  if (boundary) r.boundary_allowed = boundary->allow;
  if (session) r.session_allowed = session->allow;
  r.resource_allowed = resource.allow;
  if (!denies.empty()) {
    r.deny_source = !identity.denies.empty()            ? "identity"
                    : boundary && !boundary->denies.empty() ? "boundary"
                    : session && !session->denies.empty()   ? "session"
                                                            : "resource";
    r.decision = Decision::ExplicitDeny;
    r.matched = std::move(denies);
    return r;
  }

  const bool boundary_ok = !boundary || boundary->allow;
  const bool session_ok = !session || session->allow;
  const bool identity_ok = identity.allow && boundary_ok && session_ok;
  const bool same_account = req.resource_account.empty() || req.resource_account == req.caller.account;

  bool allowed = false;
  if (same_account) {
    allowed = identity_ok;
    if (resource.allow) {
      switch (resource_match) {
        case PrincipalMatch::Direct: allowed = true; break;            // the user's or session's own ARN
        case PrincipalMatch::Role:                                      // the role ARN: limited by session and boundary
        case PrincipalMatch::Anyone: allowed = allowed || (boundary_ok && session_ok); break;
        case PrincipalMatch::Account: break;                            // delegated to the account: identity decides
        default: break;
      }
    }
  } else {
    allowed = identity_ok && resource.allow;
  }
  if (!allowed) r.deny_source = !identity.allow ? "identity" : !boundary_ok ? "boundary" : !session_ok ? "session" : "identity";
  if (allowed) {
    r.decision = Decision::Allowed;
    r.matched = identity.allows;
    if (boundary) r.matched.insert(r.matched.end(), boundary->allows.begin(), boundary->allows.end());
    if (session) r.matched.insert(r.matched.end(), session->allows.begin(), session->allows.end());
    r.matched.insert(r.matched.end(), resource.allows.begin(), resource.allows.end());
  }
  return r;
}

}  // namespace cloudbox::iam::policy
