// Issue #7, directory end to end: the built-in simulator over a real TCP AMI connection
// (PbxService) feeds DirectoryService, whose labels reach the engine and the snapshot/delta
// JSON clients receive; the FreePBX/Issabel `asterisk` DB is a real private MariaDB with
// FreePBX- and Issabel-shaped tables (and one with no tables at all); a DB with wrong
// credentials leaves the AMI names in place and reports the error; admin overrides (hide,
// rename, group, order) apply to the live state and to GET /api/directory per scope, through
// the real SessionAuth (users and tokens in a real SQLite store).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <soci/soci.h>

#include "api/directory_routes.hpp"
#include "api/pbx_service.hpp"
#include "api/session_auth.hpp"
#include "api/state_json.hpp"
#include "auth/password.hpp"
#include "auth/service.hpp"
#include "auth/tokens.hpp"
#include "directory/service.hpp"
#include "sim/simulator.hpp"
#include "store/cdr_freepbx.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "store/store.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"

namespace opdesk {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// A FreePBX `asterisk` database with the given statements, on the shared private MariaDB.
store::DbConfig asterisk_db(const std::vector<std::string>& ddl, const std::string& password = {}) {
  auto& server = test::MariaDbServer::shared();
  store::DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = server.create_database("asterisk");
  c.pool_size = 1;
  {
    store::Database db(c);
    db.with_session([&](soci::session& s) {
      for (const auto& stmt : ddl) s << stmt;
      return 0;
    });
  }
  if (!password.empty()) c.password = password;
  return c;
}

const std::vector<std::string> kFreePbx = {
    "CREATE TABLE users (extension varchar(20) NOT NULL PRIMARY KEY, password varchar(20), "
    "name varchar(50), voicemail varchar(50), ringtimer int, outboundcid varchar(50))",
    "CREATE TABLE devices (id varchar(20) NOT NULL, tech varchar(10) NOT NULL, dial varchar(50) "
    "NOT NULL, devicetype varchar(5) NOT NULL, user varchar(50), description varchar(50))",
    "CREATE TABLE queues_config (extension varchar(20) NOT NULL PRIMARY KEY, descr varchar(35) "
    "NOT NULL, grppre varchar(100))",
    "INSERT INTO users (extension, name) VALUES ('1001', 'Reception Desk'), ('1002', 'Carol Li')",
    "INSERT INTO devices VALUES ('1001','pjsip','PJSIP/1001','fixed','1001','Reception Desk'),"
    "('1002','pjsip','PJSIP/1002','fixed','1002','Carol Li'),"
    "('1999','pjsip','PJSIP/1999','fixed','1999','Not Registered Yet')",
    "INSERT INTO queues_config (extension, descr) VALUES ('support','Support Line')"};

// Issabel/chan_sip: no devices.description, no queues_config; names in sip.callerid.
const std::vector<std::string> kIssabel = {
    "CREATE TABLE users (extension varchar(20) NOT NULL PRIMARY KEY, name varchar(50))",
    "CREATE TABLE devices (id varchar(20) NOT NULL, tech varchar(10) NOT NULL, dial varchar(50) NOT NULL)",
    "CREATE TABLE sip (id varchar(20) NOT NULL, keyword varchar(30) NOT NULL, data varchar(255) "
    "NOT NULL, flags int NOT NULL DEFAULT 0)",
    "INSERT INTO users VALUES ('1003', '')",
    "INSERT INTO devices VALUES ('1003','sip','SIP/1003')",
    "INSERT INTO sip VALUES ('1003','callerid','\"Back Office\" <1003>',0)"};

class DirectoryWiring : public ::testing::Test {
 protected:
  void start(directory::ServiceOptions opts = {}) {
    store::DbConfig sc;
    sc.sqlite_path = dir_.file("panel.db");
    sc.pool_size = 2;
    store_ = std::make_unique<store::Store>(sc);
    store_->migrate();
    store::CdrStore(store_->database()).migrate();  // creates directory_overrides

    sim::SimOptions so;
    so.port = 0;
    so.secret = "sim-secret";
    so.office = false;
    so.extensions = 8;
    so.seed = 5;
    sim_ = std::make_unique<sim::Simulator>(io_.get_executor(), so);
    sim_->start();
    sim_->with_pbx([this](sim::Pbx& p) {
      for (auto& [ext, ep] : p.endpoints()) sim_names_[ext] = ep.name;
    });
    api::PbxOptions po;
    po.ami.port = sim_->port();
    po.ami.username = "opdesk";
    po.ami.secret = "sim-secret";
    pbx_ = std::make_unique<api::PbxService>(io_.get_executor(), po, wall_ms);
    auto publish = [this] {
      while (auto b = pbx_->engine().take_changes()) pbx_->on_changes(*b);
    };
    svc_ = std::make_unique<directory::DirectoryService>(*store_, pbx_->engine(), publish, opts);
    // The same hooks wire_directory installs in `opdesk serve`.
    pbx_->add_frame_listener([this](const ami::Message& m, int64_t) { svc_->on_frame(m); });
    pbx_->on_changes = [this](const pbx::ChangeBatch& b) {
      deltas_.push_back(api::delta_json(pbx_->engine(), b, 0));
      for (const auto& c : b.changes) {
        if (c.kind == pbx::EntityKind::kExtension && !c.removed) svc_->on_extension_changed(c.id);
      }
    };
    pbx_->on_resync = [this] {
      asio::co_spawn(io_, after_resync(), asio::detached);
    };
    pbx_->start();
    run(svc_->refresh_db());
    ASSERT_TRUE(run_until([&] { return named_after_resync_; }));
  }
  asio::awaitable<void> after_resync() {
    svc_->on_connection();
    svc_->refresh_ami();
    auto send = [this](ami::Action a, bool list) -> asio::awaitable<void> {
      co_await pbx_->send(std::move(a), list);
    };
    co_await svc_->ask_names(send, [this] { return pbx_->connected(); }, 500);
    named_after_resync_ = true;
  }
  void TearDown() override {
    if (pbx_) pbx_->stop();
    if (sim_) sim_->stop();
    io_.run_for(std::chrono::milliseconds(100));
    pbx_.reset();
    sim_.reset();
  }
  template <class T>
  T run(asio::awaitable<T> a) {
    auto f = asio::co_spawn(io_, std::move(a), asio::use_future);
    while (f.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) io_.run_for(std::chrono::milliseconds(10));
    return f.get();
  }
  void run(asio::awaitable<void> a) {
    auto f = asio::co_spawn(io_, std::move(a), asio::use_future);
    while (f.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) io_.run_for(std::chrono::milliseconds(10));
    f.get();
  }
  // Runs the loop until pred holds (or a generous limit: a failure, not a timing assertion).
  bool run_until(std::function<bool()> pred) {
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
      io_.run_for(std::chrono::milliseconds(20));
      if (pred()) return true;
    }
    return false;
  }
  std::string engine_name(const std::string& ext) {
    const auto* x = pbx_->engine().find_extension(ext);
    return x ? x->name : "(missing)";
  }
  json snapshot_ext(const std::string& ext) {
    json s = api::snapshot_json(pbx_->engine(), 0);
    for (const auto& e : s["extensions"]) {
      if (e["extension"] == ext) return e;
    }
    return nullptr;
  }
  void put_override(store::DirectoryOverride o) {
    store::DirectoryOverrideRepo(store_->database()).upsert(o);
    run(svc_->reload_overrides());
  }

