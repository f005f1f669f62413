// `opdesk serve`: wires configuration, store, auth, the AMI link (or the built-in simulator),
// the state engine, the WebSocket hub, the REST routes and the HTTP server on one event loop.
//
// Start-up order: config (one-line exit on error) → logging → data dir → store + migrations →
// JWT secret and first admin → simulator (demo) → HTTP server → AMI link. SIGTERM/SIGINT: stop
// accepting, close WebSockets with 1001, stop the AMI link, let requests in flight drain.
// Everything here is wiring; the behaviour lives in the libraries it connects.
#include "serve.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>

#include "api/admin_routes.hpp"
#include "api/auth_routes.hpp"
#include "api/action_service.hpp"
#include "api/dispatcher.hpp"
#include "api/hub.hpp"
#include "api/history_routes.hpp"
#include "api/live_routes.hpp"
#include "api/metrics.hpp"
#include "api/pbx_service.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "api/static_files.hpp"
#include "auth/bootstrap.hpp"
#include "auth/password.hpp"
#include "store/file_modes.hpp"
#include "auth/service.hpp"
#include "auth/tokens.hpp"
#include "cdr_source.hpp"
#include "config.hpp"
#include "store_config.hpp"
#include "wiring.hpp"
#include "logging.hpp"
#include "net/server.hpp"
#include "sim/simulator.hpp"
#include "store/cdr_store.hpp"
#include "store/store.hpp"

namespace opdesk::app {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

std::string default_web_dir(const Config& c) {
  if (!c.server.web_dir.empty()) return c.server.web_dir;
  fs::path exe = fs::read_symlink("/proc/self/exe");
  for (fs::path p : {exe.parent_path() / "../share/opdesk/web", exe.parent_path() / "../web/dist",
                     exe.parent_path() / "../../web/dist", fs::path(OPDESK_SOURCE_DIR) / "web/dist"}) {
    std::error_code ec;
    if (fs::exists(p / "index.html", ec)) return fs::weakly_canonical(p).string();
  }
  return (fs::path(OPDESK_SOURCE_DIR) / "web/dist").string();
}


api::PbxOptions pbx_options_from(const Config& c) {
  api::PbxOptions o;
  o.ami.host = c.ami.host;
  o.ami.port = c.ami.port;
  o.ami.username = c.ami.username;
  o.ami.secret = c.ami.secret;
  o.ami.md5 = c.ami.md5;
  o.ami.action_timeout = std::chrono::milliseconds(c.ami.action_timeout_ms);
  o.ami.ping_interval = std::chrono::seconds(c.ami.ping_interval_s);
  o.qos_session = c.ami.qos_session && c.qos.enabled;
  return o;
}

api::ActionOptions action_options_from(const Config& c) {
  api::ActionOptions o;
  o.context = c.ami.context;
  o.local_member_contexts = c.ami.queue_local_contexts;
  return o;
}

void print_admin_banner(const std::string& password) {
  // Plain lines (no box): the password must be easy to copy and never wrapped.
  std::cout << "\n"
            << "  OpDesk created the first admin account (shown only once):\n"
            << "    username: admin\n"
            << "    password: " << password << "\n"
            << "  Change it under Admin > Users, or with: opdesk user passwd admin\n"
            << std::endl;
}

}  // namespace

