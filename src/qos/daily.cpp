// Per-extension daily QoS aggregation (see daily.hpp).
//
// Each summary contributes its worst direction: MOS = min of rx/tx average MOS, loss = max of
// rx/tx (interval average or cumulative, whichever is higher), jitter = max of the averages
// (and of the maxima for max_jitter_ms). Averages are plain means over calls.
#include "qos/daily.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

namespace opdesk::qos {
namespace {

struct Worst {
  std::optional<double> mos, loss, jitter, jitter_max;
};

Worst worst_of(const Summary& s) {
  Worst w;
  for (const DirectionSummary* d : {&s.rx, &s.tx}) {
    if (!d->mos.empty()) w.mos = std::min(w.mos.value_or(d->mos.avg), d->mos.avg);
    const double loss = std::max(d->loss_pct.empty() ? 0.0 : d->loss_pct.avg, d->cumulative_loss_pct);
    if (!d->loss_pct.empty() || d->packets > 0) w.loss = std::max(w.loss.value_or(0), loss);
    if (!d->jitter_ms.empty()) {
      w.jitter = std::max(w.jitter.value_or(0), d->jitter_ms.avg);
      w.jitter_max = std::max(w.jitter_max.value_or(0), d->jitter_ms.max);
    }
  }
  return w;
}

void add_to(DailyRow& row, const Summary& s) {
  const Worst w = worst_of(s);
  const double n = static_cast<double>(++row.calls);
  auto mean = [n](double& avg, double v) { avg += (v - avg) / n; };
  mean(row.avg_mos, w.mos.value_or(0));
  row.min_mos = row.calls == 1 ? w.mos.value_or(0) : std::min(row.min_mos, w.mos.value_or(0));
  mean(row.avg_loss_pct, w.loss.value_or(0));
  row.max_loss_pct = std::max(row.max_loss_pct, w.loss.value_or(0));
  mean(row.avg_jitter_ms, w.jitter.value_or(0));
  row.max_jitter_ms = std::max(row.max_jitter_ms, w.jitter_max.value_or(0));
  if (!s.rtt_ms.empty()) {
    ++row.rtt_calls;
    row.avg_rtt_ms += (s.rtt_ms.avg - row.avg_rtt_ms) / static_cast<double>(row.rtt_calls);
    row.max_rtt_ms = std::max(row.max_rtt_ms, s.rtt_ms.max);
  }
  if (s.grade == Grade::kGood) ++row.good;
  if (s.grade == Grade::kFair) ++row.fair;
  if (s.grade == Grade::kPoor) ++row.poor;
  row.worst = worse(row.worst, s.grade);
}

bool worse_first(const DailyRow& a, const DailyRow& b) {
  if (a.worst != b.worst) return static_cast<int>(a.worst) > static_cast<int>(b.worst);
  const double pa = static_cast<double>(a.poor) / static_cast<double>(a.calls);
  const double pb = static_cast<double>(b.poor) / static_cast<double>(b.calls);
  if (pa != pb) return pa > pb;
  if (a.avg_mos != b.avg_mos) return a.avg_mos < b.avg_mos;
  if (a.max_loss_pct != b.max_loss_pct) return a.max_loss_pct > b.max_loss_pct;
  return std::tie(a.extension, a.day) < std::tie(b.extension, b.day);
}

}  // namespace

std::vector<DailyRow> aggregate_daily(const std::vector<DailySample>& samples) {
  std::map<std::pair<std::string, std::string>, DailyRow> rows;
  for (const DailySample& s : samples) {
    if (s.extension.empty() || !s.summary.has_data()) {
      continue;
    }
    DailyRow& row = rows[{s.extension, s.day}];
    row.extension = s.extension;
    row.day = s.day;
    add_to(row, s.summary);
  }
  std::vector<DailyRow> out;
  out.reserve(rows.size());
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  std::sort(out.begin(), out.end(), worse_first);
  return out;
}

}  // namespace opdesk::qos
