// CallRecord: what the CRM push needs to know about one call, independent of engine internals.
//
// The lead fills it from the engine's ended call (and the CDR rows when they exist); the CRM
// component only reads it. Times are Unix milliseconds (0 = did not happen).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace opdesk::crm {

// Canonical outcomes (upstream §6.5), sent upper-case unless CRM_SYNC_STATUS_MAP remaps them.
enum class Outcome { kAnswered, kNoAnswer, kBusy, kFailure, kAbandoned, kCanceled, kDropped, kOutOfReach };
std::string_view to_string(Outcome o);
std::optional<Outcome> parse_outcome(std::string_view s);

enum class Direction { kInbound, kOutbound, kInternal };
std::string_view to_string(Direction d);

// The push events, in the order they are delivered for one call.
enum class CallEvent { kRinging = 0, kAnswered = 1, kEnded = 2 };
std::string_view to_string(CallEvent e);

struct QosSummary {
  double mos = 0;
  double jitter_ms = 0;
  double loss_pct = 0;
  double rtt_ms = 0;
};

struct CallRecord {
  std::string linkedid;  // the call id; required
  std::string uniqueid;
  Direction direction = Direction::kInbound;
  std::string caller_number, caller_name;
  std::string callee_number, callee_name;
  std::string extension;   // the panel extension/agent on the call
  std::string agent_name;
  std::string queue;
  int64_t start_ms = 0, answer_ms = 0, end_ms = 0;
  Outcome outcome = Outcome::kNoAnswer;
  std::string hangup_cause;
  std::string recording_file;  // relative recording path; signed into a URL at send time
  std::optional<QosSummary> qos;
};

}  // namespace opdesk::crm
