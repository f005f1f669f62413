// Calls: channels grouped by Linkedid (and merged when a bridge joins two groups), with
// derived parties, state and direction. A call is shown while it has a real channel (not a
// Local half, not a ChanSpy leg) and is erased when its last channel is gone; Local halves
// are never parties, so a queue or follow-me call names the real phones.
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {

Call& Engine::call_for(const std::string& id, int64_t t) {
  auto [it, inserted] = state_.calls.try_emplace(id);
  if (inserted) {
    it->second.id = id;
    it->second.started_at = t;
  }
  return it->second;
}

void Engine::touch_call(std::string_view call_id) {
  if (call_id.empty()) return;
  if (std::find(dirty_calls_.begin(), dirty_calls_.end(), call_id) == dirty_calls_.end()) dirty_calls_.emplace_back(call_id);
}

void Engine::journey(Call& call, int64_t at, std::string_view event, std::string_view detail) {
  if (!call.journey.empty()) {
    const auto& last = call.journey.back();
    if (last.event == event && last.detail == detail) return;
  }
  if (call.journey.size() >= kMaxJourney) {
    call.journey.erase(call.journey.begin() + 1);  // keep the first step
    ++stats_.capped;
  }
  call.journey.push_back(JourneyStep{at, std::string(event), std::string(detail)});
}

std::string Engine::merge_calls(const std::string& a, const std::string& b, int64_t t) {
  if (a == b) return a;
  auto ia = state_.calls.find(a);
  auto ib = state_.calls.find(b);
  if (ia == state_.calls.end()) return b;
  if (ib == state_.calls.end()) return a;
  bool a_older = ia->second.started_at < ib->second.started_at ||
                 (ia->second.started_at == ib->second.started_at && a < b);
  Call& into = a_older ? ia->second : ib->second;
  Call from = std::move(a_older ? ib->second : ia->second);
  state_.calls.erase(a_older ? ib : ia);
  for (const auto& uid : from.channels) {
    auto c = state_.channels.find(uid);
    if (c != state_.channels.end()) c->second.call_id = into.id;
    if (std::find(into.channels.begin(), into.channels.end(), uid) == into.channels.end()) {
      into.channels.push_back(uid);
    }
  }
  for (auto& s : from.spied_by) into.spied_by.push_back(std::move(s));
  for (auto& j : from.journey) into.journey.push_back(std::move(j));
  std::stable_sort(into.journey.begin(), into.journey.end(),
                   [](const JourneyStep& x, const JourneyStep& y) { return x.at < y.at; });
  if (into.journey.size() > kMaxJourney) into.journey.resize(kMaxJourney);
  if (into.recording.empty()) {
    into.recording = from.recording;
    into.recording_path = from.recording_path;
  }
  into.recording_active = into.recording_active || from.recording_active;
  if (into.queue.empty()) into.queue = from.queue;
  if (into.answered_at == 0) into.answered_at = from.answered_at;
  into.hold_ms += from.hold_ms;
  into.transferred = into.transferred || from.transferred;
  mark(EntityKind::kCall, from.id);
  touch_call(into.id);
  refresh_hold(into, t);
  return into.id;
}

void Engine::end_call_if_done(const std::string& call_id, int64_t t) {
  auto it = state_.calls.find(call_id);
  if (it == state_.calls.end()) return;
  Call& call = it->second;
  if (!call.channels.empty() && call_visible(call)) {
    touch_call(call_id);
    return;
  }
  call.ended_at = t;
  if (call.channels.empty()) {
    state_.calls.erase(it);
    erase_value(dirty_calls_, call_id);
  } else {
    touch_call(call_id);  // only Local halves or spy legs left: hidden until they go
  }
  mark(EntityKind::kCall, call_id);
}

void Engine::refresh_hold(Call& call, int64_t t) {
  bool on = false;
  std::string holder;
  std::string held_ext;
  for (const auto& uid : call.channels) {
    auto it = state_.channels.find(uid);
    if (it == state_.channels.end() || it->second.local || it->second.spy) continue;
    const Channel& ch = it->second;
    if (ch.holding) {
      on = true;
      holder = ch.extension.empty() ? ch.device : ch.extension;
    } else if (ch.moh && !ch.bridge.empty()) {
      on = true;
      held_ext = ch.extension.empty() ? ch.device : ch.extension;
    }
  }
  if (on && holder.empty()) {
    for (const auto& uid : call.channels) {  // the holder is the other bridged party
      auto it = state_.channels.find(uid);
      if (it == state_.channels.end() || it->second.local || it->second.spy) continue;
      std::string e = it->second.extension.empty() ? it->second.device : it->second.extension;
      if (!it->second.moh && e != held_ext) holder = e;
    }
  }
  if (on && !call.on_hold) {
    call.on_hold = true;
    call.hold_since = t;
    journey(call, t, "held", holder);
  } else if (!on && call.on_hold) {
    call.on_hold = false;
    call.hold_ms += std::max<int64_t>(0, t - call.hold_since);
    call.hold_since = 0;
    journey(call, t, "resumed", call.held_by);
  }
  call.held_by = on ? holder : std::string();
  touch_call(call.id);
}

namespace {

std::string_view party_state(const Channel& ch, bool caller) {
  if (ch.moh && !ch.bridge.empty()) return "held";
  switch (ch.state) {
    case 6: return "up";
    case 5: return "ringing";
    case 4: return caller ? "dialing" : "ringing";
    case 7: return "busy";
    case 0: return caller ? "dialing" : "down";
    default: return "dialing";
  }
}

// Fills p in place (its strings keep their capacity between derivations).
void fill_party(Party& p, const Channel& ch, const State& st, bool caller) {
  p.extension = ch.extension;
  p.channel = ch.name;
  p.uniqueid = ch.uniqueid;
  p.role = caller ? "caller" : "callee";
  p.state = party_state(ch, caller);
  p.on_hold = ch.moh && !ch.bridge.empty();
  p.holding = ch.holding;
  p.name.clear();
  if (!ch.extension.empty()) {
    p.number = ch.extension;
    auto e = st.extensions.find(ch.extension);
    if (e != st.extensions.end() && !e->second.name.empty()) p.name = e->second.name;
  } else {
    p.number = has_number(ch.caller_num) ? ch.caller_num : ch.exten;
  }
  if (p.name.empty() && has_number(ch.caller_name) && !ch.spy) p.name = ch.caller_name;
}

}  // namespace

void Handlers::derive_call(Engine& e, Call& call) {
  thread_local std::vector<Channel*> real;  // reused scratch (the engine is single-threaded)
  real.clear();
  for (const auto& uid : call.channels) {
    auto it = e.state_.channels.find(uid);
    if (it == e.state_.channels.end() || it->second.local || it->second.spy) continue;
    Channel& ch = it->second;
    if (ch.extension.empty() && !ch.device.empty() && e.state_.extensions.count(ch.device)) {
      ch.extension = ch.device;
    }
    real.push_back(&ch);
  }
  std::sort(real.begin(), real.end(), [&call](const Channel* a, const Channel* b) {
    if ((a->uniqueid == call.id) != (b->uniqueid == call.id)) return a->uniqueid == call.id;
    if (a->created_at != b->created_at) return a->created_at < b->created_at;
    return a->uniqueid < b->uniqueid;
  });
  call.parties.resize(real.size());
  bool any_ringing = false, all_up = !real.empty();
  for (size_t i = 0; i < real.size(); ++i) {
    fill_party(call.parties[i], *real[i], e.state_, i == 0);
    any_ringing = any_ringing || (i > 0 && (real[i]->state == 5 || real[i]->state == 4 ||
                                            real[i]->state == 0));
    all_up = all_up && real[i]->state == 6;
  }
  if (!call.parked_space.empty()) call.state = "parked";
  else if (!call.conference.empty()) call.state = "conference";
  else if (call.on_hold) call.state = "held";
  else if (call.answered_at != 0) call.state = "up";
  else if (any_ringing) call.state = "ringing";
  else if (all_up) call.state = "up";
  else call.state = "dialing";
  // Direction: by whether parties are known extensions (never by digit count).
  bool caller_ext = !real.empty() && !real[0]->extension.empty();
  bool other_external = false;
  for (size_t i = 1; i < real.size(); ++i) other_external = other_external || real[i]->extension.empty();
  if (!real.empty() && !caller_ext) call.direction = "inbound";
  else if (other_external) call.direction = "outbound";
  else call.direction = "internal";
}

}  // namespace opdesk::pbx
