// Call flows of the simulated dialplan (FreePBX-like: from-internal → sub-dial-ext →
// sub-record → Dial): placing calls, ringing legs, answer/busy/no-answer/cancel, bridged
// hangups and hold. Event order per channel follows the real traces 03, 04, 04b, 05, 12.
// Queue calls are in queue_flow.cpp, transfers/originate/spy/park/conference in features.cpp.
#include <algorithm>

#include "model.hpp"

namespace opdesk::sim {

Call& Pbx::new_call(Call::Kind kind) {
  uint64_t id = ++call_seq_;
  Call& c = calls_[id];
  c.id = id;
  c.kind = kind;
  ++calls_started_;
  return c;
}

Call* Pbx::call_of(uint64_t id) {
  auto it = calls_.find(id);
  return it == calls_.end() ? nullptr : &it->second;
}

void Pbx::at(Call& call, double secs, std::function<void(Call&)> fn) {
  uint64_t id = call.id;
  call.timers.push_back(sched_.after(secs, [this, id, fn = std::move(fn)] {
    if (Call* c = call_of(id)) fn(*c);
  }));
}

void Pbx::end_call(uint64_t id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  auto ax = atxfers_.find(id);
  if (ax != atxfers_.end()) {  // the consultation call failed (busy, no answer): back to the caller
    Atxfer x = ax->second;
    atxfers_.erase(ax);
    if (!x.answered) atxfer_revert(x);
  }
  for (uint64_t t : it->second.timers) sched_.cancel(t);
  for (const Cdr& r : it->second.cdrs) emit_cdr(r);
  calls_.erase(it);
  ++calls_completed_;
}

CallPlan Pbx::reaction_for(const std::string& ext) {
  auto it = reactions_.find(ext);
  if (it != reactions_.end()) return it->second;
  CallPlan p;
  std::uniform_real_distribution<double> ring(2, 9), talk(15, 120);
  std::uniform_int_distribution<int> pct(0, 99);
  p.ring = ring(rng_);
  p.talk = talk(rng_);
  int r = pct(rng_);
  p.outcome = r < 80 ? CallPlan::Outcome::kAnswer : r < 90 ? CallPlan::Outcome::kNoAnswer : CallPlan::Outcome::kBusy;
  p.callee_hangs_up = pct(rng_) < 50;
  return p;
}

uint64_t Pbx::place_call(const CallPlan& plan) {
  Call& call = new_call(Call::Kind::kDial);
  call.plan = plan;
  call.scripted = true;
  auto ep = endpoints_.find(plan.from);
  Channel* caller;
  if (ep != endpoints_.end()) {
    caller = &new_channel("PJSIP/" + plan.from, plan.from, ep->second.name, 4, plan.to, "");
    varset(*caller, "SIPDOMAIN", "127.0.0.1");
  } else {
    caller = &new_channel("PJSIP/trunk-provider", plan.from, plan.from_name, 4, plan.to, "", "", "from-pstn");
  }
  caller->call = call.id;
  call.caller = caller->uniqueid;
  uint64_t id = call.id;  // route() may end the call (and free it) right away
  route(call, *caller, plan.to);
  return id;
}

std::string Pbx::ext_to_endpoint(const std::string& to) const { return endpoints_.count(to) ? to : std::string(); }

void Pbx::route(Call& call, Channel& caller, const std::string& to) {
  if (call.target.empty()) call.target = to;  // CDR dst stays the first number dialled (13b)
  for (auto& q : queues_)
    if (q.number == to) return queue_enter(call, caller, q);
  if (endpoints_.count(to)) return dial_ext(call, caller, to, true);
  if (to == "600" || to == "601") return app_call(call, caller, to);
  if (to == "800") return conf_join(call, caller);
  if (to.size() == 3 && to[0] == '7' && to != "700") return pickup_parked(call, caller, to);
  if (to.rfind("*555", 0) == 0 || to.rfind("*556", 0) == 0 || to.rfind("*557", 0) == 0) {
    std::string opts = to[3] == '5' ? "qE" : to[3] == '6' ? "qEw" : "qEB";
    newexten(caller, caller.context, to, 1, "Answer", "");
    if (caller.state != 6) set_state(caller, 6);
    newexten(caller, caller.context, to, 2, "ChanSpy", "PJSIP/" + to.substr(4) + "-," + opts);
    return spy_start(call, caller, "PJSIP/" + to.substr(4) + "-", opts);
  }
  if (to.size() >= 6 || (!to.empty() && to[0] == '0')) return dial_ext(call, caller, to, true);
  // Unknown extension: Asterisk answers with "invalid" and hangs up.
  newexten(caller, caller.context, "i", 1, "Hangup", "");
  hangup_event(caller, 16, false, true);
  destroy_channel(caller.uniqueid, 16);
  end_call(call.id);
}

void Pbx::dial_ext(Call& call, Channel& caller, const std::string& to, bool via_sub) {
  bool external = !endpoints_.count(to);
  const std::string from = caller.cid_num;
  if (via_sub) {
    newexten(caller, "from-internal", to, 1, "Gosub", "sub-dial-ext,s,1(" + to + ")");
    newexten(caller, "sub-dial-ext", "s", 1, "NoOp", "Internal call " + from + " -> " + to);
    varset(caller, "__FROMEXTEN", from);
    if (call.rec_name.empty()) {
      const std::string kind = external ? "out" : "internal";
      newexten(caller, "sub-dial-ext", "s", 4, "Gosub", "sub-record,s,1(" + kind + "," + to + "," + from + ")");
      call.rec_name = rec_name(kind, to, from, caller.uniqueid);
      std::string path = rec_path(call.rec_name);
      caller.rec_path = path;
      newexten(caller, "sub-record", "s", 7, "MixMonitor", path + ",ab");
      varset(caller, "MIXMONITOR_FILENAME", path);
      chan_event("MixMonitorStart", caller);
    }
  }
  std::string data = external ? "PJSIP/" + to + "@trunk-provider,60,tT" : "PJSIP/" + to + ",30,tTkK";
  newexten(caller, "sub-dial-ext", "s", 5, "Dial", data);
  call.dial_data = data;
  call.ring_start = now();
  if (!external && !endpoints_.at(to).registered) {
    // CHANUNAVAIL: no leg is created; the caller's dialplan hangs up.
    varset(caller, "DIALSTATUS", "CHANUNAVAIL");
    Cdr r{from, to, "from-internal", "\"" + caller.cid_name + "\" <" + from + ">", caller.name, "", "Dial", data,
          caller.created, -1, now(), "NO ANSWER", caller.uniqueid};
    call.cdrs.push_back(r);
    newexten(caller, "from-internal", to, 2, "Hangup", "");
    hangup_event(caller, 20, false, true);
    destroy_channel(caller.uniqueid, 20);
    return end_call(call.id);
  }
  std::string tech = external ? "PJSIP/trunk-provider" : "PJSIP/" + to;
  std::string name = external ? to : endpoints_.at(to).name;
  Channel& leg = new_channel(tech, to, name, 0, "s", caller.linkedid);
  leg.call = call.id;
  varset(leg, "DIALEDPEERNUMBER", to);
  newexten(leg, "from-internal", "s", 1, "AppDial", "(Outgoing Line)");
  connected(leg, caller.cid_num, caller.cid_name);
  dial_event("DialBegin", &caller, leg, {{"DialString", external ? to + "@trunk-provider" : to}});
  connected(caller, to, name);
  set_state(leg, 5);
  dial_event("DialState", &caller, leg, {{"DialStatus", "RINGING"}});
  call.ringing.push_back(leg.uniqueid);
  schedule_leg_reaction(call, leg.uniqueid, to);
}

void Pbx::schedule_leg_reaction(Call& call, const std::string& leg, const std::string& ext) {
  CallPlan p = call.plan;
  if (!call.scripted) p = reaction_for(ext);
  if (db_.count("DND/" + ext)) p.outcome = CallPlan::Outcome::kBusy, p.ring = 0.5;
  call.plan.talk = p.talk;
  call.plan.callee_hangs_up = p.callee_hangs_up;
  switch (p.outcome) {
    case CallPlan::Outcome::kAnswer:
      at(call, p.ring, [this, leg](Call& c) { leg_answer(c, leg); });
      break;
    case CallPlan::Outcome::kBusy:
      at(call, p.ring, [this, leg](Call& c) { leg_busy(c, leg); });
      break;
    case CallPlan::Outcome::kNoAnswer:
      at(call, 30, [this](Call& c) { dial_timeout(c); });
      break;
    case CallPlan::Outcome::kCancel:
      at(call, p.ring, [this](Call& c) { caller_cancel(c, 127); });
      break;
  }
}

void Pbx::leg_answer(Call& call, std::string leg_uid) {
  auto li = channels_.find(leg_uid), ci = channels_.find(call.caller);
  if (li == channels_.end() || ci == channels_.end()) return;
  Channel &leg = li->second, &caller = ci->second;
  call.ringing.erase(std::remove(call.ringing.begin(), call.ringing.end(), leg_uid), call.ringing.end());
  set_state(leg, 6);
  varset(caller, "DIALSTATUS", "ANSWER");
  if (atxfers_.count(call.id)) return atxfer_answered(call, leg_uid);
  dial_event("DialEnd", &caller, leg, {{"DialStatus", "ANSWER"}});
  if (caller.state != 6) set_state(caller, 6);
  call.peer = leg_uid;
  call.bridge = bridge_create();
  newexten(leg, "from-internal", "", 1, "AppDial", "(Outgoing Line)");
  bridge_enter(call.bridge, leg);
  bridge_enter(call.bridge, caller);
  varset(leg, "BRIDGEPEER", caller.name);
  varset(caller, "BRIDGEPEER", leg.name);
  call.bridged_at = now();
  start_rtcp(leg);
  start_rtcp(caller);
  after_answer(call);
}

void Pbx::after_answer(Call& call) {
  const CallPlan& p = call.plan;
  for (const auto& h : p.holds) {
    bool by_caller = h.by_caller;
    at(call, h.at, [this, by_caller](Call& c) { hold(by_caller ? c.caller : c.peer, true); });
    at(call, h.at + h.length, [this, by_caller](Call& c) { hold(by_caller ? c.caller : c.peer, false); });
  }
  if (!p.blind_transfer_to.empty()) {
    std::string to = p.blind_transfer_to;
    at(call, p.transfer_at, [this, to](Call& c) { blind_transfer(c.peer, to); });
    return;
  }
  if (!p.attended_transfer_to.empty()) {
    std::string to = p.attended_transfer_to;
    double consult = p.transfer_talk;
    at(call, p.transfer_at, [this, to, consult](Call& c) {
      if (!atxfer(c.peer, to, "from-internal", consult)) bridge_hangup(c, c.caller, 16);
    });
    return;
  }
  if (!p.park_by_callee.empty()) {
    at(call, p.transfer_at, [this](Call& c) {
      std::string space;
      std::string picker = c.plan.park_by_callee, caller = c.caller;
      if (!park(c.caller, c.peer, space)) return;
      double wait = c.plan.park_for;
      sched_.after(wait, [this, picker, space] {
        CallPlan pick;
        pick.from = picker;
        pick.to = space;
        pick.talk = 4;
        if (endpoints_.count(picker) && parked_.count(space)) place_call(pick);
      });
    });
    return;
  }
  bool callee = p.callee_hangs_up;
  at(call, p.talk, [this, callee](Call& c) { bridge_hangup(c, callee ? c.peer : c.caller, 16); });
}

void Pbx::leg_busy(Call& call, std::string leg_uid) {
  auto li = channels_.find(leg_uid), ci = channels_.find(call.caller);
  if (li == channels_.end() || ci == channels_.end()) return;
  Channel &leg = li->second, &caller = ci->second;
  call.ringing.erase(std::remove(call.ringing.begin(), call.ringing.end(), leg_uid), call.ringing.end());
  hangup_event(leg, 17, true, false);
  varset(caller, "DIALSTATUS", "BUSY");
  dial_event("DialEnd", &caller, leg, {{"DialStatus", "BUSY"}});
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, leg.name, "Dial",
                       call.dial_data, caller.created, -1, now(), "BUSY", caller.uniqueid});
  destroy_channel(leg_uid, 17);
  if (call.kind == Call::Kind::kQueue) {
    if (call.ringing.empty()) at(call, 5, [this](Call& c) { if (Queue* q = queue_by_name(c.queue)) queue_ring(c, *q); });
    return;
  }
  auto c2i = channels_.find(call.caller);
  if (c2i == channels_.end()) return end_call(call.id);
  Channel& c2 = c2i->second;
  newexten(c2, "from-internal", call.target, 2, "Hangup", "");
  call.cdrs.push_back({c2.cid_num, call.target, "from-internal", clid, c2.name, "", "Hangup", "", now(), -1, now(),
                       "BUSY", c2.uniqueid});
  hangup_event(c2, 17, false, true);
  write_recording(c2.rec_path, 0);
  destroy_channel(c2.uniqueid, 17);
  end_call(call.id);
}

