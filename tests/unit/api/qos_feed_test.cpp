// Call quality end to end in process (issue #10): trace 15 (real Asterisk 22.9, 1006 ↔ 1007 on
// loopback) replayed with its own pacing through the engine and the QosFeed, the way
// PbxService and wire_qos drive them (engine first, then the frame listener; a tick per second).
// Checks the live values and badge in the engine state, the throttle of QoS deltas, the leg
// summaries and timeline, their survival across a restart (written to SQLite, read back by a
// new Store through the REST routes, scope-checked) and the scope of alert notices in the hub.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fstream>
#include <sstream>

#include "ami/parser.hpp"
#include "api/hub.hpp"
#include "api/qos_feed.hpp"
#include "api/qos_routes.hpp"
#include "api/state_json.hpp"
#include "store/qos_store.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;
constexpr int64_t kBase = 1795502240000;
const std::string kCall = "1795502247.36";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Trace15 {
  pbx::Engine engine;
  QosFeed feed{engine, [] {
                 QosFeedOptions o;
                 o.day_of = [](int64_t) { return std::string("2026-11-24"); };
                 return o;
               }()};
  std::optional<pbx::Qos> last_live;  // the call's QoS in the engine just before it ended
  json last_call_json;
  int qos_batches = 0;                // batches after a tick that carried the call
  std::vector<QosNotice> notices;
  std::vector<store::QosLegRow> legs;
  std::vector<store::QosTimelineRow> timelines;
  std::vector<std::pair<std::string, std::string>> cdr_qos;

  void tick(int64_t now) {
    auto r = feed.tick(now);
    while (auto b = engine.take_changes()) {
      for (const auto& c : b->changes) qos_batches += c.kind == pbx::EntityKind::kCall && c.id == kCall;
    }
    if (const pbx::Call* c = engine.find_call(kCall); c != nullptr && c->ended_at == 0 && c->qos.present) {
      last_live = c->qos;
      last_call_json = to_json(*c);
    }
    for (auto& n : r.notices) notices.push_back(std::move(n));
    for (auto& l : r.legs) legs.push_back(std::move(l));
    for (auto& t : r.timelines) timelines.push_back(std::move(t));
    for (auto& q : r.cdr_qos) cdr_qos.push_back(std::move(q));
  }

  void run() {
    const std::string dir = OPDESK_TRACE_DIR;
    const std::string bytes = slurp(dir + "/15-rtcp-qos.ami");
    std::ifstream timing(dir + "/meta/15-rtcp-qos.timing");
    std::vector<std::pair<size_t, int64_t>> chunks;
    double at = 0;
    size_t off = 0, len = 0;
    while (timing >> at >> off >> len) chunks.emplace_back(off, kBase + static_cast<int64_t>(at * 1000));
    ASSERT_FALSE(chunks.empty());
    engine.on_connection_start(kBase, "Asterisk Call Manager/11.0.0");
    ami::Parser parser;
    ami::Message m;
    std::string detail;
    int64_t next_tick = kBase + 1000;
    for (size_t i = 0; i < chunks.size(); ++i) {
      const int64_t now = chunks[i].second;
      while (next_tick <= now) {
        tick(next_tick);
        next_tick += 1000;
      }
      const size_t end = i + 1 < chunks.size() ? chunks[i + 1].first : bytes.size();
      parser.feed(std::string_view(bytes).substr(chunks[i].first, end - chunks[i].first));
      while (parser.next(m, detail) != ami::Parser::Result::kNeedMore) {
        engine.apply(m, now);
        while (engine.take_changes()) {
        }
        feed.on_frame(m, now);
        m = {};
      }
    }
    for (int k = 0; k < 3; ++k, next_tick += 1000) tick(next_tick);
  }
};

}  // namespace

TEST(QosFeedTrace15, LiveQualityInTheEngineMatchesTheEvents) {
  Trace15 t;
  t.engine.set_qos_policy(pbx::QosPolicy{false, 5000});
  t.run();
  ASSERT_TRUE(t.last_live);
  const pbx::Qos& q = *t.last_live;
  EXPECT_DOUBLE_EQ(q.loss_pct, 0);              // ~0 loss
  EXPECT_LT(q.jitter_ms, 1.0);                   // IAJitter 5..7 at 8 kHz ≈ 0.7 ms
  EXPECT_GE(q.rtt_ms, 0);                        // RTT known (1006's leg: 0.4 ms)
  EXPECT_LT(q.rtt_ms, 1.0);                      // loopback
  EXPECT_DOUBLE_EQ(q.mes, 88.1);
  EXPECT_GT(q.mos, 4.3);
  EXPECT_EQ(q.grade, "good");
  EXPECT_EQ(t.last_call_json["qos"]["grade"], "good");
  EXPECT_NEAR(t.last_call_json["qos"]["mes_mos"].get<double>(), 4.405, 1e-9);
  EXPECT_TRUE(t.notices.empty());
  EXPECT_EQ(t.feed.rejected(), 0u);
}

