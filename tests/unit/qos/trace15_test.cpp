// Trace 15 (real Asterisk 22.9, 1006 ↔ 1007, 16 s of loopback talk) replayed through the AMI
// parser and QosTracker with the capture's own pacing (meta/15-rtcp-qos.timing), then checked
// against what the events themselves say. Lives in unit_qos so it needs only the parser.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "ami/parser.hpp"
#include "qos/tracker.hpp"

using namespace opdesk::qos;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Replay {
  QosTracker tracker;
  std::vector<Update> updates;
  std::vector<Alert> alerts;
  std::vector<Summary> summaries;
  int rtcp = 0, rejected = 0;
  CallQos last_live;  // the call as seen just before the first Hangup
};

// Feeds the trace in the capture's recv() chunks, or (split_seed != 0) in random 1..64-byte
// pieces stamped with the time of the chunk they start in; results must not depend on it.
void run(Replay& r, unsigned split_seed = 0) {
  const std::string dir = OPDESK_TRACE_DIR;
  const std::string bytes = slurp(dir + "/15-rtcp-qos.ami");
  ASSERT_FALSE(bytes.empty());
  std::ifstream timing(dir + "/meta/15-rtcp-qos.timing");
  std::vector<std::pair<size_t, int64_t>> chunks;  // (offset, now_ms)
  double at = 0;
  size_t off = 0, len = 0;
  while (timing >> at >> off >> len) chunks.emplace_back(off, static_cast<int64_t>(at * 1000));
  ASSERT_FALSE(chunks.empty());
  std::vector<std::pair<size_t, size_t>> pieces;  // (offset, length)
  std::mt19937 rng(split_seed);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const size_t end = i + 1 < chunks.size() ? chunks[i + 1].first : bytes.size();
    for (size_t o = chunks[i].first; o < end;) {
      const size_t n = split_seed ? std::min<size_t>(1 + rng() % 64, end - o) : end - o;
      pieces.emplace_back(o, n);
      o += n;
    }
  }
  opdesk::ami::Parser parser;
  opdesk::ami::Message m;
  std::string detail;
  size_t chunk = 0;
  for (const auto& [o, n] : pieces) {
    while (chunk + 1 < chunks.size() && chunks[chunk + 1].first <= o) ++chunk;
    const int64_t now = chunks[chunk].second;
    parser.feed(std::string_view(bytes).substr(o, n));
    while (parser.next(m, detail) != opdesk::ami::Parser::Result::kNeedMore) {
      if (m.is_event("Hangup") && r.summaries.empty() && r.tracker.call("1795502247.36")) {
        r.last_live = *r.tracker.call("1795502247.36");
      }
      const ApplyResult res = r.tracker.apply(m, now);
      r.rtcp += is_rtcp_event(m) ? 1 : 0;
      r.rejected += res == ApplyResult::kRejected ? 1 : 0;
      m = {};
    }
    for (auto& u : r.tracker.take_updates(now)) r.updates.push_back(std::move(u));
    for (auto& a : r.tracker.take_alerts()) r.alerts.push_back(std::move(a));
    for (auto& s : r.tracker.take_summaries()) r.summaries.push_back(std::move(s));
  }
}

}  // namespace

