// UpstreamStore SQL (see upstream_store.hpp).
//
// How it fits: the upstream-compatible routes (src/api/upstream_routes_*) read and write these
// tables on the worker pool. Invariants: values are always bound; `code` is UNIQUE; a flag is
// replaced inside one transaction (delete + insert), so SQLite and MariaDB behave alike;
// results are read through soci::row and cell_str.
#include "store/upstream_store.hpp"

#include <soci/soci.h>

#include "store/database.hpp"
#include "store/errors.hpp"
#include "store/query.hpp"

namespace opdesk::store {
namespace {

const char* kCols = "id, code, label, productive, color, sort_order, is_active, is_system";

int64_t num(const soci::row& r, size_t i) {
  std::string s = cell_str(r, i);
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

PauseReason read_reason(const soci::row& r) {
  PauseReason p;
  p.id = num(r, 0);
  p.code = cell_str(r, 1);
  p.label = cell_str(r, 2);
  p.productive = num(r, 3) != 0;
  p.color = cell_str(r, 4);
  p.sort_order = static_cast<int>(num(r, 5));
  p.is_active = num(r, 6) != 0;
  p.is_system = num(r, 7) != 0;
  return p;
}

const std::vector<std::vector<std::string>>& steps() {
  static const std::vector<std::vector<std::string>> s = {
      {"CREATE TABLE IF NOT EXISTS pause_reasons (id {PK}, code {KEY} NOT NULL UNIQUE, "
       "label {KEY} NOT NULL, productive INTEGER NOT NULL DEFAULT 0, color {KEY} NOT NULL, "
       "sort_order INTEGER NOT NULL DEFAULT 100, is_active INTEGER NOT NULL DEFAULT 1, "
       "is_system INTEGER NOT NULL DEFAULT 0){OPTS}",
       "INSERT INTO pause_reasons (code, label, productive, color, sort_order, is_active, is_system) "
       "VALUES ('break', 'Break', 0, '#f59e0b', 10, 1, 1)",
       "INSERT INTO pause_reasons (code, label, productive, color, sort_order, is_active, is_system) "
       "VALUES ('lunch', 'Lunch', 0, '#ef4444', 20, 1, 1)",
       "INSERT INTO pause_reasons (code, label, productive, color, sort_order, is_active, is_system) "
       "VALUES ('meeting', 'Meeting', 1, '#3b82f6', 30, 1, 1)",
       "INSERT INTO pause_reasons (code, label, productive, color, sort_order, is_active, is_system) "
       "VALUES ('training', 'Training', 1, '#8b5cf6', 40, 1, 1)",
       "CREATE TABLE IF NOT EXISTS notification_flags (id {PK}, extension {KEY} NOT NULL, "
       "call_id {KEY} NOT NULL, flag {KEY} NOT NULL, updated_at BIGINT NOT NULL){OPTS}",
       "CREATE UNIQUE INDEX notification_flags_key ON notification_flags (extension, call_id)"},
  };
  return s;
}

}  // namespace

int UpstreamStore::migrate() {
  return db_.with_session([&](soci::session& sql) {
    sql << DialectSql::expand(db_.dialect(),
                              "CREATE TABLE IF NOT EXISTS upstream_schema_version (version INTEGER "
                              "NOT NULL PRIMARY KEY){OPTS}");
    int current = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MAX(version) FROM upstream_schema_version", soci::into(current, ind);
    if (ind != soci::i_ok) current = 0;
    int ran = 0;
    for (int v = current + 1; v <= static_cast<int>(steps().size()); ++v) {
      Tx tx(sql, db_.dialect());
      for (const auto& stmt : steps()[v - 1]) sql << DialectSql::expand(db_.dialect(), stmt);
      sql << "INSERT INTO upstream_schema_version (version) VALUES (:v)", soci::use(v);
      tx.commit();
      ++ran;
    }
    return ran;
  });
}

std::vector<PauseReason> UpstreamStore::pause_reasons(bool active_only) {
  return db_.with_session([&](soci::session& sql) {
    std::string q = std::string("SELECT ") + kCols + " FROM pause_reasons" +
                    (active_only ? " WHERE is_active = 1" : "") + " ORDER BY sort_order, code";
    soci::rowset<soci::row> rs = sql.prepare << q;
    std::vector<PauseReason> out;
    for (const auto& r : rs) out.push_back(read_reason(r));
    return out;
  });
}

std::optional<PauseReason> UpstreamStore::pause_reason(int64_t id) {
  return db_.with_session([&](soci::session& sql) -> std::optional<PauseReason> {
    long long i = id;
    soci::rowset<soci::row> rs = (sql.prepare << std::string("SELECT ") + kCols +
                                                     " FROM pause_reasons WHERE id = :i",
                                  soci::use(i));
    for (const auto& r : rs) return read_reason(r);
    return std::nullopt;
  });
}

std::optional<PauseReason> UpstreamStore::pause_reason_by_code(const std::string& code) {
  return db_.with_session([&](soci::session& sql) -> std::optional<PauseReason> {
    soci::rowset<soci::row> rs = (sql.prepare << std::string("SELECT ") + kCols +
                                                     " FROM pause_reasons WHERE code = :c",
                                  soci::use(code));
    for (const auto& r : rs) return read_reason(r);
    return std::nullopt;
  });
}

int64_t UpstreamStore::add_pause_reason(const PauseReason& r) {
  if (pause_reason_by_code(r.code)) throw Conflict("code", "a reason with code " + r.code + " exists");
  return db_.with_session([&](soci::session& sql) {
    int productive = r.productive ? 1 : 0, active = r.is_active ? 1 : 0, order = r.sort_order;
    sql << "INSERT INTO pause_reasons (code, label, productive, color, sort_order, is_active, "
           "is_system) VALUES (:c, :l, :p, :co, :o, :a, 0)",
        soci::use(r.code), soci::use(r.label), soci::use(productive), soci::use(r.color),
        soci::use(order), soci::use(active);
    return static_cast<int64_t>(last_insert_id(sql, "pause_reasons"));
  });
}

void UpstreamStore::update_pause_reason(int64_t id, const PauseReasonPatch& p) {
  auto cur = pause_reason(id);
  if (!cur) throw NotFound("id", "no pause reason " + std::to_string(id));
  PauseReason n = *cur;
  if (p.label) n.label = *p.label;
  if (p.color) n.color = *p.color;
  if (p.productive) n.productive = *p.productive;
  if (p.is_active) n.is_active = *p.is_active;
  if (p.sort_order) n.sort_order = *p.sort_order;
  db_.with_session([&](soci::session& sql) {
    int productive = n.productive ? 1 : 0, active = n.is_active ? 1 : 0, order = n.sort_order;
    long long i = id;
    sql << "UPDATE pause_reasons SET label = :l, productive = :p, color = :c, sort_order = :o, "
           "is_active = :a WHERE id = :i",
        soci::use(n.label), soci::use(productive), soci::use(n.color), soci::use(order),
        soci::use(active), soci::use(i);
  });
}

void UpstreamStore::remove_pause_reason(int64_t id) {
  auto cur = pause_reason(id);
  if (!cur) throw NotFound("id", "no pause reason " + std::to_string(id));
  if (cur->is_system) throw ValidationError("id", "system reason " + cur->code + " cannot be deleted");
  db_.with_session([&](soci::session& sql) {
    long long i = id;
    sql << "DELETE FROM pause_reasons WHERE id = :i", soci::use(i);
  });
}

std::map<std::string, std::string> UpstreamStore::notification_flags(const std::string& extension) {
  return db_.with_session([&](soci::session& sql) {
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT call_id, flag FROM notification_flags "
                                                 "WHERE extension = :e",
                                  soci::use(extension));
    std::map<std::string, std::string> out;
    for (const auto& r : rs) out[cell_str(r, 0)] = cell_str(r, 1);
    return out;
  });
}

void UpstreamStore::set_notification_flag(const std::string& extension, const std::string& call_id,
                                          const std::string& flag, int64_t at_ms) {
  db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    long long at = at_ms;
    sql << "DELETE FROM notification_flags WHERE extension = :e AND call_id = :c",
        soci::use(extension), soci::use(call_id);
    sql << "INSERT INTO notification_flags (extension, call_id, flag, updated_at) "
           "VALUES (:e, :c, :f, :t)",
        soci::use(extension), soci::use(call_id), soci::use(flag), soci::use(at);
    tx.commit();
  });
}

}  // namespace opdesk::store
