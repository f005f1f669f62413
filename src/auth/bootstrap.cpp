// ensure_admin (see bootstrap.hpp). Two processes starting at once on an empty database both
// try to create "admin"; the loser gets Conflict on the username and reports "not created".
#include "auth/bootstrap.hpp"

#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "store/store.hpp"

namespace opdesk::auth {

AdminBootstrap ensure_admin(store::Store& store, const std::optional<std::string>& password) {
  if (store.users().count() > 0) return {};
  AdminBootstrap out;
  std::string pw;
  if (password && !password->empty()) {
    check_new_password(*password, "admin");
    pw = *password;
  } else {
    pw = random_password(18);  // 144 bits → 24 URL-safe characters
    out.generated_password = pw;
  }
  store::NewUser u;
  u.username = "admin";
  u.name = "Administrator";
  u.role = store::Role::Admin;
  u.password_hash = hash_password(pw);
  u.monitor_modes = {store::MonitorMode::Listen, store::MonitorMode::Whisper, store::MonitorMode::Barge};
  try {
    store.users().create(u);
  } catch (const store::Conflict&) {
    return {};  // another process created it first
  }
  out.created = true;
  return out;
}

}  // namespace opdesk::auth
