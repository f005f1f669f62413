// QosStore SQL (see qos_store.hpp).
//
// How it fits: the QoS wiring writes a leg row and the call's timeline when a leg ends (worker
// pool); the QoS routes read them. Invariants: values are always bound; uniqueid and linkedid
// are UNIQUE, and a put replaces inside one transaction, so a replayed Hangup never duplicates;
// results are read through soci::row and cell_str so SQLite and MariaDB read alike.
#include "store/qos_store.hpp"

#include <soci/soci.h>

#include "store/database.hpp"
#include "store/query.hpp"

namespace opdesk::store {
namespace {

const char* kLegCols = "uniqueid, linkedid, extension, day, ended_at, grade, summary";

int64_t cell_i64(const soci::row& r, size_t i) {
  std::string s = cell_str(r, i);
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;  // a non-numeric cell cannot come from put_*; 0 marks it unknown
  }
}

QosLegRow read_leg(const soci::row& r) {
  return QosLegRow{cell_str(r, 0), cell_str(r, 1), cell_str(r, 2), cell_str(r, 3),
                   cell_i64(r, 4), cell_str(r, 5), cell_str(r, 6)};
}

const std::vector<std::vector<std::string>>& steps() {
  static const std::vector<std::vector<std::string>> s = {
      {"CREATE TABLE IF NOT EXISTS qos_legs (id {PK}, uniqueid {KEY} NOT NULL UNIQUE, "
       "linkedid {KEY} NOT NULL, extension {KEY} NOT NULL, day {KEY} NOT NULL, "
       "ended_at BIGINT NOT NULL, grade {KEY} NOT NULL, summary {TEXT} NOT NULL){OPTS}",
       "CREATE INDEX qos_legs_call ON qos_legs (linkedid)",
       "CREATE INDEX qos_legs_day ON qos_legs (day, extension)",
       "CREATE TABLE IF NOT EXISTS qos_timelines (id {PK}, linkedid {KEY} NOT NULL UNIQUE, "
       "ended_at BIGINT NOT NULL, points {TEXT} NOT NULL){OPTS}"},
  };
  return s;
}

}  // namespace

int QosStore::migrate() {
  return db_.with_session([&](soci::session& sql) {
    sql << DialectSql::expand(db_.dialect(),
                              "CREATE TABLE IF NOT EXISTS qos_schema_version (version INTEGER NOT "
                              "NULL PRIMARY KEY){OPTS}");
    int current = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MAX(version) FROM qos_schema_version", soci::into(current, ind);
    if (ind != soci::i_ok) current = 0;
    int ran = 0;
    for (int v = current + 1; v <= static_cast<int>(steps().size()); ++v) {
      Tx tx(sql, db_.dialect());
      for (const auto& stmt : steps()[v - 1]) sql << DialectSql::expand(db_.dialect(), stmt);
      sql << "INSERT INTO qos_schema_version (version) VALUES (:v)", soci::use(v);
      tx.commit();
      ++ran;
    }
    return ran;
  });
}

void QosStore::put_leg(const QosLegRow& row) {
  db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    sql << "DELETE FROM qos_legs WHERE uniqueid = :u", soci::use(row.uniqueid);
    long long ended = row.ended_at;
    sql << "INSERT INTO qos_legs (uniqueid, linkedid, extension, day, ended_at, grade, summary) "
           "VALUES (:u, :l, :e, :d, :t, :g, :s)",
        soci::use(row.uniqueid), soci::use(row.linkedid), soci::use(row.extension), soci::use(row.day),
        soci::use(ended), soci::use(row.grade), soci::use(row.summary);
    tx.commit();
  });
}

void QosStore::put_timeline(const QosTimelineRow& row) {
  db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    sql << "DELETE FROM qos_timelines WHERE linkedid = :l", soci::use(row.linkedid);
    long long ended = row.ended_at;
    sql << "INSERT INTO qos_timelines (linkedid, ended_at, points) VALUES (:l, :t, :p)",
        soci::use(row.linkedid), soci::use(ended), soci::use(row.points);
    tx.commit();
  });
}

std::vector<QosLegRow> QosStore::legs_of_call(const std::string& linkedid) {
  return db_.with_session([&](soci::session& sql) {
    std::vector<QosLegRow> out;
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT " << kLegCols
                                              << " FROM qos_legs WHERE linkedid = :l ORDER BY ended_at, uniqueid",
                                  soci::use(linkedid));
    for (const auto& r : rs) out.push_back(read_leg(r));
    return out;
  });
}

std::optional<QosTimelineRow> QosStore::timeline(const std::string& linkedid) {
  return db_.with_session([&](soci::session& sql) -> std::optional<QosTimelineRow> {
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT linkedid, ended_at, points FROM qos_timelines "
                                                 "WHERE linkedid = :l",
                                  soci::use(linkedid));
    for (const auto& r : rs) return QosTimelineRow{cell_str(r, 0), cell_i64(r, 1), cell_str(r, 2)};
    return std::nullopt;
  });
}

std::vector<QosLegRow> QosStore::legs_of_day(const std::string& day, bool* truncated) {
  return db_.with_session([&](soci::session& sql) {
    std::vector<QosLegRow> out;
    int limit = kQosMaxDayRows + 1;
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT " << kLegCols
                                              << " FROM qos_legs WHERE day = :d ORDER BY ended_at LIMIT :n",
                                  soci::use(day), soci::use(limit));
    for (const auto& r : rs) out.push_back(read_leg(r));
    const bool cut = out.size() > static_cast<size_t>(kQosMaxDayRows);
    if (cut) out.pop_back();
    if (truncated != nullptr) *truncated = cut;
    return out;
  });
}

}  // namespace opdesk::store
