#pragma once
// Key pair material for EC2 (OpenSSL): RSA and ED25519 key generation in the formats AWS hands out, OpenSSH
// public key parsing for ImportKeyPair, and AWS's fingerprints:
//   created RSA   — SHA-1 of the DER PKCS#8 private key, colon-separated hex (59 characters);
//   imported RSA  — MD5 of the DER SubjectPublicKeyInfo, colon-separated hex (47 characters);
//   ED25519 (both) — SHA-256 of the SSH public key blob, base64 with padding (44 characters).
#include <optional>
#include <string>
#include <string_view>

namespace cloudbox::ec2 {

struct KeyMaterial {
  std::string type;            // rsa | ed25519
  std::string private_key;     // RSA: PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"); ED25519: OpenSSH format
  std::string public_openssh;  // "ssh-rsa AAAA…" / "ssh-ed25519 AAAA…"
  std::string fingerprint;
};

KeyMaterial generate_key(const std::string& type);

struct ImportedKey {
  std::string type;
  std::string public_openssh;
  std::string fingerprint;
  int bits = 0;
};
// Parses an OpenSSH public key line ("ssh-rsa BASE64 [comment]"); nullopt when it is not one.
std::optional<ImportedKey> parse_openssh_public_key(std::string_view text);

// Fingerprints (exposed for tests).
std::string rsa_created_fingerprint_from_pem(const std::string& pem);
std::string colon_hex(std::string_view bytes);

}  // namespace cloudbox::ec2
