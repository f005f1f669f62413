// Route table for the REST API: "METHOD /path/{param}" → handler.
//
// Matching is by path segments; `{name}` captures one segment into Request::params and a
// trailing `{name*}` captures the rest of the path (recordings). An /api path that matches no
// route answers a JSON 404; one that exists for other methods answers 405 with Allow.
// routes() lists every pattern, so the OpenAPI document can be checked against the router.
#pragma once

#include <string>
#include <vector>

#include "http_types.hpp"

namespace opdesk::api {

struct RouteInfo {
  std::string method;
  std::string pattern;
  std::string summary;
};

class Router {
 public:
  void add(std::string method, std::string pattern, HttpHandler handler, std::string summary = {});

  enum class Match { kFound, kNotFound, kMethodNotAllowed };
  // On kFound sets `handler` and fills req.params; on kMethodNotAllowed sets `allow`.
  Match match(Request& req, const HttpHandler** handler, std::string* allow) const;
  const std::vector<RouteInfo>& routes() const { return infos_; }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    bool rest = false;  // last segment captures the remainder
    HttpHandler handler;
  };
  static std::vector<std::string> split(std::string_view path);
  static bool match_route(const Route& r, const std::vector<std::string>& segs, Request& req);
  std::vector<Route> routes_;
  std::vector<RouteInfo> infos_;
};

}  // namespace opdesk::api
