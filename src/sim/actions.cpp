// AMI action dispatch: each action's real effect on the simulated PBX and Asterisk's
// response text (messages as Asterisk 22 words them; see trace 08 for the queue actions).
#include "actions.hpp"

#include <algorithm>
#include <ctime>

namespace opdesk::sim {
namespace {

using ami::iequals;

// Caps on what clients can make the simulator store (reasons: AstDB holds DND flags and the
// like, a few per extension; a queue has at most a few hundred members; channels are bounded
// so an Originate flood cannot exhaust memory).
constexpr size_t kMaxDbEntries = 100000;
constexpr size_t kMaxMembers = 2000;
constexpr size_t kMaxChannels = 200000;

Fields ok(const std::string& id, const std::string& msg) {
  return {{"Response", "Success"}, {"ActionID", id}, {"Message", msg}};
}
Fields err(const std::string& id, const std::string& msg) {
  return {{"Response", "Error"}, {"ActionID", id}, {"Message", msg}};
}
bool truthy(std::string_view v) { return iequals(v, "true") || iequals(v, "yes") || iequals(v, "1") || iequals(v, "on"); }
std::string s(std::string_view v) { return std::string(v); }
std::string ext_of(std::string_view iface) {
  auto p = iface.find('/');
  return s(p == std::string_view::npos ? iface : iface.substr(p + 1));
}

void queue_add(Pbx& pbx, const ami::Message& a, const std::string& id, const std::string& qname,
               const std::string& iface, Responder& out) {
  Queue* q = pbx.queue_by_name(qname);
  if (!q) return out.send(err(id, "Unable to add interface to queue: No such queue"));
  for (auto& m : q->members)
    if (m.iface == iface) return out.send(err(id, "Unable to add interface: Already there"));
  if (q->members.size() >= kMaxMembers) return out.send(err(id, "Unable to add interface to queue: Out of memory"));
  Member m;
  m.iface = iface;
  m.state_iface = a.has("StateInterface") ? s(a.get("StateInterface")) : iface;
  m.name = a.has("MemberName") ? s(a.get("MemberName")) : iface;
  m.dynamic = true;
  m.penalty = static_cast<int>(a.get_int("Penalty", 0));
  m.paused = truthy(a.get("Paused"));
  m.reason = m.paused ? s(a.get("Reason")) : "";
  m.login = static_cast<long>(pbx.epoch());
  m.last_status = pbx.member_status(m);
  q->members.push_back(m);
  out.send(ok(id, "Added interface to queue"));  // Asterisk answers first, then the event
  pbx.member_event("QueueMemberAdded", *q, q->members.back());
  return;
}

void queue_action(Pbx& pbx, const ami::Message& a, const std::string& id, Responder& out) {
  std::string_view name = a.action();
  std::string qname = s(a.get("Queue")), iface = s(a.get("Interface"));
  if (iface.empty()) return out.send(err(id, "'Interface' not specified."));
  if (iequals(name, "QueueAdd")) return queue_add(pbx, a, id, qname, iface, out);
  if (iequals(name, "QueueRemove")) {
    Queue* q = pbx.queue_by_name(qname);
    if (!q) return out.send(err(id, "Unable to remove interface from queue: No such queue"));
    auto it = std::find_if(q->members.begin(), q->members.end(), [&](const Member& m) { return m.iface == iface; });
    if (it == q->members.end()) return out.send(err(id, "Unable to remove interface: Not there"));
    if (!it->dynamic) return out.send(err(id, "Unable to remove interface: Not dynamic"));
    Member m = *it;
    q->members.erase(it);
    out.send(ok(id, "Removed interface from queue"));
    pbx.member_event("QueueMemberRemoved", *q, m);
    return;
  }
  if (iequals(name, "QueuePause")) {
    bool paused = truthy(a.get("Paused"));
    std::vector<std::pair<Queue*, Member*>> hits;
    for (auto& q : pbx.queues()) {
      if (!qname.empty() && q.name != qname) continue;
      for (auto& m : q.members)
        if (m.iface == iface) hits.emplace_back(&q, &m);
    }
    if (hits.empty()) return out.send(err(id, "Interface not found"));
    out.send(ok(id, paused ? "Interface paused successfully" : "Interface unpaused successfully"));
    for (auto [q, m] : hits) {
      m->paused = paused;
      m->reason = paused ? s(a.get("Reason")) : "";
      m->last_pause = static_cast<long>(pbx.epoch());
      pbx.member_event("QueueMemberPause", *q, *m);
    }
    return;
  }
  if (iequals(name, "QueuePenalty")) {
    std::vector<std::pair<Queue*, Member*>> hits;
    for (auto& q : pbx.queues()) {
      if (!qname.empty() && q.name != qname) continue;
      for (auto& m : q.members)
        if (m.iface == iface) hits.emplace_back(&q, &m);
    }
    if (hits.empty()) return out.send(err(id, "Invalid interface, queuename or penalty"));
    out.send(ok(id, "Interface penalty set successfully"));
    for (auto [q, m] : hits) {
      m->penalty = static_cast<int>(a.get_int("Penalty", 0));
      pbx.member_event("QueueMemberPenalty", *q, *m);
    }
    return;
  }
}

void db_action(Pbx& pbx, const ami::Message& a, const std::string& id, Responder& out) {
  std::string_view name = a.action();
  std::string fam = s(a.get("Family")), key = s(a.get("Key"));
  auto& db = pbx.db();
  if (iequals(name, "DBPut")) {
    if (fam.empty() || key.empty()) return out.send(err(id, "No family specified"));
    if (db.size() >= kMaxDbEntries && !db.count(fam + "/" + key)) return out.send(err(id, "Failed to update entry"));
    db[fam + "/" + key] = s(a.get("Val"));
    return out.send(ok(id, "Updated database successfully"));
  }
  if (iequals(name, "DBDel")) {
    if (!db.erase(fam + "/" + key)) return out.send(err(id, "Database entry not found"));
    return out.send(ok(id, "Key deleted successfully"));
  }
  if (iequals(name, "DBGet")) {
    auto it = db.find(fam + "/" + key);
    if (it == db.end()) return out.send(err(id, "Database entry not found"));
    out.send({{"Response", "Success"}, {"ActionID", id}, {"EventList", "start"}, {"Message", "Result will follow"}});
    out.send({{"Event", "DBGetResponse"}, {"Family", fam}, {"Key", key}, {"Val", it->second}, {"ActionID", id}});
    return out.send({{"Event", "DBGetComplete"}, {"ActionID", id}, {"EventList", "Complete"}, {"ListItems", "1"}});
  }
  // DBGetTree
  std::string prefix = fam.empty() ? "" : fam + "/" + (key.empty() ? "" : key);
  std::vector<std::pair<std::string, std::string>> hits;
  for (auto& [k, v] : db)
    if (k.rfind(prefix, 0) == 0) hits.emplace_back(k, v);
  if (hits.empty()) return out.send(err(id, "Database entry not found"));
  out.send({{"Response", "Success"}, {"ActionID", id}, {"EventList", "start"}, {"Message", "Result will follow"}});
  for (auto& [k, v] : hits)
    out.send({{"Event", "DBGetTreeResponse"}, {"Family", k.substr(0, k.find('/'))}, {"Key", "/" + k}, {"Val", v},
              {"ActionID", id}});
  out.send({{"Event", "DBGetTreeComplete"}, {"ActionID", id}, {"EventList", "Complete"},
            {"ListItems", std::to_string(hits.size())}});
}

void originate(Pbx& pbx, const ami::Message& a, const std::string& id, const std::shared_ptr<Responder>& out) {
  Pbx::OriginateReq r;
  std::string chan = s(a.get("Channel"));
  if (chan.rfind("PJSIP/", 0) != 0 && chan.rfind("pjsip/", 0) != 0) return out->send(err(id, "Originate failed"));
  r.ext = ext_of(chan);
  r.context = s(a.get("Context"));
  r.exten = s(a.get("Exten"));
  r.app = s(a.get("Application"));
  r.data = s(a.get("Data"));
  r.channel_id = s(a.get("ChannelId"));
  r.action_id = id;
  long long timeout_ms = a.get_int("Timeout", 30000);
  r.timeout = std::clamp(timeout_ms / 1000.0, 1.0, 600.0);
  std::string cid = s(a.get("CallerID"));
  auto lt = cid.find('<'), gt = cid.find('>');
  if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
    r.cid_num = cid.substr(lt + 1, gt - lt - 1);
    r.cid_name = cid.substr(0, lt);
    while (!r.cid_name.empty() && (r.cid_name.back() == ' ' || r.cid_name.back() == '"')) r.cid_name.pop_back();
    while (!r.cid_name.empty() && r.cid_name.front() == '"') r.cid_name.erase(0, 1);
  } else if (!cid.empty()) {
    r.cid_num = cid;
  }
  if (r.app.empty() && r.exten.empty()) return out->send(err(id, "Originate failed"));
  if (pbx.channels().size() >= kMaxChannels) return out->send(err(id, "Originate failed"));
  bool async = truthy(a.get("Async"));
  std::weak_ptr<Responder> weak = out;
  auto done = [async, id, r, weak](bool answered, int reason, const std::string& chan_name, const std::string& uid) {
    auto o = weak.lock();
    if (!o || !o->alive()) return;
    if (!async) {
      o->send(answered ? ok(id, "Originate successfully queued") : err(id, "Originate failed"));
      o->hold_events(false);
      return;
    }
    Fields f{{"Event", "OriginateResponse"}, {"Privilege", "call,all"}, {"ActionID", id},
             {"Response", answered ? "Success" : "Failure"}, {"Channel", chan_name},
             {"Context", r.context}, {"Exten", r.exten}};
    if (!r.app.empty()) f = {{"Event", "OriginateResponse"}, {"Privilege", "call,all"}, {"ActionID", id},
                              {"Response", answered ? "Success" : "Failure"}, {"Channel", chan_name},
                              {"Application", r.app}, {"Data", r.data}};
    f.insert(f.end(), {{"Reason", std::to_string(reason)}, {"Uniqueid", uid},
                       {"CallerIDNum", r.cid_num.empty() ? "<unknown>" : r.cid_num},
                       {"CallerIDName", r.cid_name.empty() ? "<unknown>" : r.cid_name}});
    o->send(f);
  };
  if (!async) out->hold_events(true);
  if (!pbx.originate(r, done)) {
    if (!async) out->hold_events(false);
    return out->send(err(id, "Originate failed"));
  }
  if (async) out->send(ok(id, "Originate successfully queued"));
}

void command(Pbx& pbx, const ami::Message& a, const std::string& id, Responder& out) {
  std::string cmd = s(a.get("Command"));
  Fields f{{"Response", "Success"}, {"ActionID", id}, {"Message", "Command output follows"}};
  if (cmd == "core show version") {
    f.emplace_back("Output", "Asterisk 22.9.0 built by opdesk-sim on a x86_64 running Linux");
  } else if (cmd == "core show channels" || cmd == "core show calls") {
    f.emplace_back("Output", std::to_string(pbx.channels().size()) + " active channels");
    f.emplace_back("Output", std::to_string(pbx.active_calls()) + " active calls");
  } else if (cmd == "core show uptime") {
    f.emplace_back("Output", "System uptime: " + std::to_string(static_cast<long>(pbx.now())) + " seconds");
  } else {
    f = {{"Response", "Error"}, {"ActionID", id}, {"Message", "Command output follows"},
         {"Output", "No such command '" + cmd + "' (type 'core show help " + cmd + "' for other possible commands)"}};
  }
  out.send(f);
}

std::string fmt(double epoch, const char* f) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, f, &tm);
  return b;
}

