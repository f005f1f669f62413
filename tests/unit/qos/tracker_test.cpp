// QosTracker with synthetic RTCP frames: directions, loss math, throttling, alerts, summaries,
// codec hints and caps. Time is injected.
#include "qos/tracker.hpp"

#include <gtest/gtest.h>

using namespace opdesk::qos;
using opdesk::ami::Message;

namespace {

struct Rtcp {
  std::string event = "RTCPReceived";
  std::string uniqueid = "100.1", linkedid = "100.1", channel = "PJSIP/1003-00000001";
  std::string caller = "1003", connected = "1005";
  int fraction = 0;
  long long cum = 0;
  long long seq = 1000, cycles = 0;
  long long jitter = 8;
  std::string ssrc = "0x0000abcd";
  std::string rtt = "0.0200";
  std::string lsr = "123";
  std::string mes = "88.1";
  int count = 1;
};

Message make(const Rtcp& r) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"Event", r.event}, {"Channel", r.channel}, {"CallerIDNum", r.caller}, {"ConnectedLineNum", r.connected},
      {"Uniqueid", r.uniqueid}, {"Linkedid", r.linkedid}, {"SSRC", "0x11111111"}, {"PT", "201(RR)"},
      {"ReportCount", std::to_string(r.count)}};
  if (r.event == "RTCPReceived") f.push_back({"RTT", r.rtt});
  if (!r.mes.empty()) f.push_back({"MES", r.mes});
  if (r.count > 0) {
    f.insert(f.end(), {{"Report0SourceSSRC", r.ssrc}, {"Report0FractionLost", std::to_string(r.fraction)},
                       {"Report0CumulativeLost", std::to_string(r.cum)}, {"Report0HighestSequence", std::to_string(r.seq)},
                       {"Report0SequenceNumberCycles", std::to_string(r.cycles)}, {"Report0IAJitter", std::to_string(r.jitter)},
                       {"Report0LSR", r.lsr}, {"Report0DLSR", "0.0010"}});
  }
  return Message::from_fields(f);
}

}  // namespace

TEST(QosTracker, RtcpSentIsRxAndRtcpReceivedIsTxWithRtt) {
  QosTracker t;
  Rtcp r;
  r.jitter = 80;  // 10 ms at 8 kHz
  EXPECT_EQ(t.apply(make(r), 1000), ApplyResult::kApplied);
  r.event = "RTCPSent";
  r.jitter = 16;
  r.mes = "80.0";
  EXPECT_EQ(t.apply(make(r), 1100), ApplyResult::kApplied);
  auto leg = t.leg("100.1");
  ASSERT_TRUE(leg);
  EXPECT_TRUE(leg->tx.present);
  EXPECT_TRUE(leg->rx.present);
  EXPECT_DOUBLE_EQ(leg->tx.jitter_ms, 10.0);
  EXPECT_DOUBLE_EQ(leg->rx.jitter_ms, 2.0);
  EXPECT_DOUBLE_EQ(*leg->rtt_ms, 20.0);
  EXPECT_DOUBLE_EQ(*leg->tx.mes, 88.1);
  EXPECT_DOUBLE_EQ(*leg->rx.mes, 80.0);
  EXPECT_DOUBLE_EQ(*leg->rx.mos_from_mes, 4.0);
  auto call = t.call("100.1");
  ASSERT_TRUE(call);
  EXPECT_EQ(call->grade, Grade::kGood);
  EXPECT_DOUBLE_EQ(call->jitter_ms, 10.0);
  EXPECT_DOUBLE_EQ(*call->mes, 80.0);
  EXPECT_EQ(call->parties, (std::vector<std::string>{"1003", "1005"}));
}

