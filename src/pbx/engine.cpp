// State engine core: the dispatch table (one handler per AMI event name, everything else is
// counted and dropped after one hash lookup), change coalescing, epochs, time, lookups.
//
// Invariants: every mutation of a shown entity calls mark(); calls whose channels changed are
// put in dirty_calls_ and their derived fields (parties, state, direction) are recomputed once
// at the end of apply(), so readers between frames always see a consistent model. A change
// batch names each entity at most once, in first-changed order; whether it is an upsert or a
// removal is decided when the batch is taken (the entity's state at that moment).
#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {

int to_int(std::string_view s, int fallback) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p != s.data() ? v : fallback;
}

bool truthy(std::string_view s) noexcept {
  return ami::iequals(s, "yes") || ami::iequals(s, "true") || s == "1" || ami::iequals(s, "on");
}

long long hms_seconds(std::string_view s) noexcept {
  long long total = 0;
  long long part = 0;
  bool digits = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      if (part > 100000000000LL || total > 100000000000LL) return -1;  // no overflow on junk
      part = part * 10 + (c - '0');
      digits = true;
    } else if (c == ':') {
      total = (total + part) * 60;
      part = 0;
    } else {
      return -1;
    }
  }
  return digits ? total + part : -1;
}

std::string_view channel_tech(std::string_view name) noexcept {
  auto slash = name.find('/');
  return slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash);
}

bool is_local_channel(std::string_view name) noexcept {
  return name.size() > 6 && ami::iequals(name.substr(0, 6), "Local/");
}

