// GroupRepo: access groups that give supervisors a set of extensions and queues.
//
// A group is one access_groups row plus group_extensions, group_queues and user_groups
// (members). A supervisor's scope is the union of its own lists and its groups' lists
// (resolved in opdesk::auth). Names are unique (Conflict on "name"); deleting a group removes
// its links (ON DELETE CASCADE), never its members.
#include <map>

#include "store/database.hpp"
#include "store/query.hpp"
#include "store/store.hpp"
#include "store/validate.hpp"

namespace opdesk::store {
namespace {

std::vector<Group> select_groups(soci::session& sql, const std::string& where, const std::string& param) {
  Query q(sql);
  long long id = 0, created = 0;
  std::string name;
  q.into(id).into(name).into(created);
  if (!param.empty()) q.use(param);
  std::vector<Group> out;
  q.run("SELECT id, name, created_at FROM access_groups" + where + " ORDER BY name, id", [&] {
    out.push_back(Group{id, name, created, {}, {}, {}});
  });
  return out;
}

void load_links(soci::session& sql, std::vector<Group>& groups) {
  std::map<long long, Group*> by_id;
  for (auto& g : groups) by_id[g.id] = &g;
  if (by_id.empty()) return;
  const std::string where =
      groups.size() == 1 ? " WHERE group_id = " + std::to_string(groups.front().id) : "";
  auto each = [&](const std::string& table, const std::string& col, auto apply) {
    long long gid = 0;
    std::string val;
    Query q(sql);
    q.into(gid).into(val);
    q.run("SELECT group_id, " + col + " FROM " + table + where, [&] {
      if (auto it = by_id.find(gid); it != by_id.end()) apply(*it->second, val);
    });
  };
  each("group_extensions", "extension", [](Group& g, const std::string& v) { g.extensions.insert(v); });
  each("group_queues", "queue", [](Group& g, const std::string& v) { g.queues.insert(v); });
  each("user_groups", "user_id", [](Group& g, const std::string& v) { g.user_ids.insert(std::stoll(v)); });
}

Group must_load(soci::session& sql, long long id) {
  auto gs = select_groups(sql, " WHERE id = :id", std::to_string(id));
  if (gs.empty()) throw NotFound("group", "group " + std::to_string(id) + " not found");
  load_links(sql, gs);
  return gs.front();
}

void replace_strings(soci::session& sql, long long gid, const std::string& table,
                     const std::string& col, const std::set<std::string>& values) {
  exec(sql, "DELETE FROM " + table + " WHERE group_id = :g", soci::use(gid));
  for (const auto& v : values) {
    exec(sql, "INSERT INTO " + table + " (group_id, " + col + ") VALUES (:g, :v)", soci::use(gid),
        soci::use(v));
  }
}

void replace_members(soci::session& sql, long long gid, const std::set<int64_t>& users) {
  exec(sql, "DELETE FROM user_groups WHERE group_id = :g", soci::use(gid));
  for (int64_t u : users) {
    long long uid = u;
    int n = 0;
    exec(sql, "SELECT COUNT(*) FROM users WHERE id = :u", soci::use(uid), soci::into(n));
    if (n == 0) throw ValidationError("user_ids", "user " + std::to_string(u) + " does not exist");
    exec(sql, "INSERT INTO user_groups (user_id, group_id) VALUES (:u, :g)", soci::use(uid), soci::use(gid));
  }
}

void check_name_free(soci::session& sql, const std::string& name, long long self) {
  int n = 0;
  exec(sql, "SELECT COUNT(*) FROM access_groups WHERE name = :n AND id <> :id", soci::use(name),
      soci::use(self), soci::into(n));
  if (n > 0) throw Conflict("name", "group name '" + name + "' is already taken");
}

void write_links(soci::session& sql, long long gid, const GroupPatch& p) {
  if (p.extensions) replace_strings(sql, gid, "group_extensions", "extension", *p.extensions);
  if (p.queues) replace_strings(sql, gid, "group_queues", "queue", *p.queues);
  if (p.user_ids) replace_members(sql, gid, *p.user_ids);
}

void validate_patch(const GroupPatch& p) {
  if (p.name) validate::group_name(*p.name);
  if (p.extensions) validate::each_extension("extensions", *p.extensions);
  if (p.queues) validate::each_queue("queues", *p.queues);
}

}  // namespace

Group GroupRepo::create(const NewGroup& g) {
  GroupPatch links{g.name, g.extensions, g.queues, g.user_ids};
  validate_patch(links);
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    check_name_free(sql, g.name, 0);
    long long at = now_ms();
    exec(sql, "INSERT INTO access_groups (name, created_at) VALUES (:n, :c)", soci::use(g.name), soci::use(at));
    const long long id = last_insert_id(sql, "access_groups");
    write_links(sql, id, links);
    Group out = must_load(sql, id);
    tr.commit();
    return out;
  });
}

Group GroupRepo::update(int64_t id, const GroupPatch& p) {
  validate_patch(p);
  return db_.with_session([&](soci::session& sql) {
    Tx tr(sql, db_.dialect());
    long long gid = id;
    must_load(sql, gid);
    if (p.name) {
      check_name_free(sql, *p.name, gid);
      exec(sql, "UPDATE access_groups SET name = :n WHERE id = :id", soci::use(*p.name), soci::use(gid));
    }
    write_links(sql, gid, p);
    Group out = must_load(sql, gid);
    tr.commit();
    return out;
  });
}

std::optional<Group> GroupRepo::get(int64_t id) {
  return db_.with_session([&](soci::session& sql) -> std::optional<Group> {
    auto gs = select_groups(sql, " WHERE id = :id", std::to_string(id));
    if (gs.empty()) return std::nullopt;
    load_links(sql, gs);
    return gs.front();
  });
}

std::vector<Group> GroupRepo::list() {
  return db_.with_session([&](soci::session& sql) {
    auto gs = select_groups(sql, "", "");
    load_links(sql, gs);
    return gs;
  });
}

std::vector<Group> GroupRepo::for_user(int64_t user_id) {
  return db_.with_session([&](soci::session& sql) {
    auto gs = select_groups(sql, " WHERE id IN (SELECT group_id FROM user_groups WHERE user_id = :u)",
                            std::to_string(user_id));
    std::vector<Group> out;
    for (auto& g : gs) {  // one group at a time keeps load_links' single-group filter
      std::vector<Group> one{g};
      load_links(sql, one);
      out.push_back(std::move(one.front()));
    }
    return out;
  });
}

void GroupRepo::remove(int64_t id) {
  db_.with_session([&](soci::session& sql) {
    long long gid = id;
    if (exec_affected(sql, "DELETE FROM access_groups WHERE id = :id", soci::use(gid)) == 0) throw NotFound("group", "group " + std::to_string(id) + " not found");
  });
}

}  // namespace opdesk::store
