// Action planning; see actions.hpp. One function per action, registered in one table.
#include "actions.hpp"

#include <functional>
#include <map>
#include <regex>

namespace opdesk::api {
using json = nlohmann::json;

namespace {

struct Refusal {
  ActionError e;
};
[[noreturn]] void refuse(int status, std::string code, std::string message) {
  throw Refusal{{status, std::move(code), std::move(message)}};
}

const std::regex kExtRe("^[A-Za-z0-9*#_+-]{1,32}$");
const std::regex kNumberRe("^\\+?[0-9*#]{2,20}$");
const std::regex kQueueRe("^[A-Za-z0-9._@+-]{1,64}$");
const std::regex kIfaceRe("^[A-Za-z0-9]{1,16}/[A-Za-z0-9_.@/+-]{1,80}$");
const std::regex kReasonRe("^[^\\x00-\\x1f\\x7f]{0,64}$");
const std::regex kCallIdRe("^[A-Za-z0-9._-]{1,80}$");

struct Ctx {
  const json& p;
  const Principal& who;
  const pbx::Engine& engine;
  const ActionOptions& opts;
  int64_t now;
};

std::string str(const json& p, const char* field) {
  auto it = p.find(field);
  if (it == p.end() || it->is_null()) return {};
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  if (!it->is_string()) refuse(400, "request.field.invalid", std::string(field) + " must be a string");
  return it->get<std::string>();
}

std::string need(const json& p, const char* field, const std::regex& re, const char* what) {
  std::string v = str(p, field);
  if (v.empty()) refuse(400, "request.field.missing", std::string(field) + " is required");
  if (!std::regex_match(v, re)) refuse(400, "request.field.invalid", std::string(field) + " must be " + what);
  return v;
}

std::string tech_of(const Ctx& c, const std::string& ext) {
  const pbx::Extension* e = c.engine.find_extension(ext);
  return e && !e->tech.empty() ? e->tech : "PJSIP";
}

const pbx::Extension& known_extension(const Ctx& c, const std::string& ext) {
  const pbx::Extension* e = c.engine.find_extension(ext);
  if (!e) refuse(404, "pbx.target.not_found", "no extension " + ext);
  return *e;
}

void check_scope(const Ctx& c, const std::string& ext) {
  if (!c.who.sees_extension(ext)) refuse(403, "access.scope.forbidden", "extension " + ext + " is outside your scope");
}

// The extension's live channel, preferring an answered one.
const pbx::Channel& live_channel(const Ctx& c, const std::string& ext) {
  const pbx::Channel* best = nullptr;
  for (const pbx::Channel* ch : c.engine.channels_of_extension(ext)) {
    if (ch->spy) continue;
    if (!best || (ch->state == 6 && best->state != 6)) best = ch;
  }
  if (!best) refuse(409, "pbx.target.not_in_call", "extension " + ext + " has no active call");
  return *best;
}

// The other real party of the call `ch` belongs to (the one a transfer moves).
const pbx::Party* peer_of(const Ctx& c, const pbx::Channel& ch) {
  const pbx::Call* call = c.engine.find_call(ch.call_id);
  if (!call) return nullptr;
  for (const auto& party : call->parties) {
    if (party.channel != ch.name && !party.channel.empty()) return &party;
  }
  return nullptr;
}

// The target extension from `target`/`extension`, or the first in-scope party of `call_id`.
std::string target_extension(const Ctx& c) {
  std::string t = str(c.p, "target");
  if (t.empty()) t = str(c.p, "extension");
  if (t.empty()) t = str(c.p, "source");
  if (!t.empty() && c.engine.find_call(t) && !c.engine.find_extension(t)) {
    std::string id = t;
    t.clear();
    for (const auto& party : c.engine.find_call(id)->parties) {
      if (!party.extension.empty() && c.who.sees_extension(party.extension)) {
        t = party.extension;
        break;
      }
    }
    if (t.empty()) refuse(403, "access.scope.forbidden", "that call is outside your scope");
  }
  if (t.empty()) {
    std::string id = str(c.p, "call_id");
    if (!id.empty()) {
      if (!std::regex_match(id, kCallIdRe)) refuse(400, "request.field.invalid", "call_id is invalid");
      const pbx::Call* call = c.engine.find_call(id);
      if (!call) refuse(404, "pbx.target.not_found", "no call " + id);
      for (const auto& party : call->parties) {
        if (!party.extension.empty() && c.who.sees_extension(party.extension)) return party.extension;
      }
      refuse(403, "access.scope.forbidden", "that call is outside your scope");
    }
  }
  if (t.empty()) refuse(400, "request.field.missing", "target is required");
  if (!std::regex_match(t, kExtRe)) refuse(400, "request.field.invalid", "target must be an extension or call id");
  known_extension(c, t);
  check_scope(c, t);
  return t;
}

std::string own_extension(const Ctx& c) {
  if (!c.who.extension) refuse(409, "user.extension.missing", "your account has no extension");
  return *c.who.extension;
}

ActionPlan spy(const Ctx& c, const std::string& mode) {
  if (!c.who.can_monitor(mode)) {
    refuse(403, "access.monitor_mode.forbidden", "you are not allowed to " + mode);
  }
  std::string target = target_extension(c);
  std::string sup = str(c.p, "supervisor");
  if (sup.empty() || (c.who.extension && sup == *c.who.extension)) {
    sup = own_extension(c);
  } else if (!c.who.is_admin()) {
    refuse(403, "access.supervisor.forbidden", "only admins may ring another supervisor phone");
  }
  if (!std::regex_match(sup, kExtRe)) refuse(400, "request.field.invalid", "supervisor must be an extension");
  known_extension(c, sup);
  if (sup == target) refuse(400, "request.field.invalid", "you cannot monitor your own extension");
  const pbx::Channel& ch = live_channel(c, target);
  std::string opts = mode == "listen" ? "qE" : mode == "whisper" ? "qwE" : "qBE";
  if (c.opts.spy_switchable) opts += "d";
  std::string label = mode == "listen" ? "Listen" : mode == "whisper" ? "Whisper" : "Barge";
  std::string id = "spy-" + sup + "-" + target + "-" + std::to_string(c.now);
  ami::Action a("Originate");
  a.set("Channel", tech_of(c, sup) + "/" + sup)
      .set("Application", "ChanSpy")
      .set("Data", ch.name + "," + opts)
      .set("CallerID", "\"" + label + "\" <" + target + ">")
      .set("ChannelId", id)
      .set("Timeout", "30000")
      .set("Async", "true");
  ActionPlan plan;
  plan.target = target;
  plan.ami.push_back(std::move(a));
  plan.data = {{"channel_id", id}, {"spied_channel", ch.name}, {"supervisor", sup}, {"mode", mode}};
  return plan;
}

ActionPlan hangup(const Ctx& c) {
  std::string channel = str(c.p, "channel");
  ActionPlan plan;
  if (!channel.empty()) {
    const pbx::Channel* ch = c.engine.find_channel(channel);
    if (!ch) refuse(404, "pbx.target.not_found", "no channel " + channel);
    if (ch->extension.empty() ? !c.who.all : !c.who.sees_extension(ch->extension)) {
      refuse(403, "access.scope.forbidden", "that channel is outside your scope");
    }
    plan.target = ch->name;
    plan.ami.push_back(ami::Action("Hangup").set("Channel", ch->name).set("Cause", "16"));
    return plan;
  }
  std::string call_id = str(c.p, "call_id");
  std::string ext = target_extension(c);
  if (!call_id.empty()) {
    const pbx::Call* call = c.engine.find_call(call_id);
    plan.target = call_id;
    for (const auto& party : call->parties) {
      if (!party.channel.empty()) plan.ami.push_back(ami::Action("Hangup").set("Channel", party.channel).set("Cause", "16"));
    }
    return plan;
  }
  const pbx::Channel& ch = live_channel(c, ext);
  plan.target = ext;
  plan.ami.push_back(ami::Action("Hangup").set("Channel", ch.name).set("Cause", "16"));
  return plan;
}

ActionPlan redirect_peer(const Ctx& c, const std::string& destination, const char* what) {
  std::string ext = target_extension(c);
  const pbx::Channel& ch = live_channel(c, ext);
  const pbx::Party* peer = peer_of(c, ch);
  std::string moved = peer ? peer->channel : ch.name;
  ActionPlan plan;
  plan.target = ext;
  plan.ami.push_back(ami::Action("Redirect")
                         .set("Channel", moved)
                         .set("Context", c.opts.context)
                         .set("Exten", destination)
                         .set("Priority", "1"));
  plan.data = {{"moved_channel", moved}, {"destination", destination}, {"kind", what}};
  return plan;
}

ActionPlan transfer(const Ctx& c) {
  std::string dest = need(c.p, "destination", kNumberRe, "a number or extension (digits, * #, optional leading +)");
  return redirect_peer(c, dest, "blind");
}

ActionPlan attended(const Ctx& c) {
  std::string dest = need(c.p, "destination", kNumberRe, "a number or extension");
  std::string ext = target_extension(c);
  const pbx::Channel& ch = live_channel(c, ext);
  ActionPlan plan;
  plan.target = ext;
  plan.ami.push_back(ami::Action("Atxfer").set("Channel", ch.name).set("Exten", dest).set("Context", c.opts.context));
  plan.data = {{"channel", ch.name}, {"destination", dest}};
  return plan;
}

ActionPlan take_over(const Ctx& c) { return redirect_peer(c, own_extension(c), "take_over"); }

ActionPlan park(const Ctx& c) {
  std::string ext = target_extension(c);
  const pbx::Channel& ch = live_channel(c, ext);
  const pbx::Party* peer = peer_of(c, ch);
  if (!peer) refuse(409, "pbx.target.no_peer", "extension " + ext + " is not talking to anyone");
  ActionPlan plan;
  plan.target = ext;
  ami::Action a("Park");
  a.set("Channel", peer->channel).set("TimeoutChannel", ch.name).set("AnnounceChannel", ch.name);
  if (auto lot = str(c.p, "lot"); !lot.empty()) {
    if (!std::regex_match(lot, kQueueRe)) refuse(400, "request.field.invalid", "lot is invalid");
    a.set("Parkinglot", lot);
  }
  plan.ami.push_back(std::move(a));
  plan.data = {{"parked_channel", peer->channel}};
  return plan;
}

// Pickup: ring my phone; when I answer, PickupChan takes exactly the ringing leg (full name).
ActionPlan pickup(const Ctx& c) {
  std::string me = own_extension(c);
  known_extension(c, me);
  std::string ext = target_extension(c);
  if (ext == me) refuse(400, "request.field.invalid", "you cannot pick up your own phone");
  const pbx::Channel* ringing = nullptr;
  for (const pbx::Channel* ch : c.engine.channels_of_extension(ext)) {
    if (!ch->spy && !ch->local && ch->state == 5) ringing = ch;  // 5 = Ringing (a called leg)
  }
  if (!ringing) refuse(409, "pbx.target.not_ringing", "extension " + ext + " is not ringing");
  std::string id = "pickup-" + me + "-" + ext + "-" + std::to_string(c.now);
  ActionPlan plan;
  plan.target = ext;
  plan.ami.push_back(ami::Action("Originate")
                         .set("Channel", tech_of(c, me) + "/" + me)
                         .set("Application", "PickupChan")
                         .set("Data", ringing->name)
                         .set("CallerID", "\"Pickup\" <" + ext + ">")
                         .set("ChannelId", id)
                         .set("Timeout", std::to_string(c.opts.originate_timeout_s * 1000))
                         .set("Async", "true"));
  plan.data = {{"channel_id", id}, {"ringing_channel", ringing->name}, {"to", me}};
  return plan;
}

ActionPlan originate(const Ctx& c) {
  std::string from = str(c.p, "from");
  if (from.empty()) from = own_extension(c);
  if (!std::regex_match(from, kExtRe)) refuse(400, "request.field.invalid", "from must be an extension");
  known_extension(c, from);
  if (!(c.who.extension && *c.who.extension == from) && !(c.who.role != "agent" && c.who.sees_extension(from))) {
    refuse(403, "access.scope.forbidden", "you may not place calls from extension " + from);
  }
  std::string number = str(c.p, "number");
  std::string cleaned;
  for (char ch : number) {
    if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')') cleaned += ch;
  }
  if (!std::regex_match(cleaned, kNumberRe)) refuse(400, "request.field.invalid", "number must be 2-20 digits, * or # (optional leading +)");
  int timeout = c.opts.originate_timeout_s;
  if (auto it = c.p.find("timeout"); it != c.p.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int>() < 5 || it->get<int>() > 120) refuse(400, "request.field.invalid", "timeout must be 5-120 seconds");
    timeout = it->get<int>();
  }
  std::string cid = str(c.p, "caller_id");
  if (cid.empty()) cid = "\"ext " + from + "\" <" + from + ">";
  if (!std::regex_match(cid, kReasonRe)) refuse(400, "request.field.invalid", "caller_id contains invalid characters");
  std::string id = "c2c-" + from + "-" + std::to_string(c.now);
  ActionPlan plan;
  plan.target = from + "->" + cleaned;
  plan.ami.push_back(ami::Action("Originate").set("Channel", tech_of(c, from) + "/" + from)
                         .set("Context", c.opts.context).set("Exten", cleaned).set("Priority", "1")
                         .set("CallerID", cid).set("Timeout", std::to_string(timeout * 1000))
                         .set("Async", "true").set("ChannelId", id));
  plan.data = {{"action_id", id}, {"from", from}, {"number", cleaned}};
  return plan;
}

