// Features beyond a plain dial: echo/playback apps (trace 21), ChanSpy (traces 09-11), blind
// transfer (13), Redirect (13b), Originate (09, 10, 16), AMI Hangup/MixMonitor/PlayDTMF, and
// registrations (02, 22). ConfBridge and parking are in rooms.cpp.
#include <algorithm>

#include "model.hpp"

namespace opdesk::sim {

void Pbx::app_call(Call& call, Channel& caller, const std::string& to) {
  call.kind = Call::Kind::kApp;
  newexten(caller, caller.context, to, 1, "Answer", "");
  set_state(caller, 6);
  newexten(caller, caller.context, to, 2, "Playback", to == "600" ? "demo-echotest" : "demo-congrats");
  if (to == "600") newexten(caller, caller.context, to, 3, "Echo", "");
  start_rtcp(caller);
  std::string uid = caller.uniqueid;
  double talk = call.scripted ? call.plan.talk : 8;
  if (to == "600") {
    at(call, talk, [this, uid](Call& c) {
      c.cdrs.push_back({channels_.at(uid).cid_num, "600", "from-internal", "", channels_.at(uid).name, "",
                        "Playback", "demo-echotest", channels_.at(uid).created, channels_.at(uid).answered, now(),
                        "ANSWERED", uid});
      bridge_hangup(c, uid, 16);
    });
  } else {
    at(call, call.scripted ? call.plan.talk : 31, [this, uid](Call& c) {
      Channel& ch = channels_.at(uid);
      newexten(ch, ch.context, "601", 4, "Hangup", "");
      c.cdrs.push_back({ch.cid_num, "601", "from-internal", "", ch.name, "", "Hangup", "", ch.created, ch.answered,
                        now(), "ANSWERED", uid});
      hangup_event(ch, 16, false, true);
      destroy_channel(uid, 16);
      end_call(c.id);
    });
  }
}

void Pbx::spy_start(Call& call, Channel& spyer, const std::string& prefix, const std::string& opts) {
  call.kind = Call::Kind::kSpy;
  call.spy_opts = opts;
  const Channel* spyee = nullptr;
  for (auto& [u, c] : channels_)
    if (c.name.rfind(prefix, 0) == 0 && u != spyer.uniqueid && (!spyee || c.created < spyee->created)) spyee = &c;
  if (!spyee) {  // nothing to spy on: ChanSpy returns, the dialplan hangs up
    at(call, 1, [this](Call& c) { bridge_hangup(c, c.caller, 16); });
    return;
  }
  call.spyee = spyee->uniqueid;
  Fields f = event("ChanSpyStart", "call,all");
  put_channel(f, spyer, "Spyer");
  put_channel(f, *spyee, "Spyee");
  emit(f);
  start_rtcp(spyer);
  at(call, call.plan.talk, [this](Call& c) { bridge_hangup(c, c.caller, 0); });
}

void Pbx::spy_stop_for(std::string spyee_uid) {
  std::vector<uint64_t> ids;
  for (auto& [id, c] : calls_)
    if (c.kind == Call::Kind::kSpy && (c.spyee == spyee_uid || c.caller == spyee_uid)) ids.push_back(id);
  for (uint64_t id : ids) {
    Call& c = calls_.at(id);
    auto sp = channels_.find(c.caller);
    auto se = channels_.find(c.spyee);
    if (c.spyee.empty()) continue;
    Fields f = event("ChanSpyStop", "call,all");
    if (sp != channels_.end()) put_channel(f, sp->second, "Spyer");
    if (se != channels_.end()) put_channel(f, se->second, "Spyee");
    emit(f);
    c.spyee.clear();
    if (c.caller != spyee_uid && sp != channels_.end() && c.spy_opts.find('E') != std::string::npos) {
      // Option E: the spy leg ends with the spied call (trace 10).
      Channel& s = sp->second;
      newexten(s, s.context, s.exten, s.priority + 1, "Hangup", "");
      at(c, 0, [this](Call& cc) {
        auto it = channels_.find(cc.caller);
        if (it == channels_.end()) return;
        const Channel& x = it->second;
        cc.cdrs.push_back({x.cid_num, x.exten, "from-internal", "\"" + x.cid_name + "\" <" + x.cid_num + ">", x.name,
                           "", x.app, x.appdata, x.created, x.answered, now(), "ANSWERED", x.uniqueid});
        hangup_event(it->second, 16, false, true);
        destroy_channel(cc.caller, 16);
        end_call(cc.id);
      });
    }
  }
}

Channel* Pbx::find_channel(const std::string& key) {
  auto it = channels_.find(key);
  if (it != channels_.end()) return &it->second;
  for (auto& [u, c] : channels_)
    if (c.name == key) return &c;
  return nullptr;
}

bool Pbx::hangup_channel(std::string uid, int cause) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return false;
  for (auto& [id, a] : atxfers_)
    if (a.transferer == uid && a.answered) return atxfer_complete(id), true;  // hanging up completes it
  Call* call = call_of(it->second.call);
  if (!call) {
    hangup_event(it->second, cause, true, false);
    destroy_channel(uid, cause);
    return true;
  }
  if (std::find(call->ringing.begin(), call->ringing.end(), uid) != call->ringing.end()) {
    leg_busy(*call, uid);  // rejecting a ringing leg looks like a busy phone
  } else if (call->kind == Call::Kind::kDial && call->peer.empty() && uid == call->caller) {
    caller_cancel(*call, cause == 16 ? 127 : cause);
  } else if (call->kind == Call::Kind::kQueue && call->peer.empty()) {
    queue_abandon(*call);
  } else {
    bridge_hangup(*call, uid, cause);
  }
  return true;
}