  test::TempDir dir_{"opdesk-dir"};
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<sim::Simulator> sim_;
  std::unique_ptr<api::PbxService> pbx_;
  std::unique_ptr<directory::DirectoryService> svc_;
  std::map<std::string, std::string> sim_names_;
  std::vector<json> deltas_;
  bool named_after_resync_ = false;
};

TEST_F(DirectoryWiring, SimulatorNamesReachTheEngineAndTheSnapshotOverRealTcpIssue7) {
  start();
  ASSERT_GE(sim_names_.size(), 8u);
  for (const auto& [ext, name] : sim_names_) {
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(engine_name(ext), name) << ext;
    json e = snapshot_ext(ext);
    ASSERT_FALSE(e.is_null()) << ext;
    EXPECT_EQ(e["name"], name);
    EXPECT_EQ(e["group"], "");
    EXPECT_EQ(e["order"], 0);
  }
  // The names were asked with PJSIPShowEndpoint, as a real Asterisk needs.
  size_t asked = 0;
  for (const auto& a : sim_->received_actions()) {
    auto at = a.find("PJSIPShowEndpoint");
    asked += at != std::string::npos && a.compare(at, 18, "PJSIPShowEndpoints") != 0;
  }
  EXPECT_GE(asked, sim_names_.size());
  auto st = svc_->status_json();
  EXPECT_EQ(st["mode"], "ami");
  EXPECT_EQ(st["db_configured"], false);
  EXPECT_GE(st["ami_names"].get<size_t>(), sim_names_.size());
}

