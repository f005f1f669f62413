// The resync list actions, answered with the frames, field order and list conventions of the
// real traces: "Response: Success / EventList: start", the items (ExtensionStateList answers
// with ExtensionStatus, DeviceStateList with DeviceStateChange), then "<X>Complete" with
// EventList: Complete and ListItems.
#include <cstdio>

#include "actions.hpp"

namespace opdesk::sim {
namespace {

using ami::iequals;

void start(Responder& out, const std::string& id, const char* msg) {
  out.send({{"Response", "Success"}, {"ActionID", id}, {"EventList", "start"}, {"Message", msg}});
}
void complete(Responder& out, const char* ev, const std::string& id, size_t n, bool items = false) {
  Fields f{{"Event", ev}, {"ActionID", id}, {"EventList", "Complete"}, {"ListItems", std::to_string(n)}};
  if (items) f.emplace_back("Items", std::to_string(n));
  out.send(f);
}
std::string hms(double secs) {
  long s = static_cast<long>(secs);
  char b[64];
  std::snprintf(b, sizeof b, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return b;
}
const char* hint_text(int h) {
  switch (h) {
    case 1: return "InUse";
    case 4: return "Unavailable";
    case 8: return "Ringing";
    case 9: return "InUse&Ringing";
    case 16: return "Hold";
    default: return "Idle";
  }
}

void channels_list(Pbx& pbx, const std::string& id, Responder& out, bool status) {
  start(out, id, status ? "Channel status will follow" : "Channels will follow");
  size_t n = 0;
  for (auto& [u, c] : pbx.channels()) {
    Fields f{{"Event", status ? "Status" : "CoreShowChannel"}};
    if (status) f.emplace_back("Privilege", "Call");
    else f.emplace_back("ActionID", id);
    pbx.put_channel(f, c);
    std::string app = c.app.empty() ? "AppDial" : c.app, data = c.app.empty() ? "(Outgoing Line)" : c.appdata;
    if (status) {
      f.insert(f.end(), {{"Type", "PJSIP"}, {"DNID", ""}, {"EffectiveConnectedLineNum", c.conn_num},
                         {"EffectiveConnectedLineName", c.conn_name}, {"TimeToHangup", "0"}, {"BridgeID", c.bridge},
                         {"Application", app}, {"Data", data}, {"Nativeformats", "(ulaw)"}, {"Readformat", "ulaw"},
                         {"Readtrans", ""}, {"Writeformat", "ulaw"}, {"Writetrans", ""}, {"Callgroup", "0"},
                         {"Pickupgroup", "0"}, {"Seconds", std::to_string(static_cast<long>(pbx.now() - c.created))},
                         {"ActionID", id}});
    } else {
      f.insert(f.end(), {{"Application", app}, {"ApplicationData", data}, {"Duration", hms(pbx.now() - c.created)},
                         {"BridgeId", c.bridge}});
    }
    out.send(f);
    ++n;
  }
  if (status) complete(out, "StatusComplete", id, n, true);
  else complete(out, "CoreShowChannelsComplete", id, n);
}

void queue_status(Pbx& pbx, const std::string& id, const std::string& only, Responder& out) {
  start(out, id, "Queue status will follow");
  size_t n = 0;
  for (auto& q : pbx.queues()) {
    if (!only.empty() && q.name != only) continue;
    out.send({{"Event", "QueueParams"}, {"Queue", q.name}, {"Max", "0"}, {"Strategy", q.strategy},
              {"Calls", std::to_string(q.callers.size())}, {"Holdtime", std::to_string(q.holdtime)},
              {"TalkTime", std::to_string(q.talktime)}, {"Completed", std::to_string(q.completed)},
              {"Abandoned", std::to_string(q.abandoned)}, {"ServiceLevel", "0"}, {"ServicelevelPerf", "0.0"},
              {"ServicelevelPerf2", "0.0"}, {"Weight", "0"}, {"ActionID", id}});
    ++n;
    for (auto& m : q.members) {
      out.send({{"Event", "QueueMember"}, {"Queue", q.name}, {"Name", m.name}, {"Location", m.iface},
                {"StateInterface", m.state_iface}, {"Membership", m.dynamic ? "dynamic" : "static"},
                {"Penalty", std::to_string(m.penalty)}, {"CallsTaken", std::to_string(m.calls)},
                {"LastCall", std::to_string(m.last_call)}, {"LastPause", std::to_string(m.last_pause)},
                {"LoginTime", std::to_string(m.login)}, {"InCall", pbx.member_status(m) == 2 ? "1" : "0"},
                {"Status", std::to_string(pbx.member_status(m))}, {"Paused", m.paused ? "1" : "0"},
                {"PausedReason", m.reason}, {"Wrapuptime", "0"}, {"ActionID", id}});
      ++n;
    }
    int pos = 0;
    for (auto& uid : q.callers) {
      auto it = pbx.channels().find(uid);
      if (it == pbx.channels().end()) continue;
      const Channel& c = it->second;
      out.send({{"Event", "QueueEntry"}, {"Queue", q.name}, {"Position", std::to_string(++pos)},
                {"Channel", c.name}, {"Uniqueid", c.uniqueid}, {"CallerIDNum", c.cid_num},
                {"CallerIDName", c.cid_name}, {"ConnectedLineNum", c.conn_num}, {"ConnectedLineName", c.conn_name},
                {"Wait", std::to_string(static_cast<long>(pbx.now() - c.created))}, {"Priority", "0"},
                {"ActionID", id}});
      ++n;
    }
  }
  complete(out, "QueueStatusComplete", id, n);
}

void queue_summary(Pbx& pbx, const std::string& id, const std::string& only, Responder& out) {
  start(out, id, "Queue summary will follow");
  size_t n = 0;
  for (auto& q : pbx.queues()) {
    if (!only.empty() && q.name != only) continue;
    int logged = 0, avail = 0;
    for (auto& m : q.members) {
      int st = pbx.member_status(m);
      logged += st != 5;
      avail += st == 1 && !m.paused;
    }
    out.send({{"Event", "QueueSummary"}, {"Queue", q.name}, {"LoggedIn", std::to_string(logged)},
              {"Available", std::to_string(avail)}, {"Callers", std::to_string(q.callers.size())},
              {"HoldTime", std::to_string(q.holdtime)}, {"TalkTime", std::to_string(q.talktime)},
              {"LongestHoldTime", "0"}, {"ActionID", id}});
    ++n;
  }
  complete(out, "QueueSummaryComplete", id, n);
}

void endpoints_list(Pbx& pbx, const std::string& id, Responder& out) {
  start(out, id, "A listing of Endpoints follows, presented as EndpointList events");
  size_t n = 0;
  for (auto& [e, ep] : pbx.endpoints()) {
    size_t active = 0;
    for (auto& [u, c] : pbx.channels()) active += c.endpoint == e;
    static const std::map<std::string, std::string> kDesc = {{"NOT_INUSE", "Not in use"}, {"INUSE", "In use"},
        {"RINGING", "Ringing"}, {"RINGINUSE", "Ring+Inuse"}, {"ONHOLD", "On Hold"}, {"UNAVAILABLE", "Unavailable"}};
    out.send({{"Event", "EndpointList"}, {"ActionID", id}, {"ObjectType", "endpoint"}, {"ObjectName", e},
              {"Transport", ep.webrtc ? "transport-wss" : "transport-udp"}, {"Aor", e}, {"Auths", e},
              {"OutboundAuths", ""}, {"Contacts", ep.registered ? e + "/" + pbx.contact_uri(ep) + "," : ""},
              {"DeviceState", kDesc.at(pbx.device_state(ep))}, {"ActiveChannels", std::to_string(active)}});
    ++n;
  }
  complete(out, "EndpointListComplete", id, n);
}

// PJSIPShowEndpoint <ext>: the endpoint's configuration, as res_pjsip lists it (EndpointDetail
// carries `Callerid`, which is where the panel learns the name on a plain Asterisk), then its
// AoR and auth objects and EndpointDetailComplete.
void endpoint_detail(Pbx& pbx, const std::string& id, const std::string& ep_name, Responder& out) {
  auto it = pbx.endpoints().find(ep_name);
  if (ep_name.empty() || it == pbx.endpoints().end()) {
    out.send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Unable to retrieve endpoint " + ep_name}});
    return;
  }
  const Endpoint& ep = it->second;
  start(out, id, "Following are Events for each object associated with the Endpoint");
  out.send({{"Event", "EndpointDetail"}, {"ActionID", id}, {"ObjectType", "endpoint"}, {"ObjectName", ep_name},
            {"Context", "from-internal"}, {"Aors", ep_name}, {"Auth", ep_name},
            {"Callerid", "\"" + ep.name + "\" <" + ep_name + ">"}, {"CalleridPrivacy", "allowed_not_screened"},
            {"Webrtc", ep.webrtc ? "true" : "false"}, {"DeviceState", pbx.device_state(ep) == "UNAVAILABLE"
                                                                        ? "Unavailable" : "Not in use"}});
  out.send({{"Event", "AorDetail"}, {"ActionID", id}, {"ObjectType", "aor"}, {"ObjectName", ep_name},
            {"MaxContacts", "1"}, {"Contacts", ep.registered ? pbx.contact_uri(ep) : ""},
            {"TotalContacts", ep.registered ? "1" : "0"}, {"EndpointName", ep_name}});
  out.send({{"Event", "AuthDetail"}, {"ActionID", id}, {"ObjectType", "auth"}, {"ObjectName", ep_name},
            {"Username", ep_name}, {"AuthType", "userpass"}, {"EndpointName", ep_name}});
  complete(out, "EndpointDetailComplete", id, 3);
}

void contacts_list(Pbx& pbx, const std::string& id, Responder& out) {
  size_t reg = 0;
  for (auto& [e, ep] : pbx.endpoints()) reg += ep.registered;
  if (reg == 0) {
    out.send({{"Response", "Error"}, {"ActionID", id}, {"Message", "No Contacts found\n"}});
    return;
  }
  start(out, id, "A listing of Contacts follows, presented as ContactList events");
  size_t n = 0;
  long expires = pbx.login_time() + 600;
  for (auto& [e, ep] : pbx.endpoints()) {
    if (!ep.registered) continue;
    char hash[40];
    std::snprintf(hash, sizeof hash, "%016zx%016zx", std::hash<std::string>{}(e), std::hash<std::string>{}(pbx.contact_uri(ep)));
    out.send({{"Event", "ContactList"}, {"ActionID", id}, {"ObjectType", "contact"},
              {"ObjectName", e + ";@" + hash}, {"ViaAddr", "127.0.0.1"}, {"QualifyTimeout", "3.000000"},
              {"Qualify2xxOnly", "false"}, {"CallId", std::string(hash).substr(0, 16)}, {"RegServer", ""},
              {"PruneOnBoot", ep.webrtc ? "yes" : "no"}, {"Path", ""}, {"Endpoint", e},
              {"ViaPort", ep.webrtc ? "0" : "5060"}, {"AuthenticateQualify", "no"}, {"Uri", pbx.contact_uri(ep)},
              {"QualifyFrequency", ep.webrtc ? "0" : "30"},
              {"UserAgent", ep.webrtc ? "JsSIP 3.13.8" : "baresip v1.0.0 (x86_64/linux)"},
              {"ExpirationTime", std::to_string(expires)}, {"OutboundProxy", ""},
              {"Status", ep.webrtc ? "NonQualified" : "Reachable"}, {"RoundtripUsec", ep.webrtc ? "N/A" : "412"}});
    ++n;
  }
  complete(out, "ContactListComplete", id, n);
}

void hints_list(Pbx& pbx, const std::string& id, Responder& out) {
  start(out, id, "Extension Statuses will follow");
  size_t n = 0;
  for (auto& [e, ep] : pbx.endpoints()) {
    int h = pbx.hint_state(ep);
    out.send({{"Event", "ExtensionStatus"}, {"ActionID", id}, {"Exten", e}, {"Context", "ext-local"},
              {"Hint", "PJSIP/" + e}, {"Status", std::to_string(h)}, {"StatusText", hint_text(h)}});
    ++n;
  }
  complete(out, "ExtensionStateListComplete", id, n);
}

void devices_list(Pbx& pbx, const std::string& id, Responder& out) {
  start(out, id, "Device State Changes will follow");
  size_t n = 0;
  auto dev = [&](const std::string& d, const std::string& s) {
    out.send({{"Event", "DeviceStateChange"}, {"ActionID", id}, {"Device", d}, {"State", s}});
    ++n;
  };
  for (auto& q : pbx.queues()) {
    bool any = false;
    for (auto& m : q.members) {
      dev("Queue:" + q.name + "_pause_" + m.iface, m.paused ? "INUSE" : "NOT_INUSE");
      any = any || (!m.paused && pbx.member_status(m) == 1);
    }
    dev("Queue:" + q.name + "_avail", any ? "NOT_INUSE" : "INUSE");
  }
  for (auto& [e, ep] : pbx.endpoints()) dev("PJSIP/" + e, pbx.device_state(ep));
  complete(out, "DeviceStateListComplete", id, n);
}

void parked_list(Pbx& pbx, const std::string& id, Responder& out) {
  start(out, id, "Parked calls will follow");
  size_t n = 0;
  for (auto& [space, uid] : pbx.parked()) {
    auto it = pbx.channels().find(uid);
    if (it == pbx.channels().end()) continue;
    Fields f{{"Event", "ParkedCall"}, {"ActionID", id}};
    pbx.put_channel(f, it->second, "Parkee");
    f.insert(f.end(), {{"Parkinglot", "default"}, {"ParkingSpace", space}, {"ParkingTimeout", "45"},
                       {"ParkingDuration", std::to_string(static_cast<long>(pbx.now() - it->second.created))}});
    out.send(f);
    ++n;
  }
  complete(out, "ParkedCallsComplete", id, n);
}

void conf_list(Pbx& pbx, const std::string& id, Responder& out) {
  auto room = pbx.conference();
  if (room.empty()) {
    out.send({{"Response", "Error"}, {"ActionID", id}, {"Message", "No active conferences."}});
    return;
  }
  start(out, id, "Confbridge conferences will follow");
  out.send({{"Event", "ConfbridgeListRooms"}, {"ActionID", id}, {"Conference", "800"},
            {"Parties", std::to_string(room.size())}, {"Marked", "0"}, {"Locked", "No"}, {"Muted", "No"}});
  complete(out, "ConfbridgeListRoomsComplete", id, 1);
}

}  // namespace

bool handle_list_action(Pbx& pbx, const ami::Message& a, Responder& out) {
  std::string_view name = a.action();
  std::string id(a.action_id());
  std::string queue(a.get("Queue"));
  if (iequals(name, "CoreShowChannels")) channels_list(pbx, id, out, false);
  else if (iequals(name, "Status")) channels_list(pbx, id, out, true);
  else if (iequals(name, "QueueStatus")) queue_status(pbx, id, queue, out);
  else if (iequals(name, "QueueSummary")) queue_summary(pbx, id, queue, out);
  else if (iequals(name, "PJSIPShowEndpoints")) endpoints_list(pbx, id, out);
  else if (iequals(name, "PJSIPShowEndpoint")) endpoint_detail(pbx, id, std::string(a.get("Endpoint")), out);
  else if (iequals(name, "PJSIPShowContacts")) contacts_list(pbx, id, out);
  else if (iequals(name, "ExtensionStateList")) hints_list(pbx, id, out);
  else if (iequals(name, "DeviceStateList")) devices_list(pbx, id, out);
  else if (iequals(name, "ParkedCalls")) parked_list(pbx, id, out);
  else if (iequals(name, "ConfbridgeListRooms")) conf_list(pbx, id, out);
  else return false;
  return true;
}

}  // namespace opdesk::sim
