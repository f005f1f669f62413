// The health checks of `opdesk doctor` / GET /api/health/checks (issue #12) against real TCP
// AMI peers: the built-in simulator (a healthy PBX) and the scripted fake peer for broken
// set-ups (wrong secret, refused port, missing write class, no hints, no cdr_manager).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <map>

#include "api/health_checks.hpp"
#include "net/server.hpp"
#include "sim/simulator.hpp"
#include "support/fake_ami_peer.hpp"
#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace opdesk {
namespace {
using api::CheckResult;
using api::CheckStatus;

int64_t fixed_now() { return 1'800'000'000'000; }

std::map<std::string, CheckResult> run_checks(boost::asio::io_context& io, api::HealthCheckOptions o) {
  std::vector<CheckResult> out;
  bool done = false;
  boost::asio::co_spawn(io, api::run_health_checks(io.get_executor(), std::move(o)),
                        [&](std::exception_ptr e, std::vector<CheckResult> r) {
                          if (e) std::rethrow_exception(e);
                          out = std::move(r);
                          done = true;
                        });
  test::run_until(io, [&] { return done; }, std::chrono::seconds(30));
  EXPECT_TRUE(done);
  std::map<std::string, CheckResult> by_id;
  for (auto& c : out) by_id[c.id] = c;
  return by_id;
}

api::HealthCheckOptions options(uint16_t port, const std::string& secret, const std::string& recordings) {
  api::HealthCheckOptions o;
  o.ami.port = port;
  o.ami.username = "opdesk";
  o.ami.secret = secret;
  o.ami.connect_timeout = std::chrono::milliseconds(2000);
  o.ami.action_timeout = std::chrono::milliseconds(2000);
  o.observe = std::chrono::milliseconds(300);
  o.recordings_root = recordings;
  o.listen_host = "127.0.0.1";
  o.now_ms = fixed_now;
  return o;
}

class DoctorSim : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::SimOptions so;
    so.port = 0;
    so.secret = "s3cret";
    so.extensions = 8;
    so.office = false;
    sim_ = std::make_unique<sim::Simulator>(io_.get_executor(), so);
    sim_->start();
  }
  void TearDown() override { sim_->stop(); }
  boost::asio::io_context io_;
  std::unique_ptr<sim::Simulator> sim_;
  test::TempDir dir_{"opdesk-doctor"};
};

TEST_F(DoctorSim, AHealthySimulatedPbxPassesTheAmiChecks) {
  auto c = run_checks(io_, options(sim_->port(), "s3cret", dir_.path()));
  for (const char* id : {"ami_reachable", "ami_login", "ami_permissions", "asterisk_version", "channel_drivers",
                         "hints", "queues", "recordings", "tls_certificate"}) {
    ASSERT_TRUE(c.count(id)) << id;
    EXPECT_EQ(c[id].status, CheckStatus::Ok) << id << ": " << c[id].detail;
    EXPECT_TRUE(c[id].fix.empty()) << id;
  }
  EXPECT_NE(c["asterisk_version"].detail.find("22.9.0"), std::string::npos);
  EXPECT_NE(c["channel_drivers"].detail.find("PJSIP (8 endpoints)"), std::string::npos);
  // The simulator does not stamp events: the finding says so and tells how to turn it on.
  EXPECT_NE(c["timestampevents"].status, CheckStatus::Ok);
  EXPECT_NE(c["timestampevents"].fix.find("timestampevents = yes"), std::string::npos);
  EXPECT_FALSE(api::any_failed({c["ami_login"], c["hints"], c["queues"]}));
}

TEST_F(DoctorSim, AWrongSecretFailsTheLoginWithAFixNamingTheSecret) {
  auto c = run_checks(io_, options(sim_->port(), "wrong", dir_.path()));
  EXPECT_EQ(c["ami_reachable"].status, CheckStatus::Ok);
  ASSERT_TRUE(c.count("ami_login"));
  EXPECT_EQ(c["ami_login"].status, CheckStatus::Fail);
  EXPECT_NE(c["ami_login"].detail.find("Authentication failed"), std::string::npos);
  EXPECT_NE(c["ami_login"].fix.find("secret"), std::string::npos);
  EXPECT_FALSE(c.count("ami_permissions"));  // nothing is probed without a session
}

