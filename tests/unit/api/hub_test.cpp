// WebSocket hub, in process: a real pbx::Engine fed AMI frames, the real Hub, and in-memory
// WsPeers standing in for sockets (the transport is tested over real sockets in
// tests/integration/api_test.py). The clock is injected and housekeeping() is called by hand,
// so slow-client, stuck-client, expiry and rate-limit rules are checked without sleeping.
#include "api/hub.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <map>

#include "api/actions.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;
constexpr int64_t kStart = 1795502000000;

// A socket whose reader can be stopped: frames stay queued until drain().
struct FakePeer : WsPeer {
  bool reading = true;
  std::deque<std::shared_ptr<const std::string>> queue;
  std::vector<std::shared_ptr<const std::string>> received;
  size_t bytes = 0, max_messages = 0, max_bytes = 0;
  std::optional<uint16_t> close_code;
  std::string close_reason;

  void send(std::shared_ptr<const std::string> text) override {
    if (close_code) return;
    bytes += text->size();
    queue.push_back(std::move(text));
    max_messages = std::max(max_messages, queue.size());
    max_bytes = std::max(max_bytes, bytes);
    if (reading) drain();
  }
  void close(uint16_t code, std::string reason) override {
    if (!close_code) close_code = code, close_reason = std::move(reason);
  }
  size_t queued_bytes() const override { return bytes; }
  size_t queued_messages() const override { return queue.size(); }
  void drop_queued() override { queue.clear(), bytes = 0; }
  void drain() {
    for (auto& f : queue) received.push_back(f);
    queue.clear();
    bytes = 0;
  }
  std::vector<json> messages() const {
    std::vector<json> out;
    for (const auto& f : received) out.push_back(json::parse(*f));
    return out;
  }
  std::vector<json> of_type(const std::string& t) const {
    std::vector<json> out;
    for (auto& m : messages()) {
      if (m.value("type", "") == t) out.push_back(m);
    }
    return out;
  }
  json last() const { return received.empty() ? json() : json::parse(*received.back()); }
};

// Principals by token; reload() re-reads them (what an admin edit changes).
struct TableAuth : Authenticator {
  std::map<std::string, Principal> by_token;
  asio::awaitable<Result> authenticate(std::string token) override {
    auto it = by_token.find(token);
    if (it == by_token.end()) co_return Result{std::nullopt, "auth.token.invalid", "bad token"};
    co_return Result{it->second, "", ""};
  }
  asio::awaitable<Result> reload(const Principal& p) override {
    for (auto& [t, q] : by_token) {
      if (q.user_id == p.user_id) co_return Result{q, "", ""};
    }
    co_return Result{std::nullopt, "auth.user.inactive", "this account is disabled"};
  }
};

