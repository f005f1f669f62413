// Plain data the state engine keeps (see engine.hpp). No behaviour beyond small derived views;
// maps are keyed by the entity id the panel uses (extension number, Linkedid, queue name, ...).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace opdesk::pbx {

enum class ExtState { kIdle, kRinging, kInCall, kOnHold, kBusy, kUnavailable };
std::string_view to_string(ExtState s) noexcept;
// Device/hint state code (ExtensionStatus Status) to the panel state: combinations resolve to
// the most urgent part (InUse&Ringing -> ringing, InUse&Hold (17) -> on_hold).
ExtState ext_state_from_hint(int code) noexcept;
std::string_view hint_text(int code) noexcept;

struct Contact {
  std::string uri;
  std::string status;  // Reachable|NonQualified|Unreachable|Unknown|Created|Updated
  double rtt_ms = -1;  // < 0: unknown
  std::string user_agent;
  std::string address;  // ViaAddr:ViaPort when known
  int64_t expires = 0;  // Unix s (ExpirationTime), 0 unknown
  uint64_t touched = 0;  // engine frame counter of the last event naming it
};

struct Extension {
  std::string number;
  std::string name;
  std::string tech;     // PJSIP, SIP, IAX2, DAHDI
  std::string context;  // hint context (ext-local, ...)
  int hint_code = -100; // ExtensionStatus Status; -100 = never seen
  bool peer_reachable = false;  // PeerStatus / SIPpeers / EndpointList when no contacts known
  bool dnd = false;
  bool webrtc = false;
  std::string user_agent;
  std::map<std::string, Contact, std::less<>> contacts;  // by URI
  // Directory labels (PBX database, admin overrides), set by Engine::set_extension_directory.
  std::string group;
  int order = 0;
  bool hidden = false;  // admin hid it: kept in the model, never sent to clients
  bool registered() const;
};

struct Channel {
  std::string uniqueid;
  std::string name;
  std::string linkedid;
  std::string call_id;  // the call it belongs to (Linkedid, or the call it was merged into)
  std::string extension;  // known extension behind the channel name, "" otherwise
  std::string tech;
  std::string device;  // resource part of the name (PJSIP/<device>-seq), "" for Local
  int state = 0;  // ChannelState (0 down, 4 ring, 5 ringing, 6 up, ...)
  std::string caller_num, caller_name, connected_num, connected_name;
  std::string context, exten, application, app_data;
  std::string bridge;
  std::string dialed;  // DialString / DestCallerIDNum of a Dial this channel started
  bool local = false;  // Local/...;1 or ;2
  bool holding = false;  // sent Hold (it put the other side on hold)
  bool moh = false;      // hears music on hold
  bool spy = false;      // a ChanSpy leg (not a party of any call)
  std::string spy_mode;  // listen|whisper|barge when known
  int spy_mode_strength = 0;  // 3 app options, 2 caller id, 1 exten prefix
  int64_t created_at = 0;
  int64_t answered_at = 0;
  uint64_t touched = 0;  // engine frame counter of the last live event naming it
};

struct Party {
  std::string extension, number, name, channel, uniqueid, state, role;
  bool on_hold = false;
  bool holding = false;
};

struct SpyInfo {
  std::string extension, channel, uniqueid, mode;
  int64_t since = 0;
};

struct JourneyStep {
  int64_t at = 0;
  std::string event, detail;
};

// Live call quality (worst leg and direction). Filled by Engine::set_call_qos (the QoS tracker
// on its own AMI session) or, without one, from RTCP events on the state session.
struct Qos {
  bool present = false;
  double loss_pct = 0, jitter_ms = 0;
  double rtt_ms = -1;  // < 0: unknown
  double mes = -1;     // Asterisk Media Experience Score 0..100; < 0: unknown
  double mos = 0;      // E-model estimate 1..4.5; 0: unknown
  std::string grade;   // good|fair|poor, "" unknown
  std::string reason;  // "7.0 % loss" when fair/poor
  int64_t updated_at = 0;  // when the values were stored
  int64_t emitted_at = 0;  // when a call upsert last carried them (throttle)
  bool pending = false;    // stored but held back by the throttle
};

struct Call {
  std::string id;                     // Linkedid
  std::vector<std::string> channels;  // uniqueids, incl. Local and spy legs
  int64_t started_at = 0, answered_at = 0, ended_at = 0;
  int64_t hold_ms = 0, hold_since = 0;
  bool on_hold = false;
  std::string held_by;  // extension that pressed hold
  std::string queue;
  std::string destination;  // what the caller dialled (Exten of the first channel)
  std::string recording;       // file name of the MixMonitor recording
  std::string recording_path;  // full path as Asterisk wrote it
  bool recording_active = false;
  std::string parked_space;
  std::string conference;
  bool transferred = false;
  std::vector<SpyInfo> spied_by;
  std::vector<JourneyStep> journey;
  Qos qos;
  // Derived by the engine whenever the call changes:
  std::vector<Party> parties;
  std::string state = "dialing";
  std::string direction = "internal";

  std::vector<std::string> extensions() const;  // extensions of parties and spies
  std::vector<std::string> queues() const;      // the queue it came through, if any
};

struct QueueMember {
  std::string interface, name, state_interface, extension;
  int status = 0;
  bool paused = false;
  std::string reason;
  int penalty = 0;
  int calls_taken = 0;
  int64_t last_call = 0;  // Unix s
  bool in_call = false;
  bool dynamic = false;
  bool ringinuse = false;  // may be rung while already in a call
  uint64_t touched = 0;
};

struct QueueEntry {
  int position = 0;
  std::string caller, caller_name, channel, uniqueid, call_id;
  int64_t since = 0;
  std::vector<std::string> ringing;  // member interfaces being rung for this caller
  uint64_t touched = 0;
};

struct Queue {
  std::string name, strategy;
  int max = 0, holdtime = 0, talktime = 0, completed = 0, abandoned = 0;
  int service_level = 0;
  double service_level_perf = 0;
  std::map<std::string, QueueMember, std::less<>> members;  // by interface
  std::vector<QueueEntry> entries;             // by position
};

struct Parked {
  std::string space, lot, channel, uniqueid, extension, parked_by, call_id;
  int64_t since = 0, timeout_at = 0;
};

struct ConfMember {
  std::string channel, uniqueid, extension;
  bool muted = false, talking = false, admin = false;
  int64_t since = 0;
};

struct Conference {
  std::string room;
  std::map<std::string, ConfMember, std::less<>> members;  // by uniqueid
};

struct PbxStatus {
  bool connected = false;
  int64_t since = 0;
  std::string version, banner;
};

struct State {
  std::map<std::string, Extension, std::less<>> extensions;
  std::map<std::string, Channel, std::less<>> channels;  // by uniqueid
  std::map<std::string, Call, std::less<>> calls;        // by id
  std::map<std::string, Queue, std::less<>> queues;
  std::map<std::string, Parked, std::less<>> parked;     // by space (lot/space)
  std::map<std::string, Conference, std::less<>> conferences;
  PbxStatus pbx;
};

}  // namespace opdesk::pbx
