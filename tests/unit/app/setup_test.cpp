// `opdesk setup` planning (issue #12) on fake FreePBX / Issabel / plain Asterisk trees in a
// temp dir: detection from their real file formats, the AMI section with the minimal classes,
// the config, idempotency (a second run changes nothing), and the diff shown before writing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/setup.hpp"
#include "store/admin_sql.hpp"
#include "store/errors.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::app::setup {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

void apply(const Plan& plan) {
  for (const auto& f : plan.files) write(f.path, f.after);
}

int counter = 0;
std::string next_secret() { return "gen" + std::to_string(++counter); }

void fake_freepbx(const fs::path& root) {
  write(root / "etc/freepbx.conf",
        "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n$amp_conf[\"AMPDBPASS\"] = \"p@ss'w\";\n"
        "$amp_conf['AMPDBHOST'] = 'localhost';\n$amp_conf['AMPDBNAME'] = 'asterisk';\n"
        "require_once('/var/www/html/admin/bootstrap.php');\n?>\n");
  write(root / "etc/amportal.conf", "# FreePBX\nAMPMGRUSER=admin\nAMPMGRPASS = amp111\nASTSPOOLDIR=/var/spool/asterisk\n");
  write(root / "etc/asterisk/manager.conf", "[general]\nenabled = yes\n#include manager_custom.conf\n");
  write(root / "etc/asterisk/manager_custom.conf", "; site accounts\n[crm]\nsecret = crm1\nread = all\n\n[zz]\nsecret = z\n");
  fs::create_directories(root / "var/spool/asterisk/monitor");
}

TEST(SetupDetect, FreePbxCredentialsComeFromFreepbxConfAndAmportalConf) {
  test::TempDir dir("opdesk-setup");
  fake_freepbx(dir.path());
  Detection d = detect(dir.path());
  EXPECT_EQ(d.kind, "freepbx");
  EXPECT_EQ(d.db_user, "freepbxuser");
  EXPECT_EQ(d.db_password, "p@ss'w");
  EXPECT_EQ(d.db_host, "localhost");
  EXPECT_EQ(d.ami_admin_user, "admin");
  EXPECT_EQ(d.ami_admin_secret, "amp111");
  EXPECT_EQ(d.recordings_root, "/var/spool/asterisk/monitor");
}

TEST(SetupDetect, IssabelUsesMysqlRootAndTheAmiAdminPassword) {
  test::TempDir dir("opdesk-setup");
  write(dir.file("etc/issabel.conf"), "mysqlrootpwd=rootpw\namiadminpwd=amipw\ncyrususerpwd=x\n");
  write(dir.file("etc/asterisk/manager.conf"), "[general]\nenabled=yes\n");
  Detection d = detect(dir.path());
  EXPECT_EQ(d.kind, "issabel");
  EXPECT_EQ(d.db_user, "root");
  EXPECT_EQ(d.db_password, "rootpw");
  EXPECT_EQ(d.ami_admin_secret, "amipw");
}

TEST(SetupDetect, AnEmptyRootIsNoPbx) {
  test::TempDir dir("opdesk-setup");
  EXPECT_EQ(detect(dir.path()).kind, "none");
}

TEST(SetupPlan, OnFreePbxItAddsTheAccountToManagerCustomAndWritesTheConfig) {
  test::TempDir dir("opdesk-setup");
  fake_freepbx(dir.path());
  Inputs in;
  in.root = dir.path();
  Plan plan = make_plan(in, next_secret);
  ASSERT_EQ(plan.files.size(), 2u);
  const FileChange& mgr = plan.files[0];
  EXPECT_EQ(mgr.path, fs::path(dir.path()) / "etc/asterisk/manager_custom.conf");
  EXPECT_EQ(ini_value(mgr.after, "opdesk", "secret"), plan.ami_secret);
  EXPECT_EQ(ini_value(mgr.after, "opdesk", "read"), "system,call,agent,user,config,dtmf,reporting,cdr,dialplan");
  EXPECT_EQ(ini_value(mgr.after, "opdesk", "write"), "system,call,agent,originate,reporting");
  EXPECT_EQ(ini_value(mgr.after, "opdesk", "permit"), "127.0.0.1/255.255.255.255");
  EXPECT_EQ(ini_value(mgr.after, "crm", "secret"), "crm1");  // other accounts untouched
  EXPECT_EQ(mgr.after.rfind("; site accounts\n[crm]\nsecret = crm1\n", 0), 0u);

  const FileChange& cfg = plan.files[1];
  EXPECT_FALSE(cfg.exists);
  EXPECT_NE(cfg.after.find("username = \"opdesk\""), std::string::npos);
  EXPECT_NE(cfg.after.find("secret = \"" + plan.ami_secret + "\""), std::string::npos);
  EXPECT_NE(cfg.after.find("[freepbx]\nenabled = true"), std::string::npos);
  EXPECT_NE(cfg.after.find("root = \"/var/spool/asterisk/monitor\""), std::string::npos);
  // Both names of the local host: MariaDB matches a TCP login from 127.0.0.1 to 'localhost'
  // only when it resolves names.
  ASSERT_EQ(plan.sql.size(), 8u);
  EXPECT_EQ(plan.sql[2], "GRANT SELECT ON `asterisk`.* TO 'opdesk_ro'@'localhost'");
  EXPECT_EQ(plan.sql[7], "GRANT SELECT ON `asteriskcdrdb`.* TO 'opdesk_ro'@'127.0.0.1'");
}

