// Call quality in the engine's model: Engine::set_call_qos / flush_qos and the throttle.
//
// The QoS tracker (src/qos, fed by the app from its own AMI session) computes the values; the
// engine only stores them on the call and decides when a call upsert carries them, so the
// WebSocket stream gets at most one QoS-only delta per call per QosPolicy::min_interval_ms.
// Rules: the first value and any grade change go out at once (a grade change also marks the
// call's extensions, whose badge derives from their calls); a value inside the window is
// stored (snapshots show it) and marked pending; flush_qos(now) emits pending values whose
// window passed. qos_pending_ holds only ids of live calls with pending values, so it is
// bounded by the calls map. Time is passed in; no clock, no I/O.
#include <algorithm>

#include "pbx/engine.hpp"

namespace opdesk::pbx {

bool Engine::store_qos(Call& call, Qos q, int64_t now_ms) {
  const bool grade_changed = q.grade != call.qos.grade;
  const int64_t last = call.qos.emitted_at;
  const bool due = grade_changed || last == 0 || now_ms - last >= qos_policy_.min_interval_ms;
  q.present = true;
  q.updated_at = now_ms;
  q.emitted_at = due ? now_ms : last;
  q.pending = !due;
  call.qos = std::move(q);
  if (!due) {
    if (std::find(qos_pending_.begin(), qos_pending_.end(), call.id) == qos_pending_.end()) {
      qos_pending_.push_back(call.id);
    }
    return false;
  }
  mark(EntityKind::kCall, call.id);
  if (grade_changed) {
    for (const auto& ext : call.extensions()) touch_extension(ext);
  }
  return true;
}

QosSetResult Engine::set_call_qos(std::string_view call_id, Qos q, int64_t now_ms) {
  auto it = state_.calls.find(call_id);
  if (it == state_.calls.end() || it->second.ended_at > 0) return QosSetResult::kNoCall;
  return store_qos(it->second, std::move(q), now_ms) ? QosSetResult::kEmitted : QosSetResult::kDeferred;
}

size_t Engine::flush_qos(int64_t now_ms) {
  size_t emitted = 0;
  auto keep = std::remove_if(qos_pending_.begin(), qos_pending_.end(), [&](const std::string& id) {
    auto it = state_.calls.find(id);
    if (it == state_.calls.end() || !it->second.qos.pending) return true;  // gone or already sent
    Qos& q = it->second.qos;
    if (now_ms - q.emitted_at < qos_policy_.min_interval_ms) return false;
    q.pending = false;
    q.emitted_at = now_ms;
    mark(EntityKind::kCall, id);
    ++emitted;
    return true;
  });
  qos_pending_.erase(keep, qos_pending_.end());
  return emitted;
}

}  // namespace opdesk::pbx
