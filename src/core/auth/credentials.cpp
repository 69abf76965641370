#include "core/auth/credentials.h"

#include "core/store/store.h"

namespace cloudbox {
namespace {
constexpr const char* kNs = "core.credentials";

Json to_json(const Credential& c) {
  Json j = {{"akid", c.access_key_id}, {"secret", c.secret_access_key}, {"token", c.session_token},
            {"account", c.account_id}, {"active", c.active}, {"session", c.session},
            {"principal", {{"type", c.principal.type}, {"arn", c.principal.arn}, {"user_id", c.principal.user_id},
                           {"account_id", c.principal.account_id}, {"name", c.principal.name},
                           {"session_name", c.principal.session_name}}}};
  if (c.expiration) j["expiration"] = to_epoch(*c.expiration);
  return j;
}

Credential from_json(const Json& j) {
  Credential c;
  c.access_key_id = j.value("akid", "");
  c.secret_access_key = j.value("secret", "");
  c.session_token = j.value("token", "");
  c.account_id = j.value("account", "");
  c.active = j.value("active", true);
  c.session = j.value("session", Json());
  const Json& p = j.at("principal");
  c.principal = {p.value("type", ""), p.value("arn", ""), p.value("user_id", ""), p.value("account_id", ""),
                 p.value("name", ""), p.value("session_name", "")};
  if (j.contains("expiration")) c.expiration = from_epoch(j["expiration"].get<double>());
  return c;
}
}  // namespace

void CredentialDirectory::add(const Credential& c) {
  std::lock_guard lock(mu_);
  store_.put(kNs, c.access_key_id, to_json(c));
  keys_[c.access_key_id] = c;
}

void CredentialDirectory::remove(const std::string& akid) {
  std::lock_guard lock(mu_);
  store_.erase(kNs, akid);
  keys_.erase(akid);
}

void CredentialDirectory::set_active(const std::string& akid, bool active) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(akid);
  if (it == keys_.end()) return;
  it->second.active = active;
  store_.put(kNs, akid, to_json(it->second));
}

std::optional<Credential> CredentialDirectory::find(const std::string& akid) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(akid);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

size_t CredentialDirectory::remove_expired_before(TimePoint cutoff) {
  std::lock_guard lock(mu_);
  Store::Batch batch;
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second.expiration && *it->second.expiration < cutoff) {
      batch.erase(kNs, it->first);
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  store_.commit(batch);
  return batch.ops.size();
}

void CredentialDirectory::load() {
  std::lock_guard lock(mu_);
  for (auto& [key, value] : store_.load(kNs)) keys_[key] = from_json(value);
}

void CredentialDirectory::reset() {
  std::lock_guard lock(mu_);
  keys_.clear();
}

size_t CredentialDirectory::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

}  // namespace cloudbox
