// Directory wiring for `opdesk serve` (see src/directory/service.hpp for the behaviour).
//
// Sources: AMI always (frames → names; after each resync the engine's extensions/queues, plus
// one PJSIPShowEndpoint/SIPshowpeer per extension still without a name and the FreePBX astdb
// AMPUSER tree), the FreePBX/Issabel `asterisk` DB when configured, and the admin overrides.
// Refreshed after every resync and every kRefreshInterval. Labels reach the live state through
// the engine (name/group/order/hidden on each extension), so snapshots and deltas carry them.
// A PBX DB that is down only shows in the log (once) and under "directory" in /api/status.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <memory>

#include "api/directory_routes.hpp"
#include "api/history_routes.hpp"
#include "api/session_auth.hpp"
#include "api/pbx_service.hpp"
#include "cdr_source.hpp"
#include "directory/service.hpp"
#include "store_config.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace asio = boost::asio;

namespace {

// The PBX DB and the overrides change rarely (an admin edits FreePBX); AMI changes come with
// the resync after a reload. Five minutes keeps a renamed user's tile current within a break.
constexpr std::chrono::seconds kRefreshInterval{300};
// Name queries per refresh: one AMI round trip each; the rest follow at the next refresh.
constexpr size_t kNameQueriesPerRefresh = 500;

void log_failure(std::exception_ptr e, const char* what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::warn("directory: {} failed: {}", what, x.what());
  }
}

struct DirectoryWiring {
  std::shared_ptr<directory::DirectoryService> svc;
  std::unique_ptr<api::DirectoryDeps> deps;
  asio::steady_timer timer;
  bool stopped = false;
  explicit DirectoryWiring(asio::any_io_executor ex) : timer(ex) {}
};

asio::awaitable<void> ask_names(api::PbxService& pbx, directory::DirectoryService& svc) {
  auto send = [&pbx](ami::Action a, bool list) -> asio::awaitable<void> {
    co_await pbx.send(std::move(a), list);  // an error answer (no such PBX feature) is fine
  };
  co_await svc.ask_names(send, [&pbx] { return pbx.connected(); }, kNameQueriesPerRefresh);
}

asio::awaitable<void> after_resync(api::PbxService& pbx, std::shared_ptr<DirectoryWiring> dw) {
  dw->svc->on_connection();
  dw->svc->refresh_ami();  // names known so far at once, then the ones AMI still has to tell
  co_await ask_names(pbx, *dw->svc);
}

asio::awaitable<void> refresh_loop(api::PbxService& pbx, std::shared_ptr<DirectoryWiring> dw) {
  while (!dw->stopped) {
    try {
      co_await dw->svc->refresh_db();
      dw->svc->refresh_ami();
      co_await ask_names(pbx, *dw->svc);
    } catch (const std::exception& e) {
      spdlog::warn("directory: refresh failed: {}", e.what());
    }
    dw->timer.expires_after(kRefreshInterval);
    boost::system::error_code ec;
    co_await dw->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

void wire_directory(Wiring& w) {
  directory::ServiceOptions opts;
  if (freepbx_enabled(w.cfg) && !w.cfg.freepbx.config_db.empty()) {
    opts.mode = "freepbx";
    opts.pbx_db = freepbx_db_config(w.cfg, w.cfg.freepbx.config_db, 1);
  }
  opts.defer = [ex = w.ex](std::function<void()> job) { asio::post(ex, std::move(job)); };
  api::PbxService& pbx = w.pbx;
  // Forwards the batches label changes made (outside the engine's own flush loop).
  auto publish = [&pbx] {
    while (auto b = pbx.engine().take_changes()) {
      if (pbx.on_changes) pbx.on_changes(*b);
    }
  };
  auto dw = std::make_shared<DirectoryWiring>(w.ex);
  dw->svc = std::make_shared<directory::DirectoryService>(w.store, pbx.engine(), publish, opts);
  w.keep.push_back(dw);
  auto* svc = dw->svc.get();

  pbx.add_frame_listener([svc](const ami::Message& m, int64_t) { svc->on_frame(m); });
  w.change_listeners.push_back([svc](const pbx::ChangeBatch& b) {
    for (const auto& c : b.changes) {
      if (c.kind == pbx::EntityKind::kExtension && !c.removed) svc->on_extension_changed(c.id);
    }
  });
  auto ex = w.ex;
  auto previous = std::move(pbx.on_resync);
  pbx.on_resync = [previous, ex, &pbx, dw] {
    if (previous) previous();
    asio::co_spawn(ex, after_resync(pbx, dw), [](std::exception_ptr e) { log_failure(e, "resync refresh"); });
  };

  dw->deps = std::make_unique<api::DirectoryDeps>(api::DirectoryDeps{
      w.store, w.session, svc->directory(), [svc]() -> asio::awaitable<void> {
        co_await svc->reload_overrides();
      }});
  api::register_directory_routes(w.router, *dw->deps);
  if (w.history) w.history->directory = &svc->directory();

  w.status_parts.push_back([svc](nlohmann::json& j) -> asio::awaitable<void> {
    j["directory"] = svc->status_json();
    co_return;
  });
  w.on_stop.push_back([dw] {
    dw->stopped = true;
    dw->timer.cancel();
  });
  asio::co_spawn(ex, refresh_loop(pbx, dw), [](std::exception_ptr e) { log_failure(e, "refresh loop"); });
}

}  // namespace opdesk::app