TEST_F(DoctorSim, AMissingRecordingsFolderFailsWithTheFolderInTheFix) {
  std::string missing = dir_.file("no-such-folder");
  auto c = run_checks(io_, options(sim_->port(), "s3cret", missing));
  EXPECT_EQ(c["recordings"].status, CheckStatus::Fail);
  EXPECT_NE(c["recordings"].fix.find(missing), std::string::npos);
}

TEST(Doctor, AClosedPortFailsReachabilityAndSkipsTheLogin) {
  boost::asio::io_context io;
  test::TempDir dir("opdesk-doctor");
  auto c = run_checks(io, options(test::free_port(), "x", dir.path()));
  EXPECT_EQ(c["ami_reachable"].status, CheckStatus::Fail);
  EXPECT_NE(c["ami_reachable"].detail.find("connect"), std::string::npos);
  EXPECT_NE(c["ami_reachable"].fix.find("manager.conf"), std::string::npos);
  EXPECT_FALSE(c.count("ami_login"));
  EXPECT_TRUE(api::any_failed({c["ami_reachable"]}));
}

std::string answer(const test::AmiFrame& f, std::vector<std::pair<std::string, std::string>> fields) {
  fields.insert(fields.begin(), {"ActionID", f.action_id()});
  return test::ami_frame(fields);
}

std::string list(const test::AmiFrame& f, const std::string& item_event, const std::string& key,
                 const std::vector<std::string>& items, const std::string& complete) {
  std::string out = answer(f, {{"Response", "Success"}, {"EventList", "start"}, {"Message", "follows"}});
  for (const auto& i : items) out += answer(f, {{"Event", item_event}, {key, i}});
  out += answer(f, {{"Event", complete}, {"EventList", "Complete"}, {"ListItems", std::to_string(items.size())}});
  return out;
}

// A PBX where every listed problem is present: no originate class, no hints, no cdr_manager,
// stamped events; and one endpoint without a hint.
class DoctorFakePbx : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_.on_action("Originate", [](const test::AmiFrame& f) {
      return answer(f, {{"Response", "Error"}, {"Message", "Permission denied"}});
    });
    peer_.on_action("CoreSettings", [](const test::AmiFrame& f) {
      return answer(f, {{"Response", "Success"}, {"AsteriskVersion", "20.5.0"}, {"AMIversion", "9.0.0"},
                        {"CoreCDRenabled", "Yes"}});
    });
    peer_.on_action("ModuleCheck", [](const test::AmiFrame& f) {
      return answer(f, {{"Response", "Error"}, {"Message", "Module not loaded"}});
    });
    peer_.on_action("PJSIPShowEndpoints", [](const test::AmiFrame& f) {
      return list(f, "EndpointList", "ObjectName", {"1001", "1002"}, "EndpointListComplete");
    });
    peer_.on_action("SIPpeers", [](const test::AmiFrame& f) {
      return answer(f, {{"Response", "Error"}, {"Message", "Invalid/unknown command: SIPpeers."}});
    });
    peer_.on_action("QueueSummary", [](const test::AmiFrame& f) {
      return list(f, "QueueSummary", "Queue", {"default"}, "QueueSummaryComplete");
    });
    peer_.on_action("Ping", [this](const test::AmiFrame& f) {
      // An unsolicited stamped event, as with timestampevents = yes.
      peer_.send(test::ami_frame({{"Event", "PeerStatus"}, {"Privilege", "system,all"}, {"Timestamp", "1799999999.5"}}));
      return answer(f, {{"Response", "Success"}, {"Ping", "Pong"}, {"Timestamp", "1799999940.000000"}});
    });
  }
  void hints(std::vector<std::string> h) {
    peer_.on_action("ExtensionStateList", [h](const test::AmiFrame& f) {
      return list(f, "ExtensionStatus", "Exten", h, "ExtensionStateListComplete");
    });
  }
  boost::asio::io_context io_;
  test::FakeAmiPeer peer_{io_, {}};
  test::TempDir dir_{"opdesk-doctor"};
};

