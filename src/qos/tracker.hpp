// QosTracker: live call quality from AMI RTCP events, keyed by the events' own Uniqueid (leg)
// and Linkedid (call) — independent of the pbx engine, so it can sit on its own AMI session.
//
// Feed it every frame of the QoS AMI session with `apply(msg, now_ms)`: it consumes
// RTCPSent/RTCPReceived (live values), VarSet RTPAUDIOQOS* (end-of-call totals) and Hangup
// (closes the leg → a Summary in take_summaries()). Everything else is ignored cheaply.
// Outputs are pulled: take_updates(now) (throttled per call), take_alerts() (once per call per
// grade), take_summaries(). Time is always passed in; no clock reads, no I/O.
//
// Per leg (channel), seen from Asterisk: rx = phone → Asterisk (RTCPSent report blocks, what
// Asterisk measured), tx = Asterisk → phone (RTCPReceived report blocks, what the phone
// measured). RTT is per leg (RTCPReceived only). Live grades use the latest interval values;
// the grade uses loss, jitter, RTT and the E-model MOS (MES is shown, not graded: it is
// Asterisk's own blend of the same inputs).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ami/message.hpp"
#include "qos/metrics.hpp"
#include "qos/rtcp.hpp"
#include "qos/summary.hpp"

namespace opdesk::qos {

struct StreamQos {
  bool present = false;
  uint32_t source_ssrc = 0;
  double loss_pct = 0;             // last interval: FractionLost / 256
  double cumulative_loss_pct = 0;  // since the first report seen for this SSRC
  int64_t cumulative_lost = 0;     // as reported (signed)
  int64_t expected_packets = 0;    // extended highest seq delta since the first report seen
  double jitter_ms = 0;
  double r_factor = 0;
  double mos = 0;                  // E-model estimate
  std::optional<double> mes;       // Asterisk MES 0..100 when the event carried it
  std::optional<double> mos_from_mes;  // MES / 20
  int64_t reports = 0;
  int64_t updated_at = 0;
};

struct LegQos {
  std::string uniqueid, channel, linkedid, number, connected;
  std::string codec;  // hint from set_codec ("" = default)
  int clock_rate = kDefaultClockRate;
  std::optional<double> rtt_ms;
  StreamQos rx, tx;
  Grade grade = Grade::kUnknown;
};

struct CallQos {
  std::string linkedid;
  std::vector<std::string> parties;  // numbers, for display ("1006", "1007")
  std::vector<LegQos> legs;
  Grade grade = Grade::kUnknown;
  std::string reason;                // "7.0 % loss" when fair/poor
  // Worst values over legs and directions (loss/jitter/RTT: max; MOS/MES: min).
  double loss_pct = 0, cumulative_loss_pct = 0, jitter_ms = 0;
  std::optional<double> rtt_ms, mos, mes, mos_from_mes;
  int64_t updated_at = 0;
};

struct Update {
  std::string linkedid;
  CallQos qos;
};

struct Alert {
  std::string linkedid;
  Grade grade = Grade::kUnknown;
  std::string text;  // "call 1003↔1005 poor: 7.0 % loss"
  int64_t at_ms = 0;
};

enum class ApplyResult { kIgnored, kApplied, kRejected };

struct TrackerOptions {
  Thresholds thresholds;
  int64_t update_interval_ms = 5000;  // at most one update per call per window (grade changes excepted)
  Grade alert_from = Grade::kPoor;    // kFair: alert on fair too
  // Caps (oldest dropped): one entry per leg / call; pending outputs until taken.
  size_t max_channels = 4096;
  size_t max_calls = 2048;
  size_t max_pending = 1024;
};

class QosTracker {
 public:
  explicit QosTracker(TrackerOptions options = {});

  // kApplied: state changed; kIgnored: not a QoS frame; kRejected: malformed (see last_error()).
  ApplyResult apply(const ami::Message& event, int64_t now_ms);
  const std::string& last_error() const noexcept { return last_error_; }

  // Codec hint for a leg (Asterisk format name: "ulaw", "g722", "opus"...); default 8000 Hz.
  void set_codec(std::string_view uniqueid, std::string_view codec);
  // Display numbers for a call (else taken from the events' CallerIDNum/ConnectedLineNum).
  void set_parties(std::string_view linkedid, std::vector<std::string> numbers);

  std::optional<CallQos> call(std::string_view linkedid) const;
  std::optional<LegQos> leg(std::string_view uniqueid) const;

  std::vector<Update> take_updates(int64_t now_ms);
  std::vector<Alert> take_alerts();
  // Summaries of legs closed by a Hangup frame given to apply().
  std::vector<Summary> take_summaries();

  // Closes a leg now and returns its summary (nullopt if the leg is unknown).
  std::optional<Summary> end_channel(std::string_view uniqueid);
  // Drops a call / a leg without a summary.
  void forget_call(std::string_view linkedid);
  void forget_channel(std::string_view uniqueid);

  size_t channel_count() const noexcept { return legs_.size(); }
  size_t call_count() const noexcept { return calls_.size(); }
  uint64_t dropped() const noexcept { return dropped_; }  // entries/outputs lost to caps

 private:
  struct StreamState {
    StreamQos live;
    std::optional<int64_t> first_ext, last_ext;
    int64_t first_lost = 0;
  };
  struct LegState {
    LegQos live;
    StreamState rx, tx;
    Summary summary;
    uint64_t touched = 0;
  };
  struct CallState {
    std::vector<std::string> legs;
    std::vector<std::string> parties_hint;
    unsigned alerted = 0;  // bit per Grade
    std::optional<CallQos> last_emitted;
    int64_t last_emit_ms = 0;
    bool dirty = false;
    uint64_t touched = 0;
  };

  ApplyResult apply_rtcp(const ami::Message& event, int64_t now_ms);
  ApplyResult apply_varset(const ami::Message& event);
  ApplyResult apply_hangup(const ami::Message& event);
  LegState& leg_state(const std::string& uniqueid);
  CallState& call_state(const std::string& linkedid);
  void attach(LegState& leg, const std::string& linkedid);
  void update_stream(LegState& leg, StreamState& st, DirectionSummary& sum, const ReportBlock& b,
                     const std::optional<double>& mes, int64_t now_ms);
  CallQos build_call(const std::string& linkedid, const CallState& c) const;
  void after_change(const std::string& linkedid, int64_t now_ms);
  void erase_leg(std::string uniqueid);  // by value: callers pass map keys
  template <typename T>
  void push_capped(std::vector<T>& q, T&& item);

  TrackerOptions opt_;
  std::map<std::string, LegState, std::less<>> legs_;
  std::map<std::string, CallState, std::less<>> calls_;
  std::vector<Alert> alerts_;
  std::vector<Summary> summaries_;
  std::string last_error_;
  uint64_t tick_ = 0;
  uint64_t dropped_ = 0;
};

template <typename T>
void QosTracker::push_capped(std::vector<T>& q, T&& item) {
  if (q.size() >= opt_.max_pending) {
    q.erase(q.begin());  // oldest first; counted so the drop is visible
    ++dropped_;
  }
  q.push_back(std::move(item));
}

}  // namespace opdesk::qos
