// AMI client against a real TCP AMI peer on loopback (tests/support/fake_ami_peer).
#include "ami/client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "support/fake_ami_peer.hpp"

namespace opdesk::ami {
namespace {

using opdesk::test::ami_frame;
using opdesk::test::AmiFrame;
using opdesk::test::FakeAmiPeer;
using opdesk::test::run_until;
using namespace std::chrono_literals;

ClientOptions options_for(const FakeAmiPeer& peer) {
  ClientOptions o;
  o.port = peer.port();
  o.username = "opdesk";
  o.secret = "s3cret";
  o.backoff_min = 20ms;
  o.backoff_max = 200ms;
  o.action_timeout = 3000ms;
  o.ping_interval = 60000ms;
  return o;
}

// Runs client.send() as a coroutine and stores its result.
struct Sent {
  std::optional<ActionResult> result;
};
std::shared_ptr<Sent> spawn_send(boost::asio::io_context& io, Client& c, Action a, bool list = false,
                                 std::chrono::milliseconds timeout = {}) {
  auto s = std::make_shared<Sent>();
  boost::asio::co_spawn(
      io,
      [&c, s, a = std::move(a), list, timeout]() mutable -> boost::asio::awaitable<void> {
        s->result = co_await c.send(std::move(a), list, timeout);
      },
      boost::asio::detached);
  return s;
}

struct ClientTest : ::testing::Test {
  boost::asio::io_context io;
  FakeAmiPeer peer{io, FakeAmiPeer::Options{}};
  std::vector<std::string> banners;
  std::vector<std::string> frames;  // Event or Response names in arrival order
  int logins = 0;
  std::vector<std::string> disconnects;

  std::unique_ptr<Client> make(ClientOptions o) {
    auto c = std::make_unique<Client>(io.get_executor(), std::move(o));
    c->on_banner = [this](std::string_view b) { banners.emplace_back(b); };
    c->on_login = [this] { ++logins; };
    c->on_frame = [this](const Message& m) {
      frames.emplace_back(m.event().empty() ? "R:" + std::string(m.response()) : std::string(m.event()));
    };
    c->on_disconnect = [this](std::string_view r) { disconnects.emplace_back(r); };
    return c;
  }
};

TEST_F(ClientTest, LogsInWithPlainSecretAndEventsOn) {
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  ASSERT_EQ(banners, std::vector<std::string>{"Asterisk Call Manager/11.0.0"});
  auto login = peer.received_actions("Login");
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(login[0].get("Secret"), "s3cret");
  EXPECT_EQ(login[0].get("Events"), "on");
  EXPECT_EQ(login[0].action_id(), "opdesk-login-1");
  EXPECT_EQ(logins, 1);
  ASSERT_TRUE(run_until(io, [&] { return !frames.empty() && frames.back() == "FullyBooted"; }));
  c->stop();
}

TEST_F(ClientTest, LogsInWithMd5ChallengeWithoutSendingTheSecret) {
  peer.options().md5_key = "f636d28296db47233db6b0bdeb2442a7";  // md5("1234567890" "s3cret")
  auto o = options_for(peer);
  o.md5 = true;
  auto c = make(o);
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto login = peer.received_actions("Login");
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(login[0].get("AuthType"), "MD5");
  EXPECT_EQ(login[0].get("Key"), "f636d28296db47233db6b0bdeb2442a7");
  EXPECT_EQ(peer.received_bytes().find("s3cret"), std::string::npos);
  EXPECT_EQ(peer.received_actions("Challenge").at(0).get("AuthType"), "MD5");
  c->stop();
}

TEST_F(ClientTest, WrongSecretIsReportedAndRetriedWithBackoffUntilItIsFixed) {
  auto o = options_for(peer);
  o.secret = "wrong";
  auto c = make(o);
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return peer.logins_failed() >= 3; }));
  EXPECT_FALSE(c->connected());
  EXPECT_NE(c->stats().last_error.find("Authentication failed"), std::string::npos);
  EXPECT_EQ(logins, 0);
  peer.options().secret = "wrong";  // the PBX admin fixes the password on the PBX side
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  EXPECT_EQ(logins, 1);
  c->stop();
}

