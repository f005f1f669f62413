// AMI protocol behaviour of the simulator's server: authentication (plain and MD5
// challenge), event filtering, unknown actions, LF-only input from nc, garbage bytes, a client
// that never reads, and many connects/disconnects, while other clients keep being served.
#include <openssl/evp.h>

#include <cstdio>

#include "flow_check.hpp"

namespace opdesk::sim::test {
namespace {

std::string md5_hex(const std::string& in) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_md5(), nullptr);
  std::string out;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    out += b;
  }
  return out;
}

TEST(SimProtocol, WrongSecretIsRefusedAndTheConnectionClosed) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  c.send({{"Action", "Login"}, {"ActionID", "l1"}, {"Username", "opdesk"}, {"Secret", "wrong"}});
  auto resp = c.response("l1");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->response(), "Error");
  EXPECT_EQ(resp->get("Message"), "Authentication failed");
  EXPECT_FALSE(c.next(std::chrono::milliseconds(2000)));
  EXPECT_TRUE(c.closed);
}

TEST(SimProtocol, ActionsBeforeLoginArePermissionDenied) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  c.send({{"Action", "CoreShowChannels"}, {"ActionID", "x"}});
  auto resp = c.response("x");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->get("Message"), "Permission denied");
}

TEST(SimProtocol, Md5ChallengeLoginWorksAndAWrongKeyFails) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  c.send({{"Action", "Challenge"}, {"ActionID", "c1"}, {"AuthType", "MD5"}});
  auto ch = c.response("c1");
  ASSERT_TRUE(ch);
  std::string challenge(ch->get("Challenge"));
  ASSERT_FALSE(challenge.empty());
  c.send({{"Action", "Login"}, {"ActionID", "l1"}, {"AuthType", "MD5"}, {"Username", "opdesk"},
          {"Key", md5_hex(challenge + r.options.secret)}});
  auto ok = c.response("l1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->get("Message"), "Authentication accepted");

  AmiClient bad(r.sim->port());
  bad.send({{"Action", "Challenge"}, {"ActionID", "c1"}, {"AuthType", "MD5"}});
  ASSERT_TRUE(bad.response("c1"));
  bad.send({{"Action", "Login"}, {"ActionID", "l1"}, {"AuthType", "MD5"}, {"Username", "opdesk"},
            {"Key", md5_hex("not-the-challenge" + r.options.secret)}});
  auto no = bad.response("l1");
  ASSERT_TRUE(no);
  EXPECT_EQ(no->get("Message"), "Authentication failed");
}

TEST(SimProtocol, EventsOffSilencesEventsButActionsStillAnswerAndEventsOnResumes) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret, "off"));
  CallPlan p;
  p.from = "1001";
  p.to = "1002";
  p.ring = 1;
  p.talk = 2;
  r.sim->call(p);
  c.send({{"Action", "Ping"}, {"ActionID", "p1"}});
  auto pong = c.response("p1");
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->get("Ping"), "Pong");
  c.drain(std::chrono::milliseconds(300));  // the call (3 s simulated) is over
  EXPECT_EQ(count_events(c.frames, "Newchannel"), 0u);
  c.send({{"Action", "Events"}, {"ActionID", "e1"}, {"EventMask", "on"}});
  auto on = c.response("e1");
  ASSERT_TRUE(on);
  EXPECT_EQ(on->get("Events"), "On");
  r.sim->call(p);
  EXPECT_TRUE(c.until_event("Newchannel"));
}

TEST(SimProtocol, AnEventClassMaskDeliversOnlyThoseClasses) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret, "cdr"));
  CallPlan p;
  p.from = "1001";
  p.to = "1002";
  p.ring = 1;
  p.talk = 1;
  r.sim->call(p);
  ASSERT_TRUE(c.until_event("Cdr"));
  for (auto& m : c.frames) {
    if (m.has("Event")) {
      EXPECT_EQ(m.get("Privilege").substr(0, 3), "cdr") << m.event();
    }
  }
}

TEST(SimProtocol, UnknownActionGetsAsteriskError) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.send({{"Action", "FrobnicateEverything"}, {"ActionID", "u1"}});
  auto resp = c.response("u1");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->response(), "Error");
  EXPECT_EQ(resp->get("Message"), "Invalid/unknown command");
}

