// Call features on top of channels and calls: transfers (BlindTransfer, AttendedTransfer),
// supervision (ChanSpyStart/Stop), parking (ParkedCall, UnParkedCall, timeouts/give-ups),
// conferences (Confbridge*) and per-call QoS from RTCP reports.
//
// A spy leg is never a party: ChanSpyStart flags the spyer channel (its own call hides) and
// lists it in spied_by of the spied channel's call until ChanSpyStop or its hangup.
#include <algorithm>
#include <charconv>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {
namespace {

double to_double(std::string_view s, double fallback) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p != s.data() ? v : fallback;
}

std::string who(const Channel& ch) {
  if (!ch.extension.empty()) return ch.extension;
  if (!ch.device.empty()) return ch.device;
  return ch.name;
}

}  // namespace

void Handlers::on_blindtransfer(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ee = e.upsert_channel(m, "Transferee", t);
  Channel* er = e.upsert_channel(m, "Transferer", t);
  Channel* anchor = ee != nullptr ? ee : er;
  if (anchor == nullptr) return;
  auto c = e.state_.calls.find(anchor->call_id);
  if (c == e.state_.calls.end()) return;
  bool ok = ami::iequals(m.get("Result"), "Success");
  std::string detail(m.get("Extension"));
  if (!ok) detail += " (failed)";
  c->second.transferred = c->second.transferred || ok;
  e.journey(c->second, t, "transferred", detail);
}

// The transferee and the target end up together: the consultation call joins the first.
void Handlers::on_attendedtransfer(Engine& e, const ami::Message& m, int64_t t) {
  Channel* orig = e.channel_from(m, "OrigTransferer");
  Channel* second = e.channel_from(m, "SecondTransferer");
  if (orig == nullptr) return;
  bool ok = ami::iequals(m.get("Result"), "Success");
  std::string call_id = orig->call_id;
  if (ok && second != nullptr && second->call_id != call_id) call_id = e.merge_calls(call_id, second->call_id, t);
  auto c = e.state_.calls.find(call_id);
  if (c == e.state_.calls.end()) return;
  const Channel* target = e.channel_from(m, "TransferTarget");
  std::string detail = target != nullptr ? who(*target) : std::string(m.get("DestType"));
  if (!ok) detail += " (failed)";
  c->second.transferred = c->second.transferred || ok;
  e.journey(c->second, t, "transferred", detail);
}

void Handlers::on_chanspystart(Engine& e, const ami::Message& m, int64_t t) {
  Channel* spyer = e.upsert_channel(m, "Spyer", t);
  Channel* spyee = e.upsert_channel(m, "Spyee", t);
  if (spyer == nullptr || spyee == nullptr) return;
  if (spyer->spy_mode_strength < 2) {  // the originate CallerID names the mode
    std::string_view n = m.get("SpyerCallerIDName");
    if (ami::iequals(n, "Whisper")) spyer->spy_mode = "whisper", spyer->spy_mode_strength = 2;
    else if (ami::iequals(n, "Barge")) spyer->spy_mode = "barge", spyer->spy_mode_strength = 2;
    else if (ami::iequals(n, "Listen")) spyer->spy_mode = "listen", spyer->spy_mode_strength = 2;
  }
  spyer->spy = true;
  e.touch_call(spyer->call_id);
  if (!spyer->extension.empty()) e.touch_extension(spyer->extension);
  auto c = e.state_.calls.find(spyee->call_id);
  if (c == e.state_.calls.end()) return;
  auto& list = c->second.spied_by;
  list.erase(std::remove_if(list.begin(), list.end(), [&](const SpyInfo& s) { return s.uniqueid == spyer->uniqueid; }),
             list.end());
  SpyInfo s{spyer->extension.empty() ? spyer->device : spyer->extension, spyer->name, spyer->uniqueid,
            spyer->spy_mode.empty() ? "listen" : spyer->spy_mode, t};
  e.journey(c->second, t, "spied", s.extension + " " + s.mode);
  list.push_back(std::move(s));
  e.touch_call(c->first);
}

