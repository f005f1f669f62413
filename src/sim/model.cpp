// PBX model core: construction of the lab-like PBX, channel bookkeeping, the event builders
// and device/hint/queue-member state (RTCP, CDRs and recordings are in media.cpp). The call
// flows that use these helpers live in flows.cpp, queue_flow.cpp, features.cpp and rooms.cpp.
//
// Invariants: a channel exists in channels_ from its Newchannel until its Hangup; every state
// change that can move a device state ends with device_update(ext), which emits only changes.
#include "model.hpp"

#include <cstdio>
#include <ctime>


namespace opdesk::sim {
namespace {

const char* kFirst[] = {"Alice", "Bruno", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Ines",
                        "Jonas", "Karin", "Liam", "Mona", "Noah", "Olga", "Paul", "Quinn", "Rosa",
                        "Sven", "Tara", "Ugo", "Vera", "Walid", "Xenia", "Yann", "Zoe"};
const char* kLast[] = {"Martin", "Keller", "Duval", "Rossi", "Novak", "Schmidt", "Garcia", "Berg",
                       "Moreau", "Lang", "Costa", "Weber", "Petit", "Silva", "Meyer", "Fischer"};

const char* state_desc(int s) {
  switch (s) {
    case 0: return "Down";
    case 4: return "Ring";
    case 5: return "Ringing";
    case 6: return "Up";
    default: return "Unknown";
  }
}

}  // namespace

Pbx::Pbx(Scheduler& sched, const SimOptions& opt, Sink sink)
    : sched_(sched), opt_(opt), sink_(std::move(sink)), rng_(opt.seed), qos_rng_(opt.seed ^ 0x9e3779b97f4a7c15ULL) {
  boot_epoch_ = sched_.epoch();
  int n = std::max(1, opt_.extensions);
  int webrtc = n >= 4 ? 2 : 0;
  int phones = n - webrtc;
  int base = phones <= 3999 ? 1001 : 10001;
  auto add = [&](const std::string& ext, bool wr, int i) {
    Endpoint ep;
    ep.ext = ext;
    ep.webrtc = wr;
    ep.registered = opt_.register_all;
    ep.name = std::string(kFirst[i % 26]) + " " + kLast[(i / 26 + i * 7) % 16];
    endpoints_.emplace(ext, ep);
  };
  for (int i = 0; i < phones; ++i) add(std::to_string(base + i), false, i);
  int wbase = phones <= 100 ? 1101 : base + phones;
  for (int i = 0; i < webrtc; ++i) add(std::to_string(wbase + i), true, phones + i);
  std::vector<std::string> exts;
  for (auto& [e, ep] : endpoints_) if (!ep.webrtc) exts.push_back(e);
  const char* names[] = {"support", "sales", "billing", "tech", "hr", "vip"};
  for (int q = 0; q < opt_.queues; ++q) {
    Queue qu;
    qu.name = q < 6 ? names[q] : "queue" + std::to_string(q + 1);
    qu.number = std::to_string(5001 + q);
    qu.strategy = q < 2 ? "ringall" : "rrmemory";
    for (int m = 0; m < (q < 2 ? 2 : 3) && !exts.empty(); ++m) {
      Member mem;
      const std::string& e = exts[(q * 2 + m) % exts.size()];
      mem.iface = mem.state_iface = "PJSIP/" + e;
      mem.name = "Agent " + e;
      mem.login = static_cast<long>(boot_epoch_);
      if (std::none_of(qu.members.begin(), qu.members.end(),
                       [&](const Member& x) { return x.iface == mem.iface; }))
        qu.members.push_back(mem);
    }
    queues_.push_back(std::move(qu));
  }
  for (auto& [e, ep] : endpoints_) {
    ep.last_device = device_state(ep);
    ep.last_hint = hint_state(ep);
  }
  for (auto& q : queues_)
    for (auto& m : q.members) m.last_status = member_status(m);
}

std::string Pbx::contact_uri(const Endpoint& ep) const {
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(std::hash<std::string>{}(ep.ext) + ep.contact_gen * 4099u));
  if (ep.webrtc)
    return "sip:" + std::string(hex) + "@127.0.0.1:" + std::to_string(50700 + std::stoi(ep.ext) % 100) +
           ";transport=ws;x-ast-orig-host=" + hex + ".invalid:0";
  return "sip:" + ep.ext + "-0x55" + hex + "70@127.0.0.1:" + std::to_string(5000 + (std::stoi(ep.ext) % 1000) * 10 % 60000);
}

