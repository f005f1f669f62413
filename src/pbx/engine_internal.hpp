// Internal to src/pbx: the event handlers (one static function per AMI event, named
// on_<event>) and small field helpers shared by the engine's .cpp files. Not a public API.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "pbx/engine.hpp"

namespace opdesk::pbx {

// Value of prefix+key (e.g. "Dest"+"Uniqueid") without allocating.
inline std::string_view field(const ami::Message& m, std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return m.get(key);
  char buf[96];
  if (prefix.size() + key.size() > sizeof(buf)) return {};
  std::memcpy(buf, prefix.data(), prefix.size());
  std::memcpy(buf + prefix.size(), key.data(), key.size());
  return m.get(std::string_view(buf, prefix.size() + key.size()));
}

inline void erase_value(std::vector<std::string>& v, std::string_view x) {
  v.erase(std::remove(v.begin(), v.end(), x), v.end());
}

// Decimal integer or fallback (no exceptions, no allocation).
int to_int(std::string_view s, int fallback = 0) noexcept;
// "Yes"/"true"/"1"/"on" → true.
bool truthy(std::string_view s) noexcept;
// "HH:MM:SS" or plain seconds → seconds; -1 when malformed.
long long hms_seconds(std::string_view s) noexcept;
// Resource behind a channel or interface name: "PJSIP/1001-0000000a" → "1001",
// "Local/1001@from-queue-0001;1" → "1001", "SIP/1001" → "1001", "DAHDI/1-1" → "1".
std::string_view channel_resource(std::string_view name) noexcept;
std::string_view channel_tech(std::string_view name) noexcept;
bool is_local_channel(std::string_view name) noexcept;
// A CallerID value that carries a number ("<unknown>" and empty do not).
bool has_number(std::string_view v) noexcept;
std::string_view basename(std::string_view path) noexcept;

// ChanSpy/ExtenSpy application data → spy mode on the spyer channel (B barge, w/W whisper).
void spy_mode_from_app(Channel& ch, std::string_view app, std::string_view data);

struct Handlers {
  using H = void (*)(Engine&, const ami::Message&, int64_t);
  static H find(std::string_view event);

