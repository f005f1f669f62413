// Operations wiring for `opdesk serve` (issue #12): the admin health checks route
// GET /api/health/checks (the same checks as `opdesk doctor`, see doctor.cpp), the Prometheus
// metrics the core does not feed itself (AMI connected, frames, event lag, resyncs, WebSocket
// clients and bytes, database latency), and the SIGHUP log-level reload.
//
// Invariants: everything runs on the event loop; one health run at a time (a second request
// while one runs gets 429, since each run opens its own AMI session); the database latency
// probe runs on the store's worker pool every kDbProbeEvery.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "api/health_checks.hpp"
#include "api/http_util.hpp"
#include "api/hub.hpp"
#include "api/metrics.hpp"
#include "api/pbx_service.hpp"
#include "api/request_auth.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "doctor.hpp"
#include "store/store.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace asio = boost::asio;

namespace {

// Often enough for a useful latency histogram, rare enough to be invisible in load.
constexpr std::chrono::seconds kDbProbeEvery{15};
// The server's own session already counts events, so the probe session listens only briefly.
constexpr std::chrono::milliseconds kLiveObserve{500};

struct OpsState {
  api::LiveObservations seen;
  bool running = false;
  bool stopped = false;
  std::vector<std::shared_ptr<void>> probe_stores;  // FreePBX schema stores for the DB probes
  std::vector<api::DbProbe> probes;
};

void observe_frame(OpsState& s, api::Metrics& m, const ami::Message& f, int64_t now_ms) {
  m.count_ami_events(1);
  if (f.event().empty() || f.has("ActionID")) return;
  ++s.seen.events;
  if (f.is_event("Cdr")) ++s.seen.cdr;
  if (f.is_event("RTCPSent") || f.is_event("RTCPReceived")) ++s.seen.rtcp;
  if (f.is_event("Newchannel")) ++s.seen.calls;
  std::string_view ts = f.get("Timestamp");
  if (ts.empty()) return;
  ++s.seen.timestamped;
  double at = std::strtod(std::string(ts).c_str(), nullptr);
  double lag = static_cast<double>(now_ms) / 1000.0 - at;
  if (at > 0 && lag >= 0) m.observe_event_lag(lag);
}

asio::awaitable<void> db_probe_loop(Wiring& w, std::shared_ptr<OpsState> s) {
  asio::steady_timer t(w.ex);
  while (!s->stopped) {
    auto t0 = std::chrono::steady_clock::now();
    co_await w.store.async([&w] { return w.store.ping(nullptr); });
    w.metrics.observe_db(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    t.expires_after(kDbProbeEvery);
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void wire_metrics(Wiring& w, const std::shared_ptr<OpsState>& s) {
  w.metrics.add_gauge("opdesk_ami_connected", "1 when the AMI state session is logged in",
                      [&w] { return w.pbx.connected() ? 1.0 : 0.0; });
  w.metrics.add_gauge("opdesk_ws_clients", "Connected WebSocket clients",
                      [&w] { return static_cast<double>(w.hub.client_count()); });
  w.metrics.add_collector([&w] {
    w.metrics.set_resyncs_total(w.pbx.status().resyncs);
    w.metrics.set_delta_bytes_total(w.hub.stats().bytes);
  });
  w.pbx.add_frame_listener([s, &w](const ami::Message& f, int64_t now) { observe_frame(*s, w.metrics, f, now); });
  asio::co_spawn(w.ex, db_probe_loop(w, s), asio::detached);
  w.on_stop.push_back([s] { s->stopped = true; });
}

void wire_checks_route(Wiring& w, const std::shared_ptr<OpsState>& s) {
  api::HealthCheckOptions prepared;
  add_database_probes(prepared, w.cfg, &w.store, s->probe_stores);
  s->probes = std::move(prepared.databases);
  w.router.add("GET", "/api/health/checks", [&w, s](api::Request& req) -> asio::awaitable<api::Response> {
    api::Principal p = co_await w.session.require(req);
    api::require_admin(p);
    if (s->running) throw api::ApiError(429, "health.checks.busy", "a health check is already running");
    s->running = true;
    struct Done {
      OpsState& st;
      ~Done() { st.running = false; }
    } done{*s};
    auto opts = health_options(w.cfg);
    opts.observe = kLiveObserve;
    opts.databases = s->probes;
    opts.live = [s] { return s->seen; };
    auto checks = co_await api::run_health_checks(w.ex, std::move(opts));
    co_return api::json_response(200, api::to_json(checks));
  }, "admin: Run the health checks (the same as opdesk doctor)");
}

void wire_reload(Wiring& w) {
  w.on_reload.push_back([](const Config& c) {
    auto level = spdlog::level::from_str(c.log.level);
    spdlog::set_level(level);
    // Logged at warn so the change is visible at the default level.
    spdlog::warn("reload: log level {}", spdlog::level::to_string_view(level));
  });
}

}  // namespace

void wire_health(Wiring& w) {
  auto s = std::make_shared<OpsState>();
  wire_metrics(w, s);
  wire_checks_route(w, s);
  wire_reload(w);
  w.keep.push_back(s);
}

}  // namespace opdesk::app