TEST(SetupPlan, RunningItAgainChangesNothingAndKeepsTheSecrets) {
  test::TempDir dir("opdesk-setup");
  fake_freepbx(dir.path());
  Inputs in;
  in.root = dir.path();
  Plan first = make_plan(in, next_secret);
  apply(first);
  Plan second = make_plan(in, next_secret);
  EXPECT_EQ(second.ami_secret, first.ami_secret);
  EXPECT_EQ(second.db_password, first.db_password);
  for (const auto& f : second.files) {
    EXPECT_FALSE(f.changed()) << f.path << "\n" << unified_diff(f.before, f.after, f.path.string());
  }
}

TEST(SetupPlan, AChangedFlagReplacesOnlyOurSectionAndKeyInPlace) {
  test::TempDir dir("opdesk-setup");
  fake_freepbx(dir.path());
  Inputs in;
  in.root = dir.path();
  apply(make_plan(in, next_secret));
  in.ami_permit = "10.0.0.0/255.0.0.0";
  in.listen = "0.0.0.0:8765";
  Plan p = make_plan(in, next_secret);
  std::string diff = unified_diff(p.files[0].before, p.files[0].after, "manager_custom.conf");
  EXPECT_NE(diff.find("-permit = 127.0.0.1/255.255.255.255\n+permit = 10.0.0.0/255.0.0.0\n"), std::string::npos) << diff;
  EXPECT_EQ(ini_value(p.files[0].after, "zz", "secret"), "z");
  EXPECT_NE(p.files[1].after.find("[server]\nlisten = \"0.0.0.0:8765\""), std::string::npos);
}

TEST(SetupPlan, PlainAsteriskGetsTheAccountAndTimestampeventsInManagerConf) {
  test::TempDir dir("opdesk-setup");
  write(dir.file("etc/asterisk/manager.conf"), "[general]\nenabled = yes\nport = 5038\n");
  Inputs in;
  in.root = dir.path();
  Plan p = make_plan(in, next_secret);
  EXPECT_EQ(p.files[0].path.filename(), "manager.conf");
  EXPECT_EQ(ini_value(p.files[0].after, "general", "timestampevents"), "yes");
  EXPECT_TRUE(ini_value(p.files[0].after, "opdesk", "secret"));
  EXPECT_TRUE(p.sql.empty());  // no FreePBX database to grant on
}

TEST(SetupPlan, UnsafeNamesAreRefused) {
  test::TempDir dir("opdesk-setup");
  Inputs in;
  in.root = dir.path();
  in.ami_user = "op]desk";
  EXPECT_THROW(make_plan(in, next_secret), std::invalid_argument);
  in.ami_user = "opdesk";
  in.db_user = "x'; DROP";
  EXPECT_THROW(make_plan(in, next_secret), std::invalid_argument);
}

