// Admin REST routes: users, groups, panel settings and the audit log.
//
// Every route checks the admin role on the server, validates its body (400 naming the
// field), and writes what it changed to the audit log (who, when, what; secrets never).
// After a change to a user or group the hub re-checks that user's live connections.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "hub.hpp"
#include "request_auth.hpp"
#include "router.hpp"
#include "store/store.hpp"

namespace opdesk::api {

struct AdminDeps {
  store::Store& store;
  RequestAuth& auth;
  Hub* hub = nullptr;
  std::function<std::string(const std::string&)> hash_password;  // argon2id (auth lane)
  // Called after settings were saved (keys changed), e.g. to reconnect AMI or reload CRM.
  std::function<void(const std::vector<std::string>&)> on_settings_changed;
  // CRM_* defaults from the environment/.env (Config::crm): the base under stored CRM rows when
  // a settings write is validated as a whole CRM config (settings_check.hpp).
  std::map<std::string, std::string> crm_defaults;
};

void register_admin_routes(Router& router, AdminDeps& deps);

// Writes one audit row on the store's worker pool (never throws: failures are logged).
boost::asio::awaitable<void> audit(store::Store& store, const Principal& who, std::string action,
                                   std::string target, std::string result,
                                   nlohmann::json detail, std::string ip);

// Settings the API accepts, whether each is a secret (write-only), and validation.
struct SettingSpec {
  bool secret = false;
  std::function<bool(const std::string&)> valid;
  const char* expected = "text without control characters (at most 4096 bytes)";
};
const std::map<std::string, SettingSpec>& setting_specs();

}  // namespace opdesk::api
