// Softphone provisioning routes; see webrtc_routes.hpp.
//
// Invariants: GET /api/webrtc/config reads the extension from the caller's own principal (never
// from the request), so no parameter can select another user's account; API keys are refused
// (require() without a key scope accepts JWTs only). The credentials row is a JSON object
// {"auth_username","password"} stored with the settings' secret flag. Store and FreePBX calls run
// on the worker pool; the closures handed to co_await capture only references to locals of
// the coroutine frame (GCC 12 may bitwise-copy a closure in a co_await operand, which breaks
// captured std::string members).
#include "webrtc_routes.hpp"

#include <regex>

#include "admin_routes.hpp"
#include "http_util.hpp"
#include "store/errors.hpp"

namespace opdesk::api {
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

const std::vector<std::string_view> kCredentialFields = {"password", "auth_username"};

// SIP user part: what FreePBX/Asterisk/Kamailio accept as an extension or auth user.
const std::regex kSipUserRe("^[A-Za-z0-9_.-]{1,32}$");
const std::string kKeyPrefix = "webrtc.credentials.";
constexpr size_t kMaxPassword = 128;  // FreePBX's secret column is shorter; 128 leaves room

struct Credentials {
  std::string auth_username, password, source;
};

std::optional<Credentials> parse_row(const std::string& value) {
  json j = json::parse(value, nullptr, false);
  if (!j.is_object() || !j.contains("password") || !j["password"].is_string()) return std::nullopt;
  return Credentials{j.value("auth_username", std::string()), j["password"].get<std::string>(), "panel"};
}

std::string path_extension(const Request& req) {
  std::string ext(req.param("extension"));
  if (!std::regex_match(ext, kSipUserRe)) {
    throw ApiError(400, "request.field.invalid", "extension may use letters, digits and _ . -",
                   "extension");
  }
  return ext;
}

Response no_store(Response r) {
  r.header("Cache-Control", "no-store");
  return r;
}

// The caller's credentials: the panel's own row first, then FreePBX.
asio::awaitable<std::optional<Credentials>> lookup(WebRtcDeps& d, const std::string& ext) {
  auto& st = d.store;
  const std::string key = credentials_key(ext);
  auto read_row = [&st, &key] { return st.settings().get(key); };
  auto row = co_await st.async(std::move(read_row));
  if (row) {
    if (auto c = parse_row(row->value)) co_return c;
  }
  if (!d.pbx_secret) co_return std::nullopt;
  auto read_pbx = [&d, &ext] { return d.pbx_secret(ext); };
  std::optional<std::string> secret;
  try {
    secret = co_await st.async(std::move(read_pbx));
  } catch (const store::StoreError& e) {
    throw ApiError(503, "webrtc.pbx_db_unavailable",
                   std::string("cannot read the extension from the PBX database: ") + e.what());
  }
  if (!secret) co_return std::nullopt;
  co_return Credentials{ext, *secret, "freepbx"};
}

asio::awaitable<std::string> server_url(WebRtcDeps& d) {
  auto& st = d.store;
  auto read = [&st] { return st.settings().get("WEBRTC_PBX_SERVER"); };
  auto s = co_await st.async(std::move(read));
  co_return (s && !s->value.empty()) ? s->value : d.options.pbx_server;
}

asio::awaitable<Response> get_config(WebRtcDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  std::string server = co_await server_url(d);
  if (!p.extension || p.extension->empty()) {
    // A user without an extension simply has no softphone. The upstream product answered 200
    // with a null extension and its client calls this on every page, so this is a 200 too; the
    // reason says why (OpDesk's softphone shows it).
    json none = {{"server", server}, {"extension", nullptr}, {"extension_secret", nullptr},
                 {"provisioned", false}, {"reason", "webrtc.no_extension"},
                 {"message", "your user has no extension: ask an admin to set one"}};
    co_return no_store(json_response(200, none));
  }
  const std::string ext = *p.extension;
  if (server.empty()) {
    throw ApiError(409, "webrtc.server_not_configured",
                   "no SIP WebSocket server is configured (WEBRTC_PBX_SERVER)");
  }
  if (!valid_ws_url(server)) {
    throw ApiError(409, "webrtc.server_invalid",
                   "the SIP WebSocket server must be a ws:// or wss:// URL (WEBRTC_PBX_SERVER)");
  }
  auto creds = co_await lookup(d, ext);
  if (!creds) {
    throw ApiError(404, "webrtc.credentials_not_found",
                   "no SIP credentials are provisioned for extension " + ext);
  }
  std::string domain = d.options.domain.empty() ? url_host(server) : d.options.domain;
  std::string auth_user = creds->auth_username.empty() ? ext : creds->auth_username;
  std::string display = p.me.is_object() ? p.me.value("name", std::string()) : std::string();
  json body = {{"server", server}, {"extension", ext}, {"username", ext},
               {"auth_username", auth_user}, {"password", creds->password},
               {"extension_secret", creds->password},  // the upstream product's key
               {"domain", domain}, {"display_name", display.empty() ? p.username : display},
               {"ice_servers", ice_servers_json(d.options)}, {"dtmf", d.options.dtmf},
               {"source", creds->source}, {"provisioned", true}};
  co_return no_store(json_response(200, body));
}

asio::awaitable<Response> list_credentials(WebRtcDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  require_admin(p);
  auto& st = d.store;
  auto read = [&st] { return st.settings().all(); };
  auto all = co_await st.async(std::move(read));
  json out = json::array();
  for (const auto& s : all) {
    if (s.key.rfind(kKeyPrefix, 0) != 0) continue;
    auto c = parse_row(s.value);
    out.push_back({{"extension", s.key.substr(kKeyPrefix.size())},
                   {"auth_username", c ? c->auth_username : std::string()},
                   {"source", "panel"}, {"updated_at", s.updated_at},
                   {"updated_by", s.updated_by ? json(*s.updated_by) : json()}});
  }
  json body = {{"credentials", out}};
  co_return no_store(json_response(200, body));
}

asio::awaitable<Response> put_credentials(WebRtcDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  require_admin(p);
  std::string ext = path_extension(req);
  json body = parse_json_body(req);
  reject_unknown(body, kCredentialFields);
  std::string password = req_string(body, "password", kMaxPassword);
  if (password.empty() || password.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    throw ApiError(400, "request.field.invalid", "password must be 1-128 characters without line breaks",
                   "password");
  }
  std::string auth_user = opt_string(body, "auth_username", 32).value_or("");
  if (!auth_user.empty() && !std::regex_match(auth_user, kSipUserRe)) {
    throw ApiError(400, "request.field.invalid", "auth_username may use letters, digits and _ . -",
                   "auth_username");
  }
  json row = {{"auth_username", auth_user}, {"password", password}};
  auto& st = d.store;
  const std::string key = credentials_key(ext), value = row.dump();
  auto write = [&st, &key, &value, &p] { st.settings().set(key, value, true, p.username); };
  co_await st.async(std::move(write));
  json detail = {{"auth_username", auth_user}};  // never the password
  co_await audit(st, p, "webrtc.credentials.set", ext, "ok", detail, req.remote_ip);
  json out = {{"extension", ext}, {"auth_username", auth_user.empty() ? ext : auth_user},
              {"provisioned", true}};
  co_return no_store(json_response(200, out));
}

asio::awaitable<Response> delete_credentials(WebRtcDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  require_admin(p);
  std::string ext = path_extension(req);
  auto& st = d.store;
  const std::string key = credentials_key(ext);
  auto erase = [&st, &key] { return st.settings().remove(key); };
  bool removed = co_await st.async(std::move(erase));
  if (!removed) {
    throw ApiError(404, "webrtc.credentials_not_found", "no credentials stored for extension " + ext,
                   "extension");
  }
  co_await audit(st, p, "webrtc.credentials.delete", ext, "ok", json::object(), req.remote_ip);
  json out = {{"extension", ext}, {"removed", true}};
  co_return json_response(200, out);
}

}  // namespace