TEST(QosFeedTrace15, AtMostOneQosDeltaPerCallPerWindow) {
  Trace15 t;
  t.engine.set_qos_policy(pbx::QosPolicy{false, 5000});
  t.run();
  // Reports arrive at ~7, 12 and 17 s (4 frames each); 16 s of talk allows at most 4 windows.
  EXPECT_GE(t.qos_batches, 1);
  EXPECT_LE(t.qos_batches, 4);
}

TEST(QosFeedTrace15, EachLegEndsWithASummaryAndTheCallKeepsItsTimeline) {
  Trace15 t;
  t.run();
  ASSERT_EQ(t.legs.size(), 2u);
  std::set<std::string> exts;
  for (const auto& l : t.legs) {
    exts.insert(l.extension);
    EXPECT_EQ(l.linkedid, kCall);
    EXPECT_EQ(l.grade, "good");
    EXPECT_EQ(l.day, "2026-11-24");
    qos::Summary s = summary_from_json(json::parse(l.summary));
    EXPECT_EQ(s.uniqueid, l.uniqueid);
    EXPECT_EQ(s.grade, qos::Grade::kGood);
    EXPECT_LT(s.rx.jitter_ms.max, 2.0);  // IAJitter ≤ 9 units at 8 kHz: jitter ≈ 0
    EXPECT_DOUBLE_EQ(s.rx.loss_pct.max, 0);
    EXPECT_EQ(summary_json(s), json::parse(l.summary));  // the stored form reads back whole
  }
  EXPECT_EQ(exts, (std::set<std::string>{"1006", "1007"}));
  EXPECT_EQ(t.cdr_qos.size(), 2u);
  ASSERT_FALSE(t.timelines.empty());
  json pts = json::parse(t.timelines.back().points);
  ASSERT_GE(pts.size(), 2u);
  for (const auto& p : pts) {
    EXPECT_DOUBLE_EQ(p["loss_pct"].get<double>(), 0);
    EXPECT_LT(p["jitter_ms"].get<double>(), 1.0);
  }
}

namespace {

struct Principals : RequestAuth {
  std::map<std::string, Principal> by_token;
  asio::awaitable<Principal> require(const Request& req, std::string_view) override {
    auto it = by_token.find(std::string(req.header("authorization")));
    if (it == by_token.end()) throw ApiError(401, "auth.token.missing", "no token");
    co_return it->second;
  }
};

Principal person(int64_t id, std::string role, std::set<std::string> exts, std::optional<std::string> own = {}) {
  Principal p;
  p.user_id = id;
  p.username = "u" + std::to_string(id);
  p.role = std::move(role);
  p.all = p.role == "admin";
  p.extensions = std::move(exts);
  p.extension = std::move(own);
  p.me = {{"id", id}, {"role", p.role}};
  return p;
}

// Runs one request through the router; an ApiError becomes its status and code.
// `io` must outlive the store (its worker pool finishes a job's frame after resuming us).
std::pair<int, json> get(asio::io_context& io, Router& router, const std::string& token, const std::string& path,
                         std::map<std::string, std::string> query = {}) {
  io.restart();
  Request req;
  req.method = "GET";
  req.path = path;
  req.query = std::move(query);
  req.headers.emplace_back("authorization", token);
  const HttpHandler* h = nullptr;
  std::string allow;
  if (router.match(req, &h, &allow) != Router::Match::kFound) return {404, json{{"route", "none"}}};
  auto fut = asio::co_spawn(io, (*h)(req), asio::use_future);
  io.run();
  try {
    Response r = fut.get();
    return {r.status, json::parse(r.body)};
  } catch (const ApiError& e) {
    return {e.status, json{{"code", e.code}}};
  }
}

}  // namespace

