// RTCP event decoding: an AMI `RTCPSent` / `RTCPReceived` frame → a typed RtcpReport.
//
// Direction (seen from Asterisk, per channel = per RTP leg):
//   RTCPSent     = what Asterisk reports about the stream it RECEIVES from the phone → "rx";
//                  its MES is Asterisk's rx score.
//   RTCPReceived = what the phone reports about the stream Asterisk SENDS it → "tx"; it also
//                  carries RTT (computed by Asterisk from LSR/DLSR) and the tx MES.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ami/message.hpp"

namespace opdesk::qos {

enum class Direction { kRx, kTx };

struct ReportBlock {
  uint32_t source_ssrc = 0;
  int fraction_lost = 0;        // 0..255
  int64_t cumulative_lost = 0;  // signed (24-bit two's complement decoded)
  uint32_t highest_sequence = 0;  // low 16 bits
  uint32_t sequence_cycles = 0;
  uint32_t ia_jitter = 0;       // RTP timestamp units
  uint32_t lsr = 0;
  double dlsr_s = 0;
};

struct RtcpReport {
  Direction direction = Direction::kRx;
  std::string channel, uniqueid, linkedid;
  std::string caller_num, connected_num;
  uint32_t ssrc = 0;
  int packet_type = 0;  // 200 SR, 201 RR
  std::optional<int64_t> sent_packets, sent_octets;  // SR only
  std::optional<double> rtt_ms;  // only when plausible (see kMaxPlausibleRttMs)
  std::optional<double> mes;     // 0..100
  std::vector<ReportBlock> blocks;
};

// Asterisk keeps printing its last computed RTT even when the report could not update it; a
// report whose LSR was 0 or whose clock was skewed gives 65535.9998 s (16.16 wrap). Anything
// above a minute is not a real round trip.
inline constexpr double kMaxPlausibleRttMs = 60'000;
// A report block count past this is garbage (RFC 3550 caps RC at 31).
inline constexpr int kMaxReportBlocks = 31;

struct RtcpDecode {
  std::optional<RtcpReport> report;
  std::string error;  // stable code + detail when report is empty ("qos.rtcp.no_uniqueid")
};

// True for RTCPSent/RTCPReceived frames.
bool is_rtcp_event(const ami::Message& m) noexcept;
RtcpDecode decode_rtcp(const ami::Message& m);

}  // namespace opdesk::qos