TEST(QosTracker, NonQosFramesAreIgnoredAndMalformedRtcpIsRejectedWithACode) {
  QosTracker t;
  EXPECT_EQ(t.apply(Message::from_fields({{"Event", "Newchannel"}, {"Uniqueid", "1"}}), 0), ApplyResult::kIgnored);
  EXPECT_EQ(t.apply(Message::from_fields({{"Event", "RTCPSent"}, {"ReportCount", "1"}}), 0), ApplyResult::kRejected);
  EXPECT_EQ(t.last_error(), "qos.rtcp.no_uniqueid");
  Message bad = Message::from_fields({{"Event", "RTCPSent"}, {"Uniqueid", "1"}, {"ReportCount", "1"},
                                      {"Report0SourceSSRC", "0x1"}, {"Report0FractionLost", "x"}});
  EXPECT_EQ(t.apply(bad, 0), ApplyResult::kRejected);
  EXPECT_EQ(t.last_error(), "qos.rtcp.bad_block: Report0");
  EXPECT_EQ(t.channel_count(), 0u);
}

TEST(QosTracker, ReportCountZeroKeepsTheLegWithoutAStream) {
  QosTracker t;
  Rtcp r;
  r.count = 0;
  EXPECT_EQ(t.apply(make(r), 0), ApplyResult::kApplied);
  EXPECT_FALSE(t.leg("100.1")->tx.present);
  EXPECT_EQ(t.call("100.1")->grade, Grade::kUnknown);
}

TEST(QosTracker, CumulativeLossUsesExtendedSequenceAcrossAWrap) {
  QosTracker t;
  Rtcp r;
  r.seq = 65000;
  r.cum = 0;
  t.apply(make(r), 0);
  r.seq = 464;  // 1000 packets later, across the 16-bit wrap
  r.cycles = 1;
  r.cum = 30;
  r.fraction = 8;
  t.apply(make(r), 5000);
  auto leg = t.leg("100.1");
  EXPECT_EQ(leg->tx.expected_packets, 1000);
  EXPECT_DOUBLE_EQ(leg->tx.cumulative_loss_pct, 3.0);
  EXPECT_DOUBLE_EQ(leg->tx.loss_pct, 8 * 100.0 / 256);
  EXPECT_DOUBLE_EQ(t.call("100.1")->cumulative_loss_pct, 3.0);
  EXPECT_DOUBLE_EQ(t.call("100.1")->loss_pct, 8 * 100.0 / 256);
  // Same again but the sender forgot to count the cycle.
  QosTracker u;
  r = Rtcp{};
  r.seq = 65000;
  u.apply(make(r), 0);
  r.seq = 464;
  r.cum = 50;
  u.apply(make(r), 5000);
  EXPECT_EQ(u.leg("100.1")->tx.expected_packets, 1000);
  EXPECT_DOUBLE_EQ(u.leg("100.1")->tx.cumulative_loss_pct, 5.0);
}

TEST(QosTracker, NegativeCumulativeLostFromDuplicatesIsZeroPercent) {
  QosTracker t;
  Rtcp r;
  t.apply(make(r), 0);
  r.seq = 1500;
  r.cum = 16777214;  // -2 as Asterisk prints it
  t.apply(make(r), 5000);
  auto leg = t.leg("100.1");
  EXPECT_EQ(leg->tx.cumulative_lost, -2);
  EXPECT_DOUBLE_EQ(leg->tx.cumulative_loss_pct, 0.0);
}

TEST(QosTracker, ANewSourceSsrcStartsANewBaseline) {
  QosTracker t;
  Rtcp r;
  r.cum = 100;
  t.apply(make(r), 0);
  r.ssrc = "0x00000099";
  r.seq = 40;
  r.cum = 0;
  t.apply(make(r), 5000);
  EXPECT_EQ(t.leg("100.1")->tx.source_ssrc, 0x99u);
  EXPECT_EQ(t.leg("100.1")->tx.expected_packets, 0);
}

TEST(QosTracker, CodecHintChangesTheJitterClock) {
  QosTracker t;
  t.set_codec("100.1", "opus");
  Rtcp r;
  r.jitter = 960;
  t.apply(make(r), 0);
  EXPECT_DOUBLE_EQ(t.leg("100.1")->tx.jitter_ms, 20.0);
  EXPECT_EQ(t.leg("100.1")->clock_rate, 48000);
  QosTracker g;
  g.set_codec("100.1", "g722");
  r.jitter = 160;
  g.apply(make(r), 0);
  EXPECT_DOUBLE_EQ(g.leg("100.1")->tx.jitter_ms, 20.0);
}

