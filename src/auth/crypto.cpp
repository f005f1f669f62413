// Crypto helpers (see crypto.hpp). libsodium for randomness, SHA-256 and constant-time compare;
// sodium_init is idempotent and thread-safe, and a failure there is fatal (no safe randomness).
#include "auth/crypto.hpp"

#include <sodium.h>
#include <stdexcept>
#include <vector>

namespace opdesk::auth {

void init_crypto() {
  static const int rc = sodium_init();  // 0 first time, 1 if already initialised
  if (rc < 0) throw std::runtime_error("libsodium initialisation failed");
}

std::string random_hex(size_t bytes) {
  init_crypto();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string out(bytes * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), buf.data(), buf.size());
  out.pop_back();
  sodium_memzero(buf.data(), buf.size());
  return out;
}

std::string random_password(size_t bytes) {
  init_crypto();
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), buf.size(), variant);
  out.resize(out.find('\0'));
  sodium_memzero(buf.data(), buf.size());
  return out;
}

std::string sha256_hex(std::string_view data) {
  init_crypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string out(sizeof digest * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), digest, sizeof digest);
  out.pop_back();
  return out;
}

std::string hex_decode(std::string_view hex) {
  init_crypto();
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                     nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    return {};
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  init_crypto();
  // The length is not secret (hashes have a fixed length); the content comparison is.
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace opdesk::auth
