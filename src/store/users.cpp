// UserRepo: panel accounts, their monitor modes, directly allowed extensions/queues and groups.
//
// A user row plus four link tables (user_monitor_modes, user_extensions, user_queues,
// user_groups) make one User. Writes run in one transaction: uniqueness of username and
// extension is checked first so the Conflict names the field (the unique indexes still guard
// against races and are translated to Conflict too). Invariant kept here, not in the API:
// the last active admin cannot be demoted, disabled or deleted. Disabling an account bumps its
// token_version so every token issued before stops working at once.
#include <map>

#include "store/database.hpp"
#include "store/query.hpp"
#include "store/store.hpp"
#include "store/validate.hpp"

namespace opdesk::store {
namespace {

const std::string kSelect =
    "SELECT id, username, name, extension, role, active, password_hash, created_at, updated_at, "
    "last_login_at, token_version FROM users";

struct UserRow {
  long long id = 0, created = 0, updated = 0, login = 0, tv = 0;
  int active = 1;
  std::string username, name, ext, role, hash;
  soci::indicator ext_ind = soci::i_ok, login_ind = soci::i_ok;

  void bind(Query& q) {
    q.into(id).into(username).into(name).into(ext, ext_ind).into(role).into(active).into(hash);
    q.into(created).into(updated).into(login, login_ind).into(tv);
  }
  User take() const {
    User u;
    u.id = id;
    u.username = username;
    u.name = name;
    u.extension = opt(ext, ext_ind);
    u.role = parse_role(role).value_or(Role::Agent);
    u.active = active != 0;
    u.password_hash = hash;
    u.created_at = created;
    u.updated_at = updated;
    u.last_login_at = opt(login, login_ind);
    u.token_version = tv;
    return u;
  }
};

std::vector<User> select_users(soci::session& sql, const std::string& where,
                               const std::vector<std::string>& params) {
  Query q(sql);
  UserRow r;
  r.bind(q);
  for (const auto& p : params) q.use(p);
  std::vector<User> out;
  q.run(kSelect + where + " ORDER BY id", [&] { out.push_back(r.take()); });
  return out;
}

// Fills the link sets of `users`; only == true restricts the queries to a single user.
void load_links(soci::session& sql, std::vector<User>& users, bool only) {
  std::map<long long, User*> by_id;
  for (auto& u : users) by_id[u.id] = &u;
  if (by_id.empty()) return;
  const std::string where = only ? " WHERE user_id = " + std::to_string(users.front().id) : "";
  auto each = [&](const std::string& table, const std::string& col, auto apply) {
    long long uid = 0;
    std::string val;
    Query q(sql);
    q.into(uid).into(val);
    q.run("SELECT user_id, " + col + " FROM " + table + where, [&] {
      if (auto it = by_id.find(uid); it != by_id.end()) apply(*it->second, val);
    });
  };
  each("user_monitor_modes", "mode", [](User& u, const std::string& v) {
    if (auto m = parse_monitor_mode(v)) u.monitor_modes.insert(*m);
  });
  each("user_extensions", "extension", [](User& u, const std::string& v) { u.extensions.insert(v); });
  each("user_queues", "queue", [](User& u, const std::string& v) { u.queues.insert(v); });
  each("user_groups", "group_id", [](User& u, const std::string& v) { u.group_ids.insert(std::stoll(v)); });
}

std::optional<User> load_one(soci::session& sql, const std::string& where, const std::string& param) {
  auto users = select_users(sql, where, {param});
  if (users.empty()) return std::nullopt;
  users.resize(1);
  load_links(sql, users, true);
  return users.front();
}

User must_load(soci::session& sql, long long id) {
  auto u = load_one(sql, " WHERE id = :id", std::to_string(id));
  if (!u) throw NotFound("user", "user " + std::to_string(id) + " not found");
  return *u;
}

template <class Set>
void replace_set(soci::session& sql, long long id, const std::string& table,
                 const std::string& col, const Set& values) {
  exec(sql, "DELETE FROM " + table + " WHERE user_id = :id", soci::use(id));
  for (const auto& v : values) {
    std::string s;
    if constexpr (std::is_same_v<typename Set::value_type, MonitorMode>) {
      s = std::string(to_string(v));
    } else if constexpr (std::is_same_v<typename Set::value_type, int64_t>) {
      s = std::to_string(v);
    } else {
      s = v;
    }
    exec(sql, "INSERT INTO " + table + " (user_id, " + col + ") VALUES (:id, :v)", soci::use(id),
        soci::use(s));
  }
}

void check_groups_exist(soci::session& sql, const std::set<int64_t>& ids) {
  for (int64_t gid : ids) {
    long long g = gid;
    int n = 0;
    exec(sql, "SELECT COUNT(*) FROM access_groups WHERE id = :g", soci::use(g), soci::into(n));
    if (n == 0) throw ValidationError("group_ids", "group " + std::to_string(gid) + " does not exist");
  }
}

void check_unique(soci::session& sql, const std::string& col, const std::string& value, long long self) {
  int n = 0;
  exec(sql, "SELECT COUNT(*) FROM users WHERE " + col + " = :v AND id <> :id", soci::use(value),
      soci::use(self), soci::into(n));
  if (n > 0) throw Conflict(col, col + " '" + value + "' is already taken");
}

int64_t active_admins(soci::session& sql) {
  long long n = 0;
  exec(sql, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1", soci::into(n));
  return n;
}

void validate_links(const std::set<std::string>& exts, const std::set<std::string>& queues) {
  validate::each_extension("extensions", exts);
  validate::each_queue("queues", queues);
}

void write_links(soci::session& sql, long long id, const UserPatch& p) {
  if (p.monitor_modes) replace_set(sql, id, "user_monitor_modes", "mode", *p.monitor_modes);
  if (p.extensions) replace_set(sql, id, "user_extensions", "extension", *p.extensions);
  if (p.queues) replace_set(sql, id, "user_queues", "queue", *p.queues);
  if (p.group_ids) {
    check_groups_exist(sql, *p.group_ids);
    replace_set(sql, id, "user_groups", "group_id", *p.group_ids);
  }
}

void guard_last_admin(soci::session& sql, const User& cur, const UserPatch& p) {
  const bool loses_admin = (p.role && *p.role != Role::Admin) || (p.active && !*p.active);
  if (cur.role == Role::Admin && cur.active && loses_admin && active_admins(sql) <= 1) {
    throw ValidationError(p.role && *p.role != Role::Admin ? "role" : "active",
                          "the last active admin cannot be demoted or disabled");
  }
}

void validate_patch(const UserPatch& p) {
  if (p.username) validate::username(*p.username);
  if (p.name) validate::display_name(*p.name);
  if (p.extension && *p.extension) validate::extension("extension", **p.extension);
  validate_links(p.extensions.value_or(std::set<std::string>{}), p.queues.value_or(std::set<std::string>{}));
}

}  // namespace

User UserRepo::create(const NewUser& u) {
  validate::username(u.username);
  validate::display_name(u.name);
  if (u.extension) validate::extension("extension", *u.extension);
  validate::password_hash(u.password_hash);
  validate_links(u.extensions, u.queues);
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    check_unique(sql, "username", u.username, 0);
    if (u.extension) check_unique(sql, "extension", *u.extension, 0);
    long long at = now_ms();
    int active = u.active ? 1 : 0;
    std::string role(to_string(u.role));
    soci::indicator ext_ind = u.extension ? soci::i_ok : soci::i_null;
    std::string ext = u.extension.value_or("");
    exec(sql, "INSERT INTO users (username, name, extension, role, active, password_hash, created_at, "
           "updated_at, token_version) VALUES (:u, :n, :e, :r, :a, :h, :c, :m, 0)",
        soci::use(u.username), soci::use(u.name), soci::use(ext, ext_ind), soci::use(role),
        soci::use(active), soci::use(u.password_hash), soci::use(at), soci::use(at));
    const long long id = last_insert_id(sql, "users");
    UserPatch links;
    links.monitor_modes = u.monitor_modes;
    links.extensions = u.extensions;
    links.queues = u.queues;
    links.group_ids = u.group_ids;
    write_links(sql, id, links);
    User out = must_load(sql, id);
    tr.commit();
    return out;
  });
}

