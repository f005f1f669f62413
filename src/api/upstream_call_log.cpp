// Upstream call-log shapes (see upstream_call_log.hpp).
//
// How it fits: history_routes.cpp parses with parse_upstream_call_log_query, pages through
// CdrStore::query on the worker pool and maps each CallGroup with upstream_call_record; the
// journey route finds one call by linkedid (scope applied in SQL) and maps it with
// upstream_journey. Direction and outcome come from store::classify_* (the SQL twins), so the
// upstream `call_type`/`status` agree with OpDesk's `direction`/`status` for the same call.
#include "api/upstream_call_log.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <ctime>

#include "api/http_util.hpp"
#include "directory/directory.hpp"
#include "store/cdr_sql.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string hms(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string call_type(store::CdrDirection d) {
  switch (d) {
    case store::CdrDirection::kInbound: return "IN";
    case store::CdrDirection::kOutbound: return "OUT";
    case store::CdrDirection::kInternal: return "INTERNAL";
    default: return "UNKNOWN";
  }
}

std::string queue_of(const store::CdrRecord& l) {
  return l.lastapp == "Queue" ? l.lastdata.substr(0, l.lastdata.find(',')) : std::string();
}

// A ChanSpy leg: {mode, supervisor_extension, target_extension, target_linkedid}.
json supervision_of(const store::CallGroup& call) {
  for (const auto& l : call.legs) {
    if (l.lastapp != "ChanSpy") continue;
    std::string target = l.lastdata.substr(0, l.lastdata.find(','));
    std::string opts = l.lastdata.find(',') == std::string::npos ? "" : l.lastdata.substr(l.lastdata.find(',') + 1);
    std::string mode = opts.find('B') != std::string::npos ? "barge"
                       : opts.find('w') != std::string::npos ? "whisper" : "listen";
    return {{"mode", mode},
            {"supervisor_extension", cdr_channel_extension(l.channel)},
            {"target_extension", target.find('/') != std::string::npos ? cdr_channel_extension(target) : target},
            {"target_linkedid", nullptr}};
  }
  return nullptr;
}

}  // namespace

UpstreamCallLogQuery parse_upstream_call_log_query(std::map<std::string, std::string> query,
                                                   const CallLogScope& scope,
                                                   const std::string& today) {
  UpstreamCallLogQuery out;
  if (auto it = query.find("limit"); it != query.end()) {
    const std::string& v = it->second;
    bool digits = !v.empty() && v.size() <= 6 &&
                  std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoi(v) < 1) {
      throw ApiError(400, "request.field.invalid", "limit must be a whole number from 1", "limit");
    }
    out.limit = std::min(std::stoi(v), kUpstreamMaxCalls);
    query.erase(it);
  }
  query.erase("format");  // the route chose the shape already
  // Upstream: a lone date_from or date_to is a one-sided window; no date at all → 30 days.
  if (!query.count("date") && !query.count("date_from") && !query.count("date_to")) {
    std::tm tm{};
    if (std::sscanf(today.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      tm.tm_mday -= 30;
      tm.tm_hour = 12;
      tm.tm_isdst = -1;
      std::time_t t = std::mktime(&tm);
      out.q = parse_call_log_query(query, scope);
      out.q.cdr.date_from = local_day(static_cast<int64_t>(t) * 1000);
      out.q.cdr.date_to = today;
      out.q.cdr.limit = std::min(out.limit, store::kCdrMaxLimit);
      return out;
    }
  }
  out.q = parse_call_log_query(query, scope);
  out.q.cdr.limit = std::min(out.limit, store::kCdrMaxLimit);
  return out;
}

