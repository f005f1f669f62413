// Configuration: defaults < TOML < --env-file (upstream .env) < environment; invalid values are
// one-line errors naming key, value and expectation; unknown keys are warnings.
#include "app/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using opdesk::app::ConfigError;
using opdesk::app::load_config;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("opdesk-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST(Config, DefaultsAreTheEmbeddedDemoFriendlyValues) {
  auto r = load_config(std::nullopt, std::nullopt, {});
  EXPECT_EQ(r.config.server.host, "127.0.0.1");
  EXPECT_EQ(r.config.server.port, 8765);
  EXPECT_EQ(r.config.database.backend, "sqlite");
  EXPECT_EQ(r.config.sqlite_path(), "./var/opdesk.db");
  EXPECT_EQ(r.config.log.level, "warn");
  EXPECT_TRUE(r.config.auth.jwt_secret.empty());  // generated and stored, never a default
}

TEST(Config, TomlThenEnvFileThenEnvironmentWin) {
  auto toml = write_temp("a.toml", "[ami]\nhost = \"10.0.0.1\"\nport = 5039\nusername = \"fromtoml\"\n[server]\nlisten = \"0.0.0.0:9000\"\n");
  auto env = write_temp("a.env", "# upstream\nAMI_HOST=10.0.0.2\nexport AMI_USERNAME='fromenvfile'\nDB_HOST = db.local\nCRM_ENABLED=true\n");
  auto r = load_config(toml, env, {{"OPDESK_AMI_USERNAME", "fromenv"}, {"AMI_SECRET", "s3cret"}});
  EXPECT_EQ(r.config.ami.host, "10.0.0.2");      // .env over TOML
  EXPECT_EQ(r.config.ami.port, 5039);            // TOML kept
  EXPECT_EQ(r.config.ami.username, "fromenv");   // environment over .env
  EXPECT_EQ(r.config.ami.secret, "s3cret");      // upstream key in the environment
  EXPECT_EQ(r.config.freepbx.host, "db.local");  // DB_* → FreePBX databases
  EXPECT_EQ(r.config.crm.at("CRM_ENABLED"), "true");
  EXPECT_EQ(r.config.server.host, "0.0.0.0");
  EXPECT_EQ(r.config.server.port, 9000);
}

TEST(Config, InvalidValueIsOneLineNamingKeyValueAndExpectation) {
  auto toml = write_temp("b.toml", "[ami]\nport = \"abc\"\n");
  try {
    load_config(toml, std::nullopt, {});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos);
    EXPECT_NE(m.find("ami.port"), std::string::npos);
    EXPECT_NE(m.find("'abc'"), std::string::npos);
    EXPECT_NE(m.find("integer"), std::string::npos);
  }
  EXPECT_THROW(load_config(std::nullopt, std::nullopt, {{"OPDESK_LOG_LEVEL", "loud"}}), ConfigError);
  EXPECT_THROW(load_config(std::nullopt, std::nullopt, {{"PORT", "70000"}}), ConfigError);
  EXPECT_THROW(load_config(std::nullopt, std::nullopt, {{"OPDESK_DATABASE_BACKEND", "oracle"}}), ConfigError);
}

TEST(Config, UnknownKeysAreWarnedAboutNotFatal) {
  auto toml = write_temp("c.toml", "[ami]\nhots = \"x\"\n[nonsense]\nk = 1\n");
  auto r = load_config(toml, std::nullopt, {});
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_NE(r.warnings[0].find("ami.hots"), std::string::npos);
}

// #25: the web root is configurable (TOML server.web_dir, env OPDESK_SERVER_WEB_DIR) so another
// client build can be served; a root without index.html is refused naming the key.
TEST(Config, WebRootIsConfigurableAndMustHoldAnIndexHtml_25) {
  auto dir = (std::filesystem::path(write_temp("w.env", "")).parent_path() / "web").string();
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/index.html") << "<!doctype html>";
  auto toml = write_temp("w.toml", "[server]\nweb_dir = \"" + dir + "\"\n");
  EXPECT_EQ(load_config(toml, std::nullopt, {}).config.server.web_dir, dir);
  EXPECT_EQ(load_config(std::nullopt, std::nullopt, {{"OPDESK_SERVER_WEB_DIR", dir}}).config.server.web_dir, dir);
  try {
    load_config(std::nullopt, std::nullopt, {{"OPDESK_SERVER_WEB_DIR", dir + "/missing"}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("server.web_dir"), std::string::npos) << e.what();
  }
}

TEST(Config, TlsCertWithoutKeyIsRefused) {
  EXPECT_THROW(load_config(std::nullopt, std::nullopt, {{"HTTPS_CERT", "/etc/c.pem"}}), ConfigError);
}

TEST(Config, TomlSyntaxErrorNamesFileAndLine) {
  auto toml = write_temp("d.toml", "[ami\nhost=1\n");
  try {
    load_config(toml, std::nullopt, {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("d.toml:1"), std::string::npos) << e.what();
  }
}
