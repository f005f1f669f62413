// Upstream-compatible state shapes; see upstream_compat.hpp.
#include "upstream_compat.hpp"

#include <cstdio>
#include <ctime>
#include <map>

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

// Upstream passes on the raw ExtensionStatus `Status` field, a string ("0", "8", "-1"): the
// hint code when the PBX sent one, else the code our state stands for.
std::string status_code(const nlohmann::json& ext, const std::string& state) {
  if (auto it = ext.find("hint_code"); it != ext.end() && it->is_number_integer()) {
    return std::to_string(it->get<int64_t>());
  }
  if (state == "idle") return "0";
  if (state == "in_call") return "1";
  if (state == "busy") return "2";
  if (state == "unavailable") return "4";
  if (state == "ringing") return "8";
  if (state == "on_hold") return "16";
  return "-1";
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
  // A caller-ID name that only repeats the number is no contact name (the upstream UI would
  // show "0221006925 (0221006925)").
  std::string name = other.is_null() ? std::string() : str(other, "name");
  bool named = !name.empty() && name != talking_to && name != str(other, "number") &&
               name != "<unknown>" && name != "Unknown";
  std::string dialed = str(call, "destination");
  std::string destination = str(me, "role") == "caller" ? talking_to : ext;
  json info = {{"extension", ext},
               {"state", state == "up" ? "Up" : state == "ringing" ? "Ringing" : state},
               {"talking_to", talking_to},
               {"contact_name", named ? json(name) : json()},
               {"duration", hms(started ? (now - started) / 1000 : 0)},
               {"talk_time", answered ? hms((now - answered) / 1000) : "00:00"},
               {"channel", me.is_null() ? json() : json(str(me, "channel"))},
               {"caller", str(me, "role") == "caller" ? ext : talking_to},
               {"callerid", str(me, "number")},
               {"destination", destination},
               {"original_destination", dialed.empty() ? destination : dialed},
               {"linkedid", str(call, "id")},
               {"queue", call.contains("queue") ? call["queue"] : json()}};
  return info;
}

// True for the answering side of a call between two extensions.
bool callee_of_internal(const json& call, const std::string& ext) {
  bool me_callee = false, other_internal = false;
  for (const auto& p : call.value("parties", json::array())) {
    if (str(p, "extension") == ext) me_callee = str(p, "role") != "caller";
    else if (!str(p, "extension").empty()) other_internal = true;
  }
  return me_callee && other_internal;
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
      // "Caller perspective only": the called side of an internal call is not a row of its own.
      if (!callee_of_internal(*it->second, ext)) active[ext] = ci;
    }
    exts[ext] = {{"extension", ext}, {"name", str(e, "name")}, {"status", state},
                 {"status_code", status_code(e, state)}, {"dnd", e.value("dnd", false)},
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
                      {"wait_time", hms(num(en, "since") ? (now - num(en, "since")) / 1000 : 0)}};
    }
    // `extension` is the key members and entries name (the upstream UI matches on it).
    queues[name] = {{"extension", name}, {"name", name}, {"members", qm}, {"calls_waiting", es.size()}};
  }
  return {{"extensions", exts}, {"active_calls", active}, {"queues", queues},
          {"queue_members", members}, {"queue_entries", entries},
          {"stats", {{"total_extensions", exts.size()}, {"active_calls_count", snap.value("calls", json::array()).size()},
                     {"total_queues", queues.size()}, {"total_waiting", waiting}}}};
}

}  // namespace opdesk::api
