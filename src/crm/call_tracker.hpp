// CallTracker: the engine's change batches → CallRecord events (ringing, answered, ended).
//
// The engine forgets a call the moment its last channel hangs up, and a call's parties shrink
// as legs hang up, so the tracker keeps, per live call, what it has learnt so far: the first
// caller, the callee that answered (else the first one rung), the queue, the recording, QoS,
// start/answer times and whether a callee rang or was busy. It emits `ringing` and `answered`
// once each, and `ended` when the call is removed (or only hidden Local/spy legs remain).
// A call removed because the engine merged it into another (attended transfer, Local
// optimisation) is not ended: what was learnt moves to the surviving call.
// Pure: no I/O, no clock (now_ms is passed in), single-threaded like the engine.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "crm/call_record.hpp"

namespace opdesk::pbx {
class Engine;
struct ChangeBatch;
struct Call;
}  // namespace opdesk::pbx

namespace opdesk::crm {

struct DialSeen {  // DialEnd statuses of callees that did not answer (from the call's journey)
  bool busy = false, no_answer = false, unavailable = false;
};

struct CallEmit {
  CallRecord record;
  CallEvent event;
};

class CallTracker {
 public:
  static constexpr size_t kMaxCalls = 20000;  // live calls tracked (a PBX has far fewer)

  std::vector<CallEmit> on_batch(const pbx::ChangeBatch& batch, const pbx::Engine& engine,
                                 int64_t now_ms);
  size_t tracked() const { return calls_.size(); }

 private:
  struct Tracked {
    CallRecord rec;
    std::set<std::string> channels;  // uniqueids seen in the call (to detect merges)
    bool ringing_sent = false, answered_sent = false, ended = false;
    bool direction_fixed = false, saw_ringing = false;
    DialSeen dial;
    bool callee_answered = false;
  };
  void learn(Tracked& t, const pbx::Call& call, const pbx::Engine& engine);
  void end(Tracked& t, int64_t now_ms, std::vector<CallEmit>& out);
  bool merged_away(const std::string& id, const Tracked& t, const pbx::Engine& engine);

  std::unordered_map<std::string, Tracked> calls_;
};

// Canonical outcome from what the tracker saw (see call_tracker.cpp for the precedence).
Outcome outcome_of(bool answered, bool queued, const DialSeen& dial, bool saw_ringing);

}  // namespace opdesk::crm
