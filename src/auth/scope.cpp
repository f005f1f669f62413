// Scope resolution and the user JSON (see scope.hpp). Nothing is cached: role, groups and
// lists are read per request, so a change applies to the next request and WS re-check.
#include "auth/scope.hpp"

#include "store/store.hpp"

namespace opdesk::auth {

bool Scope::can_see_extension(std::string_view ext) const {
  return all || extensions.count(std::string(ext)) > 0;
}

bool Scope::can_see_queue(std::string_view queue) const {
  return all || queues.count(std::string(queue)) > 0;
}

bool Scope::can_monitor(store::MonitorMode mode) const { return monitor_modes.count(mode) > 0; }

Scope resolve_scope(const store::User& user, const std::vector<store::Group>& groups) {
  Scope s;
  s.role = user.role;
  s.extension = user.extension;
  switch (user.role) {
    case store::Role::Admin:
      s.all = true;
      s.monitor_modes = {store::MonitorMode::Listen, store::MonitorMode::Whisper, store::MonitorMode::Barge};
      break;
    case store::Role::Supervisor:
      s.extensions = user.extensions;
      s.queues = user.queues;
      for (const auto& g : groups) {
        s.extensions.insert(g.extensions.begin(), g.extensions.end());
        s.queues.insert(g.queues.begin(), g.queues.end());
      }
      s.monitor_modes = user.monitor_modes;
      break;
    case store::Role::Agent:
      break;  // own extension only (added below), no queues, no monitoring
  }
  if (user.extension) s.extensions.insert(*user.extension);
  return s;
}

Scope resolve_scope(const store::User& user, store::Store& store) {
  if (user.role != store::Role::Supervisor) return resolve_scope(user, std::vector<store::Group>{});
  return resolve_scope(user, store.groups().for_user(user.id));
}

nlohmann::json user_json(const store::User& user, const Scope& scope) {
  using nlohmann::json;
  json modes = json::array();
  for (auto m : scope.monitor_modes) modes.push_back(std::string(store::to_string(m)));
  json j = {{"id", user.id},
            {"username", user.username},
            {"name", user.name},
            {"role", std::string(store::to_string(user.role))},
            {"extension", user.extension ? json(*user.extension) : json(nullptr)},
            {"monitor_modes", modes},
            {"active", user.active}};
  j["allowed_agent_extensions"] = scope.all ? json(nullptr) : json(scope.extensions);
  j["allowed_queue_names"] = scope.all ? json(nullptr) : json(scope.queues);
  return j;
}

}  // namespace opdesk::auth
