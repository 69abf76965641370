// Key pair material with OpenSSL 3 (see keys.h for the formats and fingerprints AWS uses).
#include "services/ec2/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>
#include <stdexcept>

#include "core/common/encoding.h"
#include "core/common/ids.h"

namespace cloudbox::ec2 {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(data.data(), data.size(), out, &n, md, nullptr) != 1) throw std::runtime_error("digest failed");
  return std::string(reinterpret_cast<char*>(out), n);
}

void put_u32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(char((v >> s) & 0xff));
}
void put_string(std::string& out, std::string_view s) {
  put_u32(out, uint32_t(s.size()));
  out.append(s);
}
std::string mpint(const BIGNUM* bn) {
  std::string b(size_t(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(b.data()));
  if (!b.empty() && (static_cast<unsigned char>(b[0]) & 0x80)) b.insert(b.begin(), '\0');
  return b;
}

struct Reader {
  std::string_view data;
  bool ok = true;
  std::string_view next() {
    if (data.size() < 4) {
      ok = false;
      return {};
    }
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(data[size_t(i)]);
    data.remove_prefix(4);
    if (n > data.size()) {
      ok = false;
      return {};
    }
    auto s = data.substr(0, n);
    data.remove_prefix(n);
    return s;
  }
};

std::string der_pkcs8(EVP_PKEY* pkey) {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey);
  if (!p8) throw std::runtime_error("PKCS#8 encoding failed");
  unsigned char* buf = nullptr;
  int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (n <= 0) throw std::runtime_error("PKCS#8 encoding failed");
  std::string out(reinterpret_cast<char*>(buf), size_t(n));
  OPENSSL_free(buf);
  return out;
}

std::string der_spki(EVP_PKEY* pkey) {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(pkey, &buf);
  if (n <= 0) throw std::runtime_error("public key encoding failed");
  std::string out(reinterpret_cast<char*>(buf), size_t(n));
  OPENSSL_free(buf);
  return out;
}

std::string rsa_blob(EVP_PKEY* pkey) {
  BIGNUM *n = nullptr, *e = nullptr;
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
  std::string blob;
  put_string(blob, "ssh-rsa");
  put_string(blob, mpint(e));
  put_string(blob, mpint(n));
  BN_free(n);
  BN_free(e);
  return blob;
}

std::string ed25519_blob(std::string_view pub) {
  std::string blob;
  put_string(blob, "ssh-ed25519");
  put_string(blob, pub);
  return blob;
}

std::string wrap(const std::string& b64, size_t width) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += width) out += b64.substr(i, width) + "\n";
  return out;
}

// The OpenSSH private key format ("openssh-key-v1", unencrypted) for an ED25519 key.
std::string openssh_private_ed25519(std::string_view seed, std::string_view pub) {
  std::string blob = ed25519_blob(pub);
  std::string priv;
  uint32_t check = uint32_t(random_u64());
  put_u32(priv, check);
  put_u32(priv, check);
  put_string(priv, "ssh-ed25519");
  put_string(priv, pub);
  put_string(priv, std::string(seed) + std::string(pub));
  put_string(priv, "");  // comment
  for (char pad = 1; priv.size() % 8 != 0; ++pad) priv.push_back(pad);
  std::string all = std::string("openssh-key-v1") + '\0';
  put_string(all, "none");
  put_string(all, "none");
  put_string(all, "");
  put_u32(all, 1);
  put_string(all, blob);
  put_string(all, priv);
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + wrap(base64_encode(all), 70) + "-----END OPENSSH PRIVATE KEY-----";
}

}  // namespace

std::string colon_hex(std::string_view bytes) {
  std::string hex = hex_encode(bytes), out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

KeyMaterial generate_key(const std::string& type) {
  KeyMaterial k;
  k.type = type;
  if (type == "ed25519") {
    Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!pkey) throw std::runtime_error("ED25519 key generation failed");
    unsigned char pub[32], seed[32];
    size_t pl = sizeof pub, sl = sizeof seed;
    EVP_PKEY_get_raw_public_key(pkey.get(), pub, &pl);
    EVP_PKEY_get_raw_private_key(pkey.get(), seed, &sl);
    std::string p(reinterpret_cast<char*>(pub), pl), s(reinterpret_cast<char*>(seed), sl);
    std::string blob = ed25519_blob(p);
    k.private_key = openssh_private_ed25519(s, p);
    k.public_openssh = "ssh-ed25519 " + base64_encode(blob);
    k.fingerprint = base64_encode(digest(EVP_sha256(), blob));
    OPENSSL_cleanse(seed, sizeof seed);
    return k;
  }
  Pkey pkey(EVP_RSA_gen(2048));
  if (!pkey) throw std::runtime_error("RSA key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey_traditional(bio, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  k.private_key.assign(data, size_t(n));
  BIO_free(bio);
  while (!k.private_key.empty() && k.private_key.back() == '\n') k.private_key.pop_back();
  k.public_openssh = "ssh-rsa " + base64_encode(rsa_blob(pkey.get()));
  k.fingerprint = colon_hex(digest(EVP_sha1(), der_pkcs8(pkey.get())));
  return k;
}

std::string rsa_created_fingerprint_from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  Pkey pkey(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  if (!pkey) return {};
  return colon_hex(digest(EVP_sha1(), der_pkcs8(pkey.get())));
}

std::optional<ImportedKey> parse_openssh_public_key(std::string_view text) {
  // "TYPE BASE64 [comment]", surrounding whitespace allowed.
  auto trim = [](std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  auto sp = text.find_first_of(" \t");
  if (sp == std::string_view::npos) return std::nullopt;
  std::string type(text.substr(0, sp));
  std::string_view rest = trim(text.substr(sp));
  auto sp2 = rest.find_first_of(" \t\r\n");
  std::string_view b64 = rest.substr(0, sp2);
  auto blob = base64_decode(b64);
  if (!blob || blob->empty()) return std::nullopt;
  Reader rd{*blob};
  std::string inner(rd.next());
  if (!rd.ok || inner != type) return std::nullopt;
  ImportedKey k;
  k.public_openssh = type + " " + base64_encode(*blob);
  if (type == "ssh-ed25519") {
    auto pub = rd.next();
    if (!rd.ok || pub.size() != 32 || !rd.data.empty()) return std::nullopt;
    k.type = "ed25519";
    k.bits = 256;
    k.fingerprint = base64_encode(digest(EVP_sha256(), *blob));
    return k;
  }
  if (type != "ssh-rsa") return std::nullopt;
  auto e = rd.next();
  auto n = rd.next();
  if (!rd.ok || e.empty() || n.empty() || !rd.data.empty()) return std::nullopt;
  BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), int(e.size()), nullptr);
  BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), int(n.size()), nullptr);
  k.bits = BN_num_bits(bn_n);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  EVP_PKEY* raw = nullptr;
  bool ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_e);
  BN_free(bn_n);
  Pkey pkey(raw);
  if (!ok || !pkey || k.bits < 1024 || k.bits > 16384) return std::nullopt;
  k.type = "rsa";
  k.fingerprint = colon_hex(digest(EVP_md5(), der_spki(pkey.get())));
  return k;
}

}  // namespace cloudbox::ec2
