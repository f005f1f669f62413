// Softphone provisioning (issue #11) through the real router, SessionAuth, AuthService, JWTs
// and a SQLite store: each user gets only their own extension's SIP account, admins write
// credentials that are never read back, the FreePBX `sip` table is the fallback source (on a
// real SQLite file and, when the private MariaDB server runs, on MariaDB too).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "api/http_util.hpp"
#include "api/router.hpp"
#include "api/session_auth.hpp"
#include "api/webrtc_routes.hpp"
#include "auth/service.hpp"
#include "auth/tokens.hpp"
#include "store/database.hpp"
#include "store/query.hpp"
#include "store/sip_secrets.hpp"
#include "store/store.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;
const std::string kSecret = "webrtc-test-secret-0123456789-abcdefghij";

class WebRtcRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    store::DbConfig c;
    c.sqlite_path = dir_.file("opdesk.db");
    c.pool_size = 2;
    store_ = std::make_unique<store::Store>(c);
    store_->migrate();
    auth_ = std::make_unique<auth::AuthService>(*store_, auth::TokenService(kSecret), auth::AuthService::Options{});
    session_ = std::make_unique<SessionAuth>(*store_, *auth_, [] { return int64_t{0}; });
    WebRtcOptions o;
    o.pbx_server = "wss://pbx.example.com:8089/ws";
    o.ice_servers = {"stun:stun.example.com:3478", "turn:turn.example.com:3478"};
    o.turn_username = "tu";
    o.turn_password = "tp";
    deps_ = std::make_unique<WebRtcDeps>(WebRtcDeps{*store_, *session_, o, {}});
    register_webrtc_routes(router_, *deps_);
    admin_ = token_for("root", std::nullopt, store::Role::Admin);
    alice_ = token_for("alice", "1101", store::Role::Agent);
    bob_ = token_for("bob", "1102", store::Role::Supervisor);
  }

  std::string token_for(const std::string& name, std::optional<std::string> ext, store::Role role) {
    store::NewUser u;
    u.username = name;
    u.name = "Name " + name;
    u.extension = std::move(ext);
    u.role = role;
    u.password_hash = "unused-hash";
    auto user = store_->users().create(u);
    return auth_->tokens().issue(user, std::chrono::hours(1)).token;
  }

  // Runs the request through the router like the dispatcher does (ApiError → error envelope).
  Response call(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = {}) {
    Request req;
    req.method = method;
    req.target = path;
    req.path = path.substr(0, path.find('?'));
    if (auto q = path.find('?'); q != std::string::npos) {  // k=v only: enough for these tests
      std::string kv = path.substr(q + 1);
      req.query[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
    }
    req.body = body;
    req.remote_ip = "127.0.0.1";
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    const HttpHandler* h = nullptr;
    std::string allow;
    if (router_.match(req, &h, &allow) != Router::Match::kFound) return error_response(404, "route", path);
    auto run = [&]() -> asio::awaitable<Response> {
      try {
        co_return co_await (*h)(req);
      } catch (const ApiError& e) {
        co_return error_response(e.status, e.code, e.message, e.field);
      }
    };
    auto fut = asio::co_spawn(io_, run(), asio::use_future);
    io_.restart();
    io_.run();
    return fut.get();
  }
  static json body_of(const Response& r) { return json::parse(r.body); }
  static std::string code_of(const Response& r) { return body_of(r)["error"]["code"]; }

  opdesk::test::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<SessionAuth> session_;
  std::unique_ptr<WebRtcDeps> deps_;
  Router router_;
  asio::io_context io_;
  std::string admin_, alice_, bob_;
};

TEST_F(WebRtcRoutes, EachUserGetsOnlyTheirOwnExtensionsCredentials) {
  ASSERT_EQ(call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"alice-sip-pw"})").status, 200);
  ASSERT_EQ(call("PUT", "/api/webrtc/credentials/1102", admin_, R"({"password":"bob-sip-pw","auth_username":"bob-auth"})").status, 200);

  auto a = call("GET", "/api/webrtc/config", alice_);
  ASSERT_EQ(a.status, 200) << a.body;
  json ja = body_of(a);
  EXPECT_EQ(ja["extension"], "1101");
  EXPECT_EQ(ja["username"], "1101");
  EXPECT_EQ(ja["auth_username"], "1101");
  EXPECT_EQ(ja["password"], "alice-sip-pw");
  EXPECT_EQ(ja["extension_secret"], "alice-sip-pw");
  EXPECT_EQ(ja["server"], "wss://pbx.example.com:8089/ws");
  EXPECT_EQ(ja["domain"], "pbx.example.com");
  EXPECT_EQ(ja["display_name"], "Name alice");
  EXPECT_EQ(ja["source"], "panel");
  EXPECT_EQ(ja["dtmf"], "rfc4733");
  EXPECT_EQ(ja["ice_servers"], json::parse(R"([{"urls":"stun:stun.example.com:3478"},
      {"urls":"turn:turn.example.com:3478","username":"tu","credential":"tp"}])"));
  EXPECT_NE(a.body.find("alice-sip-pw"), std::string::npos);
  EXPECT_EQ(a.body.find("bob-sip-pw"), std::string::npos) << "alice must never see bob's password";

  auto b = call("GET", "/api/webrtc/config", bob_);
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(body_of(b)["extension"], "1102");
  EXPECT_EQ(body_of(b)["auth_username"], "bob-auth");
  EXPECT_EQ(b.body.find("alice-sip-pw"), std::string::npos);
  bool no_store = false;
  for (const auto& [k, v] : b.headers) no_store |= (k == "Cache-Control" && v == "no-store");
  EXPECT_TRUE(no_store);
}

