// Media-side outputs of the model: RTCPSent/RTCPReceived every 5 s per answered channel
// (fields as trace 15), Cdr events as cdr_manager prints them, and recording files named like
// FreePBX's (YYYY/MM/DD/<internal|q|out>-<to>-<from>-YYYYMMDD-HHMMSS-<uniqueid>.wav).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>

#include "model.hpp"
#include "wav.hpp"

namespace opdesk::sim {
namespace {
std::string fmt_time(double epoch) {
  if (epoch < 0) return "";
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}
}  // namespace

void Pbx::start_rtcp(Channel& c) {
  std::string uid = c.uniqueid;
  c.rtcp_timer = sched_.after(5.0, [this, uid] { emit_rtcp(uid); });
}

void Pbx::emit_rtcp(const std::string& uid) {
  auto it = channels_.find(uid);
  if (it == channels_.end() || it->second.state != 6) return;
  Channel& c = it->second;
  c.packets += 250;
  std::uniform_int_distribution<int> jit(0, 12), lost(0, 100);
  bool lossy = lost(rng_) < 5;
  char ssrc[16], peer[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08x", c.ssrc);
  std::snprintf(peer, sizeof peer, "0x%08x", c.ssrc ^ 0x5a5a5a5au);
  std::string ntp = std::to_string(epoch());
  std::string common_mes = lossy ? "71.4" : "88.1";
  Fields recv = {{"To", "127.0.0.1:10357"}, {"From", "127.0.0.1:20243"}, {"RTT", lossy ? "0.0412" : "0.0000"},
                 {"MES", common_mes}, {"SSRC", peer}, {"PT", "200(SR)"}, {"ReportCount", "1"},
                 {"SentNTP", ntp}, {"SentRTP", std::to_string(c.packets * 160)},
                 {"SentPackets", std::to_string(c.packets)}, {"SentOctets", std::to_string(c.packets * 160)},
                 {"Report0SourceSSRC", ssrc}, {"Report0FractionLost", lossy ? "12" : "0"},
                 {"Report0CumulativeLost", lossy ? std::to_string(lost(rng_) + 1) : "0"},
                 {"Report0HighestSequence", std::to_string(20000 + c.packets)}, {"Report0SequenceNumberCycles", "0"},
                 {"Report0IAJitter", std::to_string(jit(rng_))}, {"Report0LSR", "0"}, {"Report0DLSR", "0.0000"}};
  chan_event("RTCPReceived", c, recv);
  Fields sent = {{"To", "127.0.0.1:20243"}, {"From", "127.0.0.1:10357"}, {"MES", common_mes}, {"SSRC", ssrc},
                 {"PT", "200(SR)"}, {"ReportCount", "1"}, {"SentNTP", ntp},
                 {"SentRTP", std::to_string(c.packets * 160 + 51839)}, {"SentPackets", std::to_string(c.packets + 1)},
                 {"SentOctets", std::to_string((c.packets + 1) * 160)}, {"Report0SourceSSRC", peer},
                 {"Report0FractionLost", "0"}, {"Report0CumulativeLost", "0"},
                 {"Report0HighestSequence", std::to_string(21000 + c.packets)}, {"Report0SequenceNumberCycles", "0"},
                 {"Report0IAJitter", std::to_string(jit(rng_))}, {"Report0LSR", "2921585029"},
                 {"Report0DLSR", "0.0030"}};
  chan_event("RTCPSent", c, sent);
  c.rtcp_timer = sched_.after(5.0, [this, uid] { emit_rtcp(uid); });
}

void Pbx::emit_cdr(const Cdr& r) {
  Fields f = event("Cdr", "cdr,all");
  double dur = r.end - r.start, bill = r.answer >= 0 ? r.end - r.answer : 0;
  f.insert(f.end(), {{"AccountCode", ""}, {"Source", r.src}, {"Destination", r.dst},
                     {"DestinationContext", r.dcontext}, {"CallerID", r.clid}, {"Channel", r.channel},
                     {"DestinationChannel", r.dstchannel}, {"LastApplication", r.lastapp},
                     {"LastData", r.lastdata}, {"StartTime", fmt_time(boot_epoch_ + r.start)},
                     {"AnswerTime", r.answer >= 0 ? fmt_time(boot_epoch_ + r.answer) : ""},
                     {"EndTime", fmt_time(boot_epoch_ + r.end)}, {"Duration", std::to_string(static_cast<long>(dur + 0.5))},
                     {"BillableSeconds", std::to_string(static_cast<long>(bill + 0.5))},
                     {"Disposition", r.disposition}, {"AMAFlags", "DOCUMENTATION"}, {"UniqueID", r.uniqueid},
                     {"UserField", ""}});
  emit(f);
}

std::string Pbx::rec_name(const std::string& kind, const std::string& to, const std::string& from,
                          const std::string& uid) const {
  std::time_t t = static_cast<std::time_t>(epoch());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return kind + "-" + to + "-" + from + "-" + buf + "-" + uid + ".wav";
}

std::string Pbx::rec_path(const std::string& name) const {
  std::time_t t = static_cast<std::time_t>(epoch());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y/%m/%d", &tm);
  std::string dir = opt_.recordings_dir.empty() ? "/var/spool/asterisk/monitor" : opt_.recordings_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + buf + "/" + name;
}

void Pbx::write_recording(const std::string& path, double seconds) {
  if (opt_.recordings_dir.empty() || path.empty()) return;
  std::string error;
  double secs = std::min(seconds, 3.0);
  if (!write_wav(path, secs, rng_(), error)) {
    // The call itself is unaffected; the missing file is only logged.
    spdlog::warn("sim: recording {} not written: {}", path, error);
  }
}

}  // namespace opdesk::sim
