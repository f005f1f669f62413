// Call quality over real TCP (issue #10): the built-in simulator injects loss/jitter/RTT into
// the RTCP reports of chosen calls; PbxService opens the second AMI session for RTCP; the
// QosFeed (fed like wire_qos does) grades the calls. Each call ends up with the expected badge
// in the engine state (call and extensions), alerts name the right calls and extensions, and
// every leg ends with a stored-ready summary of the same grade.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

#include "api/pbx_service.hpp"
#include "api/qos_feed.hpp"
#include "api/state_json.hpp"
#include "sim/simulator.hpp"

namespace {

namespace asio = boost::asio;
using opdesk::sim::CallPlan;
using opdesk::sim::Impairment;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

class QosSim : public ::testing::Test {
 protected:
  void SetUp() override {
    opdesk::sim::SimOptions so;
    so.port = 0;
    so.secret = "sim-secret";
    so.office = false;
    so.speed = 10;  // RTCP every 5 simulated seconds = every 0.5 s here
    so.seed = 7;
    so.extensions = 12;
    so.qos_fair_share = 0;
    so.qos_poor_share = 0;
    so.qos_noise = false;
    so.qos_by_extension["1003"] = Impairment{8, 70, 420};   // poor: 8 % loss
    so.qos_by_extension["1005"] = Impairment{2.5, 30, 150};  // fair: 2.5 % loss, 30 ms jitter
    sim_ = std::make_unique<opdesk::sim::Simulator>(io_.get_executor(), so);
    sim_->start();
    opdesk::api::PbxOptions po;
    po.ami.port = sim_->port();
    po.ami.username = "opdesk";
    po.ami.secret = "sim-secret";
    po.qos_session = true;
    pbx_ = std::make_unique<opdesk::api::PbxService>(io_.get_executor(), po, wall_ms);
    pbx_->engine().set_qos_policy(opdesk::pbx::QosPolicy{false, 1000});
    opdesk::api::QosFeedOptions fo;
    fo.tracker.alert_from = opdesk::qos::Grade::kFair;
    fo.tracker.update_interval_ms = 1000;
    feed_ = std::make_unique<opdesk::api::QosFeed>(pbx_->engine(), fo);
    pbx_->add_frame_listener([this](const opdesk::ami::Message& m, int64_t now) { feed_->on_frame(m, now); });
    pbx_->start();
    ASSERT_TRUE(run_until([&] { return pbx_->connected() && pbx_->status().resyncs > 0; }));
  }
  void TearDown() override {
    pbx_->stop();
    sim_->stop();
    io_.run_for(std::chrono::milliseconds(100));
    pbx_.reset();
    sim_.reset();
  }

  // Runs the loop, ticking the feed every 200 ms as wire_qos's timer does, until pred holds.
  bool run_until(std::function<bool()> pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      io_.run_for(std::chrono::milliseconds(50));
      if (feed_ && wall_ms() - last_tick_ >= 200) {
        last_tick_ = wall_ms();
        auto r = feed_->tick(last_tick_);
        while (pbx_->engine().take_changes()) {
        }
        for (auto& n : r.notices) notices_.push_back(std::move(n));
        for (auto& l : r.legs) legs_.push_back(std::move(l));
      }
      if (pred()) return true;
    }
    return false;
  }
  const opdesk::pbx::Call* call_with(const std::string& a, const std::string& b) {
    for (const auto& [id, c] : pbx_->engine().state().calls) {
      if (!pbx_->engine().call_visible(c)) continue;
      bool ha = false, hb = false;
      for (const auto& p : c.parties) {
        ha |= p.extension == a;
        hb |= p.extension == b;
      }
      if (ha && hb) return &c;
    }
    return nullptr;
  }
  std::string grade_of(const std::string& a, const std::string& b) {
    const auto* c = call_with(a, b);
    return c && c->qos.present ? c->qos.grade : "";
  }
  nlohmann::json ext_badge(const std::string& e) {
    return opdesk::api::extension_json(pbx_->engine(), *pbx_->engine().find_extension(e))["qos_grade"];
  }
  const opdesk::api::QosNotice* notice_for(const std::string& ext) {
    for (const auto& n : notices_) {
      if (std::find(n.extensions.begin(), n.extensions.end(), ext) != n.extensions.end()) return &n;
    }
    return nullptr;
  }
  static CallPlan plan(const char* from, const char* to) {
    CallPlan p;
    p.from = from;
    p.to = to;
    p.ring = 1;
    p.talk = 40;
    return p;
  }

