// Snapshot/delta JSON of the PBX state (docs/protocol.md). Times are Unix ms; unknown times
// and absent links are null, never 0 or "" (the web client tests for null).
#include "api/state_json.hpp"

#include <algorithm>
#include <string_view>

namespace opdesk::api {
namespace {

using nlohmann::json;

json time_or_null(int64_t ms) { return ms > 0 ? json(ms) : json(nullptr); }
json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string_view member_status_text(int status) {
  switch (status) {
    case 1: return "not_in_use";
    case 2: return "in_use";
    case 3: return "busy";
    case 4: return "invalid";
    case 5: return "unavailable";
    case 6: return "ringing";
    case 7: return "ring_in_use";
    case 8: return "on_hold";
    default: return "unknown";
  }
}

json contacts_json(const pbx::Extension& ext) {
  json out = json::array();
  for (const auto& [uri, c] : ext.contacts) {
    out.push_back({{"uri", c.uri}, {"status", c.status},
                   {"rtt_ms", c.rtt_ms >= 0 ? json(c.rtt_ms) : json(nullptr)},
                   {"user_agent", c.user_agent}, {"address", c.address}});
  }
  return out;
}

json base_extension(const pbx::Extension& ext, pbx::ExtState state) {
  return {{"extension", ext.number}, {"name", ext.name}, {"tech", ext.tech},
          {"state", pbx::to_string(state)}, {"hint", pbx::hint_text(ext.hint_code)},
          {"hint_code", ext.hint_code == -100 ? json(nullptr) : json(ext.hint_code)},
          {"registered", ext.registered()}, {"dnd", ext.dnd}, {"webrtc", ext.webrtc},
          {"context", ext.context}, {"contacts", contacts_json(ext)},
          {"group", ext.group}, {"order", ext.order}};
}

// Live QoS of a call (worst leg and direction); the badge is `grade`. MES is Asterisk's 0..100
// score and `mes_mos` the MOS it stands for (MES / 20), shown next to the E-model `mos`.
json qos_json(const pbx::Qos& q) {
  if (!q.present) return nullptr;
  auto num_or_null = [](double v, bool known) { return known ? json(v) : json(nullptr); };
  return {{"loss_pct", q.loss_pct}, {"jitter_ms", q.jitter_ms}, {"rtt_ms", num_or_null(q.rtt_ms, q.rtt_ms >= 0)},
          {"mes", num_or_null(q.mes, q.mes >= 0)},
          {"mes_mos", num_or_null(std::clamp(q.mes / 20.0, 1.0, 5.0), q.mes >= 0)},
          {"mos", num_or_null(q.mos, q.mos > 0)}, {"grade", str_or_null(q.grade)},
          {"reason", q.reason}, {"updated_at", time_or_null(q.updated_at)}};
}

int grade_rank(std::string_view g) { return g == "poor" ? 3 : g == "fair" ? 2 : g == "good" ? 1 : 0; }

// Badge of an extension: the worst grade of the calls it is in (null when none is graded).
json extension_qos(const pbx::Engine& engine, const std::vector<std::string>& calls) {
  std::string_view worst;
  for (const auto& id : calls) {
    const pbx::Call* c = engine.find_call(id);
    if (c != nullptr && c->qos.present && grade_rank(c->qos.grade) > grade_rank(worst)) worst = c->qos.grade;
  }
  return worst.empty() ? json(nullptr) : json(worst);
}

}  // namespace

json to_json(const pbx::Extension& ext) {
  pbx::ExtState st = ext.hint_code != -100 ? pbx::ext_state_from_hint(ext.hint_code)
                                           : (ext.registered() ? pbx::ExtState::kIdle : pbx::ExtState::kUnavailable);
  json j = base_extension(ext, st);
  j["calls"] = json::array();
  j["queues"] = json::array();
  j["paused"] = false;
  j["qos_grade"] = nullptr;
  return j;
}

json extension_json(const pbx::Engine& engine, const pbx::Extension& ext) {
  json j = base_extension(ext, engine.extension_state(ext));
  auto calls = engine.calls_of_extension(ext.number);
  j["qos_grade"] = extension_qos(engine, calls);
  j["calls"] = std::move(calls);
  json queues = json::array();
  bool paused = false;
  for (const auto& [name, q] : engine.state().queues) {
    for (const auto& [iface, m] : q.members) {
      if (m.extension != ext.number) continue;
      queues.push_back(name);
      paused = paused || m.paused;
      break;
    }
  }
  j["queues"] = std::move(queues);
  j["paused"] = paused;
  return j;
}

json to_json(const pbx::Call& call) {
  json parties = json::array();
  for (const auto& p : call.parties) {
    parties.push_back({{"extension", str_or_null(p.extension)}, {"number", p.number}, {"name", p.name},
                       {"channel", p.channel}, {"uniqueid", p.uniqueid}, {"state", p.state},
                       {"role", p.role}, {"on_hold", p.on_hold}, {"holding", p.holding}});
  }
  json spies = json::array();
  for (const auto& s : call.spied_by) {
    spies.push_back({{"extension", s.extension}, {"channel", s.channel}, {"mode", s.mode}, {"since", s.since}});
  }
  json journey = json::array();
  for (const auto& step : call.journey) {
    journey.push_back({{"at", step.at}, {"event", step.event}, {"detail", step.detail}});
  }
  json qos = qos_json(call.qos);
  return {{"id", call.id}, {"state", call.state}, {"direction", call.direction},
          {"parties", std::move(parties)}, {"started_at", time_or_null(call.started_at)},
          {"answered_at", time_or_null(call.answered_at)}, {"ended_at", time_or_null(call.ended_at)},
          {"hold_ms", call.hold_ms}, {"hold_since", time_or_null(call.hold_since)},
          {"on_hold", call.on_hold}, {"held_by", str_or_null(call.held_by)},
          {"queue", str_or_null(call.queue)}, {"destination", call.destination}, {"recording", str_or_null(call.recording)},
          {"recording_path", str_or_null(call.recording_path)}, {"recording_active", call.recording_active},
          {"transferred", call.transferred}, {"parked_space", str_or_null(call.parked_space)},
          {"conference", str_or_null(call.conference)}, {"spied_by", std::move(spies)},
          {"qos", std::move(qos)}, {"journey", std::move(journey)}, {"extensions", call.extensions()}};
}

json to_json(const pbx::Queue& q) {
  json members = json::array();
  for (const auto& [iface, m] : q.members) {
    members.push_back({{"interface", m.interface}, {"name", m.name}, {"extension", m.extension},
                       {"state_interface", m.state_interface}, {"status", m.status},
                       {"status_text", member_status_text(m.status)}, {"paused", m.paused},
                       {"reason", m.reason}, {"penalty", m.penalty}, {"calls_taken", m.calls_taken},
                       {"last_call", m.last_call}, {"in_call", m.in_call}, {"dynamic", m.dynamic},
                       {"ringinuse", m.ringinuse}});
  }
  json entries = json::array();
  for (const auto& en : q.entries) {
    entries.push_back({{"position", en.position}, {"caller", en.caller}, {"caller_name", en.caller_name},
                       {"channel", en.channel}, {"uniqueid", en.uniqueid}, {"call_id", str_or_null(en.call_id)},
                       {"since", en.since}, {"ringing", en.ringing}});
  }
  return {{"name", q.name}, {"strategy", q.strategy}, {"calls", q.entries.size()}, {"max", q.max},
          {"completed", q.completed}, {"abandoned", q.abandoned}, {"holdtime", q.holdtime},
          {"talktime", q.talktime}, {"service_level", q.service_level},
          {"service_level_perf", q.service_level_perf}, {"members", std::move(members)},
          {"entries", std::move(entries)}};
}

json to_json(const pbx::Parked& p) {
  return {{"space", p.space}, {"lot", p.lot.empty() ? "default" : p.lot}, {"channel", p.channel},
          {"extension", p.extension}, {"since", p.since}, {"timeout_at", time_or_null(p.timeout_at)},
          {"parked_by", p.parked_by}, {"call_id", str_or_null(p.call_id)}};
}

json to_json(const pbx::Conference& c) {
  json members = json::array();
  for (const auto& [uid, m] : c.members) {
    members.push_back({{"channel", m.channel}, {"extension", m.extension}, {"muted", m.muted},
                       {"talking", m.talking}, {"admin", m.admin}, {"since", m.since}});
  }
  return {{"room", c.room}, {"members", std::move(members)}};
}

json to_json(const pbx::PbxStatus& p) {
  return {{"connected", p.connected}, {"since", time_or_null(p.since)}, {"version", p.version}, {"banner", p.banner}};
}

json snapshot_json(const pbx::Engine& engine, int64_t server_time_ms) {
  const pbx::State& st = engine.state();
  json exts = json::array(), calls = json::array(), queues = json::array();
  json parked = json::array(), confs = json::array();
  for (const auto& [n, x] : st.extensions) {
    if (!x.hidden) exts.push_back(extension_json(engine, x));  // hidden by an admin (directory)
  }
  for (const auto& [id, c] : st.calls) {
    if (engine.call_visible(c)) calls.push_back(to_json(c));
  }
  for (const auto& [n, q] : st.queues) queues.push_back(to_json(q));
  for (const auto& [n, p] : st.parked) parked.push_back(to_json(p));
  for (const auto& [n, c] : st.conferences) confs.push_back(to_json(c));
  return {{"epoch", engine.epoch()}, {"seq", engine.seq()}, {"server_time", server_time_ms},
          {"pbx", to_json(st.pbx)}, {"extensions", std::move(exts)}, {"calls", std::move(calls)},
          {"queues", std::move(queues)}, {"parked", std::move(parked)}, {"conferences", std::move(confs)}};
}

json entity_json(const pbx::Engine& engine, const pbx::Change& change) {
  if (change.removed) return nullptr;
  const pbx::State& st = engine.state();
  switch (change.kind) {
    case pbx::EntityKind::kExtension: {
      auto it = st.extensions.find(change.id);
      bool gone = it == st.extensions.end() || it->second.hidden;  // hidden: sent as a removal
      return gone ? json(nullptr) : extension_json(engine, it->second);
    }
    case pbx::EntityKind::kCall: {
      auto it = st.calls.find(change.id);
      return it == st.calls.end() || !engine.call_visible(it->second) ? json(nullptr) : to_json(it->second);
    }
    case pbx::EntityKind::kQueue: {
      auto it = st.queues.find(change.id);
      return it == st.queues.end() ? json(nullptr) : to_json(it->second);
    }
    case pbx::EntityKind::kParked: {
      auto it = st.parked.find(change.id);
      return it == st.parked.end() ? json(nullptr) : to_json(it->second);
    }
    case pbx::EntityKind::kConference: {
      auto it = st.conferences.find(change.id);
      return it == st.conferences.end() ? json(nullptr) : to_json(it->second);
    }
    case pbx::EntityKind::kPbx: return to_json(st.pbx);
  }
  return nullptr;
}

json delta_json(const pbx::Engine& engine, const pbx::ChangeBatch& batch, int64_t server_time_ms) {
  json changes = json::array();
  for (const auto& c : batch.changes) {
    json data = entity_json(engine, c);
    if (data.is_null()) {
      changes.push_back({{"op", "remove"}, {"kind", pbx::to_string(c.kind)}, {"id", c.id}});
    } else {
      changes.push_back({{"op", "upsert"}, {"kind", pbx::to_string(c.kind)}, {"id", c.id}, {"data", std::move(data)}});
    }
  }
  return {{"type", "delta"}, {"epoch", batch.epoch}, {"seq", batch.seq}, {"server_time", server_time_ms},
          {"changes", std::move(changes)}};
}

}  // namespace opdesk::api