// Records what reached the action layer; known names succeed, others get the real error code.
struct RecordingActions : ActionRunner {
  std::vector<std::string> ran;
  asio::awaitable<Outcome> run(const Principal&, std::string action, json, std::string) override {
    const auto& names = action_names();
    if (std::find(names.begin(), names.end(), action) == names.end()) {
      co_return Outcome{false, {}, 400, "request.action.unknown", "unknown action '" + action + "'"};
    }
    ran.push_back(action);
    co_return Outcome{true, json{{"action", action}}, 200, "", ""};
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

struct HubTest : ::testing::Test {
  asio::io_context io;
  pbx::Engine engine;
  TableAuth auth;
  RecordingActions actions;
  int64_t now = kStart;
  HubOptions opts;
  std::unique_ptr<Hub> hub;

  void SetUp() override {
    engine.on_connection_start(now, "Asterisk Call Manager/11.0.0");
    for (int e = 1001; e <= 1006; ++e) status(std::to_string(e), 0);
    opts.v1_update_interval = std::chrono::milliseconds(0);
    opts.v1_state_period = std::chrono::milliseconds(0);  // tests call v1_tick() themselves
    auth.by_token["admin"] = person(1, "admin", {});
    auth.by_token["sup"] = person(2, "supervisor", {"1001", "1002"});
    auth.by_token["sup-b"] = person(3, "supervisor", {"1002", "1001"});  // same scope as sup
    auth.by_token["agent"] = person(4, "agent", {}, "1004");
  }
  void make_hub() {
    if (!hub) hub = std::make_unique<Hub>(io.get_executor(), engine, auth, actions, opts, [this] { return now; });
  }
  // One ExtensionStatus frame, its change batch published to the hub, in the current turn of
  // the loop (status_in_turn) or followed by the end of the turn (status).
  void status_in_turn(const std::string& ext, int code) {
    engine.apply(ami::Message::from_fields({{"Event", "ExtensionStatus"}, {"Exten", ext}, {"Context", "ext-local"},
                                            {"Hint", "PJSIP/" + ext}, {"Status", std::to_string(code)}}),
                 now);
    while (auto b = engine.take_changes()) {
      if (hub) hub->publish(*b);
    }
  }
  void status(const std::string& ext, int code) {
    status_in_turn(ext, code);
    if (hub) settle();  // coalesced deltas leave when the turn ends
  }
  struct Conn {
    std::shared_ptr<FakePeer> peer;
    std::shared_ptr<WsHandler> handler;
    void say(const json& m) { handler->on_message(m.dump()); }
  };
  Conn open(std::map<std::string, std::string> query = {}) {
    make_hub();
    Conn c{std::make_shared<FakePeer>(), nullptr};
    Request req;
    req.path = "/ws";
    req.query = std::move(query);
    auto acc = hub->accept(c.peer, req);
    c.handler = acc.handler;
    c.handler->on_open();
    settle();
    return c;
  }
  Conn login(const std::string& token) {
    auto c = open();
    c.say({{"type", "auth"}, {"token", token}});
    settle();
    return c;
  }
  // Runs every ready handler, including those they post (auth, actions, v1 updates).
  void settle() {
    for (int i = 0; i < 8; ++i) {
      io.restart();
      io.poll();
    }
  }
  void tick(int64_t ms) {
    now += ms;
    hub->housekeeping();
    settle();
  }
};

std::set<std::string> extensions_in(const json& snapshot) {
  std::set<std::string> out;
  for (const auto& e : snapshot["state"]["extensions"]) out.insert(e["extension"].get<std::string>());
  return out;
}

TEST_F(HubTest, AuthOkThenAScopedSnapshotThenOnlyInScopeDeltas) {
  auto c = login("sup");
  auto msgs = c.peer->messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["type"], "auth_ok");
  EXPECT_EQ(msgs[1]["type"], "snapshot");
  EXPECT_EQ(extensions_in(msgs[1]), (std::set<std::string>{"1001", "1002"}));
  status("1005", 1);
  EXPECT_EQ(c.peer->received.size(), 2u) << "an out-of-scope change sent bytes";
  status("1002", 1);
  auto d = c.peer->last();
  EXPECT_EQ(d["type"], "delta");
  EXPECT_EQ(d["changes"][0]["id"], "1002");
  EXPECT_EQ(d["prev_seq"], msgs[1]["seq"]);
}

TEST_F(HubTest, EachDeltaIsSerializedOncePerScopeAndTheSameBufferIsShared) {
  auto a = login("sup");
  auto b = login("sup-b");  // same extensions listed in another order: same scope
  auto admin = login("admin");
  auto before = hub->stats().groups;
  status("1001", 1);
  ASSERT_EQ(before, 2u);
  EXPECT_EQ(a.peer->received.back().get(), b.peer->received.back().get());
  EXPECT_NE(a.peer->received.back().get(), admin.peer->received.back().get());
}

TEST_F(HubTest, FirstMessageWithoutATokenClosesWith4001) {
  auto c = open();
  c.say({{"type", "ping"}});
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4001);
}

TEST_F(HubTest, AnInvalidTokenGetsAuthInvalidAndClose4001) {
  auto c = login("nope");
  EXPECT_EQ(c.peer->last()["type"], "auth_invalid");
  EXPECT_EQ(*c.peer->close_code, 4001);
  EXPECT_EQ(c.peer->close_reason, "auth.token.invalid");
}

TEST_F(HubTest, AClientThatNeverAuthenticatesIsClosedAfterTheAuthTimeout) {
  auto c = open();
  tick(9000);
  EXPECT_FALSE(c.peer->close_code);
  tick(1000);
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4001);
  EXPECT_EQ(c.peer->close_reason, "authentication timeout");
}

TEST_F(HubTest, HousekeepingDuringTheHandshakeDoesNotCloseAClientThatJustConnected_6) {
  make_hub();
  auto peer = std::make_shared<FakePeer>();
  Request req;
  req.query = {{"token", "agent"}};
  auto acc = hub->accept(peer, req);  // upgrade accepted, WebSocket handshake still running
  tick(1000);
  EXPECT_FALSE(peer->close_code);
  acc.handler->on_open();
  settle();
  EXPECT_EQ(peer->messages().at(0)["type"], "auth_ok");
}

