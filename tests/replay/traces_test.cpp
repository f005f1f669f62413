// Replays the real Asterisk 22 traces (tests/traces, README there) with their recorded pacing
// and checks the panel state at the moments the README describes: sync baseline,
// registrations, queues. Calls, supervision, hold, transfers and reconnect are in
// traces_calls_test.cpp. Every trace file must have a test here or there (coverage test).
#include <gtest/gtest.h>

#include <set>

#include "trace_harness.hpp"

using namespace opdesk::testing;

namespace {

const std::set<std::string> kCovered = {
    "01-login-and-initial-sync", "02-register-endpoints", "03-internal-call-answer-hangup",
    "04-call-no-answer", "04b-caller-cancels", "05-busy-or-reject", "06-queue-call-answered-by-member",
    "07-queue-caller-abandons", "08-queue-member-pause-unpause-add-remove", "09-chanspy-listen",
    "10-chanspy-whisper", "11-chanspy-barge", "12-hold-unhold", "13-blind-transfer",
    "13b-redirect-transfer", "15-rtcp-qos", "16-originate-click-to-call", "17-ami-reconnect-mid-call",
    "20-call-to-webrtc-endpoint", "21-echo-and-playback-tests", "22-endpoint-unreachable"};

const char* kPhones[] = {"1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1101", "1102"};

}  // namespace

TEST(Traces, EveryTraceFileHasStateChecksAndReplaysWithoutLosingFrames) {
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(OPDESK_TRACE_DIR)) {
    if (entry.path().extension() != ".ami") continue;
    std::string name = entry.path().stem().string();
    ++seen;
    EXPECT_TRUE(kCovered.count(name)) << name << " has no state checks";
    auto r = replay_trace(name);
    EXPECT_GT(r->result.frames, 50u) << name;
    EXPECT_EQ(r->result.skipped, 0u) << name;  // 17's first connection stops on a frame boundary
    EXPECT_EQ(r->engine.stats().unknown_channel, 0u) << name;
    EXPECT_EQ(visible_calls(*r), 0u) << name << " ends with calls still shown";
  }
  EXPECT_EQ(seen, kCovered.size());
}

TEST(Traces, InitialSyncShowsTenIdleRegisteredExtensionsAndBothQueues) {
  auto r = replay_trace("01-login-and-initial-sync");
  EXPECT_EQ(r->st().extensions.size(), 10u);
  for (const char* e : kPhones) {
    EXPECT_EQ(state_of(*r, e), "idle") << e;
    EXPECT_TRUE(registered(*r, e)) << e;
    EXPECT_EQ(r->engine.find_extension(e)->contacts.size(), 1u) << e;
    EXPECT_EQ(r->engine.find_extension(e)->tech, "PJSIP");
  }
  EXPECT_TRUE(r->engine.find_extension("1101")->webrtc);
  EXPECT_TRUE(r->engine.find_extension("1102")->webrtc);
  EXPECT_FALSE(r->engine.find_extension("1001")->webrtc);
  EXPECT_EQ(r->engine.find_extension("1101")->contacts.begin()->second.status, "NonQualified");
  EXPECT_GT(r->engine.find_extension("1001")->contacts.begin()->second.rtt_ms, 0.0);
  EXPECT_EQ(r->engine.find_extension("1001")->contacts.begin()->second.user_agent, "baresip v1.0.0 (x86_64/linux)");
  ASSERT_EQ(queue(*r, "support").members.size(), 2u);
  EXPECT_NE(member(*r, "support", "1001"), nullptr);
  EXPECT_NE(member(*r, "support", "1002"), nullptr);
  EXPECT_NE(member(*r, "sales", "1003"), nullptr);
  EXPECT_NE(member(*r, "sales", "1004"), nullptr);
  EXPECT_EQ(member(*r, "support", "1001")->name, "Agent 1001");
  EXPECT_FALSE(member(*r, "support", "1001")->dynamic);
  EXPECT_EQ(queue(*r, "support").strategy, "ringall");
  EXPECT_TRUE(queue(*r, "support").entries.empty());
  EXPECT_TRUE(r->st().pbx.connected);
  EXPECT_EQ(r->st().pbx.banner, "Asterisk Call Manager/11.0.0");
  EXPECT_EQ(r->engine.epoch(), 1u);
}

