// Extensions: hint codes and their combinations, registration from PJSIP contacts and
// chan_sip peers, DND from AstDB and custom device states, what does not make an extension.
#include <gtest/gtest.h>

#include "pbx_test_util.hpp"

using namespace opdesk::pbx;
using namespace opdesk::pbx::test;

namespace {
Fields hint(const std::string& ext, int status, const std::string& hint_dev = "") {
  return ev("ExtensionStatus") + Fields{{"Exten", ext}, {"Context", "ext-local"},
                                        {"Hint", hint_dev.empty() ? "PJSIP/" + ext : hint_dev},
                                        {"Status", std::to_string(status)}, {"StatusText", "x"}};
}
}  // namespace

TEST(Extensions, HintCodesAndCombinationsMapToPanelStates) {
  EXPECT_EQ(ext_state_from_hint(0), ExtState::kIdle);
  EXPECT_EQ(ext_state_from_hint(1), ExtState::kInCall);
  EXPECT_EQ(ext_state_from_hint(2), ExtState::kBusy);
  EXPECT_EQ(ext_state_from_hint(4), ExtState::kUnavailable);
  EXPECT_EQ(ext_state_from_hint(8), ExtState::kRinging);
  EXPECT_EQ(ext_state_from_hint(9), ExtState::kRinging);   // InUse&Ringing shows ringing
  EXPECT_EQ(ext_state_from_hint(16), ExtState::kOnHold);
  EXPECT_EQ(ext_state_from_hint(17), ExtState::kOnHold);   // InUse&Hold
  EXPECT_EQ(ext_state_from_hint(-1), ExtState::kUnavailable);
  EXPECT_EQ(hint_text(9), "InUse&Ringing");
  EXPECT_EQ(hint_text(17), "InUse&Hold");
}

TEST(Extensions, ExtensionStatusCreatesPhoneExtensionsAndFollowsTheHint) {
  Pbx p;
  p.feed(hint("1001", 0));
  ASSERT_NE(p.e.find_extension("1001"), nullptr);
  EXPECT_EQ(p.e.find_extension("1001")->tech, "PJSIP");
  EXPECT_EQ(p.e.find_extension("1001")->context, "ext-local");
  EXPECT_EQ(p.ext_state("1001"), "idle");
  p.feed(hint("1001", 9));
  EXPECT_EQ(p.ext_state("1001"), "ringing");
  p.feed(hint("1001", 17));
  EXPECT_EQ(p.ext_state("1001"), "on_hold");
  p.feed(hint("1001", 2));
  EXPECT_EQ(p.ext_state("1001"), "busy");
}

TEST(Extensions, QueueParkAndCustomHintsDoNotBecomeExtensions) {
  Pbx p;
  p.feed(hint("5001", 0, "Queue:support_avail"));
  p.feed(hint("701", 0, "park:701@default"));
  p.feed(hint("*761001", 0, "Custom:DND1001"));
  EXPECT_TRUE(p.e.state().extensions.empty());
}

TEST(Extensions, PjsipContactsDecideRegistration) {
  Pbx p;
  p.endpoint("1007", false);
  EXPECT_FALSE(p.e.find_extension("1007")->registered());
  EXPECT_EQ(p.ext_state("1007"), "unavailable");
  Fields contact{{"URI", "sip:1007@127.0.0.1:5170"}, {"AOR", "1007"}, {"EndpointName", "1007"},
                 {"RoundtripUsec", "420"}};
  p.feed(ev("ContactStatus") + contact + Fields{{"ContactStatus", "NonQualified"}});
  EXPECT_TRUE(p.e.find_extension("1007")->registered());
  p.feed(ev("ContactStatus") + contact + Fields{{"ContactStatus", "Reachable"}});
  const Contact& c = p.e.find_extension("1007")->contacts.begin()->second;
  EXPECT_EQ(c.status, "Reachable");
  EXPECT_DOUBLE_EQ(c.rtt_ms, 0.42);
  p.feed(ev("ContactStatus") + contact + Fields{{"ContactStatus", "Unreachable"}});
  EXPECT_FALSE(p.e.find_extension("1007")->registered());
  p.feed(ev("ContactStatus") + contact + Fields{{"ContactStatus", "Removed"}});
  EXPECT_TRUE(p.e.find_extension("1007")->contacts.empty());
  EXPECT_FALSE(p.e.find_extension("1007")->registered());
}