// #25: the upstream client opens /ws?token= and sends a bare {"token"}; it never names a
// protocol, so authenticating that way selects the upstream protocol. OpDesk's own client sends
// {"type":"auth"}; a named protocol always wins.
TEST_F(HubTest, AuthenticatingTheUpstreamWaySelectsTheUpstreamProtocolByDefault_25) {
  auto q = open({{"token", "agent"}});
  EXPECT_EQ(q.peer->messages().at(0)["type"], "auth_ok");
  EXPECT_EQ(q.peer->messages().at(1)["type"], "initial_state");
  EXPECT_EQ(q.peer->messages().at(1)["data"]["extensions"].size(), 1u);
  EXPECT_TRUE(q.peer->messages().at(1)["data"]["extensions"].contains("1004"));
  auto u = open();
  u.say({{"token", "agent"}});
  settle();
  EXPECT_EQ(u.peer->messages().at(1)["type"], "initial_state");
  auto own = login("agent");  // {"type":"auth","token"}
  EXPECT_EQ(own.peer->messages().at(1)["type"], "snapshot");
  EXPECT_EQ(extensions_in(own.peer->messages().at(1)), (std::set<std::string>{"1004"}));
  auto named_q = open({{"token", "agent"}, {"protocol", "opdesk"}});
  EXPECT_EQ(named_q.peer->messages().at(1)["type"], "snapshot");
  auto named_m = open();
  named_m.say({{"token", "agent"}, {"protocol", "opdesk"}});
  settle();
  EXPECT_EQ(named_m.peer->messages().at(1)["type"], "snapshot");
  auto v1_auth = open();
  v1_auth.say({{"type", "auth"}, {"token", "agent"}, {"protocol", "v1"}});
  settle();
  EXPECT_EQ(v1_auth.peer->messages().at(1)["type"], "initial_state");
  // The upstream client repeats {"token"} after /ws?token= opened the session: ignored.
  q.say({{"token", "agent"}});
  settle();
  EXPECT_FALSE(q.peer->close_code);
}

TEST_F(HubTest, AnUnknownProtocolIsRefusedNamingTheField_25) {
  make_hub();
  Request req;
  req.path = "/ws";
  req.query = {{"token", "agent"}, {"protocol", "v9"}};
  auto acc = hub->accept(std::make_shared<FakePeer>(), req);
  EXPECT_FALSE(acc.handler);
  EXPECT_EQ(acc.reject.status, 400);
  EXPECT_EQ(json::parse(acc.reject.body)["error"]["field"], "protocol");
  auto c = open();
  c.say({{"token", "agent"}, {"protocol", 2}});
  settle();
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4002);
  EXPECT_EQ(c.peer->last()["error"]["code"], "request.field.invalid");
  EXPECT_EQ(c.peer->last()["error"]["field"], "protocol");
}

TEST_F(HubTest, TokenExpiryClosesTheOpenSocket) {
  auth.by_token["short"] = person(9, "agent", {}, "1004");
  auth.by_token["short"].token_exp_ms = kStart + 5000;
  auto c = login("short");
  tick(4000);
  EXPECT_FALSE(c.peer->close_code);
  tick(1000);
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4001);
  EXPECT_EQ(c.peer->close_reason, "auth.token.expired");
  EXPECT_EQ(c.peer->last()["error"]["code"], "auth.token.expired");
}

TEST_F(HubTest, ScopeChangeSendsTheOpenSocketANewSnapshotAtOnce) {
  auto c = login("sup");
  auth.by_token["sup"].extensions = {"1003"};
  hub->refresh_user(2);
  settle();
  auto msgs = c.peer->messages();
  ASSERT_GE(msgs.size(), 4u);
  EXPECT_EQ(msgs[2]["type"], "user");
  EXPECT_EQ(msgs[3]["type"], "snapshot");
  EXPECT_EQ(extensions_in(msgs[3]), (std::set<std::string>{"1003"}));
  size_t n = c.peer->received.size();
  status("1001", 2);
  EXPECT_EQ(c.peer->received.size(), n) << "the old scope still receives deltas";
  status("1003", 2);
  EXPECT_EQ(c.peer->last()["changes"][0]["id"], "1003");
}

