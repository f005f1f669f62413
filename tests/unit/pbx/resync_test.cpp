// Resync: list answers reconcile each family when their *Complete arrives (by ActionID);
// what ended while disconnected goes, what started appears with its real start, hold comes
// back from hint 16, live events interleaved with the list are not undone.
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

namespace {

Fields listed(const std::string& event, const std::string& aid) { return ev(event) + Fields{{"ActionID", aid}}; }

Fields core_channel(const std::string& name, const std::string& uid, const std::string& linked,
                    const std::string& duration, const std::string& bridge) {
  return listed("CoreShowChannel", "csc") + chan(name, uid, linked) +
         Fields{{"Application", "AppDial"}, {"ApplicationData", "(Outgoing Line)"}, {"Duration", duration},
                {"BridgeId", bridge}};
}

void start_list(Pbx& p, const std::string& aid) {
  p.feed(Fields{{"Response", "Success"}, {"ActionID", aid}, {"EventList", "start"}, {"Message", "will follow"}});
}

}  // namespace

TEST(Resync, CallsEndedWhileAwayGoAndCallsStartedAppearWithTheirRealStart) {
  Pbx p;
  for (const char* e : {"1002", "1003", "1005", "1006"}) p.endpoint(e);
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  p.answered_call("PJSIP/1002-00000001", "r1", "PJSIP/1003-00000002", "r2");
  p.answered_call("PJSIP/1007-00000003", "gone1", "PJSIP/1008-00000004", "gone2");
  const int64_t first_start = p.e.find_call("r1")->started_at;
  p.e.on_connection_lost(p.now);
  p.at(12);
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  start_list(p, "csc");
  p.feed(core_channel("PJSIP/1002-00000001", "r1", "r1", "00:00:12", "b-r1"));
  p.feed(core_channel("PJSIP/1003-00000002", "r2", "r1", "00:00:12", "b-r1"));
  p.feed(core_channel("PJSIP/1005-00000005", "n1", "n1", "00:00:07", "bn"));
  p.feed(core_channel("PJSIP/1006-00000006", "n2", "n1", "00:00:07", "bn"));
  p.feed(listed("CoreShowChannelsComplete", "csc") + Fields{{"ListItems", "4"}});
  EXPECT_EQ(p.visible_calls(), 2u);
  EXPECT_EQ(p.e.find_call("gone1"), nullptr);
  EXPECT_EQ(p.e.state().channels.size(), 4u);
  EXPECT_EQ(p.e.find_call("r1")->started_at, first_start);  // no jump, no duplicate
  const Call* n = p.e.find_call("n1");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->started_at, p.now - 7000);
  EXPECT_EQ(n->parties.size(), 2u);
  EXPECT_EQ(n->state, "up");
  // Hold restored from the hint list: 1003 hears MOH, so 1002 holds.
  start_list(p, "esl");
  p.feed(listed("ExtensionStatus", "esl") + Fields{{"Exten", "1003"}, {"Context", "ext-local"}, {"Hint", "PJSIP/1003"}, {"Status", "16"}});
  p.feed(listed("ExtensionStatus", "esl") + Fields{{"Exten", "1002"}, {"Context", "ext-local"}, {"Hint", "PJSIP/1002"}, {"Status", "1"}});
  p.feed(listed("ExtensionStateListComplete", "esl"));
  EXPECT_TRUE(p.e.find_call("r1")->on_hold);
  EXPECT_EQ(p.e.find_call("r1")->held_by, "1002");
  EXPECT_EQ(p.ext_state("1003"), "on_hold");
}

TEST(Resync, StatusSecondsGiveTheStartOfAnUnseenChannel) {
  Pbx p;
  p.endpoint("1001");
  p.at(30);
  p.feed(listed("Status", "st") + chan("PJSIP/1001-00000009", "s9", "s9") + Fields{{"Seconds", "25"}, {"Application", "Echo"}});
  p.feed(listed("StatusComplete", "st"));
  ASSERT_NE(p.e.find_call("s9"), nullptr);
  EXPECT_EQ(p.e.find_call("s9")->started_at, p.now - 25000);
  EXPECT_EQ(p.e.find_channel("s9")->application, "Echo");
}

TEST(Resync, LiveEventsInterleavedWithTheListAreNotUndone) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1004");
  start_list(p, "csc");
  p.newchannel("PJSIP/1004-00000007", "live", "live");  // began after the list was taken
  p.feed(core_channel("PJSIP/1001-00000001", "l1", "l1", "00:00:03", ""));
  p.feed(listed("CoreShowChannelsComplete", "csc"));
  EXPECT_NE(p.e.find_call("live"), nullptr);
  EXPECT_NE(p.e.find_call("l1"), nullptr);
  // A hangup that arrives during a later list removes the channel for good.
  start_list(p, "csc2");
  p.feed(core_channel("PJSIP/1001-00000001", "l1", "l1", "00:00:04", ""));
  p.hangup("PJSIP/1001-00000001", "l1", "l1");
  p.feed(listed("CoreShowChannelsComplete", "csc2"));
  EXPECT_EQ(p.e.find_call("l1"), nullptr);
  EXPECT_EQ(p.e.find_call("live"), nullptr);  // not listed, not touched since: gone
}

