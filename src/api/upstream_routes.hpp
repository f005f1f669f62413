// REST routes of the upstream product that its own web client and scripts call (issue #25),
// in three small files:
//   upstream_routes_agent.cpp      pause-reason catalog (CRUD), agent queue login/logout/status
//                                  (QueueAdd/QueueRemove/QueuePause through the ActionRunner,
//                                  so they are permission-checked and audited like every
//                                  action), missed-call notifications (derived from the call log)
//   upstream_routes_analytics.cpp  /api/analytics/*: KPIs computed from the call log, scoped
//   upstream_routes_misc.cpp       settings by key, agents/queues/WebRTC lists, feature status
//                                  routes (QoS, recording, SIP TLS, mobile wake, push), the AMI
//                                  event capture (/api/logs*, off by default), openapi.yaml
// Routes that would configure something OpDesk deliberately does not do (write the PBX's
// dialplan or TLS transport, send mobile push) answer 501 `feature.not_supported` with the
// reason; their status routes answer 200 with `enabled:false`, so the upstream UI keeps working.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "hub.hpp"
#include "pbx_service.hpp"
#include "request_auth.hpp"
#include "router.hpp"
#include "store/cdr_store.hpp"
#include "store/store.hpp"
#include "store/upstream_store.hpp"

namespace opdesk::directory {
class Directory;
}

namespace opdesk::api {

// Ring buffer of parsed AMI events for the Logs page (off until an admin enables it). Used on
// the event loop only.
class AmiCapture {
 public:
  static constexpr size_t kMax = 3000;
  bool enabled() const { return enabled_; }
  void set_enabled(bool on);
  void on_frame(const ami::Message& m, int64_t now_ms);
  // Lines with seq > since (oldest first, at most `max`), filtered by event name and text.
  nlohmann::json lines(int64_t since, const std::string& event, const std::string& text,
                       size_t max = 2000) const;
  nlohmann::json event_names() const;

 private:
  bool enabled_ = false;
  int64_t seq_ = 0;
  std::deque<nlohmann::json> lines_;
};

struct UpstreamDeps {
  store::Store& store;
  store::UpstreamStore& ustore;
  store::CdrStore& cdr;
  RequestAuth& auth;
  PbxService& pbx;
  ActionRunner& actions;
  const Router& router;
  AmiCapture& capture;
  std::function<int64_t()> now_ms;
  std::string version;
  std::string recordings_root;
  bool qos_enabled = true;
  std::string pbx_kind = "asterisk";  // freepbx when its database is configured
  // Names and known numbers (set by the directory wiring; may stay null).
  const directory::Directory* const* directory = nullptr;
};

void register_upstream_agent_routes(Router& r, UpstreamDeps& d);
void register_upstream_analytics_routes(Router& r, UpstreamDeps& d);
void register_upstream_misc_routes(Router& r, UpstreamDeps& d);

// 501 with the reason (thrown as ApiError, so the error shape is the usual one).
[[noreturn]] void not_supported(const std::string& reason);

}  // namespace opdesk::api
