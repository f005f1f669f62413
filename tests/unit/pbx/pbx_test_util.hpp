// Builders for synthetic AMI events in the engine's unit tests (field names as Asterisk sends
// them; see the managerEvent XML in the Asterisk sources).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ami/message.hpp"
#include "pbx/engine.hpp"

namespace opdesk::pbx::test {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields operator+(Fields a, const Fields& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline Fields ev(const std::string& name) { return {{"Event", name}}; }

// A channel snapshot (optionally prefixed: "Dest", "Spyer", "Transferee", ...).
inline Fields chan(const std::string& name, const std::string& uid, const std::string& linked, int state = 6,
                   const std::string& prefix = "", const std::string& cid = "") {
  std::string num = cid;
  if (num.empty()) {
    auto slash = name.find('/');
    auto dash = name.rfind('-');
    num = name.substr(slash + 1, dash == std::string::npos || dash < slash ? std::string::npos : dash - slash - 1);
  }
  return {{prefix + "Channel", name}, {prefix + "ChannelState", std::to_string(state)},
          {prefix + "CallerIDNum", num}, {prefix + "CallerIDName", "Ext " + num},
          {prefix + "Context", "from-internal"}, {prefix + "Exten", "s"},
          {prefix + "Uniqueid", uid}, {prefix + "Linkedid", linked}};
}

struct Pbx {
  Engine e;
  int64_t now = 1795501970000;

  void feed(const Fields& f) { e.apply(ami::Message::from_fields(f), now); }
  void at(double seconds) { now = 1795501970000 + static_cast<int64_t>(seconds * 1000); }

  // Known phones (EndpointList as the PJSIPShowEndpoints answer gives them).
  void endpoint(const std::string& ext, bool online = true) {
    feed(ev("EndpointList") + Fields{{"ObjectName", ext}, {"Transport", "transport-udp"},
                                     {"Contacts", online ? ext + "/sip:" + ext + "@10.0.0.1:5060," : ""},
                                     {"DeviceState", online ? "Not in use" : "Unavailable"}});
  }
  void newchannel(const std::string& name, const std::string& uid, const std::string& linked, int state = 4,
                  const std::string& exten = "s") {
    Fields f = ev("Newchannel") + chan(name, uid, linked, state);
    for (auto& [k, v] : f) {
      if (k == "Exten") v = exten;
    }
    feed(f);
  }
  void newstate(const std::string& name, const std::string& uid, const std::string& linked, int state) {
    feed(ev("Newstate") + chan(name, uid, linked, state));
  }
  void dial(const std::string& src, const std::string& suid, const std::string& dst, const std::string& duid,
            const std::string& linked, const std::string& src_cid = "", const std::string& dst_cid = "") {
    feed(ev("DialBegin") + chan(src, suid, linked, 4, "", src_cid) + chan(dst, duid, linked, 0, "Dest", dst_cid) +
         Fields{{"DialString", dst.substr(0, dst.rfind('-'))}});
  }
  void bridge(const std::string& name, const std::string& uid, const std::string& linked, const std::string& bid) {
    feed(ev("BridgeEnter") + Fields{{"BridgeUniqueid", bid}, {"BridgeNumChannels", "1"}} + chan(name, uid, linked));
  }
  void hangup(const std::string& name, const std::string& uid, const std::string& linked, int cause = 16) {
    feed(ev("Hangup") + chan(name, uid, linked) + Fields{{"Cause", std::to_string(cause)}, {"Cause-txt", "Normal Clearing"}});
  }
  // A basic answered A→B call in bridge "b-<linked>".
  void answered_call(const std::string& a, const std::string& ua, const std::string& b, const std::string& ub) {
    newchannel(a, ua, ua);
    newchannel(b, ub, ua, 0);
    dial(a, ua, b, ub, ua);
    newstate(b, ub, ua, 6);
    bridge(a, ua, ua, "b-" + ua);
    bridge(b, ub, ua, "b-" + ua);
  }
  size_t visible_calls() const {
    size_t n = 0;
    for (const auto& [id, c] : e.state().calls) n += e.call_visible(c);
    return n;
  }
  std::string ext_state(const std::string& ext) const {
    const Extension* x = e.find_extension(ext);
    return x ? std::string(to_string(e.extension_state(*x))) : "missing";
  }
};

inline bool has_party(const Call& c, const std::string& ext) {
  for (const auto& p : c.parties) {
    if (p.extension == ext) return true;
  }
  return false;
}

}  // namespace opdesk::pbx::test
