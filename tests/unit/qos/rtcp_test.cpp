// RTCP frame decoding: SR/RR, direction, report blocks (0, 1, several), signed lost, bad input.
#include "qos/rtcp.hpp"

#include <gtest/gtest.h>

using namespace opdesk::qos;
using opdesk::ami::Message;

namespace {
// RTCPReceived on PJSIP/1006-00000022 at ~12 s in trace 15 (fields trimmed to what we read).
Message received_sr() {
  return Message::from_fields({{"Event", "RTCPReceived"}, {"Channel", "PJSIP/1006-00000022"},
                               {"CallerIDNum", "1006"}, {"ConnectedLineNum", "1007"},
                               {"Uniqueid", "1795502247.36"}, {"Linkedid", "1795502247.36"},
                               {"RTT", "0.0001"}, {"MES", "88.1"}, {"SSRC", "0xeeafaf2e"}, {"PT", "200(SR)"},
                               {"ReportCount", "1"}, {"SentNTP", "1795502259.914964"}, {"SentRTP", "98720"},
                               {"SentPackets", "500"}, {"SentOctets", "80000"},
                               {"Report0SourceSSRC", "0x06864d78"}, {"Report0FractionLost", "0"},
                               {"Report0CumulativeLost", "0"}, {"Report0HighestSequence", "16341"},
                               {"Report0SequenceNumberCycles", "0"}, {"Report0IAJitter", "5"},
                               {"Report0LSR", "2939087502"}, {"Report0DLSR", "4.9980"}});
}
}  // namespace

TEST(QosRtcp, DecodesAnSrFromTheTraceAsTxWithRttAndMes) {
  const RtcpDecode d = decode_rtcp(received_sr());
  ASSERT_TRUE(d.report) << d.error;
  const RtcpReport& r = *d.report;
  EXPECT_EQ(r.direction, Direction::kTx);
  EXPECT_EQ(r.channel, "PJSIP/1006-00000022");
  EXPECT_EQ(r.uniqueid, "1795502247.36");
  EXPECT_EQ(r.caller_num, "1006");
  EXPECT_EQ(r.connected_num, "1007");
  EXPECT_EQ(r.ssrc, 0xeeafaf2eu);
  EXPECT_EQ(r.packet_type, 200);
  EXPECT_EQ(r.sent_packets, 500);
  EXPECT_EQ(r.sent_octets, 80000);
  ASSERT_TRUE(r.rtt_ms);
  EXPECT_NEAR(*r.rtt_ms, 0.1, 1e-9);
  EXPECT_DOUBLE_EQ(*r.mes, 88.1);
  ASSERT_EQ(r.blocks.size(), 1u);
  EXPECT_EQ(r.blocks[0].source_ssrc, 0x06864d78u);
  EXPECT_EQ(r.blocks[0].highest_sequence, 16341u);
  EXPECT_EQ(r.blocks[0].ia_jitter, 5u);
  EXPECT_EQ(r.blocks[0].lsr, 2939087502u);
  EXPECT_DOUBLE_EQ(r.blocks[0].dlsr_s, 4.998);
}

TEST(QosRtcp, RtcpSentIsRxAndAnRrHasNoSenderInfo) {
  const RtcpDecode d = decode_rtcp(Message::from_fields(
      {{"Event", "RTCPSent"}, {"Uniqueid", "1.2"}, {"PT", "201(RR)"}, {"ReportCount", "1"},
       {"Report0SourceSSRC", "0x1"}, {"Report0FractionLost", "64"}, {"Report0CumulativeLost", "16777215"},
       {"Report0HighestSequence", "70000"}, {"Report0IAJitter", "1"}}));
  ASSERT_TRUE(d.report) << d.error;
  EXPECT_EQ(d.report->direction, Direction::kRx);
  EXPECT_EQ(d.report->packet_type, 201);
  EXPECT_EQ(d.report->linkedid, "1.2");  // no Linkedid: the leg is its own call
  EXPECT_FALSE(d.report->sent_packets);
  EXPECT_FALSE(d.report->rtt_ms);
  EXPECT_EQ(d.report->blocks[0].fraction_lost, 64);
  EXPECT_EQ(d.report->blocks[0].cumulative_lost, -1);
  EXPECT_EQ(d.report->blocks[0].highest_sequence, 70000u & 0xFFFF);
}

TEST(QosRtcp, ReportCountZeroAndSeveralBlocks) {
  auto zero = decode_rtcp(Message::from_fields({{"Event", "RTCPSent"}, {"Uniqueid", "1"}, {"ReportCount", "0"}}));
  ASSERT_TRUE(zero.report);
  EXPECT_TRUE(zero.report->blocks.empty());
  std::vector<std::pair<std::string, std::string>> f = {{"Event", "RTCPReceived"}, {"Uniqueid", "1"}, {"ReportCount", "3"}};
  for (int i = 0; i < 2; ++i) {  // only two of the announced three are present
    const std::string p = "Report" + std::to_string(i);
    f.insert(f.end(), {{p + "SourceSSRC", std::to_string(100 + i)}, {p + "FractionLost", "0"},
                       {p + "CumulativeLost", "0"}, {p + "HighestSequence", "1"}, {p + "IAJitter", "2"}});
  }
  auto many = decode_rtcp(Message::from_fields(f));
  ASSERT_TRUE(many.report) << many.error;
  ASSERT_EQ(many.report->blocks.size(), 2u);
  EXPECT_EQ(many.report->blocks[1].source_ssrc, 101u);
}

TEST(QosRtcp, BadInputGivesStableErrorCodes) {
  EXPECT_EQ(decode_rtcp(Message::from_fields({{"Event", "Hangup"}})).error, "qos.rtcp.not_rtcp");
  EXPECT_EQ(decode_rtcp(Message::from_fields({{"Event", "RTCPSent"}})).error, "qos.rtcp.no_uniqueid");
  EXPECT_EQ(decode_rtcp(Message::from_fields({{"Event", "RTCPSent"}, {"Uniqueid", "1"}, {"ReportCount", "x"}})).error,
            "qos.rtcp.bad_report_count");
  EXPECT_EQ(decode_rtcp(Message::from_fields({{"Event", "RTCPSent"}, {"Uniqueid", "1"}, {"ReportCount", "1"},
                                              {"Report0SourceSSRC", "0x1"}, {"Report0FractionLost", "300"},
                                              {"Report0CumulativeLost", "0"}, {"Report0HighestSequence", "1"},
                                              {"Report0IAJitter", "1"}}))
                .error,
            "qos.rtcp.bad_block: Report0");
  // Out-of-range MES and RTT are dropped, the report still decodes.
  auto odd = decode_rtcp(Message::from_fields({{"Event", "RTCPReceived"}, {"Uniqueid", "1"}, {"ReportCount", "0"},
                                               {"MES", "250"}, {"RTT", "-1"}}));
  ASSERT_TRUE(odd.report);
  EXPECT_FALSE(odd.report->mes);
  EXPECT_FALSE(odd.report->rtt_ms);
}
