// Channels and calls: chan_sip/IAX2/DAHDI names, renames, Local channel halves and their
// optimisation, call direction by known extensions, the end of a call, hold.
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

TEST(Channels, ChanSipChannelNamesResolveToTheirExtension) {
  Pbx p;
  p.feed(ev("PeerStatus") + Fields{{"ChannelType", "SIP"}, {"Peer", "SIP/1001"}, {"PeerStatus", "Registered"},
                                   {"Address", "10.0.0.5:5060"}});
  p.feed(ev("PeerStatus") + Fields{{"ChannelType", "SIP"}, {"Peer", "SIP/1002"}, {"PeerStatus", "Registered"},
                                   {"Address", "10.0.0.6:5060"}});
  p.answered_call("SIP/1001-0000000a", "5.1", "SIP/1002-0000000b", "5.2");
  const Call* c = p.e.find_call("5.1");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->parties.size(), 2u);
  EXPECT_EQ(c->parties[0].extension, "1001");
  EXPECT_EQ(c->parties[1].extension, "1002");
  EXPECT_EQ(c->direction, "internal");
  EXPECT_EQ(c->state, "up");
  EXPECT_EQ(p.e.find_extension("1001")->tech, "SIP");
  EXPECT_TRUE(p.e.find_extension("1001")->registered());
  EXPECT_EQ(p.ext_state("1001"), "in_call");  // no hint: state from channels
}

TEST(Channels, InboundDahdiTrunkCallIsInboundAndNamesTheCaller) {
  Pbx p;
  p.endpoint("1001");
  p.feed(ev("Newchannel") + chan("DAHDI/1-1", "7.1", "7.1", 4, "", "0612345678"));
  p.newchannel("PJSIP/1001-00000001", "7.2", "7.1", 0);
  p.dial("DAHDI/1-1", "7.1", "PJSIP/1001-00000001", "7.2", "7.1", "0612345678");
  p.newstate("PJSIP/1001-00000001", "7.2", "7.1", 5);
  const Call* c = p.e.find_call("7.1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->direction, "inbound");
  EXPECT_EQ(c->state, "ringing");
  EXPECT_EQ(c->parties[0].number, "0612345678");
  EXPECT_EQ(c->parties[0].extension, "");
  EXPECT_EQ(p.ext_state("1001"), "ringing");
}

TEST(Channels, OutboundCallOverAnIax2TrunkIsOutbound) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "8.1", "8.1", 4, "0049301234");
  p.feed(ev("Newchannel") + chan("IAX2/provider-4711", "8.2", "8.1", 0, "", "0049301234"));
  p.dial("PJSIP/1001-00000001", "8.1", "IAX2/provider-4711", "8.2", "8.1", "1001", "0049301234");
  const Call* c = p.e.find_call("8.1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->direction, "outbound");
  EXPECT_EQ(c->destination, "0049301234");
  EXPECT_EQ(c->parties[1].number, "0049301234");
}

TEST(Channels, RenameKeepsTheChannelUnderItsNewName) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "1.1", "1.1");
  p.feed(ev("Rename") + Fields{{"Channel", "PJSIP/1001-00000001"}, {"Newname", "PJSIP/1001-00000001<ZOMBIE>"},
                               {"Uniqueid", "1.1"}});
  EXPECT_EQ(p.e.find_channel("PJSIP/1001-00000001"), nullptr);
  ASSERT_NE(p.e.find_channel("PJSIP/1001-00000001<ZOMBIE>"), nullptr);
  EXPECT_EQ(p.e.find_channel("1.1")->name, "PJSIP/1001-00000001<ZOMBIE>");
}

