// First start: make sure an admin account exists (never a built-in default password).
#pragma once

#include <optional>
#include <string>

namespace opdesk::store {
class Store;
}

namespace opdesk::auth {

struct AdminBootstrap {
  bool created = false;
  std::optional<std::string> generated_password;  // print once when set; never logged here
};

// When the users table is empty, creates "admin" (role admin, all monitor modes) with
// `password` (e.g. from OPDESK_ADMIN_PASSWORD; must pass check_new_password) or, when absent,
// a random 24-character password that is returned. Does nothing when any user exists.
AdminBootstrap ensure_admin(store::Store& store, const std::optional<std::string>& password);

}  // namespace opdesk::auth
