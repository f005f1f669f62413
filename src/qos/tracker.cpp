// QosTracker: ingestion side (apply, legs, calls, caps, summaries). The read side (building a
// CallQos, throttled updates) is in tracker_view.cpp.
//
// Invariants:
//  * legs_ <= max_channels and calls_ <= max_calls: inserting past a cap first drops the least
//    recently touched entry (a dropped leg is also removed from its call; counted in dropped_).
//  * A leg belongs to at most one call (its Linkedid from the latest event); CallState::legs
//    lists exactly the legs whose live.linkedid is that call.
//  * Cumulative loss baselines are per (leg, direction, source SSRC): a new SSRC or a sequence
//    that goes backwards (stream restart) starts a new baseline instead of giving nonsense.
#include "qos/tracker.hpp"

#include <algorithm>

namespace opdesk::qos {

QosTracker::QosTracker(TrackerOptions options) : opt_(options) {
  opt_.max_channels = std::max<size_t>(1, opt_.max_channels);
  opt_.max_calls = std::max<size_t>(1, opt_.max_calls);
  opt_.max_pending = std::max<size_t>(1, opt_.max_pending);
}

ApplyResult QosTracker::apply(const ami::Message& event, int64_t now_ms) {
  if (is_rtcp_event(event)) {
    return apply_rtcp(event, now_ms);
  }
  if (event.is_event("VarSet")) {
    return apply_varset(event);
  }
  if (event.is_event("Hangup")) {
    return apply_hangup(event);
  }
  return ApplyResult::kIgnored;
}

QosTracker::LegState& QosTracker::leg_state(const std::string& uniqueid) {
  if (auto it = legs_.find(uniqueid); it != legs_.end()) {
    it->second.touched = ++tick_;
    return it->second;
  }
  if (legs_.size() >= opt_.max_channels) {
    auto oldest = std::min_element(legs_.begin(), legs_.end(),
                                   [](const auto& a, const auto& b) { return a.second.touched < b.second.touched; });
    erase_leg(oldest->first);
    ++dropped_;
  }
  LegState& leg = legs_[uniqueid];
  leg.live.uniqueid = uniqueid;
  leg.summary.uniqueid = uniqueid;
  leg.touched = ++tick_;
  return leg;
}

QosTracker::CallState& QosTracker::call_state(const std::string& linkedid) {
  if (auto it = calls_.find(linkedid); it != calls_.end()) {
    it->second.touched = ++tick_;
    return it->second;
  }
  if (calls_.size() >= opt_.max_calls) {
    auto oldest = std::min_element(calls_.begin(), calls_.end(),
                                   [](const auto& a, const auto& b) { return a.second.touched < b.second.touched; });
    forget_call(std::string(oldest->first));
    ++dropped_;
  }
  CallState& c = calls_[linkedid];
  c.touched = ++tick_;
  return c;
}

void QosTracker::attach(LegState& leg, const std::string& linkedid) {
  if (leg.live.linkedid == linkedid) {
    CallState& c = call_state(linkedid);
    if (std::find(c.legs.begin(), c.legs.end(), leg.live.uniqueid) == c.legs.end()) {
      c.legs.push_back(leg.live.uniqueid);
    }
    return;
  }
  if (!leg.live.linkedid.empty()) {
    if (auto it = calls_.find(leg.live.linkedid); it != calls_.end()) {
      std::erase(it->second.legs, leg.live.uniqueid);
    }
  }
  leg.live.linkedid = linkedid;
  leg.summary.linkedid = linkedid;
  call_state(linkedid).legs.push_back(leg.live.uniqueid);
}

void QosTracker::erase_leg(std::string uniqueid) {
  auto it = legs_.find(uniqueid);
  if (it == legs_.end()) {
    return;
  }
  const std::string linkedid = it->second.live.linkedid;
  legs_.erase(it);
  if (auto c = calls_.find(linkedid); c != calls_.end()) {
    std::erase(c->second.legs, uniqueid);
    if (c->second.legs.empty()) {
      calls_.erase(c);
    } else {
      c->second.dirty = true;
    }
  }
}

void QosTracker::update_stream(LegState& leg, StreamState& st, DirectionSummary& sum, const ReportBlock& b,
                               const std::optional<double>& mes, int64_t now_ms) {
  StreamQos& s = st.live;
  if (!s.present || s.source_ssrc != b.source_ssrc) {
    st = StreamState{};
  }
  int64_t ext = extend_against(st.last_ext, b.sequence_cycles, b.highest_sequence);
  if (st.first_ext && ext < *st.first_ext) {
    st = StreamState{};  // the stream restarted: new baseline
    ext = extended_sequence(b.sequence_cycles, b.highest_sequence);
  }
  if (!st.first_ext) {
    st.first_ext = ext;
    st.first_lost = b.cumulative_lost;
  }
  st.last_ext = ext;
  s.present = true;
  s.source_ssrc = b.source_ssrc;
  s.loss_pct = fraction_lost_pct(b.fraction_lost);
  s.cumulative_lost = b.cumulative_lost;
  s.expected_packets = ext - *st.first_ext;
  // The first report's interval is the stream's start, so its fraction is the cumulative rate.
  s.cumulative_loss_pct = s.expected_packets > 0 ? loss_pct(b.cumulative_lost - st.first_lost, s.expected_packets)
                                                 : s.loss_pct;
  s.jitter_ms = jitter_ms(b.ia_jitter, leg.live.clock_rate);
  const CodecProfile codec = codec_profile(leg.live.codec);
  s.r_factor = r_factor(one_way_delay_ms(leg.live.rtt_ms.value_or(0), s.jitter_ms, codec), s.loss_pct, codec);
  s.mos = mos_from_r(s.r_factor);
  s.mes = mes;
  s.mos_from_mes = mes ? std::optional<double>(mos_from_mes(*mes)) : std::nullopt;
  ++s.reports;
  s.updated_at = now_ms;

  sum.jitter_ms.add(s.jitter_ms);
  sum.loss_pct.add(s.loss_pct);
  sum.mos.add(s.mos);
  if (mes) {
    sum.mes.add(*mes);
  }
  sum.lost = s.cumulative_lost;
  sum.cumulative_loss_pct = s.cumulative_loss_pct;
}

ApplyResult QosTracker::apply_rtcp(const ami::Message& event, int64_t now_ms) {
  RtcpDecode d = decode_rtcp(event);
  if (!d.report) {
    last_error_ = d.error;
    return ApplyResult::kRejected;
  }
  const RtcpReport& r = *d.report;
  LegState& leg = leg_state(r.uniqueid);
  attach(leg, r.linkedid);
  LegQos& live = leg.live;
  live.channel = r.channel;
  if (!r.caller_num.empty()) live.number = r.caller_num;
  if (!r.connected_num.empty()) live.connected = r.connected_num;
  leg.summary.channel = live.channel;
  leg.summary.number = live.number;
  const bool rx = r.direction == Direction::kRx;
  if (r.rtt_ms) {
    live.rtt_ms = r.rtt_ms;
    leg.summary.rtt_ms.add(*r.rtt_ms);
  }
  // SentPackets counts the stream of the report's SENDER: Asterisk's (tx) in RTCPSent, the
  // phone's (rx) in RTCPReceived.
  if (r.sent_packets) {
    (rx ? leg.summary.tx : leg.summary.rx).packets = *r.sent_packets;
  }
  if (!r.blocks.empty()) {
    update_stream(leg, rx ? leg.rx : leg.tx, rx ? leg.summary.rx : leg.summary.tx, r.blocks.front(), r.mes, now_ms);
    (rx ? live.rx : live.tx) = (rx ? leg.rx : leg.tx).live;
  }
  ++leg.summary.reports;
  if (leg.summary.source.empty()) {
    leg.summary.source = "rtcp";
  } else if (leg.summary.source == "rtpaudioqos") {
    leg.summary.source = "rtcp+rtpaudioqos";
  }
  after_change(r.linkedid, now_ms);
  return ApplyResult::kApplied;
}

ApplyResult QosTracker::apply_varset(const ami::Message& event) {
  const QosVarName name = classify_qos_variable(event.get("Variable"));
  // The BRIDGED copy repeats the peer's own numbers, which the peer gets as the plain
  // variable at its own hangup; taking both would count that leg twice.
  if (name.kind == QosVar::kNone || name.bridged) {
    return ApplyResult::kIgnored;
  }
  const std::string uniqueid(event.get("Uniqueid"));
  if (uniqueid.empty()) {
    last_error_ = "qos.var.no_uniqueid";
    return ApplyResult::kRejected;
  }
  QosVarParse p = parse_rtpaudioqos(event.get("Value"));
  if (!p.ok()) {
    last_error_ = p.error;
    return ApplyResult::kRejected;
  }
  LegState& leg = leg_state(uniqueid);
  std::string linkedid(event.get("Linkedid"));
  attach(leg, linkedid.empty() ? uniqueid : linkedid);
  if (leg.summary.channel.empty()) leg.summary.channel = event.get("Channel");
  if (leg.live.channel.empty()) leg.live.channel = leg.summary.channel;
  if (leg.summary.number.empty()) leg.summary.number = event.get("CallerIDNum");
  merge_rtpaudioqos(name.kind, p, leg.summary);
  return ApplyResult::kApplied;
}

ApplyResult QosTracker::apply_hangup(const ami::Message& event) {
  const std::string_view uniqueid = event.get("Uniqueid");
  if (legs_.find(uniqueid) == legs_.end()) {
    return ApplyResult::kIgnored;
  }
  if (auto s = end_channel(uniqueid)) {
    push_capped(summaries_, std::move(*s));
  }
  return ApplyResult::kApplied;
}

void QosTracker::set_codec(std::string_view uniqueid, std::string_view codec) {
  LegState& leg = leg_state(std::string(uniqueid));
  leg.live.codec = codec;
  leg.live.clock_rate = clock_rate_for_codec(codec);
  leg.summary.codec = codec;
}

void QosTracker::set_parties(std::string_view linkedid, std::vector<std::string> numbers) {
  call_state(std::string(linkedid)).parties_hint = std::move(numbers);
}

std::optional<Summary> QosTracker::end_channel(std::string_view uniqueid) {
  auto it = legs_.find(uniqueid);
  if (it == legs_.end()) {
    return std::nullopt;
  }
  Summary s = std::move(it->second.summary);
  finalize_summary(s, opt_.thresholds);
  erase_leg(std::string(uniqueid));
  return s;
}

void QosTracker::forget_call(std::string_view linkedid) {
  auto it = calls_.find(linkedid);
  if (it == calls_.end()) {
    return;
  }
  for (const std::string& u : it->second.legs) {
    legs_.erase(u);
  }
  calls_.erase(it);
}

void QosTracker::forget_channel(std::string_view uniqueid) { erase_leg(std::string(uniqueid)); }

std::vector<Alert> QosTracker::take_alerts() { return std::exchange(alerts_, {}); }

std::vector<Summary> QosTracker::take_summaries() { return std::exchange(summaries_, {}); }

}  // namespace opdesk::qos
