// Replay of captured streams: timing lines, stopping at a moment, a banner in mid-stream
// (new connection/epoch), a frame cut short, and the same state whatever the chunking.
#include "pbx/replay.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace opdesk::pbx;

namespace {

const std::string kConn =
    "Asterisk Call Manager/11.0.0\r\n"
    "Response: Success\r\nActionID: l-1\r\nMessage: Authentication accepted\r\n\r\n"
    "Event: EndpointList\r\nActionID: e-1\r\nObjectName: 1001\r\nContacts: 1001/sip:x,\r\nDeviceState: Not in use\r\n\r\n";
const std::string kCall =
    "Event: Newchannel\r\nChannel: PJSIP/1001-00000001\r\nChannelState: 4\r\nCallerIDNum: 1001\r\n"
    "Exten: 1002\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\n\r\n";
const std::string kHangup =
    "Event: Hangup\r\nChannel: PJSIP/1001-00000001\r\nUniqueid: 1.1\r\nLinkedid: 1.1\r\nCause: 16\r\n\r\n";

}  // namespace

TEST(Replay, TimingLinesParseAndBadLinesAreNamed) {
  std::string err;
  auto t = parse_timing("0.000 0 30\n1.5 30 100\n\n", err);
  ASSERT_TRUE(t);
  ASSERT_EQ(t->size(), 2u);
  EXPECT_DOUBLE_EQ((*t)[1].seconds, 1.5);
  EXPECT_EQ((*t)[1].offset, 30u);
  EXPECT_EQ((*t)[1].length, 100u);
  EXPECT_FALSE(parse_timing("0.0 0 30\nabc 1 2\n", err));
  EXPECT_NE(err.find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_timing("1 2\n", err));
  EXPECT_FALSE(parse_timing("-1 0 3\n", err));
}

TEST(Replay, StopsBeforeTheFirstChunkLaterThanAt) {
  std::string bytes = kConn + kCall + kHangup;
  std::vector<TimingChunk> t = {{0.0, 0, kConn.size()}, {2.0, kConn.size(), kCall.size()},
                                {9.0, kConn.size() + kCall.size(), kHangup.size()}};
  Engine e;
  ReplayOptions o;
  o.at = 5.0;
  auto r = replay(bytes, t, e, o);
  ASSERT_NE(e.find_call("1.1"), nullptr);
  EXPECT_EQ(e.find_call("1.1")->started_at, o.base_ms + 2000);
  EXPECT_EQ(r.now_ms, o.base_ms + 5000);
  Engine all;
  replay(bytes, t, all, {});
  EXPECT_EQ(all.find_call("1.1"), nullptr);
}

TEST(Replay, ABannerMidStreamStartsANewEpochAndACutFrameIsSkipped) {
  std::string cut = kCall.substr(0, kCall.find("Uniqueid"));  // the connection drops after a line
  std::string bytes = kConn + cut + kConn + kCall;
  Engine e;
  std::vector<uint64_t> epochs;
  auto r = replay(bytes, {}, e, {}, [&](const ChangeBatch& b, int64_t) { epochs.push_back(b.epoch); });
  EXPECT_EQ(e.epoch(), 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_NE(e.find_call("1.1"), nullptr);
  EXPECT_TRUE(e.state().pbx.connected);
  ASSERT_EQ(epochs.size(), 1u);  // no timing: one chunk, one batch
}

TEST(Replay, RandomChunkingGivesTheSameState) {
  std::string bytes = kConn + kCall;
  Engine whole;
  replay(bytes, {}, whole, {});
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::vector<TimingChunk> t;
    size_t off = 0;
    while (off < bytes.size()) {
      size_t len = std::min<size_t>(bytes.size() - off, 1 + rng() % 40);
      t.push_back({0.0, off, len});
      off += len;
    }
    Engine e;
    auto r = replay(bytes, t, e, {});
    EXPECT_EQ(r.skipped, 0u);
    ASSERT_NE(e.find_call("1.1"), nullptr);
    EXPECT_EQ(e.state().channels.size(), whole.state().channels.size());
    EXPECT_EQ(e.find_extension("1001")->registered(), whole.find_extension("1001")->registered());
  }
}
