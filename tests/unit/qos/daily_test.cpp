// Per-extension daily aggregate: grouping, averages, worst-first order, skipped samples.
#include "qos/daily.hpp"

#include <gtest/gtest.h>

using namespace opdesk::qos;

namespace {
Summary leg(double loss, double jitter, double rtt, Grade g) {
  Summary s;
  s.source = "rtcp";
  s.reports = 1;
  s.tx.loss_pct.add(loss);
  s.tx.jitter_ms.add(jitter);
  s.tx.jitter_ms.add(jitter * 2);
  s.tx.mos.add(mos_from_r(r_factor(0, loss, codec_profile("ulaw"))));
  s.rtt_ms.add(rtt);
  s.grade = g;
  return s;
}
}  // namespace

TEST(QosDaily, GroupsByExtensionAndDayAndOrdersWorstFirst) {
  std::vector<DailySample> in = {
      {"1001", "2026-11-24", leg(0, 2, 10, Grade::kGood)},
      {"1001", "2026-11-24", leg(0, 4, 30, Grade::kGood)},
      {"1002", "2026-11-24", leg(8, 10, 20, Grade::kPoor)},
      {"1002", "2026-11-24", leg(0, 1, 20, Grade::kGood)},
      {"1003", "2026-11-24", leg(2, 5, 20, Grade::kFair)},
      {"1001", "2026-11-25", leg(0, 1, 5, Grade::kGood)},
      {"", "2026-11-24", leg(50, 1, 5, Grade::kPoor)},  // no extension: skipped
      {"1004", "2026-11-24", Summary{}},                // no data: skipped
  };
  const auto rows = aggregate_daily(in);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].extension, "1002");
  EXPECT_EQ(rows[0].worst, Grade::kPoor);
  EXPECT_EQ(rows[0].calls, 2);
  EXPECT_EQ(rows[0].poor, 1);
  EXPECT_EQ(rows[0].good, 1);
  EXPECT_DOUBLE_EQ(rows[0].max_loss_pct, 8);
  EXPECT_DOUBLE_EQ(rows[0].avg_loss_pct, 4);
  EXPECT_EQ(rows[1].extension, "1003");
  EXPECT_EQ(rows[1].fair, 1);
  // Both 1001 rows are good with perfect MOS: ordered by extension, then day.
  EXPECT_EQ(rows[2].extension, "1001");
  EXPECT_EQ(rows[2].day, "2026-11-24");
  EXPECT_EQ(rows[3].day, "2026-11-25");
  EXPECT_DOUBLE_EQ(rows[2].avg_jitter_ms, (3.0 + 6.0) / 2);  // per call: avg of (j, 2j)
  EXPECT_DOUBLE_EQ(rows[2].max_jitter_ms, 8);
  EXPECT_DOUBLE_EQ(rows[2].avg_rtt_ms, 20);
  EXPECT_DOUBLE_EQ(rows[2].max_rtt_ms, 30);
  EXPECT_EQ(rows[2].rtt_calls, 2);
  EXPECT_NEAR(rows[2].avg_mos, 4.41, 0.005);
  EXPECT_LT(rows[0].min_mos, rows[0].avg_mos);
}

TEST(QosDaily, EmptyInputGivesNoRows) { EXPECT_TRUE(aggregate_daily({}).empty()); }
