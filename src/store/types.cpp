// Text forms of the store's enums (the values written to the database and to JSON).
#include "store/types.hpp"

#include <chrono>

namespace opdesk::store {

std::string_view to_string(Role r) {
  switch (r) {
    case Role::Admin: return "admin";
    case Role::Supervisor: return "supervisor";
    case Role::Agent: return "agent";
  }
  return "agent";
}

std::string_view to_string(MonitorMode m) {
  switch (m) {
    case MonitorMode::Listen: return "listen";
    case MonitorMode::Whisper: return "whisper";
    case MonitorMode::Barge: return "barge";
  }
  return "listen";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "admin") return Role::Admin;
  if (s == "supervisor") return Role::Supervisor;
  if (s == "agent") return Role::Agent;
  return std::nullopt;
}

std::optional<MonitorMode> parse_monitor_mode(std::string_view s) {
  if (s == "listen") return MonitorMode::Listen;
  if (s == "whisper") return MonitorMode::Whisper;
  if (s == "barge") return MonitorMode::Barge;
  return std::nullopt;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace opdesk::store
