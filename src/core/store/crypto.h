#pragma once
// AES-256-GCM sealing of everything cloudbox writes to disk (secret values, private keys, credentials).
#include <optional>
#include <string>
#include <string_view>

namespace cloudbox {

class Sealer {
 public:
  // Loads the 32-byte key from `key_path`, creating it (mode 0600) when absent.
  static Sealer from_key_file(const std::string& key_path);
  explicit Sealer(std::string key);

  // nonce(12) | ciphertext | tag(16); `aad` binds the blob to where it is stored.
  std::string seal(std::string_view plaintext, std::string_view aad) const;
  std::optional<std::string> open(std::string_view sealed, std::string_view aad) const;

 private:
  std::string key_;
};

}  // namespace cloudbox
