// Virtual MFA devices: a real TOTP seed (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) handed out once as
// Base32StringSeed, enabled for a user only with two consecutive codes computed from it, as AWS requires.
// cloudbox does not draw the QR code (QRCodePNG is left out of the response).
#include <openssl/hmac.h>

#include <cmath>
#include <cstring>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string base32_encode(const std::string& bytes) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

std::string base32_decode(const std::string& text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = std::strchr(kBase32, c);
    if (!p || c == 0) continue;
    buffer = (buffer << 5) | unsigned(p - kBase32);
    bits += 5;
    if (bits >= 8) {
      out.push_back(char((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  return out;
}

// RFC 4226 HOTP value for `counter`, 6 digits.
std::string hotp(const std::string& key, uint64_t counter) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), int(key.size()), msg, sizeof msg, mac, &len);
  int offset = mac[len - 1] & 0x0f;
  uint32_t bin = (uint32_t(mac[offset] & 0x7f) << 24) | (uint32_t(mac[offset + 1]) << 16) |
                 (uint32_t(mac[offset + 2]) << 8) | uint32_t(mac[offset + 3]);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", bin % 1000000u);
  return buf;
}

// Whether code1, code2 are the codes of two consecutive 30-second steps near the server clock.
bool consecutive_codes(const std::string& seed_b32, const std::string& code1, const std::string& code2, double now) {
  std::string key = base32_decode(seed_b32);
  auto step = static_cast<int64_t>(std::floor(now / 30.0));
  for (int64_t c = step - 10; c <= step + 1; ++c)
    if (hotp(key, uint64_t(c)) == code1 && hotp(key, uint64_t(c + 1)) == code2) return true;
  return false;
}

}  // namespace

Json& IamService::need_mfa(AccountState& a, const std::string& serial) {
  for (auto& [k, d] : a.mfa)
    if (d["SerialNumber"] == serial) return d;
  no_such_entity("VirtualMFADevice with serial number " + serial + " doesn't exist.");
}

Json IamService::create_virtual_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("VirtualMFADeviceName").get<std::string>();
  std::string path = path_of(in);
  if (a.mfa.count(lower(name))) already_exists("MFADevice entity at the same path and name already exists.");
  std::string seed = base32_encode(random_bytes(40));
  Json d = {{"Name", name},
            {"Path", path},
            {"SerialNumber", "arn:aws:iam::" + acct + ":mfa" + path + name},
            {"seed", seed},
            {"Tags", Json::object()}};
  if (in.contains("Tags")) apply_tags(d, in["Tags"]);
  save(acct, "mfa", d, name);
  a.mfa[lower(name)] = d;
  Json out = {{"SerialNumber", d["SerialNumber"]}, {"Base32StringSeed", seed}};
  if (!d["Tags"].empty()) out["Tags"] = tags_out(d);
  return {{"VirtualMFADevice", out}};
}

Json IamService::enable_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  Json& d = need_mfa(a, in.at("SerialNumber").get<std::string>());
  if (d.contains("user")) already_exists("MFA Device is already in use.");
  size_t enabled = 0;
  for (const auto& [k, x] : a.mfa)
    if (x.value("user", std::string()) == u["UserName"]) ++enabled;
  if (enabled >= 8) limit_exceeded("Cannot exceed quota for MFADevicesPerUser: 8");
  if (!consecutive_codes(d["seed"].get<std::string>(), in.at("AuthenticationCode1").get<std::string>(),
                         in.at("AuthenticationCode2").get<std::string>(), to_epoch(ctx.now)))
    throw AwsError("InvalidAuthenticationCodeException", "Authentication code for device is not valid.");
  Json copy = d;
  copy["user"] = u["UserName"];
  copy["EnableDate"] = now_epoch(ctx);
  save(account_id(ctx), "mfa", copy, copy["Name"]);
  d = copy;
  return Json::object();
}

