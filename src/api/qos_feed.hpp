// QosFeed: the live side of call quality (issue #10) between the QoS tracker and the engine.
//
// Fed every frame of the QoS AMI session (RTCP) and of the state session (Hangup, VarSet
// RTPAUDIOQOS*), it keeps a QosTracker (src/qos), a per-call timeline for the chart, and on
// each tick(now) it: stores the tracker's throttled updates on the engine's calls
// (Engine::set_call_qos → call upserts in the change batches), releases held-back values
// (Engine::flush_qos), turns alerts into hub notices addressed to the call's extensions, and
// turns finished legs into store rows (summary + the call's timeline). No I/O and no clock:
// the caller (src/app/wire_qos.cpp) owns the timer, the hub and the store writes.
// Invariants: every map is capped (timelines by call count and points per call); a call's
// timeline holds at most one point per sample_ms.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "pbx/engine.hpp"
#include "qos/daily.hpp"
#include "qos/tracker.hpp"
#include "store/qos_store.hpp"

namespace opdesk::api {

struct QosFeedOptions {
  qos::TrackerOptions tracker;
  int64_t sample_ms = 5000;           // timeline resolution (Asterisk reports every ~5 s)
  size_t max_points = 720;            // per call: one hour at 5 s; older points are dropped
  size_t max_timelines = 2048;        // live calls with a timeline; least recently fed dropped
  int64_t keep_ended_ms = 120000;     // a finished call's timeline stays for late legs
  // Local day of a Unix ms time ("YYYY-MM-DD"); default: the server's time zone.
  std::string (*day_of)(int64_t ms) = nullptr;
};

struct QosNotice {
  nlohmann::json notice;                // {"type":"notice","level","code","message","call_id",...}
  std::vector<std::string> extensions;  // whose supervisors (and themselves) get it
};

struct QosTickResult {
  size_t updates = 0;  // values stored on engine calls
  std::vector<QosNotice> notices;
  std::vector<store::QosLegRow> legs;
  std::vector<store::QosTimelineRow> timelines;
  std::vector<std::pair<std::string, std::string>> cdr_qos;  // (uniqueid, summary JSON)
};

class QosFeed {
 public:
  QosFeed(pbx::Engine& engine, QosFeedOptions opt);

  void on_frame(const ami::Message& m, int64_t now_ms);
  QosTickResult tick(int64_t now_ms);

  // Points of a call still in memory (live or recently ended), oldest first; nullopt if none.
  std::optional<nlohmann::json> live_timeline(std::string_view linkedid) const;
  // The tracker's live view of a call (REST "live" part).
  std::optional<qos::CallQos> live_call(std::string_view linkedid) const { return tracker_.call(linkedid); }

  const qos::QosTracker& tracker() const { return tracker_; }
  uint64_t rejected() const noexcept { return rejected_; }
  uint64_t alerts() const noexcept { return alerts_; }
  uint64_t summaries() const noexcept { return summaries_; }

 private:
  struct Timeline {
    std::deque<nlohmann::json> points;
    int64_t last_sample = 0;
    int64_t ended_at = 0;
    uint64_t touched = 0;
    bool fresh = false;  // fed since the last sample
  };
  Timeline& timeline_for(const std::string& linkedid);
  void sample(int64_t now_ms);
  void restore_after_resync(int64_t now_ms);
  std::string engine_call_id(const qos::CallQos& q) const;
  std::vector<std::string> call_extensions(const std::string& call_id, const qos::CallQos* q) const;
  void finish_leg(qos::Summary&& s, int64_t now_ms, QosTickResult& out);

  pbx::Engine& engine_;
  QosFeedOptions opt_;
  qos::QosTracker tracker_;
  std::map<std::string, Timeline, std::less<>> timelines_;
  uint64_t tick_ = 0;
  uint64_t rejected_ = 0, alerts_ = 0, summaries_ = 0;
};

class Hub;
// Sends each notice once per extension of its call: the hub delivers it to every client that
// sees that extension (supervisors in scope, admins, the parties themselves); a client that
// sees several of the call's extensions gets it once per extension and the web client shows
// one toast per (call_id, code). Notices without extensions are not sent (nobody in scope).
size_t send_notices(Hub& hub, const std::vector<QosNotice>& notices);

// ---- JSON forms shared by the feed, the routes and the tests ----
pbx::Qos to_model(const qos::CallQos& q);
nlohmann::json summary_json(const qos::Summary& s);
qos::Summary summary_from_json(const nlohmann::json& j);
nlohmann::json daily_row_json(const qos::DailyRow& r);
// Extension behind a channel name: "PJSIP/1006-00000022" → "1006"; "" for Local/... channels.
std::string extension_of_channel_name(std::string_view channel);
std::string local_day(int64_t ms);

}  // namespace opdesk::api
