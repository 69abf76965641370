#include <string>

#include "core/common/encoding.h"
#include "core/common/ids.h"
#include "core/core.h"
#include "services/sts/sts.h"

namespace cloudbox {

CLOUDBOX_REGISTER_SERVICE(StsService);

namespace {

// Operations whose whole point is an identity provider outside cloudbox (an OpenID Connect issuer, a SAML IdP,
// AWS Organizations, a partner's trade-in token service). cloudbox answers them with the operation's own error
// shape and a message that says why, never with invented credentials.
[[noreturn]] void unsupported_web_identity() {
  throw AwsError("InvalidIdentityTokenException",
                 "cloudbox does not support AssumeRoleWithWebIdentity: it cannot reach an OpenID Connect identity "
                 "provider to validate the web identity token. Use AssumeRole instead.");
}

[[noreturn]] void unsupported_saml() {
  throw AwsError("InvalidIdentityTokenException",
                 "cloudbox does not support AssumeRoleWithSAML: it has no SAML identity provider to validate the "
                 "assertion against. Use AssumeRole instead.");
}

}  // namespace

void StsService::register_operations(std::unordered_map<std::string, Handler>& t) {
  auto bind = [this](Json (StsService::*fn)(RequestContext&, const Json&)) {
    return [this, fn](RequestContext& ctx, const Json& in) { return (this->*fn)(ctx, in); };
  };
  t["GetCallerIdentity"] = bind(&StsService::get_caller_identity);
  t["GetAccessKeyInfo"] = bind(&StsService::get_access_key_info);
  t["DecodeAuthorizationMessage"] = bind(&StsService::decode_authorization_message);
  t["GetSessionToken"] = bind(&StsService::get_session_token);
  t["GetFederationToken"] = bind(&StsService::get_federation_token);
  t["AssumeRole"] = bind(&StsService::assume_role);
  t["AssumeRoot"] = bind(&StsService::assume_root);
  t["AssumeRoleWithWebIdentity"] = [](RequestContext&, const Json&) -> Json { unsupported_web_identity(); };
  t["AssumeRoleWithSAML"] = [](RequestContext&, const Json&) -> Json { unsupported_saml(); };
  t["GetWebIdentityToken"] = [](RequestContext&, const Json&) -> Json {
    // The real default: outbound federation is off until IAM's EnableOutboundWebIdentityFederation turns it on,
    // which cloudbox does not offer.
    throw AwsError("OutboundWebIdentityFederationDisabledException",
                   "The outbound web identity federation feature is not enabled for this account. cloudbox does not "
                   "support enabling it (IAM EnableOutboundWebIdentityFederation), so it issues no web identity "
                   "tokens.");
  };
  t["GetDelegatedAccessToken"] = [](RequestContext&, const Json&) -> Json {
    throw AwsError("ExpiredTradeInTokenException",
                   "The trade-in token provided in the request is not valid: cloudbox issues no trade-in tokens "
                   "(delegated access requests are not supported), so none can be exchanged for credentials.");
  };
}

// The identity the request was signed as, formatted exactly as AWS formats each kind of principal:
//   root            UserId ACCT                 Arn arn:aws:iam::ACCT:root
//   IAM user        UserId AIDA…                Arn arn:aws:iam::ACCT:user/PATH/NAME
//   role session    UserId AROA…:SESSION        Arn arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
//   federated user  UserId ACCT:NAME            Arn arn:aws:sts::ACCT:federated-user/NAME
Json StsService::get_caller_identity(RequestContext& ctx, const Json&) {
  const Principal& p = ctx.principal;
  std::string account = !p.account_id.empty() ? p.account_id : ctx.account_id;
  if (account.empty()) account = kDefaultAccount;
  std::string arn = p.arn;
  std::string user_id = p.user_id;
  if (p.type == "root" || arn.empty()) {
    arn = "arn:aws:iam::" + account + ":root";
    user_id = account;
  } else if (p.type == "federated-user" && user_id.empty()) {
    user_id = account + ":" + p.name;
  }
  return {{"UserId", user_id}, {"Account", account}, {"Arn", arn}};
}

// The account that owns an access key. Keys cloudbox issued are looked up; other keys are decoded the way AWS
// encodes the account into key ids (cloudbox mints its keys the same way, so this also answers for keys that
// have since been deleted).
Json StsService::get_access_key_info(RequestContext& ctx, const Json& in) {
  const std::string key = in.at("AccessKeyId").get<std::string>();
  if (auto c = core_.credentials().find(key)) return {{"Account", c->account_id}};
  if (is_account_id(key)) return {{"Account", key}};
  if (auto account = account_from_access_key_id(key)) return {{"Account", *account}};
  return {{"Account", std::string(kDefaultAccount)}};
}

// Messages cloudbox encodes for authorization failures ("Encoded authorization failure message") are the
// base64 (standard or URL alphabet) of the JSON document DecodeAuthorizationMessage returns: an object with
// "allowed", "explicitDeny", "matchedStatements", "failures" and "context", as AWS's decoded messages have.
// Anything else was not encoded by cloudbox and is refused.
Json StsService::decode_authorization_message(RequestContext& ctx, const Json& in) {
  const std::string encoded = in.at("EncodedMessage").get<std::string>();
  auto invalid = [] {
    return AwsError("InvalidAuthorizationMessageException",
                    "The encoded authorization message is not valid: cloudbox decodes only the authorization failure "
                    "messages it encoded itself.");
  };
  std::optional<std::string> raw = base64_decode(encoded);
  if (!raw) raw = base64url_decode(encoded);
  if (!raw) throw invalid();
  Json doc = Json::parse(*raw, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("allowed") || !doc["allowed"].is_boolean())
    throw invalid();
  return {{"DecodedMessage", doc.dump()}};
}

}  // namespace cloudbox
