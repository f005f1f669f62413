// QosFeed (see qos_feed.hpp): tracker → engine, notices, timelines and store rows.
//
// Call ids: the tracker keys calls by the events' Linkedid; the engine keys them by Linkedid
// too unless a transfer merged the call into another, so an unknown id is resolved through
// the legs' uniqueids (Engine::find_channel → call_id). A leg's extension comes from its
// channel name (the engine may already have dropped the channel when its Hangup is handled).
#include "api/qos_feed.hpp"

#include <algorithm>

#include "api/hub.hpp"

namespace opdesk::api {
namespace {

using nlohmann::json;

json point_of(const qos::CallQos& q, int64_t now_ms) {
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  return {{"t", now_ms}, {"loss_pct", q.loss_pct}, {"jitter_ms", q.jitter_ms}, {"rtt_ms", opt(q.rtt_ms)},
          {"mos", opt(q.mos)}, {"mes", opt(q.mes)},
          {"grade", q.grade == qos::Grade::kUnknown ? json(nullptr) : json(qos::to_string(q.grade))}};
}

}  // namespace

QosFeed::QosFeed(pbx::Engine& engine, QosFeedOptions opt)
    : engine_(engine), opt_(std::move(opt)), tracker_(opt_.tracker) {
  if (opt_.day_of == nullptr) opt_.day_of = &local_day;
}

// "(opus|ulaw)" → "opus": the first native format of a channel (Status list answers).
static std::string_view first_format(std::string_view f) {
  while (!f.empty() && (f.front() == '(' || f.front() == ' ')) f.remove_prefix(1);
  const size_t end = f.find_first_of("|) ");
  return end == std::string_view::npos ? f : f.substr(0, end);
}

void QosFeed::on_frame(const ami::Message& m, int64_t now_ms) {
  // The resync's Status answer names each channel's codec: jitter is in its clock's units.
  if (m.is_event("Status") && m.get("ChannelState") == "6" && !m.get("Nativeformats").empty()) {
    std::string_view codec = first_format(m.get("Nativeformats"));
    if (!codec.empty() && !m.get("Uniqueid").empty()) tracker_.set_codec(m.get("Uniqueid"), codec);
    return;
  }
  qos::ApplyResult r = tracker_.apply(m, now_ms);
  if (r == qos::ApplyResult::kRejected) {
    ++rejected_;
    return;
  }
  if (r == qos::ApplyResult::kApplied && qos::is_rtcp_event(m)) {
    std::string linkedid(m.get("Linkedid"));
    if (!linkedid.empty()) timeline_for(linkedid).fresh = true;
  }
}

QosFeed::Timeline& QosFeed::timeline_for(const std::string& linkedid) {
  auto it = timelines_.find(linkedid);
  if (it == timelines_.end()) {
    if (timelines_.size() >= opt_.max_timelines) {
      auto oldest = std::min_element(timelines_.begin(), timelines_.end(),
                                     [](const auto& a, const auto& b) { return a.second.touched < b.second.touched; });
      timelines_.erase(oldest);
    }
    it = timelines_.emplace(linkedid, Timeline{}).first;
  }
  it->second.touched = ++tick_;
  return it->second;
}

void QosFeed::sample(int64_t now_ms) {
  for (auto& [id, tl] : timelines_) {
    if (!tl.fresh || (tl.last_sample > 0 && now_ms - tl.last_sample < opt_.sample_ms)) continue;
    auto q = tracker_.call(id);
    if (!q) continue;
    tl.points.push_back(point_of(*q, now_ms));
    if (tl.points.size() > opt_.max_points) tl.points.pop_front();
    tl.last_sample = now_ms;
    tl.fresh = false;
  }
}

std::string QosFeed::engine_call_id(const qos::CallQos& q) const {
  if (engine_.find_call(q.linkedid) != nullptr) return q.linkedid;
  for (const auto& leg : q.legs) {
    if (const pbx::Channel* ch = engine_.find_channel(leg.uniqueid); ch != nullptr && !ch->call_id.empty()) {
      return ch->call_id;
    }
  }
  return {};
}

std::vector<std::string> QosFeed::call_extensions(const std::string& call_id, const qos::CallQos* q) const {
  std::vector<std::string> out;
  if (const pbx::Call* c = engine_.find_call(call_id)) out = c->extensions();
  if (q != nullptr) {
    for (const auto& leg : q->legs) {
      std::string ext = extension_of_channel_name(leg.channel);
      if (ext.empty() || engine_.find_extension(ext) == nullptr) continue;  // trunks, external numbers
      if (std::find(out.begin(), out.end(), ext) == out.end()) out.push_back(ext);
    }
  }
  return out;
}

void QosFeed::finish_leg(qos::Summary&& s, int64_t now_ms, QosTickResult& out) {
  if (!s.has_data()) return;
  ++summaries_;
  std::string ext = extension_of_channel_name(s.channel);
  if (ext.empty()) ext = s.number;
  // Only the panel's extensions get a daily row; a trunk leg is kept with the call only.
  if (!ext.empty() && engine_.find_extension(ext) == nullptr) ext.clear();
  json j = summary_json(s);
  std::string text = j.dump();
  out.cdr_qos.emplace_back(s.uniqueid, text);
  out.legs.push_back(store::QosLegRow{s.uniqueid, s.linkedid, ext, opt_.day_of(now_ms), now_ms,
                                      std::string(s.grade == qos::Grade::kUnknown ? "unknown" : qos::to_string(s.grade)),
                                      std::move(text)});
  auto it = timelines_.find(s.linkedid);
  if (it != timelines_.end()) {
    if (it->second.ended_at == 0) it->second.ended_at = now_ms;
    json pts = json::array();
    for (const auto& p : it->second.points) pts.push_back(p);
    out.timelines.push_back(store::QosTimelineRow{s.linkedid, now_ms, pts.dump()});
  }
}

// After an AMI reconnect the engine rebuilds its calls without QoS, while the tracker only
// emits changed values: give a live call whose model lost its QoS the tracker's current view.
void QosFeed::restore_after_resync(int64_t now_ms) {
  for (const auto& [id, tl] : timelines_) {
    if (tl.ended_at > 0) continue;
    const pbx::Call* c = engine_.find_call(id);
    if (c == nullptr || c->qos.present) continue;
    if (auto q = tracker_.call(id)) engine_.set_call_qos(id, to_model(*q), now_ms);
  }
}

QosTickResult QosFeed::tick(int64_t now_ms) {
  QosTickResult out;
  for (auto& u : tracker_.take_updates(now_ms)) {
    std::string id = engine_call_id(u.qos);
    if (id.empty()) continue;
    engine_.set_call_qos(id, to_model(u.qos), now_ms);
    ++out.updates;
  }
  restore_after_resync(now_ms);
  engine_.flush_qos(now_ms);
  sample(now_ms);
  for (auto& a : tracker_.take_alerts()) {
    ++alerts_;
    auto q = tracker_.call(a.linkedid);
    std::string id = q ? engine_call_id(*q) : std::string();
    if (id.empty()) id = a.linkedid;
    QosNotice n;
    n.extensions = call_extensions(id, q ? &*q : nullptr);
    n.notice = {{"type", "notice"}, {"level", a.grade == qos::Grade::kPoor ? "error" : "warning"},
                {"code", "qos." + std::string(qos::to_string(a.grade))}, {"message", a.text},
                {"call_id", id}, {"extensions", n.extensions}, {"at", a.at_ms}};
    out.notices.push_back(std::move(n));
  }
  // Summaries after the samples, so a call's last point is in its stored timeline.
  for (auto& s : tracker_.take_summaries()) finish_leg(std::move(s), now_ms, out);
  for (auto it = timelines_.begin(); it != timelines_.end();) {
    const bool expired = it->second.ended_at > 0 && now_ms - it->second.ended_at > opt_.keep_ended_ms;
    it = expired ? timelines_.erase(it) : std::next(it);
  }
  return out;
}

size_t send_notices(Hub& hub, const std::vector<QosNotice>& notices) {
  size_t sent = 0;
  for (const auto& n : notices) {
    for (const auto& ext : n.extensions) hub.notify(n.notice, ext);
    sent += n.extensions.empty() ? 0 : 1;
  }
  return sent;
}

std::optional<json> QosFeed::live_timeline(std::string_view linkedid) const {
  auto it = timelines_.find(linkedid);
  if (it == timelines_.end()) return std::nullopt;
  json pts = json::array();
  for (const auto& p : it->second.points) pts.push_back(p);
  return pts;
}

}  // namespace opdesk::api
