// What `opdesk serve` hands to each feature's wiring function (CRM, QoS, directory, health,
// softphone, ...). A feature registers its routes on `router`, keeps its objects alive in
// `keep`, subscribes to the engine's change batches and raw AMI frames, contributes its part of
// GET /api/status and stops in `on_stop`. serve.cpp calls one `wire_<feature>(Wiring&)` per
// feature, after the core (store, auth, PBX link, hub, call log) exists and before the HTTP
// server starts; everything runs on the one event loop `ex`.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "config.hpp"

namespace opdesk::api {
class ActionService;
class Hub;
class Metrics;
class PbxService;
class Router;
class SessionAuth;
}  // namespace opdesk::api
namespace opdesk::store {
class CdrStore;
class Store;
}  // namespace opdesk::store
namespace opdesk::pbx {
struct ChangeBatch;
}

namespace opdesk::app {

struct Wiring {
  const Config& cfg;
  boost::asio::any_io_executor ex;
  store::Store& store;
  store::CdrStore& cdr;
  api::Router& router;
  api::SessionAuth& session;
  api::PbxService& pbx;
  api::ActionService& actions;
  api::Hub& hub;
  api::Metrics& metrics;
  std::function<int64_t()> now_ms;
  // Secret for signed recording URLs (also used by CRM payloads).
  std::string recording_key;

  // Objects that must live as long as the server (services created by a feature).
  std::vector<std::shared_ptr<void>> keep;
  // Engine change batches, after the hub published them.
  std::vector<std::function<void(const pbx::ChangeBatch&)>> change_listeners;
  // Each adds its own key to the `details` of GET /api/status (run at request time).
  std::vector<std::function<boost::asio::awaitable<void>(nlohmann::json&)>> status_parts;
  // Run on SIGTERM/SIGINT before the loop drains, in order.
  std::vector<std::function<void()>> on_stop;
  // Run on SIGHUP after the configuration file was re-read (safe settings only).
  std::vector<std::function<void(const Config&)>> on_reload;
};

// One line per feature in features.cpp; each lives in its own wire_<feature>.cpp.
void wire_features(Wiring& w);

}  // namespace opdesk::app
