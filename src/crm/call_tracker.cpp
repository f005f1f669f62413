// CallTracker (see call_tracker.hpp).
//
// How it fits: wire_crm.cpp feeds every ChangeBatch (after the hub published it) and pushes
// the returned events into CrmService. Direction comes from the engine's derivation (parties
// that are known extensions vs external numbers), frozen once a second party appears, because
// it flips when legs hang up. Outcome precedence, after upstream §6.5 but without Q.850 causes
// (the engine does not keep them): answered → ANSWERED; came through a queue and nobody
// answered → ABANDONED; then the DialEnd statuses the engine wrote into the journey
// ("not_answered", "1006 (BUSY)"): BUSY → BUSY, NOANSWER → NO_ANSWER, CONGESTION/CHANUNAVAIL
// → FAILURE; a callee rang and no status was recorded (DialStatus CANCEL) → CANCELED; else
// FAILURE.
// Times: start/answer from the engine; end = the batch time of the removal.
#include "crm/call_tracker.hpp"

#include "pbx/engine.hpp"

namespace opdesk::crm {

Outcome outcome_of(bool answered, bool queued, const DialSeen& dial, bool saw_ringing) {
  if (answered) return Outcome::kAnswered;
  if (queued) return Outcome::kAbandoned;
  if (dial.busy) return Outcome::kBusy;
  if (dial.no_answer) return Outcome::kNoAnswer;
  if (dial.unavailable) return Outcome::kFailure;
  if (saw_ringing) return Outcome::kCanceled;
  return Outcome::kFailure;
}

namespace {

Direction direction_of(const std::string& d) {
  if (d == "inbound") return Direction::kInbound;
  if (d == "outbound") return Direction::kOutbound;
  return Direction::kInternal;
}

}  // namespace

void CallTracker::learn(Tracked& t, const pbx::Call& call, const pbx::Engine& engine) {
  CallRecord& r = t.rec;
  if (call.started_at && (!r.start_ms || call.started_at < r.start_ms)) r.start_ms = call.started_at;
  if (call.answered_at && !r.answer_ms) r.answer_ms = call.answered_at;
  if (!call.queue.empty()) r.queue = call.queue;
  if (!call.recording.empty()) r.recording_file = call.recording;
  if (call.qos.present) {
    r.qos = QosSummary{call.qos.mes, call.qos.jitter_ms, call.qos.loss_pct, call.qos.rtt_ms};
  }
  for (const auto& uid : call.channels) {
    if (t.channels.size() < 256) t.channels.insert(uid);  // bounded: a call has few legs
  }
  if (call.state == "ringing") t.saw_ringing = true;
  for (const auto& step : call.journey) {
    if (step.event != "not_answered") continue;
    if (step.detail.find("(BUSY)") != std::string::npos) t.dial.busy = true;
    if (step.detail.find("(NOANSWER)") != std::string::npos) t.dial.no_answer = true;
    if (step.detail.find("(CONGESTION)") != std::string::npos ||
        step.detail.find("(CHANUNAVAIL)") != std::string::npos) {
      t.dial.unavailable = true;
    }
  }
  const auto& parties = call.parties;
  if (!parties.empty() && parties[0].role == "caller" && r.caller_number.empty()) {
    r.caller_number = parties[0].number;
    r.uniqueid = parties[0].uniqueid;
  }
  if (!parties.empty() && parties[0].role == "caller" && r.caller_name.empty()) {
    r.caller_name = parties[0].name;
  }
  for (size_t i = 1; i < parties.size(); ++i) {
    const pbx::Party& p = parties[i];
    if (p.state == "busy") t.dial.busy = true;
    if (p.state == "ringing") t.saw_ringing = true;
    bool up = p.state == "up" || p.state == "held";
    // The callee that answered wins over one that only rang; the first answerer is kept.
    if (r.callee_number.empty() || (up && !t.callee_answered)) {
      r.callee_number = p.number;
      r.callee_name = p.name;
      t.callee_answered = up;
    }
  }
  if (!t.direction_fixed) {
    r.direction = direction_of(call.direction);
    t.direction_fixed = parties.size() >= 2;
  }
  // The panel extension/agent: the caller's extension when we call out, else the callee's.
  std::string ext;
  if (r.direction == Direction::kOutbound && !parties.empty()) {
    ext = parties[0].extension;
  } else {
    for (size_t i = 1; i < parties.size() && ext.empty(); ++i) {
      if (parties[i].state == "up" || parties[i].state == "held" || !t.callee_answered) ext = parties[i].extension;
    }
  }
  if (!ext.empty() && (r.extension.empty() || t.callee_answered)) {
    r.extension = ext;
    if (const auto* e = engine.find_extension(ext)) r.agent_name = e->name;
  }
}

void CallTracker::end(Tracked& t, int64_t now_ms, std::vector<CallEmit>& out) {
  if (t.ended) return;
  t.ended = true;
  t.rec.end_ms = now_ms;
  if (!t.rec.start_ms) t.rec.start_ms = now_ms;
  t.rec.outcome = outcome_of(t.rec.answer_ms != 0, !t.rec.queue.empty(), t.dial, t.saw_ringing);
  out.push_back({t.rec, CallEvent::kEnded});
}

bool CallTracker::merged_away(const std::string& id, const Tracked& t, const pbx::Engine& engine) {
  for (const auto& uid : t.channels) {
    const pbx::Channel* ch = engine.find_channel(uid);
    if (!ch || ch->call_id.empty() || ch->call_id == id) continue;
    if (engine.find_call(ch->call_id)) {
      auto into = calls_.find(ch->call_id);
      if (into != calls_.end()) {  // keep what the merged call knew (answer, queue, recording)
        CallRecord& dst = into->second.rec;
        if (!dst.answer_ms) dst.answer_ms = t.rec.answer_ms;
        if (dst.queue.empty()) dst.queue = t.rec.queue;
        if (dst.recording_file.empty()) dst.recording_file = t.rec.recording_file;
        if (t.rec.start_ms && (!dst.start_ms || t.rec.start_ms < dst.start_ms)) dst.start_ms = t.rec.start_ms;
        into->second.saw_ringing = into->second.saw_ringing || t.saw_ringing;
      }
      return true;
    }
  }
  return false;
}

std::vector<CallEmit> CallTracker::on_batch(const pbx::ChangeBatch& batch, const pbx::Engine& engine,
                                            int64_t now_ms) {
  std::vector<CallEmit> out;
  for (const auto& ch : batch.changes) {
    if (ch.kind != pbx::EntityKind::kCall) continue;
    const pbx::Call* call = ch.removed ? nullptr : engine.find_call(ch.id);
    auto it = calls_.find(ch.id);
    if (!call) {
      if (it == calls_.end()) continue;
      if (!merged_away(ch.id, it->second, engine)) end(it->second, now_ms, out);
      calls_.erase(it);
      continue;
    }
    if (it == calls_.end()) {
      if (calls_.size() >= kMaxCalls) continue;  // counted nowhere: a PBX never has this many
      it = calls_.emplace(ch.id, Tracked{}).first;
      it->second.rec.linkedid = ch.id;
    }
    Tracked& t = it->second;
    if (t.ended) continue;
    learn(t, *call, engine);
    if (call->ended_at > 0 && !engine.call_visible(*call)) {  // only hidden legs remain
      end(t, now_ms, out);
      continue;
    }
    if (!t.ringing_sent && t.saw_ringing && !t.rec.answer_ms) {
      t.ringing_sent = true;
      out.push_back({t.rec, CallEvent::kRinging});
    }
    if (!t.answered_sent && t.rec.answer_ms) {
      t.answered_sent = true;
      t.ringing_sent = true;  // an answered call never sends a late "ringing"
      out.push_back({t.rec, CallEvent::kAnswered});
    }
  }
  return out;
}

}  // namespace opdesk::crm