Fields Pbx::event(const char* name, const char* priv) const {
  Fields f;
  f.reserve(24);
  f.emplace_back("Event", name);
  f.emplace_back("Privilege", priv);
  return f;
}

void Pbx::put_channel(Fields& f, const Channel& c, const std::string& p) const {
  f.emplace_back(p + "Channel", c.name);
  f.emplace_back(p + "ChannelState", std::to_string(c.state));
  f.emplace_back(p + "ChannelStateDesc", state_desc(c.state));
  f.emplace_back(p + "CallerIDNum", c.cid_num);
  f.emplace_back(p + "CallerIDName", c.cid_name);
  f.emplace_back(p + "ConnectedLineNum", c.conn_num);
  f.emplace_back(p + "ConnectedLineName", c.conn_name);
  f.emplace_back(p + "Language", "en");
  f.emplace_back(p + "AccountCode", "");
  f.emplace_back(p + "Context", c.context);
  f.emplace_back(p + "Exten", c.exten);
  f.emplace_back(p + "Priority", std::to_string(c.priority));
  f.emplace_back(p + "Uniqueid", c.uniqueid);
  f.emplace_back(p + "Linkedid", c.linkedid);
}

void Pbx::chan_event(const char* name, const Channel& c, const Fields& extra) {
  const char* priv = "call,all";
  std::string n = name;
  if (n == "VarSet" || n == "Newexten") priv = "dialplan,all";
  else if (n.rfind("Queue", 0) == 0 || n.rfind("Agent", 0) == 0) priv = "agent,all";
  else if (n.rfind("RTCP", 0) == 0) priv = "reporting,all";
  Fields f = event(name, priv);
  put_channel(f, c);
  f.insert(f.end(), extra.begin(), extra.end());
  emit(f);
}

Channel& Pbx::new_channel(const std::string& tech, const std::string& cid_num, const std::string& cid_name,
                          int state, const std::string& exten, const std::string& linkedid,
                          const std::string& fixed_uid, const std::string& ctx) {
  char seq[16];
  std::snprintf(seq, sizeof seq, "%08llx", static_cast<unsigned long long>(chan_seq_++));
  Channel c;
  c.name = tech.rfind("Local/", 0) == 0 ? tech : tech + "-" + seq;  // Local names carry ;1/;2
  c.endpoint = endpoint_of(tech);
  c.uniqueid = fixed_uid.empty() ? std::to_string(static_cast<long long>(boot_epoch_ + now())) + "." +
                                       std::to_string(uid_seq_++)
                                 : fixed_uid;
  c.linkedid = linkedid.empty() ? c.uniqueid : linkedid;
  c.state = state;
  c.cid_num = cid_num;
  c.cid_name = cid_name;
  c.exten = exten;
  c.context = ctx;
  c.created = now();
  c.ssrc = static_cast<uint32_t>(rng_());
  auto [it, ok] = channels_.emplace(c.uniqueid, c);
  if (!ok) {  // a duplicate ChannelId: make it unique rather than lose a channel
    c.uniqueid += "." + std::to_string(uid_seq_++);
    it = channels_.emplace(c.uniqueid, c).first;
  }
  chan_event("Newchannel", it->second);
  device_update(it->second.endpoint);
  return it->second;
}

void Pbx::newexten(Channel& c, const std::string& ctx, const std::string& ext, int prio, const std::string& app,
                   const std::string& data) {
  c.context = ctx;
  c.exten = ext;
  c.priority = prio;
  c.app = app;
  c.appdata = data;
  if (opt_.load) return;  // load mode: skip dialplan noise
  chan_event("Newexten", c, {{"Extension", ext}, {"Application", app}, {"AppData", data}});
}

void Pbx::varset(const Channel& c, const std::string& var, const std::string& val) {
  if (opt_.load) return;
  chan_event("VarSet", c, {{"Variable", var}, {"Value", val}});
}

