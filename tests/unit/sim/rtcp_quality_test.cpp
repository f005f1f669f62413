// The simulator's RTCP reports (issue #10): the field names and their order are those of the
// real Asterisk 22.9 events in trace 15, and a call's injected loss/jitter/RTT shows in both
// directions' report blocks, consistently across reports (cumulative loss grows).
#include "flow_check.hpp"

namespace opdesk::sim::test {
namespace {

std::vector<std::string> keys_after_linkedid(const ami::Message& m) {
  std::vector<std::string> out;
  bool after = false;
  for (size_t i = 0; i < m.size(); ++i) {
    if (after) out.emplace_back(m.key(i));
    after = after || m.key(i) == "Linkedid";
  }
  return out;
}

std::vector<ami::Message> rtcp_of(AmiClient& c, const std::string& channel_prefix, size_t want) {
  auto end = Clock::now() + std::chrono::seconds(20);
  std::vector<ami::Message> out;
  while (Clock::now() < end) {
    out.clear();
    for (auto& m : c.after_sync()) {
      if ((m.is_event("RTCPSent") || m.is_event("RTCPReceived")) && m.get("Channel").substr(0, channel_prefix.size()) == channel_prefix) {
        out.push_back(m);
      }
    }
    if (out.size() >= want) break;
    c.next(std::chrono::milliseconds(200));
  }
  return out;
}

CallPlan talk(const char* from, const char* to) {
  CallPlan p;
  p.from = from;
  p.to = to;
  p.ring = 1;
  p.talk = 30;
  return p;
}

}  // namespace

TEST(SimRtcpQuality, FieldsComeInTheOrderOfTrace15) {
  SimRunner r{lab_options()};
  AmiClient c{r.sim->port()};
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();
  r.sim->call(talk("1006", "1007"));
  auto got = rtcp_of(c, "PJSIP/1006", 2);
  ASSERT_GE(got.size(), 2u);
  for (const char* ev : {"RTCPSent", "RTCPReceived"}) {
    const ami::Message* real = nullptr;
    auto want = trace_after_sync("15-rtcp-qos.ami");
    for (auto& m : want) {
      if (m.is_event(ev)) {
        real = &m;
        break;
      }
    }
    ASSERT_NE(real, nullptr);
    for (auto& m : got) {
      if (m.is_event(ev)) EXPECT_EQ(keys_after_linkedid(m), keys_after_linkedid(*real)) << ev;
    }
  }
}

TEST(SimRtcpQuality, InjectedLossJitterAndRttShowInBothDirections) {
  SimOptions o = lab_options();
  o.qos_noise = false;
  o.qos_fair_share = o.qos_poor_share = 0;
  o.qos_by_extension["1003"] = Impairment{8, 70, 420};
  SimRunner r{o};
  AmiClient c{r.sim->port()};
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();
  r.sim->call(talk("1003", "1004"));
  r.sim->call(talk("1001", "1002"));
  auto bad = rtcp_of(c, "PJSIP/1004", 4);  // the callee leg of the impaired call
  ASSERT_GE(bad.size(), 4u);
  long last_cumulative = -1;
  for (auto& m : bad) {
    EXPECT_EQ(m.get("Report0FractionLost"), "20");  // 8 % of 256
    EXPECT_GE(std::stoi(std::string(m.get("Report0IAJitter"))), 560);  // 70 ms at 8 kHz
    if (m.is_event("RTCPReceived")) {
      EXPECT_EQ(m.get("RTT"), "0.4200");
      long cum = std::stol(std::string(m.get("Report0CumulativeLost")));
      EXPECT_GT(cum, last_cumulative);
      last_cumulative = cum;
    }
    EXPECT_LT(std::stod(std::string(m.get("MES"))), 60.0);
  }
  for (auto& m : rtcp_of(c, "PJSIP/1001", 2)) {
    EXPECT_EQ(m.get("Report0FractionLost"), "0");
    EXPECT_EQ(m.get("MES"), "88.1");
  }
}

}  // namespace opdesk::sim::test
