#include "core/store/crypto.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <stdexcept>

#include "core/common/ids.h"

namespace cloudbox {
namespace {
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
}

Sealer::Sealer(std::string key) : key_(std::move(key)) {
  if (key_.size() != 32) throw std::runtime_error("the state key must be 32 bytes");
}

Sealer Sealer::from_key_file(const std::string& key_path) {
  std::ifstream in(key_path, std::ios::binary);
  if (in) {
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() != 32) throw std::runtime_error("state key file " + key_path + " is damaged (expected 32 bytes)");
    return Sealer(key);
  }
  std::string key = random_bytes(32);
  int fd = ::open(key_path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw std::runtime_error("cannot create state key file " + key_path);
  bool ok = ::write(fd, key.data(), key.size()) == ssize_t(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write state key file " + key_path);
  return Sealer(key);
}

std::string Sealer::seal(std::string_view plaintext, std::string_view aad) const {
  std::string nonce = random_bytes(12);
  std::string out = nonce;
  out.resize(12 + plaintext.size() + 16);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto u = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key_), u(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, u(aad), int(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), o + 12, &len, u(plaintext), int(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + 12 + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, o + 12 + plaintext.size()) != 1)
    throw std::runtime_error("AES-GCM encryption failed");
  return out;
}

std::optional<std::string> Sealer::open(std::string_view sealed, std::string_view aad) const {
  if (sealed.size() < 28) return std::nullopt;
  size_t n = sealed.size() - 28;
  std::string out(n, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto u = [](std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); };
  std::string tag(sealed.substr(12 + n));
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, u(key_), u(sealed.substr(0, 12))) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u(aad), int(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, u(sealed.substr(12, n)),
                        int(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1)
    return std::nullopt;
  return out;
}

}  // namespace cloudbox
