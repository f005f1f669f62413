// CRM feature wiring (issue #9): CrmService + ContactLookup + CallTracker + REST routes.
//
// Configuration: the CRM_* keys from the environment / upstream .env (Config::crm) are the
// defaults; the CRM_* rows of the settings table (written by PUT /api/settings/crm) win, as in
// the upstream product. A stored config that no longer validates is logged once and pushing is
// disabled until an administrator saves a valid one (the panel still starts).
//
// Source of the pushed calls — the engine's change batches, not the CDR rows. Why: the batches
// exist for every PBX (the CDR table may be FreePBX's, read-only, or written late), they give
// the ringing/answered moments live (CDR rows only exist after the hangup), and the engine's
// direction (parties that are known extensions vs external numbers) is the one the panel
// shows. CallTracker (src/crm/call_tracker.*) keeps what it learns per live call (first caller,
// answering callee, queue, recording, QoS, start/answer) because a removed call is gone from
// the engine; `ended` is pushed when the call is removed, with end = the batch time; a call
// merged into another (transfer) is not ended. Outcomes: see call_tracker.cpp.
//
// Recording links: CRM_RECORDING_BASE_URL + a /api/recordings URL signed with w.recording_key
// (uid 0, valid CRM_RECORDING_TTL_HOURS), made at send time so retries carry a fresh link.
// Status: GET /api/status details.crm = {enabled, pending, failed, delivered, ...}; metrics:
// opdesk_crm_outbox_pending / _failed gauges and opdesk_crm_attempts_failed (refreshed at scrape).
#include <boost/asio/detached.hpp>
#include <boost/asio/co_spawn.hpp>
#include <algorithm>
#include <spdlog/spdlog.h>

#include <memory>

#include "api/crm_routes.hpp"
#include "api/metrics.hpp"
#include "api/pbx_service.hpp"
#include "api/recordings.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "crm/call_tracker.hpp"
#include "crm/contact_lookup.hpp"
#include "crm/crm_service.hpp"
#include "pbx/engine.hpp"
#include "store/store.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace {

// One object so the members are destroyed in a safe order (lookup and deps before the service).
struct CrmFeature {
  std::unique_ptr<crm::CrmService> service;
  std::unique_ptr<crm::ContactLookup> lookup;
  crm::CallTracker tracker;
  std::unique_ptr<api::CrmDeps> deps;
  ~CrmFeature() {
    deps.reset();
    lookup.reset();
    service.reset();
  }
};

crm::CrmConfig initial_config(Wiring& w) {
  std::string error;
  crm::CrmConfig cfg = api::crm_config_from(w.cfg.crm, w.store.settings().all(), &error);
  if (!error.empty()) spdlog::warn("crm: stored settings ignored: {}", error);
  try {
    crm::validate(cfg);
  } catch (const crm::ConfigError& e) {
    if (cfg.enabled) spdlog::warn("crm: push disabled until the settings are fixed: {}", e.what());
    cfg.enabled = false;
  }
  return cfg;
}

crm::CrmServiceOptions service_options(Wiring& w) {
  crm::CrmServiceOptions o;
  o.now_ms = w.now_ms;
  o.sign_recording = [key = w.recording_key, now = w.now_ms](const std::string& file,
                                                             const crm::CrmConfig& c) {
    if (c.recording_base_url.empty() || key.empty()) return std::string();
    std::string base = c.recording_base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + api::signed_recording_url(key, file, 0, now() / 1000,
                                            static_cast<int64_t>(c.recording_ttl_hours) * 3600);
  };
  return o;
}

void add_observability(Wiring& w, crm::CrmService& svc) {
  w.status_parts.push_back([&svc](nlohmann::json& j) -> boost::asio::awaitable<void> {
    nlohmann::json part = svc.stats().to_json();
    part["enabled"] = svc.config().enabled;
    j["crm"] = part;
    co_return;
  });
  w.metrics.add_gauge("opdesk_crm_outbox_pending", "CRM deliveries waiting to be sent",
                      [&svc] { return static_cast<double>(svc.stats().pending); });
  w.metrics.add_gauge("opdesk_crm_outbox_failed", "CRM deliveries failed permanently (in the log)",
                      [&svc] { return static_cast<double>(svc.stats().failed); });
  w.metrics.add_gauge("opdesk_crm_attempts_failed", "CRM send attempts that did not deliver since start",
                      [&svc] { return static_cast<double>(svc.stats().attempts_failed); });
}

}  // namespace

void wire_crm(Wiring& w) {
  auto f = std::make_shared<CrmFeature>();
  f->service = std::make_unique<crm::CrmService>(w.ex, w.store, initial_config(w), service_options(w));
  try {
    f->service->migrate();
  } catch (const std::exception& e) {
    // The panel runs without the CRM rather than not at all; the status shows it missing.
    spdlog::error("crm: outbox tables unavailable, CRM disabled: {}", e.what());
    return;
  }
  f->service->start();
  f->lookup = std::make_unique<crm::ContactLookup>(*f->service);
  f->deps = std::make_unique<api::CrmDeps>(
      api::CrmDeps{w.store, w.session, *f->service, *f->lookup, w.now_ms});
  api::register_crm_routes(w.router, *f->deps);

  const pbx::Engine& engine = w.pbx.engine();
  auto* raw = f.get();
  w.change_listeners.push_back([raw, &engine, now = w.now_ms](const pbx::ChangeBatch& b) {
    for (auto& e : raw->tracker.on_batch(b, engine, now())) {
      if (e.record.caller_name.empty() && e.record.direction == crm::Direction::kInbound) {
        // Never blocks: a miss starts one background lookup that later calls will use.
        if (auto name = raw->lookup->cached_name(e.record.caller_number)) e.record.caller_name = *name;
      }
      raw->service->push(e.record, e.event);
    }
  });
  add_observability(w, *f->service);
  // CRM_* keys saved through the generic settings API apply to the next send, like
  // PUT /api/settings/crm does (a config that fails validation disables the push, logged).
  w.on_settings_changed.push_back([&w, raw](const std::vector<std::string>& keys) {
    bool crm_keys = std::any_of(keys.begin(), keys.end(),
                                [](const std::string& k) { return k.rfind("CRM_", 0) == 0; });
    if (!crm_keys) return;
    boost::asio::co_spawn(w.ex, [&w, raw]() -> boost::asio::awaitable<void> {
      auto read = [&w] { return initial_config(w); };  // Named, not inline (GCC 12 co_await).
      try {
        crm::CrmConfig c = co_await w.store.async(read);
        raw->service->set_config(std::move(c));
        spdlog::info("crm: settings reloaded");
      } catch (const std::exception& e) {
        spdlog::warn("crm: reloading settings failed: {}", e.what());
      }
    }, boost::asio::detached);
  });
  w.on_stop.push_back([raw] { raw->service->stop(); });
  w.keep.push_back(f);
}

}  // namespace opdesk::app
