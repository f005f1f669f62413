// Trace replays about calls: ringing → answered → hung up with real times, missed and busy
// calls, supervision (listen/whisper/barge), hold with its holder, blind and Redirect
// transfers, click-to-call, QoS, application calls and the reconnect in the middle of calls.
#include <gtest/gtest.h>

#include "trace_harness.hpp"

using namespace opdesk::testing;

namespace {

double secs(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

void expect_ringing_then_gone(const std::string& trace, double at, const std::string& a, const std::string& b) {
  auto ring = replay_trace(trace, at);
  auto calls = calls_with(*ring, {a, b});
  ASSERT_EQ(calls.size(), 1u) << trace;
  EXPECT_EQ(calls[0]->state, "ringing") << trace;
  EXPECT_EQ(calls[0]->answered_at, 0) << trace;
  EXPECT_EQ(calls[0]->direction, "internal");
  EXPECT_EQ(calls[0]->parties[0].extension, a);
  EXPECT_EQ(calls[0]->parties[0].role, "caller");
  EXPECT_EQ(state_of(*ring, b), "ringing") << trace;
  auto end = replay_trace(trace);
  EXPECT_EQ(visible_calls(*end), 0u) << trace;
  EXPECT_EQ(state_of(*end, a), "idle");
  EXPECT_EQ(state_of(*end, b), "idle");
}

}  // namespace

TEST(TracesCalls, InternalCallRingsIsAnsweredAndEndsWithRealTimes) {
  auto ring = replay_trace("03-internal-call-answer-hangup", 2.0);
  auto c = calls_with(*ring, {"1001", "1002"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->id, "1795501978.0");
  EXPECT_EQ(state_of(*ring, "1002"), "ringing");
  EXPECT_EQ(state_of(*ring, "1001"), "in_call");
  auto talk = replay_trace("03-internal-call-answer-hangup", 11.9);
  c = calls_with(*talk, {"1001", "1002"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->state, "up");
  EXPECT_NEAR(secs(c[0]->started_at - kBase), 0.0, 0.1);
  EXPECT_NEAR(secs(c[0]->answered_at - c[0]->started_at), 4.0, 0.1);  // ring time
  EXPECT_NEAR(secs(talk->result.now_ms - c[0]->answered_at), 7.9, 0.1);  // talk so far
  EXPECT_EQ(c[0]->recording, "internal-1002-1001-20261124-063258-1795501978.0.wav");
  EXPECT_TRUE(journey_has(*c[0], "rang", "1002"));
  EXPECT_TRUE(journey_has(*c[0], "answered", "1002"));
  EXPECT_EQ(talk->engine.calls_of_extension("1002"), std::vector<std::string>{"1795501978.0"});
  auto end = replay_trace("03-internal-call-answer-hangup");
  EXPECT_EQ(visible_calls(*end), 0u);
  EXPECT_TRUE(end->st().channels.empty());
  EXPECT_EQ(state_of(*end, "1001"), "idle");
  EXPECT_EQ(state_of(*end, "1002"), "idle");
}

TEST(TracesCalls, UnansweredCancelledAndBusyCallsRingThenDisappear) {
  expect_ringing_then_gone("04-call-no-answer", 10.0, "1003", "1004");
  expect_ringing_then_gone("04b-caller-cancels", 3.0, "1007", "1002");
  expect_ringing_then_gone("05-busy-or-reject", 1.5, "1005", "1006");
  expect_ringing_then_gone("20-call-to-webrtc-endpoint", 2.0, "1007", "1101");
  auto timeout = replay_trace("04-call-no-answer", 29.9);
  EXPECT_EQ(calls_with(*timeout, {"1003", "1004"}).size(), 1u);
}

TEST(TracesCalls, ListenSpyIsShownOnTheSpiedCallNotAsAParty) {
  auto spy = replay_trace("09-chanspy-listen", 10.0);
  auto c = calls_with(*spy, {"1001", "1002"});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0]->spied_by.size(), 1u);
  EXPECT_EQ(c[0]->spied_by[0].extension, "1008");
  EXPECT_EQ(c[0]->spied_by[0].mode, "listen");
  EXPECT_EQ(c[0]->spied_by[0].channel, "PJSIP/1008-00000010");
  EXPECT_NEAR(secs(c[0]->spied_by[0].since - kBase), 8.1, 0.2);
  EXPECT_EQ(c[0]->parties.size(), 2u);
  EXPECT_FALSE(has_party(*c[0], "1008"));
  EXPECT_TRUE(calls_with(*spy, {"1008"}).empty());  // the spy leg is no call of its own
  EXPECT_EQ(visible_calls(*spy), 1u);
  auto after = replay_trace("09-chanspy-listen", 15.0);
  c = calls_with(*after, {"1001", "1002"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0]->spied_by.empty());
  EXPECT_EQ(visible_calls(*replay_trace("09-chanspy-listen")), 0u);
}

TEST(TracesCalls, WhisperAndBargeModesComeFromTheSpyDialplan) {
  auto w = replay_trace("10-chanspy-whisper", 9.0);
  auto c = calls_with(*w, {"1003", "1004"});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0]->spied_by.size(), 1u);
  EXPECT_EQ(c[0]->spied_by[0].mode, "whisper");
  auto wend = replay_trace("10-chanspy-whisper");
  EXPECT_EQ(visible_calls(*wend), 0u);
  for (const char* e : {"1003", "1004", "1008"}) EXPECT_EQ(state_of(*wend, e), "idle") << e;
  auto b = replay_trace("11-chanspy-barge", 8.0);
  c = calls_with(*b, {"1005", "1006"});
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(c[0]->spied_by.size(), 1u);
  EXPECT_EQ(c[0]->spied_by[0].mode, "barge");
  EXPECT_EQ(c[0]->spied_by[0].extension, "1008");
  auto bafter = replay_trace("11-chanspy-barge", 12.0);
  c = calls_with(*bafter, {"1005", "1006"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0]->spied_by.empty());
}

