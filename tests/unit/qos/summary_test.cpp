// RTPAUDIOQOS* parsing and merging into a leg Summary (values copied from trace 15).
#include "qos/summary.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace opdesk::qos;

namespace {
constexpr const char* kQos =
    "ssrc=1625352818;themssrc=3236113782;lp=0;rxjitter=0.000625;rxcount=801;txjitter=0.000875;"
    "txcount=800;rlp=0;rtt=65535.999755;rxmes=88.087887;txmes=88.087887";
constexpr const char* kJitter =
    "minrxjitter=000.000000;maxrxjitter=000.001125;avgrxjitter=000.000738;stdevrxjitter=000.000124;"
    "mintxjitter=000.000625;maxtxjitter=000.000750;avgtxjitter=000.000667;stdevtxjitter=000.000059;";
constexpr const char* kLoss =
    "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  "
    "mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;";
constexpr const char* kRtt = "     minrtt=000.000076;     maxrtt=000.000442;     avgrtt=000.000259;     stdevrtt=000.000183;";
constexpr const char* kMes =
    "   minrxmes=088.085326;   maxrxmes=088.087887;   avgrxmes=088.086783;   stdevrxmes=000.000124;   "
    "mintxmes=088.085326;   maxtxmes=088.087887;   avgtxmes=088.086783;   stdevtxmes=000.001075;";
}  // namespace

TEST(QosSummary, ClassifiesTheFiveVariablesAndTheirBridgedVariants) {
  EXPECT_EQ(classify_qos_variable("RTPAUDIOQOS").kind, QosVar::kQos);
  EXPECT_FALSE(classify_qos_variable("RTPAUDIOQOS").bridged);
  EXPECT_EQ(classify_qos_variable("RTPAUDIOQOSBRIDGED").kind, QosVar::kQos);
  EXPECT_TRUE(classify_qos_variable("RTPAUDIOQOSBRIDGED").bridged);
  EXPECT_EQ(classify_qos_variable("RTPAUDIOQOSJITTERBRIDGED").kind, QosVar::kJitter);
  EXPECT_EQ(classify_qos_variable("rtpaudioqosloss").kind, QosVar::kLoss);
  EXPECT_EQ(classify_qos_variable("RTPAUDIOQOSRTT").kind, QosVar::kRtt);
  EXPECT_EQ(classify_qos_variable("RTPAUDIOQOSMESBRIDGED").kind, QosVar::kMes);
  EXPECT_EQ(classify_qos_variable("MIXMONITOR_FILENAME").kind, QosVar::kNone);
  EXPECT_FALSE(classify_qos_variable("BRIDGED").bridged);
  EXPECT_EQ(classify_qos_variable("").kind, QosVar::kNone);
}

TEST(QosSummary, ParsesTheMainVariableAsAsteriskPrintsIt) {
  const QosVarParse p = parse_rtpaudioqos(kQos);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(p.fields.size(), 11u);
  EXPECT_DOUBLE_EQ(*p.get("ssrc"), 1625352818);
  EXPECT_DOUBLE_EQ(*p.get("rxcount"), 801);
  EXPECT_DOUBLE_EQ(*p.get("txjitter"), 0.000875);
  EXPECT_DOUBLE_EQ(*p.get("txmes"), 88.087887);
  EXPECT_FALSE(p.get("nosuch"));
}

TEST(QosSummary, ParsesPaddedStatVariablesWithTrailingSemicolon) {
  for (const char* v : {kJitter, kLoss, kRtt, kMes}) {
    const QosVarParse p = parse_rtpaudioqos(v);
    EXPECT_TRUE(p.ok()) << v << ": " << p.error;
  }
  EXPECT_DOUBLE_EQ(*parse_rtpaudioqos(kRtt).get("maxrtt"), 0.000442);
  EXPECT_EQ(parse_rtpaudioqos(kMes).fields.size(), 8u);
}

