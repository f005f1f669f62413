// The simulator's own PBX model (it deliberately shares nothing with src/pbx): endpoints,
// queues, channels, bridges and calls, and the AMI events Asterisk 22 emits when they change.
//
// Every change goes through one of the emit helpers, which build frames with the field names
// and order of the real traces (tests/traces). Calls are small state machines driven by
// Scheduler timers; a timer callback looks its call up by id, so a call that ended (hangup from
// AMI, transfer) silently ignores stale timers. All methods run on the simulator's executor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "options.hpp"
#include "scheduler.hpp"

namespace opdesk::sim {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Channel {
  std::string name, endpoint, uniqueid, linkedid;
  int state = 0;
  std::string cid_num, cid_name, conn_num = "<unknown>", conn_name = "<unknown>";
  std::string context = "from-internal", exten = "s";
  int priority = 1;
  std::string app, appdata;
  std::string bridge;
  double created = 0, answered = -1;
  bool moh = false;
  uint64_t call = 0;
  uint64_t rtcp_timer = 0;
  uint32_t ssrc = 0;
  uint64_t packets = 0;
  Impairment impairment;        // decided at the first RTCP report (media.cpp)
  bool impairment_set = false;
  int64_t lost_rx = 0, lost_tx = 0;  // cumulative lost packets reported per direction
  std::string rec_path;
};

struct Endpoint {
  std::string ext, name;
  bool webrtc = false;
  bool registered = true;
  int contact_gen = 0;  // bumps on every new registration (new contact URI)
  std::string last_device;  // last DeviceStateChange sent
  int last_hint = -1;
};

struct Member {
  std::string iface, name, state_iface;
  bool dynamic = false;
  int penalty = 0, calls = 0;
  long last_call = 0, last_pause = 0, login = 0;
  bool paused = false;
  std::string reason;
  int last_status = -1;
};

struct Queue {
  std::string name, number, strategy;
  std::vector<Member> members;
  int completed = 0, abandoned = 0;
  long holdtime = 0, talktime = 0;
  std::vector<std::string> callers;  // uniqueids, in position order
  size_t rr_next = 0;
};

// A scripted call (tests, the office model). Times are simulated seconds.
struct CallPlan {
  enum class Outcome { kAnswer, kNoAnswer, kBusy, kCancel };
  struct Hold {
    double at = 3;        // after answer
    bool by_caller = true;
    double length = 5;
  };
  std::string from, to;          // from: extension or external number (trunk); to: ext/queue/app/number
  std::string from_name;         // caller name for external callers
  Outcome outcome = Outcome::kAnswer;
  double ring = 4;               // callee reacts (or caller cancels / abandons) after this
  double talk = 8;
  bool callee_hangs_up = false;
  std::vector<Hold> holds;
  std::string blind_transfer_to;  // the callee blind-transfers the caller here
  std::string attended_transfer_to;  // the callee consults this extension, then transfers
  double transfer_at = 3;
  double transfer_ring = 3, transfer_talk = 4;
  std::string answering_member;   // queue calls: interface ext that answers ("" = first rung)
  std::string park_by_callee;     // non-empty: callee parks the caller at transfer_at
  double park_for = 10;           // then this extension picks it up (park_by_callee)
};

struct Cdr {
  std::string src, dst, dcontext = "from-internal", clid, channel, dstchannel, lastapp, lastdata;
  double start = 0, answer = -1, end = 0;
  std::string disposition, uniqueid;
};

struct Call {
  enum class Kind { kDial, kQueue, kApp, kSpy, kConf, kParked };
  uint64_t id = 0;
  Kind kind = Kind::kDial;
  CallPlan plan;
  bool scripted = false;
  std::string caller;                // uniqueid of the channel running the dialplan
  std::vector<std::string> ringing;  // dialled legs still ringing
  std::string peer;                  // answered leg
  std::string bridge;
  std::string target, queue, dial_data;
  double ring_start = 0, queue_join = 0, bridged_at = 0;
  std::string spyee;                 // kSpy: spied channel
  std::string spy_opts;
  std::string rec_name;              // recording file name (basename)
  std::vector<Cdr> cdrs;
  size_t cdr_insert = 0;             // where the current segment's ANSWERED row goes
  std::vector<uint64_t> timers;
  std::function<void(bool answered, int reason)> on_originate;  // originate result
  std::string origin_action_id;
};

class Pbx {
 public:
  // frame fields; privilege class (first word of Privilege, "" for list/response frames)
  using Sink = std::function<void(const Fields&)>;
  Pbx(Scheduler& sched, const SimOptions& opt, Sink sink);