  // channels.cpp
  static void on_newchannel(Engine&, const ami::Message&, int64_t);
  static void on_newstate(Engine&, const ami::Message&, int64_t);
  static void on_newcallerid(Engine&, const ami::Message&, int64_t);
  static void on_newexten(Engine&, const ami::Message&, int64_t);
  static void on_varset(Engine&, const ami::Message&, int64_t);
  static void on_hangup(Engine&, const ami::Message&, int64_t);
  static void on_rename(Engine&, const ami::Message&, int64_t);
  static void on_masquerade(Engine&, const ami::Message&, int64_t);
  static void on_dialbegin(Engine&, const ami::Message&, int64_t);
  static void on_dialend(Engine&, const ami::Message&, int64_t);
  static void on_bridgeenter(Engine&, const ami::Message&, int64_t);
  static void on_bridgeleave(Engine&, const ami::Message&, int64_t);
  static void on_bridgemerge(Engine&, const ami::Message&, int64_t);
  static void on_hold(Engine&, const ami::Message&, int64_t);
  static void on_unhold(Engine&, const ami::Message&, int64_t);
  static void on_mohstart(Engine&, const ami::Message&, int64_t);
  static void on_mohstop(Engine&, const ami::Message&, int64_t);
  static void on_localbridge(Engine&, const ami::Message&, int64_t);
  static void on_localoptimizationend(Engine&, const ami::Message&, int64_t);
  static void on_mixmonitorstart(Engine&, const ami::Message&, int64_t);
  static void on_mixmonitorstop(Engine&, const ami::Message&, int64_t);
  static void on_rtcp(Engine&, const ami::Message&, int64_t);
  // features.cpp
  static void on_blindtransfer(Engine&, const ami::Message&, int64_t);
  static void on_attendedtransfer(Engine&, const ami::Message&, int64_t);
  static void on_chanspystart(Engine&, const ami::Message&, int64_t);
  static void on_chanspystop(Engine&, const ami::Message&, int64_t);
  static void on_parkedcall(Engine&, const ami::Message&, int64_t);
  static void on_unparkedcall(Engine&, const ami::Message&, int64_t);
  static void on_parkedcallgone(Engine&, const ami::Message&, int64_t);
  static void on_confbridgestart(Engine&, const ami::Message&, int64_t);
  static void on_confbridgeend(Engine&, const ami::Message&, int64_t);
  static void on_confbridgejoin(Engine&, const ami::Message&, int64_t);
  static void on_confbridgeleave(Engine&, const ami::Message&, int64_t);
  static void on_confbridgemute(Engine&, const ami::Message&, int64_t);
  static void on_confbridgeunmute(Engine&, const ami::Message&, int64_t);
  static void on_confbridgetalking(Engine&, const ami::Message&, int64_t);
  static void on_confbridgelistrooms(Engine&, const ami::Message&, int64_t);
  // extensions.cpp
  static void on_extensionstatus(Engine&, const ami::Message&, int64_t);
  static void on_endpointlist(Engine&, const ami::Message&, int64_t);
  static void on_contactlist(Engine&, const ami::Message&, int64_t);
  static void on_contactstatus(Engine&, const ami::Message&, int64_t);
  static void on_peerstatus(Engine&, const ami::Message&, int64_t);
  static void on_peerentry(Engine&, const ami::Message&, int64_t);
  static void on_devicestatechange(Engine&, const ami::Message&, int64_t);
  static void on_dbgetresponse(Engine&, const ami::Message&, int64_t);
  static void on_userevent(Engine&, const ami::Message&, int64_t);
  static void on_fullybooted(Engine&, const ami::Message&, int64_t);
  static void on_coresettings(Engine&, const ami::Message&, int64_t);
  // queues.cpp
  static void on_queueparams(Engine&, const ami::Message&, int64_t);
  static void on_queuemember(Engine&, const ami::Message&, int64_t);
  static void on_queuememberremoved(Engine&, const ami::Message&, int64_t);
  static void on_queueentry(Engine&, const ami::Message&, int64_t);
  static void on_queuecallerjoin(Engine&, const ami::Message&, int64_t);
  static void on_queuecallerleave(Engine&, const ami::Message&, int64_t);
  static void on_queuecallerabandon(Engine&, const ami::Message&, int64_t);
  static void on_agentcalled(Engine&, const ami::Message&, int64_t);
  static void on_agentringnoanswer(Engine&, const ami::Message&, int64_t);
  static void on_agentconnect(Engine&, const ami::Message&, int64_t);
  static void on_agentcomplete(Engine&, const ami::Message&, int64_t);
  static void on_queuesummary(Engine&, const ami::Message&, int64_t);
  // resync.cpp
  static void on_coreshowchannel(Engine&, const ami::Message&, int64_t);
  static void on_status(Engine&, const ami::Message&, int64_t);
  static void on_list_complete(Engine&, const ami::Message&, int64_t);
  static void on_response(Engine&, const ami::Message&, int64_t);

  // shared helpers (channels.cpp / calls.cpp)
  static void derive_call(Engine&, Call&);
  static void restore_hold_from_hints(Engine&, int64_t t);
  static void reconcile_channel_from_list(Engine&, const ami::Message&, int64_t t, long long secs);
  static void set_hold(Engine&, Channel*, bool holding, int64_t t);
  static void set_moh(Engine&, Channel*, bool on, int64_t t);
  static void unpark(Engine&, const ami::Message&, int64_t t, std::string_view event);
  static void conf_flag(Engine&, const ami::Message&, bool ConfMember::*flag, bool value);
  static QueueEntry& entry_upsert(Engine&, Queue&, const ami::Message&, int64_t since);
  static void set_ringing(Engine&, const ami::Message&, bool on);
};

}  // namespace opdesk::pbx
