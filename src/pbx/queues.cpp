// Queues (app_queue): parameters and counters (QueueParams, QueueSummary, caller/agent events),
// members (QueueMember list items and every live QueueMember* event carry the full member, so
// they are applied alike) and waiting callers with the members being rung for them.
// Pause reason: PausedReason (Asterisk 18+) or Reason (16), kept while paused, cleared on unpause.
#include <algorithm>

#include "pbx/engine_internal.hpp"

namespace opdesk::pbx {
namespace {

std::string member_key(std::string_view queue, std::string_view iface) {
  std::string k("m:");
  k.append(queue).push_back('\x1f');
  k.append(iface);
  return k;
}

void renumber(Queue& q) {
  std::stable_sort(q.entries.begin(), q.entries.end(),
                   [](const QueueEntry& a, const QueueEntry& b) { return a.position < b.position; });
  for (size_t i = 0; i < q.entries.size(); ++i) q.entries[i].position = static_cast<int>(i) + 1;
}

}  // namespace

Queue& Engine::queue_upsert(std::string_view name) {
  auto it = state_.queues.find(name);
  if (it != state_.queues.end()) return it->second;
  static Queue overflow;
  if (state_.queues.size() >= kMaxQueues) {
    ++stats_.capped;
    overflow = Queue{};
    return overflow;
  }
  Queue& q = state_.queues[std::string(name)];
  q.name.assign(name);
  return q;
}

QueueMember& Engine::member_upsert(Queue& q, std::string_view interface) {
  auto it = q.members.find(std::string(interface));
  if (it != q.members.end()) return it->second;
  QueueMember& m = q.members[std::string(interface)];
  m.interface.assign(interface);
  return m;
}

void Engine::member_fields(QueueMember& mem, const ami::Message& m) {
  if (std::string_view n = m.get("MemberName"); !n.empty()) mem.name.assign(n);
  else if (std::string_view n2 = m.get("Name"); !n2.empty()) mem.name.assign(n2);
  if (std::string_view si = m.get("StateInterface"); !si.empty()) mem.state_interface.assign(si);
  std::string_view res = channel_resource(mem.state_interface.empty() ? mem.interface : mem.state_interface);
  if (is_local_channel(mem.interface)) res = channel_resource(mem.interface);
  mem.extension.assign(res);
  if (std::string_view ms = m.get("Membership"); !ms.empty()) mem.dynamic = ms != "static";
  mem.penalty = to_int(m.get("Penalty"), mem.penalty);
  mem.calls_taken = to_int(m.get("CallsTaken"), mem.calls_taken);
  if (m.has("LastCall")) mem.last_call = to_int(m.get("LastCall"), 0);
  if (m.has("InCall")) mem.in_call = truthy(m.get("InCall"));
  mem.status = to_int(m.get("Status"), mem.status);
  if (m.has("Paused")) mem.paused = truthy(m.get("Paused"));
  if (m.has("Ringinuse")) mem.ringinuse = truthy(m.get("Ringinuse"));
  std::string_view reason = m.has("PausedReason") ? m.get("PausedReason") : m.get("Reason");
  if (!mem.paused) mem.reason.clear();  // a member at work has no pause reason (Asterisk may echo the last)
  else if (!reason.empty()) mem.reason.assign(reason);
  mem.touched = counter_;
}

void Handlers::on_queueparams(Engine& e, const ami::Message& m, int64_t) {
  std::string_view name = m.get("Queue");
  if (name.empty()) return;
  Queue& q = e.queue_upsert(name);
  if (q.name.empty()) return;
  if (std::string_view s = m.get("Strategy"); !s.empty()) q.strategy.assign(s);
  q.max = to_int(m.get("Max"), q.max);
  q.holdtime = to_int(m.get("Holdtime"), q.holdtime);
  q.talktime = to_int(m.get("TalkTime"), q.talktime);
  q.completed = to_int(m.get("Completed"), q.completed);
  q.abandoned = to_int(m.get("Abandoned"), q.abandoned);
  q.service_level = to_int(m.get("ServiceLevel"), q.service_level);
  std::string_view perf = m.get("ServicelevelPerf");
  if (!perf.empty()) q.service_level_perf = std::atof(std::string(perf).c_str());
  e.list_item(m, "queues", "q:" + std::string(name));
  e.mark(EntityKind::kQueue, name);
}

void Handlers::on_queuemember(Engine& e, const ami::Message& m, int64_t) {
  std::string_view qname = m.get("Queue");
  std::string_view iface = m.get("Interface");
  if (iface.empty()) iface = m.get("Location");
  if (qname.empty() || iface.empty()) return;
  Queue& q = e.queue_upsert(qname);
  if (q.name.empty()) return;
  QueueMember& mem = e.member_upsert(q, iface);
  e.member_fields(mem, m);
  e.list_item(m, "queues", member_key(qname, iface));
  e.mark(EntityKind::kQueue, qname);
  e.touch_extension(mem.extension);
}

void Handlers::on_queuememberremoved(Engine& e, const ami::Message& m, int64_t) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  std::string_view iface = m.get("Interface");
  auto mem = it->second.members.find(std::string(iface));
  if (mem == it->second.members.end()) return;
  std::string ext = mem->second.extension;
  it->second.members.erase(mem);
  e.mark(EntityKind::kQueue, it->first);
  e.touch_extension(ext);
}

static QueueEntry* entry_of(Queue& q, std::string_view uid) {
  for (auto& en : q.entries) {
    if (en.uniqueid == uid) return &en;
  }
  return nullptr;
}