TEST(Traces, RegistrationsComeAndGoInTrace02) {
  auto start = replay_trace("02-register-endpoints", 1.0);
  for (const char* e : kPhones) {
    EXPECT_FALSE(registered(*start, e)) << e;
    EXPECT_EQ(state_of(*start, e), "unavailable") << e;
  }
  EXPECT_EQ(member(*start, "support", "1001")->status, 5);
  auto mid = replay_trace("02-register-endpoints", 9.5);
  for (const char* e : {"1001", "1004", "1008"}) EXPECT_TRUE(registered(*mid, e)) << e;
  EXPECT_FALSE(registered(*mid, "1101"));
  auto web = replay_trace("02-register-endpoints", 12.0);
  EXPECT_TRUE(registered(*web, "1101"));
  EXPECT_TRUE(registered(*web, "1102"));
  auto off = replay_trace("02-register-endpoints", 15.0);
  EXPECT_FALSE(registered(*off, "1008"));
  EXPECT_EQ(state_of(*off, "1008"), "unavailable");
  EXPECT_TRUE(registered(*off, "1007"));
  auto end = replay_trace("02-register-endpoints");
  for (const char* e : kPhones) {
    EXPECT_TRUE(registered(*end, e)) << e;
    EXPECT_EQ(state_of(*end, e), "idle") << e;
  }
  EXPECT_EQ(member(*end, "support", "1001")->status, 1);
}

TEST(Traces, UnreachableEndpointGoesOfflineAndReturnsWithANewContact) {
  auto before = replay_trace("22-endpoint-unreachable", 4.0);
  EXPECT_TRUE(registered(*before, "1007"));
  std::string old_uri = before->engine.find_extension("1007")->contacts.begin()->first;
  auto off = replay_trace("22-endpoint-unreachable", 6.5);
  EXPECT_FALSE(registered(*off, "1007"));
  EXPECT_EQ(state_of(*off, "1007"), "unavailable");
  auto end = replay_trace("22-endpoint-unreachable");
  EXPECT_TRUE(registered(*end, "1007"));
  EXPECT_EQ(state_of(*end, "1007"), "idle");
  ASSERT_EQ(end->engine.find_extension("1007")->contacts.size(), 1u);
  EXPECT_NE(end->engine.find_extension("1007")->contacts.begin()->first, old_uri);
}

TEST(Traces, QueueCallRingsBothMembersThenConnectsTo1002AndCountsIt) {
  auto start = replay_trace("06-queue-call-answered-by-member", 0.0);
  int completed0 = queue(*start, "support").completed;
  auto ringing = replay_trace("06-queue-call-answered-by-member", 3.0);
  const auto& q = queue(*ringing, "support");
  ASSERT_EQ(q.entries.size(), 1u);
  EXPECT_EQ(q.entries[0].caller, "1005");
  EXPECT_EQ(q.entries[0].position, 1);
  EXPECT_EQ(q.entries[0].ringing.size(), 2u);
  EXPECT_EQ(state_of(*ringing, "1001"), "ringing");
  EXPECT_EQ(state_of(*ringing, "1002"), "ringing");
  EXPECT_EQ(member(*ringing, "support", "1002")->status, 6);
  auto talk = replay_trace("06-queue-call-answered-by-member", 8.0);
  auto calls = calls_with(*talk, {"1005", "1002"});
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]->queue, "support");
  EXPECT_EQ(calls[0]->parties.size(), 2u);
  EXPECT_EQ(calls[0]->recording, "q-5001-1005-20261124-063409-1795502049.8.wav");
  EXPECT_TRUE(queue(*talk, "support").entries.empty());
  EXPECT_EQ(state_of(*talk, "1001"), "idle");
  auto end = replay_trace("06-queue-call-answered-by-member");
  EXPECT_EQ(queue(*end, "support").completed, completed0 + 1);
  EXPECT_EQ(member(*end, "support", "1002")->calls_taken, 1);
  EXPECT_GT(member(*end, "support", "1002")->last_call, 0);
  EXPECT_EQ(member(*end, "support", "1001")->calls_taken, 0);
  EXPECT_EQ(member(*end, "support", "1002")->status, 1);
}