TEST_F(DirectoryWiring, OverridesHideRenameGroupAndOrderTheLiveExtensions) {
  start();
  deltas_.clear();
  store::DirectoryOverride hide;
  hide.extension = "1002";
  hide.hidden = true;
  put_override(hide);
  store::DirectoryOverride label;
  label.extension = "1003";
  label.label = "Reception";
  label.group = "Front";
  label.order = 2;
  put_override(label);

  EXPECT_TRUE(snapshot_ext("1002").is_null());  // hidden: never sent
  ASSERT_NE(pbx_->engine().find_extension("1002"), nullptr);  // but still tracked
  json e = snapshot_ext("1003");
  EXPECT_EQ(e["name"], "Reception");
  EXPECT_EQ(e["group"], "Front");
  EXPECT_EQ(e["order"], 2);
  bool removed = false, renamed = false;
  for (const auto& d : deltas_) {
    for (const auto& c : d["changes"]) {
      removed |= c["op"] == "remove" && c["kind"] == "extension" && c["id"] == "1002";
      renamed |= c["op"] == "upsert" && c["id"] == "1003" && c["data"]["name"] == "Reception";
    }
  }
  EXPECT_TRUE(removed);
  EXPECT_TRUE(renamed);
  // Removing the override brings the AMI name back and the extension is sent again.
  store::DirectoryOverrideRepo(store_->database()).remove("1002");
  run(svc_->reload_overrides());
  EXPECT_EQ(snapshot_ext("1002")["name"], sim_names_["1002"]);
}

TEST_F(DirectoryWiring, FreePbxDatabaseNamesWinOverAmiAndOverridesWinOverBoth) {
  directory::ServiceOptions opts;
  opts.mode = "freepbx";
  opts.pbx_db = asterisk_db(kFreePbx);
  start(opts);
  EXPECT_EQ(engine_name("1001"), "Reception Desk");
  EXPECT_EQ(engine_name("1002"), "Carol Li");
  EXPECT_EQ(engine_name("1004"), sim_names_["1004"]);  // not in the DB: the AMI name
  auto st = svc_->status_json();
  EXPECT_EQ(st["mode"], "freepbx");
  EXPECT_EQ(st["db_ok"], true);
  EXPECT_TRUE(st["warnings"].empty());
  // An extension only the DB knows is listed (not in the live state: it has no endpoint).
  auto e = svc_->directory().find("1999");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "Not Registered Yet");
  EXPECT_EQ(svc_->directory().name_of("support"), "Support Line");
  store::DirectoryOverride o;
  o.extension = "1001";
  o.label = "Front Door";
  put_override(o);
  EXPECT_EQ(engine_name("1001"), "Front Door");
}

TEST_F(DirectoryWiring, IssabelSchemaGivesSipCalleridNamesAndOneWarningPerMissingTable) {
  directory::ServiceOptions opts;
  opts.mode = "freepbx";
  opts.pbx_db = asterisk_db(kIssabel);
  start(opts);
  EXPECT_EQ(engine_name("1003"), "Back Office");
  EXPECT_EQ(engine_name("1001"), sim_names_["1001"]);  // AMI fallback
  auto st = svc_->status_json();
  EXPECT_EQ(st["db_ok"], true);
  ASSERT_EQ(st["warnings"].size(), 2u);  // devices.description and queues_config
  bool queues = false;
  for (const auto& w : st["warnings"]) queues |= w.get<std::string>().find("queues_config") != std::string::npos;
  EXPECT_TRUE(queues);
}