TEST(Extensions, WebRtcContactsMarkTheExtension) {
  Pbx p;
  p.feed(ev("ContactList") + Fields{{"Endpoint", "1101"}, {"Uri", "sip:abc@127.0.0.1:4444;transport=ws"},
                                    {"Status", "NonQualified"}, {"UserAgent", "JsSIP 3.13.8"}});
  ASSERT_NE(p.e.find_extension("1101"), nullptr);
  EXPECT_TRUE(p.e.find_extension("1101")->webrtc);
  EXPECT_EQ(p.e.find_extension("1101")->user_agent, "JsSIP 3.13.8");
  EXPECT_TRUE(p.e.find_extension("1101")->registered());
}

TEST(Extensions, ChanSipPeersRegisterThroughSipPeersAndPeerStatus) {
  Pbx p;
  p.feed(ev("PeerEntry") + Fields{{"Channeltype", "SIP"}, {"ObjectName", "2001"}, {"IPaddress", "10.0.0.9"},
                                  {"IPport", "5060"}, {"Status", "OK (12 ms)"}, {"ActionID", "p-1"}});
  const Extension* x = p.e.find_extension("2001");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->tech, "SIP");
  EXPECT_TRUE(x->registered());
  EXPECT_EQ(x->contacts.at("peer").uri, "10.0.0.9:5060");
  EXPECT_DOUBLE_EQ(x->contacts.at("peer").rtt_ms, 12.0);
  p.feed(ev("PeerEntry") + Fields{{"Channeltype", "SIP"}, {"ObjectName", "2002"}, {"IPaddress", "-none-"},
                                  {"Status", "UNKNOWN"}});
  EXPECT_FALSE(p.e.find_extension("2002")->registered());
  p.feed(ev("PeerStatus") + Fields{{"ChannelType", "SIP"}, {"Peer", "SIP/2001"}, {"PeerStatus", "Unreachable"},
                                   {"Address", "10.0.0.9:5060"}});
  EXPECT_FALSE(p.e.find_extension("2001")->registered());
  p.feed(ev("PeerStatus") + Fields{{"ChannelType", "IAX2"}, {"Peer", "IAX2/3001"}, {"PeerStatus", "Registered"},
                                   {"Address", "10.0.0.7:4569"}});
  EXPECT_TRUE(p.e.find_extension("3001")->registered());
  EXPECT_EQ(p.e.find_extension("3001")->tech, "IAX2");
}

TEST(Extensions, DndComesFromAstDbCustomDevicesAndSetDnd) {
  Pbx p;
  p.endpoint("1001");
  p.endpoint("1002");
  p.feed(ev("DBGetResponse") + Fields{{"Family", "DND"}, {"Key", "1001"}, {"Val", "YES"}});
  EXPECT_TRUE(p.e.find_extension("1001")->dnd);
  p.feed(ev("DBGetTreeResponse") + Fields{{"Key", "/DND/1002"}, {"Val", "YES"}});
  EXPECT_TRUE(p.e.find_extension("1002")->dnd);
  p.feed(ev("DBGetResponse") + Fields{{"Family", "DND"}, {"Key", "1001"}, {"Val", ""}});
  EXPECT_FALSE(p.e.find_extension("1001")->dnd);
  p.feed(ev("DeviceStateChange") + Fields{{"Device", "Custom:DND1001"}, {"State", "INUSE"}});
  EXPECT_TRUE(p.e.find_extension("1001")->dnd);
  p.feed(ev("DeviceStateChange") + Fields{{"Device", "Custom:DND1001"}, {"State", "NOT_INUSE"}});
  EXPECT_FALSE(p.e.find_extension("1001")->dnd);
  p.e.take_changes();
  p.e.set_dnd("1001", true, p.now);
  auto b = p.e.take_changes();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->changes[0].id, "1001");
  EXPECT_TRUE(p.e.find_extension("1001")->dnd);
  p.e.set_dnd("9999", true, p.now);  // unknown extension: nothing happens
  EXPECT_FALSE(p.e.take_changes());
}

TEST(Extensions, NamesComeFromTheDirectoryOrThePhonesCallerName) {
  Pbx p;
  p.endpoint("1001");
  p.newchannel("PJSIP/1001-00000001", "1.1", "1.1");
  EXPECT_EQ(p.e.find_extension("1001")->name, "Ext 1001");
  p.e.set_extension_name("1001", "Alice");
  EXPECT_EQ(p.e.find_extension("1001")->name, "Alice");
}