void Pbx::set_state(Channel& c, int state) {
  c.state = state;
  if (state == 6 && c.answered < 0) c.answered = now();
  chan_event("Newstate", c);
  device_update(c.endpoint);
}

void Pbx::connected(Channel& c, const std::string& num, const std::string& name) {
  c.conn_num = num;
  c.conn_name = name;
  chan_event("NewConnectedLine", c);
}

void Pbx::dial_event(const char* name, const Channel* caller, const Channel& dest, const Fields& extra) {
  Fields f = event(name, "call,all");
  if (caller) put_channel(f, *caller);
  put_channel(f, dest, "Dest");
  f.insert(f.end(), extra.begin(), extra.end());
  emit(f);
}

void Pbx::hangup_event(Channel& c, int cause, bool request, bool soft) {
  if (request) chan_event("HangupRequest", c, {{"Cause", std::to_string(cause)}});
  if (soft) chan_event("SoftHangupRequest", c, {{"Cause", "16"}});
}

void Pbx::destroy_channel(std::string uid, int cause) {
  auto it = channels_.find(uid);
  if (it == channels_.end()) return;
  spy_stop_for(uid);  // ChanSpyStop comes before the spied channel's Hangup (trace 10)
  it = channels_.find(uid);
  if (it == channels_.end()) return;
  Channel& c = it->second;
  if (c.rtcp_timer) sched_.cancel(c.rtcp_timer);
  const char* txt = cause == 16 ? "Normal Clearing" : cause == 17 ? "User busy" : cause == 19 ? "No user responding"
                    : cause == 26 ? "Answered elsewhere" : cause == 127 ? "Interworking, unspecified" : "Unknown";
  chan_event("Hangup", c, {{"Cause", std::to_string(cause)}, {"Cause-txt", txt}});
  std::string ep = c.endpoint;
  channels_.erase(it);
  conf_.erase(uid);
  for (auto p = parked_.begin(); p != parked_.end(); ++p)
    if (p->second == uid) { parked_.erase(p); break; }
  device_update(ep);
}

std::string Pbx::bridge_create() {
  char buf[48];
  uint64_t a = rng_(), b = rng_();
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a), static_cast<unsigned>(a >> 32) & 0xffff,
                0x4000 | (static_cast<unsigned>(a >> 48) & 0x0fff), 0x8000 | static_cast<unsigned>(b & 0x3fff),
                static_cast<unsigned long long>(b >> 16) & 0xffffffffffffULL);
  Fields f = event("BridgeCreate", "call,all");
  f.insert(f.end(), {{"BridgeUniqueid", buf}, {"BridgeType", "basic"}, {"BridgeTechnology", "simple_bridge"},
                     {"BridgeCreator", "<unknown>"}, {"BridgeName", "<unknown>"}, {"BridgeNumChannels", "0"},
                     {"BridgeVideoSourceMode", "none"}});
  emit(f);
  return buf;
}

namespace {
size_t bridge_count(const std::map<std::string, Channel>& chans, const std::string& id) {
  size_t n = 0;
  for (auto& [u, c] : chans) n += c.bridge == id;
  return n;
}
Fields bridge_fields(const std::string& id, size_t n) {
  return {{"BridgeUniqueid", id}, {"BridgeType", "basic"}, {"BridgeTechnology", "simple_bridge"},
          {"BridgeCreator", "<unknown>"}, {"BridgeName", "<unknown>"}, {"BridgeNumChannels", std::to_string(n)},
          {"BridgeVideoSourceMode", "none"}};
}
}  // namespace

void Pbx::bridge_enter(const std::string& id, Channel& c) {
  c.bridge = id;
  Fields f = event("BridgeEnter", "call,all");
  Fields b = bridge_fields(id, bridge_count(channels_, id));
  f.insert(f.end(), b.begin(), b.end());
  put_channel(f, c);
  emit(f);
}

void Pbx::bridge_leave(Channel& c) {
  if (c.bridge.empty()) return;
  std::string id = c.bridge;
  c.bridge.clear();
  Fields f = event("BridgeLeave", "call,all");
  Fields b = bridge_fields(id, bridge_count(channels_, id));
  f.insert(f.end(), b.begin(), b.end());
  put_channel(f, c);
  emit(f);
}