TEST(QosTracker, ImplausibleOrStaleRttIsLeftOut) {
  QosTracker t;
  Rtcp r;
  r.rtt = "65535.9998";
  t.apply(make(r), 0);
  EXPECT_FALSE(t.leg("100.1")->rtt_ms);
  r.rtt = "0.0100";
  r.lsr = "0";  // no SR echoed yet: RTT not fresh
  t.apply(make(r), 1);
  EXPECT_FALSE(t.leg("100.1")->rtt_ms);
}

TEST(QosTracker, UpdatesAreThrottledPerCallUnlessTheGradeChanges) {
  QosTracker t;  // 5 s window
  Rtcp r;
  t.apply(make(r), 0);
  auto u = t.take_updates(0);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].linkedid, "100.1");
  EXPECT_TRUE(t.take_updates(100).empty());  // nothing changed
  r.jitter = 16;  // value change, same grade
  t.apply(make(r), 1000);
  EXPECT_TRUE(t.take_updates(1000).empty());  // inside the window
  EXPECT_TRUE(t.take_updates(4999).empty());
  u = t.take_updates(5000);  // window passed: the pending change goes out
  ASSERT_EQ(u.size(), 1u);
  EXPECT_DOUBLE_EQ(u[0].qos.jitter_ms, 2.0);
  t.apply(make(r), 6000);  // same values again
  EXPECT_TRUE(t.take_updates(11000).empty());
  r.fraction = 26;  // ~10 % loss: grade → poor, immediately
  t.apply(make(r), 11500);
  u = t.take_updates(11500);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].qos.grade, Grade::kPoor);
  r.fraction = 27;  // still poor, value changed, inside the window
  t.apply(make(r), 12000);
  EXPECT_TRUE(t.take_updates(12000).empty());
}

TEST(QosTracker, AlertsOncePerCallPerGradeWithPartiesAndReason) {
  QosTracker t;
  Rtcp r;
  r.fraction = 18;  // 7.0 %
  t.apply(make(r), 1000);
  auto a = t.take_alerts();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].linkedid, "100.1");
  EXPECT_EQ(a[0].grade, Grade::kPoor);
  EXPECT_EQ(a[0].text, "call 1003\u21941005 poor: 7.0 % loss");
  EXPECT_EQ(a[0].at_ms, 1000);
  t.apply(make(r), 6000);
  EXPECT_TRUE(t.take_alerts().empty());
  r.fraction = 0;
  t.apply(make(r), 11000);
  r.fraction = 20;
  t.apply(make(r), 16000);  // poor again: already alerted
  EXPECT_TRUE(t.take_alerts().empty());
}

TEST(QosTracker, FairAlertsWhenConfiguredAndPartiesHintWins) {
  TrackerOptions o;
  o.alert_from = Grade::kFair;
  QosTracker t(o);
  t.set_parties("100.1", {"Alice", "Bob"});
  Rtcp r;
  r.fraction = 4;  // 1.56 %
  t.apply(make(r), 0);
  r.fraction = 20;
  t.apply(make(r), 5000);
  auto a = t.take_alerts();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].text, "call Alice\u2194Bob fair: 1.6 % loss");
  EXPECT_EQ(a[1].grade, Grade::kPoor);
  QosTracker d;  // default: fair does not alert
  r.fraction = 4;
  d.apply(make(r), 0);
  EXPECT_TRUE(d.take_alerts().empty());
}

TEST(QosTracker, HangupClosesTheLegIntoASummaryWithMinAvgMax) {
  QosTracker t;
  Rtcp r;
  for (long long j : {8, 24, 16}) {
    r.jitter = j;
    t.apply(make(r), 0);
  }
  EXPECT_EQ(t.apply(Message::from_fields({{"Event", "Hangup"}, {"Uniqueid", "100.1"}}), 9000), ApplyResult::kApplied);
  auto s = t.take_summaries();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].uniqueid, "100.1");
  EXPECT_EQ(s[0].linkedid, "100.1");
  EXPECT_EQ(s[0].number, "1003");
  EXPECT_EQ(s[0].source, "rtcp");
  EXPECT_EQ(s[0].reports, 3);
  EXPECT_DOUBLE_EQ(s[0].tx.jitter_ms.min, 1.0);
  EXPECT_DOUBLE_EQ(s[0].tx.jitter_ms.avg, 2.0);
  EXPECT_DOUBLE_EQ(s[0].tx.jitter_ms.max, 3.0);
  EXPECT_DOUBLE_EQ(s[0].rtt_ms.avg, 20.0);
  EXPECT_EQ(s[0].grade, Grade::kGood);
  EXPECT_EQ(t.channel_count(), 0u);
  EXPECT_EQ(t.call_count(), 0u);
  EXPECT_FALSE(t.end_channel("100.1"));
  EXPECT_EQ(t.apply(Message::from_fields({{"Event", "Hangup"}, {"Uniqueid", "nobody"}}), 0), ApplyResult::kIgnored);
}