User UserRepo::update(int64_t id, const UserPatch& p) {
  validate_patch(p);
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    const User cur = must_load(sql, id);
    guard_last_admin(sql, cur, p);
    long long uid = id;
    if (p.username) check_unique(sql, "username", *p.username, uid);
    if (p.extension && *p.extension) check_unique(sql, "extension", **p.extension, uid);
    const std::optional<std::string> ext = p.extension ? *p.extension : cur.extension;
    std::string ext_v = ext.value_or("");
    soci::indicator ext_ind = ext ? soci::i_ok : soci::i_null;
    std::string username = p.username.value_or(cur.username), name = p.name.value_or(cur.name);
    std::string role(to_string(p.role.value_or(cur.role)));
    int active = p.active.value_or(cur.active) ? 1 : 0;
    long long tv = cur.token_version + (cur.active && !active ? 1 : 0);
    long long at = now_ms();
    exec(sql, "UPDATE users SET username = :u, name = :n, extension = :e, role = :r, active = :a, "
           "token_version = :tv, updated_at = :m WHERE id = :id",
        soci::use(username), soci::use(name), soci::use(ext_v, ext_ind), soci::use(role),
        soci::use(active), soci::use(tv), soci::use(at), soci::use(uid));
    write_links(sql, uid, p);
    User out = must_load(sql, uid);
    tr.commit();
    return out;
  });
}

