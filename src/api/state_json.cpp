// Snapshot/delta JSON of the PBX state (docs/protocol.md). Times are Unix ms; unknown times
// and absent links are null, never 0 or "" (the web client tests for null).
#include "api/state_json.hpp"

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
          {"context", ext.context}, {"contacts", contacts_json(ext)}};
}

}  // namespace

json to_json(const pbx::Extension& ext) {
  pbx::ExtState st = ext.hint_code != -100 ? pbx::ext_state_from_hint(ext.hint_code)
                                           : (ext.registered() ? pbx::ExtState::kIdle : pbx::ExtState::kUnavailable);
  json j = base_extension(ext, st);
  j["calls"] = json::array();
  j["queues"] = json::array();
  j["paused"] = false;
  return j;
}

json extension_json(const pbx::Engine& engine, const pbx::Extension& ext) {
  json j = base_extension(ext, engine.extension_state(ext));
  j["calls"] = engine.calls_of_extension(ext.number);
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
  json qos = nullptr;
  if (call.qos.present) {
    qos = {{"loss_pct", call.qos.loss_pct}, {"jitter_ms", call.qos.jitter_ms},
           {"rtt_ms", call.qos.rtt_ms}, {"mes", call.qos.mes}};
  }
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
  for (const auto& [n, x] : st.extensions) exts.push_back(extension_json(engine, x));
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
      return it == st.extensions.end() ? json(nullptr) : extension_json(engine, it->second);
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
