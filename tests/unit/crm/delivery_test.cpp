// CRM push against a real local HTTP receiver and a real SQLite outbox: auth modes, signature,
// idempotency, retries, permanent failures, OAuth2 refresh, and a restart in the middle.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <map>
#include <set>
#include <thread>

#include "crm/crm_service.hpp"
#include "crm/signing.hpp"
#include "support/http_receiver.hpp"
#include "store/crm_outbox.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace asio = boost::asio;
using namespace opdesk;
using namespace opdesk::crm;

namespace {

struct Panel {  // one "panel run": event loop thread + store + CRM service
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<CrmService> svc;
  std::thread thread;

  Panel(const std::string& db, CrmConfig cfg) {
    store::DbConfig dc;
    dc.sqlite_path = db;
    store = std::make_unique<store::Store>(dc);
    CrmServiceOptions o;
    o.retry = RetryPolicy{10, 40, 1000, 0.5, 50};
    svc = std::make_unique<CrmService>(io.get_executor(), *store, cfg, o);
    svc->migrate();
    svc->start();
    thread = std::thread([this] { io.run(); });
  }
  ~Panel() {
    svc.reset();
    guard.reset();
    thread.join();
    store.reset();
  }
  // The coroutine is created on the loop thread (asio frames belong to the loop's threads).
  template <class F>
  auto run(F f) {
    return asio::co_spawn(io, std::move(f), asio::use_future).get();
  }
  bool wait_status(const std::string& status, int64_t n) {
    for (int i = 0; i < 4000; ++i) {
      if (svc->outbox().count(status) == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
};

CrmConfig config_for(const test::HttpReceiver& rx) {
  CrmConfig c;
  c.enabled = true;
  c.server_url = rx.url();
  c.endpoint_path = "/api/calls";
  c.api_key = "key-123";
  c.signing_secret = "sign-secret";
  c.timeout_s = 1;
  return c;
}

CallRecord call(const std::string& id) {
  CallRecord r;
  r.linkedid = id;
  r.caller_number = "+15551234567";
  r.callee_number = "201";
  r.start_ms = 1700000000000;
  r.end_ms = 1700000065000;
  r.outcome = Outcome::kAnswered;
  return r;
}

}  // namespace

TEST(CrmDelivery, ApiKeyCallIsSignedAndKeepsItsIdempotencyKeyAcrossRetries) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  rx.script(test::Reply{503, "busy", {{"Retry-After", "0"}}, 0});
  rx.script(test::Reply{429, "slow down", {}, 0});
  Panel p(dir.file("crm.db"), config_for(rx));
  EXPECT_TRUE(p.run([&] { return p.svc->enqueue(call("L1"), CallEvent::kEnded); }));
  EXPECT_FALSE(p.run([&] { return p.svc->enqueue(call("L1"), CallEvent::kEnded); }));  // duplicate: one row
  ASSERT_TRUE(p.wait_status("delivered", 1));
  auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/calls");
    EXPECT_EQ(r.header("x-api-key"), "key-123");
    EXPECT_EQ(r.header("idempotency-key"), idempotency_key("L1", "ended"));
    const std::string sig = r.header("x-opdesk-signature");
    auto comma = sig.find(",v1=");
    ASSERT_EQ(sig.rfind("t=", 0), 0u);
    std::string t = sig.substr(2, comma - 2);
    EXPECT_EQ(sig.substr(comma + 4), hmac_sha256_hex("sign-secret", t + "." + r.body));
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["callId"], "L1");
    EXPECT_EQ(body["duration"], "00:01:05");
  }
  auto row = p.svc->outbox().query({}).items.at(0);
  EXPECT_EQ(row.attempts, 3);
  EXPECT_EQ(row.response_code, 200);
}

