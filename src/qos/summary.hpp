// Post-call QoS summary of one leg (channel) and the RTPAUDIOQOS* channel-variable parser.
//
// Asterisk's RTP engine sets, at hangup, on the channel (and as `<NAME>BRIDGED` on its bridge
// peer — same numbers, describing THIS channel's RTP, main/rtp_engine.c
// ast_rtp_instance_set_stats_vars):
//   RTPAUDIOQOS        ssrc=;themssrc=;lp=;rxjitter=;rxcount=;txjitter=;txcount=;rlp=;rtt=;rxmes=;txmes=
//                      (jitter and rtt in seconds, lp/rlp lost packets rx/tx)
//   RTPAUDIOQOSJITTER  min/max/avg/stdev rx/txjitter (seconds)
//   RTPAUDIOQOSLOSS    min/max/avg/stdev rx/txlost (lost packets per RTCP interval)
//   RTPAUDIOQOSRTT     min/max/avg/stdevrtt (seconds)
//   RTPAUDIOQOSMES     min/max/avg/stdev rx/txmes (0..100)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "qos/metrics.hpp"

namespace opdesk::qos {

// min / avg / max of a series (count = samples; 0 = nothing known).
struct Stat {
  double min = 0, avg = 0, max = 0;
  int64_t count = 0;
  void add(double v) noexcept;
  // Replaces the whole stat with externally computed values (counts as `n` samples, >= 1).
  void set(double mn, double av, double mx, int64_t n = 1) noexcept;
  bool empty() const noexcept { return count == 0; }
};

// One direction of one leg. rx = phone → Asterisk, tx = Asterisk → phone.
struct DirectionSummary {
  Stat jitter_ms;
  Stat loss_pct;            // per report (interval loss)
  Stat lost_per_interval;   // packets, from RTPAUDIOQOSLOSS
  Stat mos;                 // E-model estimate
  Stat mes;                 // Asterisk MES 0..100
  int64_t packets = 0;      // packets sent on this stream (as far as known)
  int64_t lost = 0;         // cumulative lost packets (signed: duplicates can make it < 0)
  double cumulative_loss_pct = 0;
};

struct Summary {
  std::string uniqueid, channel, linkedid, number;
  std::string codec;       // format hint used for jitter/MOS ("" = default 8000 Hz G.711)
  std::string source;      // "rtcp", "rtpaudioqos" or "rtcp+rtpaudioqos"
  DirectionSummary rx, tx;
  Stat rtt_ms;
  int64_t reports = 0;     // RTCP reports seen
  Grade grade = Grade::kUnknown;  // from the averages
  bool has_data() const noexcept { return reports > 0 || !source.empty(); }
};

// ---- RTPAUDIOQOS* ----

enum class QosVar { kNone, kQos, kJitter, kLoss, kRtt, kMes };
struct QosVarName {
  QosVar kind = QosVar::kNone;
  bool bridged = false;
};
// Classifies a channel variable name (case-insensitive); kNone for anything else.
QosVarName classify_qos_variable(std::string_view name) noexcept;

// Bounds for untrusted values (Asterisk's own buffer is AST_MAX_USER_FIELD = 256 bytes).
inline constexpr size_t kMaxQosValueBytes = 1024;
inline constexpr size_t kMaxQosFields = 32;

struct QosVarParse {
  std::vector<std::pair<std::string, double>> fields;  // in order, keys lower-cased
  std::string error;  // "" = ok; else "qos.var.<code>: detail"
  bool ok() const noexcept { return error.empty(); }
  std::optional<double> get(std::string_view key) const noexcept;
};
// Parses "k=v;k=v;..." (blanks and zero padding allowed, trailing ';' allowed). Any token
// without '=' or with a non-numeric value makes the result an error (fields parsed so far kept).
QosVarParse parse_rtpaudioqos(std::string_view value);

// Merges one parsed variable into a summary (values from Asterisk's own end-of-call totals win
// over what RTCP events gave). Returns false when `p` is an error or kind is kNone.
bool merge_rtpaudioqos(QosVar kind, const QosVarParse& p, Summary& into);

// Fills the MOS stats (from the averages) and the grade of a finished summary.
void finalize_summary(Summary& s, const Thresholds& t);

}  // namespace opdesk::qos