  // --- scripted flows ---------------------------------------------------------------
  uint64_t place_call(const CallPlan& plan);
  void hold(std::string uid, bool on);
  // How a phone reacts when it rings in calls that are not scripted (AMI originate, transfers).
  void set_reaction(const std::string& ext, const CallPlan& plan) { reactions_[ext] = plan; }
  CallPlan reaction_for(const std::string& ext);
  void unregister(const std::string& ext, bool unreachable);
  void register_endpoint(const std::string& ext);

  // --- AMI effects (called by actions.cpp) ---------------------------------------------
  Channel* find_channel(const std::string& name_or_uid);
  bool hangup_channel(std::string uid, int cause);
  bool redirect(std::string uid, const std::string& context, const std::string& exten);
  bool blind_transfer(std::string transferer_uid, const std::string& exten);
  bool park(std::string uid, std::string parker_uid, std::string& space);
  // Attended transfer as Asterisk's DTMF atxfer does it (quirk 8): *2 + digits, a Local
  // channel pair dialling the target, Local optimization, AttendedTransfer + BridgeMerge when
  // the transferer hangs up (after `consult` simulated seconds of talking to the target).
  bool atxfer(std::string transferer_uid, const std::string& exten, const std::string& context, double consult);
  struct OriginateReq {
    std::string ext, context, exten, app, data, cid_num, cid_name, channel_id, action_id;
    double timeout = 30;
  };
  // Rings ext; done(answered, reason, channel name, uniqueid) once the phone answers or not.
  bool originate(const OriginateReq& req,
                 std::function<void(bool, int, const std::string&, const std::string&)> done);
  bool start_mixmonitor(std::string uid, const std::string& file);
  bool stop_mixmonitor(std::string uid);
  bool play_dtmf(std::string uid, const std::string& digit);

  // --- data for list actions -------------------------------------------------------------
  std::map<std::string, Endpoint>& endpoints() { return endpoints_; }
  std::vector<Queue>& queues() { return queues_; }
  const std::map<std::string, Channel>& channels() const { return channels_; }
  const std::map<std::string, std::string>& parked() const { return parked_; }  // space → uid
  std::map<std::string, std::string>& db() { return db_; }
  Queue* queue_by_name(const std::string& name);
  std::string device_state(const Endpoint& ep) const;
  int hint_state(const Endpoint& ep) const;
  int member_status(const Member& m) const;
  void member_event(const char* event, const Queue& q, const Member& m);
  void put_channel(Fields& f, const Channel& c, const std::string& prefix = "") const;
  std::string contact_uri(const Endpoint& ep) const;
  double now() const { return sched_.now(); }
  double epoch() const { return sched_.epoch(); }
  long login_time() const { return static_cast<long>(boot_epoch_); }
  double boot_epoch() const { return boot_epoch_; }
  std::mt19937_64& rng() { return rng_; }
  size_t active_calls() const { return calls_.size(); }
  uint64_t calls_started() const { return calls_started_; }
  uint64_t calls_completed() const { return calls_completed_; }
  const SimOptions& options() const { return opt_; }
  std::set<std::string> conference() const { return conf_; }
  double conf_start() const { return conf_start_; }

