// [qos] configuration (issue #10): thresholds, throttle window and alert grade from TOML, the
// upstream QOS_ENABLED key, and one-line errors for bad values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"

using opdesk::app::ConfigError;
using opdesk::app::load_config;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("opdesk-qos-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST(QosConfig, DefaultsEnableQosOnASecondSessionWithPoorAlerts) {
  auto c = load_config(std::nullopt, std::nullopt, {}).config;
  EXPECT_TRUE(c.qos.enabled);
  EXPECT_TRUE(c.ami.qos_session);
  EXPECT_EQ(c.qos.update_interval_s, 5);
  EXPECT_EQ(c.qos.alert_grade, "poor");
  EXPECT_DOUBLE_EQ(c.qos.poor_loss_pct, 5);
}

TEST(QosConfig, TomlSetsThresholdsWindowAndAlertGrade) {
  auto toml = write_temp("q.toml",
                         "[qos]\nupdate_interval_s = 3\nalert_grade = \"FAIR\"\nfair_loss_pct = 0.5\npoor_loss_pct = 3\n"
                         "fair_jitter_ms = 15\npoor_jitter_ms = 40.5\nfair_rtt_ms = 150\npoor_rtt_ms = 300\nfair_mos = 4\npoor_mos = 3.5\n");
  auto c = load_config(toml, std::nullopt, {}).config;
  EXPECT_EQ(c.qos.update_interval_s, 3);
  EXPECT_EQ(c.qos.alert_grade, "fair");
  EXPECT_DOUBLE_EQ(c.qos.fair_loss_pct, 0.5);
  EXPECT_DOUBLE_EQ(c.qos.poor_jitter_ms, 40.5);
  EXPECT_DOUBLE_EQ(c.qos.poor_rtt_ms, 300);
  EXPECT_DOUBLE_EQ(c.qos.poor_mos, 3.5);
}

TEST(QosConfig, UpstreamQosEnabledFalseTurnsItOff) {
  auto env = write_temp("q.env", "QOS_ENABLED=false\n");
  EXPECT_FALSE(load_config(std::nullopt, env, {}).config.qos.enabled);
  EXPECT_FALSE(load_config(std::nullopt, std::nullopt, {{"QOS_ENABLED", "0"}}).config.qos.enabled);
}

TEST(QosConfig, BadValuesAreOneLineErrorsNamingTheKey) {
  auto bad = [](const std::string& body) {
    try {
      load_config(write_temp("bad.toml", "[qos]\n" + body + "\n"), std::nullopt, {});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(bad("poor_loss_pct = 101").find("qos.poor_loss_pct"), std::string::npos);
  EXPECT_NE(bad("fair_mos = \"good\"").find("qos.fair_mos = 'good'"), std::string::npos);
  EXPECT_NE(bad("alert_grade = \"loud\"").find("one of poor, fair, off"), std::string::npos);
  EXPECT_NE(bad("update_interval_s = 0").find("qos.update_interval_s"), std::string::npos);
}
