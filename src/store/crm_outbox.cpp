// CrmOutbox SQL (see crm_outbox.hpp).
//
// How it fits: CrmService (src/crm) calls these on the store's worker pool. Invariants: values
// are always bound; the idempotency key is UNIQUE so a replayed enqueue writes nothing; `due`
// skips a row while an older pending row of the same call exists (per-call order); results
// are read through soci::row and converted by type so SQLite and MariaDB read alike.
#include "store/crm_outbox.hpp"

#include <algorithm>
#include <soci/soci.h>

#include "store/database.hpp"

#include "store/query.hpp"

namespace opdesk::store {
namespace {

const char* kCols =
    "id, idem_key, linkedid, event, body, status, attempts, next_at, created_at, updated_at, "
    "response_code, response_excerpt, latency_ms, last_error";


int64_t cell_ll(const soci::row& r, size_t i) {
  std::string s = cell_str(r, i);
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

CrmDelivery read_delivery(const soci::row& r) {
  CrmDelivery d;
  d.id = cell_ll(r, 0);
  d.idem_key = cell_str(r, 1);
  d.linkedid = cell_str(r, 2);
  d.event = cell_str(r, 3);
  d.body = cell_str(r, 4);
  d.status = cell_str(r, 5);
  d.attempts = static_cast<int>(cell_ll(r, 6));
  d.next_at = cell_ll(r, 7);
  d.created_at = cell_ll(r, 8);
  d.updated_at = cell_ll(r, 9);
  d.response_code = static_cast<int>(cell_ll(r, 10));
  d.response_excerpt = cell_str(r, 11);
  d.latency_ms = cell_ll(r, 12);
  d.last_error = cell_str(r, 13);
  return d;
}

CrmContact read_contact(const soci::row& r) {
  return CrmContact{cell_ll(r, 0), cell_str(r, 1), cell_str(r, 2), cell_str(r, 3), cell_str(r, 4),
                    cell_ll(r, 5)};
}

const std::vector<std::vector<std::string>>& steps() {
  static const std::vector<std::vector<std::string>> s = {
      {"CREATE TABLE IF NOT EXISTS crm_deliveries (id {PK}, idem_key {KEY} NOT NULL UNIQUE, "
       "linkedid {KEY} NOT NULL, event {KEY} NOT NULL, body {TEXT} NOT NULL, "
       "status {KEY} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at BIGINT NOT NULL, "
       "created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
       "response_code INTEGER NOT NULL DEFAULT 0, response_excerpt {TEXT}, "
       "latency_ms BIGINT NOT NULL DEFAULT 0, last_error {TEXT}){OPTS}",
       "CREATE INDEX crm_deliveries_due ON crm_deliveries (status, next_at)",
       "CREATE INDEX crm_deliveries_call ON crm_deliveries (linkedid, id)",
       "CREATE TABLE IF NOT EXISTS crm_contacts (id {PK}, name {KEY} NOT NULL, "
       "phone {KEY} NOT NULL, phone_key {KEY} NOT NULL UNIQUE, source {KEY} NOT NULL, "
       "updated_at BIGINT NOT NULL){OPTS}"},
  };
  return s;
}

const char* kContactCols = "id, name, phone, phone_key, source, updated_at";

}  // namespace

int CrmOutbox::migrate() {
  return db_.with_session([&](soci::session& sql) {
    sql << DialectSql::expand(db_.dialect(),
                              "CREATE TABLE IF NOT EXISTS crm_schema_version (version INTEGER NOT "
                              "NULL PRIMARY KEY){OPTS}");
    int current = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MAX(version) FROM crm_schema_version", soci::into(current, ind);
    if (ind != soci::i_ok) current = 0;
    int ran = 0;
    for (int v = current + 1; v <= static_cast<int>(steps().size()); ++v) {
      Tx tx(sql, db_.dialect());
      for (const auto& stmt : steps()[v - 1]) sql << DialectSql::expand(db_.dialect(), stmt);
      sql << "INSERT INTO crm_schema_version (version) VALUES (:v)", soci::use(v);
      tx.commit();
      ++ran;
    }
    return ran;
  });
}

std::optional<int64_t> CrmOutbox::enqueue(const CrmNewDelivery& d) {
  return db_.with_session([&](soci::session& sql) -> std::optional<int64_t> {
    Tx tx(sql, db_.dialect());
    int n = 0;
    sql << "SELECT COUNT(*) FROM crm_deliveries WHERE idem_key = :k", soci::use(d.idem_key),
        soci::into(n);
    if (n > 0) return std::nullopt;
    long long now = d.now_ms;
    sql << "INSERT INTO crm_deliveries (idem_key, linkedid, event, body, status, attempts, "
           "next_at, created_at, updated_at, response_code, response_excerpt, latency_ms, "
           "last_error) VALUES (:k, :l, :e, :b, 'pending', 0, :n, :n2, :n3, 0, '', 0, '')",
        soci::use(d.idem_key), soci::use(d.linkedid), soci::use(d.event), soci::use(d.body),
        soci::use(now), soci::use(now), soci::use(now);
    long long id = 0;
    sql << "SELECT id FROM crm_deliveries WHERE idem_key = :k", soci::use(d.idem_key), soci::into(id);
    tx.commit();
    return id;
  });
}

std::vector<CrmDelivery> CrmOutbox::due(int64_t now_ms, int limit) {
  return db_.with_session([&](soci::session& sql) {
    long long now = now_ms;
    int lim = std::clamp(limit, 1, 500);
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " << kCols << " FROM crm_deliveries d WHERE d.status = 'pending' "
                     << "AND d.next_at <= :now AND NOT EXISTS (SELECT 1 FROM crm_deliveries o "
                     << "WHERE o.linkedid = d.linkedid AND o.status = 'pending' AND o.id < d.id) "
                     << "ORDER BY d.next_at, d.id LIMIT :lim",
         soci::use(now), soci::use(lim));
    std::vector<CrmDelivery> out;
    for (const auto& r : rs) out.push_back(read_delivery(r));
    return out;
  });
}

std::optional<int64_t> CrmOutbox::next_due_at() {
  return db_.with_session([&](soci::session& sql) -> std::optional<int64_t> {
    long long at = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT MIN(next_at) FROM crm_deliveries WHERE status = 'pending'", soci::into(at, ind);
    if (ind != soci::i_ok) return std::nullopt;
    return at;
  });
}

void CrmOutbox::record_attempt(int64_t id, const CrmAttempt& a) {
  db_.with_session([&](soci::session& sql) {
    long long rid = id, next = a.next_at, now = a.now_ms, lat = a.latency_ms;
    std::string excerpt = a.response_excerpt.substr(0, 1024);
    std::string err = a.error.substr(0, 1024);
    sql << "UPDATE crm_deliveries SET status = :s, attempts = attempts + 1, next_at = :n, "
           "updated_at = :u, response_code = :c, response_excerpt = :x, latency_ms = :l, "
           "last_error = :e WHERE id = :id",
        soci::use(a.status), soci::use(next), soci::use(now), soci::use(a.response_code),
        soci::use(excerpt), soci::use(lat), soci::use(err), soci::use(rid);
  });
}

std::optional<CrmDelivery> CrmOutbox::get(int64_t id) {
  return db_.with_session([&](soci::session& sql) -> std::optional<CrmDelivery> {
    long long rid = id;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " << kCols << " FROM crm_deliveries WHERE id = :id", soci::use(rid));
    for (const auto& r : rs) return read_delivery(r);
    return std::nullopt;
  });
}

CrmDeliveryPage CrmOutbox::query(const CrmDeliveryQuery& q) {
  return db_.with_session([&](soci::session& sql) {
    long long cursor = q.cursor > 0 ? q.cursor : (1LL << 62);
    int lim = std::clamp(q.limit, 1, 200) + 1;
    std::string like = "%" + q.search + "%";
    std::string status = q.status;
    std::string call = q.linkedid;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " << kCols << " FROM crm_deliveries WHERE id < :c "
                     << "AND (:s1 = '' OR status = :s2) AND (:l1 = '' OR linkedid = :l2) "
                     << "AND (:q1 = '%%' OR linkedid LIKE :q2 "
                     << "OR idem_key LIKE :q3 OR last_error LIKE :q4 OR body LIKE :q5) "
                     << "ORDER BY id DESC LIMIT :lim",
         soci::use(cursor), soci::use(status), soci::use(status), soci::use(call), soci::use(call),
         soci::use(like), soci::use(like),
         soci::use(like), soci::use(like), soci::use(like), soci::use(lim));
    CrmDeliveryPage page;
    for (const auto& r : rs) page.items.push_back(read_delivery(r));
    if (static_cast<int>(page.items.size()) == lim) {
      page.items.pop_back();
      page.next_cursor = page.items.back().id;
    }
    return page;
  });
}

