// Identity providers: OpenID Connect (URL, client ids, thumbprints, tags) and SAML (metadata document, tags).
// cloudbox stores them so roles can trust them; it does not contact the providers.
#include <algorithm>

#include "core/common/ids.h"
#include "core/core.h"
#include "services/iam/iam.h"

namespace cloudbox::iam {

// ---------------------------------------------------------------------------------------------------
// OpenID Connect providers

namespace {
std::string oidc_host(std::string url) {
  if (url.rfind("https://", 0) == 0) url = url.substr(8);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}
}  // namespace

Json IamService::create_oidc_provider(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string url = in.at("Url").get<std::string>();
  if (url.rfind("https://", 0) != 0) invalid_input("Invalid IdentityProviderUrl: the URL must begin with https://");
  std::string host = oidc_host(url);
  if (a.oidc.count(lower(host))) already_exists("Provider with url " + url + " already exists.");
  Json p = {{"Url", host},
            {"Arn", "arn:aws:iam::" + acct + ":oidc-provider/" + host},
            {"ClientIDList", in.value("ClientIDList", Json::array())},
            {"ThumbprintList", in.value("ThumbprintList", Json::array())},
            {"CreateDate", now_epoch(ctx)},
            {"Tags", Json::object()}};
  if (in.contains("Tags")) apply_tags(p, in["Tags"]);
  save(acct, "oidc", p, host);
  a.oidc[lower(host)] = p;
  Json out = {{"OpenIDConnectProviderArn", p["Arn"]}};
  if (!p["Tags"].empty()) out["Tags"] = tags_out(p);
  return out;
}

namespace {
Json& need_oidc(AccountState& a, const std::string& arn) {
  for (auto& [k, p] : a.oidc)
    if (p["Arn"] == arn) return p;
  no_such_entity("OpenIDConnect Provider not found for arn " + arn);
}
}  // namespace

Json IamService::get_oidc_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  Json out = {{"Url", p["Url"]}, {"ClientIDList", p["ClientIDList"]}, {"ThumbprintList", p["ThumbprintList"]},
              {"CreateDate", p["CreateDate"]}};
  if (!p["Tags"].empty()) out["Tags"] = tags_out(p);
  return out;
}

Json IamService::delete_oidc_provider(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& p = need_oidc(a, in.at("OpenIDConnectProviderArn").get<std::string>());
  std::string host = p["Url"].get<std::string>();
  erase(account_id(ctx), "oidc", host);
  a.oidc.erase(lower(host));
  return Json::object();
}

Json IamService::list_oidc_providers(RequestContext& ctx, const Json&) {
  Json list = Json::array();
  for (const auto& [k, p] : account(ctx).oidc) list.push_back({{"Arn", p["Arn"]}});
  return {{"OpenIDConnectProviderList", list}};
}

Json IamService::tag_oidc_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  Json copy = p;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "oidc", copy, copy["Url"]);
  p = copy;
  return Json::object();
}

Json IamService::untag_oidc_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  remove_tags(p, in.at("TagKeys"));
  save(account_id(ctx), "oidc", p, p["Url"]);
  return Json::object();
}

Json IamService::list_oidc_provider_tags(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(p)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

Json IamService::add_client_id_to_oidc_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  Json id = in.at("ClientID");
  for (const auto& c : p["ClientIDList"])
    if (c == id) return Json::object();
  if (p["ClientIDList"].size() >= 100) limit_exceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100");
  p["ClientIDList"].push_back(id);
  save(account_id(ctx), "oidc", p, p["Url"]);
  return Json::object();
}

Json IamService::remove_client_id_from_oidc_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  Json kept = Json::array();
  for (const auto& c : p["ClientIDList"])
    if (c != in.at("ClientID")) kept.push_back(c);
  p["ClientIDList"] = kept;
  save(account_id(ctx), "oidc", p, p["Url"]);
  return Json::object();
}

Json IamService::update_oidc_thumbprint(RequestContext& ctx, const Json& in) {
  Json& p = need_oidc(account(ctx), in.at("OpenIDConnectProviderArn").get<std::string>());
  p["ThumbprintList"] = in.at("ThumbprintList");
  save(account_id(ctx), "oidc", p, p["Url"]);
  return Json::object();
}

// ---------------------------------------------------------------------------------------------------
// SAML providers

