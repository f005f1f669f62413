// AmiNames: extension names learned from the AMI frames a real Asterisk sends (field names as
// in res_pjsip's EndpointDetail, chan_sip's SIPshowpeer answer, astdb DBGetTreeResponse and
// Newchannel), the precedence of configured names over channel names, and the map's cap.
#include <gtest/gtest.h>

#include "directory/ami_names.hpp"
#include "pbx/engine.hpp"

namespace opdesk::directory {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;
ami::Message msg(const Fields& f) { return ami::Message::from_fields(f); }

ami::Message endpoint_detail(const std::string& ext, const std::string& callerid) {
  return msg({{"Event", "EndpointDetail"}, {"ActionID", "7"}, {"ObjectType", "endpoint"},
              {"ObjectName", ext}, {"Callerid", callerid}, {"Context", "from-internal"}});
}

ami::Message newchannel(const std::string& chan, const std::string& num, const std::string& name) {
  return msg({{"Event", "Newchannel"}, {"Channel", chan}, {"ChannelState", "4"}, {"CallerIDNum", num},
              {"CallerIDName", name}, {"Uniqueid", "1.1"}, {"Linkedid", "1.1"}});
}

TEST(AmiNames, CallerIdNameIsTheQuotedPartBeforeTheNumber) {
  EXPECT_EQ(AmiNames::callerid_name("\"Alice Smith\" <1001>"), "Alice Smith");
  EXPECT_EQ(AmiNames::callerid_name("Bob <1002>"), "Bob");
  EXPECT_EQ(AmiNames::callerid_name("<1003>"), "");
  EXPECT_EQ(AmiNames::callerid_name("\"<unknown>\" <1004>"), "");
  EXPECT_EQ(AmiNames::callerid_name("Carol 李"), "Carol 李");
  EXPECT_EQ(AmiNames::callerid_name(""), "");
}

TEST(AmiNames, EndpointDetailCalleridNamesThePjsipEndpoint) {
  AmiNames n;
  n.on_frame(endpoint_detail("1001", "\"Alice Smith\" <1001>"));
  n.on_frame(endpoint_detail("1002", "<1002>"));  // no name configured
  EXPECT_EQ(n.name_of("1001"), "Alice Smith");
  EXPECT_EQ(n.name_of("1002"), "");
  EXPECT_EQ(n.size(), 1u);
}

TEST(AmiNames, SipShowPeerAnswerAndAmpuserTreeNameTheirExtensions) {
  AmiNames n;
  n.on_frame(msg({{"Response", "Success"}, {"ActionID", "3"}, {"Channeltype", "SIP"},
                  {"ObjectName", "2001"}, {"Callerid", "\"Front Desk\" <2001>"}}));
  n.on_frame(msg({{"Event", "DBGetTreeResponse"}, {"Key", "/AMPUSER/3001/cidname"}, {"Val", "Sales Lead"}}));
  n.on_frame(msg({{"Event", "DBGetTreeResponse"}, {"Key", "/AMPUSER/3001/cidnum"}, {"Val", "3001"}}));
  n.on_frame(msg({{"Event", "DBGetTreeResponse"}, {"Key", "/DND/3001"}, {"Val", "YES"}}));
  EXPECT_EQ(n.name_of("2001"), "Front Desk");
  EXPECT_EQ(n.name_of("3001"), "Sales Lead");
  EXPECT_EQ(n.size(), 2u);
}

TEST(AmiNames, AChannelNameFillsAGapButNeverReplacesAConfiguredName) {
  AmiNames n;
  n.on_frame(newchannel("PJSIP/1001-00000001", "1001", "Alice (desk)"));
  EXPECT_EQ(n.name_of("1001"), "Alice (desk)");
  n.on_frame(endpoint_detail("1001", "\"Alice Smith\" <1001>"));
  EXPECT_EQ(n.name_of("1001"), "Alice Smith");
  n.on_frame(newchannel("PJSIP/1001-00000002", "1001", "Alice mobile"));
  EXPECT_EQ(n.name_of("1001"), "Alice Smith");
  // A trunk channel, a Local channel or a caller id that is not the phone's own number teach nothing.
  n.on_frame(newchannel("PJSIP/trunk-00000003", "+4121555", "Some Client"));
  n.on_frame(newchannel("Local/1002@from-queue-00000004;1", "1002", "Queue leg"));
  n.on_frame(newchannel("PJSIP/1003-00000005", "1009", "Forwarded"));
  n.on_frame(newchannel("PJSIP/1004-00000006", "1004", "<unknown>"));
  EXPECT_EQ(n.size(), 1u);
}

TEST(AmiNames, TheMapStopsGrowingAtItsCap) {
  AmiNames n;
  for (size_t i = 0; i < AmiNames::kMaxNames + 10; ++i) {
    auto ext = std::to_string(100000 + i);
    n.on_frame(endpoint_detail(ext, "\"User " + ext + "\" <" + ext + ">"));
  }
  EXPECT_EQ(n.size(), AmiNames::kMaxNames);
  // Known numbers are still updated at the cap.
  n.on_frame(endpoint_detail("100000", "\"Renamed\" <100000>"));
  EXPECT_EQ(n.name_of("100000"), "Renamed");
}

TEST(AmiNames, EntriesListWhatTheEngineDiscoveredWithTheLearnedNames) {
  pbx::Engine e;
  e.apply(msg({{"Event", "EndpointList"}, {"ObjectName", "1001"}, {"Transport", "transport-udp"},
               {"Contacts", "1001/sip:1001@10.0.0.1:5060,"}, {"DeviceState", "Not in use"}}), 1);
  e.apply(msg({{"Event", "EndpointList"}, {"ObjectName", "1002"}, {"Transport", "transport-wss"},
               {"Contacts", ""}, {"DeviceState", "Unavailable"}}), 1);
  e.apply(msg({{"Event", "QueueParams"}, {"Queue", "5001"}, {"Strategy", "ringall"}, {"Max", "0"}}), 1);
  AmiNames n;
  n.on_frame(endpoint_detail("1001", "\"Alice\" <1001>"));
  auto ext = n.extensions(e.state());
  ASSERT_EQ(ext.size(), 2u);
  EXPECT_EQ(ext[0].number, "1001");
  EXPECT_EQ(ext[0].name, "Alice");
  EXPECT_EQ(ext[0].tech, "PJSIP");
  EXPECT_EQ(ext[1].name, "");
  auto q = n.queues(e.state());
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].number, "5001");
  EXPECT_EQ(q[0].kind, "queue");
}

}  // namespace
}  // namespace opdesk::directory
