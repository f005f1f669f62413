// Helpers for the trace replay tests: replay a trace of OPDESK_TRACE_DIR with its recorded
// pacing up to a moment, then ask questions of the engine's state in panel terms.
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>

#include "pbx/engine.hpp"
#include "pbx/replay.hpp"

namespace opdesk::testing {

constexpr int64_t kBase = 1795501970000;  // replay time 0

inline std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Replayed {
  pbx::Engine engine;
  pbx::ReplayResult result;
  const pbx::State& st() const { return engine.state(); }
};

inline std::unique_ptr<Replayed> replay_trace(const std::string& name, double at = -1,
                                              const pbx::BatchSink& sink = {}) {
  const std::filesystem::path dir(OPDESK_TRACE_DIR);
  auto r = std::make_unique<Replayed>();
  std::string bytes = read_all(dir / (name + ".ami"));
  std::string err;
  auto timing = pbx::parse_timing(read_all(dir / "meta" / (name + ".timing")), err);
  if (!timing || bytes.empty()) throw std::runtime_error("cannot load trace " + name + ": " + err);
  pbx::ReplayOptions opt;
  if (at >= 0) opt.at = at;
  r->result = pbx::replay(bytes, *timing, r->engine, opt, sink);
  return r;
}

inline bool has_party(const pbx::Call& c, const std::string& ext) {
  for (const auto& p : c.parties) {
    if (p.extension == ext) return true;
  }
  return false;
}

// Visible calls whose parties include every extension named.
inline std::vector<const pbx::Call*> calls_with(const Replayed& r, std::initializer_list<std::string> exts) {
  std::vector<const pbx::Call*> out;
  for (const auto& [id, c] : r.st().calls) {
    if (!r.engine.call_visible(c)) continue;
    bool all = true;
    for (const auto& e : exts) all = all && has_party(c, e);
    if (all) out.push_back(&c);
  }
  return out;
}

inline size_t visible_calls(const Replayed& r) {
  size_t n = 0;
  for (const auto& [id, c] : r.st().calls) n += r.engine.call_visible(c);
  return n;
}

inline std::string state_of(const Replayed& r, const std::string& ext) {
  const pbx::Extension* x = r.engine.find_extension(ext);
  return x == nullptr ? "missing" : std::string(pbx::to_string(r.engine.extension_state(*x)));
}

inline bool registered(const Replayed& r, const std::string& ext) {
  const pbx::Extension* x = r.engine.find_extension(ext);
  return x != nullptr && x->registered();
}

inline const pbx::QueueMember* member(const Replayed& r, const std::string& q, const std::string& ext) {
  auto it = r.st().queues.find(q);
  if (it == r.st().queues.end()) return nullptr;
  for (const auto& [iface, m] : it->second.members) {
    if (m.extension == ext) return &m;
  }
  return nullptr;
}

inline const pbx::Queue& queue(const Replayed& r, const std::string& q) {
  static const pbx::Queue kNone;
  auto it = r.st().queues.find(q);
  return it == r.st().queues.end() ? kNone : it->second;
}

inline bool journey_has(const pbx::Call& c, const std::string& event, const std::string& detail_part = "") {
  for (const auto& j : c.journey) {
    if (j.event == event && j.detail.find(detail_part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace opdesk::testing
