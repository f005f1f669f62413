// Plain domain records exchanged with the store: users, groups, settings, audit, API keys.
//
// These structs are all the API layer sees of the database (no SOCI types). Times are Unix
// milliseconds. Optional fields that are NULL in the database are std::optional here.
// A "Patch" struct changes only the fields that are set.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace opdesk::store {

struct DbConfig {
  std::string backend = "sqlite";  // sqlite | mysql (MariaDB or MySQL)
  std::string sqlite_path;         // file for sqlite (":memory:" only for quick checks)
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user, password, database = "opdesk";
  int pool_size = 4;  // worker threads; sessions = pool_size + 1 (one for direct calls)
};

enum class Role { Admin, Supervisor, Agent };
enum class MonitorMode { Listen, Whisper, Barge };

std::string_view to_string(Role r);
std::string_view to_string(MonitorMode m);
std::optional<Role> parse_role(std::string_view s);
std::optional<MonitorMode> parse_monitor_mode(std::string_view s);

int64_t now_ms();

struct User {
  int64_t id = 0;
  std::string username;
  std::string name;
  std::optional<std::string> extension;
  Role role = Role::Agent;
  bool active = true;
  std::string password_hash;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> last_login_at;
  int64_t token_version = 0;  // bumped to revoke every token issued before
  std::set<MonitorMode> monitor_modes;
  std::set<std::string> extensions;  // directly allowed agent extensions (supervisors)
  std::set<std::string> queues;      // directly allowed queues (supervisors)
  std::set<int64_t> group_ids;
};

struct NewUser {
  std::string username;
  std::string name;
  std::optional<std::string> extension;
  Role role = Role::Agent;
  bool active = true;
  std::string password_hash;  // already hashed by opdesk::auth
  std::set<MonitorMode> monitor_modes;
  std::set<std::string> extensions, queues;
  std::set<int64_t> group_ids;
};

struct UserPatch {
  std::optional<std::string> username;
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> extension;  // set to nullopt-inside to clear
  std::optional<Role> role;
  std::optional<bool> active;
  std::optional<std::set<MonitorMode>> monitor_modes;
  std::optional<std::set<std::string>> extensions, queues;
  std::optional<std::set<int64_t>> group_ids;
};

struct Group {
  int64_t id = 0;
  std::string name;
  int64_t created_at = 0;
  std::set<std::string> extensions, queues;
  std::set<int64_t> user_ids;
};

struct NewGroup {
  std::string name;
  std::set<std::string> extensions, queues;
  std::set<int64_t> user_ids;
};

struct GroupPatch {
  std::optional<std::string> name;
  std::optional<std::set<std::string>> extensions, queues;
  std::optional<std::set<int64_t>> user_ids;
};

struct Setting {
  std::string key;
  std::string value;
  bool secret = false;
  int64_t updated_at = 0;
  std::optional<std::string> updated_by;
};

struct SettingWrite {
  std::string key;
  std::string value;
  bool secret = false;
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  std::optional<int64_t> user_id;
  std::string username;
  std::string action;  // e.g. "user.create", "auth.login", "call.hangup"
  std::string target;
  std::string result;  // "ok" | "denied" | "error" | ...
  std::string detail;  // JSON text ("{}" when empty)
  std::string ip;
};

struct AuditQuery {
  std::optional<int64_t> user_id;
  std::optional<std::string> username;
  std::optional<std::string> action;
  std::optional<int64_t> from_ms, to_ms;  // inclusive from, exclusive to
  std::optional<std::string> cursor;      // next_cursor of the previous page
  int limit = 50;                          // 1..kMaxAuditPage
};

struct AuditPage {
  std::vector<AuditEntry> items;  // newest first
  std::optional<std::string> next_cursor;
};

inline constexpr int kMaxAuditPage = 500;

struct ApiKey {
  int64_t id = 0;
  std::string name;
  std::string prefix;  // first 12 chars of the key ("opd_" + 8 hex), shown to identify it
  std::set<std::string> scopes;
  bool enabled = true;
  std::string created_by;
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> expires_at;
};

// What auth needs to check a presented key: the record plus its salt and hash.
struct ApiKeySecret {
  ApiKey key;
  std::string salt;  // hex
  std::string hash;  // hex SHA-256(salt bytes || key)
};

struct NewApiKey {
  std::string name;
  std::string prefix, salt, hash;
  std::set<std::string> scopes;
  std::string created_by;
  std::optional<int64_t> expires_at;
};

struct ApiKeyPatch {
  std::optional<std::string> name;
  std::optional<std::set<std::string>> scopes;
  std::optional<bool> enabled;
  std::optional<std::optional<int64_t>> expires_at;  // inner nullopt clears the expiry
};

}  // namespace opdesk::store