json upstream_call_record(const store::CallGroup& call, const store::CdrQuery& q,
                          const CallLogContext& ctx) {
  if (call.legs.empty()) return nullptr;
  const auto& a = call.legs.front();
  const auto& last = call.legs.back();
  auto dir = store::classify_direction(a, q.known_extensions, q.known_queues);
  auto outcome = store::classify_outcome(call.legs);
  int64_t start = INT64_MAX, end = 0, talk = 0;
  std::string ext, first_dst_ext, recording, qos, app = "direct";
  bool answered = false;
  for (const auto& l : call.legs) {
    int64_t t = local_to_ms(l.calldate);
    start = std::min(start, t);
    end = std::max(end, t + l.duration * 1000);
    if (l.disposition == "ANSWERED" && !(l.lastapp == "Queue" && l.dstchannel.empty())) {
      answered = true;
      talk += l.billsec;
      if (ext.empty() && !l.dstchannel.empty()) ext = cdr_channel_extension(l.dstchannel);
    }
    if (first_dst_ext.empty() && !l.dstchannel.empty()) first_dst_ext = cdr_channel_extension(l.dstchannel);
    if (recording.empty()) recording = l.recordingfile;
    if (qos.empty() && l.userfield.rfind("QoS:", 0) == 0) qos = l.userfield;
    std::string ctxt = lower(l.dcontext);
    if (l.lastapp == "Queue" || ctxt.find("queue") != std::string::npos) app = "queue";
    else if (app == "direct" && ctxt.find("ivr") != std::string::npos) app = "ivr";
  }
  // The panel user's extension: the caller for an outbound call (its dstchannel is the trunk).
  if (dir == store::CdrDirection::kOutbound) ext = cdr_channel_extension(a.channel);
  if (ext.empty()) ext = !first_dst_ext.empty() ? first_dst_ext : cdr_channel_extension(a.channel);
  std::string phone = dir == store::CdrDirection::kInbound ? a.src : a.dst;
  std::string name = cdr_clid_name(a.clid);
  if (name == a.src) name.clear();
  if (name.empty() && ctx.directory && !phone.empty()) name = ctx.directory->name_of(phone);
  std::string file = recording.substr(recording.find_last_of('/') == std::string::npos ? 0 : recording.find_last_of('/') + 1);
  json sup = supervision_of(call);
  return {{"calldate", a.calldate},
          {"src", a.src},
          {"dst", a.dst},
          {"phone_number", phone},
          {"customer_name", name},
          {"duration", std::max<int64_t>(0, (end - start) / 1000)},
          {"talk", talk},
          {"disposition", answered ? std::string("ANSWERED") : last.disposition},
          {"status", canonical_outcome(outcome)},
          {"QoS", qos},
          {"extension", ext},
          {"call_type", call_type(dir)},
          {"recording_path", recording},
          {"recording_file", file},
          {"app", app},
          {"call_journey_count", call.legs.size()},
          {"linkedid", call.linkedid},
          {"uniqueid", a.uniqueid},
          {"is_supervision", !sup.is_null()},
          {"supervision", sup}};
}

json upstream_journey(const store::CallGroup& call, const store::CdrQuery& q) {
  struct Ev {
    int64_t at;
    json j;
  };
  std::vector<Ev> evs;
  if (call.legs.empty()) return {{"journey", json::array()}};
  const auto& a = call.legs.front();
  auto dir = store::classify_direction(a, q.known_extensions, q.known_queues);
  int64_t first = local_to_ms(a.calldate), end = first;
  evs.push_back({first, {{"event", dir == store::CdrDirection::kInbound ? "INBOUND" : "OUTBOUND"},
                         {"from_number", a.src}, {"to_number", a.dst}}});
  bool queued = false;
  std::string prev_agent;
  for (const auto& l : call.legs) {
    int64_t t = local_to_ms(l.calldate);
    end = std::max(end, t + l.duration * 1000);
    std::string queue = queue_of(l);
    if (!queue.empty() && !queued) {
      queued = true;
      evs.push_back({t, {{"event", "QUEUE_ENTER"}, {"queue", queue}}});
    }
    if (l.dstchannel.empty()) continue;
    std::string agent = cdr_channel_extension(l.dstchannel);
    if (!prev_agent.empty() && agent != prev_agent && l.disposition == "ANSWERED" && l.lastapp != "Queue") {
      evs.push_back({t, {{"event", "TRANSFER"}, {"from_number", prev_agent}, {"to_number", agent}}});
    }
    json ring = {{"event", "RING"}, {"agent", agent}};
    if (!queue.empty()) ring["queue"] = queue;
    evs.push_back({t, ring});
    if (l.disposition == "ANSWERED") {
      json ans = {{"event", "ANSWER"}, {"agent", agent}};
      if (!queue.empty()) ans["queue"] = queue;
      evs.push_back({t + (l.duration - l.billsec) * 1000, ans});
      prev_agent = agent;
    } else {
      json na = {{"event", "NO_ANSWER"}, {"agent", agent}, {"reason", l.disposition}};
      if (!queue.empty()) na["queue"] = queue;
      evs.push_back({t + l.duration * 1000, na});
    }
  }
  evs.push_back({end, {{"event", "HANGUP"}}});
  std::stable_sort(evs.begin(), evs.end(), [](const Ev& x, const Ev& y) { return x.at < y.at; });
  json out = json::array();
  for (size_t i = 0; i < evs.size(); ++i) {
    json j = evs[i].j;
    j["time"] = hms(evs[i].at);
    if (i + 1 < evs.size()) j["duration"] = (evs[i + 1].at - evs[i].at) / 1000;
    out.push_back(std::move(j));
  }
  return {{"journey", out}};
}

}  // namespace opdesk::api
