// AuditRepo: append-only log of who did what (logins, user/settings changes, call actions).
//
// Paging is keyset, newest first: ORDER BY at DESC, id DESC, and the cursor is the last row's
// "<at>_<id>", so a page never skips or repeats rows while new ones arrive. Indexes (at, id),
// (user_id, at, id) and (action, at, id) serve the unfiltered and filtered listings. `detail`
// is JSON text (validated) capped at 16 KiB; user_id has no foreign key so entries outlive
// deleted users (the username is copied into the row).
#include <charconv>
#include <nlohmann/json.hpp>

#include "store/database.hpp"
#include "store/query.hpp"
#include "store/store.hpp"
#include "store/validate.hpp"

namespace opdesk::store {
namespace {

constexpr size_t kMaxDetail = 16 * 1024;

struct Cursor {
  long long at = 0, id = 0;
};

Cursor parse_cursor(const std::string& s) {
  Cursor c;
  const auto sep = s.find('_');
  auto num = [&](std::string_view part, long long& out) {
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && p == part.data() + part.size() && !part.empty();
  };
  std::string_view v(s);
  if (sep == std::string::npos || !num(v.substr(0, sep), c.at) || !num(v.substr(sep + 1), c.id)) {
    throw ValidationError("cursor", "cursor is not valid");
  }
  return c;
}

void check_entry(const AuditEntry& e) {
  validate::text("action", e.action, 128);
  if (e.action.empty()) throw ValidationError("action", "action must not be empty");
  validate::text("username", e.username, 128);
  validate::text("target", e.target, 191);
  validate::text("result", e.result, 32);
  validate::text("ip", e.ip, 64);
  if (e.detail.size() > kMaxDetail) throw ValidationError("detail", "detail is larger than 16 KiB");
  if (!e.detail.empty() && !nlohmann::json::accept(e.detail)) {
    throw ValidationError("detail", "detail must be JSON");
  }
}

struct Filter {
  std::string where;
  Query* q;
  void add(const std::string& clause) { where += (where.empty() ? " WHERE " : " AND ") + clause; }
};

void apply_filters(Filter& f, const AuditQuery& q) {
  if (q.user_id) f.add("user_id = :uid"), f.q->use(static_cast<long long>(*q.user_id));
  if (q.username) f.add("username = :un"), f.q->use(*q.username);
  if (q.action) f.add("action = :ac"), f.q->use(*q.action);
  if (q.from_ms) f.add("at >= :fr"), f.q->use(static_cast<long long>(*q.from_ms));
  if (q.to_ms) f.add("at < :to"), f.q->use(static_cast<long long>(*q.to_ms));
  if (q.cursor) {
    const Cursor c = parse_cursor(*q.cursor);
    f.add("(at < :ca OR (at = :cb AND id < :ci))");
    f.q->use(c.at).use(c.at).use(c.id);
  }
}

}  // namespace

int64_t AuditRepo::append(const AuditEntry& e) {
  check_entry(e);
  return db_.with_session([&](soci::session& sql) {
    long long at = e.at ? e.at : now_ms(), uid = e.user_id.value_or(0);
    soci::indicator uid_ind = e.user_id ? soci::i_ok : soci::i_null;
    const std::string detail = e.detail.empty() ? "{}" : e.detail;
    exec(sql, "INSERT INTO audit_log (at, user_id, username, action, target, result, detail, ip) "
           "VALUES (:at, :u, :n, :a, :t, :r, :d, :ip)",
        soci::use(at), soci::use(uid, uid_ind), soci::use(e.username), soci::use(e.action),
        soci::use(e.target), soci::use(e.result), soci::use(detail), soci::use(e.ip));
    return static_cast<int64_t>(last_insert_id(sql, "audit_log"));
  });
}

AuditPage AuditRepo::query(const AuditQuery& aq) {
  if (aq.limit < 1 || aq.limit > kMaxAuditPage) {
    throw ValidationError("limit", "limit must be between 1 and " + std::to_string(kMaxAuditPage));
  }
  return db_.with_session([&](soci::session& sql) {
    Query q(sql);
    AuditEntry row;
    long long id = 0, at = 0, uid = 0;
    soci::indicator uid_ind = soci::i_ok;
    q.into(id).into(at).into(uid, uid_ind).into(row.username).into(row.action).into(row.target);
    q.into(row.result).into(row.detail).into(row.ip);
    Filter f{"", &q};
    apply_filters(f, aq);
    AuditPage page;
    const std::string text = "SELECT id, at, user_id, username, action, target, result, detail, ip "
                             "FROM audit_log" + f.where + " ORDER BY at DESC, id DESC LIMIT " +
                             std::to_string(aq.limit + 1);
    q.run(text, [&] {
      row.id = id;
      row.at = at;
      row.user_id = opt(uid, uid_ind);
      page.items.push_back(row);
    });
    if (static_cast<int>(page.items.size()) > aq.limit) {
      page.items.pop_back();
      const auto& last = page.items.back();
      page.next_cursor = std::to_string(last.at) + "_" + std::to_string(last.id);
    }
    return page;
  });
}

int64_t AuditRepo::prune_before(int64_t at_ms) {
  return db_.with_session([&](soci::session& sql) {
    long long at = at_ms;
    return static_cast<int64_t>(exec_affected(sql, "DELETE FROM audit_log WHERE at < :at", soci::use(at)));
  });
}

}  // namespace opdesk::store
