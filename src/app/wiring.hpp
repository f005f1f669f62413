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
struct HistoryDeps;
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
  // Run after an admin saved panel settings (PUT /api/settings), with the changed keys; on the
  // event loop, so a listener that reads the store goes through store.async.
  std::vector<std::function<void(const std::vector<std::string>&)>> on_settings_changed;
  // Run on SIGHUP after the configuration file was re-read (safe settings only).
  std::vector<std::function<void(const Config&)>> on_reload;
  // The call-log routes' dependencies (the directory adds its names and known numbers).
  api::HistoryDeps* history = nullptr;
  // The Content-Security-Policy of every HTTP response (the softphone wiring keeps its PBX
  // WebSocket origin current); empty → the panel's origin only.
  std::function<std::string()> content_security_policy;
};

// One line per feature in features.cpp; each lives in its own wire_<feature>.cpp.
void wire_features(Wiring& w);
void wire_directory(Wiring& w);
void wire_qos(Wiring& w);  // wire_qos.cpp: call quality (issue #10)
void wire_webrtc(Wiring& w);  // softphone provisioning, issue #11 (wire_webrtc.cpp)
void wire_health(Wiring& w);  // health checks, ops metrics, SIGHUP log level, issue #12 (wire_health.cpp)
void wire_crm(Wiring& w);  // CRM push, delivery log, caller lookup, issue #9 (wire_crm.cpp)
void wire_upstream(Wiring& w);  // upstream REST routes, issue #25 (wire_upstream.cpp)

}  // namespace opdesk::app