TEST(QosTrace15, LiveQualityOfTheLoopbackCallMatchesTheEvents) {
  Replay r;
  run(r);
  EXPECT_EQ(r.rtcp, 12);  // RTCPSent + RTCPReceived, 2 channels, 3 rounds
  EXPECT_EQ(r.rejected, 0);
  const CallQos& c = r.last_live;
  EXPECT_EQ(c.linkedid, "1795502247.36");
  ASSERT_EQ(c.legs.size(), 2u);
  for (const LegQos& leg : c.legs) {
    SCOPED_TRACE(leg.channel);
    EXPECT_TRUE(leg.rx.present);  // both directions on both legs
    EXPECT_TRUE(leg.tx.present);
    for (const StreamQos* s : {&leg.rx, &leg.tx}) {
      EXPECT_EQ(s->reports, 3);
      EXPECT_DOUBLE_EQ(s->loss_pct, 0);
      EXPECT_DOUBLE_EQ(s->cumulative_loss_pct, 0);
      // ~250 packets per 5 s, two intervals after the first (HighestSequence deltas 499..500).
      EXPECT_GE(s->expected_packets, 499);
      EXPECT_LE(s->expected_packets, 500);
      EXPECT_LT(s->jitter_ms, 1.0);         // IAJitter 5..7 at 8 kHz
      EXPECT_GT(s->jitter_ms, 0.5);
      ASSERT_TRUE(s->mes);
      EXPECT_DOUBLE_EQ(*s->mes, 88.1);
      EXPECT_NEAR(*s->mos_from_mes, 4.405, 1e-9);
      EXPECT_GT(s->mos, 4.3);
    }
  }
  // 1006's phone echoed our SRs: RTT 0.4 ms. 1007's reports were clock-skewed (65535.9998 s).
  const LegQos& l1006 = c.legs[0].channel == "PJSIP/1006-00000022" ? c.legs[0] : c.legs[1];
  const LegQos& l1007 = c.legs[0].channel == "PJSIP/1007-00000023" ? c.legs[0] : c.legs[1];
  ASSERT_TRUE(l1006.rtt_ms);
  EXPECT_NEAR(*l1006.rtt_ms, 0.4, 1e-9);
  EXPECT_FALSE(l1007.rtt_ms);
  EXPECT_EQ(l1007.tx.jitter_ms, 5.0 / 8);  // last RTCPReceived on 1007: Report0IAJitter 5
  EXPECT_EQ(c.grade, Grade::kGood);
  EXPECT_LT(*c.rtt_ms, 1.0);
  EXPECT_DOUBLE_EQ(*c.mes, 88.1);
  EXPECT_EQ(c.parties, (std::vector<std::string>{"1007", "1006"}));
  EXPECT_TRUE(r.alerts.empty());
}

TEST(QosTrace15, UpdatesAreThrottledAndEachLegEndsWithOneSummary) {
  Replay r;
  run(r);
  ASSERT_FALSE(r.updates.empty());
  EXPECT_LE(r.updates.size(), 4u);  // 3 RTCP rounds 5 s apart, values barely move
  for (const Update& u : r.updates) EXPECT_EQ(u.qos.grade, Grade::kGood);
  ASSERT_EQ(r.summaries.size(), 2u);
  for (const Summary& s : r.summaries) {
    SCOPED_TRACE(s.channel);
    EXPECT_EQ(s.linkedid, "1795502247.36");
    EXPECT_EQ(s.source, "rtcp+rtpaudioqos");
    EXPECT_EQ(s.reports, 6);
    EXPECT_EQ(s.grade, Grade::kGood);
    EXPECT_EQ(s.rx.lost, 0);
    EXPECT_EQ(s.tx.lost, 0);
    EXPECT_GE(s.rx.packets, 800);  // RTPAUDIOQOS rxcount/txcount: 800/801
    EXPECT_GE(s.tx.packets, 800);
    EXPECT_LT(s.rx.jitter_ms.max, 1.2);
    EXPECT_NEAR(s.rx.mes.avg, 88.09, 0.01);
    EXPECT_GT(s.rx.mos.avg, 4.3);
  }
  const Summary& s1006 = r.summaries[0].channel == "PJSIP/1006-00000022" ? r.summaries[0] : r.summaries[1];
  EXPECT_NEAR(s1006.rtt_ms.avg, 0.259, 1e-9);  // RTPAUDIOQOSRTT avgrtt
  EXPECT_NEAR(s1006.rtt_ms.max, 0.442, 1e-9);
  EXPECT_NEAR(s1006.rx.jitter_ms.max, 1.125, 1e-9);  // RTPAUDIOQOSJITTER maxrxjitter
  EXPECT_EQ(r.tracker.channel_count(), 0u);
  EXPECT_EQ(r.tracker.call_count(), 0u);
}

TEST(QosTrace15, RandomSplitsOfTheStreamGiveTheSameResult) {
  Replay whole;
  run(whole);
  for (unsigned seed : {1u, 7u, 15u}) {
    Replay split;
    run(split, seed);
    EXPECT_EQ(split.rtcp, whole.rtcp);
    EXPECT_EQ(split.updates.size(), whole.updates.size());
    ASSERT_EQ(split.summaries.size(), whole.summaries.size());
    for (size_t i = 0; i < whole.summaries.size(); ++i) {
      EXPECT_EQ(split.summaries[i].uniqueid, whole.summaries[i].uniqueid);
      EXPECT_EQ(split.summaries[i].reports, whole.summaries[i].reports);
      EXPECT_EQ(split.summaries[i].rx.packets, whole.summaries[i].rx.packets);
      EXPECT_DOUBLE_EQ(split.summaries[i].tx.jitter_ms.avg, whole.summaries[i].tx.jitter_ms.avg);
      EXPECT_DOUBLE_EQ(split.summaries[i].rtt_ms.avg, whole.summaries[i].rtt_ms.avg);
    }
  }
}
