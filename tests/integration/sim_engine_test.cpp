// The state engine fed by the built-in simulator over a real TCP AMI connection (PbxService):
// each flow ends in the state the real traces' README describes, and the engine shows the
// expected state while the flow runs (ringing, talking, held, queued, transferred, spied).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "api/pbx_service.hpp"
#include "sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using opdesk::sim::CallPlan;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

class SimEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    opdesk::sim::SimOptions so;
    so.port = 0;
    so.secret = "sim-secret";
    so.office = false;   // only the scripted flows below
    so.speed = 10;       // simulated seconds per real second
    so.seed = 3;
    so.extensions = 12;
    sim_ = std::make_unique<opdesk::sim::Simulator>(io_.get_executor(), so);
    sim_->start();
    opdesk::api::PbxOptions po;
    po.ami.port = sim_->port();
    po.ami.username = "opdesk";
    po.ami.secret = "sim-secret";
    pbx_ = std::make_unique<opdesk::api::PbxService>(io_.get_executor(), po, wall_ms);
    pbx_->start();
    ASSERT_TRUE(run_until([&] { return pbx_->connected() && pbx_->status().resyncs > 0 && ext_state("1001") == "idle"; }));
  }
  void TearDown() override {
    pbx_->stop();
    sim_->stop();
    io_.run_for(std::chrono::milliseconds(100));
    pbx_.reset();
    sim_.reset();
  }

  // Runs the loop until pred holds (or a generous limit: a failure, not a timing assertion).
  bool run_until(std::function<bool()> pred, std::chrono::seconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      io_.run_for(std::chrono::milliseconds(20));
      if (pred()) return true;
    }
    return false;
  }

  std::string ext_state(const std::string& e) {
    const auto* x = pbx_->engine().find_extension(e);
    return x ? std::string(opdesk::pbx::to_string(pbx_->engine().extension_state(*x))) : "";
  }
  const opdesk::pbx::Call* call_with(const std::string& a, const std::string& b) {
    for (const auto& [id, c] : pbx_->engine().state().calls) {
      if (!pbx_->engine().call_visible(c)) continue;
      bool ha = false, hb = false;
      for (const auto& p : c.parties) {
        ha |= p.extension == a || p.number == a;
        hb |= p.extension == b || p.number == b;
      }
      if (ha && hb) return &c;
    }
    return nullptr;
  }
  size_t visible_calls() {
    size_t n = 0;
    for (const auto& [id, c] : pbx_->engine().state().calls) n += pbx_->engine().call_visible(c);
    return n;
  }

  asio::io_context io_;
  std::unique_ptr<opdesk::sim::Simulator> sim_;
  std::unique_ptr<opdesk::api::PbxService> pbx_;
};

TEST_F(SimEngine, InternalCallRingsThenTalksThenEndsIdleLikeTrace03) {
  CallPlan p;
  p.from = "1001";
  p.to = "1002";
  p.ring = 4;
  p.talk = 8;
  sim_->call(p);
  ASSERT_TRUE(run_until([&] { return call_with("1001", "1002") && ext_state("1002") == "ringing"; }));
  ASSERT_TRUE(run_until([&] { auto c = call_with("1001", "1002"); return c && c->answered_at > 0 && ext_state("1002") == "in_call"; }));
  const auto* c = call_with("1001", "1002");
  EXPECT_GE(c->answered_at, c->started_at);
  ASSERT_TRUE(run_until([&] { return visible_calls() == 0 && ext_state("1001") == "idle" && ext_state("1002") == "idle"; }));
}

TEST_F(SimEngine, UnansweredAndBusyCallsLeaveNoGhostLikeTraces04And05) {
  CallPlan na;
  na.from = "1003";
  na.to = "1004";
  na.outcome = CallPlan::Outcome::kNoAnswer;
  na.ring = 3;
  sim_->call(na);
  CallPlan busy;
  busy.from = "1005";
  busy.to = "1006";
  busy.outcome = CallPlan::Outcome::kBusy;
  busy.ring = 2;
  sim_->call(busy);
  ASSERT_TRUE(run_until([&] { return call_with("1003", "1004") && call_with("1005", "1006"); }));
  ASSERT_TRUE(run_until([&] { return visible_calls() == 0; }, std::chrono::seconds(60)));
  for (const char* e : {"1003", "1004", "1005", "1006"}) EXPECT_EQ(ext_state(e), "idle") << e;
}

