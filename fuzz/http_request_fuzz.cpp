// libFuzzer target: the HTTP request path as the transport hands it to the API: parse_target,
// the Router, the Dispatcher's error policy and the real route handlers of auth, admin and live
// routes with their typed parameter readers, over a real SQLite store in a temp dir, a real
// AuthService and an unconnected PbxService (actions answer 503 pbx.ami.unavailable, planning
// is plan_action_fuzz's job). Input: byte 0 picks the credentials (none, admin token,
// supervisor token, agent token, a garbage token, an X-API-Key); the rest is
// "METHOD target\nheader: value\n...\n\nbody". Findings: a 500 (an exception the handlers let
// through), any other 5xx than 503 (a missing dependency: the PBX, the web UI), an exception out
// of the dispatcher, and sanitizer reports.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <sodium.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/action_service.hpp"
#include "api/admin_routes.hpp"
#include "api/auth_routes.hpp"
#include "api/dispatcher.hpp"
#include "api/http_util.hpp"
#include "api/live_routes.hpp"
#include "api/pbx_service.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "api/static_files.hpp"
#include "auth/bootstrap.hpp"
#include "auth/password.hpp"
#include "auth/service.hpp"
#include "auth/tokens.hpp"
#include "store/store.hpp"

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

struct App {
  asio::io_context io;
  // Store work completes on the pool: the loop must not run out of work (and stop) meanwhile.
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::string dir;
  std::unique_ptr<opdesk::store::Store> store;
  std::unique_ptr<opdesk::auth::AuthService> auth;
  std::unique_ptr<opdesk::api::SessionAuth> session;
  std::unique_ptr<opdesk::api::PbxService> pbx;
  std::unique_ptr<opdesk::api::ActionService> actions;
  std::unique_ptr<opdesk::api::AuthDeps> auth_deps;
  std::unique_ptr<opdesk::api::AdminDeps> admin_deps;
  std::unique_ptr<opdesk::api::LiveDeps> live_deps;
  opdesk::api::Router router;
  std::unique_ptr<opdesk::api::StaticFiles> files;
  std::unique_ptr<opdesk::api::Dispatcher> dispatcher;
  std::string tokens[3];
  std::string key;

  static int64_t now() { return opdesk::store::now_ms(); }