TEST_F(ClientTest, ResponsesAreMatchedByActionIdEvenOutOfOrderAndAmidEvents) {
  AmiFrame held;
  peer.on_action("Redirect", [&](const AmiFrame& f) { held = f; return std::string(); });
  peer.on_action("Hangup", [&](const AmiFrame& f) {
    // Answer Hangup first, with a live event between, then the held Redirect.
    return ami_frame({{"Event", "Newexten"}, {"Channel", "PJSIP/1001-00000001"}}) +
           ami_frame({{"Response", "Success"}, {"ActionID", f.action_id()}, {"Message", "Channel Hungup"}}) +
           ami_frame({{"Event", "Hangup"}, {"Channel", "PJSIP/1001-00000001"}}) +
           ami_frame({{"Response", "Error"}, {"ActionID", held.action_id()}, {"Message", "Channel not found"}});
  });
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto first = spawn_send(io, *c, Action("Redirect").set("Channel", "PJSIP/1001-00000001"));
  ASSERT_TRUE(run_until(io, [&] { return !held.fields.empty(); }));
  auto second = spawn_send(io, *c, Action("Hangup").set("Channel", "PJSIP/1001-00000001"));
  ASSERT_TRUE(run_until(io, [&] { return first->result && second->result; }));
  EXPECT_TRUE(second->result->ok);
  EXPECT_EQ(second->result->response.get("Message"), "Channel Hungup");
  EXPECT_FALSE(first->result->ok);
  EXPECT_EQ(first->result->error, "Channel not found");
  auto n = frames.size();
  ASSERT_GE(n, 4u);
  EXPECT_EQ(std::vector<std::string>(frames.end() - 4, frames.end()),
            (std::vector<std::string>{"Newexten", "R:Success", "Hangup", "R:Error"}));
  c->stop();
}

TEST_F(ClientTest, ListActionCollectsItsEventsUntilCompleteIgnoringInterleavedLiveEvents) {
  peer.on_action("CoreShowChannels", [](const AmiFrame& f) {
    auto id = f.action_id();
    return ami_frame({{"Response", "Success"}, {"ActionID", id}, {"EventList", "start"}}) +
           ami_frame({{"Event", "CoreShowChannel"}, {"ActionID", id}, {"Channel", "PJSIP/1001-00000000"}}) +
           ami_frame({{"Event", "Newstate"}, {"Channel", "PJSIP/1002-00000001"}}) +
           ami_frame({{"Event", "CoreShowChannel"}, {"ActionID", id}, {"Channel", "PJSIP/1002-00000001"}}) +
           ami_frame({{"Event", "CoreShowChannelsComplete"}, {"ActionID", id}, {"EventList", "Complete"},
                      {"ListItems", "2"}});
  });
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto r = spawn_send(io, *c, Action("CoreShowChannels"), true);
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  ASSERT_TRUE(r->result->ok) << r->result->error;
  ASSERT_EQ(r->result->list.size(), 2u);
  EXPECT_EQ(r->result->list[1].get("Channel"), "PJSIP/1002-00000001");
  EXPECT_EQ(std::count(frames.begin(), frames.end(), "Newstate"), 1);
  EXPECT_EQ(frames.back(), "CoreShowChannelsComplete");
  c->stop();
}

TEST_F(ClientTest, ListActionAnsweredWithErrorEndsAtTheResponse) {
  peer.on_action("PJSIPShowContacts", [](const AmiFrame& f) {
    return "Response: Error\r\nActionID: " + f.action_id() + "\r\nMessage: No Contacts found\n\r\n\r\n";
  });
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto r = spawn_send(io, *c, Action("PJSIPShowContacts"), true);
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  EXPECT_FALSE(r->result->ok);
  EXPECT_EQ(r->result->error.rfind("No Contacts found", 0), 0u);
  c->stop();
}

TEST_F(ClientTest, UnansweredActionTimesOutAndTheConnectionStays) {
  peer.on_action("QueueStatus", [](const AmiFrame&) { return std::string(); });
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto r = spawn_send(io, *c, Action("QueueStatus"), true, 100ms);
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  EXPECT_EQ(r->result->error, "timeout");
  EXPECT_EQ(c->stats().timeouts, 1u);
  auto ping = spawn_send(io, *c, Action("Ping"));
  ASSERT_TRUE(run_until(io, [&] { return ping->result.has_value(); }));
  EXPECT_TRUE(ping->result->ok);
  EXPECT_EQ(peer.connections(), 1);
  c->stop();
}

