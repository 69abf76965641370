#pragma once
// Every access key cloudbox has issued (IAM user keys, STS temporary credentials) and whom it stands for.
// Keys cloudbox never issued are accepted without IAM enforcement as the root of an account: the key itself
// when it is 12 digits, otherwise the default account.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/common/clock.h"
#include "core/service.h"

namespace cloudbox {

class Store;

struct Credential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only
  std::string account_id;
  Principal principal;
  std::optional<TimePoint> expiration;
  bool active = true;
  Json session;  // free-form: session policies, tags, source identity (used by the IAM engine)
};

class CredentialDirectory {
 public:
  explicit CredentialDirectory(Store& store) : store_(store) {}
  void add(const Credential& c);
  void remove(const std::string& access_key_id);
  void set_active(const std::string& access_key_id, bool active);
  std::optional<Credential> find(const std::string& access_key_id) const;
  // Forgets temporary credentials that expired before `cutoff` (requests with them then get "invalid"
  // rather than "expired", as on AWS once a token is long gone).
  size_t remove_expired_before(TimePoint cutoff);
  void load();
  void reset();
  size_t size() const;

 private:
  Store& store_;
  mutable std::mutex mu_;
  std::map<std::string, Credential> keys_;
};

inline constexpr const char* kDefaultAccount = "000000000000";

}  // namespace cloudbox
