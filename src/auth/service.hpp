// AuthService: login and per-request authentication, on top of the store, passwords, tokens,
// the rate limiter and scope resolution. Both calls are BLOCKING (argon2 ~50 ms, SQL): the API
// runs them through Store::async.
//
// Lockout policy: see rate_limiter.hpp; the failures of the last window are restored from the
// audit log at construction, so lockouts survive a restart.
// login():    empty fields → auth.request.invalid; locked → auth.rate_limited (+retry_after);
//             unknown login, wrong password or disabled account → auth.credentials.invalid
//             (same answer and similar time for all three); success re-hashes a bcrypt hash to
//             argon2id, stamps last_login_at, writes an audit row and issues a token.
// authenticate(): token checks (auth.token.missing|invalid|expired), then the user must exist
//             (auth.token.invalid), be active (auth.user.inactive) and carry the same
//             token_version (auth.token.revoked); the scope is resolved fresh.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "auth/rate_limiter.hpp"
#include "auth/scope.hpp"
#include "auth/tokens.hpp"
#include "store/types.hpp"

namespace opdesk::store {
class Store;
}

namespace opdesk::auth {

inline constexpr std::string_view kRequestInvalid = "auth.request.invalid";
inline constexpr std::string_view kCredentialsInvalid = "auth.credentials.invalid";
inline constexpr std::string_view kRateLimited = "auth.rate_limited";
inline constexpr std::string_view kUserInactive = "auth.user.inactive";
inline constexpr std::string_view kTokenRevoked = "auth.token.revoked";

struct LoginRequest {
  std::string login;  // username or extension
  std::string password;
  std::string ip;
};

struct Authenticated {
  store::User user;
  Scope scope;
  Claims claims;
  nlohmann::json me;  // user_json(user, scope)
};

struct LoginResult {
  std::string code;  // empty on success
  std::string message;
  std::optional<std::chrono::seconds> retry_after;  // with auth.rate_limited
  std::optional<IssuedToken> token;
  std::optional<Authenticated> who;
  bool ok() const { return code.empty(); }
};

struct AuthResult {
  std::optional<Authenticated> who;
  std::string code;
  std::string message;
  bool ok() const { return who.has_value(); }
};

class AuthService {
 public:
  struct Options {
    std::chrono::seconds token_ttl{std::chrono::hours(12)};
    LoginRateLimiter::Options limits;
  };
  AuthService(store::Store& store, TokenService tokens, Options opt,
              LoginRateLimiter::Clock clock = [] { return std::chrono::steady_clock::now(); });

  LoginResult login(const LoginRequest& req);
  AuthResult authenticate(std::string_view token);
  const TokenService& tokens() const { return tokens_; }
  LoginRateLimiter& limiter() { return limiter_; }
  // Replays the failed logins of the last window from the audit log (done by the constructor;
  // a store error is logged and leaves the limiter empty). Returns the failures replayed.
  size_t restore_lockouts();

 private:
  LoginResult fail_login(const LoginRequest& req, const std::optional<store::User>& user, std::string why);
  void audit_login(const LoginRequest& req, const std::optional<store::User>& user, bool ok, const std::string& why);

  store::Store& store_;
  TokenService tokens_;
  Options opt_;
  LoginRateLimiter limiter_;
};

}  // namespace opdesk::auth
