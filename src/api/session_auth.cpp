// SessionAuth; see session_auth.hpp.
#include "session_auth.hpp"

#include "auth/api_keys.hpp"

namespace opdesk::api {
namespace asio = boost::asio;

Principal SessionAuth::principal_of(const auth::Authenticated& a) {
  Principal p;
  p.user_id = a.user.id;
  p.username = a.user.username;
  p.role = std::string(store::to_string(a.user.role));
  p.extension = a.user.extension;
  p.all = a.scope.all;
  p.extensions = a.scope.extensions;
  p.queues = a.scope.queues;
  for (auto m : a.scope.monitor_modes) p.monitor_modes.insert(std::string(store::to_string(m)));
  p.token_exp_ms = a.claims.exp * 1000;
  p.token_version = a.claims.token_version;
  p.me = a.me;
  return p;
}

asio::awaitable<Principal> SessionAuth::require(const Request& req, std::string_view key_scope) {
  std::string_view authz = req.header("authorization");
  std::string token;
  if (authz.size() > 7 && (authz.substr(0, 7) == "Bearer " || authz.substr(0, 7) == "bearer ")) {
    token = std::string(authz.substr(7));
  }
  std::string key = std::string(req.header("x-api-key"));
  if (key.empty() && auth::looks_like_api_key(token)) key = token;
  if (!key.empty()) {
    if (key_scope.empty()) {
      throw ApiError(403, "auth.api_key.not_allowed", "API keys are not accepted on this route");
    }
    int64_t now = now_ms_();
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work1 = [this, key, now] { return auth::authenticate_api_key(store_, key, now); };
    auto rec = co_await store_.async(std::move(work1));
    if (!rec) throw ApiError(401, "auth.api_key.invalid", "invalid, disabled or expired API key");
    if (!rec->scopes.count(std::string(key_scope))) {
      throw ApiError(403, "auth.api_key.scope", "this API key lacks the scope " + std::string(key_scope));
    }
    Principal p;
    p.username = "apikey:" + rec->name;
    p.role = "apikey";
    p.all = true;
    p.api_key = true;
    p.key_scopes = rec->scopes;
    p.me = {{"id", nullptr}, {"username", p.username}, {"role", "apikey"}, {"scopes", rec->scopes}};
    co_return p;
  }
  if (token.empty()) {
    throw ApiError(401, std::string(auth::kTokenMissing), "send Authorization: Bearer <token>");
  }
  // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
  auto work2 = [this, token] { return auth_.authenticate(token); };
  auto res = co_await store_.async(std::move(work2));
  if (!res.ok()) {
    ApiError e(401, res.code, res.message.empty() ? "invalid credentials" : res.message);
    e.headers.emplace_back("WWW-Authenticate", "Bearer");
    throw e;
  }
  co_return principal_of(*res.who);
}

asio::awaitable<Authenticator::Result> SessionAuth::authenticate(std::string token) {
  Result out;
  if (token.empty()) {
    out.code = std::string(auth::kTokenMissing);
    out.message = "no token";
    co_return out;
  }
  // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
  auto work3 = [this, token] { return auth_.authenticate(token); };
  auto res = co_await store_.async(std::move(work3));
  if (!res.ok()) {
    out.code = res.code;
    out.message = res.message;
    co_return out;
  }
  out.principal = principal_of(*res.who);
  out.principal->token = token;
  co_return out;
}

asio::awaitable<Authenticator::Result> SessionAuth::reload(const Principal& p) {
  co_return co_await authenticate(p.token);
}

}  // namespace opdesk::api