std::string credentials_key(const std::string& extension) { return kKeyPrefix + extension; }

std::string url_host(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return {};
  std::string scheme = url.substr(0, scheme_end);
  if (scheme != "ws" && scheme != "wss" && scheme != "http" && scheme != "https") return {};
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    return close == std::string::npos ? std::string() : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find(':'));
}

bool valid_ws_url(const std::string& url) {
  return (url.rfind("ws://", 0) == 0 || url.rfind("wss://", 0) == 0) && !url_host(url).empty() &&
         url.find_first_of(" \r\n\t") == std::string::npos;
}

json ice_servers_json(const WebRtcOptions& o) {
  json out = json::array();
  for (const auto& u : o.ice_servers) {
    json e = {{"urls", u}};
    if ((u.rfind("turn:", 0) == 0 || u.rfind("turns:", 0) == 0) && !o.turn_username.empty()) {
      e["username"] = o.turn_username;
      e["credential"] = o.turn_password;
    }
    out.push_back(std::move(e));
  }
  return out;
}

void register_webrtc_routes(Router& r, WebRtcDeps& d) {
  r.add("GET", "/api/webrtc/config",
        [&d](Request& req) { return get_config(d, req); },
        "Softphone: the caller's own SIP account (server, credentials, ICE servers)");
  r.add("GET", "/api/webrtc/credentials",
        [&d](Request& req) { return list_credentials(d, req); },
        "Softphone: provisioned extensions (admin, no secrets)");
  r.add("PUT", "/api/webrtc/credentials/{extension}",
        [&d](Request& req) { return put_credentials(d, req); },
        "Softphone: set an extension's SIP credentials (admin, write-only)");
  r.add("DELETE", "/api/webrtc/credentials/{extension}",
        [&d](Request& req) { return delete_credentials(d, req); },
        "Softphone: remove an extension's SIP credentials (admin)");
}

}  // namespace opdesk::api
