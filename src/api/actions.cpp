// Action planning; see actions.hpp. One function per action, registered in one table with the
// parameters it accepts; the typed reader and entity resolution live in action_resolve.cpp.
#include "actions.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <regex>

#include "action_resolve.hpp"

namespace opdesk::api {
using json = nlohmann::json;

namespace {
using namespace detail;

ActionPlan spy(const Ctx& c, const std::string& mode) {
  if (!c.who.can_monitor(mode)) {
    refuse(403, "access.monitor_mode.forbidden", "you are not allowed to " + mode);
  }
  const pbx::Call* call = named_call(c);
  std::string target = target_extension(c, call);
  std::string sup = str(c, "supervisor");
  if (sup.empty() || (c.who.extension && sup == *c.who.extension)) {
    sup = own_extension(c);
  } else if (!c.who.is_admin()) {
    refuse(403, "access.supervisor.forbidden", "only admins may ring another supervisor phone", "supervisor");
  }
  if (!std::regex_match(sup, kExtRe)) refuse(400, "request.field.invalid", "supervisor must be an extension", "supervisor");
  known_extension(c, sup, "supervisor");
  if (sup == target) refuse(400, "request.field.invalid", "you cannot monitor your own extension", "target");
  const pbx::Channel& ch = live_channel(c, target, call);
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

ami::Action hangup_of(const std::string& channel) {
  return ami::Action("Hangup").set("Channel", channel).set("Cause", "16");
}

// hangup: one channel (`channel`), the target's leg (in `call_id` when both are given), or the
// whole `call_id` when every extension in it is in scope.
ActionPlan hangup(const Ctx& c) {
  const pbx::Call* call = named_call(c);
  std::string channel = str(c, "channel");
  ActionPlan plan;
  if (!channel.empty()) {
    if (has_target(c)) refuse(400, "request.field.invalid", "give channel or target, not both", "channel");
    const pbx::Channel* ch = c.engine.find_channel(channel);
    if (!ch) refuse(404, "pbx.channel.not_found", "no channel " + channel, "channel");
    if (ch->extension.empty() ? !c.who.all : !c.who.sees_extension(ch->extension)) {
      refuse(403, "access.scope.forbidden", "that channel is outside your scope", "channel");
    }
    if (call && ch->call_id != call->id) {
      refuse(409, "pbx.target.not_in_call", "channel " + ch->name + " is not in call " + call->id, "channel");
    }
    plan.target = ch->name;
    plan.ami.push_back(hangup_of(ch->name));
    return plan;
  }
  if (call && !has_target(c)) {
    if (!owns_call(c, *call)) {
      refuse(403, "access.scope.forbidden", "call " + call->id + " has parties outside your scope", "call_id");
    }
    plan.target = call->id;
    for (const auto& party : call->parties) {
      if (!party.channel.empty()) plan.ami.push_back(hangup_of(party.channel));
    }
    if (plan.ami.empty()) refuse(409, "pbx.call.ended", "call " + call->id + " has no live channel", "call_id");
    return plan;
  }
  std::string ext = target_extension(c, call);
  const pbx::Channel& ch = live_channel(c, ext, call);
  plan.target = ext;
  plan.ami.push_back(hangup_of(ch.name));
  return plan;
}

// Upstream clients may send the dial context and priority: accepted only as the configured ones.
void check_dial_target(const Ctx& c) {
  std::string ctx = str(c, "context");
  if (!ctx.empty() && ctx != c.opts.context) {
    refuse(400, "request.field.invalid", "context must be " + c.opts.context + " (the configured dial context)", "context");
  }
  std::string prio = str(c, "priority");
  if (!prio.empty() && prio != "1") refuse(400, "request.field.invalid", "priority must be 1", "priority");
}

ActionPlan redirect_peer(const Ctx& c, const std::string& destination, const char* what) {
  check_dial_target(c);
  const pbx::Call* call = named_call(c);
  std::string ext = target_extension(c, call);
  const pbx::Channel& ch = live_channel(c, ext, call);
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
  std::string dest = need(c, "destination", kNumberRe, "a number or extension (digits, * #, optional leading +)");
  return redirect_peer(c, dest, "blind");
}

ActionPlan attended(const Ctx& c) {
  check_dial_target(c);
  std::string dest = need(c, "destination", kNumberRe, "a number or extension");
  const pbx::Call* call = named_call(c);
  std::string ext = target_extension(c, call);
  const pbx::Channel& ch = live_channel(c, ext, call);
  ActionPlan plan;
  plan.target = ext;
  plan.ami.push_back(ami::Action("Atxfer").set("Channel", ch.name).set("Exten", dest).set("Context", c.opts.context));
  plan.data = {{"channel", ch.name}, {"destination", dest}};
  return plan;
}

ActionPlan take_over(const Ctx& c) { return redirect_peer(c, own_extension(c), "take_over"); }

ActionPlan park(const Ctx& c) {
  std::string lot = str(c, "lot");
  if (!lot.empty() && !std::regex_match(lot, kQueueRe)) refuse(400, "request.field.invalid", "lot is not a parking lot name", "lot");
  const pbx::Call* call = named_call(c);
  std::string ext = target_extension(c, call);
  const pbx::Channel& ch = live_channel(c, ext, call);
  const pbx::Party* peer = peer_of(c, ch);
  if (!peer) refuse(409, "pbx.target.no_peer", "extension " + ext + " is not talking to anyone", "target");
  ActionPlan plan;
  plan.target = ext;
  ami::Action a("Park");
  a.set("Channel", peer->channel).set("TimeoutChannel", ch.name).set("AnnounceChannel", ch.name);
  if (!lot.empty()) a.set("Parkinglot", lot);
  plan.ami.push_back(std::move(a));
  plan.data = {{"parked_channel", peer->channel}};
  return plan;
}

// Pickup: ring my phone; when I answer, PickupChan takes exactly the ringing leg (full name).
ActionPlan pickup(const Ctx& c) {
  std::string me = own_extension(c);
  known_extension(c, me, "target");
  std::string ext = target_extension(c, nullptr);
  if (ext == me) refuse(400, "request.field.invalid", "you cannot pick up your own phone", "target");
  const pbx::Channel* ringing = nullptr;
  for (const pbx::Channel* ch : c.engine.channels_of_extension(ext)) {
    if (!ch->spy && !ch->local && ch->state == 5) ringing = ch;  // 5 = Ringing (a called leg)
  }
  if (!ringing) refuse(409, "pbx.target.not_ringing", "extension " + ext + " is not ringing", "target");
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

// originate / click_to_call: `from` (upstream click-to-call: `extension`) defaults to my phone.
ActionPlan originate(const Ctx& c) {
  std::string from = str(c, "from");
  const char* from_field = "from";
  if (std::string alias = str(c, "extension"); !alias.empty()) {
    if (!from.empty() && alias != from) refuse(400, "request.field.invalid", "from and extension name different phones", "extension");
    if (from.empty()) from = alias, from_field = "extension";
  }
  if (from.empty()) from = own_extension(c);
  if (!std::regex_match(from, kExtRe)) refuse(400, "request.field.invalid", std::string(from_field) + " must be an extension", from_field);
  known_extension(c, from, from_field);
  if (!(c.who.extension && *c.who.extension == from) && !(c.who.role != "agent" && c.who.sees_extension(from))) {
    refuse(403, "access.scope.forbidden", "you may not place calls from extension " + from, from_field);
  }
  std::string number = str(c, "number");
  if (number.empty()) refuse(400, "request.field.missing", "number is required", "number");
  std::string cleaned;
  for (char ch : number) {
    if (ch != ' ' && ch != '-' && ch != '.' && ch != '(' && ch != ')') cleaned += ch;
  }
  if (!std::regex_match(cleaned, kNumberRe)) {
    refuse(400, "request.field.invalid", "number must be 2-20 digits, * or # (optional leading +)", "number");
  }
  int timeout = static_cast<int>(integer(c, "timeout", 5, 120).value_or(c.opts.originate_timeout_s));
  std::string cid = str(c, "caller_id");
  if (cid.empty()) cid = "\"ext " + from + "\" <" + from + ">";
  if (!std::regex_match(cid, kReasonRe)) {
    refuse(400, "request.field.invalid", "caller_id must be at most 64 printable characters", "caller_id");
  }
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
  const pbx::Call* call = named_call(c);
  std::string ext = target_extension(c, call);
  const pbx::Channel& ch = live_channel(c, ext, call);
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

// dnd: DBPut/DBDel DND/<ext>. Turning off a DND that is not set is a no-op (200), not a 502.
ActionPlan dnd(const Ctx& c) {
  std::string ext = str(c, "extension");
  const char* field = "extension";
  if (std::string t = str(c, "target"); !t.empty()) {
    if (!ext.empty() && t != ext) refuse(400, "request.field.invalid", "extension and target name different extensions", "target");
    if (ext.empty()) ext = t, field = "target";
  }
  if (ext.empty() && c.who.extension) ext = *c.who.extension;
  if (ext.empty()) refuse(400, "request.field.missing", "extension is required", "extension");
  if (!std::regex_match(ext, kExtRe)) refuse(400, "request.field.invalid", std::string(field) + " must be an extension", field);
  known_extension(c, ext, field);
  check_scope(c, ext, field);
  auto on_opt = flag(c, "enabled");
  if (!on_opt) refuse(400, "request.field.missing", "enabled (true or false) is required", "enabled");
  bool on = *on_opt;
  ActionPlan plan;
  plan.target = ext;
  if (on) {
    plan.ami.push_back(ami::Action("DBPut").set("Family", "DND").set("Key", ext).set("Val", "YES"));
  } else {
    plan.ami.push_back(ami::Action("DBDel").set("Family", "DND").set("Key", ext));
    plan.already_done = {"Database entry not"};  // "... not found" / "... not deleted": no DND set
  }
  plan.dnd = std::make_pair(ext, on);
  plan.data = {{"extension", ext}, {"dnd", on}};
  return plan;
}

// Queue member: `interface` as given, or built from `extension`/`member` with its technology.
std::pair<std::string, const char*> member_interface(const Ctx& c) {
  std::string iface = str(c, "interface");
  const char* field = "interface";
  std::string ext = str(c, "extension");
  const char* ext_field = "extension";
  if (std::string m = str(c, "member"); !m.empty()) {
    if (!ext.empty() && m != ext) refuse(400, "request.field.invalid", "extension and member name different members", "member");
    if (ext.empty()) ext = m, ext_field = "member";
  }
  if (!iface.empty() && !ext.empty()) refuse(400, "request.field.invalid", "give interface or extension, not both", "interface");
  if (!iface.empty() && iface.find('/') == std::string::npos) {
    ext = iface;  // a bare number, as the upstream UI sends
    ext_field = "interface";
    iface.clear();
  }
  if (iface.empty()) {
    if (ext.empty()) refuse(400, "request.field.missing", "interface or extension is required", "interface");
    if (!std::regex_match(ext, kExtRe)) refuse(400, "request.field.invalid", std::string(ext_field) + " must be an extension", ext_field);
    iface = tech_of(c, ext) + "/" + ext;
    field = ext_field;
  }
  if (!std::regex_match(iface, kIfaceRe)) refuse(400, "request.field.invalid", "interface must look like PJSIP/1005", field);
  return {iface, field};
}

std::string iface_extension(const std::string& iface) {
  auto slash = iface.find('/');
  std::string rest = iface.substr(slash + 1);
  auto end = rest.find_first_of("@/");
  return end == std::string::npos ? rest : rest.substr(0, end);
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// A new member (queue_add): a known endpoint in scope, or an admin's Local/ in an allowed context.
void check_new_member(const Ctx& c, const std::string& iface, const char* field) {
  if (iface.rfind("Local/", 0) == 0) {
    if (!c.who.is_admin()) refuse(403, "access.member.forbidden", "only admins may add Local/ queue members", field);
    static const std::regex kLocalRe("^Local/([A-Za-z0-9*#_+-]{1,32})@([A-Za-z0-9_-]{1,64})(/n)?$");
    std::smatch m;
    if (!std::regex_match(iface, m, kLocalRe)) {
      refuse(400, "request.field.invalid", "a Local/ member must look like Local/1005@from-queue/n", field);
    }
    const auto& allowed = c.opts.local_member_contexts;
    if (std::find(allowed.begin(), allowed.end(), m[2].str()) == allowed.end()) {
      refuse(403, "access.member.forbidden",
             "context " + m[2].str() + " is not allowed for Local/ members (ami.queue_local_contexts)", field);
    }
    return;
  }
  std::string ext = iface_extension(iface);
  const pbx::Extension* e = c.engine.find_extension(ext);
  if (!e) refuse(404, "pbx.target.not_found", "no endpoint " + iface, field);
  std::string tech = e->tech.empty() ? "PJSIP" : e->tech;
  if (!iequals(iface, tech + "/" + ext)) {
    refuse(400, "request.field.invalid", "interface must be " + tech + "/" + ext + " (a known endpoint)", field);
  }
  if (!c.who.all && !c.who.sees_extension(ext)) {
    refuse(403, "access.scope.forbidden", "extension " + ext + " is outside your scope", field);
  }
}

// An existing member (remove/pause/penalty): in the named queue, or in any queue when none is named.
void check_existing_member(const Ctx& c, const std::string& queue, const std::string& iface, const char* field) {
  const auto& queues = c.engine.state().queues;
  if (!queue.empty()) {
    const auto& members = queues.at(queue).members;
    if (members.find(iface) == members.end()) {
      refuse(404, "pbx.member.not_found", iface + " is not a member of queue " + queue, field);
    }
    return;
  }
  for (const auto& [name, q] : queues) {
    if (q.members.count(iface)) return;
  }
  refuse(404, "pbx.member.not_found", iface + " is not a member of any queue", field);
}

std::string queue_name(const Ctx& c, bool required) {
  std::string q = str(c, "queue");
  if (q.empty()) {
    if (required) refuse(400, "request.field.missing", "queue is required", "queue");
    return q;
  }
  if (!std::regex_match(q, kQueueRe)) refuse(400, "request.field.invalid", "queue name is invalid", "queue");
  if (c.engine.state().queues.find(q) == c.engine.state().queues.end()) refuse(404, "pbx.queue.not_found", "no queue " + q, "queue");
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
    if (!c.who.all && !self) refuse(403, "access.scope.forbidden", "name the queue (all-queue changes need admin scope)", "queue");
    return;
  }
  if (!c.who.sees_queue(queue)) refuse(403, "access.scope.forbidden", "queue " + queue + " is outside your scope", "queue");
}

ActionPlan queue_op(const Ctx& c, const std::string& op) {
  // Values first (400 before any lookup), then each entity on its own.
  std::string reason = str(c, "reason");
  if (!std::regex_match(reason, kReasonRe)) refuse(400, "request.field.invalid", "reason must be at most 64 printable characters", "reason");
  std::optional<long long> penalty;
  if (op == "queue_add" || op == "queue_penalty") penalty = integer(c, "penalty", 0, 1000);
  if (op == "queue_penalty" && !penalty) refuse(400, "request.field.missing", "penalty (0-1000) is required", "penalty");
  bool paused = op == "queue_add" && flag(c, "paused").value_or(false);
  std::string name;
  if (op == "queue_add") {
    name = str(c, "membername");
    const char* name_field = "membername";
    if (std::string alias = str(c, "name"); !alias.empty() && name.empty()) name = alias, name_field = "name";
    if (!std::regex_match(name, kReasonRe)) {
      refuse(400, "request.field.invalid", std::string(name_field) + " must be at most 64 printable characters", name_field);
    }
  }
  bool needs_queue = op != "queue_pause" && op != "queue_unpause";
  std::string queue = queue_name(c, needs_queue);
  auto [iface, field] = member_interface(c);
  check_queue_scope(c, queue, iface, op == "queue_pause" || op == "queue_unpause");
  if (op == "queue_add") {
    check_new_member(c, iface, field);
    if (c.engine.state().queues.at(queue).members.count(iface)) {
      refuse(409, "pbx.member.exists", iface + " is already a member of queue " + queue, field);
    }
  } else {
    check_existing_member(c, queue, iface, field);
  }
  if (op == "queue_remove" && !c.engine.state().queues.at(queue).members.find(iface)->second.dynamic) {
    refuse(409, "pbx.member.static", iface + " is a static member of " + queue + " (queues.conf): it cannot be removed here", field);
  }
  ActionPlan plan;
  plan.target = (queue.empty() ? std::string("*") : queue) + "/" + iface;
  ami::Action a(op == "queue_add" ? "QueueAdd" : op == "queue_remove" ? "QueueRemove"
                : op == "queue_penalty" ? "QueuePenalty" : "QueuePause");
  if (!queue.empty()) a.set("Queue", queue);
  a.set("Interface", iface);
  if (op == "queue_add") {
    if (penalty) a.set("Penalty", std::to_string(*penalty));
    a.set("Paused", paused ? "true" : "false");
    if (!name.empty()) a.set("MemberName", name);
    if (paused && !reason.empty()) a.set("Reason", reason);
  } else if (op == "queue_penalty") {
    a.set("Penalty", std::to_string(*penalty));
  } else if (op == "queue_pause" || op == "queue_unpause") {
    a.set("Paused", op == "queue_pause" ? "true" : "false");
    if (!reason.empty()) a.set("Reason", reason);
  }
  plan.ami.push_back(std::move(a));
  plan.data = {{"queue", queue}, {"interface", iface}};
  return plan;
}

using Planner = std::function<ActionPlan(const Ctx&)>;
struct Spec {
  Planner plan;
  std::vector<std::string> params;  // accepted besides the envelope
};

// Parameter sets. target/extension/source are one name in several spellings (ours, REST paths,
// upstream `source`); context/priority are the upstream transfer fields (configured values only).
const std::vector<std::string> kOnCall = {"target", "extension", "source", "call_id"};
std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<const char*> more) {
  for (const char* m : more) base.emplace_back(m);
  return base;
}
const std::vector<std::string> kMember = {"queue", "interface", "extension", "member"};

const std::map<std::string, Spec>& planners() {
  static const std::map<std::string, Spec> table = {
      {"listen", {[](const Ctx& c) { return spy(c, "listen"); }, with(kOnCall, {"supervisor"})}},
      {"whisper", {[](const Ctx& c) { return spy(c, "whisper"); }, with(kOnCall, {"supervisor"})}},
      {"barge", {[](const Ctx& c) { return spy(c, "barge"); }, with(kOnCall, {"supervisor"})}},
      {"hangup", {hangup, with(kOnCall, {"channel"})}},
      {"transfer", {transfer, with(kOnCall, {"destination", "context", "priority"})}},
      {"attended_transfer", {attended, with(kOnCall, {"destination", "context", "priority"})}},
      {"take_over", {take_over, with(kOnCall, {"context", "priority"})}},
      {"park", {park, with(kOnCall, {"lot"})}},
      {"pickup", {pickup, {"target", "extension", "source"}}},
      {"originate", {originate, {"from", "extension", "number", "caller_id", "timeout"}}},
      {"click_to_call", {originate, {"from", "extension", "number", "caller_id", "timeout"}}},
      {"record_start", {[](const Ctx& c) { return record(c, true); }, kOnCall}},
      {"record_stop", {[](const Ctx& c) { return record(c, false); }, kOnCall}},
      {"dnd", {dnd, {"extension", "target", "enabled"}}},
      {"queue_add", {[](const Ctx& c) { return queue_op(c, "queue_add"); },
                     with(kMember, {"penalty", "paused", "membername", "name", "reason"})}},
      {"queue_remove", {[](const Ctx& c) { return queue_op(c, "queue_remove"); }, kMember}},
      {"queue_pause", {[](const Ctx& c) { return queue_op(c, "queue_pause"); }, with(kMember, {"reason"})}},
      {"queue_unpause", {[](const Ctx& c) { return queue_op(c, "queue_unpause"); }, with(kMember, {"reason"})}},
      {"queue_penalty", {[](const Ctx& c) { return queue_op(c, "queue_penalty"); }, with(kMember, {"penalty"})}},
  };
  return table;
}

// The WebSocket envelope: {"type":"action","id":n,"action":name, ...parameters}.
bool envelope(const std::string& k) { return k == "type" || k == "id" || k == "action"; }

std::string shown(const std::string& s) { return s.size() > 40 ? s.substr(0, 40) + "..." : s; }

}  // namespace

const std::vector<std::string>& action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [k, f] : planners()) v.push_back(k);
    return v;
  }();
  return names;
}