TEST_F(ClientTest, ReconnectsByItselfAfterThePeerDropsAndFailsActionsInFlight) {
  peer.on_action("Status", [](const AmiFrame&) { return std::string(); });
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto r = spawn_send(io, *c, Action("Status"), true);
  ASSERT_TRUE(run_until(io, [&] { return peer.received_actions("Status").size() == 1; }));
  peer.send(ami_frame({{"Event", "Newchannel"}, {"Channel", "PJSIP/1001-0000"}}));
  peer.drop();
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  EXPECT_EQ(r->result->error, "connection lost");
  ASSERT_TRUE(run_until(io, [&] { return logins == 2 && c->connected(); }));
  EXPECT_EQ(banners.size(), 2u);
  EXPECT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(peer.connections(), 2);
  EXPECT_EQ(peer.received_actions("Login").back().action_id(), "opdesk-login-1");
  c->stop();
}

TEST_F(ClientTest, MissedKeepaliveMakesTheClientReconnect) {
  bool answer_pings = false;
  peer.on_action("Ping", [&](const AmiFrame& f) {
    return answer_pings ? ami_frame({{"Response", "Success"}, {"ActionID", f.action_id()}, {"Ping", "Pong"}})
                        : std::string();
  });
  auto o = options_for(peer);
  o.ping_interval = 50ms;
  auto c = make(o);
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  ASSERT_TRUE(run_until(io, [&] { return peer.connections() == 2; }));
  EXPECT_NE(disconnects.at(0).find("keepalive"), std::string::npos);
  answer_pings = true;
  c->stop();
}

TEST_F(ClientTest, CrLfInjectionIsRefusedAndNothingIsWritten) {
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  const auto before = peer.received_bytes();
  auto bad = spawn_send(io, *c, Action("Redirect").set("Channel", "PJSIP/1001\r\nAction: Command\r\nCommand: core stop now"));
  ASSERT_TRUE(run_until(io, [&] { return bad->result.has_value(); }));
  EXPECT_EQ(bad->result->error.rfind("invalid: ", 0), 0u);
  auto ok = spawn_send(io, *c, Action("Ping"));
  ASSERT_TRUE(run_until(io, [&] { return ok->result.has_value(); }));
  const auto after = peer.received_bytes().substr(before.size());
  EXPECT_EQ(after.find("Redirect"), std::string::npos);
  EXPECT_EQ(after.find("Command"), std::string::npos);
  EXPECT_NE(after.find("Action: Ping"), std::string::npos);
  EXPECT_TRUE(peer.received_actions("Command").empty());
  c->stop();
}

TEST_F(ClientTest, OriginateAlwaysGoesOutAsync) {
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  auto r = spawn_send(io, *c, Action("Originate").set("Channel", "PJSIP/1008").set("Application", "ChanSpy"));
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  auto sent = peer.received_actions("Originate");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].get("Async"), "true");
  EXPECT_EQ(sent[0].action_id().rfind("opdesk-originate-", 0), 0u);
  c->stop();
}

TEST_F(ClientTest, MalformedFrameIsSkippedAndTheConnectionSurvives) {
  auto c = make(options_for(peer));
  c->start();
  ASSERT_TRUE(run_until(io, [&] { return c->connected(); }));
  std::string huge(2 << 20, 'x');
  peer.send("Event: Junk\r\nData: " + huge + "\r\n\r\n");
  peer.send(ami_frame({{"Event", "Hold"}, {"Channel", "PJSIP/1001-00000001"}}));
  ASSERT_TRUE(run_until(io, [&] { return !frames.empty() && frames.back() == "Hold"; }));
  EXPECT_EQ(c->stats().malformed, 1u);
  EXPECT_TRUE(c->connected());
  EXPECT_EQ(peer.connections(), 1);
  c->stop();
}

TEST_F(ClientTest, SendWhileDisconnectedAnswersNotConnected) {
  peer.set_accepting(false);
  auto c = make(options_for(peer));
  c->start();
  auto r = spawn_send(io, *c, Action("Ping"));
  ASSERT_TRUE(run_until(io, [&] { return r->result.has_value(); }));
  EXPECT_EQ(r->result->error, "not connected");
  c->stop();
}

}  // namespace
}  // namespace opdesk::ami
