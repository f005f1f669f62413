// Directory routes: GET /api/directory (every logged-in user, filtered by scope) and the admin
// overrides PUT/DELETE /api/directory/{number} (hide, rename/label, group, order).
//
// The merge itself lives in src/directory; these routes authenticate, check scope in one place
// (visible_entries), write overrides on the store's worker pool, audit each change and then
// call `changed` so the live state picks up the new labels at once.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "principal.hpp"
#include "request_auth.hpp"
#include "router.hpp"

namespace opdesk::directory {
class Directory;
}
namespace opdesk::store {
class Store;
}

namespace opdesk::api {

struct DirectoryDeps {
  store::Store& store;
  RequestAuth& auth;
  const directory::Directory& directory;
  // Re-reads the overrides and applies the labels (after a PUT/DELETE); may be empty.
  std::function<boost::asio::awaitable<void>()> changed;
};

// The entries `p` may see: admins everything (hidden ones flagged), others only visible
// entries of their extensions and queues.
nlohmann::json visible_entries(const Principal& p, const directory::Directory& dir);

void register_directory_routes(Router& router, DirectoryDeps& deps);

}  // namespace opdesk::api