TEST(Resync, QueueStatusReplacesMembershipOnlyOfTheListedQueues) {
  Pbx p;
  auto m = [](const std::string& event, const std::string& q, const std::string& iface, const std::string& aid) {
    Fields f = ev(event) + Fields{{"Queue", q}, {"Name", "Agent"}, {"Location", iface}, {"Membership", "static"},
                                  {"Status", "1"}, {"Paused", "0"}};
    if (!aid.empty()) f.emplace_back("ActionID", aid);
    return f;
  };
  p.feed(m("QueueMemberAdded", "support", "PJSIP/1005", ""));
  p.feed(m("QueueMemberAdded", "support", "PJSIP/1001", ""));
  p.feed(m("QueueMemberAdded", "sales", "PJSIP/1003", ""));
  start_list(p, "qs");
  p.feed(listed("QueueParams", "qs") + Fields{{"Queue", "support"}, {"Strategy", "ringall"}});
  p.feed(m("QueueMember", "support", "PJSIP/1001", "qs"));
  p.feed(listed("QueueStatusComplete", "qs"));
  const auto& support = p.e.state().queues.at("support").members;
  EXPECT_EQ(support.size(), 1u);
  EXPECT_EQ(support.count("PJSIP/1001"), 1u);
  EXPECT_EQ(p.e.state().queues.at("sales").members.size(), 1u);  // not listed: untouched
}

TEST(Resync, ContactListCompleteAndNoContactsErrorDropStaleContacts) {
  Pbx p;
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  auto contact = [](const std::string& ep, const std::string& uri, const std::string& aid) {
    Fields f = ev("ContactList") + Fields{{"Endpoint", ep}, {"Uri", uri}, {"Status", "Reachable"}, {"RoundtripUsec", "300"}};
    if (!aid.empty()) f.emplace_back("ActionID", aid);
    return f;
  };
  p.feed(contact("1001", "sip:old@1.1.1.1", ""));
  p.feed(contact("1002", "sip:b@1.1.1.2", ""));
  start_list(p, "cl");
  p.feed(contact("1001", "sip:new@1.1.1.1", "cl"));
  p.feed(listed("ContactListComplete", "cl"));
  EXPECT_EQ(p.e.find_extension("1001")->contacts.size(), 1u);
  EXPECT_EQ(p.e.find_extension("1001")->contacts.count("sip:new@1.1.1.1"), 1u);
  EXPECT_FALSE(p.e.find_extension("1002")->registered());
  p.e.on_connection_lost(p.now);
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  p.feed(Fields{{"Response", "Error"}, {"ActionID", "c2"}, {"Message", "No Contacts found\n"}});
  EXPECT_TRUE(p.e.find_extension("1001")->contacts.empty());
  EXPECT_FALSE(p.e.find_extension("1001")->registered());
}

TEST(Resync, ParkedCallsAndConferencesNotListedAnyMoreAreDropped) {
  Pbx p;
  p.newchannel("PJSIP/1004-00000001", "p1", "p1", 6);
  p.feed(ev("ParkedCall") + chan("PJSIP/1004-00000001", "p1", "p1", 6, "Parkee") +
         Fields{{"Parkinglot", "default"}, {"ParkingSpace", "701"}});
  p.feed(ev("ConfbridgeStart") + Fields{{"Conference", "800"}});
  p.feed(listed("ParkedCallsComplete", "pk"));
  p.feed(listed("ConfbridgeListRoomsComplete", "cr"));
  // No run was opened for these ActionIDs (no list items, no start): nothing is assumed.
  EXPECT_EQ(p.e.state().parked.size(), 1u);
  start_list(p, "pk2");
  start_list(p, "cr2");
  p.feed(listed("ParkedCallsComplete", "pk2"));
  p.feed(listed("ConfbridgeListRoomsComplete", "cr2"));
  EXPECT_TRUE(p.e.state().parked.empty());
  EXPECT_TRUE(p.e.state().conferences.empty());
}

TEST(Resync, AnEmptyChannelListAfterReconnectEndsEveryCallNotSeenSince) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1002");
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  p.answered_call("PJSIP/1001-00000001", "e1", "PJSIP/1002-00000002", "e2");
  p.e.on_connection_lost(p.now);
  p.e.on_connection_start(p.now, "Asterisk Call Manager/11.0.0");
  // Only the Complete arrives (its start frame was lost): ListItems 0.
  p.feed(listed("CoreShowChannelsComplete", "csc-9") + Fields{{"ListItems", "0"}});
  EXPECT_EQ(p.visible_calls(), 0u);
  EXPECT_TRUE(p.e.state().channels.empty());
  EXPECT_EQ(p.ext_state("1001"), "idle");
}
