// Password hashing and verification (see password.hpp).
//
// New hashes: crypto_pwhash_str with the INTERACTIVE limits (argon2id, 64 MiB, t=2: ~50 ms),
// which must run on the store's worker pool, never on the event loop. Imported bcrypt hashes
// are checked with libxcrypt's crypt_rn (reentrant; its 32 KiB work area is heap-allocated)
// and the result is compared in constant time. Unknown formats never verify.
#include "auth/password.hpp"

#include <crypt.h>
#include <memory>
#include <sodium.h>
#include <stdexcept>

#include "auth/crypto.hpp"
#include "store/errors.hpp"

namespace opdesk::auth {
namespace {

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

PasswordCheck verify_argon2(std::string_view password, const std::string& hash) {
  PasswordCheck r;
  r.ok = crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  r.needs_rehash = r.ok && crypto_pwhash_str_needs_rehash(hash.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
  return r;
}

PasswordCheck verify_bcrypt(std::string_view password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  PasswordCheck r;
  r.ok = out != nullptr && out[0] != '*' && constant_time_equal(out, hash);
  r.needs_rehash = r.ok;
  return r;
}

}  // namespace

void check_new_password(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    throw store::ValidationError("password", "password must be at least " +
                                                 std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    throw store::ValidationError("password", "password must be at most " +
                                                 std::to_string(kMaxPasswordLength) + " characters");
  }
  if (has_nul(password)) throw store::ValidationError("password", "password must not contain NUL");
}

std::string hash_password(std::string_view password) {
  init_crypto();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("password hashing failed: out of memory");
  }
  return out;
}

bool is_bcrypt_hash(std::string_view hash) {
  return hash.size() == 60 && (hash.substr(0, 4) == "$2a$" || hash.substr(0, 4) == "$2b$" ||
                               hash.substr(0, 4) == "$2y$");
}

PasswordCheck verify_password(std::string_view password, std::string_view stored_hash) {
  init_crypto();
  if (password.size() > kMaxPasswordLength || has_nul(password) || has_nul(stored_hash)) return {};
  const std::string hash(stored_hash);
  if (hash.rfind("$argon2id$", 0) == 0) return verify_argon2(password, hash);
  if (is_bcrypt_hash(hash)) return verify_bcrypt(password, hash);
  return {};
}

}  // namespace opdesk::auth