TEST_F(HubTest, RoleChangeToAdminWidensTheScopeAtOnce) {
  auto c = login("agent");
  auth.by_token["agent"].role = "admin";
  auth.by_token["agent"].all = true;
  hub->refresh_user(4);
  settle();
  EXPECT_EQ(extensions_in(c.peer->last()).size(), 6u);
}

TEST_F(HubTest, DisablingAUserClosesTheirOpenSocketWithTheReason) {
  auto c = login("sup");
  auth.by_token.erase("sup");
  hub->refresh_user(2);
  settle();
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4001);
  EXPECT_EQ(c.peer->close_reason, "auth.user.inactive");
}

TEST_F(HubTest, SlowClientIsCappedThenGetsOneFreshSnapshotWhenItDrains) {
  opts.max_queue_messages = 4;
  auto c = login("admin");
  c.peer->reading = false;
  for (int i = 0; i < 20; ++i) status("1001", i % 2 ? 1 : 0);
  status("1003", 16);
  EXPECT_LE(c.peer->max_messages, 4u);
  EXPECT_GE(hub->stats().slow_resets, 1u);
  c.peer->drain();
  size_t n = c.peer->received.size();
  status("1002", 1);  // dropped: a fresh snapshot supersedes it
  EXPECT_EQ(c.peer->received.size(), n);
  c.peer->reading = true;
  tick(1000);
  auto snap = c.peer->last();
  ASSERT_EQ(snap["type"], "snapshot");
  for (const auto& e : snap["state"]["extensions"]) {
    if (e["extension"] == "1003") EXPECT_EQ(e["hint_code"], 16);
    if (e["extension"] == "1002") EXPECT_EQ(e["hint_code"], 1);
  }
  tick(1000);  // the snapshot was written: back to normal, no close
  status("1004", 1);
  EXPECT_EQ(c.peer->last()["type"], "delta");
  EXPECT_FALSE(c.peer->close_code);
  EXPECT_EQ(hub->stats().slow_closes, 0u);
}

TEST_F(HubTest, ClientThatStaysStuckIsClosedWith4008AndItsQueueStaysBounded) {
  opts.max_queue_messages = 4;
  opts.stuck_timeout = std::chrono::seconds(30);
  auto c = login("admin");
  c.peer->reading = false;
  for (int s = 0; s < 29; ++s) {
    for (int i = 0; i < 10; ++i) status("1001", i % 2);
    tick(1000);
    ASSERT_FALSE(c.peer->close_code) << "closed after " << s + 1 << " s";
  }
  for (int i = 0; i < 10; ++i) status("1001", i % 2);
  tick(1000);
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4008);
  EXPECT_EQ(c.peer->close_reason, "client too slow: messages not read");
  EXPECT_LE(c.peer->max_messages, 4u);
  EXPECT_EQ(hub->stats().slow_closes, 1u);
}

TEST_F(HubTest, ResumeReplaysTheMissedDeltasFromTheRing) {
  auto c = login("sup");
  auto snap = c.peer->messages()[1];
  c.handler->on_close();
  status("1001", 1);
  status("1005", 1);
  status("1002", 1);
  auto r = open();
  r.say({{"type", "auth"}, {"token", "sup"}, {"resume", {{"epoch", snap["epoch"]}, {"seq", snap["seq"]}}}});
  settle();
  auto msgs = r.peer->messages();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[1]["changes"][0]["id"], "1001");
  EXPECT_EQ(msgs[1]["prev_seq"], snap["seq"]);
  EXPECT_EQ(msgs[2]["changes"][0]["id"], "1002");
  EXPECT_EQ(msgs[3]["type"], "resumed");
}

TEST_F(HubTest, ResumeFromAnotherEpochGetsASnapshot) {
  auto c = open();
  c.say({{"type", "auth"}, {"token", "sup"}, {"resume", {{"epoch", 99}, {"seq", 1}}}});
  settle();
  EXPECT_EQ(c.peer->last()["type"], "snapshot");
}

TEST_F(HubTest, ANewEngineEpochSendsEveryClientASnapshot) {
  auto c = login("sup");
  engine.on_connection_start(now, "Asterisk Call Manager/11.0.0");
  while (auto b = engine.take_changes()) hub->publish(*b);
  EXPECT_EQ(c.peer->last()["type"], "snapshot");
  EXPECT_EQ(c.peer->last()["epoch"], engine.epoch());
}

