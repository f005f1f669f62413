// Authentication routes: login (rate limited), me, and API-key administration.
#pragma once

#include "auth/service.hpp"
#include "router.hpp"
#include "session_auth.hpp"

namespace opdesk::api {

struct AuthDeps {
  store::Store& store;
  auth::AuthService& auth;
  SessionAuth& session;
  std::function<int64_t()> now_ms;
};

void register_auth_routes(Router& router, AuthDeps& deps);

}  // namespace opdesk::api
