// Media-side outputs of the model: RTCPSent/RTCPReceived every 5 s per answered channel
// (fields as trace 15, with the call's injected loss/jitter/RTT from SimOptions), Cdr events as cdr_manager prints them, and recording files named like
// FreePBX's (YYYY/MM/DD/<internal|q|out>-<to>-<from>-YYYYMMDD-HHMMSS-<uniqueid>.wav).
#include <spdlog/spdlog.h>

#include <algorithm>
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

const Impairment& Pbx::impairment_for(Channel& c) {
  if (c.impairment_set) return c.impairment;
  c.impairment_set = true;
  for (const std::string* who : {&c.endpoint, &c.cid_num, &c.conn_num}) {
    auto it = opt_.qos_by_extension.find(*who);
    if (it != opt_.qos_by_extension.end()) return c.impairment = it->second;
  }
  auto it = call_impairment_.find(c.call);
  if (it == call_impairment_.end()) {
    double x = std::uniform_real_distribution<double>(0, 1)(qos_rng_);
    Impairment imp = x < opt_.qos_poor_share                        ? opt_.qos_poor
                     : x < opt_.qos_poor_share + opt_.qos_fair_share ? opt_.qos_fair
                                                                     : Impairment{};
    if (call_impairment_.size() >= 4096) call_impairment_.erase(call_impairment_.begin());  // oldest calls
    it = call_impairment_.emplace(c.call, imp).first;
  }
  return c.impairment = it->second;
}

namespace {

// What one direction of one report says.
struct Report {
  int fraction = 0;        // FractionLost, 1/256 units
  int64_t cumulative = 0;  // CumulativeLost
  int jitter = 0;          // IAJitter, 8 kHz timestamp units
};

// Asterisk's MES for the impairment: its E-model MOS (G.711) rescaled to 0..100; 88.1 when clean.
double mes_for(const Impairment& imp) {
  double d = imp.rtt_ms / 2 + 2 * imp.jitter_ms + 20;
  double id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  double ie = 95 * imp.loss_pct / (imp.loss_pct + 25.1);
  double r = std::clamp(93.2 - id - ie, 0.0, 100.0);
  double mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return std::clamp(mos, 1.0, 4.5) * 20;
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

// Field names and order as trace 15 (Asterisk 22.9): RTCPReceived carries the phone's report
// on the stream Asterisk sends (with RTT), RTCPSent Asterisk's report on the stream it receives.
void Pbx::emit_rtcp(const std::string& uid) {
  auto it = channels_.find(uid);
  if (it == channels_.end() || it->second.state != 6) return;
  Channel& c = it->second;
  c.packets += 250;
  // The same draws from rng_ whatever the impairment, so office traffic depends on the seed only.
  std::uniform_int_distribution<int> jit(0, 12), lost(0, 100);
  const bool lossy = lost(rng_) < 5 && opt_.qos_noise;
  const int noise_lost = lossy ? lost(rng_) + 1 : 0;
  const int jit_tx = jit(rng_), jit_rx = jit(rng_);
  const Impairment imp = impairment_for(c);
  Report tx{0, c.lost_tx, jit_tx}, rx{0, c.lost_rx, jit_rx};
  std::string rtt = "0.0000", mes = "88.1";
  if (imp.any()) {
    const auto per_interval = static_cast<int64_t>(250 * imp.loss_pct / 100 + 0.5);
    tx.fraction = rx.fraction = std::min(255, static_cast<int>(imp.loss_pct * 256 / 100 + 0.5));
    tx.cumulative = c.lost_tx += per_interval;
    rx.cumulative = c.lost_rx += per_interval;
    tx.jitter += static_cast<int>(imp.jitter_ms * 8);
    rx.jitter += static_cast<int>(imp.jitter_ms * 8);
    rtt = fixed(imp.rtt_ms / 1000, 4);
    mes = fixed(mes_for(imp), 1);
  } else if (lossy) {
    // Background noise: a couple of packets lost now and then, still a good call.
    tx.fraction = 2;
    tx.cumulative = c.lost_tx += 1 + noise_lost % 3;
    rtt = "0.0412";
    mes = "86.4";
  }
  char ssrc[16], peer[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08x", c.ssrc);
  std::snprintf(peer, sizeof peer, "0x%08x", c.ssrc ^ 0x5a5a5a5au);
  const std::string ntp = std::to_string(epoch());
  const uint64_t seq_tx = 20000 + c.packets, seq_rx = 21000 + c.packets;
  // LSR: middle 32 bits of the NTP time of our previous SR (5 s ago); 0 on the first report,
  // when the phone has not seen an SR yet (Asterisk then keeps its RTT stale, as in trace 15).
  const auto ntp_prev = static_cast<uint64_t>(epoch() - 5 + 2208988800.0);
  const std::string lsr = c.packets > 250 ? std::to_string(((ntp_prev & 0xffffu) << 16) | 0x8000u) : "0";
  Fields recv = {{"To", "127.0.0.1:10357"}, {"From", "127.0.0.1:20243"}, {"RTT", rtt},
                 {"MES", mes}, {"SSRC", peer}, {"PT", "200(SR)"}, {"ReportCount", "1"},
                 {"SentNTP", ntp}, {"SentRTP", std::to_string(c.packets * 160)},
                 {"SentPackets", std::to_string(c.packets)}, {"SentOctets", std::to_string(c.packets * 160)},
                 {"Report0SourceSSRC", ssrc}, {"Report0FractionLost", std::to_string(tx.fraction)},
                 {"Report0CumulativeLost", std::to_string(tx.cumulative)},
                 {"Report0HighestSequence", std::to_string(seq_tx % 65536)},
                 {"Report0SequenceNumberCycles", std::to_string(seq_tx / 65536)},
                 {"Report0IAJitter", std::to_string(tx.jitter)}, {"Report0LSR", lsr}, {"Report0DLSR", "0.0000"}};
  chan_event("RTCPReceived", c, recv);
  Fields sent = {{"To", "127.0.0.1:20243"}, {"From", "127.0.0.1:10357"}, {"MES", mes}, {"SSRC", ssrc},
                 {"PT", "200(SR)"}, {"ReportCount", "1"}, {"SentNTP", ntp},
                 {"SentRTP", std::to_string(c.packets * 160 + 51839)}, {"SentPackets", std::to_string(c.packets + 1)},
                 {"SentOctets", std::to_string((c.packets + 1) * 160)}, {"Report0SourceSSRC", peer},
                 {"Report0FractionLost", std::to_string(rx.fraction)},
                 {"Report0CumulativeLost", std::to_string(rx.cumulative)},
                 {"Report0HighestSequence", std::to_string(seq_rx % 65536)},
                 {"Report0SequenceNumberCycles", std::to_string(seq_rx / 65536)},
                 {"Report0IAJitter", std::to_string(rx.jitter)}, {"Report0LSR", "2921585029"},
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