TEST(QosSummary, GarbageGivesAnErrorValueNotACrash) {
  EXPECT_EQ(parse_rtpaudioqos("").error, "qos.var.empty");
  EXPECT_EQ(parse_rtpaudioqos(";;;").error, "qos.var.empty");
  EXPECT_EQ(parse_rtpaudioqos("hello").error, "qos.var.bad_token: hello");
  EXPECT_EQ(parse_rtpaudioqos("lp=0;rxjitter=abc").error, "qos.var.bad_number: rxjitter=abc");
  EXPECT_EQ(parse_rtpaudioqos("=5").error, "qos.var.bad_token: =5");
  EXPECT_EQ(parse_rtpaudioqos("lp=").error, "qos.var.bad_number: lp=");
  const QosVarParse partial = parse_rtpaudioqos("lp=3;x");
  EXPECT_FALSE(partial.ok());
  EXPECT_DOUBLE_EQ(*partial.get("lp"), 3);  // nothing parsed so far is lost
  EXPECT_EQ(parse_rtpaudioqos(std::string(kMaxQosValueBytes + 1, 'a')).error, "qos.var.too_long: 1025 bytes");
  std::string many;
  for (size_t i = 0; i <= kMaxQosFields; ++i) many += "k" + std::to_string(i) + "=1;";
  EXPECT_EQ(parse_rtpaudioqos(many).error, "qos.var.too_many_fields");
  // Random bytes: never crash, always either ok or a coded error.
  std::mt19937 rng(15);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 80, '\0');
    for (char& c : s) c = static_cast<char>("=;. 0123456789abcxe-+\t\x01\xff"[rng() % 25]);
    const QosVarParse p = parse_rtpaudioqos(s);
    EXPECT_TRUE(p.ok() || p.error.rfind("qos.var.", 0) == 0);
  }
  Summary s;
  EXPECT_FALSE(merge_rtpaudioqos(QosVar::kQos, parse_rtpaudioqos("junk"), s));
  EXPECT_FALSE(s.has_data());
}

TEST(QosSummary, VariablesFillTheSummaryShape) {
  Summary s;
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kQos, parse_rtpaudioqos(kQos), s));
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kJitter, parse_rtpaudioqos(kJitter), s));
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kLoss, parse_rtpaudioqos(kLoss), s));
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kRtt, parse_rtpaudioqos(kRtt), s));
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kMes, parse_rtpaudioqos(kMes), s));
  EXPECT_EQ(s.source, "rtpaudioqos");
  EXPECT_EQ(s.rx.packets, 801);
  EXPECT_EQ(s.tx.packets, 800);
  EXPECT_EQ(s.rx.lost, 0);
  EXPECT_DOUBLE_EQ(s.rx.cumulative_loss_pct, 0);
  EXPECT_NEAR(s.rx.jitter_ms.max, 1.125, 1e-9);
  EXPECT_NEAR(s.rx.jitter_ms.avg, 0.738, 1e-9);
  EXPECT_NEAR(s.tx.jitter_ms.min, 0.625, 1e-9);
  EXPECT_NEAR(s.rtt_ms.avg, 0.259, 1e-9);  // the bogus 65535 s last value was not used
  EXPECT_NEAR(s.rtt_ms.max, 0.442, 1e-9);
  EXPECT_NEAR(s.rx.mes.min, 88.085326, 1e-9);
  EXPECT_NEAR(s.tx.mes.avg, 88.086783, 1e-9);
  finalize_summary(s, Thresholds{});
  EXPECT_EQ(s.grade, Grade::kGood);
  EXPECT_NEAR(s.rx.mos.avg, 4.4, 0.05);
}

TEST(QosSummary, LossCountsGiveCumulativePercentPerDirection) {
  Summary s;
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kQos, parse_rtpaudioqos("lp=10;rxcount=190;rlp=20;txcount=200;rtt=0.3"), s));
  EXPECT_DOUBLE_EQ(s.rx.cumulative_loss_pct, 5.0);   // 10 of 200 expected
  EXPECT_DOUBLE_EQ(s.tx.cumulative_loss_pct, 10.0);  // 20 of 200 sent
  EXPECT_DOUBLE_EQ(s.rtt_ms.avg, 300);
  finalize_summary(s, Thresholds{});
  EXPECT_EQ(s.grade, Grade::kPoor);
}

TEST(QosSummary, AllZeroRttVariableKeepsAnEarlierRtt) {
  Summary s;
  s.rtt_ms.add(12);
  ASSERT_TRUE(merge_rtpaudioqos(QosVar::kRtt,
                                parse_rtpaudioqos("minrtt=000.000000;maxrtt=000.000000;avgrtt=000.000000;stdevrtt=0;"), s));
  EXPECT_DOUBLE_EQ(s.rtt_ms.avg, 12);
}

TEST(QosSummary, StatTracksMinAvgMax) {
  Stat st;
  EXPECT_TRUE(st.empty());
  for (double v : {2.0, 4.0, 9.0}) st.add(v);
  EXPECT_DOUBLE_EQ(st.min, 2);
  EXPECT_DOUBLE_EQ(st.max, 9);
  EXPECT_DOUBLE_EQ(st.avg, 5);
  EXPECT_EQ(st.count, 3);
}