TEST(CrmDelivery, BasicAndBearerHeadersReachTheReceiver) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  CrmConfig c = config_for(rx);
  c.auth_type = AuthType::kBasic;
  c.username = "crm";
  c.password = "pw";
  Panel p(dir.file("crm.db"), c);
  p.run([&] { return p.svc->enqueue(call("B1"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 1));
  EXPECT_EQ(rx.requests().back().header("authorization"), "Basic " + base64("crm:pw"));
  c.auth_type = AuthType::kBearer;
  c.bearer_token = "tkn";
  c.sync_method = "PUT";
  p.svc->set_config(c);
  p.run([&] { return p.svc->enqueue(call("B2"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 2));
  EXPECT_EQ(rx.requests().back().header("authorization"), "Bearer tkn");
  EXPECT_EQ(rx.requests().back().method, "PUT");
  EXPECT_EQ(rx.requests().back().header("x-api-key"), "");
}

TEST(CrmDelivery, OAuth2TokenIsFetchedOnceCachedAndRefreshedAfter401) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  rx.enable_oauth2("/oauth/token", "cid", "csec", 3600);
  CrmConfig c = config_for(rx);
  c.auth_type = AuthType::kOAuth2;
  c.oauth2_client_id = "cid";
  c.oauth2_client_secret = "csec";
  c.oauth2_token_url = rx.url("/oauth/token");
  Panel p(dir.file("crm.db"), c);
  p.run([&] { return p.svc->enqueue(call("O1"), CallEvent::kEnded); });
  p.run([&] { return p.svc->enqueue(call("O2"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 2));
  EXPECT_EQ(rx.tokens_issued(), 1);
  rx.rotate_token();
  p.run([&] { return p.svc->enqueue(call("O3"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 3));
  EXPECT_EQ(rx.tokens_issued(), 2);
  EXPECT_EQ(rx.requests().back().header("authorization"), "Bearer tok-2");
  EXPECT_EQ(p.svc->outbox().count("failed"), 0);
}

TEST(CrmDelivery, APermanent4xxStopsAndIsMarkedFailedThenResendDelivers) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  rx.script(test::Reply{422, std::string(3000, 'x'), {}, 0});
  Panel p(dir.file("crm.db"), config_for(rx));
  p.run([&] { return p.svc->enqueue(call("F1"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("failed", 1));
  auto row = p.svc->outbox().query({}).items.at(0);
  EXPECT_EQ(row.response_code, 422);
  EXPECT_EQ(row.response_excerpt.size(), 1024u);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(p.run([&] { return p.svc->resend({row.id, 9999}); }), 1);
  ASSERT_TRUE(p.wait_status("delivered", 1));
  EXPECT_EQ(rx.request_count(), 2u);
}

TEST(CrmDelivery, EveryCallArrivesInOrderDespite503TimeoutsReceiverDownAndAPanelRestart) {
  test::TempDir dir;
  test::HttpReceiver rx;
  uint16_t port = rx.start();
  rx.set_default(test::Reply{503, "down", {}, 0});
  rx.script(test::Reply{200, "{}", {}, 1500});  // the first answer comes after the client timed out
  CrmConfig c = config_for(rx);
  c.push_ringing = true;
  c.push_answered = true;
  const std::vector<CallEvent> events = {CallEvent::kRinging, CallEvent::kAnswered, CallEvent::kEnded};
  {
    Panel p(dir.file("crm.db"), c);
    for (int i = 0; i < 4; ++i) {
      for (auto ev : events) p.svc->push(call("C" + std::to_string(i)), ev);
    }
    ASSERT_TRUE(rx.wait_for([](auto& r) { return r.size() >= 6; }));
    rx.stop();  // receiver down while the panel restarts
  }
  rx.set_default(test::Reply{200, "{}", {}, 0});
  Panel p2(dir.file("crm.db"), c);
  p2.svc->push(call("C4"), CallEvent::kEnded);
  rx.start(port);
  ASSERT_TRUE(p2.wait_status("delivered", 13));
  EXPECT_EQ(p2.svc->outbox().count("pending"), 0);
  std::map<std::string, std::vector<std::string>> first_seen;  // call → events in arrival order
  std::set<std::string> keys;
  for (const auto& r : rx.requests()) {
    auto body = nlohmann::json::parse(r.body);
    auto& seen = first_seen[body["callId"]];
    std::string ev = body["event"];
    if (std::find(seen.begin(), seen.end(), ev) == seen.end()) seen.push_back(ev);
    keys.insert(r.header("idempotency-key"));
  }
  EXPECT_EQ(keys.size(), 13u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(first_seen["C" + std::to_string(i)],
              (std::vector<std::string>{"ringing", "answered", "ended"}));
  }
  EXPECT_EQ(first_seen["C4"], std::vector<std::string>{"ended"});
}
