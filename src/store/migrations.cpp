// Versioned schema migrations for the panel's own database.
//
// The list below is append-only: a released migration is never edited; a later change is a
// new entry with the next version. Each migration runs in a transaction together with its
// `schema_version` row. SQLite makes that atomic; MariaDB commits DDL implicitly, so a
// migration there is written to be re-runnable only by being small (one concern each).
// Table names avoid MySQL reserved words (`groups` → access_groups, `key` → setting_key).
// A database whose version is newer than this binary knows is refused (downgrade protection).
// Other features add their tables by appending migrations here (version 2, 3, ...).
#include "store/migrations.hpp"

#include <set>
#include <spdlog/spdlog.h>

#include "store/database.hpp"
#include "store/query.hpp"

namespace opdesk::store {
namespace {

Migration initial_schema() {
  return {1, "users, groups, settings, audit log, api keys", {
    "CREATE TABLE users (id {PK}, username {KEY} NOT NULL, name {KEY} NOT NULL DEFAULT '', "
    "extension {KEY} NULL, role VARCHAR(16) NOT NULL, active INTEGER NOT NULL DEFAULT 1, "
    "password_hash VARCHAR(255) NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
    "last_login_at BIGINT NULL, token_version BIGINT NOT NULL DEFAULT 0){OPTS}",
    "CREATE UNIQUE INDEX ux_users_username ON users (username)",
    "CREATE UNIQUE INDEX ux_users_extension ON users (extension)",
    "CREATE TABLE user_monitor_modes (user_id BIGINT NOT NULL, mode VARCHAR(16) NOT NULL, "
    "PRIMARY KEY (user_id, mode), FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE){OPTS}",
    "CREATE TABLE user_extensions (user_id BIGINT NOT NULL, extension {KEY} NOT NULL, "
    "PRIMARY KEY (user_id, extension), FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE){OPTS}",
    "CREATE TABLE user_queues (user_id BIGINT NOT NULL, queue {KEY} NOT NULL, "
    "PRIMARY KEY (user_id, queue), FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE){OPTS}",
    "CREATE TABLE access_groups (id {PK}, name {KEY} NOT NULL, created_at BIGINT NOT NULL){OPTS}",
    "CREATE UNIQUE INDEX ux_access_groups_name ON access_groups (name)",
    "CREATE TABLE group_extensions (group_id BIGINT NOT NULL, extension {KEY} NOT NULL, "
    "PRIMARY KEY (group_id, extension), "
    "FOREIGN KEY (group_id) REFERENCES access_groups (id) ON DELETE CASCADE){OPTS}",
    "CREATE TABLE group_queues (group_id BIGINT NOT NULL, queue {KEY} NOT NULL, "
    "PRIMARY KEY (group_id, queue), "
    "FOREIGN KEY (group_id) REFERENCES access_groups (id) ON DELETE CASCADE){OPTS}",
    "CREATE TABLE user_groups (user_id BIGINT NOT NULL, group_id BIGINT NOT NULL, "
    "PRIMARY KEY (user_id, group_id), "
    "FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE, "
    "FOREIGN KEY (group_id) REFERENCES access_groups (id) ON DELETE CASCADE){OPTS}",
    "CREATE INDEX ix_user_groups_group ON user_groups (group_id)",
    "CREATE TABLE settings (setting_key {KEY} NOT NULL PRIMARY KEY, setting_value {TEXT} NOT NULL, "
    "secret INTEGER NOT NULL DEFAULT 0, updated_at BIGINT NOT NULL, updated_by {KEY} NULL){OPTS}",
    "CREATE TABLE audit_log (id {PK}, at BIGINT NOT NULL, user_id BIGINT NULL, "
    "username {KEY} NOT NULL DEFAULT '', action {KEY} NOT NULL, target {KEY} NOT NULL DEFAULT '', "
    "result VARCHAR(32) NOT NULL, detail {TEXT} NOT NULL, ip VARCHAR(64) NOT NULL DEFAULT ''){OPTS}",
    "CREATE INDEX ix_audit_at ON audit_log (at, id)",
    "CREATE INDEX ix_audit_user ON audit_log (user_id, at, id)",
    "CREATE INDEX ix_audit_action ON audit_log (action, at, id)",
    "CREATE TABLE api_keys (id {PK}, name {KEY} NOT NULL, prefix VARCHAR(16) NOT NULL, "
    "salt VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL, scopes {KEY} NOT NULL, "
    "enabled INTEGER NOT NULL DEFAULT 1, created_by {KEY} NOT NULL DEFAULT '', "
    "created_at BIGINT NOT NULL, last_used_at BIGINT NULL, expires_at BIGINT NULL){OPTS}",
    "CREATE INDEX ix_api_keys_prefix ON api_keys (prefix)",
  }};
}

void ensure_version_table(soci::session& sql, Dialect d) {
  exec(sql, DialectSql::expand(d, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL "
                               "PRIMARY KEY, name {KEY} NOT NULL, applied_at BIGINT NOT NULL){OPTS}"));
}

std::set<int> applied_versions(soci::session& sql) {
  std::set<int> out;
  int v = 0;
  Query q(sql);
  q.into(v);
  q.run("SELECT version FROM schema_version", [&] { out.insert(v); });
  return out;
}

void apply_one(soci::session& sql, Dialect d, const Migration& m) {
  Tx tr(sql, d);
  for (const auto& s : m.statements) exec(sql, DialectSql::expand(d, s));
  long long at = now_ms();
  exec(sql, "INSERT INTO schema_version (version, name, applied_at) VALUES (:v, :n, :a)",
      soci::use(m.version), soci::use(m.name), soci::use(at));
  tr.commit();
  spdlog::info("store: applied migration {} ({})", m.version, m.name);
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {initial_schema()};
  return list;
}

int latest_schema_version() { return migrations().back().version; }

int apply_migrations(Database& db) {
  return db.with_session([&](soci::session& sql) {
    ensure_version_table(sql, db.dialect());
    const std::set<int> done = applied_versions(sql);
    if (!done.empty() && *done.rbegin() > latest_schema_version()) {
      throw StoreError("database schema version " + std::to_string(*done.rbegin()) +
                       " is newer than this program supports (" +
                       std::to_string(latest_schema_version()) + "); upgrade OpDesk");
    }
    int count = 0;
    for (const auto& m : migrations()) {
      if (done.count(m.version)) continue;
      apply_one(sql, db.dialect(), m);
      ++count;
    }
    return count;
  });
}

int current_schema_version(Database& db) {
  return db.with_session([&](soci::session& sql) {
    ensure_version_table(sql, db.dialect());
    const std::set<int> done = applied_versions(sql);
    return done.empty() ? 0 : *done.rbegin();
  });
}

}  // namespace opdesk::store