bool channel_action(Pbx& pbx, const ami::Message& a, const std::string& id, Responder& out) {
  std::string_view name = a.action();
  std::string chan = s(a.get("Channel"));
  Channel* c = pbx.find_channel(chan);
  auto no_chan = [&] { out.send(err(id, "No such channel")); };
  if (iequals(name, "Hangup")) {
    if (!c) return no_chan(), true;
    pbx.hangup_channel(c->uniqueid, static_cast<int>(a.get_int("Cause", 16)));
    return out.send(ok(id, "Channel Hungup")), true;
  }
  if (iequals(name, "Redirect")) {
    if (!c) return out.send(err(id, "Channel does not exist: " + chan)), true;
    if (!pbx.redirect(c->uniqueid, a.has("Context") ? s(a.get("Context")) : "from-internal", s(a.get("Exten"))))
      return out.send(err(id, "Redirect failed")), true;
    return out.send(ok(id, "Redirect successful")), true;
  }
  if (iequals(name, "BlindTransfer") || iequals(name, "Atxfer")) {
    if (!c) return no_chan(), true;
    std::string exten = s(a.get("Exten"));
    if (iequals(name, "Atxfer")) {
      std::string ctx = a.has("Context") ? s(a.get("Context")) : "from-internal";
      std::uniform_real_distribution<double> consult(4, 12);
      if (!pbx.atxfer(c->uniqueid, exten, ctx, consult(pbx.rng()))) return out.send(err(id, "Atxfer failed")), true;
      return out.send(ok(id, "Atxfer successfully queued")), true;
    }
    if (!pbx.blind_transfer(c->uniqueid, exten)) return out.send(err(id, "Transfer failed")), true;
    return out.send(ok(id, iequals(name, "Atxfer") ? "Atxfer successfully queued" : "Transfer succeeded")), true;
  }
  if (iequals(name, "Park")) {
    if (!c) return no_chan(), true;
    std::string space;
    Channel* parker = pbx.find_channel(s(a.get("TimeoutChannel")));
    if (!pbx.park(c->uniqueid, parker ? parker->uniqueid : "", space)) return out.send(err(id, "Park failed")), true;
    return out.send(ok(id, "Park successful\n")), true;
  }
  if (iequals(name, "MixMonitor")) {
    if (!c) return no_chan(), true;
    pbx.start_mixmonitor(c->uniqueid, s(a.get("File")));
    return out.send({{"Response", "Success"}, {"ActionID", id}}), true;
  }
  if (iequals(name, "StopMixMonitor")) {
    if (!c) return no_chan(), true;
    pbx.stop_mixmonitor(c->uniqueid);
    return out.send({{"Response", "Success"}, {"ActionID", id}}), true;
  }
  if (iequals(name, "PlayDTMF")) {
    if (!c) return no_chan(), true;
    pbx.play_dtmf(c->uniqueid, s(a.get("Digit")));
    return out.send(ok(id, "DTMF successfully queued")), true;
  }
  return false;
}

}  // namespace