void Handlers::on_chanspystop(Engine& e, const ami::Message& m, int64_t) {
  std::string_view uid = m.get("SpyerUniqueid");
  Channel* spyer = uid.empty() ? e.channel_by_name(m.get("SpyerChannel")) : e.channel_by_uid(uid);
  std::string key = spyer != nullptr ? spyer->uniqueid : std::string(uid);
  for (auto& [id, call] : e.state_.calls) {
    auto before = call.spied_by.size();
    call.spied_by.erase(std::remove_if(call.spied_by.begin(), call.spied_by.end(),
                                       [&](const SpyInfo& s) { return s.uniqueid == key; }),
                        call.spied_by.end());
    if (before != call.spied_by.size()) e.touch_call(id);
  }
}

namespace {
std::string park_key(const ami::Message& m) {
  std::string lot(m.get("Parkinglot"));
  std::string space(m.get("ParkingSpace"));
  return lot.empty() || lot == "default" ? space : lot + ":" + space;
}
}  // namespace

void Handlers::on_parkedcall(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.upsert_channel(m, "Parkee", t);
  std::string key = park_key(m);
  if (ch == nullptr || key.empty()) return;
  if (!m.action_id().empty()) e.list_item(m, "parked", key);
  Parked& p = e.state_.parked[key];
  bool fresh = p.channel.empty();
  p.space.assign(m.get("ParkingSpace"));
  p.lot.assign(m.get("Parkinglot"));
  p.channel = ch->name;
  p.uniqueid = ch->uniqueid;
  p.extension = ch->extension.empty() ? ch->caller_num : ch->extension;
  p.call_id = ch->call_id;
  std::string_view parker = m.get("ParkerDialString");
  p.parked_by.assign(parker.empty() ? std::string_view{} : channel_resource(parker));
  long long dur = hms_seconds(m.get("ParkingDuration"));
  long long timeout = hms_seconds(m.get("ParkingTimeout"));
  if (fresh) p.since = t - std::max(0LL, dur) * 1000;
  p.timeout_at = timeout > 0 ? t + timeout * 1000 : 0;
  e.mark(EntityKind::kParked, key);
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end()) {
    c->second.parked_space = p.space;
    e.journey(c->second, t, "parked", p.space);
    e.touch_call(c->first);
  }
}

void Handlers::unpark(Engine& e, const ami::Message& m, int64_t t, std::string_view event) {
  std::string key = park_key(m);
  e.state_.parked.erase(key);
  e.mark(EntityKind::kParked, key);
  Channel* ch = e.channel_from(m, "Parkee");
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c == e.state_.calls.end()) return;
  c->second.parked_space.clear();
  std::string detail;
  if (Channel* r = e.channel_from(m, "Retriever")) {
    detail = who(*r);
    std::string id = e.merge_calls(c->first, r->call_id, t);
    c = e.state_.calls.find(id);
    if (c == e.state_.calls.end()) return;
  }
  e.journey(c->second, t, event, detail);
  e.touch_call(c->first);
}

void Handlers::on_unparkedcall(Engine& e, const ami::Message& m, int64_t t) { unpark(e, m, t, "retrieved"); }
void Handlers::on_parkedcallgone(Engine& e, const ami::Message& m, int64_t t) {
  unpark(e, m, t, ami::iequals(m.event(), "ParkedCallTimeOut") ? "park_timeout" : "park_gave_up");
}

void Handlers::on_confbridgestart(Engine& e, const ami::Message& m, int64_t) {
  std::string room(m.get("Conference"));
  if (room.empty()) return;
  e.state_.conferences[room].room = room;
  e.mark(EntityKind::kConference, room);
}

void Handlers::on_confbridgeend(Engine& e, const ami::Message& m, int64_t) {
  std::string room(m.get("Conference"));
  e.state_.conferences.erase(room);
  e.mark(EntityKind::kConference, room);
}

