// Queue calls (trace 06 answered, 07 abandoned): Answer, sub-record, Queue(), QueueCallerJoin,
// music on hold, AgentCalled + DialBegin per rung member (ringall: every available member;
// rrmemory: one member at a time, in turn), the ringall quirk of two DialEnd CANCEL per losing
// leg, AgentConnect/AgentComplete or QueueCallerAbandon, and queue statistics.
#include <algorithm>

#include "model.hpp"

namespace opdesk::sim {

Queue* Pbx::queue_by_name(const std::string& name) {
  for (auto& q : queues_)
    if (q.name == name) return &q;
  return nullptr;
}

void Pbx::queue_enter(Call& call, Channel& caller, Queue& q) {
  call.kind = Call::Kind::kQueue;
  call.queue = q.name;
  const std::string from = caller.cid_num, to = q.number;
  newexten(caller, caller.context, to, 2, "Answer", "");
  set_state(caller, 6);
  newexten(caller, caller.context, to, 4, "Gosub", "sub-record,s,1(q," + to + "," + from + ")");
  call.rec_name = rec_name("q", to, from, caller.uniqueid);
  caller.rec_path = rec_path(call.rec_name);
  newexten(caller, "sub-record", "s", 7, "MixMonitor", caller.rec_path + ",ab");
  varset(caller, "MIXMONITOR_FILENAME", caller.rec_path);
  chan_event("MixMonitorStart", caller);
  call.dial_data = q.name + ",tkK,,,120";
  newexten(caller, caller.context == "sub-record" ? "from-internal" : caller.context, to, 5, "Queue", call.dial_data);
  q.callers.push_back(caller.uniqueid);
  call.queue_join = now();
  chan_event("QueueCallerJoin", caller, {{"Queue", q.name}, {"Position", std::to_string(q.callers.size())},
                                         {"Count", std::to_string(q.callers.size())}});
  caller.moh = false;
  chan_event("MusicOnHoldStart", caller, {{"Class", "default"}});
  if (call.scripted && call.plan.outcome == CallPlan::Outcome::kCancel)
    at(call, call.plan.ring, [this](Call& c) { queue_abandon(c); });
  else if (call.scripted && call.plan.outcome == CallPlan::Outcome::kNoAnswer)
    at(call, 120, [this](Call& c) { queue_abandon(c); });
  queue_ring(call, q);
}

void Pbx::queue_ring(Call& call, Queue& q) {
  auto ci = channels_.find(call.caller);
  if (ci == channels_.end()) return;
  std::vector<Member*> avail;
  for (auto& m : q.members)
    if (!m.paused && member_status(m) == 1) avail.push_back(&m);
  if (avail.empty()) {  // nobody free: try again later, like the queue's retry timer
    at(call, 5, [this](Call& c) { if (Queue* qq = queue_by_name(c.queue)) queue_ring(c, *qq); });
    return;
  }
  if (q.strategy != "ringall") {
    Member* m = avail[q.rr_next++ % avail.size()];
    avail = {m};
  }
  std::vector<std::pair<std::string, std::string>> rung;  // leg uid, ext
  for (Member* m : avail) {
    Channel& caller = channels_.at(call.caller);
    std::string ext = endpoint_of(m->iface);
    if (ext.empty()) continue;
    Channel& leg = new_channel(m->iface, ext, endpoints_.at(ext).name, 0, "s", caller.linkedid);
    leg.call = call.id;
    dial_event("AgentCalled", &caller, leg, {{"Queue", q.name}, {"Interface", m->iface}, {"MemberName", m->name}});
    dial_event("DialBegin", &caller, leg, {{"DialString", m->iface}});
    leg.exten = q.number;
    set_state(leg, 5);
    connected(leg, caller.cid_num, caller.cid_name);
    rung.emplace_back(leg.uniqueid, ext);
    call.ringing.push_back(leg.uniqueid);
  }
  for (auto& [uid, ext] : rung)
    dial_event("DialState", &channels_.at(call.caller), channels_.at(uid), {{"DialStatus", "RINGING"}});
  if (rung.empty()) return;
  // Which member reacts: the scripted one, else the first rung one.
  std::string who = rung.front().first;
  double ring = call.plan.ring;
  CallPlan::Outcome outcome = call.plan.outcome;
  if (call.scripted && !call.plan.answering_member.empty()) {
    for (auto& [uid, ext] : rung)
      if (ext == call.plan.answering_member) who = uid;
  }
  if (!call.scripted) {
    CallPlan r = reaction_for(rung.front().second);
    ring = r.ring;
    outcome = r.outcome == CallPlan::Outcome::kAnswer ? r.outcome : CallPlan::Outcome::kNoAnswer;
    call.plan.talk = r.talk;
    call.plan.callee_hangs_up = r.callee_hangs_up;
  }
  if (outcome == CallPlan::Outcome::kAnswer) {
    at(call, ring, [this, who](Call& c) { queue_answer(c, who); });
  } else if (outcome == CallPlan::Outcome::kBusy) {
    at(call, ring, [this, who](Call& c) { leg_busy(c, who); });
  } else if (!call.scripted) {
    at(call, 15, [this](Call& c) {  // member ring timeout: cancel the legs, ring again
      auto ci2 = channels_.find(c.caller);
      if (ci2 == channels_.end()) return;
      std::vector<std::string> legs = c.ringing;
      c.ringing.clear();
      for (auto& l : legs) {
        dial_event("DialEnd", &ci2->second, channels_.at(l), {{"DialStatus", "NOANSWER"}});
        destroy_channel(l, 0);
      }
      if (Queue* qq = queue_by_name(c.queue)) queue_ring(c, *qq);
    });
  }
}

void Pbx::queue_answer(Call& call, std::string leg_uid) {
  auto li = channels_.find(leg_uid), ci = channels_.find(call.caller);
  if (li == channels_.end() || ci == channels_.end()) return;
  Channel &leg = li->second, &caller = ci->second;
  Queue* q = queue_by_name(call.queue);
  if (!q) return;
  std::vector<std::string> losers;
  for (auto& u : call.ringing)
    if (u != leg_uid) losers.push_back(u);
  call.ringing.clear();
  set_state(leg, 6);
  dial_event("DialEnd", &caller, leg, {{"DialStatus", "ANSWER"}});
  for (auto& l : losers) dial_event("DialEnd", &caller, channels_.at(l), {{"DialStatus", "CANCEL"}});
  connected(caller, leg.cid_num, leg.cid_name);
  for (auto& l : losers) dial_event("DialEnd", &caller, channels_.at(l), {{"DialStatus", "CANCEL"}});
  chan_event("MusicOnHoldStop", caller);
  auto pos = std::find(q->callers.begin(), q->callers.end(), caller.uniqueid);
  std::string position = std::to_string(pos - q->callers.begin() + 1);
  if (pos != q->callers.end()) q->callers.erase(pos);
  chan_event("QueueCallerLeave", caller, {{"Queue", q->name}, {"Position", position},
                                          {"Count", std::to_string(q->callers.size())}});
  long hold = static_cast<long>(now() - call.queue_join + 0.5);
  long ring = static_cast<long>(now() - leg.created + 0.5);
  std::string iface = "PJSIP/" + leg.endpoint;
  dial_event("AgentConnect", &caller, leg, {{"Queue", q->name}, {"Interface", iface}, {"MemberName", "Agent " + leg.endpoint},
                                            {"HoldTime", std::to_string(hold)}, {"RingTime", std::to_string(ring)}});
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  for (auto& l : losers) {
    call.cdrs.push_back({caller.cid_num, q->number, "from-internal", clid, caller.name, channels_.at(l).name, "Queue",
                         call.dial_data, caller.created, -1, now(), "NO ANSWER", caller.uniqueid});
    destroy_channel(l, 26);
  }
  for (auto& m : q->members)
    if (m.iface == iface) {
      ++m.calls;
      m.last_call = static_cast<long>(epoch());
    }
  ++q->completed;
  q->holdtime = hold;
  call.peer = leg_uid;
  call.bridge = bridge_create();
  bridge_enter(call.bridge, leg);
  bridge_enter(call.bridge, caller);
  call.bridged_at = now();
  start_rtcp(leg);
  start_rtcp(caller);
  after_answer(call);
}

void Pbx::queue_abandon(Call& call) {
  auto ci = channels_.find(call.caller);
  if (ci == channels_.end()) return;
  Channel& caller = ci->second;
  Queue* q = queue_by_name(call.queue);
  hangup_event(caller, 16, true, false);
  chan_event("MusicOnHoldStop", caller);
  std::vector<std::string> legs = call.ringing;
  call.ringing.clear();
  for (int round = 0; round < 2; ++round)
    for (auto& l : legs) dial_event("DialEnd", &caller, channels_.at(l), {{"DialStatus", "CANCEL"}});
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  for (auto& l : legs) {
    call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, channels_.at(l).name,
                         "Queue", call.dial_data, caller.created, -1, now(), "NO ANSWER", caller.uniqueid});
    destroy_channel(l, 0);
  }
  if (legs.empty())
    call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, "", "Queue",
                         call.dial_data, caller.created, -1, now(), "NO ANSWER", caller.uniqueid});
  if (q) {
    auto pos = std::find(q->callers.begin(), q->callers.end(), caller.uniqueid);
    std::string position = std::to_string(pos - q->callers.begin() + 1);
    if (pos != q->callers.end()) q->callers.erase(pos);
    ++q->abandoned;
    chan_event("QueueCallerAbandon", caller, {{"Queue", q->name}, {"Position", position},
                                              {"OriginalPosition", position},
                                              {"HoldTime", std::to_string(static_cast<long>(now() - call.queue_join + 0.5))}});
    chan_event("QueueCallerLeave", caller, {{"Queue", q->name}, {"Position", position},
                                            {"Count", std::to_string(q->callers.size())}});
  }
  hangup_event(caller, 16, false, true);
  write_recording(caller.rec_path, 0);
  destroy_channel(caller.uniqueid, 0);
  end_call(call.id);
}

}  // namespace opdesk::sim
