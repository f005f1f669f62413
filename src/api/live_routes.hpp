// Live REST routes: the snapshot and its upstream-shaped mirrors (filtered by scope), status,
// health, metrics, the OpenAPI document and the action endpoints (same checks as WS actions).
// /health's ami_connected means logged in and synchronised (ami_logged_in: the login alone).
// /api/status: admins get the panel-wide counts and every detail (PBX link, database, CRM,
// QoS, ...); everyone else (and API keys) only the counts of their own scope.
#pragma once

#include <functional>

#include "hub.hpp"
#include "metrics.hpp"
#include "request_auth.hpp"
#include "router.hpp"

namespace opdesk::api {

struct LiveDeps {
  const pbx::Engine& engine;
  RequestAuth& auth;
  ActionRunner& actions;
  Hub* hub = nullptr;
  Metrics* metrics = nullptr;
  std::function<int64_t()> now_ms;
  std::function<bool()> pbx_connected;
  // Extra /api/status fields (database, pbx link, directory, versions).
  std::function<boost::asio::awaitable<nlohmann::json>()> status_details;
  std::string version;
  bool metrics_public_on_loopback = true;  // /metrics: admin token, or any loopback scraper
  // Logged in AND resynchronised (PbxService::synced); unset → pbx_connected.
  std::function<bool()> pbx_synced;
};

void register_live_routes(Router& router, LiveDeps& deps);

}  // namespace opdesk::api
