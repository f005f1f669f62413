// SettingsRepo: the key/value settings table (CRM connection, PBX toggles, JWT_SECRET, ...).
//
// `secret` marks values that the API must never return (it shows "***"); the flag is stored
// with the value so a secret stays secret whoever wrote it. Upsert syntax is per dialect
// (DialectSql::upsert_setting). Values are capped at 64 KiB.
#include "store/database.hpp"
#include "store/query.hpp"
#include "store/store.hpp"
#include "store/validate.hpp"

namespace opdesk::store {
namespace {

constexpr size_t kMaxValue = 64 * 1024;

struct SettingRow {
  std::string key, value, by;
  int secret = 0;
  long long at = 0;
  soci::indicator by_ind = soci::i_ok;
  void bind(Query& q) { q.into(key).into(value).into(secret).into(at).into(by, by_ind); }
  Setting take() const { return Setting{key, value, secret != 0, at, opt(by, by_ind)}; }
};

const std::string kSelect =
    "SELECT setting_key, setting_value, secret, updated_at, updated_by FROM settings";

void write(soci::session& sql, Dialect d, const SettingWrite& w, const std::optional<std::string>& by) {
  int secret = w.secret ? 1 : 0;
  long long at = now_ms();
  std::string by_v = by.value_or("");
  soci::indicator by_ind = by ? soci::i_ok : soci::i_null;
  exec(sql, DialectSql::upsert_setting(d), soci::use(w.key), soci::use(w.value), soci::use(secret),
      soci::use(at), soci::use(by_v, by_ind));
}

void check(const SettingWrite& w) {
  validate::setting_key(w.key);
  if (w.value.size() > kMaxValue) throw ValidationError(w.key, w.key + " value is larger than 64 KiB");
}

}  // namespace

std::optional<Setting> SettingsRepo::get(const std::string& key) {
  return db_.with_session([&](soci::session& sql) -> std::optional<Setting> {
    Query q(sql);
    SettingRow r;
    r.bind(q);
    q.use(key);
    std::optional<Setting> out;
    q.run(kSelect + " WHERE setting_key = :k", [&] { out = r.take(); });
    return out;
  });
}

void SettingsRepo::set(const std::string& key, const std::string& value, bool secret,
                       const std::optional<std::string>& updated_by) {
  set_many({SettingWrite{key, value, secret}}, updated_by);
}

void SettingsRepo::set_many(const std::vector<SettingWrite>& writes,
                            const std::optional<std::string>& updated_by) {
  for (const auto& w : writes) check(w);
  db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    for (const auto& w : writes) write(sql, db_.dialect(), w, updated_by);
    tr.commit();
  });
}

std::string SettingsRepo::get_or_insert(const std::string& key, const std::string& value, bool secret) {
  check(SettingWrite{key, value, secret});
  return db_.with_session([&](soci::session& sql) {
    int s = secret ? 1 : 0;
    long long at = now_ms();
    exec(sql, DialectSql::insert_ignore(db_.dialect()) +
               " settings (setting_key, setting_value, secret, updated_at) VALUES (:k, :v, :s, :t)",
        soci::use(key), soci::use(value), soci::use(s), soci::use(at));
    std::string stored;
    exec(sql, "SELECT setting_value FROM settings WHERE setting_key = :k", soci::use(key), soci::into(stored));
    if (!sql.got_data()) throw StoreError("setting " + key + " could not be stored");
    return stored;
  });
}

std::vector<Setting> SettingsRepo::all() {
  return db_.with_session([&](soci::session& sql) {
    Query q(sql);
    SettingRow r;
    r.bind(q);
    std::vector<Setting> out;
    q.run(kSelect + " ORDER BY setting_key", [&] { out.push_back(r.take()); });
    return out;
  });
}

bool SettingsRepo::remove(const std::string& key) {
  return db_.with_session([&](soci::session& sql) {
    return exec_affected(sql, "DELETE FROM settings WHERE setting_key = :k", soci::use(key)) > 0;
  });
}

}  // namespace opdesk::store
