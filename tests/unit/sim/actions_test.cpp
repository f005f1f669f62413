// Panel actions with their real effects: Hangup, Park + ParkedCalls + pickup, DND in AstDB
// (DBPut/DBGet/DBGetTree/DBDel, and a DND phone answers busy), ConfBridge + its list,
// QueueStatus with a waiting caller, CoreSettings/CoreStatus/Command, MixMonitor, PlayDTMF.
#include <set>

#include "flow_check.hpp"

namespace opdesk::sim::test {
namespace {

struct Lab {
  SimRunner r{lab_options()};
  AmiClient c{r.sim->port()};
  Lab() {
    EXPECT_TRUE(c.login(r.options.secret));
    c.sync();
  }
  std::string channel_of(const std::string& ext) {
    for (auto& m : c.frames)
      if (m.is_event("Newchannel") && m.get("Channel").substr(0, 6 + ext.size()) == "PJSIP/" + ext)
        return std::string(m.get("Channel"));
    return "";
  }
  size_t mark = 0;  // frames index before the last act()
  std::optional<ami::Message> act(std::vector<std::pair<std::string, std::string>> f, const std::string& id) {
    f.insert(f.begin() + 1, {"ActionID", id});
    mark = c.frames.size();
    c.send(f);
    return c.response(id);
  }
};

CallPlan talk(std::string from, std::string to, double secs = 100) {
  CallPlan p;
  p.from = std::move(from);
  p.to = std::move(to);
  p.ring = 1;
  p.talk = secs;
  return p;
}

TEST(SimActions, HangupEndsABridgedCallAndAnswersChannelHungup) {
  Lab l;
  l.r.sim->call(talk("1001", "1002"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  auto resp = l.act({{"Action", "Hangup"}, {"Channel", l.channel_of("1002")}}, "h1");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->get("Message"), "Channel Hungup");
  ASSERT_TRUE(l.c.seen_or_until("Cdr", l.mark));
  EXPECT_EQ(count_events(l.c.after_sync(), "Hangup"), 2u);
  auto none = l.act({{"Action", "Hangup"}, {"Channel", "PJSIP/1002-deadbeef"}}, "h2");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->get("Message"), "No such channel");
}

TEST(SimActions, ParkListsTheCallAndDiallingTheSpaceRetrievesIt) {
  Lab l;
  l.r.sim->call(talk("1001", "1002"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  auto resp = l.act({{"Action", "Park"}, {"Channel", l.channel_of("1001")}, {"TimeoutChannel", l.channel_of("1002")}}, "p1");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->get("Message").substr(0, 15), "Park successful");
  auto parked = l.c.seen_or_until("ParkedCall", l.mark);
  ASSERT_TRUE(parked);
  EXPECT_EQ(parked->get("ParkingSpace"), "701");
  l.c.send({{"Action", "ParkedCalls"}, {"ActionID", "pl"}});
  auto done = l.c.until_event("ParkedCallsComplete");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->get("ListItems"), "1");
  l.r.sim->call(talk("1003", "701", 2));
  auto un = l.c.until_event("UnParkedCall");
  ASSERT_TRUE(un);
  EXPECT_EQ(un->get("ParkeeChannel"), l.channel_of("1001"));
  EXPECT_EQ(un->get("RetrieverChannel").substr(0, 10), "PJSIP/1003");
}

TEST(SimActions, DndInAstDbIsStoredListedDeletedAndMakesThePhoneBusy) {
  Lab l;
  auto put = l.act({{"Action", "DBPut"}, {"Family", "DND"}, {"Key", "1002"}, {"Val", "YES"}}, "d1");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->get("Message"), "Updated database successfully");
  l.c.send({{"Action", "DBGet"}, {"ActionID", "d2"}, {"Family", "DND"}, {"Key", "1002"}});
  auto got = l.c.until_event("DBGetResponse");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->get("Val"), "YES");
  l.c.send({{"Action", "DBGetTree"}, {"ActionID", "d3"}, {"Family", "DND"}});
  auto tree = l.c.until_event("DBGetTreeResponse");
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->get("Key"), "/DND/1002");
  l.r.sim->set_reaction("1002", talk("", ""));
  auto c2c = l.act({{"Action", "Originate"}, {"Channel", "PJSIP/1001"}, {"Context", "from-internal"}, {"Exten", "1002"},
                    {"Async", "true"}}, "o1");
  ASSERT_TRUE(c2c);
  auto end = l.c.seen_or_until("DialEnd", l.mark, "DialStatus", "BUSY");
  EXPECT_TRUE(end) << "a DND phone answers busy";
  auto del = l.act({{"Action", "DBDel"}, {"Family", "DND"}, {"Key", "1002"}}, "d4");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->get("Message"), "Key deleted successfully");
  auto again = l.act({{"Action", "DBGet"}, {"Family", "DND"}, {"Key", "1002"}}, "d5");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->get("Message"), "Database entry not found");
}

TEST(SimActions, ConferenceRoomShowsInConfbridgeListRooms) {
  Lab l;
  auto empty = l.act({{"Action", "ConfbridgeListRooms"}}, "c0");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->response(), "Error");
  l.r.sim->call(talk("1001", "800"));
  l.r.sim->call(talk("1002", "800"));
  ASSERT_TRUE(l.c.until_event("ConfbridgeJoin"));
  ASSERT_TRUE(l.c.until_event("ConfbridgeJoin"));
  l.c.send({{"Action", "ConfbridgeListRooms"}, {"ActionID", "c1"}});
  auto room = l.c.until_event("ConfbridgeListRooms");
  ASSERT_TRUE(room);
  EXPECT_EQ(room->get("Conference"), "800");
  EXPECT_EQ(room->get("Parties"), "2");
}