bool Pbx::redirect(std::string uid, const std::string& context, const std::string& exten) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return false;
  Channel& ch = it->second;
  Call* call = call_of(ch.call);
  if (!call || call->peer.empty()) return false;
  if (exten == "700") {
    std::string space;
    return park(uid, "", space);
  }
  std::string other = call->caller == uid ? call->peer : call->caller;
  for (uint64_t t : call->timers) sched_.cancel(t);
  call->timers.clear();
  ch.context = context;
  ch.exten = exten;
  ch.priority = 1;
  std::string bridge = call->bridge;
  bridge_leave(ch);
  auto oi = channels_.find(other);
  if (oi != channels_.end()) bridge_leave(oi->second);
  bridge_destroy(bridge);
  Channel& o = oi->second;
  std::string clid = "\"" + ch.cid_name + "\" <" + ch.cid_num + ">";
  call->cdrs.push_back({ch.cid_num, call->target, "from-internal", clid, ch.name, o.name, "Dial", call->dial_data,
                        ch.created, call->bridged_at, now(), "ANSWERED", ch.uniqueid});
  call->cdr_insert = call->cdrs.size();
  destroy_channel(other, 16);
  call->caller = uid;
  call->peer.clear();
  call->bridge.clear();
  call->kind = Call::Kind::kDial;
  call->plan.ring = call->plan.transfer_ring;
  call->plan.talk = call->plan.transfer_talk;
  call->plan.outcome = CallPlan::Outcome::kAnswer;
  call->plan.holds.clear();
  call->plan.blind_transfer_to.clear();
  call->plan.park_by_callee.clear();
  route(*call, ch, exten);
  return true;
}

