// SessionAuth: the API's view of authentication, on top of auth::AuthService.
//
// REST (RequestAuth): `Authorization: Bearer <JWT>`, or an API key (`X-API-Key: opd_…` or
// `Bearer opd_…`) on routes that name a key scope. WebSocket (hub Authenticator): a JWT only.
// Every call resolves the user and scope from the store on the worker pool, so role, scope and
// active-flag changes apply at once.
#pragma once

#include <functional>

#include "auth/service.hpp"
#include "hub.hpp"
#include "request_auth.hpp"
#include "store/store.hpp"

namespace opdesk::api {

class SessionAuth : public RequestAuth, public Authenticator {
 public:
  SessionAuth(store::Store& store, auth::AuthService& auth, std::function<int64_t()> now_ms)
      : store_(store), auth_(auth), now_ms_(std::move(now_ms)) {}

  boost::asio::awaitable<Principal> require(const Request& req, std::string_view key_scope = {}) override;
  boost::asio::awaitable<Result> authenticate(std::string token) override;
  boost::asio::awaitable<Result> reload(const Principal& p) override;

  static Principal principal_of(const auth::Authenticated& a);

 private:
  store::Store& store_;
  auth::AuthService& auth_;
  std::function<int64_t()> now_ms_;
};

}  // namespace opdesk::api