TEST(SetupPieces, SetTomlKeyKeepsCommentsAndOtherKeys) {
  std::string t = "[ami]\nhost = \"a\"      # the PBX\nport = 5038\n\n[log]\nlevel = \"warn\"\n";
  std::string out = set_toml_key(t, "ami", "host", toml_string("b"));
  EXPECT_EQ(out, "[ami]\nhost = \"b\"      # the PBX\nport = 5038\n\n[log]\nlevel = \"warn\"\n");
  out = set_toml_key(out, "ami", "secret", toml_string("q\"x"));
  EXPECT_EQ(out, "[ami]\nhost = \"b\"      # the PBX\nport = 5038\nsecret = \"q\\\"x\"\n\n[log]\nlevel = \"warn\"\n");
  out = set_toml_key(out, "tls", "cert", toml_string("/c.pem"));
  EXPECT_NE(out.find("\n[tls]\ncert = \"/c.pem\"\n"), std::string::npos);
}

TEST(SetupPieces, TheUnifiedDiffHasHeadersHunksAndContext) {
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(a, b, "f"),
            "--- f\n+++ f (new)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  EXPECT_EQ(unified_diff(a, a, "f"), "");
  EXPECT_EQ(unified_diff("", "x\n", "f"), "--- f\n+++ f (new)\n@@ -0,0 +1,1 @@\n+x\n");
}

TEST(SetupPieces, PhpConfigParsingIgnoresEverythingButAmpConfAssignments) {
  auto kv = parse_freepbx_php("<?php\n// $amp_conf['X'] = 'old';\n$other['A']='b';\n"
                              "$amp_conf['AMPDBPASS']='abc';\n");
  EXPECT_EQ(kv.at("AMPDBPASS"), "abc");
  EXPECT_EQ(kv.count("A"), 0u);
  EXPECT_EQ(kv.count("X"), 0u);
}


TEST(SetupSql, ThePlannedReadOnlyAccountReadsTheFreePbxSchemasOnARealMariaDbAndCannotWrite) {
  auto& server = test::MariaDbServer::shared();
  server.root_sql(
      "CREATE DATABASE IF NOT EXISTS asterisk; CREATE DATABASE IF NOT EXISTS asteriskcdrdb;"
      "CREATE TABLE IF NOT EXISTS asterisk.users (extension VARCHAR(20) PRIMARY KEY, name VARCHAR(50));"
      "CREATE TABLE IF NOT EXISTS asterisk.devices (id VARCHAR(20) PRIMARY KEY, tech VARCHAR(10), dial VARCHAR(50));"
      "CREATE TABLE IF NOT EXISTS asteriskcdrdb.cdr (calldate DATETIME, src VARCHAR(80), dst VARCHAR(80));"
      "REPLACE INTO asterisk.users VALUES ('1001','Alice');"
      "CREATE USER IF NOT EXISTS 'freepbxuser'@'%' IDENTIFIED BY 'fpbx-pass';"
      "GRANT ALL PRIVILEGES ON *.* TO 'freepbxuser'@'%' WITH GRANT OPTION;");
  test::TempDir dir("opdesk-setup");
  fake_freepbx(dir.path());
  write(dir.file("etc/freepbx.conf"), "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n$amp_conf['AMPDBPASS'] = 'fpbx-pass';\n");
  Inputs in;
  in.root = dir.path();
  Plan plan = make_plan(in, next_secret);
  // setup_cmd runs the plan's SQL with the credentials found in freepbx.conf.
  store::DbConfig admin;
  admin.host = server.endpoint().host;
  admin.port = server.endpoint().port;
  admin.user = plan.detected.db_user;
  admin.password = plan.detected.db_password;
  admin.database = "";
  store::run_admin_sql(admin, plan.sql);
  apply(plan);
  Plan again = make_plan(in, next_secret);  // a second run reuses the written password
  EXPECT_EQ(again.sql, plan.sql);
  store::run_admin_sql(admin, again.sql);

  store::DbConfig ro = admin;
  ro.user = "opdesk_ro";
  ro.password = plan.db_password;
  ro.database = "asterisk";
  EXPECT_NO_THROW(store::run_admin_sql(ro, {"SELECT extension, name FROM asterisk.users", "SELECT src FROM asteriskcdrdb.cdr"}));
  EXPECT_THROW(store::run_admin_sql(ro, {"INSERT INTO asterisk.users VALUES ('1002','Bob')"}), store::StoreError);
  EXPECT_THROW(store::run_admin_sql(ro, {"DELETE FROM asteriskcdrdb.cdr"}), store::StoreError);
  ro.password = "wrong";
  EXPECT_THROW(store::run_admin_sql(ro, {"SELECT 1"}), store::StoreError);
}

}  // namespace
}  // namespace opdesk::app::setup