std::optional<User> UserRepo::get(int64_t id) {
  return db_.with_session([&](soci::session& sql) {
    return load_one(sql, " WHERE id = :id", std::to_string(id));
  });
}

std::optional<User> UserRepo::get_by_login(std::string_view login) {
  if (login.empty() || login.size() > 191) return std::nullopt;
  return db_.with_session([&](soci::session& sql) {
    auto u = load_one(sql, " WHERE username = :l", std::string(login));
    return u ? u : load_one(sql, " WHERE extension = :l", std::string(login));
  });
}

std::vector<User> UserRepo::list() {
  return db_.with_session([&](soci::session& sql) {
    auto users = select_users(sql, "", {});
    load_links(sql, users, false);
    return users;
  });
}

void UserRepo::remove(int64_t id) {
  db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    const User cur = must_load(sql, id);
    if (cur.role == Role::Admin && cur.active && active_admins(sql) <= 1) {
      throw ValidationError("id", "the last active admin cannot be deleted");
    }
    long long uid = id;
    exec(sql, "DELETE FROM users WHERE id = :id", soci::use(uid));
    tr.commit();
  });
}

int64_t UserRepo::count() {
  return db_.with_session([](soci::session& sql) {
    long long n = 0;
    exec(sql, "SELECT COUNT(*) FROM users", soci::into(n));
    return static_cast<int64_t>(n);
  });
}

int64_t UserRepo::count_active_admins() {
  return db_.with_session([](soci::session& sql) { return active_admins(sql); });
}

void UserRepo::set_password(int64_t id, const std::string& password_hash, bool revoke_tokens) {
  validate::password_hash(password_hash);
  db_.with_session([&](soci::session& sql) {
    long long uid = id, at = now_ms(), bump = revoke_tokens ? 1 : 0;
    const long long n = exec_affected(sql, "UPDATE users SET password_hash = :h, token_version = "
                                           "token_version + :b, updated_at = :m WHERE id = :id",
                                      soci::use(password_hash), soci::use(bump), soci::use(at), soci::use(uid));
    if (n == 0) throw NotFound("user", "user " + std::to_string(id) + " not found");
  });
}

void UserRepo::touch_login(int64_t id, int64_t at_ms) {
  db_.with_session([&](soci::session& sql) {
    long long uid = id, at = at_ms;
    exec(sql, "UPDATE users SET last_login_at = :t WHERE id = :id", soci::use(at), soci::use(uid));
  });
}

int64_t UserRepo::bump_token_version(int64_t id) {
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    long long uid = id, tv = 0;
    exec(sql, "UPDATE users SET token_version = token_version + 1 WHERE id = :id", soci::use(uid));
    soci::indicator ind = soci::i_null;
    exec(sql, "SELECT token_version FROM users WHERE id = :id", soci::use(uid), soci::into(tv, ind));
    if (!sql.got_data()) throw NotFound("user", "user " + std::to_string(id) + " not found");
    tr.commit();
    return static_cast<int64_t>(tv);
  });
}

}  // namespace opdesk::store