TEST_F(HubTest, ActionIdsMustIncreaseAndTheRateIsLimitedPerConnection) {
  opts.actions_burst = 3;
  opts.actions_per_second = 1;
  auto c = login("admin");
  for (int id = 1; id <= 4; ++id) c.say({{"type", "action"}, {"id", id}, {"action", "hangup"}, {"target", "1001"}});
  settle();
  std::map<int, json> by_id;
  for (auto& r : c.peer->of_type("action_result")) by_id[r["id"].get<int>()] = r;
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id[1]["ok"], true);
  EXPECT_EQ(by_id[3]["ok"], true);
  EXPECT_EQ(by_id[4]["error"]["code"], "request.rate_limited");
  c.say({{"type", "action"}, {"id", 4}, {"action", "hangup"}, {"target", "1001"}});
  EXPECT_EQ(c.peer->last()["error"]["code"], "request.id.reuse");
  now += 1000;
  c.say({{"type", "action"}, {"id", 5}, {"action", "hangup"}, {"target", "1001"}});
  settle();
  EXPECT_EQ(c.peer->last()["ok"], true);
  EXPECT_EQ(actions.ran.size(), 4u);
}

TEST_F(HubTest, UnknownTypesAndBadJsonGetStableErrorCodes) {
  auto c = login("admin");
  c.handler->on_message("{not json");
  EXPECT_EQ(c.peer->last()["error"]["code"], "request.body.invalid_json");
  c.say({{"type", "bogus"}});
  EXPECT_EQ(c.peer->last()["error"]["code"], "request.type.unknown");
  c.say({{"type", "ping"}});
  EXPECT_EQ(c.peer->last()["type"], "pong");
}

// ---- v1: the upstream protocol (opdesk-upstream.md §2.2) -------------------------------

TEST_F(HubTest, V1ClientGetsInitialStateThenCoalescedStateUpdates) {
  auto c = open({{"protocol", "v1"}, {"token", "sup"}});
  auto msgs = c.peer->messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[1]["type"], "initial_state");
  ASSERT_TRUE(msgs[1]["data"]["extensions"].is_object());
  EXPECT_TRUE(msgs[1]["data"]["extensions"].contains("1001"));
  EXPECT_FALSE(msgs[1]["data"]["extensions"].contains("1005"));
  EXPECT_TRUE(msgs[1]["data"].contains("stats"));
  EXPECT_TRUE(msgs[1]["timestamp"].is_string());
  status_in_turn("1001", 1);
  status_in_turn("1002", 1);
  settle();
  auto updates = c.peer->of_type("state_update");
  ASSERT_EQ(updates.size(), 1u) << "two changes in one turn are one update";
  EXPECT_EQ(updates[0]["data"]["extensions"]["1002"]["status"], "in_call");
  EXPECT_TRUE(c.peer->of_type("delta").empty());
}

TEST_F(HubTest, V1HelloOptionInTheAuthMessageSelectsTheUpstreamProtocol) {
  auto c = open();
  c.say({{"token", "admin"}, {"protocol", "v1"}});
  settle();
  EXPECT_EQ(c.peer->last()["type"], "initial_state");
}

