// Authentication and API-key routes; see auth_routes.hpp. Login failures are answered the
// same way whatever the cause (unknown user, wrong password, disabled), and every attempt is
// audited by auth::AuthService.
#include "auth_routes.hpp"

#include "admin_routes.hpp"
#include "auth/api_keys.hpp"
#include "http_util.hpp"

namespace opdesk::api {
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

// API key bodies (create: name, scopes, expires_at; patch also enabled): anything else is a 400.
const std::vector<std::string_view> kApiKeyFields = {"name", "scopes", "expires_at", "enabled"};
const std::vector<std::string_view> kLoginFields = {"login", "username", "password"};

json api_key_json(const store::ApiKey& k) {
  return {{"id", k.id}, {"name", k.name}, {"key_prefix", k.prefix}, {"scopes", k.scopes},
          {"enabled", k.enabled}, {"created_by", k.created_by}, {"created_at", k.created_at},
          {"last_used_at", k.last_used_at ? json(*k.last_used_at) : json()},
          {"expires_at", k.expires_at ? json(*k.expires_at) : json()}};
}

// "YYYY-MM-DD", an ISO date-time or Unix ms → Unix ms.
std::optional<int64_t> parse_expiry(const json& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) throw ApiError(400, "request.field.invalid", "expires_at must be a date", "expires_at");
  std::string s = v.get<std::string>();
  if (s.empty()) return std::nullopt;
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  if (!end) throw ApiError(400, "request.field.invalid", "expires_at must be YYYY-MM-DD or ISO-8601", "expires_at");
  if (*end == 'T' || *end == ' ') {
    const char* e2 = strptime(end + 1, "%H:%M:%S", &tm);
    if (!e2) throw ApiError(400, "request.field.invalid", "expires_at has a bad time part", "expires_at");
  } else {
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 59;
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::set<std::string> scopes_from(const json& body) {
  auto it = body.find("scopes");
  if (it == body.end() || !it->is_array()) throw ApiError(400, "request.field.invalid", "scopes must be an array", "scopes");
  std::set<std::string> out;
  for (const auto& s : *it) {
    if (!s.is_string()) throw ApiError(400, "request.field.invalid", "scopes must be strings", "scopes");
    out.insert(s.get<std::string>());
  }
  return out;
}

int64_t id_param(const Request& req) {
  std::string s(req.param("id"));
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    throw ApiError(400, "request.field.invalid", "id must be a positive integer", "id");
  }
  return std::stoll(s);
}

}  // namespace

