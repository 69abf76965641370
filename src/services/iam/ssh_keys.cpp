// SSH public keys of IAM users (used by CodeCommit): OpenSSH "ssh-rsa" keys, checked and fingerprinted as IAM
// does (MD5 of the key blob, colon-separated hex), at most 5 per user, Active/Inactive.
#include <openssl/evp.h>

#include <algorithm>
#include <sstream>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

constexpr size_t kMaxKeysPerUser = 5;

// The key blob of "ssh-rsa AAAA… comment", or nullopt when it is not an OpenSSH RSA public key.
std::optional<std::string> ssh_rsa_blob(const std::string& body) {
  std::istringstream in(body);
  std::string type, b64;
  in >> type >> b64;
  if (type != "ssh-rsa" || b64.empty()) return std::nullopt;
  auto blob = base64_decode(b64);
  if (!blob || blob->size() < 11) return std::nullopt;
  // The blob starts with the length-prefixed key type.
  uint32_t n = (uint32_t(uint8_t((*blob)[0])) << 24) | (uint32_t(uint8_t((*blob)[1])) << 16) |
               (uint32_t(uint8_t((*blob)[2])) << 8) | uint32_t(uint8_t((*blob)[3]));
  if (n != 7 || blob->compare(4, 7, "ssh-rsa") != 0) return std::nullopt;
  return blob;
}

std::string md5_fingerprint(const std::string& blob) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(blob.data(), blob.size(), digest, &len, EVP_md5(), nullptr);
  std::string hex = hex_encode(std::string(reinterpret_cast<char*>(digest), len));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i) out.push_back(':');
    out.append(hex, i, 2);
  }
  return out;
}

Json* find_ssh_key(Json& user, const std::string& id) {
  for (auto& k : user["ssh_keys"])
    if (k["SSHPublicKeyId"] == id) return &k;
  return nullptr;
}

}  // namespace

Json IamService::upload_ssh_public_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  std::string body = in.at("SSHPublicKeyBody").get<std::string>();
  auto blob = ssh_rsa_blob(body);
  if (!blob) throw AwsError("UnrecognizedPublicKeyEncodingException", "Unrecognized SSH public key encoding.");
  std::string fingerprint = md5_fingerprint(*blob);
  if (!u.contains("ssh_keys")) u["ssh_keys"] = Json::array();
  for (const auto& k : u["ssh_keys"])
    if (k["Fingerprint"] == fingerprint)
      throw AwsError("DuplicateSSHPublicKeyException", "The specified SSH public key is already uploaded for this user.");
  if (u["ssh_keys"].size() >= kMaxKeysPerUser)
    limit_exceeded("Cannot exceed quota for SSHPublicKeysPerUser: " + std::to_string(kMaxKeysPerUser));
  Json key = {{"SSHPublicKeyId", make_unique_id("APKA")},
              {"Fingerprint", fingerprint},
              {"SSHPublicKeyBody", body},
              {"Status", "Active"},
              {"UploadDate", now_epoch(ctx)}};
  Json copy = u;
  copy["ssh_keys"].push_back(key);
  save(account_id(ctx), "user", copy, copy["UserName"]);
  u = copy;
  Json out = key;
  out["UserName"] = u["UserName"];
  return {{"SSHPublicKey", out}};
}

Json IamService::get_ssh_public_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  std::string id = in.at("SSHPublicKeyId").get<std::string>();
  Json* k = u.contains("ssh_keys") ? find_ssh_key(u, id) : nullptr;
  if (!k) no_such_entity("The Public Key with id " + id + " cannot be found.");
  if (in.value("Encoding", std::string("SSH")) == "PEM")
    throw AwsError("UnrecognizedPublicKeyEncodingException",
                   "cloudbox returns SSH public keys in the SSH encoding only (PEM conversion is not supported).");
  Json out = *k;
  out["UserName"] = u["UserName"];
  return {{"SSHPublicKey", out}};
}

Json IamService::update_ssh_public_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  std::string id = in.at("SSHPublicKeyId").get<std::string>();
  Json* k = u.contains("ssh_keys") ? find_ssh_key(u, id) : nullptr;
  if (!k) no_such_entity("The Public Key with id " + id + " cannot be found.");
  (*k)["Status"] = in.at("Status");
  save(account_id(ctx), "user", u, u["UserName"]);
  return Json::object();
}

Json IamService::delete_ssh_public_key(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  std::string id = in.at("SSHPublicKeyId").get<std::string>();
  if (!u.contains("ssh_keys") || !find_ssh_key(u, id)) no_such_entity("The Public Key with id " + id + " cannot be found.");
  Json kept = Json::array();
  for (const auto& k : u["ssh_keys"])
    if (k["SSHPublicKeyId"] != id) kept.push_back(k);
  u["ssh_keys"] = kept;
  save(account_id(ctx), "user", u, u["UserName"]);
  return Json::object();
}

Json IamService::list_ssh_public_keys(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string name;
  if (in.contains("UserName")) name = in["UserName"].get<std::string>();
  else if (ctx.principal.type == "user") name = ctx.principal.name;
  std::vector<std::pair<std::string, Json>> rows;
  if (!name.empty()) {
    Json& u = need_user(a, name);
    for (const auto& k : u.value("ssh_keys", Json::array()))
      rows.emplace_back(k["SSHPublicKeyId"].get<std::string>(),
                        Json{{"UserName", u["UserName"]}, {"SSHPublicKeyId", k["SSHPublicKeyId"]},
                             {"Status", k["Status"]}, {"UploadDate", k["UploadDate"]}});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  return page(in, rows, "SSHPublicKeys");
}

}  // namespace cloudbox::iam