bool Pbx::blind_transfer(std::string transferer_uid, const std::string& exten) {
  auto it = channels_.find(transferer_uid);
  if (it == channels_.end()) return false;
  Call* call = call_of(it->second.call);
  if (!call || call->peer.empty()) return false;
  std::string transferee_uid = call->caller == transferer_uid ? call->peer : call->caller;
  Channel& tr = it->second;
  Channel& te = channels_.at(transferee_uid);
  for (uint64_t t : call->timers) sched_.cancel(t);
  call->timers.clear();
  std::string bridge = call->bridge;
  te.exten = exten;
  bridge_leave(te);
  Fields f = event("BlindTransfer", "call,all");
  f.emplace_back("Result", "Success");
  put_channel(f, tr, "Transferer");
  put_channel(f, te, "Transferee");
  f.insert(f.end(), {{"BridgeUniqueid", bridge}, {"BridgeType", "basic"}, {"BridgeTechnology", "simple_bridge"},
                     {"BridgeCreator", "<unknown>"}, {"BridgeName", "<unknown>"}, {"BridgeNumChannels", "2"},
                     {"BridgeVideoSourceMode", "none"}, {"IsExternal", "Yes"}, {"Context", "from-internal"},
                     {"Extension", exten}});
  emit(f);
  bridge_leave(tr);
  bridge_destroy(bridge);
  std::string clid = "\"" + te.cid_name + "\" <" + te.cid_num + ">";
  call->cdrs.push_back({te.cid_num, call->target, "from-internal", clid, te.name, tr.name, "Dial", call->dial_data,
                        te.created, call->bridged_at, now(), "ANSWERED", te.uniqueid});
  call->cdr_insert = call->cdrs.size();
  destroy_channel(transferer_uid, 16);
  call->caller = transferee_uid;
  call->peer.clear();
  call->bridge.clear();
  call->kind = Call::Kind::kDial;
  call->plan.ring = call->plan.transfer_ring;
  call->plan.talk = call->plan.transfer_talk;
  call->plan.callee_hangs_up = true;
  call->plan.outcome = CallPlan::Outcome::kAnswer;
  call->plan.holds.clear();
  call->plan.blind_transfer_to.clear();
  dial_ext(*call, channels_.at(transferee_uid), exten, true);
  return true;
}

bool Pbx::originate(const OriginateReq& req, std::function<void(bool, int, const std::string&, const std::string&)> done) {
  auto ep = endpoints_.find(req.ext);
  if (ep == endpoints_.end() || !ep->second.registered) return false;
  Call& call = new_call(Call::Kind::kDial);
  CallPlan me = reaction_for(req.ext);
  call.plan = me;
  std::string cid_num = req.cid_num.empty() ? req.ext : req.cid_num;
  std::string cid_name = req.cid_name.empty() ? ep->second.name : req.cid_name;
  Channel& ch = new_channel("PJSIP/" + req.ext, req.ext, ep->second.name, 0, "s", "", req.channel_id);
  ch.call = call.id;
  call.caller = ch.uniqueid;
  if (!req.cid_num.empty() || !req.cid_name.empty()) {
    ch.cid_num = cid_num;
    ch.cid_name = cid_name;
    chan_event("NewCallerid", ch, {{"CID-CallingPres", "0 (Presentation Allowed, Not Screened)"}});
  }
  connected(ch, cid_num, cid_name);
  dial_event("DialBegin", nullptr, ch, {{"DialString", req.ext}});
  set_state(ch, 5);
  dial_event("DialState", nullptr, ch, {{"DialStatus", "RINGING"}});
  std::string uid = ch.uniqueid;
  double ring = me.outcome == CallPlan::Outcome::kAnswer ? std::min(me.ring, req.timeout) : req.timeout;
  bool answers = me.outcome == CallPlan::Outcome::kAnswer && me.ring <= req.timeout;
  OriginateReq r = req;
  at(call, answers ? ring : (me.outcome == CallPlan::Outcome::kBusy ? me.ring : req.timeout),
     [this, uid, r, answers, done, busy = me.outcome == CallPlan::Outcome::kBusy](Call& c) {
       Channel& o = channels_.at(uid);
       if (!answers) {
         dial_event("DialEnd", nullptr, o, {{"DialStatus", busy ? "BUSY" : "NOANSWER"}});
         std::string name = o.name;
         hangup_event(o, busy ? 17 : 0, true, false);
         destroy_channel(uid, busy ? 17 : 0);
         end_call(c.id);
         done(false, busy ? 5 : 3, name, uid);
         return;
       }
       set_state(o, 6);
       dial_event("DialEnd", nullptr, o, {{"DialStatus", "ANSWER"}});
       done(true, 4, o.name, uid);
       auto again = channels_.find(uid);
       if (again == channels_.end()) return;
       Channel& a = again->second;
       a.context = r.context.empty() ? "from-internal" : r.context;
       if (!r.app.empty()) {
         std::string data = r.data;
         std::string target = data.substr(0, data.find(','));
         std::string opts = data.find(',') == std::string::npos ? "" : data.substr(data.find(',') + 1);
         a.app = r.app;
         a.appdata = data;
         if (r.app == "ChanSpy" || r.app == "chanspy") spy_start(c, a, target, opts);
         else at(c, 10, [this](Call& cc) { bridge_hangup(cc, cc.caller, 16); });
         return;
       }
       c.plan = reaction_for(r.exten);
       route(c, a, r.exten);
     });
  return true;
}

