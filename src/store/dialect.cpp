// The one place where SQLite and MariaDB/MySQL SQL differ.
//
// Migrations are written once with placeholders that expand per dialect:
//   {PK}   auto-increment 64-bit primary key
//   {KEY}  a text column that is indexed or unique (MariaDB limits index keys: VARCHAR(191)
//          is the longest utf8mb4 key that fits the 767-byte limit of old row formats)
//   {TEXT} an unindexed long text
//   {OPTS} table options (engine and charset on MariaDB)
// Queries elsewhere use only portable SQL (LIMIT, ORDER BY, standard joins); the settings
// upsert and the insert-if-absent are the only statements that need a per-dialect form.
#include <string>

#include "store/database.hpp"

namespace opdesk::store {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string DialectSql::expand(Dialect d, std::string_view templ) {
  std::string s(templ);
  const bool sqlite = d == Dialect::Sqlite;
  replace_all(s, "{PK}", sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                : "BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT");
  replace_all(s, "{KEY}", sqlite ? "TEXT" : "VARCHAR(191)");
  replace_all(s, "{TEXT}", sqlite ? "TEXT" : "MEDIUMTEXT");
  replace_all(s, "{OPTS}", sqlite ? "" : " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
  return s;
}

std::string DialectSql::upsert_setting(Dialect d) {
  const std::string insert =
      "INSERT INTO settings (setting_key, setting_value, secret, updated_at, updated_by) "
      "VALUES (:k, :v, :s, :t, :b) ";
  if (d == Dialect::Sqlite) {
    return insert +
           "ON CONFLICT(setting_key) DO UPDATE SET setting_value = excluded.setting_value, "
           "secret = excluded.secret, updated_at = excluded.updated_at, "
           "updated_by = excluded.updated_by";
  }
  return insert +
         "ON DUPLICATE KEY UPDATE setting_value = VALUES(setting_value), secret = VALUES(secret), "
         "updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)";
}

std::string DialectSql::insert_ignore(Dialect d) {
  return d == Dialect::Sqlite ? "INSERT OR IGNORE INTO" : "INSERT IGNORE INTO";
}

}  // namespace opdesk::store
