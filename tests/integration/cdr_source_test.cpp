// Issue #7: which cdr table `opdesk serve` gives the call log, chosen from the configuration
// (upstream .env keys DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_CDR or [freepbx]): the panel's own
// table by default, FreePBX's asteriskcdrdb.cdr (a real private MariaDB loaded with the rows
// of the shared cdr.csv) when configured, and the own table with a clear error when the
// FreePBX database cannot be used.
#include <gtest/gtest.h>

#include <soci/soci.h>

#include "app/cdr_source.hpp"
#include "app/config.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"
#include "unit/store/cdr_fixture.hpp"

namespace opdesk::app {
namespace {

constexpr const char* kStockCdr = R"(CREATE TABLE cdr (
  calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '',
  src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '',
  dcontext varchar(80) NOT NULL DEFAULT '', channel varchar(80) NOT NULL DEFAULT '',
  dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '',
  lastdata varchar(80) NOT NULL DEFAULT '', duration int(11) NOT NULL DEFAULT 0,
  billsec int(11) NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '',
  amaflags int(11) NOT NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '',
  uniqueid varchar(32) NOT NULL DEFAULT '', userfield varchar(255) NOT NULL DEFAULT '',
  did varchar(50) NOT NULL DEFAULT '', recordingfile varchar(255) NOT NULL DEFAULT '',
  linkedid varchar(32) NOT NULL DEFAULT '', peeraccount varchar(80) NOT NULL DEFAULT '',
  sequence int(11) NOT NULL DEFAULT 0, KEY calldate (calldate), KEY uniqueid (uniqueid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4)";

// The upstream .env of a FreePBX install, pointing at the private MariaDB.
std::map<std::string, std::string> upstream_env(const std::string& cdr_db, const std::string& password = {}) {
  const auto& ep = test::MariaDbServer::shared().endpoint();
  return {{"DB_HOST", ep.host},
          {"DB_PORT", std::to_string(ep.port)},
          {"DB_USER", ep.user},
          {"DB_PASSWORD", password.empty() ? ep.password : password},
          {"DB_NAME", "asterisk"},
          {"DB_CDR", cdr_db}};
}

std::string loaded_cdr_db() {
  auto& server = test::MariaDbServer::shared();
  std::string name = server.create_database("asteriskcdrdb");
  store::DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = name;
  c.pool_size = 1;
  store::Database db(c);
  db.with_session([](soci::session& s) {
    s << kStockCdr;
    for (const auto& r : testing_cdr::trace_cdr_rows()) {
      int dur = static_cast<int>(r.duration), bill = static_cast<int>(r.billsec), seq = static_cast<int>(r.sequence);
      s << "INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, "
           "duration, billsec, disposition, uniqueid, recordingfile, linkedid, sequence) VALUES "
           "(:a,:b,:c,:d,:e,:f,:g,:h,:i,:j,:k,:l,:m,:n,:o,:p)",
          soci::use(r.calldate), soci::use(r.clid), soci::use(r.src), soci::use(r.dst), soci::use(r.dcontext),
          soci::use(r.channel), soci::use(r.dstchannel), soci::use(r.lastapp), soci::use(r.lastdata),
          soci::use(dur), soci::use(bill), soci::use(r.disposition), soci::use(r.uniqueid),
          soci::use(r.recordingfile), soci::use(r.linkedid), soci::use(seq);
    }
    return 0;
  });
  return name;
}

class CdrSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<store::Database>(testing_cdr::sqlite_config(dir_.file("panel.db")));
    own_ = std::make_unique<store::CdrStore>(*db_);
    own_->migrate();
  }
  long long total(store::CdrStore& s) {
    store::CdrQuery q;
    q.scope.all = true;
    q.raw = true;
    return s.query(q).total;
  }
  test::TempDir dir_{"opdesk-cdrsrc"};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::CdrStore> own_;
};

TEST_F(CdrSourceTest, WithoutFreePbxTheCallLogReadsThePanelsOwnTable) {
  auto cfg = load_config(std::nullopt, std::nullopt, {}).config;
  EXPECT_FALSE(freepbx_enabled(cfg));
  CdrSource s = select_cdr_source(cfg, *own_);
  EXPECT_TRUE(s.own());
  EXPECT_EQ(s.active, own_.get());
  EXPECT_FALSE(s.freepbx_configured);
  EXPECT_EQ(s.to_json()["source"], "own");
}

TEST_F(CdrSourceTest, UpstreamDbKeysSwitchTheCallLogToAsteriskcdrdbReadOnly) {
  std::string name = loaded_cdr_db();
  auto cfg = load_config(std::nullopt, std::nullopt, upstream_env(name)).config;
  EXPECT_TRUE(freepbx_enabled(cfg));
  CdrSource s = select_cdr_source(cfg, *own_);
  ASSERT_FALSE(s.own()) << s.error;
  EXPECT_NE(s.active, own_.get());
  EXPECT_EQ(s.active->source(), store::CdrStore::Source::kFreePbx);
  EXPECT_EQ(total(*s.active), 43);  // the real rows of cdr.csv
  EXPECT_EQ(total(*own_), 0);
  EXPECT_EQ(s.to_json()["source"], "freepbx");
  EXPECT_FALSE(s.to_json().contains("error"));
}

TEST_F(CdrSourceTest, WrongCredentialsKeepTheOwnTableAndSayWhyWithoutTheSecret) {
  std::string name = loaded_cdr_db();
  auto cfg = load_config(std::nullopt, std::nullopt, upstream_env(name, "not-the-password")).config;
  CdrSource s = select_cdr_source(cfg, *own_);
  EXPECT_TRUE(s.own());
  EXPECT_EQ(s.active, own_.get());
  EXPECT_TRUE(s.freepbx_configured);
  EXPECT_NE(s.error.find("FreePBX CDR database " + name + " unusable"), std::string::npos) << s.error;
  EXPECT_EQ(s.error.find("not-the-password"), std::string::npos);
  EXPECT_EQ(s.to_json()["error"], s.error);
}

TEST_F(CdrSourceTest, AMissingCdrTableKeepsTheOwnTable) {
  std::string empty = test::MariaDbServer::shared().create_database("emptycdr");
  auto cfg = load_config(std::nullopt, std::nullopt, upstream_env(empty)).config;
  CdrSource s = select_cdr_source(cfg, *own_);
  EXPECT_TRUE(s.own());
  EXPECT_FALSE(s.error.empty());
}

TEST_F(CdrSourceTest, AnEmptyCdrDatabaseNameKeepsTheOwnTableEvenWithFreePbx) {
  auto cfg = load_config(std::nullopt, std::nullopt, upstream_env("x")).config;
  cfg.freepbx.cdr_db.clear();
  CdrSource s = select_cdr_source(cfg, *own_);
  EXPECT_TRUE(s.own());
  EXPECT_FALSE(s.freepbx_configured);
  EXPECT_TRUE(s.error.empty());
}

}  // namespace
}  // namespace opdesk::app
