// CRM push against a real local HTTP receiver and a real SQLite outbox: auth modes, signature,
// idempotency, retries, permanent failures, OAuth2 refresh, and a restart in the middle.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "crm/signing.hpp"
#include "crm_panel.hpp"
#include "support/temp_dir.hpp"

using namespace opdesk;
using namespace opdesk::crm;

namespace {

using Panel = CrmPanel;
CrmConfig config_for(const test::HttpReceiver& rx) { return test_config(rx); }
CallRecord call(const std::string& id) { return test_call(id); }

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
  // The receiver de-duplicates by Idempotency-Key, as the README tells CRM receivers to: the
  // first 2xx answer for a key is the one delivery that counts.
  std::map<std::string, std::vector<std::string>> accepted;  // call → events, in acceptance order
  std::set<std::string> keys, accepted_keys;
  for (const auto& r : rx.requests()) {
    auto body = nlohmann::json::parse(r.body);
    std::string key = r.header("idempotency-key");
    EXPECT_EQ(key, idempotency_key(body["callId"].get<std::string>(), body["event"].get<std::string>()));
    keys.insert(key);
    if (r.reply_status == 200 && accepted_keys.insert(key).second) {
      accepted[body["callId"]].push_back(body["event"]);
    }
  }
  EXPECT_EQ(keys.size(), 13u);
  EXPECT_EQ(accepted_keys.size(), 13u);  // every (call, event) accepted, none lost
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(accepted["C" + std::to_string(i)],
              (std::vector<std::string>{"ringing", "answered", "ended"}));
  }
  EXPECT_EQ(accepted["C4"], std::vector<std::string>{"ended"});
  EXPECT_GT(rx.request_count(), 13u);  // the faults really caused retries
}

TEST(CrmDelivery, A429WaitsForRetryAfterOnTheServiceClock) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  rx.script(test::Reply{429, "slow down", {{"Retry-After", "7"}}, 0});
  std::atomic<int64_t> clock{1800000000000};
  CrmServiceOptions o = Panel::fast_options();
  o.retry.max_ms = 60000;  // Retry-After up to a minute is honoured as given
  o.now_ms = [&clock] { return clock.load(); };
  Panel p(dir.file("crm.db"), config_for(rx), o);
  p.run([&] { return p.svc->enqueue(call("R1"), CallEvent::kEnded); });
  ASSERT_TRUE(rx.wait_for([](auto& r) { return r.size() == 1; }));
  store::CrmDelivery row;
  for (int i = 0; i < 2000; ++i) {  // until the attempt is recorded
    row = p.svc->outbox().query({}).items.at(0);
    if (row.attempts == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(row.attempts, 1);
  EXPECT_EQ(row.status, "pending");
  EXPECT_EQ(row.response_code, 429);
  EXPECT_EQ(row.next_at, clock.load() + 7000);  // the receiver's delay, not our 10 ms backoff
  clock += 6999;
  p.svc->set_config(config_for(rx));  // wakes the sender: still not due
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(rx.request_count(), 1u);
  clock += 1;
  ASSERT_TRUE(p.wait_status("delivered", 1));
  EXPECT_EQ(rx.request_count(), 2u);
}

TEST(CrmDelivery, FieldSelectionRenamingOutcomeMapSecondsAndDirectionFilterShapeWhatArrives) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  CrmConfig c = config_for(rx);
  c.sync_fields = {"caller", "destination", "call_type", "duration", "talk_time", "call_status"};
  c.sync_key_map = {{"caller", "from"}, {"destination", "to"}};
  c.sync_status_map = {{"no_answer", "missed"}};
  c.sync_duration_format = "seconds";
  c.sync_dir_internal = false;
  ASSERT_NO_THROW(validate(c));
  Panel p(dir.file("crm.db"), c);
  CallRecord missed = call("P1");
  missed.outcome = Outcome::kNoAnswer;
  missed.answer_ms = 0;
  CallRecord internal = call("P2");
  internal.direction = Direction::kInternal;
  EXPECT_FALSE(p.run([&] { return p.svc->enqueue(internal, CallEvent::kEnded); }));
  EXPECT_TRUE(p.run([&] { return p.svc->enqueue(missed, CallEvent::kEnded); }));
  ASSERT_TRUE(p.wait_status("delivered", 1));
  ASSERT_EQ(rx.request_count(), 1u);
  auto body = nlohmann::json::parse(rx.requests().at(0).body);
  EXPECT_EQ(body, (nlohmann::json{{"event", "ended"}, {"callId", "P1"}, {"from", "+15551234567"},
                                  {"to", "201"}, {"callType", "inbound"}, {"durationInSeconds", 65},
                                  {"talkTimeInSeconds", 0}, {"status", "missed"}}));
  c.sync_duration_format = "hms";
  c.sync_dir_internal = true;
  p.svc->set_config(c);
  EXPECT_TRUE(p.run([&] { return p.svc->enqueue(internal, CallEvent::kEnded); }));
  ASSERT_TRUE(p.wait_status("delivered", 2));
  auto body2 = nlohmann::json::parse(rx.requests().back().body);
  EXPECT_EQ(body2["duration"], "00:01:05");
  EXPECT_EQ(body2["callType"], "internal");
  EXPECT_EQ(body2["status"], "ANSWERED");
}

TEST(CrmDelivery, RecordingLinksAreSignedAtSendTimeWithTheConfiguredBase) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  CrmConfig c = config_for(rx);
  c.recording_base_url = "https://panel.example.com";
  CrmServiceOptions o = Panel::fast_options();
  o.sign_recording = [](const std::string& file, const CrmConfig& cfg) {
    return cfg.recording_base_url + "/api/recordings/" + file + "?sig=abc";
  };
  Panel p(dir.file("crm.db"), c, o);
  CallRecord r = call("REC1");
  r.recording_file = "2026/11/25/out-201-REC1.wav";
  p.run([&] { return p.svc->enqueue(r, CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 1));
  auto body = nlohmann::json::parse(rx.requests().at(0).body);
  EXPECT_EQ(body["recordingUrl"], "https://panel.example.com/api/recordings/2026/11/25/out-201-REC1.wav?sig=abc");
  auto stored = p.svc->outbox().query({}).items.at(0);
  EXPECT_EQ(stored.body.find("sig=abc"), std::string::npos);  // the log keeps the file, not a link
}
