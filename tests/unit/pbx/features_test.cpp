// Features on calls: attended transfer and bridge merges, parking, ConfBridge, and how the
// spy mode is chosen (ChanSpy options > originate CallerID > feature code).
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

namespace {

void two_calls_for_attended_transfer(Pbx& p) {
  for (const char* e : {"1001", "1002", "1003"}) p.endpoint(e);
  p.answered_call("PJSIP/1001-00000001", "a1", "PJSIP/1002-00000002", "a2");
  p.at(5);
  p.answered_call("PJSIP/1002-00000003", "c1", "PJSIP/1003-00000004", "c2");
}

}  // namespace

TEST(Features, AttendedTransferLeavesTheTransfereeWithTheTarget) {
  Pbx p;
  two_calls_for_attended_transfer(p);
  EXPECT_EQ(p.visible_calls(), 2u);
  p.at(9);
  p.feed(ev("AttendedTransfer") + Fields{{"Result", "Success"}, {"DestType", "Bridge"}, {"DestBridgeUniqueid", "b-a1"}} +
         chan("PJSIP/1002-00000002", "a2", "a1", 6, "OrigTransferer") +
         chan("PJSIP/1002-00000003", "c1", "c1", 6, "SecondTransferer") +
         chan("PJSIP/1001-00000001", "a1", "a1", 6, "Transferee") +
         chan("PJSIP/1003-00000004", "c2", "c1", 6, "TransferTarget"));
  p.hangup("PJSIP/1002-00000002", "a2", "a1");
  p.hangup("PJSIP/1002-00000003", "c1", "a1");
  p.bridge("PJSIP/1003-00000004", "c2", "a1", "b-a1");
  ASSERT_EQ(p.visible_calls(), 1u);
  const Call* c = p.e.find_call("a1");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(has_party(*c, "1001"));
  EXPECT_TRUE(has_party(*c, "1003"));
  EXPECT_FALSE(has_party(*c, "1002"));
  EXPECT_TRUE(c->transferred);
  bool journey = false;
  for (const auto& j : c->journey) journey = journey || (j.event == "transferred" && j.detail == "1003");
  EXPECT_TRUE(journey);
  EXPECT_EQ(p.ext_state("1002"), "idle");
}

TEST(Features, BridgeMergeJoinsTheCallsOfBothBridges) {
  Pbx p;
  two_calls_for_attended_transfer(p);
  p.feed(ev("BridgeMerge") + Fields{{"ToBridgeUniqueid", "b-a1"}, {"FromBridgeUniqueid", "b-c1"}});
  EXPECT_EQ(p.visible_calls(), 1u);
  const Call* c = p.e.find_call("a1");  // the older call survives
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->parties.size(), 4u);
  EXPECT_EQ(p.e.find_channel("c2")->call_id, "a1");
  EXPECT_EQ(p.e.find_channel("c2")->bridge, "b-a1");
}

TEST(Features, ParkedCallIsListedUntilRetrievedAndTheRetrieverJoinsTheCall) {
  Pbx p;
  for (const char* e : {"1001", "1004", "1002"}) p.endpoint(e);
  p.answered_call("PJSIP/1004-00000001", "p1", "PJSIP/1001-00000002", "p2");
  p.at(3);
  p.feed(ev("ParkedCall") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") +
         Fields{{"ParkerDialString", "PJSIP/1001"}, {"Parkinglot", "default"}, {"ParkingSpace", "701"},
                {"ParkingTimeout", "45"}, {"ParkingDuration", "0"}});
  p.hangup("PJSIP/1001-00000002", "p2", "p1");
  ASSERT_EQ(p.e.state().parked.count("701"), 1u);
  const Parked& pk = p.e.state().parked.at("701");
  EXPECT_EQ(pk.extension, "1004");
  EXPECT_EQ(pk.parked_by, "1001");
  EXPECT_EQ(pk.timeout_at, p.now + 45000);
  EXPECT_EQ(p.e.find_call("p1")->state, "parked");
  EXPECT_EQ(p.visible_calls(), 1u);
  p.at(10);
  p.newchannel("PJSIP/1002-00000003", "r1", "r1", 6, "701");
  p.feed(ev("UnParkedCall") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") +
         chan("PJSIP/1002-00000003", "r1", "r1", 6, "Retriever") +
         Fields{{"Parkinglot", "default"}, {"ParkingSpace", "701"}});
  EXPECT_TRUE(p.e.state().parked.empty());
  const Call* c = p.e.find_call("p1");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(has_party(*c, "1004"));
  EXPECT_TRUE(has_party(*c, "1002"));
  EXPECT_NE(c->state, "parked");
  EXPECT_EQ(p.visible_calls(), 1u);
}

