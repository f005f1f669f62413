// How REST handlers learn who is calling. Implemented by AuthService (auth_service.cpp), which
// accepts a Bearer JWT or an API key and resolves the principal's scope from the store on
// every request (a changed role, scope or a disabled account applies at once).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string_view>

#include "http_types.hpp"
#include "http_util.hpp"
#include "principal.hpp"

namespace opdesk::api {

class RequestAuth {
 public:
  virtual ~RequestAuth() = default;
  // Throws ApiError 401 (missing/invalid/expired credentials, disabled user) or 403 (an API
  // key without `key_scope`). API keys are accepted only when key_scope is non-empty.
  virtual boost::asio::awaitable<Principal> require(const Request& req,
                                                    std::string_view key_scope = {}) = 0;
};

inline void require_admin(const Principal& p) {
  if (!p.is_admin()) {
    throw ApiError(403, "access.role.admin_required", "this needs the admin role");
  }
}

}  // namespace opdesk::api
