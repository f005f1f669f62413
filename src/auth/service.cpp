// AuthService implementation (see service.hpp). A dummy argon2id hash (made once) is verified
// for unknown logins so the answer time does not reveal which usernames exist.
#include "auth/service.hpp"

#include <spdlog/spdlog.h>

#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "store/store.hpp"

namespace opdesk::auth {
namespace {

// Login names reach SQL and the audit log: refuse control characters, invalid UTF-8 (MariaDB's
// strict utf8mb4 would reject the row) and names longer than any stored username.
bool acceptable_login(std::string_view s) {
  if (s.size() > 191) return false;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size() || (len == 1 && (c < 0x20 || c == 0x7f))) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

const std::string& dummy_hash() {
  static const std::string h = hash_password(random_hex(16));
  return h;
}

}  // namespace

AuthService::AuthService(store::Store& store, TokenService tokens, Options opt, LoginRateLimiter::Clock clock)
    : store_(store), tokens_(std::move(tokens)), opt_(opt), limiter_(opt.limits, std::move(clock)) {
  restore_lockouts();
}

// Every failed login is an audit row (ip, attempted login, time): replaying the rows of the
// last window rebuilds the limiter, so a restart (or a crash) hands out no fresh budget.
size_t AuthService::restore_lockouts() {
  const int64_t now = store::now_ms();
  const int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(limiter_.options().window).count();
  std::vector<store::AuditEntry> failures;
  try {
    store::AuditQuery q;
    q.action = "auth.login";
    q.from_ms = now - window_ms;
    q.limit = store::kMaxAuditPage;
    for (int page = 0; page < 40; ++page) {  // at most 20,000 rows, newest first
      auto p = store_.audit().query(q);
      for (auto& e : p.items) {
        if (e.result == "denied") failures.push_back(std::move(e));
      }
      if (!p.next_cursor) break;
      q.cursor = p.next_cursor;
    }
  } catch (const std::exception& e) {
    spdlog::warn("auth: login failures of the last {} s not restored: {}", window_ms / 1000, e.what());
    return 0;
  }
  for (auto it = failures.rbegin(); it != failures.rend(); ++it) {
    limiter_.restore(it->ip, it->target, std::chrono::milliseconds(std::max<int64_t>(0, now - it->at)));
  }
  return failures.size();
}

void AuthService::audit_login(const LoginRequest& req, const std::optional<store::User>& user, bool ok,
                              const std::string& why) {
  store::AuditEntry e;
  e.user_id = user ? std::optional<int64_t>(user->id) : std::nullopt;
  e.username = user ? user->username : "";  // the attempted login is the target
  e.action = "auth.login";
  e.target = req.login;
  e.result = ok ? "ok" : "denied";
  e.detail = nlohmann::json{{"reason", why}}.dump();
  e.ip = req.ip.substr(0, 64);
  store_.audit().append(e);
}

LoginResult AuthService::fail_login(const LoginRequest& req, const std::optional<store::User>& user,
                                    std::string why) {
  limiter_.record_failure(req.ip, req.login);
  audit_login(req, user, false, why);
  LoginResult r;
  r.code = std::string(kCredentialsInvalid);
  r.message = "invalid login or password";
  return r;
}

LoginResult AuthService::login(const LoginRequest& req) {
  if (req.login.empty() || req.password.empty()) {
    return LoginResult{std::string(kRequestInvalid), "login and password are required", {}, {}, {}};
  }
  if (!acceptable_login(req.login) || req.ip.size() > 64) {
    return LoginResult{std::string(kRequestInvalid), "login is not valid", {}, {}, {}};
  }
  if (auto wait = limiter_.check(req.ip, req.login)) {
    return LoginResult{std::string(kRateLimited), "too many failed logins, try again later", wait, {}, {}};
  }
  auto user = store_.users().get_by_login(req.login);
  if (!user) {
    verify_password(req.password, dummy_hash());
    return fail_login(req, std::nullopt, "unknown login");
  }
  const PasswordCheck pc = verify_password(req.password, user->password_hash);
  if (!pc.ok) return fail_login(req, user, "wrong password");
  if (!user->active) return fail_login(req, user, "account disabled");
  limiter_.record_success(req.ip, req.login);
  if (pc.needs_rehash) store_.users().set_password(user->id, hash_password(req.password), false);
  const int64_t now = store::now_ms();
  store_.users().touch_login(user->id, now);
  user->last_login_at = now;
  audit_login(req, user, true, "password");
  LoginResult r;
  r.token = tokens_.issue(*user, opt_.token_ttl);
  Scope scope = resolve_scope(*user, store_);
  auto claims = tokens_.verify(r.token->token).claims.value_or(Claims{});
  nlohmann::json me = user_json(*user, scope);
  r.who = Authenticated{std::move(*user), std::move(scope), std::move(claims), std::move(me)};
  return r;
}

AuthResult AuthService::authenticate(std::string_view token) {
  TokenResult t = tokens_.verify(token);
  if (!t.ok()) return AuthResult{std::nullopt, t.code, t.message};
  auto user = store_.users().get(t.claims->user_id);
  if (!user) return AuthResult{std::nullopt, std::string(kTokenInvalid), "the account no longer exists"};
  if (!user->active) return AuthResult{std::nullopt, std::string(kUserInactive), "the account is disabled"};
  if (user->token_version != t.claims->token_version) {
    return AuthResult{std::nullopt, std::string(kTokenRevoked), "the token was revoked"};
  }
  Scope scope = resolve_scope(*user, store_);
  nlohmann::json me = user_json(*user, scope);
  return AuthResult{Authenticated{std::move(*user), std::move(scope), std::move(*t.claims), std::move(me)}, "", ""};
}

}  // namespace opdesk::auth