TEST_F(WebRtcRoutes, QueryParametersCannotSelectAnotherExtension) {
  call("PUT", "/api/webrtc/credentials/1102", admin_, R"({"password":"bob-sip-pw"})");
  auto r = call("GET", "/api/webrtc/config?extension=1102", alice_);
  EXPECT_EQ(r.status, 404) << "alice has no account of her own; bob's must not be used";
  EXPECT_EQ(r.body.find("bob-sip-pw"), std::string::npos);
  call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"alice-sip-pw"})");
  auto own = call("GET", "/api/webrtc/config?extension=1102", alice_);
  EXPECT_EQ(body_of(own)["extension"], "1101");
  EXPECT_EQ(body_of(own)["password"], "alice-sip-pw");
}

TEST_F(WebRtcRoutes, ClearErrorsWhenNothingIsProvisioned) {
  auto none = call("GET", "/api/webrtc/config", alice_);
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(code_of(none), "webrtc.credentials_not_found");
  auto no_ext = call("GET", "/api/webrtc/config", admin_);
  EXPECT_EQ(no_ext.status, 200) << "the upstream client calls this on every page";
  EXPECT_TRUE(body_of(no_ext)["extension"].is_null());
  EXPECT_EQ(body_of(no_ext)["reason"], "webrtc.no_extension");
  EXPECT_EQ(body_of(no_ext)["provisioned"], false);
  deps_->options.pbx_server.clear();
  call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"x"})");
  auto no_server = call("GET", "/api/webrtc/config", alice_);
  EXPECT_EQ(no_server.status, 409);
  EXPECT_EQ(code_of(no_server), "webrtc.server_not_configured");
  deps_->options.pbx_server = "https://pbx.example.com/ws";
  auto bad_server = call("GET", "/api/webrtc/config", alice_);
  EXPECT_EQ(bad_server.status, 409);
  EXPECT_EQ(code_of(bad_server), "webrtc.server_invalid");
  auto anon = call("GET", "/api/webrtc/config", "");
  EXPECT_EQ(anon.status, 401);
}

TEST_F(WebRtcRoutes, ThePanelSettingOverridesTheConfiguredServer) {
  call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"x"})");
  store_->settings().set("WEBRTC_PBX_SERVER", "ws://127.0.0.1:5066", false);
  auto r = call("GET", "/api/webrtc/config", alice_);
  EXPECT_EQ(body_of(r)["server"], "ws://127.0.0.1:5066");
  EXPECT_EQ(body_of(r)["domain"], "127.0.0.1");
}