void Pbx::bridge_destroy(const std::string& id) {
  Fields f = event("BridgeDestroy", "call,all");
  Fields b = bridge_fields(id, 0);
  f.insert(f.end(), b.begin(), b.end());
  emit(f);
}

std::string Pbx::endpoint_of(const std::string& tech) const {
  auto slash = tech.find('/');
  std::string rest = slash == std::string::npos ? tech : tech.substr(slash + 1);
  return endpoints_.count(rest) ? rest : std::string();
}

std::string Pbx::ext_name(const std::string& ext) const {
  auto it = endpoints_.find(ext);
  return it == endpoints_.end() ? ext : it->second.name;
}

std::string Pbx::device_state(const Endpoint& ep) const {
  switch (hint_state(ep)) {
    case 1: return "INUSE";
    case 4: return "UNAVAILABLE";
    case 8: return "RINGING";
    case 9: return "RINGINUSE";
    case 16: return "ONHOLD";
    default: return "NOT_INUSE";
  }
}

int Pbx::hint_state(const Endpoint& ep) const {
  if (!ep.registered) return 4;
  bool ring = false, use = false, hold = false;
  for (auto& [u, c] : channels_) {
    if (c.endpoint != ep.ext || c.state == 0) continue;
    if (c.state == 5) ring = true;
    else use = true;
    hold = hold || c.moh;
  }
  if (ring && use) return 9;
  if (ring) return 8;
  if (hold) return 16;
  return use ? 1 : 0;
}

int Pbx::member_status(const Member& m) const {
  auto it = endpoints_.find(endpoint_of(m.state_iface));
  if (it == endpoints_.end()) return 4;
  switch (hint_state(it->second)) {
    case 1: return 2;
    case 4: return 5;
    case 8: return 6;
    case 9: return 7;
    case 16: return 8;
    default: return 1;
  }
}

void Pbx::member_event(const char* name, const Queue& q, const Member& m) {
  Fields f = event(name, "agent,all");
  f.insert(f.end(), {{"Queue", q.name}, {"MemberName", m.name}, {"Interface", m.iface},
                     {"StateInterface", m.state_iface}, {"Membership", m.dynamic ? "dynamic" : "static"},
                     {"Penalty", std::to_string(m.penalty)}, {"CallsTaken", std::to_string(m.calls)},
                     {"LastCall", std::to_string(m.last_call)}, {"LastPause", std::to_string(m.last_pause)},
                     {"LoginTime", std::to_string(m.login)}, {"InCall", "0"},
                     {"Status", std::to_string(member_status(m))}, {"Paused", m.paused ? "1" : "0"},
                     {"PausedReason", m.reason}, {"Ringinuse", "0"}, {"Wrapuptime", "0"}});
  emit(f);
}

void Pbx::device_update(const std::string& ext) {
  auto it = endpoints_.find(ext);
  if (it == endpoints_.end()) return;
  Endpoint& ep = it->second;
  std::string dev = device_state(ep);
  int hint = hint_state(ep);
  if (dev != ep.last_device) {
    ep.last_device = dev;
    Fields f = event("DeviceStateChange", "call,all");
    f.insert(f.end(), {{"Device", "PJSIP/" + ext}, {"State", dev}});
    emit(f);
  }
  if (hint != ep.last_hint) {
    ep.last_hint = hint;
    static const std::map<int, const char*> kText = {{0, "Idle"}, {1, "InUse"}, {4, "Unavailable"}, {8, "Ringing"},
                                                     {9, "InUse&Ringing"}, {16, "Hold"}};
    Fields f = event("ExtensionStatus", "call,all");
    f.insert(f.end(), {{"Exten", ext}, {"Context", "ext-local"}, {"Hint", "PJSIP/" + ext},
                       {"Status", std::to_string(hint)}, {"StatusText", kText.at(hint)}});
    emit(f);
  }
  for (auto& q : queues_)
    for (auto& m : q.members)
      if (m.state_iface == "PJSIP/" + ext) {
        int st = member_status(m);
        if (st != m.last_status) {
          m.last_status = st;
          member_event("QueueMemberStatus", q, m);
        }
      }
}

}  // namespace opdesk::sim