std::string_view channel_resource(std::string_view name) noexcept {
  auto slash = name.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view rest = name.substr(slash + 1);
  if (is_local_channel(name)) {
    auto at = rest.find('@');
    return at == std::string_view::npos ? rest : rest.substr(0, at);
  }
  // DAHDI/i1/5551234-1 style: keep the last path part.
  if (auto s2 = rest.rfind('/'); s2 != std::string_view::npos) rest = rest.substr(s2 + 1);
  // Channel names end in "-<seq>"; interfaces ("PJSIP/1001") have none.
  auto dash = rest.rfind('-');
  if (dash != std::string_view::npos && dash > 0) {
    std::string_view seq = rest.substr(dash + 1);
    bool hex = !seq.empty() && std::all_of(seq.begin(), seq.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    if (hex) rest = rest.substr(0, dash);
  }
  return rest;
}

bool has_number(std::string_view v) noexcept {
  return !v.empty() && v != "<unknown>";
}

std::string_view basename(std::string_view path) noexcept {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view to_string(EntityKind kind) noexcept {
  switch (kind) {
    case EntityKind::kExtension: return "extension";
    case EntityKind::kCall: return "call";
    case EntityKind::kQueue: return "queue";
    case EntityKind::kParked: return "parked";
    case EntityKind::kConference: return "conference";
    case EntityKind::kPbx: return "pbx";
  }
  return "pbx";
}

Handlers::H Handlers::find(std::string_view event) {
  using E = Handlers;
  static const std::unordered_map<std::string_view, H> kTable = {
      {"Newchannel", E::on_newchannel}, {"Newstate", E::on_newstate},
      {"NewCallerid", E::on_newcallerid}, {"NewConnectedLine", E::on_newcallerid},
      {"Newexten", E::on_newexten}, {"VarSet", E::on_varset}, {"Hangup", E::on_hangup},
      {"Rename", E::on_rename}, {"Masquerade", E::on_masquerade},
      {"DialBegin", E::on_dialbegin}, {"DialEnd", E::on_dialend},
      {"BridgeEnter", E::on_bridgeenter}, {"BridgeLeave", E::on_bridgeleave},
      {"BridgeMerge", E::on_bridgemerge}, {"Hold", E::on_hold}, {"Unhold", E::on_unhold},
      {"MusicOnHoldStart", E::on_mohstart}, {"MusicOnHoldStop", E::on_mohstop},
      {"LocalBridge", E::on_localbridge}, {"LocalOptimizationEnd", E::on_localoptimizationend},
      {"MixMonitorStart", E::on_mixmonitorstart}, {"MixMonitorStop", E::on_mixmonitorstop},
      {"RTCPReceived", E::on_rtcp}, {"RTCPSent", E::on_rtcp},
      {"BlindTransfer", E::on_blindtransfer}, {"AttendedTransfer", E::on_attendedtransfer},
      {"ChanSpyStart", E::on_chanspystart}, {"ChanSpyStop", E::on_chanspystop},
      {"ParkedCall", E::on_parkedcall}, {"UnParkedCall", E::on_unparkedcall},
      {"ParkedCallSwap", E::on_parkedcall}, {"ParkedCallTimeOut", E::on_parkedcallgone}, {"ParkedCallGiveUp", E::on_parkedcallgone},
      {"ConfbridgeStart", E::on_confbridgestart}, {"ConfbridgeEnd", E::on_confbridgeend},
      {"ConfbridgeJoin", E::on_confbridgejoin}, {"ConfbridgeLeave", E::on_confbridgeleave},
      {"ConfbridgeList", E::on_confbridgejoin}, {"ConfbridgeMute", E::on_confbridgemute},
      {"ConfbridgeUnmute", E::on_confbridgeunmute}, {"ConfbridgeTalking", E::on_confbridgetalking},
      {"ConfbridgeListRooms", E::on_confbridgelistrooms},
      {"ExtensionStatus", E::on_extensionstatus}, {"EndpointList", E::on_endpointlist},
      {"ContactList", E::on_contactlist}, {"ContactStatus", E::on_contactstatus},
      {"PeerStatus", E::on_peerstatus}, {"PeerEntry", E::on_peerentry},
      {"DeviceStateChange", E::on_devicestatechange}, {"DBGetResponse", E::on_dbgetresponse},
      {"DBGetTreeResponse", E::on_dbgetresponse}, {"UserEvent", E::on_userevent},
      {"FullyBooted", E::on_fullybooted}, {"CoreSettings", E::on_coresettings},
      {"QueueParams", E::on_queueparams}, {"QueueMember", E::on_queuemember},
      {"QueueMemberAdded", E::on_queuemember}, {"QueueMemberStatus", E::on_queuemember},
      {"QueueMemberPause", E::on_queuemember}, {"QueueMemberPaused", E::on_queuemember},
      {"QueueMemberPenalty", E::on_queuemember}, {"QueueMemberRinginuse", E::on_queuemember},
      {"QueueMemberRemoved", E::on_queuememberremoved}, {"QueueEntry", E::on_queueentry},
      {"QueueCallerJoin", E::on_queuecallerjoin}, {"QueueCallerLeave", E::on_queuecallerleave},
      {"QueueCallerAbandon", E::on_queuecallerabandon}, {"AgentCalled", E::on_agentcalled},
      {"AgentRingNoAnswer", E::on_agentringnoanswer}, {"AgentConnect", E::on_agentconnect},
      {"AgentComplete", E::on_agentcomplete}, {"AgentDump", E::on_agentringnoanswer},
      {"QueueSummary", E::on_queuesummary},
      {"CoreShowChannel", E::on_coreshowchannel}, {"Status", E::on_status},
      {"CoreShowChannelsComplete", E::on_list_complete}, {"StatusComplete", E::on_list_complete},
      {"QueueStatusComplete", E::on_list_complete}, {"ExtensionStateListComplete", E::on_list_complete},
      {"EndpointListComplete", E::on_list_complete}, {"ContactListComplete", E::on_list_complete},
      {"PeerlistComplete", E::on_list_complete}, {"ParkedCallsComplete", E::on_list_complete},
      {"ConfbridgeListRoomsComplete", E::on_list_complete},
  };
  auto it = kTable.find(event);
  return it == kTable.end() ? nullptr : it->second;
}

Engine::Engine() = default;

int64_t Engine::event_time(const ami::Message& msg, int64_t now_ms) const {
  std::string_view ts = msg.get("Timestamp");
  if (ts.empty()) return now_ms;
  auto dot = ts.find('.');
  long long secs = hms_seconds(ts.substr(0, dot));
  if (secs <= 0) return now_ms;
  long long ms = secs * 1000;
  if (dot != std::string_view::npos) {
    std::string_view frac = ts.substr(dot + 1, 3);
    int scale = 100;
    for (char c : frac) {
      if (c < '0' || c > '9') break;
      ms += (c - '0') * scale;
      scale /= 10;
    }
  }
  return ms;
}

void Engine::apply(const ami::Message& msg, int64_t now_ms) {
  ++counter_;
  ++stats_.frames;
  const int64_t t = event_time(msg, now_ms);
  std::string_view ev = msg.event();
  if (ev.empty()) {
    if (!msg.response().empty()) Handlers::on_response(*this, msg, t);
    return;
  }
  Handlers::H h = Handlers::find(ev);
  if (h == nullptr) {
    ++stats_.ignored;
    return;
  }
  h(*this, msg, t);
  if (!dirty_calls_.empty()) flush_dirty();
}

void Engine::flush_dirty() {
  for (size_t i = 0; i < dirty_calls_.size(); ++i) {
    const std::string& id = dirty_calls_[i];
    auto it = state_.calls.find(id);
    if (it != state_.calls.end()) Handlers::derive_call(*this, it->second);
    mark(EntityKind::kCall, id);
  }
  dirty_calls_.clear();
}

void Engine::mark(EntityKind kind, std::string_view id) {
  if (pending_keys_.count(KeyView{kind, id})) return;  // no allocation when already pending
  pending_.push_back(Change{kind, std::string(id), false});
  pending_keys_.insert(KeyView{kind, pending_.back().id});
}

std::optional<ChangeBatch> Engine::take_changes() {
  if (pending_.empty()) return std::nullopt;
  ChangeBatch batch;
  batch.epoch = epoch_;
  batch.seq = ++seq_;
  batch.changes.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
  pending_keys_.clear();
  pending_.clear();
  for (auto& c : batch.changes) {
    switch (c.kind) {
      case EntityKind::kExtension: c.removed = !state_.extensions.count(c.id); break;
      case EntityKind::kCall: {
        auto it = state_.calls.find(c.id);
        c.removed = it == state_.calls.end() || !call_visible(it->second);
        break;
      }
      case EntityKind::kQueue: c.removed = !state_.queues.count(c.id); break;
      case EntityKind::kParked: c.removed = !state_.parked.count(c.id); break;
      case EntityKind::kConference: c.removed = !state_.conferences.count(c.id); break;
      case EntityKind::kPbx: c.removed = false; break;
    }
  }
  return batch;
}

void Engine::on_connection_start(int64_t now_ms, std::string_view banner) {
  // Pending changes are kept: the new epoch's first batch carries them, so a consumer that
  // applies every batch still converges (clients also re-snapshot on a new epoch).
  ++epoch_;
  seq_ = 0;
  lists_.clear();
  connection_counter_ = counter_;
  state_.pbx.connected = true;
  state_.pbx.since = now_ms;
  state_.pbx.banner.assign(banner);
  mark(EntityKind::kPbx, "pbx");
}

void Engine::on_connection_lost(int64_t /*now_ms*/) {
  state_.pbx.connected = false;
  lists_.clear();
  mark(EntityKind::kPbx, "pbx");
}

const Extension* Engine::find_extension(std::string_view ext) const {
  auto it = state_.extensions.find(ext);
  return it == state_.extensions.end() ? nullptr : &it->second;
}

const Call* Engine::find_call(std::string_view call_id) const {
  auto it = state_.calls.find(call_id);
  return it == state_.calls.end() ? nullptr : &it->second;
}

const Channel* Engine::find_channel(std::string_view name_or_uniqueid) const {
  auto it = state_.channels.find(name_or_uniqueid);
  if (it != state_.channels.end()) return &it->second;
  auto n = uid_by_name_.find(std::string(name_or_uniqueid));
  if (n == uid_by_name_.end()) return nullptr;
  it = state_.channels.find(n->second);
  return it == state_.channels.end() ? nullptr : &it->second;
}

std::vector<const Channel*> Engine::channels_of_extension(std::string_view ext) const {
  std::vector<const Channel*> out;
  auto it = device_channels_.find(std::string(ext));
  if (it == device_channels_.end()) return out;
  for (const auto& uid : it->second) {
    auto c = state_.channels.find(uid);
    if (c != state_.channels.end() && !c->second.local) out.push_back(&c->second);
  }
  return out;
}

std::vector<std::string> Engine::calls_of_extension(std::string_view ext) const {
  std::vector<std::string> out;
  for (const Channel* ch : channels_of_extension(ext)) {
    auto it = state_.calls.find(ch->call_id);
    if (it == state_.calls.end() || !call_visible(it->second)) continue;
    if (std::find(out.begin(), out.end(), ch->call_id) == out.end()) out.push_back(ch->call_id);
  }
  return out;
}

bool Engine::call_visible(const Call& call) const {
  for (const auto& uid : call.channels) {
    auto it = state_.channels.find(uid);
    if (it != state_.channels.end() && !it->second.local && !it->second.spy) return true;
  }
  return false;
}

ExtState Engine::extension_state(const Extension& ext) const {
  if (ext.hint_code != -100) return ext_state_from_hint(ext.hint_code);
  bool any = false, ringing = false, held = false;
  for (const Channel* ch : channels_of_extension(ext.number)) {
    any = true;
    ringing = ringing || ch->state == 5;
    held = held || ch->holding || (ch->moh && !ch->bridge.empty());
  }
  if (held) return ExtState::kOnHold;
  if (ringing) return ExtState::kRinging;
  if (any) return ExtState::kInCall;
  return ext.registered() ? ExtState::kIdle : ExtState::kUnavailable;
}

void Engine::set_dnd(std::string_view ext, bool on, int64_t /*now_ms*/) {
  Extension* e = ext_find(ext);
  if (e == nullptr || e->dnd == on) return;
  e->dnd = on;
  mark(EntityKind::kExtension, ext);
}

void Engine::set_extension_name(std::string_view ext, std::string_view name) {
  Extension* e = ext_find(ext);
  if (e == nullptr || e->name == name) return;
  e->name.assign(name);
  mark(EntityKind::kExtension, ext);
}

}  // namespace opdesk::pbx
