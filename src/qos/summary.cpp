// RTPAUDIOQOS* parsing and the merge of end-of-call totals into a leg Summary.
//
// Invariants: the parser never reads past the value, caps its input (kMaxQosValueBytes) and
// field count (kMaxQosFields), and reports the first bad token as a value error; a merge only
// touches the fields the variable actually carries, so the order in which Asterisk emits the
// five variables (and whether RTCP events came first) does not matter.
#include "qos/summary.hpp"

#include <algorithm>
#include <charconv>

namespace opdesk::qos {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string clip(std::string_view s) { return std::string(s.substr(0, 40)); }

}  // namespace

void Stat::add(double v) noexcept {
  if (count == 0) {
    min = max = avg = v;
  } else {
    min = std::min(min, v);
    max = std::max(max, v);
    avg += (v - avg) / static_cast<double>(count + 1);
  }
  ++count;
}

void Stat::set(double mn, double av, double mx, int64_t n) noexcept {
  min = mn;
  avg = av;
  max = mx;
  count = std::max<int64_t>(1, n);
}

QosVarName classify_qos_variable(std::string_view name) noexcept {
  QosVarName out;
  // VarSet is one of the busiest AMI events; reject the non-QoS names before any allocation.
  constexpr std::string_view kPrefix = "rtpaudioqos";
  if (name.size() < kPrefix.size() || lower(name.substr(0, kPrefix.size())) != kPrefix) {
    return out;
  }
  std::string n = lower(name);
  constexpr std::string_view kBridged = "bridged";
  if (n.size() > kBridged.size() && n.compare(n.size() - kBridged.size(), kBridged.size(), kBridged) == 0) {
    out.bridged = true;
    n.resize(n.size() - kBridged.size());
  }
  if (n == "rtpaudioqos") out.kind = QosVar::kQos;
  else if (n == "rtpaudioqosjitter") out.kind = QosVar::kJitter;
  else if (n == "rtpaudioqosloss") out.kind = QosVar::kLoss;
  else if (n == "rtpaudioqosrtt") out.kind = QosVar::kRtt;
  else if (n == "rtpaudioqosmes") out.kind = QosVar::kMes;
  if (out.kind == QosVar::kNone) out.bridged = false;
  return out;
}

std::optional<double> QosVarParse::get(std::string_view key) const noexcept {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return std::nullopt;
}

QosVarParse parse_rtpaudioqos(std::string_view value) {
  QosVarParse out;
  if (value.size() > kMaxQosValueBytes) {
    out.error = "qos.var.too_long: " + std::to_string(value.size()) + " bytes";
    return out;
  }
  while (!value.empty()) {
    const size_t semi = value.find(';');
    const std::string_view token = trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view{} : value.substr(semi + 1);
    if (token.empty()) {
      continue;
    }
    const size_t eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      out.error = "qos.var.bad_token: " + clip(token);
      return out;
    }
    const std::string_view num = trim(token.substr(eq + 1));
    double v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (num.empty() || ec != std::errc() || p != num.data() + num.size()) {
      out.error = "qos.var.bad_number: " + clip(token);
      return out;
    }
    if (out.fields.size() >= kMaxQosFields) {
      out.error = "qos.var.too_many_fields";
      return out;
    }
    out.fields.emplace_back(lower(trim(token.substr(0, eq))), v);
  }
  if (out.fields.empty()) {
    out.error = "qos.var.empty";
  }
  return out;
}

