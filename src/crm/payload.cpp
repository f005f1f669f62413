// Payload shaping (see payload.hpp): one catalogue table drives selection, naming and values.
//
// How it fits: CrmService calls build_payload once per (call, event) when it writes the outbox
// row, so a resend replays exactly the stored body. Invariants: callId and event are always
// present (the receiver needs them to de-duplicate); the status map is case-insensitive on the
// outcome; renamed keys never collide (validate_shaping runs at save time).
#include "crm/payload.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <functional>
#include <set>

namespace opdesk::crm {
namespace {

struct Field {
  const char* name;  // catalogue / CRM_SYNC_FIELDS name
  const char* key;   // default wire key
  std::function<nlohmann::json(const CallRecord&, const CrmConfig&)> value;
};

int64_t secs(int64_t from, int64_t to) { return from > 0 && to >= from ? (to - from) / 1000 : 0; }

nlohmann::json duration_value(const CrmConfig& c, int64_t s) {
  if (c.sync_duration_format == "seconds") return s;
  return format_hms(s);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::toupper(ch); });
  return s;
}

nlohmann::json status_value(const CallRecord& r, const CrmConfig& c) {
  std::string s(to_string(r.outcome));
  for (const auto& [from, to] : c.sync_status_map) {
    if (upper(from) == s) return to;
  }
  return s;
}

nlohmann::json time_or_null(int64_t ms) { return ms > 0 ? nlohmann::json(iso_utc(ms)) : nullptr; }

const std::vector<Field>& catalog() {
  static const std::vector<Field> f = {
      {"call_id", "callId", [](auto& r, auto&) { return r.linkedid; }},
      {"uniqueid", "uniqueId", [](auto& r, auto&) { return r.uniqueid; }},
      {"call_type", "callType", [](auto& r, auto&) { return std::string(to_string(r.direction)); }},
      {"caller", "caller", [](auto& r, auto&) { return r.caller_number; }},
      {"caller_name", "callerName", [](auto& r, auto&) { return r.caller_name; }},
      {"destination", "destination", [](auto& r, auto&) { return r.callee_number; }},
      {"destination_name", "destinationName", [](auto& r, auto&) { return r.callee_name; }},
      {"agent", "agentExt", [](auto& r, auto&) { return r.extension; }},
      {"agent_name", "agentName", [](auto& r, auto&) { return r.agent_name; }},
      {"queue", "queue", [](auto& r, auto&) { return r.queue.empty() ? nlohmann::json() : nlohmann::json(r.queue); }},
      {"datetime", "startTime", [](auto& r, auto&) { return time_or_null(r.start_ms); }},
      {"answer_time", "answerTime", [](auto& r, auto&) { return time_or_null(r.answer_ms); }},
      {"end_time", "endTime", [](auto& r, auto&) { return time_or_null(r.end_ms); }},
      {"duration", "duration", [](auto& r, auto& c) { return duration_value(c, secs(r.start_ms, r.end_ms)); }},
      {"talk_time", "talkTime", [](auto& r, auto& c) { return duration_value(c, secs(r.answer_ms, r.end_ms)); }},
      {"call_status", "status", status_value},
      {"hangup_cause", "hangupCause", [](auto& r, auto&) { return r.hangup_cause; }},
      {"recording_url", "recordingUrl", [](auto&, auto&) { return nlohmann::json(); }},
      {"qos", "qos", [](const CallRecord& r, auto&) {
         if (!r.qos) return nlohmann::json();
         return nlohmann::json{{"mos", r.qos->mos}, {"jitterMs", r.qos->jitter_ms},
                               {"lossPct", r.qos->loss_pct}, {"rttMs", r.qos->rtt_ms}};
       }},
  };
  return f;
}

const Field* find_field(const std::string& name) {
  for (const auto& f : catalog()) {
    if (name == f.name || name == f.key) return &f;
  }
  return nullptr;
}