TEST(SimProtocol, LfOnlyInputFromNcIsAccepted) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  c.send_raw("Action: Login\nActionID: nc1\nUsername: opdesk\nSecret: " + r.options.secret +
             "\n\nAction: Ping\nActionID: nc2\n\n");
  auto login = c.response("nc1");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->response(), "Success");
  EXPECT_TRUE(c.response("nc2"));
  auto actions = r.sim->received_actions();
  ASSERT_GE(actions.size(), 2u);
  EXPECT_NE(actions.back().find("Ping"), std::string::npos);
  EXPECT_NE(actions.front().find("Secret: ***"), std::string::npos) << "recorded actions hide the secret";
  EXPECT_EQ(actions.front().find(r.options.secret), std::string::npos);
}

TEST(SimProtocol, GarbageBytesGetErrorsAndTheSessionKeepsWorking) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 37 + 11) % 256));
  c.send_raw(junk + "\r\n\r\n");
  c.send({{"Action", "Ping"}, {"ActionID", "after-junk"}});
  auto pong = c.response("after-junk");
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->get("Ping"), "Pong");
  bool complained = false;
  for (auto& m : c.frames) complained = complained || m.get("Message") == "Missing action in request";
  EXPECT_TRUE(complained);
}

TEST(SimProtocol, AClientThatNeverReadsIsDroppedWhileOthersKeepBeingServed) {
  SimOptions o = lab_options();
  o.extensions = 500;
  o.max_output_bytes = 256 * 1024;
  SimRunner r(o);
  AmiClient stalled(r.sim->port());
  ASSERT_TRUE(stalled.login(r.options.secret));
  AmiClient good(r.sim->port());
  ASSERT_TRUE(good.login(r.options.secret));
  // ~40 KB per answer, 400 answers: far more than the socket buffers plus the 256 KiB cap.
  std::string burst;
  for (int i = 0; i < 400; ++i) burst += "Action: DeviceStateList\r\nActionID: d" + std::to_string(i) + "\r\n\r\n";
  stalled.send_raw(burst);  // and never read again
  auto end = Clock::now() + std::chrono::seconds(20);
  while (r.sim->stats().clients_dropped_slow == 0 && Clock::now() < end) good.next(std::chrono::milliseconds(100));
  EXPECT_EQ(r.sim->stats().clients_dropped_slow, 1u);
  good.send({{"Action", "Ping"}, {"ActionID", "still-there"}});
  EXPECT_TRUE(good.response("still-there"));
}

TEST(SimProtocol, AThousandConnectsAndDisconnectsLeaveTheServerServing) {
  SimRunner r(lab_options());
  for (int i = 0; i < 1000; ++i) {
    AmiClient c(r.sim->port());
    if (i % 3 == 0) c.send_raw("Action: Login\r\nUsername: opdesk\r\n");  // half a frame, then gone
    c.close();
  }
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.send({{"Action", "Ping"}, {"ActionID", "alive"}});
  EXPECT_TRUE(c.response("alive"));
  auto end = Clock::now() + std::chrono::seconds(5);
  // stats() is a snapshot refreshed by a timer: wait until it has caught up with the churn.
  while ((r.sim->stats().clients_active != 1 || r.sim->stats().clients_accepted < 1001) && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(r.sim->stats().clients_active, 1u);
  EXPECT_GE(r.sim->stats().clients_accepted, 1001u);
}

}  // namespace
}  // namespace opdesk::sim::test

namespace opdesk::sim::test {
namespace {

TEST(SimProtocol, AnActionSentOneByteAtATimeIsAnswered) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  std::string login = "Action: Login\r\nActionID: slow\r\nUsername: opdesk\r\nSecret: " + r.options.secret + "\r\n\r\n";
  for (char ch : login) c.send_raw(std::string(1, ch));
  auto resp = c.response("slow");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->get("Message"), "Authentication accepted");
}

}  // namespace
}  // namespace opdesk::sim::test

namespace opdesk::sim::test {
namespace {

TEST(SimProtocol, AValueContinuedOnASecondLineIsRefusedSoNothingIsInjectedIntoEvents) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.send_raw("Action: QueuePause\r\nActionID: inj\r\nInterface: PJSIP/1001\r\nPaused: true\r\n"
             "Reason: Lunch\r\nfake line without a colon\r\n\r\n");
  auto resp = c.response("inj");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->response(), "Error");
  EXPECT_EQ(resp->get("Message"), "Invalid line break in a field");
  c.drain(std::chrono::milliseconds(100));
  EXPECT_EQ(count_events(c.frames, "QueueMemberPause"), 0u);
}

}  // namespace
}  // namespace opdesk::sim::test
