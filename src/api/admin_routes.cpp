// Admin REST routes; see admin_routes.hpp.
#include "admin_routes.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <regex>

#include "auth/password.hpp"
#include "http_util.hpp"
#include "settings_check.hpp"

namespace opdesk::api {
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

const std::regex kUsernameRe("^[A-Za-z0-9._@-]{1,64}$");
const std::regex kExtensionRe("^[A-Za-z0-9*#_+-]{1,32}$");
const std::regex kQueueRe("^[A-Za-z0-9._@+-]{1,64}$");
// Field aliases (ours first, then the upstream product's). Plain arrays: GCC 12 miscompiles a
// range-for over a braced list of string literals inside a coroutine.
const std::array<const char*, 2> kUserExtFields = {"allowed_extensions", "agent_extensions"};
const std::array<const char*, 2> kUserQueueFields = {"allowed_queues", "queue_names"};
const std::array<const char*, 2> kGroupExtFields = {"extensions", "agent_extensions"};
const std::array<const char*, 2> kGroupQueueFields = {"queues", "queue_extensions"};
const std::array<const char*, 2> kActiveFields = {"active", "is_active"};
// Every field a user / group body may carry (ours and the upstream aliases above); anything else
// is a 400 naming it (a misspelled scope field must not create a user who sees nothing).
const std::vector<std::string_view> kUserFields = {
    "username", "password", "name", "extension", "role", "active", "is_active", "monitor_modes",
    "monitor_mode", "allowed_extensions", "agent_extensions", "allowed_queues", "queue_names", "group_ids"};
const std::vector<std::string_view> kGroupFields = {"name", "extensions", "agent_extensions", "queues",
                                                    "queue_extensions", "user_ids"};

json user_json(const store::User& u) {
  json modes = json::array();
  for (auto m : u.monitor_modes) modes.push_back(store::to_string(m));
  json exts(u.extensions), queues(u.queues), groups(u.group_ids);
  return {{"id", u.id}, {"username", u.username}, {"name", u.name},
          {"extension", u.extension ? json(*u.extension) : json()},
          {"role", store::to_string(u.role)}, {"active", u.active}, {"is_active", u.active},
          {"monitor_modes", modes}, {"allowed_extensions", exts}, {"agent_extensions", exts},
          {"allowed_queues", queues}, {"queue_names", queues}, {"group_ids", groups},
          {"created_at", u.created_at}, {"updated_at", u.updated_at},
          {"last_login_at", u.last_login_at ? json(*u.last_login_at) : json()}};
}

json group_json(const store::Group& g) {
  return {{"id", g.id}, {"name", g.name}, {"extensions", g.extensions}, {"agent_extensions", g.extensions},
          {"queues", g.queues}, {"user_ids", g.user_ids}, {"created_at", g.created_at}};
}

std::set<std::string> string_set(const json& body, const char* field, const std::regex& re) {
  std::set<std::string> out;
  const auto& v = body.at(field);
  if (!v.is_array()) throw ApiError(400, "request.field.invalid", std::string(field) + " must be an array of strings", field);
  if (v.size() > 10000) throw ApiError(400, "request.field.invalid", std::string(field) + " has too many items", field);
  for (const auto& e : v) {
    if (!e.is_string() || !std::regex_match(e.get<std::string>(), re)) {
      throw ApiError(400, "request.field.invalid", std::string(field) + " contains an invalid value", field);
    }
    out.insert(e.get<std::string>());
  }
  return out;
}

std::set<store::MonitorMode> modes_from(const json& body) {
  std::set<store::MonitorMode> out;
  const char* field = body.contains("monitor_modes") ? "monitor_modes" : "monitor_mode";
  json v = body.at(field);
  if (v.is_string()) v = json::array({v});
  if (!v.is_array()) throw ApiError(400, "request.field.invalid", "monitor_modes must be an array", "monitor_modes");
  for (const auto& e : v) {
    auto m = e.is_string() ? store::parse_monitor_mode(e.get<std::string>()) : std::nullopt;
    if (!m) throw ApiError(400, "request.field.invalid", "monitor_modes accepts listen, whisper, barge", "monitor_modes");
    out.insert(*m);
  }
  return out;
}

std::set<int64_t> id_set(const json& body, const char* field) {
  std::set<int64_t> out;
  const auto& v = body.at(field);
  if (!v.is_array()) throw ApiError(400, "request.field.invalid", std::string(field) + " must be an array of ids", field);
  for (const auto& e : v) {
    if (!e.is_number_integer()) throw ApiError(400, "request.field.invalid", std::string(field) + " must be an array of ids", field);
    out.insert(e.get<int64_t>());
  }
  return out;
}

// The one password policy (auth/password.hpp): length, common list, not the username.
void check_password(const std::string& pw, const std::string& username) {
  if (pw.size() > 256) throw ApiError(400, "request.field.invalid", "password is too long", "password");
  try {
    auth::check_new_password(pw, username);
  } catch (const store::ValidationError& e) {
    throw ApiError(400, "request.field.invalid", e.what(), "password");
  }
}

int64_t path_id(const Request& req) {
  std::string s(req.param("id"));
  try {
    size_t pos = 0;
    long long v = std::stoll(s, &pos);
    if (pos == s.size() && v > 0) return v;
  } catch (...) {
  }
  throw ApiError(400, "request.field.invalid", "id must be a positive integer", "id");
}

std::optional<std::string> opt_extension(const json& body) {
  auto it = body.find("extension");
  if (it == body.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) return std::nullopt;
  if (!it->is_string() || !std::regex_match(it->get<std::string>(), kExtensionRe)) {
    throw ApiError(400, "request.field.invalid", "extension must be 1-32 of A-Z 0-9 * # _ + -", "extension");
  }
  return it->get<std::string>();
}

store::Role role_from(const json& body) {
  auto r = store::parse_role(req_string(body, "role", 32));
  if (!r) throw ApiError(400, "request.field.invalid", "role must be admin, supervisor or agent", "role");
  return *r;
}

std::string short_text(const json& body, const char* field, size_t max) {
  auto s = opt_string(body, field, max);
  return s ? *s : std::string();
}

}  // namespace