ActionPlan record(const Ctx& c, bool start) {
  std::string ext = target_extension(c);
  const pbx::Channel& ch = live_channel(c, ext);
  ActionPlan plan;
  plan.target = ext;
  if (start) {
    std::string file = "opdesk-" + ext + "-" + std::to_string(c.now / 1000) + "-" + ch.uniqueid + ".wav";
    plan.ami.push_back(ami::Action("MixMonitor").set("Channel", ch.name).set("File", file).set("Options", "b"));
    plan.data = {{"file", file}, {"channel", ch.name}};
  } else {
    plan.ami.push_back(ami::Action("StopMixMonitor").set("Channel", ch.name));
  }
  return plan;
}

ActionPlan dnd(const Ctx& c) {
  std::string ext = str(c.p, "extension");
  if (ext.empty()) ext = str(c.p, "target");
  if (ext.empty() && c.who.extension) ext = *c.who.extension;
  if (!std::regex_match(ext, kExtRe)) refuse(400, "request.field.invalid", "extension is required");
  known_extension(c, ext);
  check_scope(c, ext);
  auto it = c.p.find("enabled");
  if (it == c.p.end() || !it->is_boolean()) refuse(400, "request.field.invalid", "enabled must be true or false");
  bool on = it->get<bool>();
  ActionPlan plan;
  plan.target = ext;
  if (on) plan.ami.push_back(ami::Action("DBPut").set("Family", "DND").set("Key", ext).set("Val", "YES"));
  else plan.ami.push_back(ami::Action("DBDel").set("Family", "DND").set("Key", ext));
  plan.dnd = std::make_pair(ext, on);
  plan.data = {{"extension", ext}, {"dnd", on}};
  return plan;
}

