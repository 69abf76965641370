// Filters as the Secrets Manager API reference describes them (API_Filter):
//   description: prefix match, not case-sensitive; name, tag-key, tag-value, primary-region,
//   owning-service: prefix match, case-sensitive; all: the value is broken into words and every
//   attribute (name, description, tag keys and values) is searched for them, not case-sensitive.
// A value that starts with "!" is a negation. Values of one filter are alternatives; filters all apply.
#include "services/secretsmanager/filters.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

#include "core/common/error.h"

namespace cloudbox::secretsmanager {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Words as the console search splits them: at anything but letters and digits, where lower case turns to
// upper case, and between letters and digits ("credsDatabase#892" → creds, database, 892), lower-cased.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(lower(cur));
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!std::isalnum(c)) {
      flush();
      continue;
    }
    if (!cur.empty()) {
      unsigned char p = static_cast<unsigned char>(cur.back());
      bool split = (std::islower(p) && std::isupper(c)) || (std::isalpha(p) && std::isdigit(c)) ||
                   (std::isdigit(p) && std::isalpha(c));
      if (split) flush();
    }
    cur.push_back(char(c));
  }
  flush();
  return out;
}

std::vector<std::string> attributes(const Secret& s, const std::string& key) {
  std::vector<std::string> out;
  if (key == "name") {
    out.push_back(s.name);
  } else if (key == "description") {
    if (s.description) out.push_back(*s.description);
  } else if (key == "tag-key") {
    for (const auto& [k, v] : s.tags) out.push_back(k);
  } else if (key == "tag-value") {
    for (const auto& [k, v] : s.tags) out.push_back(v);
  } else if (key == "primary-region") {
    if (s.primary_region) out.push_back(*s.primary_region);
    else if (!s.replicas.empty()) out.push_back(s.region);
  } else if (key == "owning-service") {
    if (s.owning_service) out.push_back(*s.owning_service);
  } else if (key == "all") {
    out.push_back(s.name);
    if (s.description) out.push_back(*s.description);
    for (const auto& [k, v] : s.tags) {
      out.push_back(k);
      out.push_back(v);
    }
  }
  return out;
}

bool value_matches(const std::string& key, const std::string& value, const std::vector<std::string>& attrs) {
  if (key == "all") {
    auto wanted = words(value);
    if (wanted.empty()) return !attrs.empty();
    for (const auto& attr : attrs)
      for (const auto& w : words(attr))
        for (const auto& want : wanted)
          if (starts_with(w, want)) return true;
    return false;
  }
  bool fold = key == "description";
  std::string v = fold ? lower(value) : value;
  for (const auto& attr : attrs)
    if (starts_with(fold ? lower(attr) : attr, v)) return true;
  return false;
}

std::string hex_u64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t millis(double seconds) { return seconds <= 0 ? 0 : static_cast<uint64_t>(std::llround(seconds * 1000.0)); }

}  // namespace

bool matches_filters(const Secret& s, const Json& filters) {
  if (!filters.is_array()) return true;
  for (const auto& f : filters) {
    if (!f.contains("Key") || !f["Key"].is_string())
      throw AwsError("InvalidParameterException", "Every filter must have a Key.");
    if (!f.contains("Values") || !f["Values"].is_array() || f["Values"].empty())
      throw AwsError("InvalidParameterException", "Every filter must have at least one value in Values.");
    std::string key = f["Key"].get<std::string>();
    auto attrs = attributes(s, key);
    bool any_positive = false, positive_hit = false;
    for (const auto& vj : f["Values"]) {
      std::string value = vj.get<std::string>();
      if (!value.empty() && value[0] == '!') {
        if (value_matches(key, value.substr(1), attrs)) return false;
      } else {
        any_positive = true;
        positive_hit = positive_hit || value_matches(key, value, attrs);
      }
    }
    if (any_positive && !positive_hit) return false;
  }
  return true;
}

std::string sort_key_seq(uint64_t seq) { return hex_u64(seq); }

std::string sort_key(const Secret& s, const std::string& sort_by, bool descending) {
  std::string key;
  if (sort_by == "name") {
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char c : s.name) {
      unsigned char b = descending ? static_cast<unsigned char>(~c) : c;
      key.push_back(kHex[b >> 4]);
      key.push_back(kHex[b & 15]);
    }
    key += descending ? "ff" : "00";  // a name sorts before (ascending) or after (descending) its extensions
  } else if (sort_by == "created-date") {
    // Creation order is CreatedDate order (the server clock only moves forward), and it has no ties.
    return hex_u64(descending ? ~s.seq : s.seq);
  } else {
    double when = sort_by == "last-accessed-date" ? s.last_accessed.value_or(0) : s.last_changed;
    uint64_t ms = millis(when);
    key = hex_u64(descending ? ~ms : ms);
  }
  return key + hex_u64(descending ? ~s.seq : s.seq);
}

}  // namespace cloudbox::secretsmanager