void Handlers::on_confbridgelistrooms(Engine& e, const ami::Message& m, int64_t t) {
  std::string room(m.get("Conference"));
  if (room.empty()) return;
  e.list_item(m, "conferences", room);
  on_confbridgestart(e, m, t);
}

void Handlers::on_confbridgejoin(Engine& e, const ami::Message& m, int64_t t) {
  std::string room(m.get("Conference"));
  Channel* ch = e.upsert_channel(m, {}, t);
  if (room.empty() || ch == nullptr) return;
  Conference& conf = e.state_.conferences[room];
  conf.room = room;
  ConfMember& mem = conf.members[ch->uniqueid];
  if (mem.channel.empty()) mem.since = t;
  mem.channel = ch->name;
  mem.uniqueid = ch->uniqueid;
  mem.extension = ch->extension.empty() ? ch->caller_num : ch->extension;
  mem.admin = truthy(m.get("Admin"));
  mem.muted = truthy(m.get("Muted"));
  if (m.has("Talking")) mem.talking = truthy(m.get("Talking"));
  e.mark(EntityKind::kConference, room);
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end() && c->second.conference != room) {
    c->second.conference = room;
    e.journey(c->second, t, "conference", room);
  }
}

void Handlers::on_confbridgeleave(Engine& e, const ami::Message& m, int64_t t) {
  std::string room(m.get("Conference"));
  auto it = e.state_.conferences.find(room);
  if (it != e.state_.conferences.end()) it->second.members.erase(std::string(m.get("Uniqueid")));
  e.mark(EntityKind::kConference, room);
  if (Channel* ch = e.channel_from(m)) {
    auto c = e.state_.calls.find(ch->call_id);
    if (c != e.state_.calls.end()) {
      c->second.conference.clear();
      e.journey(c->second, t, "left_conference", room);
      e.touch_call(c->first);
    }
  }
}

void Handlers::conf_flag(Engine& e, const ami::Message& m, bool ConfMember::*flag, bool value) {
  auto it = e.state_.conferences.find(m.get("Conference"));
  if (it == e.state_.conferences.end()) return;
  auto mem = it->second.members.find(m.get("Uniqueid"));
  if (mem == it->second.members.end()) return;
  mem->second.*flag = value;
  e.mark(EntityKind::kConference, it->first);
}

void Handlers::on_confbridgemute(Engine& e, const ami::Message& m, int64_t) { conf_flag(e, m, &ConfMember::muted, true); }
void Handlers::on_confbridgeunmute(Engine& e, const ami::Message& m, int64_t) { conf_flag(e, m, &ConfMember::muted, false); }
void Handlers::on_confbridgetalking(Engine& e, const ami::Message& m, int64_t) {
  conf_flag(e, m, &ConfMember::talking, ami::iequals(m.get("TalkingStatus"), "on"));
}

// RTCP report blocks: fraction lost (/256), interarrival jitter (8 kHz units), RTT, MES.
// Only without a QoS tracker (QosPolicy::from_events); throttled like set_call_qos.
void Handlers::on_rtcp(Engine& e, const ami::Message& m, int64_t t) {
  if (!e.qos_policy_.from_events) return;
  Channel* ch = e.channel_by_uid(m.get("Uniqueid"));
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c == e.state_.calls.end()) return;
  Qos q = c->second.qos;
  if (m.has("Report0FractionLost")) q.loss_pct = to_int(m.get("Report0FractionLost")) * 100.0 / 256.0;
  if (m.has("Report0IAJitter")) q.jitter_ms = to_int(m.get("Report0IAJitter")) / 8.0;
  if (m.has("RTT")) {
    double rtt = to_double(m.get("RTT"), -1);
    if (rtt >= 0 && rtt < 60) q.rtt_ms = rtt * 1000.0;  // 65535.x marks "no RTT yet"
  }
  if (m.has("MES")) q.mes = to_double(m.get("MES"), q.mes);
  e.store_qos(c->second, std::move(q), t);
}

}  // namespace opdesk::pbx
