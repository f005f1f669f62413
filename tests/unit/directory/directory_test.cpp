// Directory: merging AMI, the FreePBX/Issabel `asterisk` DB (a real private MariaDB loaded
// with FreePBX- and Issabel-shaped tables) and admin overrides (real SQLite).
#include <gtest/gtest.h>

#include <soci/soci.h>

#include "directory/directory.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "store/errors.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::directory {
namespace {

store::DbConfig asterisk_db(const std::vector<std::string>& ddl) {
  auto& server = test::MariaDbServer::shared();
  store::DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = server.create_database("asterisk");
  c.pool_size = 1;
  store::Database db(c);
  db.with_session([&](soci::session& s) {
    for (const auto& stmt : ddl) s << stmt;
    return 0;
  });
  return c;
}

const std::vector<std::string> kFreePbx = {
    "CREATE TABLE users (extension varchar(20) NOT NULL PRIMARY KEY, password varchar(20), "
    "name varchar(50), voicemail varchar(50), ringtimer int, outboundcid varchar(50)) "
    "DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE devices (id varchar(20) NOT NULL, tech varchar(10) NOT NULL, dial varchar(50) "
    "NOT NULL, devicetype varchar(5) NOT NULL, user varchar(50), description varchar(50)) "
    "DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE queues_config (extension varchar(20) NOT NULL PRIMARY KEY, descr varchar(35) "
    "NOT NULL, grppre varchar(100)) DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE sip (id varchar(20) NOT NULL, keyword varchar(30) NOT NULL, data "
    "varchar(255) NOT NULL, flags int NOT NULL DEFAULT 0) DEFAULT CHARSET=utf8mb4",
    "INSERT INTO users (extension, name) VALUES ('1001', 'Alice Ä'), ('1002', 'Carol 李'), "
    "('1003', NULL)",
    "INSERT INTO devices VALUES ('1001','pjsip','PJSIP/1001','fixed','1001','Alice Ä'),"
    "('1002','pjsip','PJSIP/1002','fixed','1002','Carol 李'),"
    "('1003','pjsip','PJSIP/1003','fixed','1003','Desk 3')",
    "INSERT INTO queues_config (extension, descr) VALUES ('5001','support'),('5002','sales')"};

// Issabel/chan_sip: no devices.description, no queues_config, names in sip.callerid.
const std::vector<std::string> kIssabel = {
    "CREATE TABLE users (extension varchar(20) NOT NULL PRIMARY KEY, name varchar(50))",
    "CREATE TABLE devices (id varchar(20) NOT NULL, tech varchar(10) NOT NULL, dial "
    "varchar(50) NOT NULL)",
    "CREATE TABLE sip (id varchar(20) NOT NULL, keyword varchar(30) NOT NULL, data "
    "varchar(255) NOT NULL, flags int NOT NULL DEFAULT 0)",
    "INSERT INTO users VALUES ('2001', 'Front Desk'), ('2002', '')",
    "INSERT INTO devices VALUES ('2001','sip','SIP/2001'),('2002','sip','SIP/2002')",
    "INSERT INTO sip VALUES ('2002','callerid','\"Back Office\" <2002>',0),"
    "('2002','secret','s3cr3t',0)"};

TEST(PbxDirectory, ReadsFreePbxUsersDevicesAndQueues) {
  store::Database db(asterisk_db(kFreePbx));
  auto data = store::read_pbx_directory(db);
  EXPECT_TRUE(data.warnings.empty());
  ASSERT_EQ(data.extensions.size(), 3u);
  EXPECT_EQ(data.extensions[0].number, "1001");
  EXPECT_EQ(data.extensions[0].name, "Alice Ä");
  EXPECT_EQ(data.extensions[0].tech, "pjsip");
  EXPECT_EQ(data.extensions[1].name, "Carol 李");
  EXPECT_EQ(data.extensions[2].name, "Desk 3");  // NULL users.name → devices.description
  ASSERT_EQ(data.queues.size(), 2u);
  EXPECT_EQ(data.queues[0].name, "support");
}

TEST(PbxDirectory, IssabelMissingTablesBecomeWarningsAndSipCalleridNames) {
  store::Database db(asterisk_db(kIssabel));
  auto data = store::read_pbx_directory(db);
  ASSERT_EQ(data.warnings.size(), 2u);  // devices.description, queues_config
  EXPECT_NE(data.warnings[0].find("devices"), std::string::npos);
  EXPECT_NE(data.warnings[1].find("queues_config"), std::string::npos);
  ASSERT_EQ(data.extensions.size(), 2u);
  EXPECT_EQ(data.extensions[0].name, "Front Desk");
  EXPECT_EQ(data.extensions[1].name, "Back Office");
  EXPECT_TRUE(data.queues.empty());
}

TEST(PbxDirectory, WrongCredentialsLeaveThePanelOnAmiWithAClearStatus) {
  auto c = asterisk_db(kFreePbx);
  c.password = "wrong-password";
  store::Database db(c);
  Directory dir("freepbx");
  dir.set_ami_extensions({Entry{"1001", "extension", "1001", "PJSIP"}});
  try {
    dir.set_pbx_data(store::read_pbx_directory(db));
    FAIL() << "a wrong password must not read the directory";
  } catch (const store::Unavailable& e) {
    dir.set_pbx_error(e.what());
  }
  auto st = dir.status();
  EXPECT_FALSE(st.db_ok);
  EXPECT_TRUE(st.db_configured);
  EXPECT_NE(st.message.find("PBX database unavailable"), std::string::npos);
  EXPECT_EQ(st.message.find("wrong-password"), std::string::npos);  // no secret in the status
  ASSERT_EQ(dir.list().size(), 1u);
  EXPECT_EQ(dir.list()[0].tech, "PJSIP");
}

TEST(Directory, PbxNamesBeatAmiAndOverridesBeatBoth) {
  Directory dir("freepbx");
  dir.set_ami_extensions({Entry{"1001", "extension", "Ext 1001", "PJSIP"},
                          Entry{"1002", "extension", "Ext 1002", "PJSIP"},
                          Entry{"1009", "extension", "", "PJSIP"}});
  dir.set_ami_queues({Entry{"support", "queue"}});
  store::PbxDirectoryData pbx;
  pbx.extensions = {{"1001", "Alice", "pjsip", "PJSIP/1001"}, {"1010", "New Hire", "pjsip", ""}};
  pbx.queues = {{"5001", "support"}};
  dir.set_pbx_data(pbx);
  EXPECT_EQ(dir.name_of("1001"), "Alice");
  EXPECT_EQ(dir.name_of("1002"), "Ext 1002");
  EXPECT_EQ(dir.name_of("1010"), "New Hire");  // known only to the PBX DB: still listed
  dir.set_overrides({{"1001", false, std::string("Reception"), std::string("Front"), 1},
                     {"1002", true, std::nullopt, std::nullopt, std::nullopt},
                     {"7777", false, std::string("Ghost"), std::nullopt, std::nullopt}});
  EXPECT_EQ(dir.name_of("1001"), "Reception");
  auto visible = dir.list();
  std::vector<std::string> order;
  for (const auto& e : visible) order.push_back(e.number);
  // extensions first (ungrouped, then group "Front"), then queues; 1002 hidden, 7777 unknown
  EXPECT_EQ(order, (std::vector<std::string>{"1009", "1010", "1001", "5001", "support"}));
  EXPECT_EQ(dir.list(true).size(), 6u);
  EXPECT_EQ(dir.match_names("RECEP"), std::set<std::string>{"1001"});
  EXPECT_TRUE(dir.extension_numbers().count("1002"));  // hidden still classifies calls
  EXPECT_EQ(dir.queue_keys(), (std::set<std::string>{"5001", "support"}));
}

TEST(DirectoryOverrides, AreStoredInThePanelDatabase) {
  test::TempDir tmp("opdesk-dir");
  store::DbConfig c;
  c.sqlite_path = tmp.file("panel.db");
  c.pool_size = 1;
  store::Database db(c);
  store::CdrStore(db).migrate();
  store::DirectoryOverrideRepo repo(db);
  repo.upsert({"1001", true, std::string("Lobby"), std::string("Front"), 3});
  repo.upsert({"1001", false, std::string("Lobby 2"), std::nullopt, std::nullopt});
  repo.upsert({"1002", true, std::nullopt, std::nullopt, 7});
  auto all = repo.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0].hidden);
  EXPECT_EQ(all[0].label, std::optional<std::string>("Lobby 2"));
  EXPECT_FALSE(all[0].group);
  EXPECT_TRUE(all[1].hidden);
  EXPECT_EQ(all[1].order, std::optional<int>(7));
  EXPECT_TRUE(repo.remove("1002"));
  EXPECT_FALSE(repo.remove("1002"));
  EXPECT_THROW(repo.upsert({"", false, std::nullopt, std::nullopt, std::nullopt}),
               store::ValidationError);
}

}  // namespace
}  // namespace opdesk::directory
