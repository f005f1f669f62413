// Password hashing and verification (see password.hpp).
//
// New hashes: crypto_pwhash_str with the INTERACTIVE limits (argon2id, 64 MiB, t=2: ~50 ms),
// which must run on the store's worker pool, never on the event loop. Imported bcrypt hashes
// are checked with libxcrypt's crypt_rn (reentrant; its 32 KiB work area is heap-allocated)
// and the result is compared in constant time. Unknown formats never verify.
#include "auth/password.hpp"

#include <crypt.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include "auth/crypto.hpp"
#include "store/errors.hpp"

namespace opdesk::auth {
namespace detail {
extern const std::string_view kCommonPasswordsText;  // generated from common_passwords.txt
}
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

const std::unordered_set<std::string_view>& common_passwords() {
  static const std::unordered_set<std::string_view> set = [] {
    std::unordered_set<std::string_view> s;
    std::string_view text = detail::kCommonPasswordsText;
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty() && line[0] != '#') s.insert(line);
    }
    return s;
  }();
  return set;
}

// "alice", "Alice2026!", "alice_alice" for user alice: the name plus only digits/symbols, or
// the name repeated.
bool built_from_username(const std::string& pw, std::string_view username) {
  if (username.empty()) return false;
  const std::string name = lower(username);
  if (pw == name) return true;
  if (name.size() < 3) return false;
  std::string rest = pw;
  for (size_t at; (at = rest.find(name)) != std::string::npos;) rest.erase(at, name.size());
  if (rest.size() == pw.size()) return false;
  return std::all_of(rest.begin(), rest.end(), [](unsigned char c) { return !std::isalpha(c); });
}

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

bool is_common_password(std::string_view password) {
  return common_passwords().count(lower(password)) > 0;
}

void check_new_password(std::string_view password, std::string_view username) {
  if (password.size() < kMinPasswordLength) {
    throw store::ValidationError("password", "password must be at least " +
                                                 std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    throw store::ValidationError("password", "password must be at most " +
                                                 std::to_string(kMaxPasswordLength) + " characters");
  }
  if (has_nul(password)) throw store::ValidationError("password", "password must not contain NUL");
  if (password.find_first_not_of(password[0]) == std::string_view::npos) {
    throw store::ValidationError("password", "password must not be one repeated character");
  }
  const std::string folded = lower(password);
  if (built_from_username(folded, username)) {
    throw store::ValidationError("password", "password must not be the username");
  }
  if (common_passwords().count(folded)) {
    throw store::ValidationError("password", "password is too common; choose another");
  }
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
