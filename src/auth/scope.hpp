// Scope: what a user may see and do, resolved from the store on every request.
//
//   admin      → everything, every monitor mode
//   supervisor → own extension + directly allowed extensions/queues ∪ those of its groups;
//                monitor modes as stored
//   agent      → own extension only, no queues, no monitor modes
// user_json() is the /api/auth/me (and WS auth_ok) body; lists are null for admins.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.hpp"

namespace opdesk::store {
class Store;
}

namespace opdesk::auth {

struct Scope {
  store::Role role = store::Role::Agent;
  std::optional<std::string> extension;
  bool all = false;
  std::set<std::string> extensions;  // includes the user's own extension
  std::set<std::string> queues;
  std::set<store::MonitorMode> monitor_modes;

  bool can_see_extension(std::string_view ext) const;
  bool can_see_queue(std::string_view queue) const;
  bool can_monitor(store::MonitorMode mode) const;
};

// Pure part: from a user and the groups it belongs to.
Scope resolve_scope(const store::User& user, const std::vector<store::Group>& groups);
// Blocking (reads the user's groups): run on the store's worker pool.
Scope resolve_scope(const store::User& user, store::Store& store);

nlohmann::json user_json(const store::User& user, const Scope& scope);

}  // namespace opdesk::auth
