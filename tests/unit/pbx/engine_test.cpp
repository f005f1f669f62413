// Engine core: change batches (coalesced, numbered per epoch), epochs, time source, ignoring
// unknown events, connection loss.
#include "pbx/engine.hpp"

#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

TEST(Engine, NothingToTakeBeforeAnyChange) {
  Engine e;
  EXPECT_FALSE(e.take_changes().has_value());
  EXPECT_EQ(e.epoch(), 0u);
  EXPECT_EQ(e.seq(), 0u);
}

TEST(Engine, SeqGrowsByOnePerBatchAndRestartsAtANewEpoch) {
  Pbx p;
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  p.endpoint("1001");
  auto b1 = p.e.take_changes();
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->epoch, 1u);
  EXPECT_EQ(b1->seq, 1u);
  EXPECT_FALSE(p.e.take_changes());
  p.endpoint("1002");
  auto b2 = p.e.take_changes();
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->seq, 2u);
  p.e.on_connection_lost(p.now);
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  auto b3 = p.e.take_changes();
  ASSERT_TRUE(b3);
  EXPECT_EQ(b3->epoch, 2u);
  EXPECT_EQ(b3->seq, 1u);
  EXPECT_EQ(p.e.seq(), 1u);
}

TEST(Engine, ABatchNamesEachEntityOnceInFirstChangedOrder) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1002");
  p.endpoint("1001");
  auto b = p.e.take_changes();
  ASSERT_TRUE(b);
  ASSERT_EQ(b->changes.size(), 2u);
  EXPECT_EQ(b->changes[0].id, "1001");
  EXPECT_EQ(b->changes[1].id, "1002");
  EXPECT_EQ(b->changes[0].kind, EntityKind::kExtension);
  EXPECT_FALSE(b->changes[0].removed);
}

TEST(Engine, AnEndedCallIsReportedAsRemoved) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1002");
  p.answered_call("PJSIP/1001-00000001", "100.1", "PJSIP/1002-00000002", "100.2");
  p.e.take_changes();
  p.hangup("PJSIP/1002-00000002", "100.2", "100.1");
  p.hangup("PJSIP/1001-00000001", "100.1", "100.1");
  auto b = p.e.take_changes();
  ASSERT_TRUE(b);
  bool removed = false;
  for (const auto& c : b->changes) removed = removed || (c.kind == EntityKind::kCall && c.id == "100.1" && c.removed);
  EXPECT_TRUE(removed);
  EXPECT_EQ(p.e.find_call("100.1"), nullptr);
}

TEST(Engine, TimestampHeaderWinsOverTheInjectedClock) {
  Pbx p;
  p.endpoint("1001");
  p.feed(ev("Newchannel") + chan("PJSIP/1001-00000001", "1.1", "1.1", 4) + Fields{{"Timestamp", "1795500000.250"}});
  ASSERT_NE(p.e.find_call("1.1"), nullptr);
  EXPECT_EQ(p.e.find_call("1.1")->started_at, 1795500000250);
  EXPECT_EQ(p.e.find_channel("PJSIP/1001-00000001")->created_at, 1795500000250);
}

TEST(Engine, UnknownEventsAreCountedAndChangeNothing) {
  Pbx p;
  p.feed(ev("SomethingNew") + Fields{{"Channel", "PJSIP/1-1"}});
  p.feed(ev("RTCPSent") + chan("PJSIP/9-1", "9.9", "9.9"));  // a channel we never saw
  EXPECT_EQ(p.e.stats().ignored, 1u);
  EXPECT_FALSE(p.e.take_changes());
  EXPECT_TRUE(p.e.state().channels.empty());
}

TEST(Engine, ConnectionLossKeepsTheStateAndFlagsThePbx) {
  Pbx p;
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "1.1", "1.1");
  p.e.on_connection_lost(p.now);
  EXPECT_FALSE(p.e.state().pbx.connected);
  EXPECT_NE(p.e.find_call("1.1"), nullptr);
  EXPECT_EQ(p.e.state().pbx.banner, "Asterisk Call Manager/11.0.0");
}

TEST(Engine, LookupsFindChannelsByNameOrUniqueidAndByExtension) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "1.1", "1.1");
  p.newchannel("Local/1001@from-queue-00000001;1", "1.2", "1.1");
  ASSERT_NE(p.e.find_channel("1.1"), nullptr);
  EXPECT_EQ(p.e.find_channel("PJSIP/1001-00000001")->uniqueid, "1.1");
  auto chans = p.e.channels_of_extension("1001");
  ASSERT_EQ(chans.size(), 1u);  // Local halves are not the phone's channels
  EXPECT_EQ(chans[0]->name, "PJSIP/1001-00000001");
  EXPECT_EQ(p.e.find_extension("1001")->number, "1001");
  EXPECT_EQ(p.e.find_extension("9999"), nullptr);
}

TEST(Engine, OverlongOrMalformedNumbersAreIgnoredNotOverflowed) {
  Pbx p;
  p.endpoint("1001");
  p.feed(ev("Newchannel") + chan("PJSIP/1001-00000001", "1.1", "1.1", 4) +
         Fields{{"Timestamp", "99999999999999999999999999.5"}});
  ASSERT_NE(p.e.find_call("1.1"), nullptr);
  EXPECT_EQ(p.e.find_call("1.1")->started_at, p.now);  // falls back to the injected clock
  p.at(20);
  p.feed(Fields{{"Event", "CoreShowChannel"}, {"ActionID", "x"}, {"Duration", "99999999999999999999:00:00"}} +
         chan("PJSIP/1001-00000002", "1.2", "1.2"));
  ASSERT_NE(p.e.find_call("1.2"), nullptr);
  EXPECT_EQ(p.e.find_call("1.2")->started_at, p.now);  // malformed duration counts as 0
}