void handle_action(Pbx& pbx, const ami::Message& a, const std::shared_ptr<Responder>& out) {
  std::string_view name = a.action();
  std::string id(a.action_id());
  if (handle_list_action(pbx, a, *out)) return;
  if (channel_action(pbx, a, id, *out)) return;
  if (iequals(name, "Ping")) {
    return out->send({{"Response", "Success"}, {"ActionID", id}, {"Ping", "Pong"},
                      {"Timestamp", std::to_string(pbx.epoch())}});
  }
  if (iequals(name, "Originate")) return originate(pbx, a, id, out);
  if (iequals(name, "QueueAdd") || iequals(name, "QueueRemove") || iequals(name, "QueuePause") ||
      iequals(name, "QueuePenalty"))
    return queue_action(pbx, a, id, *out);
  if (iequals(name, "DBPut") || iequals(name, "DBDel") || iequals(name, "DBGet") || iequals(name, "DBGetTree"))
    return db_action(pbx, a, id, *out);
  if (iequals(name, "Command")) return command(pbx, a, id, *out);
  if (iequals(name, "CoreSettings")) {
    return out->send({{"Response", "Success"}, {"ActionID", id}, {"AMIversion", "11.0.0"},
                      {"AsteriskVersion", "22.9.0"}, {"SystemName", ""}, {"CoreMaxCalls", "0"},
                      {"CoreMaxLoadAvg", "0.000000"}, {"CoreRunUser", "asterisk"}, {"CoreRunGroup", "asterisk"},
                      {"CoreMaxFilehandles", "0"}, {"CoreRealTimeEnabled", "No"}, {"CoreCDRenabled", "Yes"},
                      {"CoreHTTPenabled", "Yes"}, {"SoundsSearchCustomDir", "No"}});
  }
  if (iequals(name, "CoreStatus")) {
    double b = pbx.boot_epoch();
    return out->send({{"Response", "Success"}, {"ActionID", id}, {"CoreStartupDate", fmt(b, "%Y-%m-%d")},
                      {"CoreStartupTime", fmt(b, "%H:%M:%S")}, {"CoreReloadDate", fmt(b, "%Y-%m-%d")},
                      {"CoreReloadTime", fmt(b, "%H:%M:%S")},
                      {"CoreCurrentCalls", std::to_string(pbx.active_calls())}});
  }
  out->send(err(id, "Invalid/unknown command"));
}

}  // namespace opdesk::sim
