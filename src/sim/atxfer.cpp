// Attended transfer (AMI Atxfer, or a phone's *2): Asterisk implements it with DTMF and a
// Local channel pair, which is what a panel must survive (README quirk 8):
//   DTMFBegin/End "*", "2", digits on the transferer; music on hold for the transferee;
//   Local/<exten>@<context>-XXXXXXXX;1 and ;2 (LocalBridge); ;2 runs the dialplan and Dials the
//   target; the transferer waits in a consultation bridge with ;1; when the target answers the
//   pair optimizes itself out (LocalOptimizationBegin/End, target moves into the consultation
//   bridge, both Local halves hang up); when the transferer hangs up: AttendedTransfer and
//   BridgeMerge put the target with the transferee. A failed consultation returns the
//   transferer to the original bridge.
#include <cstdio>

#include "model.hpp"

namespace opdesk::sim {

bool Pbx::atxfer(std::string xuid, const std::string& exten, const std::string& context, double consult) {
  auto xi = channels_.find(xuid);
  if (xi == channels_.end()) return false;
  Call* call = call_of(xi->second.call);
  if (!call || call->peer.empty() || call->bridge.empty() || exten.empty()) return false;
  for (auto& [id, a] : atxfers_)
    if (a.transferer == xuid) return false;  // one consultation at a time
  std::string puid = call->caller == xuid ? call->peer : call->caller;
  for (char d : "*2" + exten) play_dtmf(xuid, std::string(1, d));
  Channel& x = channels_.at(xuid);
  Channel& p = channels_.at(puid);
  for (uint64_t t : call->timers) sched_.cancel(t);
  call->timers.clear();
  p.moh = true;
  chan_event("MusicOnHoldStart", p, {{"Class", "default"}});
  device_update(p.endpoint);
  std::string orig_bridge = call->bridge;
  bridge_leave(x);
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", static_cast<unsigned>(rng_()));
  std::string base = "Local/" + exten + "@" + context + "-" + tag;
  std::string l1uid = new_channel(base + ";1", x.cid_num, x.cid_name, 0, exten, x.linkedid, "", context).uniqueid;
  Channel& l2 = new_channel(base + ";2", x.cid_num, x.cid_name, 4, exten, x.linkedid, "", context);
  Channel& l1 = channels_.at(l1uid);
  Fields lb = event("LocalBridge", "call,all");
  put_channel(lb, l1, "LocalOne");
  put_channel(lb, l2, "LocalTwo");
  lb.insert(lb.end(), {{"Context", context}, {"Exten", exten}, {"LocalOptimization", "Yes"}});
  emit(lb);
  std::string consult_bridge = bridge_create();
  bridge_enter(consult_bridge, x);
  Call& dial = new_call(Call::Kind::kDial);
  dial.plan = reaction_for(exten);
  dial.plan.outcome = dial.plan.outcome == CallPlan::Outcome::kCancel ? CallPlan::Outcome::kAnswer : dial.plan.outcome;
  dial.caller = l2.uniqueid;
  l2.call = dial.id;
  l1.call = dial.id;
  Atxfer a;
  a.orig_call = call->id;
  a.transferer = xuid;
  a.transferee = puid;
  a.local1 = l1.uniqueid;
  a.local2 = l2.uniqueid;
  a.orig_bridge = orig_bridge;
  a.consult_bridge = consult_bridge;
  a.target = exten;
  a.consult = consult;
  atxfers_[dial.id] = a;
  route(dial, l2, exten);
  return true;
}

void Pbx::atxfer_answered(Call& dial, const std::string& leg_uid) {
  Atxfer& a = atxfers_.at(dial.id);
  a.answered = true;
  if (!channels_.count(a.local1) || !channels_.count(a.local2) || !channels_.count(a.transferer) ||
      !channels_.count(leg_uid)) {
    // Someone hung up a party of the consultation meanwhile: drop what is left of it.
    for (const std::string& u : {a.local1, a.local2, leg_uid})
      if (channels_.count(u)) hangup_event(channels_.at(u), 16, false, true), destroy_channel(u, 16);
    Atxfer copy = a;
    atxfers_.erase(dial.id);
    end_call(dial.id);
    copy.answered = false;
    return atxfer_revert(copy);
  }
  Channel& l1 = channels_.at(a.local1);
  Channel& l2 = channels_.at(a.local2);
  Channel& t = channels_.at(leg_uid);
  dial_event("DialEnd", &l2, t, {{"DialStatus", "ANSWER"}});
  set_state(l2, 6);
  set_state(l1, 6);
  bridge_enter(a.consult_bridge, l1);
  Fields ob = event("LocalOptimizationBegin", "call,all");
  put_channel(ob, l1, "LocalOne");
  put_channel(ob, l2, "LocalTwo");
  put_channel(ob, channels_.at(a.transferer), "Source");
  ob.insert(ob.end(), {{"DestUniqueId", t.uniqueid}, {"Id", std::to_string(dial.id)}});
  emit(ob);
  bridge_leave(l1);
  bridge_enter(a.consult_bridge, t);
  Fields oe = event("LocalOptimizationEnd", "call,all");
  put_channel(oe, l1, "LocalOne");
  put_channel(oe, l2, "LocalTwo");
  oe.insert(oe.end(), {{"Success", "Yes"}, {"Id", std::to_string(dial.id)}});
  emit(oe);
  t.call = a.orig_call;
  connected(t, channels_.at(a.transferer).cid_num, channels_.at(a.transferer).cid_name);
  hangup_event(l1, 16, false, true);
  destroy_channel(a.local1, 16);
  hangup_event(l2, 16, false, true);
  destroy_channel(a.local2, 16);
  start_rtcp(t);
  uint64_t id = dial.id;
  double consult = a.consult;
  sched_.after(consult, [this, id] { atxfer_complete(id); });
}

void Pbx::atxfer_complete(uint64_t dial_id) {
  auto it = atxfers_.find(dial_id);
  if (it == atxfers_.end()) return;
  Atxfer a = it->second;
  atxfers_.erase(it);
  end_call(dial_id);
  Call* call = call_of(a.orig_call);
  auto xi = channels_.find(a.transferer), pi = channels_.find(a.transferee);
  std::string tuid;
  for (auto& [u, c] : channels_)
    if (c.bridge == a.consult_bridge && u != a.transferer) tuid = u;
  if (!call || xi == channels_.end() || pi == channels_.end() || tuid.empty()) return;
  Channel &x = xi->second, &p = pi->second, &t = channels_.at(tuid);
  hangup_event(x, 16, true, false);
  Fields f = event("AttendedTransfer", "call,all");
  f.emplace_back("Result", "Success");
  put_channel(f, x, "OrigTransferer");
  f.insert(f.end(), {{"OrigBridgeUniqueid", a.orig_bridge}, {"OrigBridgeType", "basic"}});
  put_channel(f, x, "SecondTransferer");
  f.insert(f.end(), {{"SecondBridgeUniqueid", a.consult_bridge}, {"SecondBridgeType", "basic"},
                     {"DestType", "Bridge"}, {"DestBridgeUniqueid", a.orig_bridge}});
  put_channel(f, p, "Transferee");
  put_channel(f, t, "TransferTarget");
  f.emplace_back("IsExternal", "No");
  emit(f);
  emit(Fields{{"Event", "BridgeMerge"}, {"Privilege", "call,all"}, {"ToBridgeUniqueid", a.orig_bridge},
              {"ToBridgeType", "basic"}, {"ToBridgeTechnology", "simple_bridge"}, {"ToBridgeNumChannels", "1"},
              {"FromBridgeUniqueid", a.consult_bridge}, {"FromBridgeType", "basic"},
              {"FromBridgeTechnology", "simple_bridge"}, {"FromBridgeNumChannels", "2"}});
  bridge_leave(x);
  bridge_leave(t);
  bridge_destroy(a.consult_bridge);
  bridge_enter(a.orig_bridge, t);
  p.moh = false;
  chan_event("MusicOnHoldStop", p);
  connected(p, t.cid_num, t.cid_name);
  std::string clid = "\"" + x.cid_name + "\" <" + x.cid_num + ">";
  call->cdrs.push_back({x.cid_num, call->target, "from-internal", clid, x.name, p.name, "Dial", call->dial_data,
                        x.created, call->bridged_at, now(), "ANSWERED", x.uniqueid});
  call->cdr_insert = call->cdrs.size();
  hangup_event(x, 16, false, true);
  destroy_channel(a.transferer, 16);
  device_update(p.endpoint);
  call->caller = a.transferee;
  call->peer = tuid;
  call->bridge = a.orig_bridge;
  call->bridged_at = now();
  double talk = call->scripted ? call->plan.transfer_talk : reaction_for(a.target).talk;
  at(*call, talk, [this](Call& c) { bridge_hangup(c, c.peer, 16); });
}

void Pbx::atxfer_revert(Atxfer a) {
  auto xi = channels_.find(a.transferer), pi = channels_.find(a.transferee);
  if (channels_.count(a.local1)) {
    hangup_event(channels_.at(a.local1), 16, false, true);
    destroy_channel(a.local1, 16);
  }
  if (xi == channels_.end()) return;
  bridge_leave(xi->second);
  bridge_destroy(a.consult_bridge);
  if (pi == channels_.end()) return;
  bridge_enter(a.orig_bridge, xi->second);
  pi->second.moh = false;
  chan_event("MusicOnHoldStop", pi->second);
  device_update(pi->second.endpoint);
  if (Call* call = call_of(a.orig_call)) {
    bool callee = call->plan.callee_hangs_up;
    at(*call, call->plan.talk, [this, callee](Call& c) { bridge_hangup(c, callee ? c.peer : c.caller, 16); });
  }
}

}  // namespace opdesk::sim
