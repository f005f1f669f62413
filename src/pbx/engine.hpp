// PBX state engine: parsed AMI frames in, a consistent model of the PBX out.
//
// Pure and single-threaded: no sockets, threads, clocks, JSON or logging. The caller feeds
// every frame it receives (events, responses, list events) with the current time `now_ms`
// (Unix ms, injected) and a new connection via on_connection_start(). The engine keeps
// extensions, channels (by Uniqueid), calls (by Linkedid, parties resolved through Local
// channels), queues, parked calls, conferences and the PBX status, and records which entities
// changed; take_changes() hands them out as one coalesced, numbered batch (seq grows by one
// per batch inside an epoch; each connection starts a new epoch at seq 0).
// Anomalies (unknown channel, malformed number, ...) are counted in Stats, never thrown.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ami/message.hpp"
#include "pbx/model.hpp"

namespace opdesk::pbx {

enum class EntityKind { kExtension, kCall, kQueue, kParked, kConference, kPbx };
std::string_view to_string(EntityKind kind) noexcept;

struct Change {
  EntityKind kind;
  std::string id;
  bool removed = false;
};

struct ChangeBatch {
  uint64_t epoch = 0;
  uint64_t seq = 0;
  std::vector<Change> changes;
};

// Counters of what the engine saw; anomalies are values, not log lines.
struct Stats {
  uint64_t frames = 0;
  uint64_t ignored = 0;          // events with no handler
  uint64_t unknown_channel = 0;  // an event named a channel we never saw
  uint64_t capped = 0;           // an item dropped because a map/list hit its cap
};

// How call quality reaches the model (see Engine::set_call_qos).
struct QosPolicy {
  // RTCP events on the state session update Call.qos directly (no QoS tracker wired). Off when
  // the QoS feature owns the values, or when QoS is disabled (then RTCP costs nothing).
  bool from_events = true;
  // At most one QoS-only call upsert per call per window (a grade change goes out at once).
  int64_t min_interval_ms = 5000;
};

enum class QosSetResult { kEmitted, kDeferred, kNoCall };

class Engine {
 public:
  Engine();

  void on_connection_start(int64_t now_ms, std::string_view banner);
  void on_connection_lost(int64_t now_ms);
  void apply(const ami::Message& msg, int64_t now_ms);

  std::optional<ChangeBatch> take_changes();
  uint64_t epoch() const noexcept { return epoch_; }
  uint64_t seq() const noexcept { return seq_; }
  const State& state() const noexcept { return state_; }
  const Stats& stats() const noexcept { return stats_; }

  const Extension* find_extension(std::string_view ext) const;
  const Call* find_call(std::string_view call_id) const;
  const Channel* find_channel(std::string_view name_or_uniqueid) const;
  std::vector<const Channel*> channels_of_extension(std::string_view ext) const;
  // Calls (ids) an extension has a live real channel in.
  std::vector<std::string> calls_of_extension(std::string_view ext) const;
  // A call is shown when it has at least one real (non-Local, non-spy) channel.
  bool call_visible(const Call& call) const;
  // Panel state of an extension: its hint when Asterisk reports one, else its channels.
  ExtState extension_state(const Extension& ext) const;

  void set_dnd(std::string_view ext, bool on, int64_t now_ms);
  void set_extension_name(std::string_view ext, std::string_view name);
  // Directory labels for a known extension (pbx/directory_labels.cpp): marks it changed when
  // any value differs; false when the engine does not know the number (yet).
  bool set_extension_directory(std::string_view ext, std::string_view name, std::string_view group,
                               int order, bool hidden);

  // Call quality (pbx/qos.cpp). set_call_qos stores `q` on the call and marks it changed unless
  // the throttle holds it back (then flush_qos emits it once the window passed); a grade
  // change also marks the call's extensions (their badge). Time is passed in.
  void set_qos_policy(const QosPolicy& policy) { qos_policy_ = policy; }
  const QosPolicy& qos_policy() const noexcept { return qos_policy_; }
  QosSetResult set_call_qos(std::string_view call_id, Qos q, int64_t now_ms);
  size_t flush_qos(int64_t now_ms);  // number of calls whose held-back QoS went out

