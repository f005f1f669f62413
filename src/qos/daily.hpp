// Per-extension daily QoS aggregate (pure): call summaries in, worst-first rows out.
// The store lane/lead persists the rows; this file only computes them (no JSON, no SQL).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qos/metrics.hpp"
#include "qos/summary.hpp"

namespace opdesk::qos {

struct DailySample {
  std::string extension;  // who the leg belongs to ("1006")
  std::string day;        // "YYYY-MM-DD" in the site's time zone (caller decides)
  Summary summary;        // a finalized summary (end_channel / take_summaries)
};

struct DailyRow {
  std::string extension, day;
  int64_t calls = 0;  // legs with QoS data
  int64_t good = 0, fair = 0, poor = 0;
  double avg_mos = 0, min_mos = 0;           // worst direction per call
  double avg_loss_pct = 0, max_loss_pct = 0;
  double avg_jitter_ms = 0, max_jitter_ms = 0;
  double avg_rtt_ms = 0, max_rtt_ms = 0;     // over calls that had an RTT
  int64_t rtt_calls = 0;
  Grade worst = Grade::kUnknown;
};

// Groups by (extension, day) and orders worst first: worst grade, then share of poor calls,
// then lowest average MOS, then highest max loss; ties by extension and day. Samples without
// data (no RTCP and no RTPAUDIOQOS) or without an extension are skipped.
std::vector<DailyRow> aggregate_daily(const std::vector<DailySample>& samples);

}  // namespace opdesk::qos