 private:
  // helpers (model.cpp)
  Fields event(const char* name, const char* priv) const;
  void emit(const Fields& f) { sink_(f); }
  Channel& new_channel(const std::string& tech_name, const std::string& cid_num, const std::string& cid_name,
                       int state, const std::string& exten, const std::string& linkedid,
                       const std::string& fixed_uid = "", const std::string& ctx = "from-internal");
  void chan_event(const char* name, const Channel& c, const Fields& extra = {});
  void newexten(Channel& c, const std::string& ctx, const std::string& ext, int prio,
                const std::string& app, const std::string& data);
  void varset(const Channel& c, const std::string& var, const std::string& val);
  void set_state(Channel& c, int state);
  void connected(Channel& c, const std::string& num, const std::string& name);
  void dial_event(const char* name, const Channel* caller, const Channel& dest, const Fields& extra);
  void hangup_event(Channel& c, int cause, bool request, bool soft);
  void destroy_channel(std::string uid, int cause);
  std::string bridge_create();
  void bridge_enter(const std::string& bridge, Channel& c);
  void bridge_leave(Channel& c);
  void bridge_destroy(const std::string& bridge);
  void device_update(const std::string& ext);
  void start_rtcp(Channel& c);
  void emit_rtcp(const std::string& uid);
  void emit_cdr(const Cdr& r);
  void write_recording(const std::string& path, double seconds);
  std::string endpoint_of(const std::string& tech) const;
  std::string ext_name(const std::string& ext) const;
  Call& new_call(Call::Kind kind);
  Call* call_of(uint64_t id);
  void at(Call& call, double secs, std::function<void(Call&)> fn);
  void end_call(uint64_t id);
  std::string rec_path(const std::string& name) const;
  std::string rec_name(const std::string& kind, const std::string& to, const std::string& from,
                       const std::string& uid) const;

  // flows (flows.cpp / queue_flow.cpp / features.cpp)
  void route(Call& call, Channel& caller, const std::string& to);
  void dial_ext(Call& call, Channel& caller, const std::string& to, bool via_sub);
    void leg_answer(Call& call, std::string leg_uid);
  void leg_busy(Call& call, std::string leg_uid);
  void dial_timeout(Call& call);
  void caller_cancel(Call& call, int cause);
  void after_answer(Call& call);
  void bridge_hangup(Call& call, std::string hanger_uid, int cause);
  void queue_enter(Call& call, Channel& caller, Queue& q);
  void queue_ring(Call& call, Queue& q);
  void queue_answer(Call& call, std::string leg_uid);
  void queue_abandon(Call& call);
  void app_call(Call& call, Channel& caller, const std::string& to);
  void conf_join(Call& call, Channel& caller);
  void spy_start(Call& call, Channel& spyer, const std::string& target_prefix, const std::string& opts);
  void spy_stop_for(std::string spyee_uid);
  void pickup_parked(Call& call, Channel& caller, const std::string& space);
  std::string ext_to_endpoint(const std::string& to) const;
  void schedule_leg_reaction(Call& call, const std::string& leg_uid, const std::string& ext);

  Scheduler& sched_;
  SimOptions opt_;
  Sink sink_;
  std::mt19937_64 rng_;
  std::mt19937_64 qos_rng_;  // impairment draws only, so call traffic is the same as without
  std::map<uint64_t, Impairment> call_impairment_;  // by Call id; capped (media.cpp)
  const Impairment& impairment_for(Channel& c);
  double boot_epoch_;
  uint64_t chan_seq_ = 0, uid_seq_ = 0, call_seq_ = 0, bridge_seq_ = 0;
  uint64_t calls_started_ = 0, calls_completed_ = 0;
  std::map<std::string, Endpoint> endpoints_;
  std::vector<Queue> queues_;
  std::map<std::string, Channel> channels_;  // by uniqueid
  std::map<uint64_t, Call> calls_;
  std::map<std::string, std::string> parked_;  // space → uniqueid
  std::map<std::string, std::string> db_;
  std::set<std::string> conf_;  // uniqueids in room 800
  double conf_start_ = 0;
  std::string conf_bridge_;
  std::map<std::string, CallPlan> reactions_;
  struct Atxfer {
    uint64_t orig_call = 0;
    std::string transferer, transferee, local1, local2, orig_bridge, consult_bridge, target;
    double consult = 5;
    bool answered = false;
  };
  std::map<uint64_t, Atxfer> atxfers_;  // by the Local;2 dial call's id
  void atxfer_answered(Call& dial, const std::string& leg_uid);
  void atxfer_complete(uint64_t dial_id);
  void atxfer_revert(Atxfer x);
};

}  // namespace opdesk::sim
