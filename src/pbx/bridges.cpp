// Bridges and what happens inside them: BridgeEnter/Leave/Merge (a bridge joining channels
// of two calls merges the calls), hold (Hold/Unhold from the holder, MOH on the held side,
// only a bridged MOH counts as hold), the two halves of Local channels and their
// optimisation, MixMonitor start/stop.
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {

void Handlers::on_bridgeenter(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.upsert_channel(m, {}, t);
  std::string_view bid = m.get("BridgeUniqueid");
  if (ch == nullptr || bid.empty()) return;
  ch->bridge.assign(bid);
  auto& members = e.bridge_members_[ch->bridge];
  std::string call_id = ch->call_id;
  for (const auto& uid : members) {
    Channel* other = e.channel_by_uid(uid);
    if (other != nullptr && other->call_id != call_id) call_id = e.merge_calls(call_id, other->call_id, t);
  }
  if (std::find(members.begin(), members.end(), ch->uniqueid) == members.end()) members.push_back(ch->uniqueid);
  auto c = e.state_.calls.find(call_id);
  if (c == e.state_.calls.end()) return;
  int real = 0;
  for (const auto& uid : members) {
    const Channel* x = e.channel_by_uid(uid);
    real += x != nullptr && !x->local && !x->spy;
  }
  if (real >= 2 && c->second.answered_at == 0) c->second.answered_at = t;
  e.refresh_hold(c->second, t);
}

void Handlers::on_bridgeleave(Engine& e, const ami::Message& m, int64_t t) {
  Channel* ch = e.channel_from(m);
  if (ch == nullptr) return;
  auto b = e.bridge_members_.find(ch->bridge);
  if (b != e.bridge_members_.end()) {
    erase_value(b->second, ch->uniqueid);
    if (b->second.empty()) e.bridge_members_.erase(b);
  }
  ch->bridge.clear();
  e.update_channel_fields(*ch, m, {});
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end()) e.refresh_hold(c->second, t);
}

void Handlers::on_bridgemerge(Engine& e, const ami::Message& m, int64_t t) {
  std::string from(m.get("FromBridgeUniqueid"));
  std::string to(m.get("ToBridgeUniqueid"));
  auto f = e.bridge_members_.find(from);
  if (f == e.bridge_members_.end() || from == to) return;
  std::vector<std::string> moved = std::move(f->second);
  e.bridge_members_.erase(f);
  auto& dst = e.bridge_members_[to];
  std::string call_id;
  if (!dst.empty()) {
    if (const Channel* x = e.channel_by_uid(dst.front())) call_id = x->call_id;
  }
  for (const auto& uid : moved) {
    Channel* ch = e.channel_by_uid(uid);
    if (ch == nullptr) continue;
    ch->bridge = to;
    dst.push_back(uid);
    call_id = call_id.empty() ? ch->call_id : e.merge_calls(call_id, ch->call_id, t);
  }
}

void Handlers::set_hold(Engine& e, Channel* ch, bool holding, int64_t t) {
  if (ch == nullptr) return;
  ch->holding = holding;
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end()) e.refresh_hold(c->second, t);
  if (!ch->extension.empty()) e.touch_extension(ch->extension);
}

void Handlers::on_hold(Engine& e, const ami::Message& m, int64_t t) { set_hold(e, e.upsert_channel(m, {}, t), true, t); }
void Handlers::on_unhold(Engine& e, const ami::Message& m, int64_t t) { set_hold(e, e.upsert_channel(m, {}, t), false, t); }

void Handlers::set_moh(Engine& e, Channel* ch, bool on, int64_t t) {
  if (ch == nullptr) return;
  ch->moh = on;
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end()) e.refresh_hold(c->second, t);
  if (!ch->extension.empty()) e.touch_extension(ch->extension);
}

void Handlers::on_mohstart(Engine& e, const ami::Message& m, int64_t t) { set_moh(e, e.upsert_channel(m, {}, t), true, t); }
void Handlers::on_mohstop(Engine& e, const ami::Message& m, int64_t t) { set_moh(e, e.upsert_channel(m, {}, t), false, t); }

// The two halves of a Local channel belong to one call.
void Handlers::on_localbridge(Engine& e, const ami::Message& m, int64_t t) {
  Channel* one = e.upsert_channel(m, "LocalOne", t);
  Channel* two = e.upsert_channel(m, "LocalTwo", t);
  if (one != nullptr && two != nullptr && one->call_id != two->call_id) e.merge_calls(one->call_id, two->call_id, t);
}

// After optimisation the real channels meet directly; keep them in one call.
void Handlers::on_localoptimizationend(Engine& e, const ami::Message& m, int64_t t) {
  Channel* one = e.channel_from(m, "LocalOne");
  Channel* two = e.channel_from(m, "LocalTwo");
  if (one != nullptr && two != nullptr && one->call_id != two->call_id) e.merge_calls(one->call_id, two->call_id, t);
}

void Handlers::on_mixmonitorstart(Engine& e, const ami::Message& m, int64_t) {
  Channel* ch = e.channel_from(m);
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c == e.state_.calls.end()) return;
  c->second.recording_active = true;
  e.touch_call(c->first);
}

void Handlers::on_mixmonitorstop(Engine& e, const ami::Message& m, int64_t) {
  Channel* ch = e.channel_from(m);
  if (ch == nullptr) return;
  auto c = e.state_.calls.find(ch->call_id);
  if (c == e.state_.calls.end()) return;
  c->second.recording_active = false;
  e.touch_call(c->first);
}

}  // namespace opdesk::pbx