asio::awaitable<void> audit(store::Store& st, const Principal& who, std::string action,
                            std::string target, std::string result, json detail, std::string ip) {
  store::AuditEntry e;
  if (who.user_id > 0) e.user_id = who.user_id;
  e.username = who.username;
  e.action = std::move(action);
  e.target = std::move(target);
  e.result = std::move(result);
  e.detail = detail.is_null() ? "{}" : detail.dump();
  e.ip = std::move(ip);
  try {
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work1 = [&st, e] { return st.audit().append(e); };
    co_await st.async(std::move(work1));
  } catch (const std::exception& ex) {
    spdlog::warn("audit write failed ({}): {}", e.action, ex.what());
  }
}

const std::map<std::string, SettingSpec>& setting_specs() {
  // Free text: bounded, and no control characters (a CR/LF value would reach AMI, headers, logs).
  static const auto any = [](const std::string& v) {
    if (v.size() > 4096) return false;
    for (unsigned char ch : v) {
      if (ch < 0x20 || ch == 0x7f) return false;
    }
    return true;
  };
  static const auto boolean = [](const std::string& v) {
    return v == "true" || v == "false" || v == "1" || v == "0" || v == "yes" || v == "no";
  };
  static const auto integer = [](const std::string& v) {
    return !v.empty() && v.size() < 10 && v.find_first_not_of("0123456789") == std::string::npos;
  };
  static const auto url = [](const std::string& v) {
    return v.empty() || v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0 || v.rfind("wss://", 0) == 0 || v.rfind("ws://", 0) == 0;
  };
  static const std::map<std::string, SettingSpec> specs = {
      {"AMI_HOST", {false, any}}, {"AMI_PORT", {false, integer, "an integer"}},
      {"AMI_USERNAME", {false, any}}, {"AMI_SECRET", {true, any}},
      {"CLICK_TO_CALL_CONTEXT", {false, any}}, {"QOS_ENABLED", {false, boolean, "true or false"}},
      {"QOS_POOR_LOSS_PCT", {false, integer, "an integer"}}, {"QOS_POOR_JITTER_MS", {false, integer, "an integer"}},
      {"WEBRTC_PBX_SERVER", {false, url, "a ws:// or wss:// URL"}},
      {"SLA_DEFAULT_SECS", {false, integer, "an integer"}}, {"PANEL_TITLE", {false, any}},
      {"CRM_ENABLED", {false, boolean, "true or false"}}, {"CRM_SERVER_URL", {false, url, "an http(s) URL"}},
      {"CRM_AUTH_TYPE", {false, [](const std::string& v) { return v == "api_key" || v == "basic_auth" || v == "bearer_token" || v == "oauth2" || v == "none"; }, "api_key, basic_auth, bearer_token, oauth2 or none"}},
      {"CRM_API_KEY", {true, any}}, {"CRM_API_KEY_HEADER", {false, any}},
      {"CRM_USERNAME", {false, any}}, {"CRM_PASSWORD", {true, any}}, {"CRM_BEARER_TOKEN", {true, any}},
      {"CRM_OAUTH2_CLIENT_ID", {false, any}}, {"CRM_OAUTH2_CLIENT_SECRET", {true, any}},
      {"CRM_OAUTH2_TOKEN_URL", {false, url, "an http(s) URL"}}, {"CRM_OAUTH2_SCOPE", {false, any}},
      {"CRM_ENDPOINT_PATH", {false, any}}, {"CRM_TIMEOUT", {false, integer, "an integer"}},
      {"CRM_VERIFY_SSL", {false, boolean, "true or false"}}, {"CRM_SIGNING_SECRET", {true, any}},
      {"CRM_SYNC_ENABLED", {false, boolean, "true or false"}}, {"CRM_SYNC_ENDPOINT", {false, any}},
      {"CRM_SYNC_METHOD", {false, [](const std::string& v) { return v == "POST" || v == "PUT"; }, "POST or PUT"}},
      {"CRM_SYNC_FIELDS", {false, any}}, {"CRM_SYNC_DIR_INBOUND", {false, boolean, "true or false"}},
      {"CRM_SYNC_DIR_OUTBOUND", {false, boolean, "true or false"}}, {"CRM_SYNC_DIR_INTERNAL", {false, boolean, "true or false"}},
      {"CRM_SYNC_DURATION_FORMAT", {false, [](const std::string& v) { return v == "hms" || v == "seconds"; }, "hms or seconds"}},
      {"CRM_SYNC_STATUS_MAP", {false, any}}, {"CRM_SYNC_KEY_MAP", {false, any}},
      {"CRM_LOOKUP_ENABLED", {false, boolean, "true or false"}}, {"CRM_LOOKUP_URL", {false, any}},
      {"CRM_LOOKUP_NAME_TEMPLATE", {false, any}}, {"CRM_LOOKUP_TTL_HOURS", {false, integer, "an integer"}},
      {"CRM_LOOKUP_NUMBER_FORMAT", {false, any}}, {"CRM_CA_FILE", {false, any}}, {"CRM_PROXY", {false, any}},
      {"CRM_ALLOW_PRIVATE", {false, boolean, "true or false"}},
      {"CRM_RECORDING_BASE_URL", {false, url, "an http(s) URL"}},
      {"CRM_RECORDING_TTL_HOURS", {false, integer, "an integer"}},
      {"CRM_LOG_RETENTION_DAYS", {false, integer, "an integer"}},
      {"CRM_SYNC_PUSH_RINGING", {false, boolean, "true or false"}},
      {"CRM_SYNC_PUSH_ANSWERED", {false, boolean, "true or false"}},
  };
  return specs;
}