TEST_F(DirectoryWiring, AnAsteriskDatabaseWithoutTablesFallsBackToAmiWithWarnings) {
  directory::ServiceOptions opts;
  opts.mode = "freepbx";
  opts.pbx_db = asterisk_db({});
  start(opts);
  for (const auto& [ext, name] : sim_names_) EXPECT_EQ(engine_name(ext), name) << ext;
  auto st = svc_->status_json();
  EXPECT_EQ(st["db_ok"], true);
  EXPECT_EQ(st["warnings"].size(), 3u);  // users, devices, queues_config
}

TEST_F(DirectoryWiring, WrongDatabaseCredentialsShowInStatusAndAmiNamesStay) {
  directory::ServiceOptions opts;
  opts.mode = "freepbx";
  opts.pbx_db = asterisk_db(kFreePbx, "wrong-password");
  start(opts);
  auto st = svc_->status_json();
  EXPECT_EQ(st["db_configured"], true);
  EXPECT_EQ(st["db_ok"], false);
  std::string msg = st["message"];
  EXPECT_NE(msg.find("PBX database unavailable"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("wrong-password"), std::string::npos) << "no secret in the status";
  for (const auto& [ext, name] : sim_names_) EXPECT_EQ(engine_name(ext), name) << ext;
}

// ---- GET/PUT /api/directory through the real SessionAuth --------------------------------

class DirectoryRoutes : public DirectoryWiring {
 protected:
  void SetUp() override {
    start();
    auth_ = std::make_unique<auth::AuthService>(*store_, auth::TokenService("directory-test-secret-0123456789abcdef"),
                                                auth::AuthService::Options{});
    session_ = std::make_unique<api::SessionAuth>(*store_, *auth_, wall_ms);
    deps_ = std::make_unique<api::DirectoryDeps>(api::DirectoryDeps{
        *store_, *session_, svc_->directory(), [this]() -> asio::awaitable<void> { co_await svc_->reload_overrides(); }});
    api::register_directory_routes(router_, *deps_);
    user("boss", store::Role::Admin, std::nullopt, {});
    user("sup", store::Role::Supervisor, std::nullopt, {"1001", "1002"});
    user("agent", store::Role::Agent, std::string("1004"), {});
  }
  void user(const std::string& name, store::Role role, std::optional<std::string> ext, std::set<std::string> exts) {
    store::NewUser u;
    u.username = name;
    u.name = name;
    u.role = role;
    u.extension = ext;
    u.extensions = std::move(exts);
    u.password_hash = auth::hash_password("pass-" + name + "-123");
    store_->users().create(u);
    auto r = auth_->login({name, "pass-" + name + "-123", "127.0.0.1"});
    ASSERT_TRUE(r.ok()) << r.message;
    tokens_[name] = r.token->token;
  }
  // Status and body of one request (ApiError → its status and code, as the dispatcher does).
  std::pair<int, json> call(const std::string& method, const std::string& path, const std::string& who,
                            const std::string& body = {}) {
    api::Request req;
    req.method = method;
    req.path = path;
    req.target = path;
    req.body = body;
    req.remote_ip = "127.0.0.1";
    req.headers.push_back({"authorization", "Bearer " + tokens_[who]});
    const api::HttpHandler* h = nullptr;
    std::string allow;
    EXPECT_EQ(router_.match(req, &h, &allow), api::Router::Match::kFound) << method << " " << path;
    try {
      api::Response r = run((*h)(req));
      return {r.status, json::parse(r.body)};
    } catch (const api::ApiError& e) {
      return {e.status, {{"code", e.code}, {"field", e.field}}};
    }
  }
  static std::set<std::string> numbers(const json& body) {
    std::set<std::string> out;
    for (const auto& e : body["entries"]) {
      if (e["kind"] == "extension") out.insert(e["number"].get<std::string>());
    }
    return out;
  }

  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<api::SessionAuth> session_;
  std::unique_ptr<api::DirectoryDeps> deps_;
  api::Router router_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(DirectoryRoutes, EachRoleSeesOnlyItsScopeAndOnlyAdminsSeeHiddenEntries) {
  auto [s1, admin] = call("GET", "/api/directory", "boss");
  ASSERT_EQ(s1, 200);
  EXPECT_EQ(numbers(admin).size(), sim_names_.size());
  EXPECT_TRUE(admin.contains("status"));
  auto [s2, sup] = call("GET", "/api/directory", "sup");
  ASSERT_EQ(s2, 200);
  EXPECT_EQ(numbers(sup), (std::set<std::string>{"1001", "1002"}));
  EXPECT_FALSE(sup.contains("status"));
  EXPECT_FALSE(sup["entries"][0].contains("hidden"));
  auto [s3, agent] = call("GET", "/api/directory", "agent");
  ASSERT_EQ(s3, 200);
  EXPECT_EQ(numbers(agent), std::set<std::string>{"1004"});
  EXPECT_EQ(agent["entries"][0]["name"], sim_names_["1004"]);

  auto [s4, put] = call("PUT", "/api/directory/1002", "boss", R"({"hidden":true})");
  ASSERT_EQ(s4, 200) << put.dump();
  auto [s5, sup2] = call("GET", "/api/directory", "sup");
  EXPECT_EQ(numbers(sup2), std::set<std::string>{"1001"});
  auto [s6, admin2] = call("GET", "/api/directory", "boss");
  bool flagged = false;
  for (const auto& e : admin2["entries"]) flagged |= e["number"] == "1002" && e["hidden"] == true;
  EXPECT_TRUE(flagged);
  EXPECT_TRUE(snapshot_ext("1002").is_null());  // the live state followed at once
}

TEST_F(DirectoryRoutes, RenameGroupAndOrderAreValidatedAndOnlyForAdmins) {
  auto [s1, forbidden] = call("PUT", "/api/directory/1004", "agent", R"({"label":"Me"})");
  EXPECT_EQ(s1, 403);
  EXPECT_EQ(forbidden["code"], "access.role.admin_required");
  auto [s2, bad_order] = call("PUT", "/api/directory/1004", "boss", R"({"order":"first"})");
  EXPECT_EQ(s2, 400);
  EXPECT_EQ(bad_order["field"], "order");
  auto [s3, bad_label] = call("PUT", "/api/directory/1004", "boss", std::string(R"({"label":")") + std::string(65, 'x') + "\"}");
  EXPECT_EQ(s3, 400);
  EXPECT_EQ(bad_label["field"], "label");
  auto [s4, unknown] = call("PUT", "/api/directory/1004", "boss", R"({"colour":"red"})");
  EXPECT_EQ(s4, 400);
  EXPECT_EQ(unknown["field"], "colour");
  auto [s5, bad_number] = call("PUT", "/api/directory/10%2004", "boss", R"({"label":"x"})");
  EXPECT_EQ(s5, 400);
  EXPECT_EQ(bad_number["field"], "number");

  auto [s6, ok] = call("PUT", "/api/directory/1004", "boss", R"({"label":"Night Desk","group":"Ops","order":5})");
  ASSERT_EQ(s6, 200) << ok.dump();
  auto [s7, agent] = call("GET", "/api/directory", "agent");
  EXPECT_EQ(agent["entries"][0]["name"], "Night Desk");
  EXPECT_EQ(agent["entries"][0]["group"], "Ops");
  EXPECT_EQ(agent["entries"][0]["order"], 5);
  json e = snapshot_ext("1004");
  EXPECT_EQ(e["name"], "Night Desk");
  EXPECT_EQ(e["group"], "Ops");
  auto [s8, del] = call("DELETE", "/api/directory/1004", "boss");
  EXPECT_EQ(s8, 200);
  EXPECT_EQ(snapshot_ext("1004")["name"], sim_names_["1004"]);
  auto [s9, again] = call("DELETE", "/api/directory/1004", "boss");
  EXPECT_EQ(s9, 404);
  // Every change is audited.
  auto rows = store_->audit().query(store::AuditQuery{});
  size_t n = 0;
  for (const auto& r : rows.items) n += r.action.rfind("directory.override", 0) == 0;
  EXPECT_EQ(n, 2u);
}

}  // namespace
}  // namespace opdesk