// Queue member: `interface` as given, or built from `extension`/`member` with its technology.
std::string member_interface(const Ctx& c) {
  std::string iface = str(c.p, "interface");
  std::string ext = str(c.p, "extension");
  if (ext.empty()) ext = str(c.p, "member");
  if (!iface.empty() && iface.find('/') == std::string::npos) {
    ext = iface;  // a bare number, as the upstream UI sends
    iface.clear();
  }
  if (iface.empty()) {
    if (!std::regex_match(ext, kExtRe)) refuse(400, "request.field.invalid", "interface or extension is required");
    iface = tech_of(c, ext) + "/" + ext;
  }
  if (!std::regex_match(iface, kIfaceRe)) refuse(400, "request.field.invalid", "interface must look like PJSIP/1005");
  return iface;
}

std::string iface_extension(const std::string& iface) {
  auto slash = iface.find('/');
  std::string rest = iface.substr(slash + 1);
  auto end = rest.find_first_of("@/");
  return end == std::string::npos ? rest : rest.substr(0, end);
}

std::string queue_name(const Ctx& c, bool required) {
  std::string q = str(c.p, "queue");
  if (q.empty()) {
    if (required) refuse(400, "request.field.missing", "queue is required");
    return q;
  }
  if (!std::regex_match(q, kQueueRe)) refuse(400, "request.field.invalid", "queue name is invalid");
  if (c.engine.state().queues.find(q) == c.engine.state().queues.end()) refuse(404, "pbx.queue.not_found", "no queue " + q);
  return q;
}