TEST(TracesCalls, HoldShowsWhoHeldAndAccumulatesHoldTime) {
  auto h1 = replay_trace("12-hold-unhold", 7.0);
  auto c = calls_with(*h1, {"1001", "1003"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0]->on_hold);
  EXPECT_EQ(c[0]->state, "held");
  EXPECT_EQ(c[0]->held_by, "1001");
  EXPECT_EQ(state_of(*h1, "1003"), "on_hold");
  auto r1 = replay_trace("12-hold-unhold", 11.0);
  c = calls_with(*r1, {"1001", "1003"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0]->on_hold);
  EXPECT_NEAR(secs(c[0]->hold_ms), 5.0, 0.2);
  auto h2 = replay_trace("12-hold-unhold", 15.0);
  c = calls_with(*h2, {"1001", "1003"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0]->on_hold);
  EXPECT_EQ(c[0]->held_by, "1003");
  EXPECT_EQ(state_of(*h2, "1001"), "on_hold");
  auto r2 = replay_trace("12-hold-unhold", 18.0);
  c = calls_with(*r2, {"1001", "1003"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0]->on_hold);
  EXPECT_NEAR(secs(c[0]->hold_ms), 9.0, 0.2);
  EXPECT_TRUE(journey_has(*c[0], "held", "1003"));
  EXPECT_TRUE(journey_has(*c[0], "resumed"));
  auto end = replay_trace("12-hold-unhold");
  EXPECT_EQ(visible_calls(*end), 0u);
  EXPECT_EQ(state_of(*end, "1001"), "idle");
  EXPECT_EQ(state_of(*end, "1003"), "idle");
}