int CrmOutbox::resend(const std::vector<int64_t>& ids, int64_t now_ms) {
  return db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    int found = 0;
    for (int64_t id : ids) {
      long long rid = id, now = now_ms;
      soci::statement st =
          (sql.prepare << "UPDATE crm_deliveries SET status = 'pending', attempts = 0, "
                          "next_at = :n, updated_at = :u WHERE id = :id",
           soci::use(now), soci::use(now), soci::use(rid));
      st.execute(true);
      found += st.get_affected_rows() > 0 ? 1 : 0;
    }
    tx.commit();
    return found;
  });
}

int64_t CrmOutbox::prune_before(int64_t ms) {
  return db_.with_session([&](soci::session& sql) -> int64_t {
    long long at = ms;
    soci::statement st = (sql.prepare << "DELETE FROM crm_deliveries WHERE status <> 'pending' "
                                         "AND updated_at < :t",
                          soci::use(at));
    st.execute(true);
    return st.get_affected_rows();
  });
}

int64_t CrmOutbox::count(const std::string& status) {
  return db_.with_session([&](soci::session& sql) -> int64_t {
    long long n = 0;
    sql << "SELECT COUNT(*) FROM crm_deliveries WHERE status = :s", soci::use(status), soci::into(n);
    return n;
  });
}