void register_auth_routes(Router& r, AuthDeps& d) {
  r.add("POST", "/api/auth/login", [&d](Request& req) -> asio::awaitable<Response> {
    json body = parse_json_body(req);
    reject_unknown(body, kLoginFields);
    auth::LoginRequest lr;
    lr.login = opt_string(body, "login", 128).value_or(opt_string(body, "username", 128).value_or(""));
    lr.password = opt_string(body, "password", 1024).value_or("");
    lr.ip = req.remote_ip;
    if (lr.login.empty()) throw ApiError(400, std::string(auth::kRequestInvalid), "login is required", "login");
    if (lr.password.empty()) throw ApiError(400, std::string(auth::kRequestInvalid), "password is required", "password");
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work1 = [&d, lr] { return d.auth.login(lr); };
    auto res = co_await d.store.async(std::move(work1));
    if (!res.ok()) {
      if (res.code == auth::kRateLimited) {
        long secs = res.retry_after ? static_cast<long>(res.retry_after->count()) : 60;
        ApiError e(429, res.code, "too many failed logins; try again in " + std::to_string(secs) + " s");
        e.headers.emplace_back("Retry-After", std::to_string(secs));
        throw e;
      }
      int status = res.code == auth::kRequestInvalid ? 400 : 401;
      throw ApiError(status, res.code, res.message.empty() ? "invalid login or password" : res.message);
    }
    json out = {{"access_token", res.token->token}, {"token_type", "bearer"},
                {"expires_at", res.token->expires_at_ms}, {"user", res.who->me}};
    co_return json_response(200, out);
  }, "public: Log in with username or extension and password");

  r.add("GET", "/api/auth/me", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.session.require(req);
    co_return json_response(200, p.me);
  }, "The current user with role, scope and monitor modes");

  // API keys (admin): /api/settings/api-keys and the upstream alias /api/api-keys.
  for (std::string base : {std::string("/api/settings/api-keys"), std::string("/api/api-keys")}) {
    r.add("GET", base, [&d](Request& req) -> asio::awaitable<Response> {
      Principal p = co_await d.session.require(req);
      require_admin(p);
      auto keys = co_await d.store.async([&d] { return d.store.api_keys().list(); });
      json list = json::array();
      for (const auto& k : keys) list.push_back(api_key_json(k));
      json out = {{"api_keys", list}};
      co_return json_response(200, out);
    }, "List API keys");

    r.add("POST", base, [&d](Request& req) -> asio::awaitable<Response> {
      Principal p = co_await d.session.require(req);
      require_admin(p);
      json body = parse_json_body(req);
      reject_unknown(body, kApiKeyFields);
      auth::NewApiKeyRequest nk;
      nk.name = req_string(body, "name", 128);
      nk.scopes = scopes_from(body);
      nk.created_by = p.username;
      if (body.contains("expires_at")) nk.expires_at = parse_expiry(body["expires_at"]);
      int64_t now = d.now_ms();
      // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
      auto work2 = [&d, nk, now] { return auth::create_api_key(d.store, nk, now); };
      auto created = co_await d.store.async(std::move(work2));
      json detail = {{"id", created.meta.id}, {"scopes", created.meta.scopes}};
      co_await audit(d.store, p, "api_key.create", created.meta.name, "ok", detail, req.remote_ip);
      json out = api_key_json(created.meta);
      out["key"] = created.key;
      co_return json_response(201, out);
    }, "Create an API key (the key is shown once)");

    r.add("PATCH", base + "/{id}", [&d](Request& req) -> asio::awaitable<Response> {
      Principal p = co_await d.session.require(req);
      require_admin(p);
      int64_t id = id_param(req);
      json body = parse_json_body(req);
      reject_unknown(body, kApiKeyFields);
      store::ApiKeyPatch patch;
      if (auto s = opt_string(body, "name", 128)) patch.name = *s;
      if (body.contains("scopes")) {
        auto sc = scopes_from(body);
        auth::check_api_key_scopes(sc);
        patch.scopes = sc;
      }
      if (auto e = opt_bool(body, "enabled")) patch.enabled = *e;
      if (body.contains("expires_at")) patch.expires_at = parse_expiry(body["expires_at"]);
      // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
      auto work3 = [&d, id, patch] { return d.store.api_keys().update(id, patch); };
      auto k = co_await d.store.async(std::move(work3));
      json detail = {{"id", id}};
      co_await audit(d.store, p, "api_key.update", k.name, "ok", detail, req.remote_ip);
      co_return json_response(200, api_key_json(k));
    }, "Update an API key");

    r.add("DELETE", base + "/{id}", [&d](Request& req) -> asio::awaitable<Response> {
      Principal p = co_await d.session.require(req);
      require_admin(p);
      int64_t id = id_param(req);
      co_await d.store.async([&d, id] { d.store.api_keys().remove(id); return 0; });
      json detail = {{"id", id}};
      co_await audit(d.store, p, "api_key.delete", std::to_string(id), "ok", detail, req.remote_ip);
      Response resp;
      resp.status = 204;
      resp.content_type.clear();
      co_return resp;
    }, "Revoke an API key");
  }

  r.add("GET", "/api/api-keys/permissions", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.session.require(req);
    require_admin(p);
    json out = {{"permissions", auth::api_key_scopes()}};
    co_return json_response(200, out);
  }, "Known API key scopes");
}

}  // namespace opdesk::api