TEST(QosTracker, VarSetTotalsMergeAndBridgedCopiesAreIgnored) {
  QosTracker t;
  auto varset = [](std::string var, std::string value) {
    return Message::from_fields({{"Event", "VarSet"}, {"Channel", "PJSIP/1003-00000001"}, {"Uniqueid", "100.1"},
                                 {"Linkedid", "100.1"}, {"Variable", var}, {"Value", value}});
  };
  EXPECT_EQ(t.apply(varset("RTPAUDIOQOSBRIDGED", "lp=1;rxcount=9"), 0), ApplyResult::kIgnored);
  EXPECT_EQ(t.apply(varset("RTPAUDIOQOS", "garbage"), 0), ApplyResult::kRejected);
  EXPECT_EQ(t.last_error(), "qos.var.bad_token: garbage");
  EXPECT_EQ(t.apply(varset("RTPAUDIOQOS", "lp=4;rxcount=396;rlp=0;txcount=400;rxjitter=0.002;txjitter=0.001"), 0),
            ApplyResult::kApplied);
  auto s = t.end_channel("100.1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->source, "rtpaudioqos");
  EXPECT_EQ(s->channel, "PJSIP/1003-00000001");
  EXPECT_DOUBLE_EQ(s->rx.cumulative_loss_pct, 1.0);
  EXPECT_DOUBLE_EQ(s->rx.jitter_ms.avg, 2.0);
  EXPECT_EQ(s->grade, Grade::kFair);
}

TEST(QosTracker, ChannelCapDropsTheOldestLeg) {
  TrackerOptions o;
  o.max_channels = 3;
  QosTracker t(o);
  for (int i = 0; i < 5; ++i) {
    Rtcp r;
    r.uniqueid = r.linkedid = "c" + std::to_string(i);
    t.apply(make(r), i);
  }
  EXPECT_EQ(t.channel_count(), 3u);
  EXPECT_EQ(t.dropped(), 2u);
  EXPECT_FALSE(t.leg("c0"));
  EXPECT_FALSE(t.leg("c1"));
  EXPECT_TRUE(t.leg("c4"));
  EXPECT_FALSE(t.call("c0"));
}

TEST(QosTracker, CallCapAndPendingCapHoldMemoryBounded) {
  TrackerOptions o;
  o.max_calls = 2;
  o.max_pending = 2;
  QosTracker t(o);
  for (int i = 0; i < 4; ++i) {
    Rtcp r;
    r.uniqueid = r.linkedid = "c" + std::to_string(i);
    r.fraction = 50;  // poor → one alert each
    t.apply(make(r), i);
  }
  EXPECT_EQ(t.call_count(), 2u);
  auto a = t.take_alerts();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].linkedid, "c2");
  EXPECT_EQ(a[1].linkedid, "c3");
}

TEST(QosTracker, ForgetDropsStateWithoutSummary) {
  QosTracker t;
  Rtcp r;
  t.apply(make(r), 0);
  r.uniqueid = "100.2";
  t.apply(make(r), 0);
  EXPECT_EQ(t.call("100.1")->legs.size(), 2u);
  t.forget_channel("100.2");
  EXPECT_EQ(t.call("100.1")->legs.size(), 1u);
  t.forget_call("100.1");
  EXPECT_EQ(t.channel_count(), 0u);
  EXPECT_FALSE(t.call("100.1"));
  EXPECT_TRUE(t.take_summaries().empty());
}
