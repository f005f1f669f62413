// QosTracker read side: CallQos aggregation, grading, alerts and the throttled update stream.
//
// Throttle rule (per call): an update is emitted by take_updates(now) when the call changed
// since the last emitted one AND either its grade changed (immediately) or at least
// update_interval_ms passed since the previous emission and a displayed value changed at
// display precision (loss 0.1 %, jitter/RTT 0.1 ms, MOS 0.01, MES 0.1). A change that comes
// too early stays pending and goes out with the first take_updates() after the window.
// Alerts: the first time a call reaches a grade >= alert_from, one Alert per (call, grade).
#include <algorithm>
#include <cmath>

#include "qos/tracker.hpp"

namespace opdesk::qos {
namespace {

Measures measures_of(const LegQos& leg) {
  Measures m;
  for (const StreamQos* s : {&leg.rx, &leg.tx}) {
    if (!s->present) {
      continue;
    }
    m.loss_pct = std::max(m.loss_pct.value_or(0), s->loss_pct);
    m.jitter_ms = std::max(m.jitter_ms.value_or(0), s->jitter_ms);
    m.mos = std::min(m.mos.value_or(5), s->mos);
  }
  if (leg.rtt_ms && (m.loss_pct || m.mos)) {
    m.rtt_ms = leg.rtt_ms;
  }
  return m;
}

void fold(Measures& into, const Measures& m) {
  auto mx = [](std::optional<double>& a, const std::optional<double>& b) {
    if (b) a = std::max(a.value_or(*b), *b);
  };
  mx(into.loss_pct, m.loss_pct);
  mx(into.jitter_ms, m.jitter_ms);
  mx(into.rtt_ms, m.rtt_ms);
  if (m.mos) into.mos = std::min(into.mos.value_or(*m.mos), *m.mos);
}

std::vector<long long> fingerprint(const CallQos& c) {
  auto r = [](double v, double unit) { return std::llround(v / unit); };
  std::vector<long long> out{static_cast<long long>(c.legs.size()), static_cast<long long>(c.grade)};
  for (const LegQos& leg : c.legs) {
    out.push_back(leg.rtt_ms ? r(*leg.rtt_ms, 0.1) : -1);
    for (const StreamQos* s : {&leg.rx, &leg.tx}) {
      out.insert(out.end(), {s->present ? 1LL : 0LL, r(s->loss_pct, 0.1), r(s->cumulative_loss_pct, 0.1),
                             r(s->jitter_ms, 0.1), r(s->mos, 0.01), s->mes ? r(*s->mes, 0.1) : -1});
    }
  }
  return out;
}

std::string join_parties(const std::vector<std::string>& parties, std::string_view linkedid) {
  if (parties.empty()) {
    return std::string(linkedid);
  }
  std::string out;
  for (const std::string& p : parties) {
    if (!out.empty()) out += "\u2194";
    out += p;
  }
  return out;
}

}  // namespace

CallQos QosTracker::build_call(const std::string& linkedid, const CallState& c) const {
  CallQos out;
  out.linkedid = linkedid;
  out.parties = c.parties_hint;
  Measures worst;
  std::string connected;
  for (const std::string& u : c.legs) {
    auto it = legs_.find(u);
    if (it == legs_.end()) {
      continue;
    }
    LegQos leg = it->second.live;
    const Measures m = measures_of(leg);
    leg.grade = grade(m, opt_.thresholds);
    fold(worst, m);
    for (const StreamQos* s : {&leg.rx, &leg.tx}) {
      if (s->mes) out.mes = std::min(out.mes.value_or(*s->mes), *s->mes);
      if (s->present) out.cumulative_loss_pct = std::max(out.cumulative_loss_pct, s->cumulative_loss_pct);
      out.updated_at = std::max(out.updated_at, s->updated_at);
    }
    if (c.parties_hint.empty() && !leg.number.empty() &&
        std::find(out.parties.begin(), out.parties.end(), leg.number) == out.parties.end()) {
      out.parties.push_back(leg.number);
    }
    if (connected.empty()) connected = leg.connected;
    out.legs.push_back(std::move(leg));
  }
  if (c.parties_hint.empty() && out.parties.size() == 1 && !connected.empty() && connected != out.parties[0]) {
    out.parties.push_back(connected);
  }
  out.grade = grade(worst, opt_.thresholds);
  out.reason = grade_reason(worst, opt_.thresholds, out.grade);
  out.loss_pct = worst.loss_pct.value_or(0);
  out.jitter_ms = worst.jitter_ms.value_or(0);
  out.rtt_ms = worst.rtt_ms;
  out.mos = worst.mos;
  if (out.mes) out.mos_from_mes = mos_from_mes(*out.mes);
  return out;
}

void QosTracker::after_change(const std::string& linkedid, int64_t now_ms) {
  auto it = calls_.find(linkedid);
  if (it == calls_.end()) {
    return;
  }
  CallState& c = it->second;
  c.dirty = true;
  const CallQos q = build_call(linkedid, c);
  if (q.grade == Grade::kUnknown || static_cast<int>(q.grade) < static_cast<int>(opt_.alert_from)) {
    return;
  }
  const unsigned bit = 1u << static_cast<unsigned>(q.grade);
  if (c.alerted & bit) {
    return;
  }
  c.alerted |= bit;
  Alert a;
  a.linkedid = linkedid;
  a.grade = q.grade;
  a.text = "call " + join_parties(q.parties, linkedid) + " " + std::string(to_string(q.grade)) + ": " + q.reason;
  a.at_ms = now_ms;
  push_capped(alerts_, std::move(a));
}

std::vector<Update> QosTracker::take_updates(int64_t now_ms) {
  std::vector<Update> out;
  for (auto& [linkedid, c] : calls_) {
    if (!c.dirty) {
      continue;
    }
    CallQos q = build_call(linkedid, c);
    const bool first = !c.last_emitted;
    const bool grade_changed = !first && c.last_emitted->grade != q.grade;
    const bool window_open = first || now_ms - c.last_emit_ms >= opt_.update_interval_ms;
    if (!grade_changed && !window_open) {
      continue;  // stays dirty: re-checked after the window
    }
    c.dirty = false;
    if (!first && !grade_changed && fingerprint(*c.last_emitted) == fingerprint(q)) {
      continue;
    }
    c.last_emitted = q;
    c.last_emit_ms = now_ms;
    out.push_back(Update{linkedid, std::move(q)});
  }
  return out;
}

std::optional<CallQos> QosTracker::call(std::string_view linkedid) const {
  auto it = calls_.find(linkedid);
  if (it == calls_.end()) {
    return std::nullopt;
  }
  return build_call(it->first, it->second);
}

std::optional<LegQos> QosTracker::leg(std::string_view uniqueid) const {
  auto it = legs_.find(uniqueid);
  if (it == legs_.end()) {
    return std::nullopt;
  }
  LegQos out = it->second.live;
  out.grade = grade(measures_of(out), opt_.thresholds);
  return out;
}

}  // namespace opdesk::qos