TEST(QosFeedTrace15, SummariesSurviveAPanelRestartAndTheRoutesAreScoped) {
  asio::io_context io;  // declared first: destroyed after the store's pool joined
  test::TempDir dir("opdesk-qos-feed");
  store::DbConfig cfg;
  cfg.backend = "sqlite";
  cfg.sqlite_path = dir.file("panel.db");
  cfg.pool_size = 1;
  {
    Trace15 t;
    t.run();
    store::Store st(cfg);
    store::QosStore qs(st.database());
    qs.migrate();
    for (const auto& l : t.legs) qs.put_leg(l);
    for (const auto& tl : t.timelines) qs.put_timeline(tl);
  }
  // Restart: a new Store on the same file, an empty engine, no feed.
  store::Store st(cfg);
  store::QosStore qs(st.database());
  EXPECT_EQ(qs.migrate(), 0);
  pbx::Engine engine;
  Principals auth;
  auth.by_token["admin"] = person(1, "admin", {});
  auth.by_token["sup-1006"] = person(2, "supervisor", {"1006"});
  auth.by_token["sup-1001"] = person(3, "supervisor", {"1001", "1002"});
  auth.by_token["agent-1007"] = person(4, "agent", {}, "1007");
  QosRouteDeps deps{st, qs, auth, engine, nullptr, qos::Thresholds{}, [] { return kBase; }};
  Router router;
  register_qos_routes(router, deps);

  auto [status, body] = get(io, router, "sup-1006", "/api/calls/" + kCall + "/qos");
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["live"], false);
  EXPECT_EQ(body["legs"].size(), 2u);
  EXPECT_GE(body["points"].size(), 2u);
  EXPECT_EQ(body["legs"][0]["summary"]["grade"], "good");
  EXPECT_EQ(get(io, router, "sup-1001", "/api/calls/" + kCall + "/qos").first, 404);  // out of scope
  EXPECT_EQ(get(io, router, "admin", "/api/calls/no-such-call/qos").first, 404);
  EXPECT_EQ(get(io, router, "nobody", "/api/calls/" + kCall + "/qos").first, 401);

  auto [ds, daily] = get(io, router, "admin", "/api/qos/daily", {{"date", "2026-11-24"}});
  ASSERT_EQ(ds, 200);
  ASSERT_EQ(daily["rows"].size(), 2u);
  EXPECT_EQ(daily["rows"][0]["worst"], "good");
  EXPECT_EQ(daily["rows"][0]["calls"], 1);
  auto own = get(io, router, "agent-1007", "/api/qos/daily", {{"date", "2026-11-24"}}).second;
  ASSERT_EQ(own["rows"].size(), 1u);
  EXPECT_EQ(own["rows"][0]["extension"], "1007");
  EXPECT_TRUE(get(io, router, "sup-1001", "/api/qos/daily", {{"date", "2026-11-24"}}).second["rows"].empty());
  auto bad = get(io, router, "admin", "/api/qos/daily", {{"date", "2026-13-01"}});
  EXPECT_EQ(bad.first, 400);
  EXPECT_EQ(bad.second["code"], "qos.date.invalid");
}

TEST(QosFeedCodec, TheStatusListsCodecSetsTheJitterClock) {
  pbx::Engine engine;
  QosFeed feed(engine, QosFeedOptions{});
  feed.on_frame(ami::Message::from_fields({{"Event", "Status"}, {"Channel", "PJSIP/1101-00000001"}, {"ChannelState", "6"},
                                           {"Uniqueid", "u1"}, {"Linkedid", "c1"}, {"Nativeformats", "(opus|ulaw)"}}),
                kBase);
  feed.on_frame(ami::Message::from_fields({{"Event", "RTCPSent"}, {"Channel", "PJSIP/1101-00000001"}, {"Uniqueid", "u1"},
                                           {"Linkedid", "c1"}, {"CallerIDNum", "1101"}, {"SSRC", "0x1"}, {"PT", "200(SR)"},
                                           {"ReportCount", "1"}, {"Report0SourceSSRC", "0x2"}, {"Report0FractionLost", "0"},
                                           {"Report0CumulativeLost", "0"}, {"Report0HighestSequence", "100"},
                                           {"Report0SequenceNumberCycles", "0"}, {"Report0IAJitter", "480"},
                                           {"Report0LSR", "0"}, {"Report0DLSR", "0"}}),
                kBase + 5000);
  auto leg = feed.tracker().leg("u1");
  ASSERT_TRUE(leg);
  EXPECT_EQ(leg->codec, "opus");
  EXPECT_DOUBLE_EQ(leg->rx.jitter_ms, 10.0);  // 480 units at 48 kHz, not 60 ms at 8 kHz
}