TEST(Traces, AbandonedQueueCallerIsCountedAndLeavesTheQueue) {
  auto start = replay_trace("07-queue-caller-abandons", 0.0);
  int abandoned0 = queue(*start, "sales").abandoned;
  auto wait = replay_trace("07-queue-caller-abandons", 4.0);
  ASSERT_EQ(queue(*wait, "sales").entries.size(), 1u);
  EXPECT_EQ(queue(*wait, "sales").entries[0].caller, "1006");
  EXPECT_NEAR(static_cast<double>(queue(*wait, "sales").entries[0].since - kBase), 0.0, 100.0);
  auto end = replay_trace("07-queue-caller-abandons");
  EXPECT_EQ(queue(*end, "sales").abandoned, abandoned0 + 1);
  EXPECT_TRUE(queue(*end, "sales").entries.empty());
  EXPECT_EQ(state_of(*end, "1003"), "idle");
  EXPECT_EQ(state_of(*end, "1004"), "idle");
}

TEST(Traces, MemberPauseAddPenaltyRemoveFollowTheAmiActions) {
  auto lunch = replay_trace("08-queue-member-pause-unpause-add-remove", 2.0);
  ASSERT_NE(member(*lunch, "support", "1001"), nullptr);
  EXPECT_TRUE(member(*lunch, "support", "1001")->paused);
  EXPECT_EQ(member(*lunch, "support", "1001")->reason, "Lunch");
  auto added = replay_trace("08-queue-member-pause-unpause-add-remove", 4.0);
  ASSERT_NE(member(*added, "support", "1005"), nullptr);
  EXPECT_TRUE(member(*added, "support", "1005")->dynamic);
  EXPECT_EQ(member(*added, "support", "1005")->penalty, 1);
  EXPECT_EQ(member(*added, "support", "1005")->name, "Agent 1005");
  auto sales = replay_trace("08-queue-member-pause-unpause-add-remove", 6.0);
  ASSERT_NE(member(*sales, "sales", "1005"), nullptr);
  EXPECT_TRUE(member(*sales, "sales", "1005")->paused);
  EXPECT_EQ(member(*sales, "sales", "1005")->reason, "Login paused");
  auto brk = replay_trace("08-queue-member-pause-unpause-add-remove", 9.0);
  EXPECT_EQ(member(*brk, "support", "1005")->reason, "Break");
  EXPECT_EQ(member(*brk, "sales", "1005")->reason, "Break");
  EXPECT_TRUE(member(*brk, "sales", "1005")->paused);
  auto unpaused = replay_trace("08-queue-member-pause-unpause-add-remove", 13.0);
  EXPECT_FALSE(member(*unpaused, "support", "1001")->paused);
  EXPECT_FALSE(member(*unpaused, "support", "1005")->paused);
  EXPECT_EQ(member(*unpaused, "support", "1001")->reason, "") << "the reason goes with the pause";
  auto pen = replay_trace("08-queue-member-pause-unpause-add-remove", 15.0);
  EXPECT_EQ(member(*pen, "support", "1005")->penalty, 2);
  auto rm = replay_trace("08-queue-member-pause-unpause-add-remove", 16.5);
  EXPECT_EQ(member(*rm, "support", "1005"), nullptr);
  EXPECT_NE(member(*rm, "sales", "1005"), nullptr);
  auto end = replay_trace("08-queue-member-pause-unpause-add-remove");
  EXPECT_EQ(queue(*end, "support").members.size(), 2u);
  EXPECT_EQ(queue(*end, "sales").members.size(), 2u);
  for (const auto& [q, ext] : std::vector<std::pair<std::string, std::string>>{
           {"support", "1001"}, {"support", "1002"}, {"sales", "1003"}, {"sales", "1004"}}) {
    ASSERT_NE(member(*end, q, ext), nullptr) << q << ext;
    EXPECT_FALSE(member(*end, q, ext)->paused) << q << ext;
  }
}