  asio::io_context io_;
  std::unique_ptr<opdesk::sim::Simulator> sim_;
  std::unique_ptr<opdesk::api::PbxService> pbx_;
  std::unique_ptr<opdesk::api::QosFeed> feed_;
  int64_t last_tick_ = 0;
  std::vector<opdesk::api::QosNotice> notices_;
  std::vector<opdesk::store::QosLegRow> legs_;
};

}  // namespace

TEST_F(QosSim, InjectedLossAndJitterGiveTheExpectedBadgesAlertsAndSummaries) {
  sim_->call(plan("1003", "1004"));
  sim_->call(plan("1005", "1006"));
  sim_->call(plan("1001", "1002"));
  ASSERT_TRUE(run_until([&] {
    // RTT is known from the second report on (the first one echoes no SR: LSR 0).
    const auto* p = call_with("1003", "1004");
    return grade_of("1003", "1004") == "poor" && grade_of("1005", "1006") == "fair" &&
           grade_of("1001", "1002") == "good" && p->qos.rtt_ms >= 0;
  })) << grade_of("1003", "1004") << " / " << grade_of("1005", "1006") << " / " << grade_of("1001", "1002");
  const auto* poor = call_with("1003", "1004");
  EXPECT_NEAR(poor->qos.loss_pct, 8 * 256 / 100 / 256.0 * 100, 0.5);  // FractionLost 20/256
  EXPECT_GE(poor->qos.jitter_ms, 70);
  EXPECT_NEAR(poor->qos.rtt_ms, 420, 1);
  EXPECT_NE(poor->qos.reason.find("loss"), std::string::npos);
  const auto* fair = call_with("1005", "1006");
  EXPECT_GE(fair->qos.jitter_ms, 30);
  EXPECT_LT(fair->qos.jitter_ms, 50);
  const auto* good = call_with("1001", "1002");
  EXPECT_DOUBLE_EQ(good->qos.loss_pct, 0);
  EXPECT_GT(good->qos.mos, 4.3);
  EXPECT_EQ(ext_badge("1004"), "poor");
  EXPECT_EQ(ext_badge("1006"), "fair");
  EXPECT_EQ(ext_badge("1002"), "good");
  EXPECT_TRUE(ext_badge("1008").is_null());

  // Alerts: one per call and grade, addressed to the call's extensions.
  const auto* pn = notice_for("1003");
  ASSERT_NE(pn, nullptr);
  EXPECT_EQ(pn->notice["code"], "qos.poor");
  EXPECT_EQ(pn->notice["call_id"], poor->id);
  EXPECT_NE(std::find(pn->extensions.begin(), pn->extensions.end(), "1004"), pn->extensions.end());
  const std::string text = pn->notice["message"];
  EXPECT_NE(text.find("poor"), std::string::npos) << text;
  EXPECT_NE(text.find("loss"), std::string::npos) << text;
  const auto* fn = notice_for("1005");
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn->notice["code"], "qos.fair");
  EXPECT_EQ(notice_for("1001"), nullptr);

  // Each answered leg ends with a summary of its call's grade.
  ASSERT_TRUE(run_until([&] { return legs_.size() >= 6; }, std::chrono::seconds(90)));
  std::map<std::string, std::string> grade_by_ext;
  for (const auto& l : legs_) grade_by_ext[l.extension] = l.grade;
  EXPECT_EQ(grade_by_ext["1003"], "poor");
  EXPECT_EQ(grade_by_ext["1004"], "poor");
  EXPECT_EQ(grade_by_ext["1005"], "fair");
  EXPECT_EQ(grade_by_ext["1006"], "fair");
  EXPECT_EQ(grade_by_ext["1001"], "good");
  EXPECT_EQ(grade_by_ext["1002"], "good");
}