TEST_F(DoctorFakePbx, EachBrokenSettingProducesItsFindingAndFix) {
  hints({});
  auto c = run_checks(io_, options(peer_.port(), "s3cret", dir_.path()));
  EXPECT_EQ(c["ami_login"].status, CheckStatus::Ok);
  EXPECT_EQ(c["ami_permissions"].status, CheckStatus::Fail);
  EXPECT_NE(c["ami_permissions"].detail.find("Originate"), std::string::npos);
  EXPECT_NE(c["ami_permissions"].fix.find("originate"), std::string::npos);
  EXPECT_EQ(c["hints"].status, CheckStatus::Fail);
  EXPECT_NE(c["hints"].fix.find("hint"), std::string::npos);
  EXPECT_EQ(c["cdr_manager"].status, CheckStatus::Fail);
  EXPECT_NE(c["cdr_manager"].fix.find("cdr_manager.conf"), std::string::npos);
  EXPECT_EQ(c["queues"].status, CheckStatus::Warn);  // "default" does not count
  EXPECT_EQ(c["timestampevents"].status, CheckStatus::Ok);
  EXPECT_EQ(c["clock_skew"].status, CheckStatus::Fail);  // 60 s behind fixed_now
  EXPECT_EQ(c["asterisk_version"].status, CheckStatus::Ok);
}

TEST_F(DoctorFakePbx, AnEndpointWithoutAHintIsNamedInAWarning) {
  hints({"1001"});
  auto c = run_checks(io_, options(peer_.port(), "s3cret", dir_.path()));
  EXPECT_EQ(c["hints"].status, CheckStatus::Warn);
  EXPECT_NE(c["hints"].detail.find("1002"), std::string::npos);
  EXPECT_EQ(c["hints"].detail.find("1001"), std::string::npos);
}

TEST(DoctorLocal, TheClockSkewThresholdsAreTwoAndThirtySeconds) {
  EXPECT_EQ(api::check_clock_skew(1000.0, 1'001'000).status, CheckStatus::Ok);
  EXPECT_EQ(api::check_clock_skew(1000.0, 1'003'000).status, CheckStatus::Warn);
  EXPECT_EQ(api::check_clock_skew(1000.0, 1'031'000).status, CheckStatus::Fail);
  EXPECT_EQ(api::check_clock_skew(1031.0, 1'000'000).status, CheckStatus::Fail);
}

TEST(DoctorLocal, AnUnreadableOrMissingCertificateFailsAndPlainHttpOnAPublicAddressWarns) {
  test::TempDir dir("opdesk-doctor");
  EXPECT_EQ(api::check_tls(dir.file("none.pem"), "0.0.0.0", 14, fixed_now()).status, CheckStatus::Fail);
  EXPECT_EQ(api::check_tls("", "0.0.0.0", 14, fixed_now()).status, CheckStatus::Warn);
  EXPECT_EQ(api::check_tls("", "127.0.0.1", 14, fixed_now()).status, CheckStatus::Ok);
}

TEST(DoctorLocal, AFreshCertificateIsOkAndTheSameOneFarInTheFutureHasExpired) {
  test::TempDir dir("opdesk-doctor");
  net::write_self_signed(dir.file("cert.pem"), dir.file("key.pem"), {"localhost"});
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  auto ok = api::check_tls(dir.file("cert.pem"), "0.0.0.0", 14, now);
  EXPECT_EQ(ok.status, CheckStatus::Ok) << ok.detail;
  int64_t in_50_years = now + 50LL * 365 * 24 * 3600 * 1000;
  auto expired = api::check_tls(dir.file("cert.pem"), "0.0.0.0", 14, in_50_years);
  EXPECT_EQ(expired.status, CheckStatus::Fail);
  EXPECT_NE(expired.fix.find("renew"), std::string::npos);
}

TEST(DoctorLocal, TheJsonFormCountsEachStatus) {
  std::vector<CheckResult> v = {{"a", "A", CheckStatus::Ok, "d", ""}, {"b", "B", CheckStatus::Fail, "d", "f"}};
  auto j = api::to_json(v);
  EXPECT_EQ(j["summary"]["ok"], 1);
  EXPECT_EQ(j["summary"]["fail"], 1);
  EXPECT_EQ(j["checks"][1]["status"], "fail");
  EXPECT_EQ(j["checks"][1]["fix"], "f");
}

}  // namespace
}  // namespace opdesk