TEST(TracesCalls, BlindTransferLeaves1004TalkingTo1002) {
  auto before = replay_trace("13-blind-transfer", 4.0);
  EXPECT_EQ(calls_with(*before, {"1004", "1001"}).size(), 1u);
  auto after = replay_trace("13-blind-transfer", 10.0);
  auto c = calls_with(*after, {"1004", "1002"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(has_party(*c[0], "1001"));
  EXPECT_EQ(c[0]->parties.size(), 2u);
  EXPECT_TRUE(c[0]->transferred);
  EXPECT_TRUE(journey_has(*c[0], "transferred", "1002"));
  EXPECT_EQ(c[0]->id, "1795502191.25");  // the same call continues
  EXPECT_EQ(state_of(*after, "1001"), "idle");
  EXPECT_EQ(visible_calls(*replay_trace("13-blind-transfer")), 0u);
}

TEST(TracesCalls, RedirectLeaves1005TalkingTo1003) {
  auto before = replay_trace("13b-redirect-transfer", 4.0);
  EXPECT_EQ(calls_with(*before, {"1005", "1007"}).size(), 1u);
  auto after = replay_trace("13b-redirect-transfer", 10.0);
  auto c = calls_with(*after, {"1005", "1003"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(has_party(*c[0], "1007"));
  for (const auto& [id, call] : after->st().calls) EXPECT_FALSE(has_party(call, "1007"));
  EXPECT_TRUE(c[0]->transferred);
  EXPECT_TRUE(journey_has(*c[0], "transferred", "1003"));
  EXPECT_EQ(visible_calls(*replay_trace("13b-redirect-transfer")), 0u);
}

TEST(TracesCalls, RtcpReportsGiveTheCallItsQos) {
  auto r = replay_trace("15-rtcp-qos", 17.5);
  auto c = calls_with(*r, {"1006", "1007"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0]->qos.present);
  EXPECT_EQ(c[0]->qos.loss_pct, 0.0);
  EXPECT_LT(c[0]->qos.jitter_ms, 5.0);
  EXPECT_LT(c[0]->qos.rtt_ms, 1.0);
  EXPECT_NEAR(c[0]->qos.mes, 88.1, 0.01);
}

TEST(TracesCalls, ClickToCallUsesTheOriginateChannelIdAsCallId) {
  auto r = replay_trace("16-originate-click-to-call", 7.0);
  auto c = calls_with(*r, {"1001", "1004"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->id, "c2c-1001-1795502270938");
  EXPECT_EQ(c[0]->recording, "internal-1004-1001-20261124-063752-c2c-1001-1795502270938.wav");
  EXPECT_EQ(visible_calls(*replay_trace("16-originate-click-to-call")), 0u);
}

TEST(TracesCalls, EchoAndPlaybackAreSinglePartyCallsOf1008) {
  auto echo = replay_trace("21-echo-and-playback-tests", 4.0);
  auto c = calls_with(*echo, {"1008"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->destination, "600");
  EXPECT_EQ(c[0]->parties.size(), 1u);
  auto play = replay_trace("21-echo-and-playback-tests", 20.0);
  c = calls_with(*play, {"1008"});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->destination, "601");
  auto end = replay_trace("21-echo-and-playback-tests");
  EXPECT_EQ(visible_calls(*end), 0u);
  EXPECT_EQ(state_of(*end, "1008"), "idle");
}

TEST(TracesCalls, ReconnectMidCallRestoresBothCallsAndHoldWithoutDuplicates) {
  auto first = replay_trace("17-ami-reconnect-mid-call", 4.0);
  ASSERT_EQ(calls_with(*first, {"1002", "1003"}).size(), 1u);
  int64_t started = calls_with(*first, {"1002", "1003"})[0]->started_at;
  EXPECT_EQ(first->engine.epoch(), 1u);
  auto resync = replay_trace("17-ami-reconnect-mid-call", 13.5);
  EXPECT_EQ(resync->engine.epoch(), 2u);
  auto a = calls_with(*resync, {"1002", "1003"});
  auto b = calls_with(*resync, {"1005", "1006"});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(visible_calls(*resync), 2u);
  EXPECT_EQ(resync->st().channels.size(), 4u);
  EXPECT_EQ(a[0]->started_at, started);  // no jump on reconnect
  EXPECT_EQ(a[0]->parties.size(), 2u);
  EXPECT_NEAR(secs(b[0]->started_at - kBase), 5.0, 0.1);  // now (12 s) − Duration 7 s
  EXPECT_EQ(b[0]->id, "1795502290.42");
  EXPECT_EQ(b[0]->state, "up");
  EXPECT_TRUE(a[0]->on_hold);
  EXPECT_EQ(a[0]->held_by, "1002");
  EXPECT_EQ(state_of(*resync, "1003"), "on_hold");
  auto resumed = replay_trace("17-ami-reconnect-mid-call", 16.0);
  a = calls_with(*resumed, {"1002", "1003"});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0]->on_hold);
  EXPECT_NE(state_of(*resumed, "1003"), "on_hold");
  auto end = replay_trace("17-ami-reconnect-mid-call");
  EXPECT_EQ(visible_calls(*end), 0u);
  EXPECT_TRUE(end->st().channels.empty());
  for (const char* e : {"1002", "1003", "1005", "1006"}) EXPECT_EQ(state_of(*end, e), "idle") << e;
  EXPECT_TRUE(end->st().pbx.connected);
}
