// Turns every HTTP request into exactly one response: route match, JSON 404/405 for /api,
// the SPA for everything else, ApiError → its status and error envelope, unexpected
// exceptions → 500 without internals (logged once with the request id), metrics per route.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>

#include "http_types.hpp"
#include "metrics.hpp"
#include "router.hpp"
#include "static_files.hpp"

namespace opdesk::api {

class Dispatcher {
 public:
  Dispatcher(Router& router, StaticFiles& files, Metrics* metrics)
      : router_(router), files_(files), metrics_(metrics) {}
  boost::asio::awaitable<Response> handle(Request& req);
  HttpHandler handler() {
    return [this](Request& r) { return handle(r); };
  }

 private:
  Router& router_;
  StaticFiles& files_;
  Metrics* metrics_;
};

}  // namespace opdesk::api
