// Who is asking: a user (JWT) or a machine (API key), with the scope resolved for this request.
//
// Built fresh from the store on every REST request and on every WebSocket (re)check, so a
// changed role, scope or a disabled account applies at once. `all` means admin-wide scope.
// Everything the API filters or permits is decided from these fields only.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

namespace opdesk::api {

struct Principal {
  int64_t user_id = 0;
  std::string username;
  std::string role;  // admin | supervisor | agent | apikey
  std::optional<std::string> extension;
  bool all = false;  // sees every extension and queue
  std::set<std::string> extensions;
  std::set<std::string> queues;
  std::set<std::string> monitor_modes;  // listen | whisper | barge
  int64_t token_exp_ms = 0;
  int64_t token_version = 0;
  bool api_key = false;
  std::set<std::string> key_scopes;  // calls:read, calls:write, cdr:read
  nlohmann::json me;                 // the /api/auth/me body
  std::string token;                 // the JWT it came with (WebSocket re-checks reuse it)

  bool is_admin() const { return role == "admin"; }
  bool sees_extension(std::string_view ext) const {
    return all || extensions.count(std::string(ext)) > 0 ||
           (extension && *extension == ext);
  }
  bool sees_queue(std::string_view q) const { return all || queues.count(std::string(q)) > 0; }
  bool can_monitor(std::string_view mode) const {
    return monitor_modes.count(std::string(mode)) > 0;
  }
  // API keys carry scopes; people (JWT) have every read/write scope their role allows.
  bool has_key_scope(std::string_view s) const {
    return !api_key || key_scopes.count(std::string(s)) > 0;
  }
  // Canonical text of what this principal may see: equal keys ⇒ identical filtered streams.
  std::string scope_key() const {
    if (all) return "*";
    std::string k = "e:";
    std::set<std::string> ex = extensions;
    if (extension) ex.insert(*extension);
    for (const auto& e : ex) k += e + ",";
    k += "|q:";
    for (const auto& q : queues) k += q + ",";
    return k;
  }
};

}  // namespace opdesk::api