TEST(QosRoutes, DaysAreValidatedStrictly) {
  EXPECT_TRUE(valid_day("2026-11-24"));
  for (const char* bad : {"", "2026-1-24", "2026-11-24x", "2026/11/24", "2026-00-10", "2026-11-32", "20a6-11-24"}) {
    EXPECT_FALSE(valid_day(bad)) << bad;
  }
}

TEST(QosJson, ChannelNamesGiveTheirExtension) {
  EXPECT_EQ(extension_of_channel_name("PJSIP/1006-00000022"), "1006");
  EXPECT_EQ(extension_of_channel_name("SIP/1001-0000000a"), "1001");
  EXPECT_EQ(extension_of_channel_name("Local/1001@from-queue-00000001;1"), "");
  EXPECT_EQ(extension_of_channel_name("garbage"), "");
}

namespace {

struct Peer : WsPeer {
  std::vector<json> got;
  void send(std::shared_ptr<const std::string> text) override { got.push_back(json::parse(*text)); }
  void close(uint16_t, std::string) override {}
  size_t queued_bytes() const override { return 0; }
  size_t queued_messages() const override { return 0; }
  void drop_queued() override {}
  std::vector<json> notices() const {
    std::vector<json> out;
    for (const auto& m : got) {
      if (m.value("type", "") == "notice") out.push_back(m);
    }
    return out;
  }
};

struct TokenAuth : Authenticator {
  std::map<std::string, Principal> by_token;
  asio::awaitable<Result> authenticate(std::string token) override {
    auto it = by_token.find(token);
    if (it == by_token.end()) co_return Result{std::nullopt, "auth.token.invalid", "bad token"};
    co_return Result{it->second, "", ""};
  }
  asio::awaitable<Result> reload(const Principal& p) override { co_return Result{p, "", ""}; }
};

struct NoActions : ActionRunner {
  asio::awaitable<Outcome> run(const Principal&, std::string, json, std::string) override {
    co_return Outcome{false, {}, 400, "request.action.unknown", "none"};
  }
};

}  // namespace

TEST(QosAlerts, ANoticeReachesOnlyClientsThatSeeOneOfTheCallsExtensions) {
  asio::io_context io;
  pbx::Engine engine;
  engine.on_connection_start(kBase, "Asterisk Call Manager/11.0.0");
  TokenAuth auth;
  NoActions actions;
  auth.by_token["admin"] = person(1, "admin", {});
  auth.by_token["sup-1003"] = person(2, "supervisor", {"1003", "1004"});
  auth.by_token["sup-1005"] = person(3, "supervisor", {"1005"});
  auth.by_token["sup-2000"] = person(4, "supervisor", {"2000"});
  auth.by_token["agent-1003"] = person(5, "agent", {}, "1003");
  auth.by_token["agent-1009"] = person(6, "agent", {}, "1009");
  Hub hub(io.get_executor(), engine, auth, actions, HubOptions{}, [] { return kBase; });
  std::map<std::string, std::shared_ptr<Peer>> peers;
  std::vector<std::shared_ptr<WsHandler>> handlers;
  for (const auto& [token, p] : auth.by_token) {
    auto peer = std::make_shared<Peer>();
    Request req;
    req.path = "/ws";
    auto acc = hub.accept(peer, req);
    acc.handler->on_open();
    acc.handler->on_message(json{{"type", "auth"}, {"token", token}}.dump());
    handlers.push_back(acc.handler);
    peers[token] = peer;
  }
  for (int i = 0; i < 8; ++i) {
    io.restart();
    io.poll();
  }
  QosNotice n;
  n.extensions = {"1003", "1005"};
  n.notice = {{"type", "notice"}, {"level", "error"}, {"code", "qos.poor"},
              {"message", "call 1003↔1005 poor: 7.0 % loss"}, {"call_id", "c1"}, {"extensions", n.extensions}};
  QosNotice nobody;  // no extension known: sent to nobody rather than to everyone
  nobody.notice = n.notice;
  EXPECT_EQ(send_notices(hub, {n, nobody}), 1u);
  for (const char* who : {"admin", "sup-1003", "sup-1005", "agent-1003"}) {
    auto got = peers[who]->notices();
    ASSERT_FALSE(got.empty()) << who;
    for (const auto& g : got) EXPECT_EQ(g["call_id"], "c1") << who;
    EXPECT_EQ(got[0]["message"], "call 1003↔1005 poor: 7.0 % loss");
  }
  EXPECT_TRUE(peers["sup-2000"]->notices().empty());
  EXPECT_TRUE(peers["agent-1009"]->notices().empty());
}

}  // namespace opdesk::api
