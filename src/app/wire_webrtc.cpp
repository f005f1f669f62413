// Wiring of the softphone provisioning API (issue #11): builds the WebRtcOptions from the
// [webrtc] config section, opens the FreePBX `sip` secret source when [freepbx] is enabled,
// registers the /api/webrtc routes and adds {"webrtc":{...}} to GET /api/status (no secrets).
// SIGHUP re-reads the [webrtc] section (server URL, domain, ICE servers, DTMF mode). It also
// keeps the Content-Security-Policy's connect-src in step with the SIP WebSocket URL (the
// setting, else the config), read at start, after each settings save and on SIGHUP.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <memory>

#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "api/webrtc_routes.hpp"
#include "net/security_headers.hpp"
#include "store/sip_secrets.hpp"
#include "store/store.hpp"
#include "store_config.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace {

api::WebRtcOptions webrtc_options(const Config& c) {
  api::WebRtcOptions o;
  o.pbx_server = c.webrtc.pbx_server;
  o.domain = c.webrtc.domain;
  o.ice_servers = c.webrtc.ice_servers;
  o.turn_username = c.webrtc.turn_username;
  o.turn_password = c.webrtc.turn_password;
  o.dtmf = c.webrtc.dtmf;
  return o;
}


}  // namespace

void wire_webrtc(Wiring& w) {
  auto deps = std::make_shared<api::WebRtcDeps>(
      api::WebRtcDeps{w.store, w.session, webrtc_options(w.cfg), {}});
  if (w.cfg.freepbx.enabled) {
    auto source = std::make_shared<store::SipSecretSource>(freepbx_db_config(w.cfg, w.cfg.freepbx.config_db, 1));
    deps->pbx_secret = [source](const std::string& ext) { return source->secret_of(ext); };
    w.keep.push_back(source);
  }
  api::register_webrtc_routes(w.router, *deps);
  w.keep.push_back(deps);
  w.status_parts.push_back([deps](nlohmann::json& details) -> boost::asio::awaitable<void> {
    details["webrtc"] = {{"server", deps->options.pbx_server},
                         {"freepbx_credentials", static_cast<bool>(deps->pbx_secret)},
                         {"dtmf", deps->options.dtmf}};
    co_return;
  });
  auto csp = std::make_shared<std::string>(net::content_security_policy(deps->options.pbx_server));
  auto refresh_csp = [deps, csp, &st = w.store, ex = w.ex] {
    boost::asio::co_spawn(ex, [deps, csp, &st]() -> boost::asio::awaitable<void> {
      auto read = [&st] { return st.settings().get("WEBRTC_PBX_SERVER"); };
      auto s = co_await st.async(std::move(read));
      *csp = net::content_security_policy((s && !s->value.empty()) ? s->value : deps->options.pbx_server);
    }, [](std::exception_ptr) {});  // unreadable store: the last policy stays
  };
  refresh_csp();
  w.on_settings_changed.push_back([refresh_csp](const std::vector<std::string>&) { refresh_csp(); });
  w.content_security_policy = [csp] { return *csp; };
  w.on_reload.push_back([deps, refresh_csp](const Config& c) {
    deps->options = webrtc_options(c);
    refresh_csp();
  });
}

}  // namespace opdesk::app
