// Session tokens: HS256 JWTs issued at login and checked on every request / WebSocket auth.
//
// Claims: sub (user id, string), username, role, tv (the user's token_version), iat, exp.
// Verification accepts only HS256 with our secret, requires exp and rejects an expired token;
// callers then compare `tv` with the stored user (a bumped version revokes the token) and
// re-read role and scope from the store (the role claim is informational only).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/types.hpp"

namespace opdesk::store {
class Store;
}

namespace opdesk::auth {

struct Claims {
  int64_t user_id = 0;
  std::string username;
  std::string role;
  int64_t token_version = 0;
  int64_t iat = 0;  // seconds
  int64_t exp = 0;  // seconds
};

// Error codes (stable, used in API answers).
inline constexpr std::string_view kTokenMissing = "auth.token.missing";
inline constexpr std::string_view kTokenInvalid = "auth.token.invalid";
inline constexpr std::string_view kTokenExpired = "auth.token.expired";

struct TokenResult {
  std::optional<Claims> claims;
  std::string code;     // empty when ok
  std::string message;  // human readable, no token content
  bool ok() const { return claims.has_value(); }
};

struct IssuedToken {
  std::string token;
  int64_t expires_at_ms = 0;
};

class TokenService {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // secret: at least 32 characters (throws std::invalid_argument otherwise).
  explicit TokenService(std::string secret,
                        Clock clock = [] { return std::chrono::system_clock::now(); });

  IssuedToken issue(const store::User& user, std::chrono::seconds ttl) const;
  TokenResult verify(std::string_view token) const;

 private:
  std::string secret_;
  Clock clock_;
};

inline constexpr std::string_view kJwtSecretKey = "JWT_SECRET";
inline constexpr size_t kMinJwtSecretLength = 32;

// The configured secret when non-empty (must be ≥ 32 chars); otherwise the one stored in the
// settings table, created on first start from 32 random bytes (hex) and flagged secret.
// There is no built-in default.
std::string load_or_create_jwt_secret(store::Store& store, const std::string& configured);

}  // namespace opdesk::auth