Json IamService::resync_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& u = need_user(a, in.at("UserName").get<std::string>());
  Json& d = need_mfa(a, in.at("SerialNumber").get<std::string>());
  if (d.value("user", std::string()) != u["UserName"])
    no_such_entity("MFA Device with serial number " + d["SerialNumber"].get<std::string>() + " not found for user.");
  if (!consecutive_codes(d["seed"].get<std::string>(), in.at("AuthenticationCode1").get<std::string>(),
                         in.at("AuthenticationCode2").get<std::string>(), to_epoch(ctx.now)))
    throw AwsError("InvalidAuthenticationCodeException", "Authentication code for device is not valid.");
  return Json::object();
}

Json IamService::deactivate_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& d = need_mfa(a, in.at("SerialNumber").get<std::string>());
  if (!d.contains("user") || (in.contains("UserName") && lower(d["user"].get<std::string>()) != lower(in["UserName"].get<std::string>())))
    no_such_entity("MFA Device with serial number " + d["SerialNumber"].get<std::string>() + " not found for user.");
  d.erase("user");
  d.erase("EnableDate");
  save(account_id(ctx), "mfa", d, d["Name"]);
  return Json::object();
}

Json IamService::delete_virtual_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& d = need_mfa(a, in.at("SerialNumber").get<std::string>());
  if (d.contains("user")) delete_conflict("MFA VirtualDevice in use. Must deactivate first.");
  std::string name = d["Name"].get<std::string>();
  erase(account_id(ctx), "mfa", name);
  a.mfa.erase(lower(name));
  return Json::object();
}

Json IamService::list_mfa_devices(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string user;
  if (in.contains("UserName")) user = need_user(a, in["UserName"].get<std::string>())["UserName"].get<std::string>();
  else if (ctx.principal.type == "user") user = ctx.principal.name;
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, d] : a.mfa)
    if (d.contains("user") && d["user"] == user)
      rows.emplace_back(k, Json{{"UserName", d["user"]}, {"SerialNumber", d["SerialNumber"]}, {"EnableDate", d["EnableDate"]}});
  return page(in, rows, "MFADevices");
}

Json IamService::list_virtual_mfa_devices(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  std::string status = str(in, "AssignmentStatus", "Any");
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& [k, d] : a.mfa) {
    bool assigned = d.contains("user");
    if ((status == "Assigned" && !assigned) || (status == "Unassigned" && assigned)) continue;
    Json e = {{"SerialNumber", d["SerialNumber"]}};
    if (assigned) {
      auto it = a.users.find(lower(d["user"].get<std::string>()));
      if (it != a.users.end())
        e["User"] = {{"Path", it->second["Path"]}, {"UserName", it->second["UserName"]}, {"UserId", it->second["UserId"]},
                     {"Arn", it->second["Arn"]}, {"CreateDate", it->second["CreateDate"]}};
      e["EnableDate"] = d["EnableDate"];
    }
    if (!d["Tags"].empty()) e["Tags"] = tags_out(d);
    rows.emplace_back(k, e);
  }
  return page(in, rows, "VirtualMFADevices");
}

Json IamService::get_mfa_device(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& d = need_mfa(a, in.at("SerialNumber").get<std::string>());
  if (!d.contains("user")) no_such_entity("MFA Device with serial number " + d["SerialNumber"].get<std::string>() + " not found.");
  return {{"UserName", d["user"]}, {"SerialNumber", d["SerialNumber"]}, {"EnableDate", d["EnableDate"]}};
}

Json IamService::tag_mfa_device(RequestContext& ctx, const Json& in) {
  Json& d = need_mfa(account(ctx), in.at("SerialNumber").get<std::string>());
  Json copy = d;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "mfa", copy, copy["Name"]);
  d = copy;
  return Json::object();
}

Json IamService::untag_mfa_device(RequestContext& ctx, const Json& in) {
  Json& d = need_mfa(account(ctx), in.at("SerialNumber").get<std::string>());
  remove_tags(d, in.at("TagKeys"));
  save(account_id(ctx), "mfa", d, d["Name"]);
  return Json::object();
}

Json IamService::list_mfa_device_tags(RequestContext& ctx, const Json& in) {
  Json& d = need_mfa(account(ctx), in.at("SerialNumber").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(d)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

}  // namespace cloudbox::iam
