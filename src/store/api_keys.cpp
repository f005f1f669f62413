// ApiKeyRepo: machine credentials for the REST API (the secret part lives in opdesk::auth).
//
// The store keeps only a per-key random salt and SHA-256(salt || key); the plain key is shown
// once at creation by auth and never stored. Lookup is by the 12-character public prefix
// (not unique, so every candidate is returned and auth compares hashes in constant time).
// Scopes are stored as a sorted, comma-separated list of names such as "calls:read".
#include <sstream>

#include "store/database.hpp"
#include "store/query.hpp"
#include "store/store.hpp"
#include "store/validate.hpp"

namespace opdesk::store {
namespace {

const std::string kSelect =
    "SELECT id, name, prefix, salt, hash, scopes, enabled, created_by, created_at, last_used_at, "
    "expires_at FROM api_keys";

std::string join_scopes(const std::set<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::set<std::string> split_scopes(const std::string& s) {
  std::set<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.insert(part);
  }
  return out;
}

void check_scopes(const std::set<std::string>& scopes) {
  for (const auto& s : scopes) {
    if (s.empty() || s.size() > 32 || s.find_first_not_of("abcdefghijklmnopqrstuvwxyz:_") != std::string::npos) {
      throw ValidationError("scopes", "scope '" + s + "' is not valid");
    }
  }
}

struct KeyRow {
  long long id = 0, created = 0, used = 0, expires = 0;
  int enabled = 1;
  std::string name, prefix, salt, hash, scopes, by;
  soci::indicator used_ind = soci::i_ok, exp_ind = soci::i_ok;
  void bind(Query& q) {
    q.into(id).into(name).into(prefix).into(salt).into(hash).into(scopes).into(enabled).into(by);
    q.into(created).into(used, used_ind).into(expires, exp_ind);
  }
  ApiKeySecret take() const {
    ApiKey k{id, name, prefix, split_scopes(scopes), enabled != 0, by, created,
             opt(used, used_ind), opt(expires, exp_ind)};
    return ApiKeySecret{std::move(k), salt, hash};
  }
};

std::vector<ApiKeySecret> select_keys(soci::session& sql, const std::string& where, const std::string& param) {
  Query q(sql);
  KeyRow r;
  r.bind(q);
  if (!where.empty()) q.use(param);
  std::vector<ApiKeySecret> out;
  q.run(kSelect + where + " ORDER BY id", [&] { out.push_back(r.take()); });
  return out;
}

ApiKey must_load(soci::session& sql, long long id) {
  auto ks = select_keys(sql, " WHERE id = :id", std::to_string(id));
  if (ks.empty()) throw NotFound("api_key", "API key " + std::to_string(id) + " not found");
  return ks.front().key;
}

}  // namespace

ApiKey ApiKeyRepo::create(const NewApiKey& k) {
  validate::text("name", k.name, 128);
  if (k.name.empty()) throw ValidationError("name", "name must not be empty");
  check_scopes(k.scopes);
  if (k.prefix.empty() || k.salt.empty() || k.hash.empty()) {
    throw ValidationError("key", "key material is missing");
  }
  return db_.with_session([&](soci::session& sql) {
    long long at = now_ms(), exp = k.expires_at.value_or(0);
    soci::indicator exp_ind = k.expires_at ? soci::i_ok : soci::i_null;
    const std::string scopes = join_scopes(k.scopes);
    exec(sql, "INSERT INTO api_keys (name, prefix, salt, hash, scopes, enabled, created_by, created_at, "
           "expires_at) VALUES (:n, :p, :s, :h, :sc, 1, :by, :c, :e)",
        soci::use(k.name), soci::use(k.prefix), soci::use(k.salt), soci::use(k.hash),
        soci::use(scopes), soci::use(k.created_by), soci::use(at), soci::use(exp, exp_ind));
    return must_load(sql, last_insert_id(sql, "api_keys"));
  });
}

std::vector<ApiKey> ApiKeyRepo::list() {
  return db_.with_session([&](soci::session& sql) {
    std::vector<ApiKey> out;
    for (auto& s : select_keys(sql, "", "")) out.push_back(std::move(s.key));
    return out;
  });
}

std::optional<ApiKey> ApiKeyRepo::get(int64_t id) {
  return db_.with_session([&](soci::session& sql) -> std::optional<ApiKey> {
    auto ks = select_keys(sql, " WHERE id = :id", std::to_string(id));
    if (ks.empty()) return std::nullopt;
    return ks.front().key;
  });
}

ApiKey ApiKeyRepo::update(int64_t id, const ApiKeyPatch& p) {
  if (p.name) {
    validate::text("name", *p.name, 128);
    if (p.name->empty()) throw ValidationError("name", "name must not be empty");
  }
  if (p.scopes) check_scopes(*p.scopes);
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    long long kid = id;
    const ApiKey cur = must_load(sql, kid);
    std::string name = p.name.value_or(cur.name), scopes = join_scopes(p.scopes.value_or(cur.scopes));
    int enabled = p.enabled.value_or(cur.enabled) ? 1 : 0;
    const auto expires = p.expires_at ? *p.expires_at : cur.expires_at;
    long long exp = expires.value_or(0);
    soci::indicator exp_ind = expires ? soci::i_ok : soci::i_null;
    exec(sql, "UPDATE api_keys SET name = :n, scopes = :s, enabled = :e, expires_at = :x WHERE id = :id",
        soci::use(name), soci::use(scopes), soci::use(enabled), soci::use(exp, exp_ind), soci::use(kid));
    ApiKey out = must_load(sql, kid);
    tr.commit();
    return out;
  });
}

void ApiKeyRepo::remove(int64_t id) {
  db_.with_session([&](soci::session& sql) {
    long long kid = id;
    if (exec_affected(sql, "DELETE FROM api_keys WHERE id = :id", soci::use(kid)) == 0) throw NotFound("api_key", "API key " + std::to_string(id) + " not found");
  });
}

std::vector<ApiKeySecret> ApiKeyRepo::find_by_prefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 16) return {};
  return db_.with_session([&](soci::session& sql) { return select_keys(sql, " WHERE prefix = :p", prefix); });
}

void ApiKeyRepo::touch_last_used(int64_t id, int64_t at_ms) {
  db_.with_session([&](soci::session& sql) {
    long long kid = id, at = at_ms;
    exec(sql, "UPDATE api_keys SET last_used_at = :t WHERE id = :id", soci::use(at), soci::use(kid));
  });
}

}  // namespace opdesk::store
