// Key pairs: CreateKeyPair (RSA PEM / ED25519 OpenSSH private keys handed out once), ImportKeyPair (OpenSSH
// public keys), DescribeKeyPairs, DeleteKeyPair. Records keep only the public half.
#include "core/common/ids.h"
#include "services/ec2/keys.h"
#include "services/ec2/service.h"

namespace cloudbox::ec2 {

namespace {

const FilterTable& key_filters() {
  static const FilterTable t = {
      {"key-pair-id", by_path("KeyPairId")},
      {"key-name", by_path("KeyName")},
      {"fingerprint", by_path("KeyFingerprint")},
      {"key-type", by_path("KeyType")},
  };
  return t;
}

void check_key_name(const std::string& name) {
  if (name.empty()) throw AwsError("MissingParameter", "The request must contain the parameter KeyName", 400);
  if (name.size() > 255)
    throw AwsError("InvalidParameterValue", "Value (" + name + ") for parameter keyName is invalid. Length exceeds maximum of 255.", 400);
  for (unsigned char c : name)
    if (c < 0x20 || c > 0x7e)
      throw AwsError("InvalidParameterValue",
                     "Value (" + name + ") for parameter keyName is invalid. Character sets beyond ASCII are not supported.",
                     400);
}

}  // namespace

Res* Ec2Service::find_key_pair(RegionState& r, const std::string& name) {
  for (auto& [id, k] : r.of("key"))
    if (field_is(k.doc, "KeyName", name)) return &k;
  return nullptr;
}

Json Ec2Service::create_key_pair(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = str(in, "KeyName");
  check_key_name(name);
  std::string type = str(in, "KeyType", "rsa");
  std::string format = str(in, "KeyFormat", "pem");
  if (type != "rsa" && type != "ed25519")
    throw AwsError("InvalidParameterValue", "Value (" + type + ") for parameter keyType is invalid.", 400);
  if (format == "ppk")
    throw AwsError("InvalidParameterValue", "cloudbox does not produce PuTTY (ppk) private keys; use KeyFormat pem.", 400);
  if (find_key_pair(r, name))
    throw AwsError("InvalidKeyPair.Duplicate", "The keypair '" + name + "' already exists.", 400);
  TagMap tags = tags_from_specs(in, "key-pair");
  KeyMaterial km = generate_key(type);
  std::string id = new_id("key");
  Json doc = {{"KeyPairId", id},
              {"KeyName", name},
              {"KeyFingerprint", km.fingerprint},
              {"KeyType", type},
              {"CreateTime", epoch(ctx)},
              {"_PublicKey", km.public_openssh}};
  Res& k = add(r, id, doc, std::move(tags));
  Json out = {{"KeyPairId", id}, {"KeyName", name}, {"KeyFingerprint", km.fingerprint}, {"KeyMaterial", km.private_key}};
  if (!k.tags.empty()) out["Tags"] = tag_list_json(k.tags);
  return out;
}

Json Ec2Service::import_key_pair(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = str(in, "KeyName");
  check_key_name(name);
  std::string material = str(in, "PublicKeyMaterial");
  auto key = parse_openssh_public_key(material);
  if (!key) throw AwsError("InvalidKey.Format", "Key is not in valid OpenSSH public key format", 400);
  if (find_key_pair(r, name))
    throw AwsError("InvalidKeyPair.Duplicate", "The keypair '" + name + "' already exists.", 400);
  TagMap tags = tags_from_specs(in, "key-pair");
  std::string id = new_id("key");
  Json doc = {{"KeyPairId", id},
              {"KeyName", name},
              {"KeyFingerprint", key->fingerprint},
              {"KeyType", key->type},
              {"CreateTime", epoch(ctx)},
              {"_PublicKey", key->public_openssh},
              {"_Imported", true}};
  Res& k = add(r, id, doc, std::move(tags));
  Json out = {{"KeyPairId", id}, {"KeyName", name}, {"KeyFingerprint", key->fingerprint}};
  if (!k.tags.empty()) out["Tags"] = tag_list_json(k.tags);
  return out;
}

Json Ec2Service::describe_key_pairs(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  auto names = strings(in, "KeyNames");
  if (!names.empty()) {
    for (const auto& n : names)
      if (!find_key_pair(r, n)) throw AwsError("InvalidKeyPair.NotFound", "The key pair '" + n + "' does not exist", 400);
    Json filtered = in;
    filtered.erase("KeyNames");
    if (!filtered.contains("Filters")) filtered["Filters"] = Json::array();
    filtered["Filters"].push_back({{"Name", "key-name"}, {"Values", names}});
    return describe_key_pairs(ctx, filtered);
  }
  Json out = describe(ctx, in, "key", "KeyPairIds", "KeyPairs", key_filters());
  bool include_public = flag(in, "IncludePublicKey");
  for (auto& k : out["KeyPairs"]) {
    if (include_public) k["PublicKey"] = k.value("_PublicKey", "") + " " + k.value("KeyName", "");
  }
  out.erase("NextToken");
  return out;
}

Json Ec2Service::delete_key_pair(RequestContext& ctx, const Json& in) {
  RegionState& r = region(ctx);
  std::string name = str(in, "KeyName"), id = str(in, "KeyPairId");
  if (name.empty() && id.empty())
    throw AwsError("MissingParameter", "The request must contain the parameter KeyName or KeyPairId", 400);
  Res* k = nullptr;
  if (!id.empty()) {
    check_id_form("key", id);
    k = r.find("key", id);
    if (!k) not_found("key", {id});
  } else {
    k = find_key_pair(r, name);
  }
  // Deleting a key pair that does not exist (by name) succeeds, as on AWS.
  Json out = {{"Return", true}};
  if (k) {
    out["KeyPairId"] = k->id;
    drop(r, k->id);
  }
  return out;
}

}  // namespace cloudbox::ec2