TEST_F(HubTest, V1UpstreamActionFormAnswersActionResultAndErrorShapes) {
  auto c = open({{"protocol", "v1"}, {"token", "admin"}});
  c.say({{"action", "hangup"}, {"target", "1001"}});
  settle();
  auto results = c.peer->of_type("action_result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], (json{{"type", "action_result"}, {"action", "hangup"}, {"success", true}}));
  EXPECT_EQ(c.peer->last()["type"], "state_update");  // sent after a successful action
  c.say({{"action", "frobnicate"}});
  settle();
  EXPECT_EQ(c.peer->last()["type"], "error");
  EXPECT_TRUE(c.peer->last()["message"].is_string());
  c.handler->on_message("][");
  EXPECT_EQ(c.peer->last(), (json{{"type", "error"}, {"message", "messages must be JSON objects"}}));
  c.say({{"action", "get_state"}});
  EXPECT_EQ(c.peer->last()["type"], "state_update");
  c.say({{"action", "sync"}});
  auto msgs = c.peer->messages();
  EXPECT_EQ(msgs[msgs.size() - 2], (json{{"type", "action_result"}, {"action", "sync"}, {"success", true}}));
  EXPECT_EQ(msgs.back()["type"], "state_update");
}

// #25: upstream sends the full state about every 500 ms even when nothing changed, so the
// durations it renders keep moving; one frame per scope, skipped right after a change-driven one.
TEST_F(HubTest, V1ClientsGetTheFullStateEveryPeriodEvenWhenNothingChanged_25) {
  opts.v1_state_period = std::chrono::milliseconds(500);
  engine.apply(ami::Message::from_fields({{"Event", "Newchannel"}, {"Channel", "PJSIP/1001-00000001"},
                                          {"ChannelState", "6"}, {"ChannelStateDesc", "Up"},
                                          {"CallerIDNum", "1001"}, {"Exten", "0612345678"},
                                          {"Context", "from-internal"}, {"Uniqueid", "1.1"}, {"Linkedid", "1.1"}}),
               now);
  while (engine.take_changes()) {}
  auto a = open({{"token", "sup"}});
  auto b = open({{"token", "sup-b"}});  // same scope
  auto own = login("sup");
  size_t own_before = own.peer->received.size();
  hub->v1_tick();
  EXPECT_TRUE(a.peer->of_type("state_update").empty()) << "a state right after initial_state";
  now += 500;
  hub->v1_tick();
  auto ua = a.peer->of_type("state_update");
  ASSERT_EQ(ua.size(), 1u);
  EXPECT_EQ(a.peer->received.back().get(), b.peer->received.back().get()) << "built once per scope";
  EXPECT_EQ(own.peer->received.size(), own_before) << "OpDesk-protocol clients get no periodic states";
  const json& first = ua[0]["data"];
  now += 500;
  hub->v1_tick();
  auto ua2 = a.peer->of_type("state_update");
  ASSERT_EQ(ua2.size(), 2u);
  ASSERT_TRUE(first["active_calls"].contains("1001")) << first.dump();
  EXPECT_EQ(first["active_calls"]["1001"]["duration"], "00:00");
  EXPECT_EQ(ua2[1]["data"]["active_calls"]["1001"]["duration"], "00:01") << "the duration moved";
  EXPECT_NE(ua2[1]["timestamp"], ua[0]["timestamp"]);
  status("1001", 1);  // change-driven update now
  size_t n = a.peer->of_type("state_update").size();
  now += 100;
  hub->v1_tick();
  EXPECT_EQ(a.peer->of_type("state_update").size(), n) << "a periodic state right after a change";
}

TEST_F(HubTest, V1StuckClientIsNotSentFullStatesPastTheCap) {
  opts.max_queue_bytes = 4096;
  auto c = open({{"protocol", "v1"}, {"token", "admin"}});
  c.peer->reading = false;
  for (int i = 0; i < 40; ++i) {
    status("1001", i % 2);
    settle();
  }
  EXPECT_LE(c.peer->max_bytes, 4096u);
  for (int s = 0; s < 30 && !c.peer->close_code; ++s) tick(1000);
  ASSERT_TRUE(c.peer->close_code);
  EXPECT_EQ(*c.peer->close_code, 4008);
}

// #6: at 5,000 extensions every scoped snapshot deep-copied the whole state before dropping
// what the scope does not see; the filter now copies only the visible entities. The output
// must stay exactly the scope's slice with every other state field intact.
TEST_F(HubTest, ScopedSnapshotsOfFiveThousandExtensionsHoldExactlyTheScopeAndEveryOtherField_6) {
  for (int e = 10001; e <= 15000; ++e) status(std::to_string(e), 0);
  std::set<std::string> slice;
  for (int e = 10251; e <= 10500; ++e) slice.insert(std::to_string(e));
  auth.by_token["slice"] = person(5, "supervisor", slice);
  status("10300", 1);
  auto admin = login("admin");
  auto c = login("slice");
  auto snaps = c.peer->of_type("snapshot");
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_EQ(extensions_in(snaps[0]), slice);
  auto full = admin.peer->of_type("snapshot").at(0)["state"];
  EXPECT_EQ(extensions_in(admin.peer->of_type("snapshot").at(0)).size(), 5006u);
  for (const auto& [key, value] : full.items()) {
    ASSERT_TRUE(snaps[0]["state"].contains(key)) << key;
    if (!value.is_array()) EXPECT_EQ(snaps[0]["state"][key], value) << key;
  }
  EXPECT_EQ(snaps[0]["state"].size(), full.size());
  size_t before = c.peer->received.size();
  status("14999", 1);
  EXPECT_EQ(c.peer->received.size(), before) << "an out-of-scope change sent bytes";
  status("10500", 1);
  EXPECT_EQ(c.peer->last()["changes"][0]["id"], "10500");
}

// The batches applied in one turn of the loop (an AMI read holding a burst of frames) leave as
// one delta per scope carrying each entity once, as it is at the end of the turn.
TEST_F(HubTest, BatchesOfOneTurnLeaveAsOneDeltaPerScopeWithEachEntityOnceAndCurrent) {
  auto c = login("sup");
  auto agent = login("agent");
  size_t before = c.peer->received.size(), agent_before = agent.peer->received.size();
  const uint64_t seq0 = engine.seq();
  status_in_turn("1001", 8);  // ringing
  status_in_turn("1005", 1);  // out of the supervisor's scope
  status_in_turn("1001", 1);  // answered
  status_in_turn("1002", 1);
  EXPECT_EQ(c.peer->received.size(), before) << "sent before the turn ended";
  settle();
  ASSERT_EQ(c.peer->received.size(), before + 1);
  auto d = c.peer->last();
  EXPECT_EQ(d["type"], "delta");
  EXPECT_EQ(d["seq"], engine.seq());
  EXPECT_GT(d["first_seq"].get<uint64_t>(), seq0);
  EXPECT_LE(d["first_seq"].get<uint64_t>(), d["seq"].get<uint64_t>());
  std::vector<std::string> ids;
  for (const auto& ch : d["changes"]) ids.push_back(ch["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"1001", "1002"}));
  EXPECT_EQ(d["changes"][0]["data"]["state"], "in_call") << "the entity as it is now, not as first changed";
  EXPECT_EQ(agent.peer->received.size(), agent_before) << "the agent's scope saw no change";
}

TEST_F(HubTest, WithoutCoalescingEveryBatchLeavesAtOnce) {
  opts.coalesce = false;
  auto c = login("sup");
  size_t before = c.peer->received.size();
  status_in_turn("1001", 1);
  EXPECT_EQ(c.peer->received.size(), before + 1);
  EXPECT_EQ(c.peer->last()["first_seq"], c.peer->last()["seq"]);
}

// Clients connecting one by one while events flow share their scope's snapshot for a moment
// and get the deltas since it: the state they end with equals a fresh snapshot's.
TEST_F(HubTest, ASharedSnapshotIsFollowedByTheDeltasSinceAndEndsAtTheFreshState) {
  auto a = login("sup");
  const auto first = a.peer->of_type("snapshot").at(0);
  status("1001", 1);
  status("1002", 8);
  const uint64_t built = hub->stats().snapshots;
  now += 100;  // within the reuse window
  auto b = login("sup-b");  // same scope
  EXPECT_EQ(hub->stats().snapshots, built) << "the scope's snapshot was rebuilt";
  auto msgs = b.peer->messages();
  ASSERT_GE(msgs.size(), 4u);
  EXPECT_EQ(msgs[1]["type"], "snapshot");
  EXPECT_EQ(msgs[1]["seq"], first["seq"]);
  // Replay what b received the way a client does and compare with a fresh snapshot.
  std::map<std::string, json> exts;
  for (const auto& e : msgs[1]["state"]["extensions"]) exts[e["extension"]] = e;
  uint64_t seq = msgs[1]["seq"];
  for (size_t i = 2; i < msgs.size(); ++i) {
    ASSERT_EQ(msgs[i]["type"], "delta");
    EXPECT_LE(msgs[i]["prev_seq"].get<uint64_t>(), seq) << "a gap";
    seq = msgs[i]["seq"];
    for (const auto& ch : msgs[i]["changes"]) {
      if (ch["op"] == "upsert") exts[ch["id"]] = ch["data"];
      else exts.erase(ch["id"].get<std::string>());
    }
  }
  EXPECT_EQ(seq, engine.seq());
  now += 300;  // past the window: a new client gets a snapshot built now
  auto fresh = login("sup").peer->of_type("snapshot").at(0);
  EXPECT_EQ(fresh["seq"], engine.seq());
  std::map<std::string, json> want;
  for (const auto& e : fresh["state"]["extensions"]) want[e["extension"]] = e;
  EXPECT_EQ(exts, want);
  EXPECT_EQ(exts.at("1002")["state"], "ringing");
}

// ---- malformed messages (#18): answered, never an exception into the transport ----------

TEST_F(HubTest, MalformedAuthMessagesGetAnErrorNamingTheFieldAndAClose_18) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":1})", "type"},
      {R"({"type":null})", "type"},
      {R"({"token":"admin","protocol":5})", "protocol"},
      {R"({"type":"auth","token":7})", "token"},
      {R"({"type":"auth","token":"admin","resume":{"epoch":"x","seq":1}})", "resume.epoch"},
      {R"({"type":"auth","token":"admin","resume":[1,2]})", "resume"},
      {R"({"type":"auth","token":"admin","resume":{"epoch":1,"seq":-4}})", "resume.seq"},
  };
  for (const auto& [text, field] : cases) {
    auto c = open();
    ASSERT_NO_THROW(c.handler->on_message(text)) << text;
    settle();
    ASSERT_TRUE(c.peer->close_code) << text;
    auto err = c.peer->of_type("error");
    if (field == "protocol") {
      ASSERT_FALSE(err.empty()) << text;  // the protocol check words it its own way
      continue;
    }
    ASSERT_EQ(err.size(), 1u) << text;
    EXPECT_EQ(err[0]["error"]["code"], "request.field.invalid") << text;
    EXPECT_EQ(err[0]["error"]["field"], field) << text;
    EXPECT_FALSE(c.peer->of_type("auth_ok").size()) << text;
  }
}