std::vector<std::string> action_params(const std::string& action) {
  auto it = planners().find(action);
  return it == planners().end() ? std::vector<std::string>{} : it->second.params;
}

PlanResult plan_action(const std::string& action, const json& params, const Principal& who,
                       const pbx::Engine& engine, const ActionOptions& opts, int64_t now_ms) {
  auto it = planners().find(action);
  if (it == planners().end()) {
    return ActionError{400, "request.action.unknown", "unknown action '" + shown(action) + "'", "action"};
  }
  if (!params.is_object()) return ActionError{400, "request.body.invalid_json", "parameters must be an object"};
  // Unknown parameters are refused before anything is resolved (nothing is silently dropped).
  std::vector<std::string> unknown;
  for (auto p = params.begin(); p != params.end(); ++p) {
    const auto& known = it->second.params;
    if (!envelope(p.key()) && std::find(known.begin(), known.end(), p.key()) == known.end()) {
      unknown.push_back(shown(p.key()));
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? ", " : "") + unknown[i];
    if (unknown.size() > 5) list += ", ... (" + std::to_string(unknown.size()) + " in all)";
    std::string accepted;
    for (const auto& k : it->second.params) accepted += (accepted.empty() ? "" : ", ") + k;
    return ActionError{400, "request.field.unknown",
                       "unknown parameter(s) for " + action + ": " + list + " (accepted: " + accepted + ")", unknown[0]};
  }
  try {
    Ctx ctx{params, who, engine, opts, now_ms};
    ActionPlan plan = it->second.plan(ctx);
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