QueueEntry& Handlers::entry_upsert(Engine& e, Queue& q, const ami::Message& m, int64_t since) {
  std::string_view uid = m.get("Uniqueid");
  QueueEntry* en = entry_of(q, uid);
  if (en == nullptr) {
    q.entries.emplace_back();
    en = &q.entries.back();
    en->uniqueid.assign(uid);
    en->since = since;
  }
  en->position = to_int(m.get("Position"), en->position);
  en->channel.assign(m.get("Channel"));
  if (has_number(m.get("CallerIDNum"))) en->caller.assign(m.get("CallerIDNum"));
  if (has_number(m.get("CallerIDName"))) en->caller_name.assign(m.get("CallerIDName"));
  if (const Channel* ch = e.channel_by_uid(uid)) en->call_id = ch->call_id;
  en->touched = e.counter_;
  return *en;
}

void Handlers::on_queueentry(Engine& e, const ami::Message& m, int64_t t) {
  std::string_view qname = m.get("Queue");
  if (qname.empty() || m.get("Uniqueid").empty()) return;
  Queue& q = e.queue_upsert(qname);
  if (q.name.empty()) return;
  long long wait = hms_seconds(m.get("Wait"));
  entry_upsert(e, q, m, t - std::max(0LL, wait) * 1000);
  renumber(q);
  e.list_item(m, "queues", "e:" + std::string(qname) + '\x1f' + std::string(m.get("Uniqueid")));
  e.mark(EntityKind::kQueue, qname);
}

void Handlers::on_queuecallerjoin(Engine& e, const ami::Message& m, int64_t t) {
  std::string_view qname = m.get("Queue");
  Channel* ch = e.upsert_channel(m, {}, t);
  if (qname.empty() || ch == nullptr) return;
  Queue& q = e.queue_upsert(qname);
  if (q.name.empty()) return;
  entry_upsert(e, q, m, t);
  renumber(q);
  e.mark(EntityKind::kQueue, qname);
  auto c = e.state_.calls.find(ch->call_id);
  if (c != e.state_.calls.end()) {
    c->second.queue.assign(qname);
    e.journey(c->second, t, "queued", qname);
  }
}

void Handlers::on_queuecallerleave(Engine& e, const ami::Message& m, int64_t) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  auto& en = it->second.entries;
  std::string_view uid = m.get("Uniqueid");
  en.erase(std::remove_if(en.begin(), en.end(), [&](const QueueEntry& x) { return x.uniqueid == uid; }), en.end());
  renumber(it->second);
  e.mark(EntityKind::kQueue, it->first);
}

void Handlers::on_queuecallerabandon(Engine& e, const ami::Message& m, int64_t t) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  ++it->second.abandoned;
  e.mark(EntityKind::kQueue, it->first);
  if (Channel* ch = e.channel_by_uid(m.get("Uniqueid"))) {
    auto c = e.state_.calls.find(ch->call_id);
    if (c != e.state_.calls.end()) e.journey(c->second, t, "abandoned", it->first);
  }
}

void Handlers::set_ringing(Engine& e, const ami::Message& m, bool on) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  QueueEntry* en = entry_of(it->second, m.get("Uniqueid"));
  if (en == nullptr) return;
  std::string iface(m.get("Interface"));
  auto& r = en->ringing;
  r.erase(std::remove(r.begin(), r.end(), iface), r.end());
  if (on) r.push_back(std::move(iface));
  e.mark(EntityKind::kQueue, it->first);
}

void Handlers::on_agentcalled(Engine& e, const ami::Message& m, int64_t t) {
  e.upsert_channel(m, "Dest", t);
  set_ringing(e, m, true);
}

void Handlers::on_agentringnoanswer(Engine& e, const ami::Message& m, int64_t) { set_ringing(e, m, false); }

void Handlers::on_agentconnect(Engine& e, const ami::Message& m, int64_t t) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  if (QueueEntry* en = entry_of(it->second, m.get("Uniqueid"))) en->ringing.clear();
  auto mem = it->second.members.find(std::string(m.get("Interface")));
  if (mem != it->second.members.end()) mem->second.in_call = true;
  e.mark(EntityKind::kQueue, it->first);
  if (Channel* ch = e.channel_by_uid(m.get("Uniqueid"))) {
    auto c = e.state_.calls.find(ch->call_id);
    if (c != e.state_.calls.end() && c->second.answered_at == 0) c->second.answered_at = t;
  }
}

void Handlers::on_agentcomplete(Engine& e, const ami::Message& m, int64_t t) {
  auto it = e.state_.queues.find(m.get("Queue"));
  if (it == e.state_.queues.end()) return;
  Queue& q = it->second;
  ++q.completed;
  auto mem = q.members.find(std::string(m.get("Interface")));
  if (mem != q.members.end()) {
    ++mem->second.calls_taken;
    mem->second.last_call = t / 1000;
    mem->second.in_call = false;
    e.touch_extension(mem->second.extension);
  }
  e.mark(EntityKind::kQueue, it->first);
}

void Handlers::on_queuesummary(Engine& e, const ami::Message& m, int64_t) {
  std::string_view name = m.get("Queue");
  if (name.empty()) return;
  Queue& q = e.queue_upsert(name);
  if (q.name.empty()) return;
  q.holdtime = to_int(m.get("HoldTime"), q.holdtime);
  q.talktime = to_int(m.get("TalkTime"), q.talktime);
  e.mark(EntityKind::kQueue, name);
}

}  // namespace opdesk::pbx
