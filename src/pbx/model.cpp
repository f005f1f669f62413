// Small derived views of the engine's plain data (model.hpp): hint codes to panel states,
// registration, the extensions and queues a call touches (used by the API's scope filter).
#include "pbx/model.hpp"

#include <algorithm>

namespace opdesk::pbx {

std::string_view to_string(ExtState s) noexcept {
  switch (s) {
    case ExtState::kIdle: return "idle";
    case ExtState::kRinging: return "ringing";
    case ExtState::kInCall: return "in_call";
    case ExtState::kOnHold: return "on_hold";
    case ExtState::kBusy: return "busy";
    case ExtState::kUnavailable: return "unavailable";
  }
  return "unavailable";
}

// Asterisk ast_extension_states bits: 1 InUse, 2 Busy, 4 Unavailable, 8 Ringing, 16 OnHold;
// -1 hint removed, -2 extension removed.
ExtState ext_state_from_hint(int code) noexcept {
  if (code < 0) return ExtState::kUnavailable;
  if (code & 8) return ExtState::kRinging;
  if (code & 16) return ExtState::kOnHold;
  if (code & 2) return ExtState::kBusy;
  if (code & 1) return ExtState::kInCall;
  if (code & 4) return ExtState::kUnavailable;
  return ExtState::kIdle;
}

std::string_view hint_text(int code) noexcept {
  switch (code) {
    case 0: return "Idle";
    case 1: return "InUse";
    case 2: return "Busy";
    case 4: return "Unavailable";
    case 8: return "Ringing";
    case 9: return "InUse&Ringing";
    case 16: return "Hold";
    case 17: return "InUse&Hold";
    case -1: return "Removed";
    case -2: return "Deleted";
    default: return code == -100 ? "Unknown" : "Other";
  }
}

bool Extension::registered() const {
  if (contacts.empty()) return peer_reachable;
  return std::any_of(contacts.begin(), contacts.end(), [](const auto& kv) {
    const auto& s = kv.second.status;
    return s != "Unreachable" && s != "Removed";
  });
}

std::vector<std::string> Call::extensions() const {
  std::vector<std::string> out;
  auto add = [&out](const std::string& e) {
    if (!e.empty() && std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  };
  for (const auto& p : parties) add(p.extension);
  for (const auto& s : spied_by) add(s.extension);
  return out;
}

std::vector<std::string> Call::queues() const {
  if (queue.empty()) return {};
  return {queue};
}

}  // namespace opdesk::pbx