TEST_F(HubTest, MalformedMessagesAfterAuthAreAnsweredAndTheConnectionLives_18) {
  auto c = login("admin");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":1,"id":3})", "type"},
      {R"({"type":null})", "type"},
      {R"({"type":"resume","epoch":"x"})", "epoch"},
      {R"({"type":"resume","epoch":1,"seq":{}})", "seq"},
      {R"({"type":"ping","action":[]})", "action"},
  };
  for (const auto& [text, field] : cases) {
    size_t before = c.peer->received.size();
    ASSERT_NO_THROW(c.handler->on_message(text)) << text;
    settle();
    ASSERT_EQ(c.peer->received.size(), before + 1) << text;
    auto last = c.peer->last();
    EXPECT_EQ(last["type"], "error") << text;
    EXPECT_EQ(last["error"]["field"], field) << text;
  }
  EXPECT_EQ(c.peer->last().value("id", json()), json()) << "no id given, none echoed";
  c.handler->on_message(R"({"type":1,"id":3})");
  EXPECT_EQ(c.peer->last()["id"], 3);
  for (auto text : {"[]", "5", "\"x\"", "null", "{", ""}) {
    c.handler->on_message(text);
    EXPECT_EQ(c.peer->last()["error"]["code"], "request.body.invalid_json") << text;
  }
  EXPECT_FALSE(c.peer->close_code);
  c.say({{"type", "ping"}});
  EXPECT_EQ(c.peer->last()["type"], "pong");
}