  App() {
    if (sodium_init() < 0) std::abort();
    char tmpl[] = "/tmp/opdesk-http-fuzz-XXXXXX";
    dir = mkdtemp(tmpl);
    opdesk::store::DbConfig db;
    db.sqlite_path = dir + "/opdesk.db";
    db.pool_size = 2;
    store = std::make_unique<opdesk::store::Store>(db);
    store->migrate();
    opdesk::auth::ensure_admin(*store, std::string("fuzz-admin-pass-1"));
    opdesk::auth::AuthService::Options ao;
    ao.limits.max_failures = 1000000;
    auth = std::make_unique<opdesk::auth::AuthService>(*store, opdesk::auth::TokenService(std::string(48, 'k')), ao);
    session = std::make_unique<opdesk::api::SessionAuth>(*store, *auth, now);
    pbx = std::make_unique<opdesk::api::PbxService>(io.get_executor(), opdesk::api::PbxOptions{}, now);
    actions = std::make_unique<opdesk::api::ActionService>(io.get_executor(), *pbx, *store,
                                                           opdesk::api::ActionOptions{}, nullptr, now);
    auth_deps.reset(new opdesk::api::AuthDeps{.store = *store, .auth = *auth, .session = *session, .now_ms = now});
    admin_deps.reset(new opdesk::api::AdminDeps{
        .store = *store, .auth = *session, .hub = nullptr,
        .hash_password = [](const std::string& pw) { return opdesk::auth::hash_password(pw); }});
    live_deps.reset(new opdesk::api::LiveDeps{.engine = pbx->engine(), .auth = *session, .actions = *actions,
                                              .now_ms = now, .pbx_connected = [] { return false; },
                                              .version = "fuzz"});
    opdesk::api::register_auth_routes(router, *auth_deps);
    opdesk::api::register_admin_routes(router, *admin_deps);
    opdesk::api::register_live_routes(router, *live_deps);
    files = std::make_unique<opdesk::api::StaticFiles>(dir + "/no-web");
    dispatcher = std::make_unique<opdesk::api::Dispatcher>(router, *files, nullptr);
    tokens[0] = login("admin", "fuzz-admin-pass-1");
    auto made = handle("POST", "/api/settings/users", tokens[0],
                       R"({"username":"sup","password":"fuzz-sup-pass-1","role":"supervisor","extension":"1010",
                           "allowed_extensions":["1001","1002"],"allowed_queues":["support"],"monitor_modes":["listen"]})");
    handle("POST", "/api/settings/users", tokens[0],
           R"({"username":"agent","password":"fuzz-agent-pass-1","role":"agent","extension":"1004"})");
    tokens[1] = login("sup", "fuzz-sup-pass-1");
    tokens[2] = login("agent", "fuzz-agent-pass-1");
    auto k = handle("POST", "/api/settings/api-keys", tokens[0], R"({"name":"fz","scopes":["calls:read"]})");
    key = json::parse(k.body, nullptr, false).value("key", "");
    (void)made;
  }

  std::string login(const std::string& user, const std::string& pw) {
    auto r = handle("POST", "/api/auth/login", "", json{{"login", user}, {"password", pw}}.dump());
    return json::parse(r.body, nullptr, false).value("access_token", "");
  }

  opdesk::api::Response handle(const std::string& method, const std::string& target, const std::string& token,
                               const std::string& body) {
    opdesk::api::Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.remote_ip = "127.0.0.1";
    req.request_id = "fuzz";
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    opdesk::api::parse_target(req.target, req);
    return run(req);
  }

  opdesk::api::Response run(opdesk::api::Request& req) {
    bool done = false;
    opdesk::api::Response out;
    asio::co_spawn(io, dispatcher->handle(req), [&](std::exception_ptr e, opdesk::api::Response r) {
      if (e) std::abort();  // the dispatcher must turn everything into a response
      out = std::move(r);
      done = true;
    });
    // A request that never completes is a finding, not a stuck CI run: after 20 s say which
    // one and abort, so libFuzzer saves the input. run_one_for also survives a stopped loop.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done) {
      if (io.stopped()) io.restart();
      io.run_one_for(std::chrono::milliseconds(200));
      if (!done && std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "http_request_fuzz: %s %s did not complete in 20 s\n", req.method.c_str(),
                     req.target.c_str());
        std::abort();
      }
    }
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static App* app = new App();  // one store and server for the whole run
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  opdesk::api::Request req;
  size_t eol = in.find('\n');
  std::string_view line = in.substr(0, eol);
  in = eol == std::string_view::npos ? std::string_view{} : in.substr(eol + 1);
  size_t sp = line.find(' ');
  req.method = std::string(line.substr(0, std::min<size_t>(sp, 16)));
  req.target = sp == std::string_view::npos ? "/" : std::string(line.substr(sp + 1));
  if (req.target.empty() || req.target[0] != '/') req.target.insert(0, "/");
  for (;;) {  // headers until an empty line
    eol = in.find('\n');
    std::string_view h = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view{} : in.substr(eol + 1);
    if (h.empty()) break;
    size_t colon = h.find(':');
    std::string name(h.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value(colon == std::string_view::npos ? std::string_view{} : h.substr(colon + 1));
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    req.headers.emplace_back(std::move(name), std::move(value));
    if (eol == std::string_view::npos) break;
  }
  req.body = std::string(in);
  req.remote_ip = "127.0.0.1";
  req.request_id = "fuzz";
  switch (data[0] % 6) {
    case 1: case 2: case 3: req.headers.emplace_back("authorization", "Bearer " + app->tokens[data[0] % 6 - 1]); break;
    case 4: req.headers.emplace_back("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"); break;
    case 5: req.headers.emplace_back("x-api-key", app->key); break;
    default: break;
  }
  opdesk::api::parse_target(req.target, req);
  opdesk::api::Response r = app->run(req);
  // 503 is documented for a missing dependency (PBX not connected, web UI not built here).
  if (r.status >= 500 && r.status != 503) std::abort();
  return 0;
}