TEST(Channels, QueueCallThroughLocalChannelsNamesTheRealPhones) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1005");
  p.newchannel("PJSIP/1005-00000001", "9.1", "9.1", 6, "5001");
  p.newchannel("Local/1001@from-queue-00000001;1", "9.2", "9.1", 0);
  p.newchannel("Local/1001@from-queue-00000001;2", "9.3", "9.1", 0);
  p.feed(ev("LocalBridge") + chan("Local/1001@from-queue-00000001;1", "9.2", "9.1", 0, "LocalOne") +
         chan("Local/1001@from-queue-00000001;2", "9.3", "9.1", 0, "LocalTwo"));
  p.dial("PJSIP/1005-00000001", "9.1", "Local/1001@from-queue-00000001;1", "9.2", "9.1");
  p.newchannel("PJSIP/1001-00000002", "9.4", "9.1", 0);
  p.dial("Local/1001@from-queue-00000001;2", "9.3", "PJSIP/1001-00000002", "9.4", "9.1");
  const Call* c = p.e.find_call("9.1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->channels.size(), 4u);
  ASSERT_EQ(c->parties.size(), 2u);
  EXPECT_EQ(c->parties[0].extension, "1005");
  EXPECT_EQ(c->parties[1].extension, "1001");
  EXPECT_EQ(p.e.state().calls.size(), 1u);
  // Optimisation: the Local halves go, the phones meet in one bridge; still one call.
  p.feed(ev("LocalOptimizationBegin") + chan("Local/1001@from-queue-00000001;1", "9.2", "9.1", 6, "LocalOne") +
         chan("Local/1001@from-queue-00000001;2", "9.3", "9.1", 6, "LocalTwo"));
  p.bridge("PJSIP/1005-00000001", "9.1", "9.1", "B1");
  p.bridge("PJSIP/1001-00000002", "9.4", "9.1", "B1");
  p.feed(ev("LocalOptimizationEnd") + chan("Local/1001@from-queue-00000001;1", "9.2", "9.1", 6, "LocalOne") +
         chan("Local/1001@from-queue-00000001;2", "9.3", "9.1", 6, "LocalTwo") + Fields{{"Success", "Yes"}});
  p.hangup("Local/1001@from-queue-00000001;1", "9.2", "9.1");
  p.hangup("Local/1001@from-queue-00000001;2", "9.3", "9.1");
  c = p.e.find_call("9.1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->channels.size(), 2u);
  EXPECT_EQ(c->parties.size(), 2u);
  EXPECT_EQ(c->state, "up");
  EXPECT_NE(c->answered_at, 0);
}

TEST(Channels, ACallDisappearsWhenItsLastRealChannelHangsUpEvenIfLocalHalvesRemain) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "3.1", "3.1");
  p.newchannel("Local/600@from-internal-00000001;1", "3.2", "3.1", 0);
  EXPECT_EQ(p.visible_calls(), 1u);
  p.hangup("PJSIP/1001-00000001", "3.1", "3.1");
  EXPECT_EQ(p.visible_calls(), 0u);
  auto b = p.e.take_changes();
  ASSERT_TRUE(b);
  bool removed = false;
  for (const auto& ch : b->changes) removed = removed || (ch.id == "3.1" && ch.removed);
  EXPECT_TRUE(removed);
  p.hangup("Local/600@from-internal-00000001;1", "3.2", "3.1");
  EXPECT_TRUE(p.e.state().calls.empty());
  EXPECT_TRUE(p.e.state().channels.empty());
}

TEST(Channels, HoldFromEitherSideIsTimedAndNamesTheHolder) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1003");
  p.answered_call("PJSIP/1001-00000001", "4.1", "PJSIP/1003-00000002", "4.2");
  p.at(5);
  p.feed(ev("Hold") + chan("PJSIP/1001-00000001", "4.1", "4.1") + Fields{{"MusicClass", "default"}});
  p.feed(ev("MusicOnHoldStart") + chan("PJSIP/1003-00000002", "4.2", "4.1"));
  const Call* c = p.e.find_call("4.1");
  EXPECT_TRUE(c->on_hold);
  EXPECT_EQ(c->held_by, "1001");
  EXPECT_EQ(c->state, "held");
  p.at(8);
  p.feed(ev("Unhold") + chan("PJSIP/1001-00000001", "4.1", "4.1"));
  p.feed(ev("MusicOnHoldStop") + chan("PJSIP/1003-00000002", "4.2", "4.1"));
  EXPECT_FALSE(c->on_hold);
  EXPECT_EQ(c->hold_ms, 3000);
  EXPECT_EQ(c->state, "up");
}

TEST(Channels, MusicOnHoldOutsideABridgeIsNotAHeldCall) {
  Pbx p;
  p.endpoint("1005");
  p.newchannel("PJSIP/1005-00000001", "6.1", "6.1", 6, "5001");
  p.feed(ev("MusicOnHoldStart") + chan("PJSIP/1005-00000001", "6.1", "6.1"));
  EXPECT_FALSE(p.e.find_call("6.1")->on_hold);
}

TEST(Channels, RecordingFileNameComesFromMixMonitorVariable) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "2.1", "2.1");
  p.feed(ev("MixMonitorStart") + chan("PJSIP/1001-00000001", "2.1", "2.1"));
  p.feed(ev("VarSet") + chan("PJSIP/1001-00000001", "2.1", "2.1") +
         Fields{{"Variable", "MIXMONITOR_FILENAME"}, {"Value", "/var/spool/asterisk/monitor/2026/11/24/x-1.wav"}});
  const Call* c = p.e.find_call("2.1");
  EXPECT_EQ(c->recording, "x-1.wav");
  EXPECT_EQ(c->recording_path, "/var/spool/asterisk/monitor/2026/11/24/x-1.wav");
  EXPECT_TRUE(c->recording_active);
  p.feed(ev("MixMonitorStop") + chan("PJSIP/1001-00000001", "2.1", "2.1"));
  EXPECT_FALSE(c->recording_active);
}
