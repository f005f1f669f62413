// Decodes RTCPSent/RTCPReceived frames (field names as printed by Asterisk's
// main/rtp_engine.c rtcp_report_to_ami) into RtcpReport.
//
// Invariants: a decoded report always has a Uniqueid (the key everything else hangs on);
// numbers that do not parse make the whole frame an error rather than a silent zero, except
// the optional RTT/MES, which are simply left out when absent or implausible. ReportCount is
// trusted only up to kMaxReportBlocks and only for blocks that are actually present.
#include "qos/rtcp.hpp"

#include <charconv>
#include <string_view>
#include <type_traits>

#include "qos/metrics.hpp"

namespace opdesk::qos {
namespace {

template <typename T>
bool parse_num(std::string_view s, T& out) {
  if (s.empty()) {
    return false;
  }
  if constexpr (std::is_floating_point_v<T>) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  } else {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && p == s.data() + s.size();
  }
}

std::optional<double> opt_double(const ami::Message& m, std::string_view key) {
  double v = 0;
  if (!parse_num(m.get(key), v)) {
    return std::nullopt;
  }
  return v;
}

// Reads block i; returns an error text or empty.
std::string read_block(const ami::Message& m, int i, ReportBlock& b) {
  const std::string p = "Report" + std::to_string(i);
  uint64_t cum = 0;
  uint32_t fraction = 0;
  bool ok = parse_num(m.get(p + "SourceSSRC"), b.source_ssrc) &&
            parse_num(m.get(p + "FractionLost"), fraction) &&
            parse_num(m.get(p + "CumulativeLost"), cum) &&
            parse_num(m.get(p + "HighestSequence"), b.highest_sequence) &&
            parse_num(m.get(p + "IAJitter"), b.ia_jitter);
  if (!ok || fraction > 255) {
    return "qos.rtcp.bad_block: " + p;
  }
  b.fraction_lost = static_cast<int>(fraction);
  b.cumulative_lost = signed_cumulative_lost(cum);
  b.highest_sequence &= 0xFFFFu;
  // Optional fields: older versions or other engines may leave them out.
  parse_num(m.get(p + "SequenceNumberCycles"), b.sequence_cycles);
  parse_num(m.get(p + "LSR"), b.lsr);
  parse_num(m.get(p + "DLSR"), b.dlsr_s);
  return {};
}

}  // namespace

bool is_rtcp_event(const ami::Message& m) noexcept {
  return m.is_event("RTCPSent") || m.is_event("RTCPReceived");
}

RtcpDecode decode_rtcp(const ami::Message& m) {
  RtcpDecode out;
  if (!is_rtcp_event(m)) {
    out.error = "qos.rtcp.not_rtcp";
    return out;
  }
  RtcpReport r;
  r.direction = m.is_event("RTCPSent") ? Direction::kRx : Direction::kTx;
  r.channel = m.get("Channel");
  r.uniqueid = m.get("Uniqueid");
  r.linkedid = m.get("Linkedid");
  if (r.uniqueid.empty()) {
    out.error = "qos.rtcp.no_uniqueid";
    return out;
  }
  if (r.linkedid.empty()) {
    r.linkedid = r.uniqueid;
  }
  r.caller_num = m.get("CallerIDNum");
  r.connected_num = m.get("ConnectedLineNum");
  parse_num(m.get("SSRC"), r.ssrc);
  const std::string_view pt = m.get("PT");
  parse_num(pt.substr(0, pt.find('(')), r.packet_type);
  int64_t v = 0;
  if (parse_num(m.get("SentPackets"), v)) r.sent_packets = v;
  if (parse_num(m.get("SentOctets"), v)) r.sent_octets = v;
  if (auto mes = opt_double(m, "MES"); mes && *mes >= 0 && *mes <= 100) {
    r.mes = *mes;
  }
  int count = 0;
  if (!parse_num(m.get("ReportCount"), count) || count < 0) {
    out.error = "qos.rtcp.bad_report_count";
    return out;
  }
  if (count > kMaxReportBlocks) {
    count = kMaxReportBlocks;
  }
  for (int i = 0; i < count; ++i) {
    ReportBlock b;
    if (!m.has("Report" + std::to_string(i) + "SourceSSRC")) {
      break;  // Asterisk stops at the first missing block too
    }
    if (std::string err = read_block(m, i, b); !err.empty()) {
      out.error = std::move(err);
      return out;
    }
    r.blocks.push_back(b);
  }
  // RTT is only fresh when the phone echoed one of our SRs (LSR != 0); otherwise Asterisk
  // prints the previous (or initial 0) value.
  const bool fresh_rtt = !r.blocks.empty() && r.blocks.front().lsr != 0;
  if (auto rtt = opt_double(m, "RTT"); fresh_rtt && rtt && *rtt >= 0 && *rtt * 1000 < kMaxPlausibleRttMs) {
    r.rtt_ms = *rtt * 1000;
  }
  out.report = std::move(r);
  return out;
}

}  // namespace opdesk::qos