TEST(SimActions, QueueStatusShowsAWaitingCallerAsQueueEntry) {
  Lab l;
  for (const char* e : {"1001", "1002"}) l.r.sim->set_reaction(e, talk("", ""));  // members busy elsewhere
  l.r.sim->call(talk("1001", "1008"));
  l.r.sim->call(talk("1002", "1007"));
  l.r.sim->call(talk("1005", "5001"));
  ASSERT_TRUE(l.c.until_event("QueueCallerJoin"));
  l.c.send({{"Action", "QueueStatus"}, {"ActionID", "q1"}, {"Queue", "support"}});
  auto entry = l.c.until_event("QueueEntry");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->get("Position"), "1");
  EXPECT_EQ(entry->get("Channel").substr(0, 10), "PJSIP/1005");
}

TEST(SimActions, CoreSettingsStatusAndCommandAnswerLikeAsterisk22) {
  Lab l;
  auto s = l.act({{"Action", "CoreSettings"}}, "s1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->get("AsteriskVersion"), "22.9.0");
  EXPECT_EQ(s->get("AMIversion"), "11.0.0");
  auto st = l.act({{"Action", "CoreStatus"}}, "s2");
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->has("CoreStartupTime"));
  EXPECT_EQ(st->get("CoreCurrentCalls"), "0");
  auto cmd = l.act({{"Action", "Command"}, {"Command", "core show version"}}, "s3");
  ASSERT_TRUE(cmd);
  EXPECT_NE(cmd->get("Output").find("Asterisk 22.9.0"), std::string_view::npos);
}

TEST(SimActions, MixMonitorAndPlayDtmfActOnTheChannel) {
  Lab l;
  l.r.sim->call(talk("1001", "1002"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  std::string ch = l.channel_of("1002");
  auto mm = l.act({{"Action", "MixMonitor"}, {"Channel", ch}, {"File", "/tmp/x.wav"}}, "m1");
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->response(), "Success");
  EXPECT_TRUE(l.c.seen_or_until("MixMonitorStart", l.mark, "Channel", ch));
  auto stop = l.act({{"Action", "StopMixMonitor"}, {"Channel", ch}}, "m2");
  ASSERT_TRUE(stop);
  EXPECT_TRUE(l.c.seen_or_until("MixMonitorStop", l.mark, "Channel", ch));
  auto dtmf = l.act({{"Action", "PlayDTMF"}, {"Channel", ch}, {"Digit", "5"}}, "m3");
  ASSERT_TRUE(dtmf);
  auto ev = l.c.seen_or_until("DTMFEnd", l.mark, "Channel", ch);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->get("Digit"), "5");
}

}  // namespace
}  // namespace opdesk::sim::test

namespace opdesk::sim::test {
namespace {

TEST(SimActions, AtxferConsultsTheTargetThroughLocalChannelsThenMergesOnHangup) {
  Lab l;
  CallPlan target;
  target.ring = 2;
  target.talk = 5;
  l.r.sim->set_reaction("1003", target);
  l.r.sim->call(talk("1001", "1002", 200));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  ASSERT_TRUE(l.c.until_event("BridgeEnter"));
  std::string transferer = l.channel_of("1002");
  auto resp = l.act({{"Action", "Atxfer"}, {"Channel", transferer}, {"Exten", "1003"}, {"Context", "from-internal"}}, "a1");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->get("Message"), "Atxfer successfully queued");
  ASSERT_TRUE(l.c.until_event("LocalOptimizationEnd"));
  auto hung = l.act({{"Action", "Hangup"}, {"Channel", transferer}}, "a2");  // completes the transfer
  ASSERT_TRUE(hung);
  auto merged = l.c.seen_or_until("AttendedTransfer", l.mark);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->get("TransfereeChannel").substr(0, 10), "PJSIP/1001");
  EXPECT_EQ(merged->get("TransferTargetChannel").substr(0, 10), "PJSIP/1003");
  // The transferee and the target end up talking; then the call ends normally.
  while (count_events(l.c.after_sync(), "Hangup") < 5)
    if (!l.c.next(std::chrono::milliseconds(5000))) break;
  auto frames = l.c.after_sync();
  std::string digits;
  for (auto& m : frames)
    if (m.is_event("DTMFEnd") && m.get("Channel") == transferer) digits += std::string(m.get("Digit"));
  EXPECT_EQ(digits, "*21003");
  for (const char* e : {"LocalBridge", "LocalOptimizationBegin", "BridgeMerge"}) EXPECT_EQ(count_events(frames, e), 1u) << e;
  std::set<std::string> locals;
  for (auto& m : frames)
    if (m.is_event("Newchannel") && m.get("Channel").substr(0, 6) == "Local/") locals.insert(std::string(m.get("Channel")));
  ASSERT_EQ(locals.size(), 2u);
  EXPECT_EQ(locals.begin()->substr(locals.begin()->size() - 2), ";1");
  EXPECT_EQ(count_events(frames, "Hangup"), 5u);  // 1002, both Local halves, then 1001 and 1003
  std::set<std::string> dead;
  for (auto& m : frames) {
    std::string ch(m.get("Channel"));
    if (!ch.empty() && dead.count(ch) && !m.is_event("Cdr")) ADD_FAILURE() << m.event() << " after Hangup of " << ch;
    if (m.is_event("Hangup")) dead.insert(ch);
  }
}

}  // namespace
}  // namespace opdesk::sim::test
