// Wiring of the upstream product's REST routes (issue #25, upstream_routes.hpp): migrates the
// pause-reason / notification-flag tables, feeds the AMI event capture from the PBX frame
// stream (it keeps nothing while off) and registers the routes. Wired last, so the upstream
// catch-all GET /api/settings/{key} never shadows a panel route.
#include <memory>

#include "api/action_service.hpp"
#include "api/history_routes.hpp"
#include "api/pbx_service.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "api/upstream_routes.hpp"
#include "store/store.hpp"
#include "store/upstream_store.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace {

struct Upstream {
  std::unique_ptr<store::UpstreamStore> store;
  api::AmiCapture capture;
  std::unique_ptr<api::UpstreamDeps> deps;
};

}  // namespace

void wire_upstream(Wiring& w) {
  auto u = std::make_shared<Upstream>();
  u->store = std::make_unique<store::UpstreamStore>(w.store.database());
  int ran = u->store->migrate();  // throws StoreError: serve reports it and stops
  (void)ran;
  u->deps = std::make_unique<api::UpstreamDeps>(api::UpstreamDeps{
      w.store, *u->store, w.cdr, w.session, w.pbx, w.actions, w.router, u->capture, w.now_ms,
      OPDESK_VERSION, w.cfg.recordings.root, w.cfg.qos.enabled,
      w.cfg.freepbx.enabled ? "freepbx" : "asterisk",
      w.history ? &w.history->directory : nullptr});
  Upstream* raw = u.get();
  w.pbx.add_frame_listener([raw](const ami::Message& m, int64_t now) { raw->capture.on_frame(m, now); });
  api::register_upstream_agent_routes(w.router, *u->deps);
  api::register_upstream_analytics_routes(w.router, *u->deps);
  api::register_upstream_misc_routes(w.router, *u->deps);
  w.keep.push_back(u);
}

}  // namespace opdesk::app
