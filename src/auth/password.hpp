// Password hashing: argon2id (libsodium) for new hashes; bcrypt ($2a$/$2b$/$2y$, as written by
// the upstream product) is verified for imported accounts and reported as needing a rehash.
//
// Policy for new passwords (every path: REST user create/update, `opdesk user add|passwd`,
// OPDESK_ADMIN_PASSWORD): 10 to 1024 characters, no NUL, not one repeated character, not in
// the common-password list (auth/common_passwords.txt, compiled in; case-insensitive), and
// not the username (nor the username with only digits/symbols added).
#pragma once

#include <string>
#include <string_view>

namespace opdesk::auth {

struct PasswordCheck {
  bool ok = false;
  bool needs_rehash = false;  // ok, but the hash is bcrypt or has outdated argon2 limits
};

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 1024;  // bounds the hashing cost of one request

// Throws store::ValidationError (field "password") naming the rule a new password breaks.
void check_new_password(std::string_view password, std::string_view username = {});
// True when the password (any case) is on the common-password list.
bool is_common_password(std::string_view password);
std::string hash_password(std::string_view password);  // "$argon2id$v=19$..."
PasswordCheck verify_password(std::string_view password, std::string_view stored_hash);
bool is_bcrypt_hash(std::string_view hash);

}  // namespace opdesk::auth