namespace {
Json& need_saml(AccountState& a, const std::string& arn) {
  for (auto& [k, p] : a.saml)
    if (p["Arn"] == arn) return p;
  no_such_entity("Manifest not found for arn " + arn);
}

// A SAML metadata document must at least be an XML EntityDescriptor (IAM parses it; cloudbox checks its shape).
void check_metadata(const std::string& doc) {
  if (doc.size() < 1000 || doc.find("EntityDescriptor") == std::string::npos)
    invalid_input("Could not parse metadata");
}
}  // namespace

Json IamService::create_saml_provider(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  const std::string acct = account_id(ctx);
  std::string name = in.at("Name").get<std::string>();
  std::string doc = in.at("SAMLMetadataDocument").get<std::string>();
  check_metadata(doc);
  if (a.saml.count(lower(name))) already_exists("SAMLProvider " + name + " already exists");
  Json p = {{"Name", name},
            {"Arn", "arn:aws:iam::" + acct + ":saml-provider/" + name},
            {"SAMLProviderUUID", uuid4()},
            {"SAMLMetadataDocument", doc},
            {"CreateDate", now_epoch(ctx)},
            {"ValidUntil", now_epoch(ctx) + 100.0 * 365 * 86400},
            {"AssertionEncryptionMode", in.value("AssertionEncryptionMode", "Allowed")},
            {"Tags", Json::object()}};
  if (in.contains("Tags")) apply_tags(p, in["Tags"]);
  save(acct, "saml", p, name);
  a.saml[lower(name)] = p;
  Json out = {{"SAMLProviderArn", p["Arn"]}};
  if (!p["Tags"].empty()) out["Tags"] = tags_out(p);
  return out;
}

Json IamService::get_saml_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_saml(account(ctx), in.at("SAMLProviderArn").get<std::string>());
  Json out = {{"SAMLProviderUUID", p["SAMLProviderUUID"]}, {"SAMLMetadataDocument", p["SAMLMetadataDocument"]},
              {"CreateDate", p["CreateDate"]},             {"ValidUntil", p["ValidUntil"]},
              {"AssertionEncryptionMode", p["AssertionEncryptionMode"]}};
  if (!p["Tags"].empty()) out["Tags"] = tags_out(p);
  return out;
}

Json IamService::update_saml_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_saml(account(ctx), in.at("SAMLProviderArn").get<std::string>());
  Json copy = p;
  if (in.contains("SAMLMetadataDocument")) {
    check_metadata(in["SAMLMetadataDocument"].get<std::string>());
    copy["SAMLMetadataDocument"] = in["SAMLMetadataDocument"];
  }
  if (in.contains("AssertionEncryptionMode")) copy["AssertionEncryptionMode"] = in["AssertionEncryptionMode"];
  save(account_id(ctx), "saml", copy, copy["Name"]);
  p = copy;
  return {{"SAMLProviderArn", p["Arn"]}};
}

Json IamService::delete_saml_provider(RequestContext& ctx, const Json& in) {
  AccountState& a = account(ctx);
  Json& p = need_saml(a, in.at("SAMLProviderArn").get<std::string>());
  std::string name = p["Name"].get<std::string>();
  erase(account_id(ctx), "saml", name);
  a.saml.erase(lower(name));
  return Json::object();
}

Json IamService::list_saml_providers(RequestContext& ctx, const Json&) {
  Json list = Json::array();
  for (const auto& [k, p] : account(ctx).saml)
    list.push_back({{"Arn", p["Arn"]}, {"ValidUntil", p["ValidUntil"]}, {"CreateDate", p["CreateDate"]}});
  return {{"SAMLProviderList", list}};
}

Json IamService::tag_saml_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_saml(account(ctx), in.at("SAMLProviderArn").get<std::string>());
  Json copy = p;
  apply_tags(copy, in.at("Tags"));
  save(account_id(ctx), "saml", copy, copy["Name"]);
  p = copy;
  return Json::object();
}

Json IamService::untag_saml_provider(RequestContext& ctx, const Json& in) {
  Json& p = need_saml(account(ctx), in.at("SAMLProviderArn").get<std::string>());
  remove_tags(p, in.at("TagKeys"));
  save(account_id(ctx), "saml", p, p["Name"]);
  return Json::object();
}

Json IamService::list_saml_provider_tags(RequestContext& ctx, const Json& in) {
  Json& p = need_saml(account(ctx), in.at("SAMLProviderArn").get<std::string>());
  std::vector<std::pair<std::string, Json>> rows;
  for (const auto& t : tags_out(p)) rows.emplace_back(t["Key"].get<std::string>(), t);
  return page(in, rows, "Tags");
}

}  // namespace cloudbox::iam
