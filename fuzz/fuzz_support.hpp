// Shared by the fuzz targets (header only, no main): engines built by replaying real traces of
// tests/traces at moments with live calls, the principals the targets act as, and the
// placeholder substitution that lets a small hand-written seed name live entities.
//
// Placeholders in any JSON string value: "$CALL" (a live call id), "$CHAN" (one of its
// channels), "$EXT" (an extension in that call), "$OUT" / "$OUTCALL" / "$OUTCHAN" (an extension
// / call / channel outside the supervisor's scope, when the state has one).
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/principal.hpp"
#include "pbx/engine.hpp"
#include "pbx/replay.hpp"

namespace opdesk::fuzz {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One engine per trace, replayed up to the chunk time where the most calls are live.
inline const std::vector<std::unique_ptr<pbx::Engine>>& engines() {
  static const std::vector<std::unique_ptr<pbx::Engine>> all = [] {
    std::vector<std::unique_ptr<pbx::Engine>> out;
    const std::string dir = std::string(OPDESK_SOURCE_DIR) + "/tests/traces/";
    for (const char* name : {"03-internal-call-answer-hangup", "06-queue-call-answered-by-member",
                             "09-chanspy-listen", "12-hold-unhold", "13-blind-transfer",
                             "08-queue-member-pause-unpause-add-remove", "16-originate-click-to-call"}) {
      std::string bytes = slurp(dir + name + ".ami"), err;
      auto timing = pbx::parse_timing(slurp(dir + "meta/" + name + ".timing"), err);
      if (bytes.empty() || !timing || timing->empty()) continue;
      double end = timing->back().seconds, best_at = end;
      size_t best = 0;
      for (int k = 1; k <= 12; ++k) {
        pbx::Engine e;
        pbx::ReplayOptions o;
        o.at = end * k / 12;
        pbx::replay(bytes, *timing, e, o);
        if (e.state().calls.size() > best) best = e.state().calls.size(), best_at = *o.at;
      }
      auto e = std::make_unique<pbx::Engine>();
      pbx::ReplayOptions o;
      o.at = best_at;
      pbx::replay(bytes, *timing, *e, o);
      out.push_back(std::move(e));
    }
    if (out.empty()) out.push_back(std::make_unique<pbx::Engine>());
    return out;
  }();
  return all;
}

// admin, supervisor (first two extensions, first queue, own = third), agent (own = first),
// supervisor without an extension. Built from the engine's own names.
inline std::vector<api::Principal> principals(const pbx::Engine& e) {
  std::vector<std::string> exts;
  for (const auto& [n, x] : e.state().extensions) exts.push_back(n);
  while (exts.size() < 4) exts.push_back("10" + std::to_string(90 + exts.size()));
  std::string queue = e.state().queues.empty() ? "support" : e.state().queues.begin()->first;
  auto make = [](int64_t id, std::string role) {
    api::Principal p;
    p.user_id = id;
    p.username = "u" + std::to_string(id);
    p.role = std::move(role);
    p.all = p.role == "admin";
    p.me = {{"id", id}, {"role", p.role}};
    return p;
  };
  api::Principal admin = make(1, "admin"), sup = make(2, "supervisor"), agent = make(3, "agent"),
                 bare = make(4, "supervisor");
  admin.extension = exts[3];
  admin.monitor_modes = sup.monitor_modes = bare.monitor_modes = {"listen", "whisper", "barge"};
  sup.extensions = {exts[0], exts[1]};
  sup.queues = {queue};
  sup.extension = exts[2];
  agent.extension = exts[0];
  bare.extensions = {exts[1]};
  return {admin, sup, agent, bare};
}

// True when any party of the call that `channel` (a name) belongs to is visible to `who`.
inline bool channel_in_scope(const pbx::Engine& e, const api::Principal& who, const std::string& channel) {
  const pbx::Channel* ch = e.find_channel(channel);
  if (!ch) return true;  // not a live channel (an Originate's "PJSIP/1001"): judged elsewhere
  if (!ch->extension.empty() && who.sees_extension(ch->extension)) return true;
  const pbx::Call* call = e.find_call(ch->call_id);
  if (!call) return who.all;
  for (const auto& p : call->parties) {
    if (!p.extension.empty() && who.sees_extension(p.extension)) return true;
  }
  return who.all;
}

inline void substitute(nlohmann::json& j, const pbx::Engine& e, const api::Principal& sup) {
  if (j.is_object() || j.is_array()) {
    for (auto& v : j) substitute(v, e, sup);
    return;
  }
  if (!j.is_string() || j.get_ref<const std::string&>().rfind("$", 0) != 0) return;
  const std::string key = j.get<std::string>();
  for (const auto& [id, call] : e.state().calls) {
    bool out = true;
    for (const auto& p : call.parties) out = out && !sup.sees_extension(p.extension);
    bool want_out = key.rfind("$OUT", 0) == 0;
    if (want_out != out || call.parties.empty()) continue;
    const auto& party = call.parties.front();
    if (key == "$CALL" || key == "$OUTCALL") j = id;
    else if (key == "$CHAN" || key == "$OUTCHAN") j = party.channel;
    else if (key == "$EXT" || key == "$OUT") j = party.extension;
    return;
  }
}

}  // namespace opdesk::fuzz