std::string wire_key(const CrmConfig& c, const Field& f) {
  std::string key = f.key;
  if (c.sync_duration_format == "seconds") {
    if (key == "duration") key = "durationInSeconds";
    if (key == "talkTime") key = "talkTimeInSeconds";
  }
  for (const char* k : {f.name, f.key}) {
    if (auto it = c.sync_key_map.find(k); it != c.sync_key_map.end()) return it->second;
  }
  if (auto it = c.sync_key_map.find(key); it != c.sync_key_map.end()) return it->second;
  return key;
}

std::vector<const Field*> selected(const CrmConfig& c) {
  std::vector<const Field*> out;
  const auto& names = c.sync_fields.empty() ? default_fields() : c.sync_fields;
  for (const char* always : {"call_id"}) out.push_back(find_field(always));
  for (const auto& n : names) {
    const Field* f = find_field(n);
    if (f && std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& field_catalog() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : catalog()) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& default_fields() {
  static const std::vector<std::string> d = {
      "call_id", "call_type", "caller", "caller_name", "destination", "agent", "queue",
      "datetime", "answer_time", "end_time", "duration", "talk_time", "call_status",
      "recording_url", "qos"};
  return d;
}

bool direction_enabled(const CrmConfig& c, Direction d) {
  switch (d) {
    case Direction::kInbound: return c.sync_dir_inbound;
    case Direction::kOutbound: return c.sync_dir_outbound;
    case Direction::kInternal: return c.sync_dir_internal;
  }
  return false;
}

nlohmann::json build_payload(const CrmConfig& c, const CallRecord& r, CallEvent ev,
                             const std::string& recording_url) {
  nlohmann::json body = nlohmann::json::object();
  body["event"] = to_string(ev);
  for (const Field* f : selected(c)) {
    nlohmann::json v = f->value(r, c);
    if (std::string(f->name) == "recording_url") {
      if (recording_url.empty()) continue;
      v = recording_url;
    }
    if (v.is_null() && std::string(f->name) == "qos") continue;
    body[wire_key(c, *f)] = std::move(v);
  }
  return body;
}

void validate_shaping(const CrmConfig& c) {
  for (const auto& n : c.sync_fields) {
    if (!find_field(n)) throw ConfigError("sync_fields", "sync_fields: unknown field " + n);
  }
  for (const auto& [from, to] : c.sync_key_map) {
    if (!find_field(from) && from != "durationInSeconds" && from != "talkTimeInSeconds") {
      throw ConfigError("sync_key_map", "sync_key_map: unknown source key " + from);
    }
  }
  std::set<std::string> keys{"event"};
  for (const Field* f : selected(c)) {
    if (!keys.insert(wire_key(c, *f)).second) {
      throw ConfigError("sync_key_map", "sync_key_map: two fields would be sent as " + wire_key(c, *f));
    }
  }
  for (const auto& [from, to] : c.sync_status_map) {
    if (!parse_outcome(upper(from))) {
      throw ConfigError("sync_status_map", "sync_status_map: unknown outcome " + from);
    }
  }
}

std::string format_hms(int64_t s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  return buf;
}

std::string iso_utc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kAnswered: return "ANSWERED";
    case Outcome::kNoAnswer: return "NO_ANSWER";
    case Outcome::kBusy: return "BUSY";
    case Outcome::kFailure: return "FAILURE";
    case Outcome::kAbandoned: return "ABANDONED";
    case Outcome::kCanceled: return "CANCELED";
    case Outcome::kDropped: return "DROPPED";
    case Outcome::kOutOfReach: return "OUT_OF_REACH";
  }
  return "FAILURE";
}

std::optional<Outcome> parse_outcome(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(Outcome::kOutOfReach); ++i) {
    if (to_string(static_cast<Outcome>(i)) == s) return static_cast<Outcome>(i);
  }
  return std::nullopt;
}

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::kInbound: return "inbound";
    case Direction::kOutbound: return "outbound";
    case Direction::kInternal: return "internal";
  }
  return "inbound";
}

std::string_view to_string(CallEvent e) {
  switch (e) {
    case CallEvent::kRinging: return "ringing";
    case CallEvent::kAnswered: return "answered";
    case CallEvent::kEnded: return "ended";
  }
  return "ended";
}

}  // namespace opdesk::crm