TEST_F(SimEngine, HoldIsShownWhileHeldLikeTrace12) {
  CallPlan p;
  p.from = "1001";
  p.to = "1003";
  p.ring = 2;
  p.talk = 14;
  p.holds.push_back({3, true, 5});
  sim_->call(p);
  ASSERT_TRUE(run_until([&] { auto c = call_with("1001", "1003"); return c && c->on_hold; }));
  ASSERT_TRUE(run_until([&] { auto c = call_with("1001", "1003"); return c && !c->on_hold && c->hold_ms > 0; }));
  ASSERT_TRUE(run_until([&] { return visible_calls() == 0; }));
}

TEST_F(SimEngine, QueueCallerWaitsThenTheAnsweringMemberTalksLikeTrace06) {
  CallPlan p;
  p.from = "1005";
  p.to = "5001";  // queue support (1001, 1002, ringall)
  p.ring = 4;
  p.talk = 6;
  p.answering_member = "1002";
  sim_->call(p);
  ASSERT_TRUE(run_until([&] {
    auto it = pbx_->engine().state().queues.find("support");
    return it != pbx_->engine().state().queues.end() && it->second.entries.size() == 1;
  }));
  // Once 1002 answers: 1005 talks to 1002, the queue is empty, and 1001's losing leg is gone.
  ASSERT_TRUE(run_until([&] {
    auto c = call_with("1005", "1002");
    return c && c->answered_at > 0 && pbx_->engine().state().queues.at("support").entries.empty() &&
           call_with("1005", "1001") == nullptr && ext_state("1001") == "idle";
  }));
  ASSERT_TRUE(run_until([&] { return visible_calls() == 0; }));
  const auto& q = pbx_->engine().state().queues.at("support");
  EXPECT_TRUE(q.entries.empty());
}

TEST_F(SimEngine, BlindTransferMovesTheCallerLikeTrace13) {
  CallPlan p;
  p.from = "1004";
  p.to = "1001";
  p.ring = 2;
  p.blind_transfer_to = "1002";
  p.transfer_at = 3;
  p.transfer_ring = 2;
  p.transfer_talk = 4;
  sim_->call(p);
  ASSERT_TRUE(run_until([&] { return call_with("1004", "1001") != nullptr; }));
  ASSERT_TRUE(run_until([&] { auto c = call_with("1004", "1002"); return c && c->answered_at > 0 && !call_with("1004", "1001"); }));
  ASSERT_TRUE(run_until([&] { return visible_calls() == 0; }));
}

TEST_F(SimEngine, APanelConnectingMidCallShowsItOnceWithItsRealStartLikeTrace17) {
  CallPlan p;
  p.from = "1002";
  p.to = "1003";
  p.ring = 1;
  p.talk = 40;
  sim_->call(p);
  ASSERT_TRUE(run_until([&] { auto c = call_with("1002", "1003"); return c && c->answered_at > 0; }));
  int64_t started = call_with("1002", "1003")->started_at;
  // A second panel connecting mid-call (as after a restart or reconnect) must show the call
  // once, answered, with its real start time recovered from the resync lists.
  opdesk::api::PbxOptions po;
  po.ami.port = sim_->port();
  po.ami.username = "opdesk";
  po.ami.secret = "sim-secret";
  opdesk::api::PbxService late(io_.get_executor(), po, wall_ms);
  late.start();
  auto late_call = [&]() -> const opdesk::pbx::Call* {
    for (const auto& [id, c] : late.engine().state().calls) {
      if (late.engine().call_visible(c)) return &c;
    }
    return nullptr;
  };
  ASSERT_TRUE(run_until([&] { return late.status().resyncs > 0 && late_call() != nullptr; }));
  size_t n = 0;
  for (const auto& [id, c] : late.engine().state().calls) n += late.engine().call_visible(c);
  EXPECT_EQ(n, 1u);
  EXPECT_GT(late_call()->answered_at, 0);
  EXPECT_EQ(late.engine().epoch(), 1u);
  // The start time is recovered from the channel's Duration, not reset to the reconnect.
  EXPECT_LE(late_call()->started_at, started + 2000);
  late.stop();
}

}  // namespace