namespace {

// min/avg/max (with an optional scale) for the keys "min<x>", "avg<x>", "max<x>".
void merge_triplet(const QosVarParse& p, std::string_view x, double scale, Stat& into) {
  const std::string base(x);
  auto mn = p.get("min" + base), av = p.get("avg" + base), mx = p.get("max" + base);
  if (mn && av && mx) {
    into.set(*mn * scale, *av * scale, *mx * scale, into.count);
  }
}

void merge_main(const QosVarParse& p, Summary& s) {
  const auto lp = p.get("lp"), rlp = p.get("rlp");
  const auto rxcount = p.get("rxcount"), txcount = p.get("txcount");
  if (rxcount) s.rx.packets = static_cast<int64_t>(*rxcount);
  if (txcount) s.tx.packets = static_cast<int64_t>(*txcount);
  if (lp) s.rx.lost = static_cast<int64_t>(*lp);
  if (rlp) s.tx.lost = static_cast<int64_t>(*rlp);
  s.rx.cumulative_loss_pct = loss_pct(s.rx.lost, s.rx.packets + std::max<int64_t>(0, s.rx.lost));
  s.tx.cumulative_loss_pct = loss_pct(s.tx.lost, s.tx.packets);
  // Last-value jitter/MES only seed a stat that RTCP events left empty.
  if (auto j = p.get("rxjitter"); j && s.rx.jitter_ms.empty()) s.rx.jitter_ms.add(*j * 1000);
  if (auto j = p.get("txjitter"); j && s.tx.jitter_ms.empty()) s.tx.jitter_ms.add(*j * 1000);
  if (auto m = p.get("rxmes"); m && s.rx.mes.empty()) s.rx.mes.add(*m);
  if (auto m = p.get("txmes"); m && s.tx.mes.empty()) s.tx.mes.add(*m);
  if (auto r = p.get("rtt"); r && s.rtt_ms.empty() && *r >= 0 && *r * 1000 < 60'000) {
    s.rtt_ms.add(*r * 1000);
  }
}

}  // namespace

bool merge_rtpaudioqos(QosVar kind, const QosVarParse& p, Summary& s) {
  if (!p.ok() || kind == QosVar::kNone) {
    return false;
  }
  switch (kind) {
    case QosVar::kQos: merge_main(p, s); break;
    case QosVar::kJitter:
      merge_triplet(p, "rxjitter", 1000, s.rx.jitter_ms);
      merge_triplet(p, "txjitter", 1000, s.tx.jitter_ms);
      break;
    case QosVar::kLoss:
      merge_triplet(p, "rxlost", 1, s.rx.lost_per_interval);
      merge_triplet(p, "txlost", 1, s.tx.lost_per_interval);
      break;
    case QosVar::kRtt: {
      // Asterisk prints all zeros when it never computed an RTT; keep RTCP's value then.
      auto mx = p.get("maxrtt");
      if (mx && *mx > 0 && *mx * 1000 < 60'000) merge_triplet(p, "rtt", 1000, s.rtt_ms);
      break;
    }
    case QosVar::kMes:
      merge_triplet(p, "rxmes", 1, s.rx.mes);
      merge_triplet(p, "txmes", 1, s.tx.mes);
      break;
    case QosVar::kNone: break;
  }
  if (s.source.empty() || s.source == "rtpaudioqos") {
    s.source = s.reports > 0 ? "rtcp+rtpaudioqos" : "rtpaudioqos";
  } else if (s.source == "rtcp") {
    s.source = "rtcp+rtpaudioqos";
  }
  return true;
}

void finalize_summary(Summary& s, const Thresholds& t) {
  const CodecProfile codec = codec_profile(s.codec);
  const double rtt = s.rtt_ms.empty() ? 0 : s.rtt_ms.avg;
  Grade g = Grade::kUnknown;
  for (DirectionSummary* d : {&s.rx, &s.tx}) {
    const bool known = !d->jitter_ms.empty() || !d->loss_pct.empty() || d->packets > 0;
    if (!known) {
      continue;
    }
    const double loss = d->loss_pct.empty() ? d->cumulative_loss_pct : std::max(d->loss_pct.avg, d->cumulative_loss_pct);
    const double jit = d->jitter_ms.empty() ? 0 : d->jitter_ms.avg;
    if (d->mos.empty()) {
      d->mos.add(mos_from_r(r_factor(one_way_delay_ms(rtt, jit, codec), loss, codec)));
    }
    Measures m{loss, jit, s.rtt_ms.empty() ? std::nullopt : std::optional<double>(rtt), d->mos.avg};
    g = worse(g, grade(m, t));
  }
  s.grade = g;
}

}  // namespace opdesk::qos
