// QoS arithmetic: clock rates, jitter, loss math (wrap-around, signed 24-bit), E-model, MES
// mapping and grading thresholds.
#include "qos/metrics.hpp"

#include <gtest/gtest.h>

using namespace opdesk::qos;

TEST(QosMetrics, ClockRatesFollowRfc3551IncludingG722At8000) {
  EXPECT_EQ(clock_rate_for_codec("ulaw"), 8000);
  EXPECT_EQ(clock_rate_for_codec("ALAW"), 8000);
  EXPECT_EQ(clock_rate_for_codec("g729"), 8000);
  EXPECT_EQ(clock_rate_for_codec("gsm"), 8000);
  EXPECT_EQ(clock_rate_for_codec("g722"), 8000);
  EXPECT_EQ(clock_rate_for_codec("opus"), 48000);
  EXPECT_EQ(clock_rate_for_codec("slin16"), 16000);
  EXPECT_EQ(clock_rate_for_codec(""), 8000);
  EXPECT_EQ(clock_rate_for_codec("no-such-codec"), 8000);
}

TEST(QosMetrics, JitterIsTimestampUnitsDividedByTheClockRate) {
  EXPECT_DOUBLE_EQ(jitter_ms(7, 8000), 0.875);
  EXPECT_DOUBLE_EQ(jitter_ms(160, 8000), 20.0);
  EXPECT_DOUBLE_EQ(jitter_ms(960, 48000), 20.0);
  EXPECT_DOUBLE_EQ(jitter_ms(160, clock_rate_for_codec("g722")), 20.0);
  EXPECT_DOUBLE_EQ(jitter_ms(160, 0), 20.0);  // a bad rate falls back to 8000
}

TEST(QosMetrics, FractionLostIsOn256Scale) {
  EXPECT_DOUBLE_EQ(fraction_lost_pct(0), 0.0);
  EXPECT_DOUBLE_EQ(fraction_lost_pct(128), 50.0);
  EXPECT_DOUBLE_EQ(fraction_lost_pct(64), 25.0);
  EXPECT_NEAR(fraction_lost_pct(255), 99.61, 0.01);
  EXPECT_NEAR(fraction_lost_pct(13), 5.08, 0.01);
  EXPECT_DOUBLE_EQ(fraction_lost_pct(999), fraction_lost_pct(255));
  EXPECT_DOUBLE_EQ(fraction_lost_pct(-4), 0.0);
}

TEST(QosMetrics, CumulativeLostIsDecodedAsSigned24Bit) {
  EXPECT_EQ(signed_cumulative_lost(0), 0);
  EXPECT_EQ(signed_cumulative_lost(42), 42);
  EXPECT_EQ(signed_cumulative_lost(16777215), -1);
  EXPECT_EQ(signed_cumulative_lost(16777214), -2);
  EXPECT_EQ(signed_cumulative_lost(0x7FFFFF), 0x7FFFFF);
  EXPECT_EQ(signed_cumulative_lost(0x800000), -0x800000);
  EXPECT_EQ(signed_cumulative_lost(0x1000005), 5);  // bits above 24 are masked
}

TEST(QosMetrics, ExtendedSequenceCountsCyclesAndRepairsAnUncountedWrap) {
  EXPECT_EQ(extended_sequence(0, 57857), 57857);
  EXPECT_EQ(extended_sequence(2, 10), 2 * 65536 + 10);
  // Cycle counted by the sender.
  EXPECT_EQ(extend_against(65530, 1, 20), 65536 + 20);
  // Sender wrapped from 65530 to 20 without counting the cycle: still +26 packets.
  EXPECT_EQ(extend_against(65530, 0, 20), 65536 + 20);
  // A small reorder backwards is not a wrap.
  EXPECT_EQ(extend_against(1000, 0, 990), 990);
  EXPECT_EQ(extend_against(std::nullopt, 0, 5), 5);
}

TEST(QosMetrics, LossPercentIsClampedAndSafeOnZeroExpected) {
  EXPECT_DOUBLE_EQ(loss_pct(5, 100), 5.0);
  EXPECT_DOUBLE_EQ(loss_pct(-3, 100), 0.0);  // duplicates
  EXPECT_DOUBLE_EQ(loss_pct(300, 100), 100.0);
  EXPECT_DOUBLE_EQ(loss_pct(5, 0), 0.0);
}

TEST(QosMetrics, EModelG711WithoutLossOrDelayGivesR932AndMos441) {
  const CodecProfile g711 = codec_profile("ulaw");
  EXPECT_DOUBLE_EQ(g711.ie, 0.0);
  EXPECT_DOUBLE_EQ(g711.bpl, 25.1);
  const double r = r_factor(0, 0, g711);
  EXPECT_DOUBLE_EQ(r, 93.2);
  EXPECT_NEAR(mos_from_r(r), 4.41, 0.005);
}