void Pbx::dial_timeout(Call& call) {
  auto ci = channels_.find(call.caller);
  if (ci == channels_.end()) return;
  Channel& caller = ci->second;
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  std::vector<std::string> legs = call.ringing;
  call.ringing.clear();
  varset(caller, "DIALSTATUS", "NOANSWER");
  for (auto& l : legs) {
    Channel& leg = channels_.at(l);
    dial_event("DialEnd", &caller, leg, {{"DialStatus", "NOANSWER"}});
    call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, leg.name, "Dial",
                         call.dial_data, caller.created, -1, now(), "NO ANSWER", caller.uniqueid});
  }
  caller.context = "from-internal";
  caller.exten = call.target;
  caller.priority = 2;
  hangup_event(caller, 16, false, true);
  for (auto& l : legs) destroy_channel(l, 0);
  call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, "", "Hangup", "", now(), -1,
                       now(), "NO ANSWER", caller.uniqueid});
  write_recording(caller.rec_path, 0);
  destroy_channel(caller.uniqueid, 16);
  end_call(call.id);
}

void Pbx::caller_cancel(Call& call, int cause) {
  if (call.kind == Call::Kind::kQueue) return queue_abandon(call);
  auto ci = channels_.find(call.caller);
  if (ci == channels_.end()) return;
  Channel& caller = ci->second;
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  hangup_event(caller, cause, true, false);
  std::vector<std::string> legs = call.ringing;
  call.ringing.clear();
  for (auto& l : legs) {
    Channel& leg = channels_.at(l);
    dial_event("DialEnd", &caller, leg, {{"DialStatus", "CANCEL"}});
    call.cdrs.push_back({caller.cid_num, call.target, "from-internal", clid, caller.name, leg.name, "Dial",
                         call.dial_data, caller.created, -1, now(), "NO ANSWER", caller.uniqueid});
  }
  hangup_event(caller, 16, false, true);
  for (auto& l : legs) destroy_channel(l, cause);
  write_recording(caller.rec_path, 0);
  destroy_channel(caller.uniqueid, cause);
  end_call(call.id);
}