  // Caps on maps fed from outside (a hostile or broken peer cannot grow them without bound).
  static constexpr size_t kMaxChannels = 50000;
  static constexpr size_t kMaxExtensions = 50000;
  static constexpr size_t kMaxQueues = 5000;
  static constexpr size_t kMaxJourney = 64;

 private:
  friend struct Handlers;
  // One list answer (CoreShowChannels, QueueStatus, ...) being received, by ActionID.
  struct ListRun {
    std::string family;
    uint64_t started_counter = 0;
    std::unordered_set<std::string> seen;
  };
  using Handler = void (*)(Engine&, const ami::Message&, int64_t);

  // engine.cpp: changes, time, dispatch
  void mark(EntityKind kind, std::string_view id);
  int64_t event_time(const ami::Message& msg, int64_t now_ms) const;

  // channels.cpp
  Channel* channel_by_uid(std::string_view uid);
  Channel* channel_by_name(std::string_view name);
  Channel* channel_from(const ami::Message& msg, std::string_view prefix = {});
  Channel* upsert_channel(const ami::Message& msg, std::string_view prefix, int64_t t);
  void update_channel_fields(Channel& ch, const ami::Message& msg, std::string_view prefix);
  Channel* create_channel(std::string_view uid, std::string_view name, std::string_view linkedid, int64_t t);
  void remove_channel(std::string_view uid, int64_t t, int cause, std::string_view cause_txt);
  void rename_channel(Channel& ch, std::string_view new_name);
  Call& call_for(const std::string& id, int64_t t);
  // Merges two calls into the older one; returns the surviving id.
  std::string merge_calls(const std::string& a, const std::string& b, int64_t t);
  void touch_call(std::string_view call_id);
  void touch_channel(const Channel& ch);
  void refresh_hold(Call& call, int64_t t);
  void journey(Call& call, int64_t at, std::string_view event, std::string_view detail);
  void end_call_if_done(const std::string& call_id, int64_t t);

  // extensions.cpp
  Extension& ext_upsert(std::string_view number);
  Extension* ext_find(std::string_view number);
  void touch_extension(std::string_view number);
  std::string extension_of_channel(std::string_view channel_name) const;

  // queues.cpp
  Queue& queue_upsert(std::string_view name);
  QueueMember& member_upsert(Queue& q, std::string_view interface);
  void member_fields(QueueMember& m, const ami::Message& msg);

  // resync.cpp
  // Records an item of a list answer (seen key) and returns its run (nullptr without ActionID).
  ListRun* list_item(const ami::Message& msg, std::string_view family, std::string key);

  State state_;
  Stats stats_;
  uint64_t epoch_ = 0;
  uint64_t seq_ = 0;
  uint64_t counter_ = 0;
  uint64_t connection_counter_ = 0;  // counter_ when the current connection began  // frames applied in this engine's lifetime (orders live vs list data)
  // Pending changes: a deque so the ids keep their address and the dedup set can hold views.
  struct KeyView {
    EntityKind kind;
    std::string_view id;
    bool operator==(const KeyView& o) const noexcept { return kind == o.kind && id == o.id; }
  };
  struct KeyHash {
    size_t operator()(const KeyView& k) const noexcept {
      return std::hash<std::string_view>{}(k.id) * 31 + static_cast<size_t>(k.kind);
    }
  };
  std::deque<Change> pending_;
  std::unordered_set<KeyView, KeyHash> pending_keys_;
  std::unordered_map<std::string, ListRun> lists_;  // by ActionID
  std::unordered_map<std::string, std::string> uid_by_name_;
  std::unordered_map<std::string, std::vector<std::string>> device_channels_;  // resource -> uids
  std::unordered_map<std::string, std::vector<std::string>> bridge_members_;  // bridge -> uids
  std::vector<std::string> dirty_calls_;  // derived fields to recompute after this frame (few)
  QosPolicy qos_policy_;
  std::vector<std::string> qos_pending_;  // calls with held-back QoS (bounded by the calls map)
  bool store_qos(Call& call, Qos q, int64_t now_ms);  // true when emitted now
  void flush_dirty();
};

}  // namespace opdesk::pbx