TEST(Features, ParkTimeoutAndGiveUpEmptyTheSpace) {
  Pbx p;
  p.endpoint("1004");
  p.newchannel("PJSIP/1004-00000001", "p1", "p1", 6);
  Fields park = Fields{{"Parkinglot", "sales"}, {"ParkingSpace", "801"}, {"ParkingTimeout", "45"}};
  p.feed(ev("ParkedCall") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") + park);
  EXPECT_EQ(p.e.state().parked.count("sales:801"), 1u);
  p.feed(ev("ParkedCallTimeOut") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") + park);
  EXPECT_TRUE(p.e.state().parked.empty());
  p.feed(ev("ParkedCall") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") + park);
  p.feed(ev("ParkedCallGiveUp") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") + park);
  EXPECT_TRUE(p.e.state().parked.empty());
}

TEST(Features, ConferenceMembersJoinMuteTalkAndLeave) {
  Pbx p;
  p.endpoint("1003");
  p.newchannel("PJSIP/1003-00000001", "f1", "f1", 6, "800");
  p.feed(ev("ConfbridgeStart") + Fields{{"Conference", "800"}});
  p.feed(ev("ConfbridgeJoin") + Fields{{"Conference", "800"}, {"Admin", "Yes"}, {"Muted", "No"}} +
         chan("PJSIP/1003-00000001", "f1", "f1"));
  const Conference& conf = p.e.state().conferences.at("800");
  ASSERT_EQ(conf.members.size(), 1u);
  EXPECT_TRUE(conf.members.at("f1").admin);
  EXPECT_EQ(conf.members.at("f1").extension, "1003");
  EXPECT_EQ(p.e.find_call("f1")->state, "conference");
  p.feed(ev("ConfbridgeMute") + Fields{{"Conference", "800"}} + chan("PJSIP/1003-00000001", "f1", "f1"));
  EXPECT_TRUE(conf.members.at("f1").muted);
  p.feed(ev("ConfbridgeTalking") + Fields{{"Conference", "800"}, {"TalkingStatus", "on"}} +
         chan("PJSIP/1003-00000001", "f1", "f1"));
  EXPECT_TRUE(conf.members.at("f1").talking);
  p.feed(ev("ConfbridgeUnmute") + Fields{{"Conference", "800"}} + chan("PJSIP/1003-00000001", "f1", "f1"));
  EXPECT_FALSE(conf.members.at("f1").muted);
  p.feed(ev("ConfbridgeLeave") + Fields{{"Conference", "800"}} + chan("PJSIP/1003-00000001", "f1", "f1"));
  EXPECT_TRUE(p.e.state().conferences.at("800").members.empty());
  p.feed(ev("ConfbridgeEnd") + Fields{{"Conference", "800"}});
  EXPECT_TRUE(p.e.state().conferences.empty());
}

namespace {

std::string spy_mode_after(const Fields& before_start, const std::string& spyer_cid_name = "Ext 1008") {
  Pbx p;
  for (const char* e : {"1001", "1002", "1008"}) p.endpoint(e);
  p.answered_call("PJSIP/1001-00000001", "s1", "PJSIP/1002-00000002", "s2");
  p.feed(before_start);
  Fields start = ev("ChanSpyStart") + chan("PJSIP/1008-00000003", "spy", "spy", 6, "Spyer") +
                 chan("PJSIP/1001-00000001", "s1", "s1", 6, "Spyee");
  for (auto& [k, v] : start) {
    if (k == "SpyerCallerIDName") v = spyer_cid_name;
  }
  p.feed(start);
  const Call* c = p.e.find_call("s1");
  if (c == nullptr || c->spied_by.size() != 1 || has_party(*c, "1008") || p.visible_calls() != 1) return "broken";
  return c->spied_by[0].mode;
}

Fields spy_leg(const std::string& exten) {
  Fields f = ev("Newchannel") + chan("PJSIP/1008-00000003", "spy", "spy", 6);
  for (auto& [k, v] : f) {
    if (k == "Exten") v = exten;
  }
  return f;
}

Fields spy_app(const std::string& data) {
  return ev("Newexten") + chan("PJSIP/1008-00000003", "spy", "spy", 6) +
         Fields{{"Application", "ChanSpy"}, {"AppData", data}};
}

}  // namespace

TEST(Features, SpyModeComesFromChanSpyOptionsFirst) {
  EXPECT_EQ(spy_mode_after(spy_leg("*5561001") + Fields{}), "whisper");
  EXPECT_EQ(spy_mode_after(spy_leg("*5571001")), "barge");
  EXPECT_EQ(spy_mode_after(spy_leg("s")), "listen");
  EXPECT_EQ(spy_mode_after(spy_leg("s"), "Whisper"), "whisper");  // originate CallerID name
  EXPECT_EQ(spy_mode_after(spy_leg("s"), "Barge"), "barge");
  // App options beat the feature code: *557 would say barge, the options say whisper.
  Pbx p;
  for (const char* e : {"1001", "1002", "1008"}) p.endpoint(e);
  p.answered_call("PJSIP/1001-00000001", "s1", "PJSIP/1002-00000002", "s2");
  p.feed(spy_leg("*5571001"));
  p.feed(spy_app("PJSIP/1001-,qEw"));
  p.feed(ev("ChanSpyStart") + chan("PJSIP/1008-00000003", "spy", "spy", 6, "Spyer") +
         chan("PJSIP/1001-00000001", "s1", "s1", 6, "Spyee"));
  ASSERT_EQ(p.e.find_call("s1")->spied_by.size(), 1u);
  EXPECT_EQ(p.e.find_call("s1")->spied_by[0].mode, "whisper");
  p.feed(ev("ChanSpyStop") + chan("PJSIP/1008-00000003", "spy", "spy", 6, "Spyer") +
         chan("PJSIP/1001-00000001", "s1", "s1", 6, "Spyee"));
  EXPECT_TRUE(p.e.find_call("s1")->spied_by.empty());
  EXPECT_EQ(p.visible_calls(), 1u);  // the spy leg stays out of the call list
}