void Pbx::bridge_hangup(Call& call, std::string hanger, int cause) {
  if (call.kind == Call::Kind::kSpy || call.kind == Call::Kind::kApp || call.kind == Call::Kind::kConf ||
      call.kind == Call::Kind::kParked) {
    auto it = channels_.find(hanger);
    if (it == channels_.end()) return;
    if (call.kind == Call::Kind::kSpy) {
      const Channel& s = it->second;
      call.cdrs.push_back({s.cid_num, s.exten, "from-internal", "\"" + s.cid_name + "\" <" + s.cid_num + ">", s.name,
                           "", s.app, s.appdata, s.created, s.answered, now(), "ANSWERED", s.uniqueid});
    }
    hangup_event(it->second, cause, true, false);
    if (call.kind == Call::Kind::kSpy) spy_stop_for(hanger);
    if (call.kind == Call::Kind::kConf) conf_.erase(hanger);
    if (call.kind != Call::Kind::kSpy && channels_.count(hanger)) hangup_event(channels_.at(hanger), 16, false, true);
    destroy_channel(hanger, call.kind == Call::Kind::kApp ? 0 : cause);
    return end_call(call.id);
  }
  auto ci = channels_.find(call.caller), pi = channels_.find(call.peer);
  if (ci == channels_.end() || pi == channels_.end()) return;
  Channel &caller = ci->second, &peer = pi->second;
  Channel& h = hanger == call.caller ? caller : peer;
  Channel& o = hanger == call.caller ? peer : caller;
  hangup_event(h, cause, true, false);
  double talk = now() - call.bridged_at;
  if (call.kind == Call::Kind::kQueue) {
    Queue* q = queue_by_name(call.queue);
    std::string iface = "PJSIP/" + peer.endpoint;
    Fields extra;
    dial_event("AgentComplete", &caller, peer,
               {{"Queue", call.queue}, {"Interface", iface}, {"MemberName", "Agent " + peer.endpoint},
                {"HoldTime", std::to_string(static_cast<long>(call.bridged_at - call.queue_join + 0.5))},
                {"TalkTime", std::to_string(static_cast<long>(talk + 0.5))},
                {"Reason", hanger == call.caller ? "caller" : "agent"}});
    if (q) q->talktime = static_cast<long>(talk + 0.5);
  }
  std::string bridge = call.bridge;
  varset(h, "BRIDGEPEER", "");
  bridge_leave(h);
  if (&h == &caller) hangup_event(caller, 16, false, true);
  bridge_leave(o);
  bridge_destroy(bridge);
  if (&h != &caller) hangup_event(caller, 16, false, true);
  std::string clid = "\"" + caller.cid_name + "\" <" + caller.cid_num + ">";
  call.cdrs.insert(call.cdrs.begin() + static_cast<long>(std::min(call.cdr_insert, call.cdrs.size())), Cdr{caller.cid_num, call.target, "from-internal", clid, caller.name, peer.name,
                                          call.kind == Call::Kind::kQueue ? "Queue" : "Dial", call.dial_data,
                                          caller.created, call.bridged_at, now(), "ANSWERED", caller.uniqueid});
  write_recording(caller.rec_path, talk);
  std::string cu = caller.uniqueid, pu = peer.uniqueid;
  destroy_channel(pu, cause);
  destroy_channel(cu, cause);
  end_call(call.id);
}

void Pbx::hold(std::string uid, bool on) {
  auto it = channels_.find(uid);
  if (it == channels_.end() || it->second.bridge.empty()) return;
  Channel& c = it->second;
  Channel* peer = nullptr;
  for (auto& [u, x] : channels_)
    if (u != uid && x.bridge == c.bridge) peer = &x;
  if (on) {
    chan_event("Hold", c, {{"MusicClass", "default"}});
    if (!peer) return;
    peer->moh = true;
    chan_event("MusicOnHoldStart", *peer, {{"Class", "default"}});
    device_update(peer->endpoint);
  } else {
    chan_event("Unhold", c);
    if (!peer) return;
    peer->moh = false;
    chan_event("MusicOnHoldStop", *peer);
    device_update(peer->endpoint);
  }
}

}  // namespace opdesk::sim