// Supervisors/admins act on queues in scope; agents only on their own membership.
void check_queue_scope(const Ctx& c, const std::string& queue, const std::string& iface, bool self_allowed) {
  bool self = c.who.extension && iface_extension(iface) == *c.who.extension;
  if (c.who.role == "agent") {
    if (!(self && self_allowed)) refuse(403, "access.role.forbidden", "agents may only pause or unpause themselves");
    return;
  }
  if (queue.empty()) {
    if (!c.who.all && !self) refuse(403, "access.scope.forbidden", "name the queue (all-queue changes need admin scope)");
    return;
  }
  if (!c.who.sees_queue(queue)) refuse(403, "access.scope.forbidden", "queue " + queue + " is outside your scope");
}

ActionPlan queue_op(const Ctx& c, const std::string& op) {
  bool needs_queue = op != "queue_pause" && op != "queue_unpause";
  std::string queue = queue_name(c, needs_queue);
  std::string iface = member_interface(c);
  check_queue_scope(c, queue, iface, op == "queue_pause" || op == "queue_unpause");
  ActionPlan plan;
  plan.target = (queue.empty() ? std::string("*") : queue) + "/" + iface;
  ami::Action a(op == "queue_add" ? "QueueAdd" : op == "queue_remove" ? "QueueRemove"
                : op == "queue_penalty" ? "QueuePenalty" : "QueuePause");
  if (!queue.empty()) a.set("Queue", queue);
  a.set("Interface", iface);
  std::string reason = str(c.p, "reason");
  if (!std::regex_match(reason, kReasonRe)) refuse(400, "request.field.invalid", "reason must be at most 64 printable characters");
  if (op == "queue_add") {
    if (auto pen = c.p.find("penalty"); pen != c.p.end() && !pen->is_null()) {
      if (!pen->is_number_integer() || pen->get<int>() < 0 || pen->get<int>() > 1000) refuse(400, "request.field.invalid", "penalty must be 0-1000");
      a.set("Penalty", std::to_string(pen->get<int>()));
    }
    bool paused = c.p.value("paused", false);
    a.set("Paused", paused ? "true" : "false");
    std::string name = str(c.p, "membername");
    if (name.empty()) name = str(c.p, "name");
    if (!name.empty()) {
      if (!std::regex_match(name, kReasonRe)) refuse(400, "request.field.invalid", "membername is invalid");
      a.set("MemberName", name);
    }
    if (paused && !reason.empty()) a.set("Reason", reason);
  } else if (op == "queue_penalty") {
    auto pen = c.p.find("penalty");
    if (pen == c.p.end() || !pen->is_number_integer() || pen->get<int>() < 0 || pen->get<int>() > 1000) {
      refuse(400, "request.field.invalid", "penalty must be 0-1000");
    }
    a.set("Penalty", std::to_string(pen->get<int>()));
  } else if (op == "queue_pause" || op == "queue_unpause") {
    a.set("Paused", op == "queue_pause" ? "true" : "false");
    if (!reason.empty()) a.set("Reason", reason);
  }
  plan.ami.push_back(std::move(a));
  plan.data = {{"queue", queue}, {"interface", iface}};
  return plan;
}