void register_admin_routes(Router& r, AdminDeps& d) {
  auto& st = d.store;
  r.add("GET", "/api/settings/users", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    auto users = co_await st.async([&st] { return st.users().list(); });
    json out = json::array();
    for (const auto& u : users) out.push_back(user_json(u));
    json out_body = {{"users", out}};
    co_return json_response(200, out_body);
  }, "List users");

  r.add("GET", "/api/settings/users/{id}", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = path_id(req);
    auto u = co_await st.async([&st, id] { return st.users().get(id); });
    if (!u) throw ApiError(404, "user.not_found", "no user with id " + std::to_string(id), "id");
    co_return json_response(200, user_json(*u));
  }, "Get a user");

  r.add("POST", "/api/settings/users", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json body = parse_json_body(req);
    reject_unknown(body, kUserFields);
    store::NewUser nu;
    nu.username = req_string(body, "username", 64);
    if (!std::regex_match(nu.username, kUsernameRe)) {
      throw ApiError(400, "request.field.invalid", "username may use letters, digits and . _ @ -", "username");
    }
    std::string password = req_string(body, "password", 256);
    check_password(password, nu.username);
    nu.name = short_text(body, "name", 128);
    nu.extension = opt_extension(body);
    nu.role = body.contains("role") ? role_from(body) : store::Role::Agent;
    if (auto a = opt_bool(body, "active")) nu.active = *a;
    if (auto a = opt_bool(body, "is_active")) nu.active = *a;
    if (body.contains("monitor_modes") || body.contains("monitor_mode")) nu.monitor_modes = modes_from(body);
    if (nu.role == store::Role::Admin) {
      nu.monitor_modes = {store::MonitorMode::Listen, store::MonitorMode::Whisper, store::MonitorMode::Barge};
    }
    for (const char* f : kUserExtFields) {
      if (body.contains(f)) nu.extensions = string_set(body, f, kExtensionRe);
    }
    for (const char* f : kUserQueueFields) {
      if (body.contains(f)) nu.queues = string_set(body, f, kQueueRe);
    }
    if (body.contains("group_ids")) nu.group_ids = id_set(body, "group_ids");
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work2 = [&d, password] { return d.hash_password(password); };
    nu.password_hash = co_await st.async(std::move(work2));
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work3 = [&st, nu] { return st.users().create(nu); };
    auto u = co_await st.async(std::move(work3));
    json audit_detail = {{"id", u.id}, {"role", store::to_string(u.role)}};
    co_await audit(st, p, "user.create", u.username, "ok", audit_detail, req.remote_ip);
    co_return json_response(201, user_json(u));
  }, "Create a user");

  r.add("PUT", "/api/settings/users/{id}", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = path_id(req);
    json body = parse_json_body(req);
    reject_unknown(body, kUserFields);
    store::UserPatch patch;
    if (auto s = opt_string(body, "username", 64)) {
      if (!std::regex_match(*s, kUsernameRe)) throw ApiError(400, "request.field.invalid", "username may use letters, digits and . _ @ -", "username");
      patch.username = *s;
    }
    if (auto s = opt_string(body, "name", 128)) patch.name = *s;
    if (body.contains("extension")) patch.extension = opt_extension(body);
    if (body.contains("role")) patch.role = role_from(body);
    if (auto a = opt_bool(body, "active")) patch.active = *a;
    if (auto a = opt_bool(body, "is_active")) patch.active = *a;
    if (body.contains("monitor_modes") || body.contains("monitor_mode")) patch.monitor_modes = modes_from(body);
    if (patch.role && *patch.role == store::Role::Admin) {
      patch.monitor_modes = std::set{store::MonitorMode::Listen, store::MonitorMode::Whisper, store::MonitorMode::Barge};
    }
    for (const char* f : kUserExtFields) {
      if (body.contains(f)) patch.extensions = string_set(body, f, kExtensionRe);
    }
    for (const char* f : kUserQueueFields) {
      if (body.contains(f)) patch.queues = string_set(body, f, kQueueRe);
    }
    if (body.contains("group_ids")) patch.group_ids = id_set(body, "group_ids");
    std::optional<std::string> password = opt_string(body, "password", 256);
    if (password && password->empty()) password.reset();
    if (password) check_password(*password, patch.username.value_or(""));
    std::string hash;
    if (password) {
      // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
      auto work4 = [&d, pw = *password] { return d.hash_password(pw); };
      hash = co_await st.async(std::move(work4));
    }
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work5 = [&st, id, patch, hash, password_text = password.value_or("")]() {
      auto before = st.users().get(id);
      if (!before) throw store::NotFound("id", "no user with id " + std::to_string(id));
      bool demotes = before->role == store::Role::Admin && before->active &&
                     ((patch.role && *patch.role != store::Role::Admin) || (patch.active && !*patch.active));
      if (demotes && st.users().count_active_admins() <= 1) {
        throw store::Conflict("role", "cannot demote or disable the last active admin");
      }
      if (!hash.empty()) auth::check_new_password(password_text, patch.username.value_or(before->username));
      auto after = st.users().update(id, patch);
      if (!hash.empty()) st.users().set_password(id, hash, true);
      return after;
    };
    auto u = co_await st.async(std::move(work5));
    json detail = {{"id", id}, {"fields", json::array()}};
    for (auto it = body.begin(); it != body.end(); ++it) {
      if (it.key() != "password") detail["fields"].push_back(it.key());
    }
    if (password) detail["password_changed"] = true;
    co_await audit(st, p, "user.update", u.username, "ok", detail, req.remote_ip);
    if (d.hub) d.hub->refresh_user(id);
    co_return json_response(200, user_json(u));
  }, "Update a user");

  r.add("DELETE", "/api/settings/users/{id}", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = path_id(req);
    if (id == p.user_id) throw ApiError(409, "user.self_delete", "you cannot delete your own account", "id");
    auto u = co_await st.async([&st, id] {
      auto before = st.users().get(id);
      if (!before) throw store::NotFound("id", "no user with id " + std::to_string(id));
      st.users().remove(id);
      return *before;
    });
    json audit_detail = {{"id", id}};
    co_await audit(st, p, "user.delete", u.username, "ok", audit_detail, req.remote_ip);
    if (d.hub) d.hub->refresh_user(id);
    Response resp;
    resp.status = 204;
    resp.content_type.clear();
    co_return resp;
  }, "Delete a user");

  // Groups (supervisor scope shared by several users).
  r.add("GET", "/api/settings/groups", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    auto groups = co_await st.async([&st] { return st.groups().list(); });
    json out = json::array();
    for (const auto& g : groups) out.push_back(group_json(g));
    json out_body = {{"groups", out}};
    co_return json_response(200, out_body);
  }, "List groups");

  r.add("POST", "/api/settings/groups", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json body = parse_json_body(req);
    reject_unknown(body, kGroupFields);
    store::NewGroup ng;
    ng.name = req_string(body, "name", 128);
    for (const char* f : kGroupExtFields) if (body.contains(f)) ng.extensions = string_set(body, f, kExtensionRe);
    for (const char* f : kGroupQueueFields) if (body.contains(f)) ng.queues = string_set(body, f, kQueueRe);
    if (body.contains("user_ids")) ng.user_ids = id_set(body, "user_ids");
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work6 = [&st, ng] { return st.groups().create(ng); };
    auto g = co_await st.async(std::move(work6));
    json audit_detail = {{"id", g.id}};
    co_await audit(st, p, "group.create", g.name, "ok", audit_detail, req.remote_ip);
    if (d.hub) d.hub->refresh_all();
    co_return json_response(201, group_json(g));
  }, "Create a group");

  r.add("PUT", "/api/settings/groups/{id}", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = path_id(req);
    json body = parse_json_body(req);
    reject_unknown(body, kGroupFields);
    store::GroupPatch gp;
    if (auto s = opt_string(body, "name", 128)) gp.name = *s;
    for (const char* f : kGroupExtFields) if (body.contains(f)) gp.extensions = string_set(body, f, kExtensionRe);
    for (const char* f : kGroupQueueFields) if (body.contains(f)) gp.queues = string_set(body, f, kQueueRe);
    if (body.contains("user_ids")) gp.user_ids = id_set(body, "user_ids");
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work7 = [&st, id, gp] { return st.groups().update(id, gp); };
    auto g = co_await st.async(std::move(work7));
    json audit_detail = {{"id", id}};
    co_await audit(st, p, "group.update", g.name, "ok", audit_detail, req.remote_ip);
    if (d.hub) d.hub->refresh_all();
    co_return json_response(200, group_json(g));
  }, "Update a group");

  r.add("DELETE", "/api/settings/groups/{id}", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = path_id(req);
    co_await st.async([&st, id] { st.groups().remove(id); return 0; });
    json audit_detail = json::object();
    co_await audit(st, p, "group.delete", std::to_string(id), "ok", audit_detail, req.remote_ip);
    if (d.hub) d.hub->refresh_all();
    Response resp;
    resp.status = 204;
    resp.content_type.clear();
    co_return resp;
  }, "Delete a group");

  // Panel settings: secrets are write-only ("***" or "" keeps the stored value).
  auto get_settings = [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    auto all = co_await st.async([&st] { return st.settings().all(); });
    json out = json::object(), secrets = json::array();
    for (const auto& s : all) {
      if (!setting_specs().count(s.key)) continue;  // internal keys (JWT secret, ...) never leave
      if (s.secret || setting_specs().at(s.key).secret) {
        out[s.key] = s.value.empty() ? "" : "***";
        secrets.push_back(s.key);
      } else {
        out[s.key] = s.value;
      }
    }
    json keys = json::array();
    for (const auto& [k, spec] : setting_specs()) keys.push_back({{"key", k}, {"secret", spec.secret}, {"expected", spec.expected}});
    json out_body = {{"success", true}, {"settings", out}, {"keys", keys}};
    co_return json_response(200, out_body);
  };
  r.add("GET", "/api/settings", get_settings, "Panel settings (secrets masked)");

  auto save_settings = [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json body = parse_json_body(req);
    if (body.contains("settings") && body["settings"].is_object()) body = body["settings"];
    std::vector<store::SettingWrite> writes;
    std::vector<std::string> saved;
    for (auto it = body.begin(); it != body.end(); ++it) {
      auto spec = setting_specs().find(it.key());
      if (spec == setting_specs().end()) {
        throw ApiError(400, "settings.key.unknown", "unknown or read-only setting '" + it.key() + "'", it.key());
      }
      std::string v = it->is_string() ? it->get<std::string>() : it->is_boolean() ? (it->get<bool>() ? "true" : "false")
                      : it->is_number_integer() ? std::to_string(it->get<long long>()) : std::string("\x01");
      if (v == "\x01") throw ApiError(400, "request.field.invalid", it.key() + " must be a string, number or boolean", it.key());
      if (it->is_boolean() && std::string_view(spec->second.expected) != "true or false") {
        throw ApiError(400, "request.field.invalid", it.key() + " must be " + spec->second.expected, it.key());
      }
      if (spec->second.secret && (v == "***" || v.empty())) continue;  // keep the stored secret
      writes.push_back({it.key(), v, spec->second.secret});
      saved.push_back(it.key());
    }
    // One validator for every settings path (settings_check.hpp), then the write.
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work8 = [&st, &d, writes, user = p.username] {
      check_setting_writes(d.crm_defaults, st.settings().all(), writes);
      st.settings().set_many(writes, user);
      return 0;
    };
    co_await st.async(std::move(work8));
    json audit_detail = {{"keys", saved}};
    co_await audit(st, p, "settings.update", "", "ok", audit_detail, req.remote_ip);
    if (d.on_settings_changed && !saved.empty()) d.on_settings_changed(saved);
    json out_body = {{"success", true}, {"saved", saved}, {"failed", json::array()}};
    co_return json_response(200, out_body);
  };
  r.add("POST", "/api/settings", save_settings, "Save panel settings");
  r.add("PUT", "/api/settings", save_settings, "Save panel settings");

  r.add("GET", "/api/audit", [&d, &st](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    store::AuditQuery q;
    if (auto v = req.query_value("user")) q.username = *v;
    if (auto v = req.query_value("action")) q.action = *v;
    if (auto v = req.query_value("cursor")) q.cursor = *v;
    auto num = [&](const char* name) -> std::optional<int64_t> {
      auto v = req.query_value(name);
      if (!v) return std::nullopt;
      try {
        size_t pos = 0;
        long long n = std::stoll(*v, &pos);
        if (pos == v->size()) return n;
      } catch (...) {
      }
      throw ApiError(400, "request.field.invalid", std::string(name) + " must be an integer", name);
    };
    if (auto v = num("limit")) {
      if (*v < 1 || *v > store::kMaxAuditPage) throw ApiError(400, "request.field.invalid", "limit must be 1-" + std::to_string(store::kMaxAuditPage), "limit");
      q.limit = static_cast<int>(*v);
    }
    q.from_ms = num("from");
    q.to_ms = num("to");
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work9 = [&st, q] { return st.audit().query(q); };
    auto page = co_await st.async(std::move(work9));
    json items = json::array();
    for (const auto& e : page.items) {
      json detail = json::parse(e.detail, nullptr, false);
      items.push_back({{"id", e.id}, {"at", e.at}, {"user_id", e.user_id ? json(*e.user_id) : json()},
                       {"user", e.username}, {"action", e.action}, {"target", e.target},
                       {"result", e.result}, {"detail", detail.is_discarded() ? json(e.detail) : detail}, {"ip", e.ip}});
    }
    json out_body = {{"items", items}, {"next_cursor", page.next_cursor ? json(*page.next_cursor) : json()}};
    co_return json_response(200, out_body);
  }, "Audit log (newest first, keyset paging)");
}

}  // namespace opdesk::api
