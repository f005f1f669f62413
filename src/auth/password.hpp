// Password hashing: argon2id (libsodium) for new hashes; bcrypt ($2a$/$2b$/$2y$, as written by
// the upstream product) is verified for imported accounts and reported as needing a rehash.
#pragma once

#include <string>
#include <string_view>

namespace opdesk::auth {

struct PasswordCheck {
  bool ok = false;
  bool needs_rehash = false;  // ok, but the hash is bcrypt or has outdated argon2 limits
};

inline constexpr size_t kMinPasswordLength = 8;
inline constexpr size_t kMaxPasswordLength = 1024;  // bounds the hashing cost of one request

// Throws store::ValidationError (field "password") for a password too short/long or with NUL.
void check_new_password(std::string_view password);
std::string hash_password(std::string_view password);  // "$argon2id$v=19$..."
PasswordCheck verify_password(std::string_view password, std::string_view stored_hash);
bool is_bcrypt_hash(std::string_view hash);

}  // namespace opdesk::auth