using Planner = std::function<ActionPlan(const Ctx&)>;

const std::map<std::string, Planner>& planners() {
  static const std::map<std::string, Planner> table = {
      {"listen", [](const Ctx& c) { return spy(c, "listen"); }},
      {"whisper", [](const Ctx& c) { return spy(c, "whisper"); }},
      {"barge", [](const Ctx& c) { return spy(c, "barge"); }},
      {"hangup", hangup},
      {"transfer", transfer},
      {"attended_transfer", attended},
      {"take_over", take_over},
      {"park", park},
      {"pickup", pickup},
      {"originate", originate},
      {"click_to_call", originate},
      {"record_start", [](const Ctx& c) { return record(c, true); }},
      {"record_stop", [](const Ctx& c) { return record(c, false); }},
      {"dnd", dnd},
      {"queue_add", [](const Ctx& c) { return queue_op(c, "queue_add"); }},
      {"queue_remove", [](const Ctx& c) { return queue_op(c, "queue_remove"); }},
      {"queue_pause", [](const Ctx& c) { return queue_op(c, "queue_pause"); }},
      {"queue_unpause", [](const Ctx& c) { return queue_op(c, "queue_unpause"); }},
      {"queue_penalty", [](const Ctx& c) { return queue_op(c, "queue_penalty"); }},
  };
  return table;
}

}  // namespace

const std::vector<std::string>& action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [k, f] : planners()) v.push_back(k);
    return v;
  }();
  return names;
}

PlanResult plan_action(const std::string& action, const json& params, const Principal& who,
                       const pbx::Engine& engine, const ActionOptions& opts, int64_t now_ms) {
  auto it = planners().find(action);
  if (it == planners().end()) {
    return ActionError{400, "request.action.unknown", "unknown action '" + action.substr(0, 40) + "'"};
  }
  if (!params.is_object()) return ActionError{400, "request.body.invalid_json", "parameters must be an object"};
  try {
    Ctx ctx{params, who, engine, opts, now_ms};
    ActionPlan plan = it->second(ctx);
    plan.action = action;
    // Second line of defence: nothing with a control character is ever sent.
    for (const auto& a : plan.ami) {
      for (const auto& [k, v] : a.fields()) {
        if (!ami::Action::safe_value(v)) return ActionError{400, "request.field.invalid", k + " contains a control character"};
      }
    }
    return plan;
  } catch (const Refusal& r) {
    return r.e;
  }
}

}  // namespace opdesk::api