TEST_F(HubTest, EveryMalformedActionMessageGetsAnActionResultWithItsId_18) {
  auto c = login("admin");
  c.handler->on_message(R"({"type":"action","id":1,"action":5})");
  settle();
  auto r = c.peer->last();
  EXPECT_EQ(r["type"], "action_result");
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["field"], "action");
  c.handler->on_message(R"({"type":"action","id":"two","action":"hangup"})");
  EXPECT_EQ(c.peer->last()["id"], "two");
  EXPECT_EQ(c.peer->last()["error"]["field"], "id");
  c.handler->on_message(R"({"type":"action","id":2})");
  EXPECT_EQ(c.peer->last()["error"]["code"], "request.field.missing");
  c.handler->on_message(R"({"type":"action","id":3,"action":null})");
  EXPECT_EQ(c.peer->last()["error"]["field"], "action");
  EXPECT_TRUE(actions.ran.empty());
}

TEST_F(HubTest, AnActionLayerExceptionIsAnsweredNotLost_18) {
  struct Throwing : ActionRunner {
    asio::awaitable<Outcome> run(const Principal&, std::string, json params, std::string) override {
      (void)params.at("missing");  // throws json::out_of_range
      co_return Outcome{};
    }
  } throwing;
  Hub h(io.get_executor(), engine, auth, throwing, opts, [this] { return now; });
  auto peer = std::make_shared<FakePeer>();
  auto acc = h.accept(peer, Request{});
  acc.handler->on_open();
  acc.handler->on_message(R"({"type":"auth","token":"admin"})");
  settle();
  acc.handler->on_message(R"({"type":"action","id":1,"action":"hangup","target":"1001"})");
  settle();
  EXPECT_EQ(peer->last()["type"], "action_result");
  EXPECT_EQ(peer->last()["id"], 1);
  EXPECT_EQ(peer->last()["error"]["code"], "server.internal");
  acc.handler->on_close();
  h.shutdown();
}

}  // namespace
}  // namespace opdesk::api
