// Rooms where calls wait or meet: ConfBridge room 800 (ConfbridgeStart/Join/Leave/End) and
// the parking lot 700 with spaces 701-720 (ParkedCall, UnParkedCall when a phone dials the
// space, ParkedCallTimeOut after 45 s).
#include <algorithm>

#include "model.hpp"

namespace opdesk::sim {

void Pbx::conf_join(Call& call, Channel& caller) {
  call.kind = Call::Kind::kConf;
  newexten(caller, caller.context, "800", 1, "Answer", "");
  set_state(caller, 6);
  newexten(caller, caller.context, "800", 2, "ConfBridge", "800");
  if (conf_.empty()) {
    conf_bridge_ = bridge_create();
    conf_start_ = now();
    emit(Fields{{"Event", "ConfbridgeStart"}, {"Privilege", "call,all"}, {"Conference", "800"},
                {"BridgeUniqueid", conf_bridge_}, {"BridgeType", "base"}, {"BridgeTechnology", "softmix"},
                {"BridgeCreator", "ConfBridge"}, {"BridgeName", "800"}, {"BridgeNumChannels", "0"},
                {"BridgeVideoSourceMode", "none"}});
  }
  conf_.insert(caller.uniqueid);
  caller.bridge = conf_bridge_;
  Fields f = event("ConfbridgeJoin", "call,all");
  f.insert(f.end(), {{"Conference", "800"}, {"BridgeUniqueid", conf_bridge_}, {"BridgeType", "base"},
                     {"BridgeTechnology", "softmix"}, {"BridgeCreator", "ConfBridge"}, {"BridgeName", "800"},
                     {"BridgeNumChannels", std::to_string(conf_.size())}, {"BridgeVideoSourceMode", "none"}});
  put_channel(f, caller);
  f.insert(f.end(), {{"Admin", "No"}, {"Muted", "No"}});
  emit(f);
  start_rtcp(caller);
  std::string uid = caller.uniqueid;
  at(call, call.scripted ? call.plan.talk : 60, [this, uid](Call& c) {
    Channel& ch = channels_.at(uid);
    hangup_event(ch, 16, true, false);
    Fields l = event("ConfbridgeLeave", "call,all");
    l.insert(l.end(), {{"Conference", "800"}, {"BridgeUniqueid", conf_bridge_}, {"BridgeType", "base"},
                       {"BridgeTechnology", "softmix"}, {"BridgeCreator", "ConfBridge"}, {"BridgeName", "800"},
                       {"BridgeNumChannels", std::to_string(conf_.size() - 1)}, {"BridgeVideoSourceMode", "none"}});
    put_channel(l, ch);
    l.insert(l.end(), {{"Admin", "No"}});
    emit(l);
    conf_.erase(uid);
    ch.bridge.clear();
    if (conf_.empty()) emit(Fields{{"Event", "ConfbridgeEnd"}, {"Privilege", "call,all"}, {"Conference", "800"},
                                   {"BridgeUniqueid", conf_bridge_}});
    c.cdrs.push_back({ch.cid_num, "800", "from-internal", "", ch.name, "", "ConfBridge", "800", ch.created,
                      ch.answered, now(), "ANSWERED", uid});
    hangup_event(ch, 16, false, true);
    destroy_channel(uid, 16);
    end_call(c.id);
  });
}

bool Pbx::park(std::string uid, std::string parker_uid, std::string& space) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return false;
  for (int s = 701; s <= 720; ++s)
    if (!parked_.count(std::to_string(s))) { space = std::to_string(s); break; }
  if (space.empty()) return false;
  Channel& parkee = it->second;
  Call* call = call_of(parkee.call);
  std::string other = call ? (call->caller == uid ? call->peer : call->caller) : parker_uid;
  if (!parkee.bridge.empty()) {
    std::string bridge = parkee.bridge;
    bridge_leave(parkee);
    auto oi = channels_.find(other);
    if (oi != channels_.end()) bridge_leave(oi->second);
    bridge_destroy(bridge);
  }
  auto oi = channels_.find(other);
  std::string parker_name = oi != channels_.end() ? oi->second.name : "";
  if (oi != channels_.end()) {
    hangup_event(oi->second, 16, false, true);
    destroy_channel(other, 16);
  }
  if (call) {
    for (uint64_t t : call->timers) sched_.cancel(t);
    call->timers.clear();
    call->kind = Call::Kind::kParked;
    call->caller = uid;
    call->peer.clear();
  }
  parked_[space] = uid;
  parkee.moh = true;
  Fields f = event("ParkedCall", "call,all");
  put_channel(f, parkee, "Parkee");
  f.insert(f.end(), {{"ParkerDialString", parker_name.substr(0, parker_name.rfind('-'))}, {"Parkinglot", "default"},
                     {"ParkingSpace", space}, {"ParkingTimeout", "45"}, {"ParkingDuration", "0"}});
  emit(f);
  chan_event("MusicOnHoldStart", parkee, {{"Class", "default"}});
  device_update(parkee.endpoint);
  if (call) {
    std::string sp = space;
    at(*call, 45, [this, sp, uid](Call& c) {  // nobody picked it up: the parkee gives up
      auto pi = channels_.find(uid);
      if (pi == channels_.end()) return;
      Fields t = event("ParkedCallTimeOut", "call,all");
      put_channel(t, pi->second, "Parkee");
      t.insert(t.end(), {{"Parkinglot", "default"}, {"ParkingSpace", sp}});
      emit(t);
      parked_.erase(sp);
      hangup_event(pi->second, 16, false, true);
      destroy_channel(uid, 16);
      end_call(c.id);
    });
  }
  return true;
}

void Pbx::pickup_parked(Call& call, Channel& caller, const std::string& space) {
  auto p = parked_.find(space);
  newexten(caller, caller.context, space, 1, "ParkedCall", "default," + space);
  if (p == parked_.end() || !channels_.count(p->second)) {
    hangup_event(caller, 16, false, true);
    destroy_channel(caller.uniqueid, 16);
    return end_call(call.id);
  }
  std::string parkee_uid = p->second;
  parked_.erase(p);
  Channel& parkee = channels_.at(parkee_uid);
  if (Call* old = call_of(parkee.call)) {
    for (uint64_t t : old->timers) sched_.cancel(t);
    old->timers.clear();
    old->caller.clear();
    calls_.erase(old->id);
  }
  set_state(caller, 6);
  Fields f = event("UnParkedCall", "call,all");
  put_channel(f, parkee, "Parkee");
  f.insert(f.end(), {{"Parkinglot", "default"}, {"ParkingSpace", space}});
  put_channel(f, caller, "Retriever");
  emit(f);
  parkee.moh = false;
  chan_event("MusicOnHoldStop", parkee);
  // The retriever's call now owns the parkee: caller = retriever, peer = parkee.
  parkee.call = call.id;
  call.kind = Call::Kind::kDial;
  call.peer = parkee_uid;
  call.target = space;
  call.dial_data = "default," + space;
  call.bridge = bridge_create();
  bridge_enter(call.bridge, parkee);
  bridge_enter(call.bridge, caller);
  call.bridged_at = now();
  start_rtcp(caller);
  device_update(parkee.endpoint);
  bool callee = call.plan.callee_hangs_up;
  at(call, call.scripted ? call.plan.talk : 30, [this, callee](Call& c) { bridge_hangup(c, callee ? c.peer : c.caller, 16); });
}

}  // namespace opdesk::sim