TEST_F(WebRtcRoutes, CredentialsAreAdminOnlyAndWriteOnly) {
  EXPECT_EQ(call("PUT", "/api/webrtc/credentials/1101", alice_, R"({"password":"mine"})").status, 403);
  EXPECT_EQ(call("GET", "/api/webrtc/credentials", bob_).status, 403);
  EXPECT_EQ(call("DELETE", "/api/webrtc/credentials/1101", alice_).status, 403);
  ASSERT_EQ(call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"top-secret-1"})").status, 200);

  auto list = call("GET", "/api/webrtc/credentials", admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(body_of(list)["credentials"][0]["extension"], "1101");
  EXPECT_EQ(list.body.find("top-secret-1"), std::string::npos) << "the list never carries secrets";
  // The row is stored as a secret setting, outside the keys the settings API lists.
  auto row = store_->settings().get(credentials_key("1101"));
  ASSERT_TRUE(row);
  EXPECT_TRUE(row->secret);
  // The audit log names the extension, never the password.
  auto audit = store_->audit().query({});
  bool seen = false;
  for (const auto& e : audit.items) {
    EXPECT_EQ(e.detail.find("top-secret-1"), std::string::npos);
    seen |= e.action == "webrtc.credentials.set" && e.target == "1101";
  }
  EXPECT_TRUE(seen);

  EXPECT_EQ(call("DELETE", "/api/webrtc/credentials/1101", admin_).status, 200);
  EXPECT_EQ(call("DELETE", "/api/webrtc/credentials/1101", admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/webrtc/config", alice_).status, 404);
}

TEST_F(WebRtcRoutes, BadCredentialInputIsRejectedNamingTheField) {
  auto field = [&](const std::string& path, const std::string& body) {
    auto r = call("PUT", path, admin_, body);
    EXPECT_EQ(r.status, 400) << body;
    return r.status == 400 ? body_of(r)["error"].value("field", std::string()) : std::string();
  };
  EXPECT_EQ(field("/api/webrtc/credentials/1101", R"({})"), "password");
  EXPECT_EQ(field("/api/webrtc/credentials/1101", R"({"password":""})"), "password");
  EXPECT_EQ(field("/api/webrtc/credentials/1101", R"({"password":"a\r\nb"})"), "password");
  EXPECT_EQ(field("/api/webrtc/credentials/1101", json({{"password", std::string(129, 'x')}}).dump()), "password");
  EXPECT_EQ(field("/api/webrtc/credentials/1101", R"({"password":"ok","auth_username":"a b"})"), "auth_username");
  EXPECT_EQ(field("/api/webrtc/credentials/11;01", R"({"password":"ok"})"), "extension");
}

// The FreePBX `sip` table, as FreePBX/Issabel lay it out (id, keyword, data, flags).
void make_sip_table(store::DbConfig c) {
  store::Database db(std::move(c));
  db.with_session([](soci::session& s) {
    store::exec(s, "CREATE TABLE sip (id VARCHAR(20) NOT NULL, keyword VARCHAR(30) NOT NULL, "
                   "data VARCHAR(255) NOT NULL, flags INT NOT NULL DEFAULT 0, PRIMARY KEY (id, keyword))");
    store::exec(s, "INSERT INTO sip (id, keyword, data) VALUES ('1101', 'secret', 'pbx-pw-1101'), "
                   "('1101', 'callerid', 'Alice <1101>'), ('1102', 'secret', ''), ('1103', 'account', '1103')");
  });
}

void check_source(store::SipSecretSource& src) {
  EXPECT_EQ(src.secret_of("1101"), std::optional<std::string>("pbx-pw-1101"));
  EXPECT_EQ(src.secret_of("1102"), std::nullopt) << "an empty secret is no secret";
  EXPECT_EQ(src.secret_of("1103"), std::nullopt);
  EXPECT_EQ(src.secret_of("1101' OR '1'='1"), std::nullopt);
}

TEST(SipSecretSource, ReadsTheSecretRowOfAFreePbxSipTableInSqlite) {
  opdesk::test::TempDir dir;
  store::DbConfig c;
  c.sqlite_path = dir.file("asterisk.db");
  c.pool_size = 1;
  make_sip_table(c);
  store::SipSecretSource src(c);
  check_source(src);
}

TEST(SipSecretSource, ReadsTheSecretRowOfAFreePbxSipTableInMariaDb) {
  auto& server = opdesk::test::MariaDbServer::shared();
  store::DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = server.create_database("asterisk");
  c.pool_size = 1;
  make_sip_table(c);
  store::SipSecretSource src(c);
  check_source(src);
}

TEST_F(WebRtcRoutes, FallsBackToTheFreePbxSecretAndPrefersThePanelsOwnRow) {
  store::DbConfig c;
  c.sqlite_path = dir_.file("asterisk.db");
  c.pool_size = 1;
  make_sip_table(c);
  auto src = std::make_shared<store::SipSecretSource>(c);
  deps_->pbx_secret = [src](const std::string& ext) { return src->secret_of(ext); };
  auto r = call("GET", "/api/webrtc/config", alice_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["password"], "pbx-pw-1101");
  EXPECT_EQ(body_of(r)["source"], "freepbx");
  EXPECT_EQ(call("GET", "/api/webrtc/config", bob_).status, 404);  // empty secret on the PBX
  call("PUT", "/api/webrtc/credentials/1101", admin_, R"({"password":"panel-pw"})");
  EXPECT_EQ(body_of(call("GET", "/api/webrtc/config", alice_))["password"], "panel-pw");
}

TEST_F(WebRtcRoutes, AnUnreachablePbxDatabaseIsA503WithAClearCode) {
  deps_->pbx_secret = [](const std::string&) -> std::optional<std::string> {
    throw store::Unavailable("connection refused");
  };
  auto r = call("GET", "/api/webrtc/config", alice_);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(code_of(r), "webrtc.pbx_db_unavailable");
}

TEST(WebRtcHelpers, UrlHostAndWsUrlValidation) {
  EXPECT_EQ(url_host("wss://pbx.example.com:8089/ws"), "pbx.example.com");
  EXPECT_EQ(url_host("ws://127.0.0.1:5066"), "127.0.0.1");
  EXPECT_EQ(url_host("wss://user@[fd00::2]:8089/ws"), "fd00::2");
  EXPECT_EQ(url_host("https://pbx/sip-ws?x=1"), "pbx");
  EXPECT_EQ(url_host("sip:1001@pbx"), "");
  EXPECT_EQ(url_host("ftp://pbx"), "");
  EXPECT_TRUE(valid_ws_url("wss://pbx:8089/ws"));
  EXPECT_FALSE(valid_ws_url("https://pbx/ws"));
  EXPECT_FALSE(valid_ws_url("wss://"));
  EXPECT_FALSE(valid_ws_url("ws://pbx/ws\r\nX: y"));
}

}  // namespace
}  // namespace opdesk::api