bool Pbx::start_mixmonitor(std::string uid, const std::string& file) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return false;
  // As app_mixmonitor does: a relative file name lives in the monitor directory.
  std::string path = file;
  if (!path.empty() && path.front() != '/') {
    std::string dir = opt_.recordings_dir.empty() ? "/var/spool/asterisk/monitor" : opt_.recordings_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    path = dir + "/" + path;
  }
  it->second.rec_path = path;
  varset(it->second, "MIXMONITOR_FILENAME", path);
  chan_event("MixMonitorStart", it->second);
  return true;
}

bool Pbx::stop_mixmonitor(std::string uid) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return false;
  chan_event("MixMonitorStop", it->second);
  return true;
}

bool Pbx::play_dtmf(std::string uid, const std::string& digit) {
  auto it = channels_.find(uid);
  if (it == channels_.end() || digit.empty()) return false;
  chan_event("DTMFBegin", it->second, {{"Digit", digit.substr(0, 1)}, {"Direction", "Sent"}});
  chan_event("DTMFEnd", it->second, {{"Digit", digit.substr(0, 1)}, {"DurationMs", "250"}, {"Direction", "Sent"}});
  return true;
}

void Pbx::unregister(const std::string& ext, bool unreachable) {
  auto it = endpoints_.find(ext);
  if (it == endpoints_.end() || !it->second.registered) return;
  Endpoint& ep = it->second;
  ep.registered = false;
  emit(Fields{{"Event", "ContactStatus"}, {"Privilege", "system,all"}, {"URI", contact_uri(ep)},
              {"ContactStatus", unreachable ? "Unreachable" : "Removed"}, {"AOR", ext}, {"EndpointName", ext},
              {"RoundtripUsec", "0"}});
  emit(Fields{{"Event", "PeerStatus"}, {"Privilege", "system,all"}, {"ChannelType", "PJSIP"},
              {"Peer", "PJSIP/" + ext}, {"PeerStatus", "Unreachable"}});
  device_update(ext);
}

void Pbx::register_endpoint(const std::string& ext) {
  auto it = endpoints_.find(ext);
  if (it == endpoints_.end() || it->second.registered) return;
  Endpoint& ep = it->second;
  ++ep.contact_gen;
  ep.registered = true;
  Fields sec = {{"Event", "SuccessfulAuth"}, {"Privilege", "security,all"}, {"Severity", "Informational"},
                {"Service", "PJSIP"}, {"EventVersion", "1"}, {"AccountID", ext}, {"UsingPassword", "1"}};
  emit(sec);
  emit(Fields{{"Event", "ContactStatus"}, {"Privilege", "system,all"}, {"URI", contact_uri(ep)},
              {"ContactStatus", "NonQualified"}, {"AOR", ext}, {"EndpointName", ext}, {"RoundtripUsec", "0"}});
  emit(Fields{{"Event", "PeerStatus"}, {"Privilege", "system,all"}, {"ChannelType", "PJSIP"},
              {"Peer", "PJSIP/" + ext}, {"PeerStatus", "Reachable"}});
  if (!ep.webrtc) {  // WebRTC contacts are not qualified: they stay NonQualified
    emit(Fields{{"Event", "ContactStatus"}, {"Privilege", "system,all"}, {"URI", contact_uri(ep)},
                {"ContactStatus", "Reachable"}, {"AOR", ext}, {"EndpointName", ext}, {"RoundtripUsec", "412"}});
  }
  device_update(ext);
}

}  // namespace opdesk::sim
