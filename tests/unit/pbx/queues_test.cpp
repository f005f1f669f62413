// Queues: members from every QueueMember* event (pause reasons of Asterisk 16 and 18+),
// waiting callers with positions and the members rung for them, counters.
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

namespace {
// A full member as Asterisk sends it; `extra` overrides fields by name.
Fields member(const std::string& event, const std::string& q, const std::string& iface, const Fields& extra = {}) {
  Fields f = ev(event) + Fields{{"Queue", q}, {"MemberName", "Agent"}, {"Interface", iface}, {"StateInterface", iface},
                                {"Membership", "dynamic"}, {"Penalty", "0"}, {"CallsTaken", "0"}, {"LastCall", "0"},
                                {"InCall", "0"}, {"Status", "1"}, {"Paused", "0"}};
  for (const auto& [k, v] : extra) {
    bool replaced = false;
    for (auto& [fk, fv] : f) {
      if (fk == k) fv = v, replaced = true;
    }
    if (!replaced) f.emplace_back(k, v);
  }
  return f;
}
const Queue& q(const Pbx& p, const std::string& name) { return p.e.state().queues.at(name); }
}  // namespace

TEST(Queues, PauseReasonComesFromPausedReasonOrTheOlderReasonField) {
  Pbx p;
  p.feed(member("QueueMemberAdded", "support", "PJSIP/1005"));
  EXPECT_TRUE(q(p, "support").members.at("PJSIP/1005").dynamic);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1005").extension, "1005");
  p.feed(member("QueueMemberPause", "support", "PJSIP/1005", {{"Paused", "1"}, {"PausedReason", "Lunch"}}));
  EXPECT_TRUE(q(p, "support").members.at("PJSIP/1005").paused);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1005").reason, "Lunch");
  Fields v16 = member("QueueMemberPause", "support", "PJSIP/1005", {{"Paused", "1"}});
  v16.emplace_back("Reason", "Break");  // Asterisk 16 names it Reason
  p.feed(v16);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1005").reason, "Break");
  p.feed(member("QueueMemberPause", "support", "PJSIP/1005", {{"Paused", "0"}}));
  EXPECT_FALSE(q(p, "support").members.at("PJSIP/1005").paused);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1005").reason, "") << "an unpaused member shows no reason";
  p.feed(member("QueueMemberPenalty", "support", "PJSIP/1005", {{"Penalty", "3"}}));
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1005").penalty, 3);
  p.feed(member("QueueMemberRinginuse", "support", "PJSIP/1005", {{"Ringinuse", "1"}}));
  EXPECT_TRUE(q(p, "support").members.at("PJSIP/1005").ringinuse);
  p.feed(member("QueueMemberRemoved", "support", "PJSIP/1005"));
  EXPECT_TRUE(q(p, "support").members.empty());
}

TEST(Queues, LocalChannelMembersNameTheirExtension) {
  Pbx p;
  p.feed(member("QueueMemberAdded", "sales", "Local/1003@from-queue/n", {{"StateInterface", "PJSIP/1003"}}));
  EXPECT_EQ(q(p, "sales").members.at("Local/1003@from-queue/n").extension, "1003");
}

TEST(Queues, CallersAreNumberedRungForAndCounted) {
  Pbx p;
  p.feed(ev("QueueParams") + Fields{{"Queue", "support"}, {"Strategy", "ringall"}, {"Completed", "3"},
                                    {"Abandoned", "1"}, {"Holdtime", "5"}});
  p.feed(member("QueueMember", "support", "PJSIP/1001"));
  p.newchannel("PJSIP/1005-00000001", "q1", "q1", 6, "5001");
  p.newchannel("PJSIP/1006-00000002", "q2", "q2", 6, "5001");
  p.feed(ev("QueueCallerJoin") + chan("PJSIP/1005-00000001", "q1", "q1") + Fields{{"Queue", "support"}, {"Position", "1"}});
  p.at(2);
  p.feed(ev("QueueCallerJoin") + chan("PJSIP/1006-00000002", "q2", "q2") + Fields{{"Queue", "support"}, {"Position", "2"}});
  ASSERT_EQ(q(p, "support").entries.size(), 2u);
  EXPECT_EQ(q(p, "support").entries[1].caller, "1006");
  EXPECT_EQ(q(p, "support").entries[1].since, p.now);
  EXPECT_EQ(p.e.find_call("q1")->queue, "support");
  p.feed(ev("AgentCalled") + chan("PJSIP/1005-00000001", "q1", "q1") + chan("PJSIP/1001-00000003", "q3", "q1", 0, "Dest") +
         Fields{{"Queue", "support"}, {"Interface", "PJSIP/1001"}, {"MemberName", "Agent"}});
  EXPECT_EQ(q(p, "support").entries[0].ringing, std::vector<std::string>{"PJSIP/1001"});
  p.feed(ev("AgentRingNoAnswer") + chan("PJSIP/1005-00000001", "q1", "q1") + Fields{{"Queue", "support"}, {"Interface", "PJSIP/1001"}});
  EXPECT_TRUE(q(p, "support").entries[0].ringing.empty());
  p.feed(ev("QueueCallerAbandon") + chan("PJSIP/1005-00000001", "q1", "q1") + Fields{{"Queue", "support"}, {"Position", "1"}});
  p.feed(ev("QueueCallerLeave") + chan("PJSIP/1005-00000001", "q1", "q1") + Fields{{"Queue", "support"}, {"Position", "1"}});
  ASSERT_EQ(q(p, "support").entries.size(), 1u);
  EXPECT_EQ(q(p, "support").entries[0].position, 1);  // the next caller moved up
  EXPECT_EQ(q(p, "support").abandoned, 2);
  p.feed(ev("AgentConnect") + chan("PJSIP/1006-00000002", "q2", "q2") + Fields{{"Queue", "support"}, {"Interface", "PJSIP/1001"}});
  EXPECT_TRUE(q(p, "support").members.at("PJSIP/1001").in_call);
  p.feed(ev("AgentComplete") + chan("PJSIP/1006-00000002", "q2", "q2") +
         Fields{{"Queue", "support"}, {"Interface", "PJSIP/1001"}, {"Reason", "caller"}});
  EXPECT_EQ(q(p, "support").completed, 4);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1001").calls_taken, 1);
  EXPECT_EQ(q(p, "support").members.at("PJSIP/1001").last_call, p.now / 1000);
  EXPECT_FALSE(q(p, "support").members.at("PJSIP/1001").in_call);
}

TEST(Queues, StatusEventsCarryAbsoluteMemberFigures) {
  Pbx p;
  p.feed(member("QueueMemberStatus", "support", "PJSIP/1002", {{"Status", "6"}, {"CallsTaken", "7"}, {"LastCall", "1795502062"}}));
  const QueueMember& m = q(p, "support").members.at("PJSIP/1002");
  EXPECT_EQ(m.status, 6);
  EXPECT_EQ(m.calls_taken, 7);
  EXPECT_EQ(m.last_call, 1795502062);
  p.feed(ev("QueueSummary") + Fields{{"Queue", "support"}, {"HoldTime", "9"}, {"TalkTime", "31"}});
  EXPECT_EQ(q(p, "support").holdtime, 9);
  EXPECT_EQ(q(p, "support").talktime, 31);
}
