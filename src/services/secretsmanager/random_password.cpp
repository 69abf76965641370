// GetRandomPassword: characters drawn uniformly from OpenSSL's CSPRNG (core/common/ids.h).
//
// The character classes are lower case, upper case, digits and AWS's punctuation set
// !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ , minus ExcludeCharacters; IncludeSpace adds the space. With
// RequireEachIncludedType (the default) the password holds at least one character of every class that is
// still included, so it must be at least that long.
#include <string>
#include <vector>

#include "core/common/ids.h"
#include "services/secretsmanager/service.h"

namespace cloudbox::secretsmanager {

namespace {
constexpr const char* kLower = "abcdefghijklmnopqrstuvwxyz";
constexpr const char* kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr const char* kDigits = "0123456789";
constexpr const char* kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

std::string without(const std::string& chars, const std::string& excluded) {
  std::string out;
  for (char c : chars)
    if (excluded.find(c) == std::string::npos) out.push_back(c);
  return out;
}
}  // namespace

Json SecretsManagerService::get_random_password(RequestContext& ctx, const Json& in) {
  long long length = in.contains("PasswordLength") ? in["PasswordLength"].get<long long>() : 32;
  std::string excluded = opt_string(in, "ExcludeCharacters").value_or("");
  bool require_each = opt_bool(in, "RequireEachIncludedType", true);

  std::vector<std::string> classes;  // the required types
  auto add_class = [&](const char* chars, const char* flag) {
    if (opt_bool(in, flag, false)) return;
    std::string left = without(chars, excluded);
    if (!left.empty()) classes.push_back(left);
  };
  add_class(kLower, "ExcludeLowercase");
  add_class(kUpper, "ExcludeUppercase");
  add_class(kDigits, "ExcludeNumbers");
  add_class(kPunctuation, "ExcludePunctuation");

  std::string pool;
  for (const auto& c : classes) pool += c;
  if (opt_bool(in, "IncludeSpace", false) && excluded.find(' ') == std::string::npos) pool += ' ';
  if (pool.empty())
    throw AwsError("InvalidParameterException",
                   "The password can't be generated: every character type is excluded.");
  if (require_each && length < static_cast<long long>(classes.size()))
    throw AwsError("InvalidParameterException", "Password length is too short based on the required types.");

  std::string password;
  password.reserve(size_t(length));
  if (require_each)
    for (const auto& c : classes) password.push_back(c[random_below(c.size())]);
  while (static_cast<long long>(password.size()) < length) password.push_back(pool[random_below(pool.size())]);
  // Shuffle (Fisher–Yates) so the guaranteed characters are not always in front.
  for (size_t i = password.size(); i > 1; --i) std::swap(password[i - 1], password[random_below(i)]);
  return {{"RandomPassword", password}};
}

}  // namespace cloudbox::secretsmanager