std::vector<CrmContact> CrmOutbox::contacts(const std::string& search, int limit) {
  return db_.with_session([&](soci::session& sql) {
    std::string like = "%" + search + "%";
    int lim = std::clamp(limit, 1, 1000);
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " << kContactCols << " FROM crm_contacts WHERE name LIKE :a "
                     << "OR phone LIKE :b ORDER BY name, id LIMIT :lim",
         soci::use(like), soci::use(like), soci::use(lim));
    std::vector<CrmContact> out;
    for (const auto& r : rs) out.push_back(read_contact(r));
    return out;
  });
}

std::optional<CrmContact> CrmOutbox::contact(int64_t id) {
  return db_.with_session([&](soci::session& sql) -> std::optional<CrmContact> {
    long long rid = id;
    soci::rowset<soci::row> rs =
        (sql.prepare << "SELECT " << kContactCols << " FROM crm_contacts WHERE id = :id", soci::use(rid));
    for (const auto& r : rs) return read_contact(r);
    return std::nullopt;
  });
}

std::optional<CrmContact> CrmOutbox::contact_by_key(const std::string& key) {
  return db_.with_session([&](soci::session& sql) -> std::optional<CrmContact> {
    soci::rowset<soci::row> rs = (sql.prepare << "SELECT " << kContactCols
                                              << " FROM crm_contacts WHERE phone_key = :k",
                                  soci::use(key));
    for (const auto& r : rs) return read_contact(r);
    return std::nullopt;
  });
}

CrmContact CrmOutbox::create_contact(const CrmContact& c) {
  db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    int n = 0;
    sql << "SELECT COUNT(*) FROM crm_contacts WHERE phone_key = :k", soci::use(c.phone_key), soci::into(n);
    if (n > 0) throw Conflict("phone", "a contact with this number already exists");
    long long at = c.updated_at;
    sql << "INSERT INTO crm_contacts (name, phone, phone_key, source, updated_at) "
           "VALUES (:n, :p, :k, :s, :t)",
        soci::use(c.name), soci::use(c.phone), soci::use(c.phone_key), soci::use(c.source), soci::use(at);
    tx.commit();
  });
  return *contact_by_key(c.phone_key);
}

CrmContact CrmOutbox::update_contact(int64_t id, const CrmContact& c) {
  db_.with_session([&](soci::session& sql) {
    Tx tx(sql, db_.dialect());
    long long rid = id, at = c.updated_at;
    int n = 0;
    sql << "SELECT COUNT(*) FROM crm_contacts WHERE phone_key = :k AND id <> :id",
        soci::use(c.phone_key), soci::use(rid), soci::into(n);
    if (n > 0) throw Conflict("phone", "a contact with this number already exists");
    soci::statement st = (sql.prepare << "UPDATE crm_contacts SET name = :n, phone = :p, "
                                         "phone_key = :k, source = 'manual', updated_at = :t WHERE id = :id",
                          soci::use(c.name), soci::use(c.phone), soci::use(c.phone_key),
                          soci::use(at), soci::use(rid));
    st.execute(true);
    if (st.get_affected_rows() == 0) throw NotFound("contact", "contact not found");
    tx.commit();
  });
  return *contact(id);
}

void CrmOutbox::remove_contact(int64_t id) {
  db_.with_session([&](soci::session& sql) {
    long long rid = id;
    soci::statement st = (sql.prepare << "DELETE FROM crm_contacts WHERE id = :id", soci::use(rid));
    st.execute(true);
    if (st.get_affected_rows() == 0) throw NotFound("contact", "contact not found");
  });
}

void CrmOutbox::remember_crm_contact(const std::string& name, const std::string& phone,
                                     const std::string& key, int64_t now_ms) {
  db_.with_session([&](soci::session& sql) {
    long long at = now_ms;
    sql << DialectSql::insert_ignore(db_.dialect())
        << " crm_contacts (name, phone, phone_key, source, updated_at) VALUES (:n, :p, :k, 'crm', :t)",
        soci::use(name), soci::use(phone), soci::use(key), soci::use(at);
  });
}

}  // namespace opdesk::store
