// Upstream-compatible state shapes; see upstream_compat.hpp.
#include "upstream_compat.hpp"

#include <ctime>

namespace opdesk::api {
using json = nlohmann::json;

std::string hms(int64_t s) {
  if (s < 0) s = 0;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

std::string iso_time(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms % 1000));
  return out;
}

namespace {

int status_code(const std::string& state) {
  if (state == "idle") return 0;
  if (state == "in_call") return 1;
  if (state == "busy") return 2;
  if (state == "unavailable") return 4;
  if (state == "ringing") return 8;
  if (state == "on_hold") return 16;
  return -1;
}

const char* member_status_text(int s) {
  static const char* names[] = {"Unknown", "Not in use", "In use", "Busy", "Invalid",
                                "Unavailable", "Ringing", "Ring+In use", "On Hold"};
  return s >= 0 && s <= 8 ? names[s] : "Unknown";
}

std::string str(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t num(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// The upstream CallInfo for `ext` in `call`, from that extension's point of view.
json call_info(const json& call, const std::string& ext, int64_t now) {
  json me, other;
  for (const auto& p : call.value("parties", json::array())) {
    if (str(p, "extension") == ext && me.is_null()) me = p;
    else if (other.is_null()) other = p;
  }
  std::string state = str(call, "state");
  std::string talking_to = other.is_null() ? "Unknown"
                           : !str(other, "extension").empty() ? str(other, "extension")
                                                              : str(other, "number");
  int64_t started = num(call, "started_at"), answered = num(call, "answered_at");
  json info = {{"extension", ext},
               {"state", state == "up" ? "Up" : state == "ringing" ? "Ringing" : state},
               {"talking_to", talking_to},
               {"contact_name", other.is_null() ? json() : json(str(other, "name"))},
               {"duration", hms(started ? (now - started) / 1000 : 0)},
               {"talk_time", answered ? hms((now - answered) / 1000) : "00:00"},
               {"channel", me.is_null() ? json() : json(str(me, "channel"))},
               {"caller", str(me, "role") == "caller" ? ext : talking_to},
               {"callerid", str(me, "number")},
               {"destination", str(me, "role") == "caller" ? talking_to : ext},
               {"linkedid", str(call, "id")},
               {"queue", call.contains("queue") ? call["queue"] : json()}};
  return info;
}

}  // namespace

json upstream_state(const json& snap) {
  int64_t now = num(snap, "server_time");
  json exts = json::object(), active = json::object();
  std::map<std::string, const json*> call_of_ext;
  // Pointers into `snap` itself: a value() copy would leave them dangling after the loop (#6).
  static const json kNone = json::array();
  auto calls_it = snap.find("calls");
  const json& calls = calls_it != snap.end() && calls_it->is_array() ? *calls_it : kNone;
  for (const auto& c : calls) {
    for (const auto& p : c.value("parties", json::array())) {
      std::string e = str(p, "extension");
      if (!e.empty() && !call_of_ext.count(e)) call_of_ext[e] = &c;
    }
  }
  for (const auto& e : snap.value("extensions", json::array())) {
    std::string ext = str(e, "extension");
    std::string state = str(e, "state");
    json ci;
    if (auto it = call_of_ext.find(ext); it != call_of_ext.end()) {
      ci = call_info(*it->second, ext, now);
      active[ext] = ci;
    }
    exts[ext] = {{"extension", ext}, {"name", str(e, "name")}, {"status", state},
                 {"status_code", status_code(state)}, {"dnd", e.value("dnd", false)},
                 {"call_info", ci}};
  }
  json queues = json::object(), members = json::object(), entries = json::object();
  int64_t waiting = 0;
  for (const auto& q : snap.value("queues", json::array())) {
    std::string name = str(q, "name");
    json qm = json::object();
    for (const auto& m : q.value("members", json::array())) {
      std::string iface = str(m, "interface");
      int st = static_cast<int>(num(m, "status"));
      qm[iface] = {{"status", st}, {"paused", m.value("paused", false)},
                   {"membername", str(m, "name")}, {"dynamic", m.value("dynamic", false)}};
      members[name + ":" + iface] = {{"queue", name}, {"interface", iface},
                                     {"membername", str(m, "name")}, {"status", member_status_text(st)},
                                     {"paused", m.value("paused", false)}, {"pause_reason", str(m, "reason")},
                                     {"dynamic", m.value("dynamic", false)}};
    }
    auto es = q.value("entries", json::array());
    waiting += static_cast<int64_t>(es.size());
    for (const auto& en : es) {
      std::string uid = str(en, "uniqueid");
      if (uid.empty()) uid = name + ":" + std::to_string(num(en, "position"));
      entries[uid] = {{"queue", name}, {"callerid", str(en, "caller")},
                      {"position", num(en, "position")},
                      {"wait_time", num(en, "since") ? (now - num(en, "since")) / 1000 : 0}};
    }
    queues[name] = {{"name", name}, {"members", qm}, {"calls_waiting", es.size()}};
  }
  return {{"extensions", exts}, {"active_calls", active}, {"queues", queues},
          {"queue_members", members}, {"queue_entries", entries},
          {"stats", {{"total_extensions", exts.size()}, {"active_calls_count", snap.value("calls", json::array()).size()},
                     {"total_queues", queues.size()}, {"total_waiting", waiting}}}};
}

}  // namespace opdesk::api