int run_serve(const ServeArgs& args) {
  LoadResult lr;
  try {
    lr = load_config(args.common.config, args.common.env_file, process_environment());
    if (args.listen) {
      auto [h, p] = parse_listen("--listen", *args.listen);
      lr.config.server.host = h;
      lr.config.server.port = p;
    }
  } catch (const ConfigError& e) {
    std::cerr << e.what() << std::endl;
    return 2;
  }
  Config& cfg = lr.config;
  if (args.common.data_dir) cfg.server.data_dir = *args.common.data_dir;
  if (args.common.log_level) cfg.log.level = *args.common.log_level;
  if (args.demo) cfg.demo.enabled = true;
  if (args.self_signed) cfg.tls.self_signed = true;
  if (args.sim_extensions) cfg.demo.extensions = *args.sim_extensions;
  if (args.sim_speed) cfg.demo.speed = *args.sim_speed;
  if (args.sim_seed) cfg.demo.seed = *args.sim_seed;
  setup_logging(cfg.log.level, cfg.log.json);
  for (const auto& w : lr.warnings) spdlog::warn("config: {}", w);
  if (sodium_init() < 0) {
    std::cerr << "libsodium failed to initialise" << std::endl;
    return 1;
  }

  std::error_code ec;
  try {
    store::create_private_dir(cfg.server.data_dir);  // 0700 when created here (file_modes.hpp)
  } catch (const std::exception& e) {
    std::cerr << "cannot create data directory '" << cfg.server.data_dir << "': " << e.what() << std::endl;
    return 1;
  }

  // Store, secrets, first admin.
  std::unique_ptr<store::Store> store;
  std::string jwt_secret;
  try {
    store = std::make_unique<store::Store>(store_config(cfg, cfg.database.pool_size));
    int applied = store->migrate();
    if (applied > 0) spdlog::info("database: {} migration(s) applied", applied);
    jwt_secret = auth::load_or_create_jwt_secret(*store, cfg.auth.jwt_secret);
    std::optional<std::string> admin_pw;
    if (const char* env = std::getenv("OPDESK_ADMIN_PASSWORD"); env && *env) admin_pw = env;
    auto boot = auth::ensure_admin(*store, admin_pw);
    if (boot.created && boot.generated_password) print_admin_banner(*boot.generated_password);
    else if (boot.created) std::cout << "OpDesk created the admin account with OPDESK_ADMIN_PASSWORD" << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "database: " << e.what() << std::endl;
    return 1;
  }

  asio::io_context io(1);
  auto ex = io.get_executor();

  // The built-in simulator replaces the PBX in demo mode.
  std::unique_ptr<sim::Simulator> simulator;
  if (cfg.demo.enabled) {
    sim::SimOptions so;
    so.port = 0;
    so.username = "opdesk";
    so.secret = random_hex(12);
    so.extensions = cfg.demo.extensions;
    so.seed = cfg.demo.seed ? cfg.demo.seed : static_cast<uint64_t>(store::now_ms());
    so.speed = cfg.demo.speed;
    so.recordings_dir = cfg.recordings_dir();
    fs::create_directories(so.recordings_dir, ec);
    simulator = std::make_unique<sim::Simulator>(ex, so);
    try {
      simulator->start();
    } catch (const std::exception& e) {
      std::cerr << "simulator: " << e.what() << std::endl;
      return 1;
    }
    cfg.ami.host = "127.0.0.1";
    cfg.ami.port = simulator->port();
    cfg.ami.username = so.username;
    cfg.ami.secret = so.secret;
    cfg.recordings.root = so.recordings_dir;
  }

  api::Metrics metrics;
  auth::AuthService::Options aopt;
  aopt.token_ttl = std::chrono::minutes(cfg.auth.token_ttl_minutes);
  aopt.limits.max_failures = cfg.auth.login_max_failures;
  aopt.limits.window = std::chrono::seconds(cfg.auth.login_window_s);
  auth::AuthService auth_service(*store, auth::TokenService(jwt_secret), aopt);
  api::SessionAuth session(*store, auth_service, store::now_ms);

  api::PbxOptions popt = pbx_options_from(cfg);
  api::PbxService pbx(ex, popt, store::now_ms);
  api::ActionService actions(ex, pbx, *store, action_options_from(cfg), &metrics, store::now_ms);
  api::HubOptions hopt;
  hopt.allowed_origins = cfg.server.allowed_origins;
  api::Hub hub(ex, pbx.engine(), session, actions, hopt, store::now_ms);

  // Call log: the panel's own cdr table, filled from the AMI stream (cdr_manager); the writes
  // go to the store's worker pool.
  store::CdrStore cdr(store->database(), [&store](std::function<void()> job) {
    asio::post(store->pool_executor(), std::move(job));
  });
  try {
    cdr.migrate();
  } catch (const std::exception& e) {
    std::cerr << "database (call log): " << e.what() << std::endl;
    return 1;
  }
  cdr.set_recordings_root(cfg.recordings.root);
  // FreePBX/Issabel configured: the call log reads asteriskcdrdb.cdr instead (cdr_source.hpp).
  CdrSource cdr_source = select_cdr_source(cfg, cdr);
  if (cdr_source.own()) {
    pbx.add_frame_listener([&cdr](const ami::Message& m, int64_t) { cdr.on_cdr_event(m); });
  }

  api::Router router;
  Wiring w{cfg, ex, *store, *cdr_source.active, router, session, pbx, actions, hub, metrics, store::now_ms, {}, {}, {}, {}, {}, {}, {}, nullptr};
  w.status_parts.push_back(cdr_source_status(cdr_source));
  // Key for signed recording URLs: random on first start, kept (secret) in the settings table.
  w.recording_key = store->settings().get_or_insert("RECORDING_URL_KEY", random_hex(32), true);
  pbx.on_changes = [&hub, &w](const pbx::ChangeBatch& b) {
    hub.publish(b);
    for (auto& l : w.change_listeners) l(b);
  };

  api::AuthDeps auth_deps{*store, auth_service, session, store::now_ms};
  api::register_auth_routes(router, auth_deps);
  api::AdminDeps admin_deps{*store, session, &hub,
                            [](const std::string& pw) { return auth::hash_password(pw); },
                            [&w](const std::vector<std::string>& keys) {
                              for (auto& l : w.on_settings_changed) l(keys);
                            }};
  admin_deps.crm_defaults = cfg.crm;
  api::register_admin_routes(router, admin_deps);
  // REST actions: the same rate as one WebSocket connection, per principal (issue 18).
  api::RestActionLimiter rest_actions(actions, hopt.actions_per_second, hopt.actions_burst, store::now_ms);
  api::LiveDeps live{pbx.engine(), session, rest_actions, &hub, &metrics, store::now_ms,
                     [&pbx] { return pbx.connected(); }, nullptr, OPDESK_VERSION};
  live.pbx_synced = [&pbx] { return pbx.synced(); };
  live.status_details = [&pbx, &store, &w]() -> asio::awaitable<nlohmann::json> {
    nlohmann::json j;
    j["pbx"] = pbx.status();
    std::string err;
    bool ok = co_await store->async([&store, &err] { return store->ping(&err); });
    j["database"] = {{"ok", ok}, {"backend", store->backend()}, {"error", err}};
    for (auto& part : w.status_parts) co_await part(j);
    co_return j;
  };
  api::register_live_routes(router, live);
  api::HistoryDeps history{*store, *cdr_source.active, session, cfg.recordings.root, w.recording_key, store::now_ms};
  api::register_history_routes(router, history);
  w.history = &history;

  // Features, each in its own wire_<feature>.cpp (see wiring.hpp).
  wire_features(w);

  api::StaticFiles files(default_web_dir(cfg));
  if (!files.loaded()) spdlog::warn("web UI not found in {} (run `make build`)", files.dir());
  api::Dispatcher dispatcher(router, files, &metrics);

  net::ServerOptions sopt;
  sopt.host = cfg.server.host;
  sopt.port = cfg.server.port;
  sopt.tls_cert = cfg.tls.cert;
  sopt.tls_key = cfg.tls.key;
  sopt.redirect_http_to_https = cfg.tls.redirect_http;
  sopt.trusted_proxies = cfg.server.trusted_proxies;
  sopt.max_body = static_cast<size_t>(cfg.server.max_body_bytes);
  sopt.idle_timeout = std::chrono::seconds(cfg.server.idle_timeout_s);
  sopt.max_connections = static_cast<size_t>(cfg.server.max_connections);
  sopt.max_connections_per_ip = static_cast<size_t>(cfg.server.max_connections_per_ip);
  sopt.header_timeout = std::chrono::seconds(cfg.server.header_timeout_s);
  sopt.content_security_policy = w.content_security_policy;
  if (cfg.tls.self_signed && sopt.tls_cert.empty()) {
    fs::path dir = fs::path(cfg.server.data_dir) / "tls";
    fs::create_directories(dir, ec);
    sopt.tls_cert = (dir / "cert.pem").string();
    sopt.tls_key = (dir / "key.pem").string();
    if (!fs::exists(sopt.tls_cert)) {
      net::write_self_signed(sopt.tls_cert, sopt.tls_key, {cfg.server.host, "localhost", "127.0.0.1"});
    }
  }
  net::Server server(ex, sopt, dispatcher.handler(),
                     [&hub](std::shared_ptr<api::WsPeer> peer, const api::Request& req) {
                       return hub.accept(std::move(peer), req);
                     });
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "http: " << e.what() << std::endl;
    return 1;
  }
  std::string scheme = server.tls() ? "https" : "http";
  std::cout << "OpDesk " << OPDESK_VERSION << " listening on " << scheme << "://" << cfg.server.host
            << ":" << server.port() << (cfg.demo.enabled ? " (demo: built-in Asterisk simulator)" : "")
            << std::endl;
  pbx.start();

  // SIGHUP: re-read the configuration and apply the safe parts (each feature's on_reload); a
  // bad file is logged and changes nothing.
  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](const boost::system::error_code& sec, int) {
      if (sec) return;
      try {
        auto again = load_config(args.common.config, args.common.env_file, process_environment());
        for (auto& f : w.on_reload) f(again.config);
      } catch (const ConfigError& e) {
        spdlog::error("reload: {} (configuration unchanged)", e.what());
      }
      wait_hup();
    });
  };
  wait_hup();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& sec, int) {
    if (sec) return;
    spdlog::warn("shutting down");
    hup.cancel();
    server.stop();
    for (auto& f : w.on_stop) f();
    hub.shutdown();
    pbx.stop();
    if (simulator) simulator->stop();
    // Drain: stop as soon as no connection is left, at the latest after kDrainTimeout.
    asio::co_spawn(io, [&io, &server]() -> asio::awaitable<void> {
      auto deadline = std::chrono::steady_clock::now() + net::kDrainTimeout;
      asio::steady_timer t(io);
      while (server.stats().connections > 0 && std::chrono::steady_clock::now() < deadline) {
        t.expires_after(std::chrono::milliseconds(50));
        co_await t.async_wait(asio::use_awaitable);
      }
      io.stop();
    }, asio::detached);
  });
  io.run();
  return 0;
}

}  // namespace opdesk::app