TEST(QosMetrics, MosAtR50Is258) {
  EXPECT_NEAR(mos_from_r(50), 2.58, 0.005);
  EXPECT_DOUBLE_EQ(mos_from_r(0), 1.0);
  EXPECT_DOUBLE_EQ(mos_from_r(-10), 1.0);
  EXPECT_DOUBLE_EQ(mos_from_r(100), 4.5);
}

TEST(QosMetrics, FivePercentRandomLossOnG711FollowsTheIeEffFormula) {
  const CodecProfile g711 = codec_profile("alaw");
  const double ie_eff = 0 + (95 - 0) * 5.0 / (5.0 + 25.1);  // 15.78
  EXPECT_NEAR(loss_impairment(5, g711), ie_eff, 1e-9);
  EXPECT_NEAR(r_factor(0, 5, g711), 93.2 - ie_eff, 1e-9);
  EXPECT_NEAR(r_factor(0, 5, g711), 77.42, 0.01);
  // G.729A starts lower (Ie 11) and degrades faster (Bpl 19).
  EXPECT_NEAR(r_factor(0, 0, codec_profile("g729")), 82.2, 1e-9);
  EXPECT_LT(r_factor(0, 5, codec_profile("g729")), r_factor(0, 5, g711));
}

TEST(QosMetrics, DelayImpairmentHasAKneeAt177Ms) {
  EXPECT_DOUBLE_EQ(delay_impairment(0), 0.0);
  EXPECT_NEAR(delay_impairment(100), 2.4, 1e-9);
  EXPECT_NEAR(delay_impairment(300), 0.024 * 300 + 0.11 * (300 - 177.3), 1e-9);
  // one-way = RTT/2 + 2 x jitter + codec delay
  EXPECT_DOUBLE_EQ(one_way_delay_ms(100, 10, codec_profile("ulaw")), 50 + 20 + 20);
}

TEST(QosMetrics, MesMapsToMosAsAsteriskRescalesIt) {
  EXPECT_NEAR(mos_from_mes(88.1), 4.405, 1e-9);
  EXPECT_DOUBLE_EQ(mos_from_mes(100), 5.0);
  EXPECT_DOUBLE_EQ(mos_from_mes(0), 1.0);
  // Asterisk's perfect-path MES equals 20 x the E-model MOS at R 93.2 minus its 10 ms floor.
  EXPECT_NEAR(mos_from_mes(88.1), mos_from_r(93.2), 0.01);
}

TEST(QosMetrics, GradeUsesDefaultThresholds) {
  const Thresholds t;
  EXPECT_EQ(grade({}, t), Grade::kUnknown);
  EXPECT_EQ(grade({0.0, 1.0, 1.0, 4.4}, t), Grade::kGood);
  EXPECT_EQ(grade({1.0, 0.0, 0.0, 4.4}, t), Grade::kFair);
  EXPECT_EQ(grade({0.99, 0.0, 0.0, 4.4}, t), Grade::kGood);
  EXPECT_EQ(grade({0.0, 20.0, 0.0, 4.4}, t), Grade::kFair);
  EXPECT_EQ(grade({0.0, 0.0, 200.0, 4.4}, t), Grade::kFair);
  EXPECT_EQ(grade({0.0, 0.0, 0.0, 3.79}, t), Grade::kFair);
  EXPECT_EQ(grade({5.0, 0.0, 0.0, 4.4}, t), Grade::kPoor);
  EXPECT_EQ(grade({0.0, 50.0, 0.0, 4.4}, t), Grade::kPoor);
  EXPECT_EQ(grade({0.0, 0.0, 400.0, 4.4}, t), Grade::kPoor);
  EXPECT_EQ(grade({0.0, 0.0, 0.0, 3.09}, t), Grade::kPoor);
  EXPECT_EQ(grade({std::nullopt, std::nullopt, 450.0, std::nullopt}, t), Grade::kPoor);
}

TEST(QosMetrics, ThresholdsAreConfigurableAndReasonsListWhatCrossed) {
  Thresholds t;
  t.poor_loss_pct = 2;
  EXPECT_EQ(grade({2.5, 0.0, 0.0, 4.4}, t), Grade::kPoor);
  const Measures m{7.0, 62.0, 10.0, 4.0};
  EXPECT_EQ(grade_reason(m, Thresholds{}, Grade::kPoor), "7.0 % loss, jitter 62 ms");
  EXPECT_EQ(grade_reason(m, Thresholds{}, Grade::kGood), "");
  EXPECT_EQ(to_string(Grade::kPoor), "poor");
  EXPECT_EQ(to_string(Grade::kUnknown), "unknown");
}
