// Store-level behaviour: migrations, the async bridge to the worker pool, health and errors
// when the database is unreachable. Repos have their own test files.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <thread>

#include "store/migrations.hpp"
#include "store_fixture.hpp"

namespace opdesk::store {
namespace {

using testing::StoreFixture;

class StoreTest : public StoreFixture {};

TEST_P(StoreTest, MigrateIsIdempotentAndRecordsTheSchemaVersion) {
  EXPECT_EQ(store_->migrate(), 0);
  EXPECT_EQ(store_->schema_version(), latest_schema_version());
  EXPECT_EQ(store_->migrate(), 0);
}

TEST_P(StoreTest, PingSucceedsOnAWorkingDatabase) {
  std::string err;
  EXPECT_TRUE(store_->ping(&err)) << err;
}

TEST_P(StoreTest, AsyncRunsOnTheWorkerPoolAndResumesOnTheCallersThread) {
  boost::asio::io_context io;
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id worker, resumed;
  int64_t count = -1;
  make_user("alice");
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    count = co_await store_->async([&] {
      worker = std::this_thread::get_id();
      return store_->users().count();
    });
    resumed = std::this_thread::get_id();
  }, boost::asio::detached);
  io.run();
  EXPECT_EQ(count, 1);
  EXPECT_NE(worker, loop_thread);
  EXPECT_EQ(resumed, loop_thread);
}

TEST_P(StoreTest, AsyncRethrowsStoreErrorsToTheAwaitingCoroutine) {
  boost::asio::io_context io;
  std::string caught;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    try {
      co_await store_->async([&] { store_->users().remove(4242); });
    } catch (const NotFound& e) {
      caught = e.field() + ": " + e.what();
    }
  }, boost::asio::detached);
  io.run();
  EXPECT_EQ(caught, "user: user 4242 not found");
}

TEST_P(StoreTest, ConcurrentWritesFromTheWorkerPoolAllCommit) {
  boost::asio::io_context io;
  int done = 0;
  for (int i = 0; i < 16; ++i) {
    boost::asio::co_spawn(io, [&, i]() -> boost::asio::awaitable<void> {
      co_await store_->async([&, i] {
        // read-then-write transactions on several sessions at once
        make_user("user" + std::to_string(i), std::to_string(9000 + i));
        store_->settings().set("K" + std::to_string(i), "v", false);
      });
      ++done;
    }, boost::asio::detached);
  }
  io.run();
  EXPECT_EQ(done, 16);
  EXPECT_EQ(store_->users().count(), 16);
  EXPECT_EQ(store_->settings().all().size(), 16u);
}

OPDESK_STORE_BACKENDS(StoreTest);

TEST(StoreErrors, AnUnreachableMariaDbIsReportedAsUnavailableNotACrash) {
  DbConfig c;
  c.backend = "mysql";
  c.host = "127.0.0.1";
  c.port = 1;  // nothing listens on port 1
  c.user = "nobody";
  c.password = "x";
  Store store(c);
  std::string err;
  EXPECT_FALSE(store.ping(&err));
  EXPECT_EQ(err.rfind("database unavailable: ", 0), 0u) << err;
  EXPECT_THROW(store.migrate(), Unavailable);
  EXPECT_THROW(store.users().count(), Unavailable);  // and again: the next call retries
}

TEST(StoreErrors, WrongMariaDbPasswordIsReportedAsUnavailable) {
  auto c = testing::mariadb_config("badpw");
  c.password += "-wrong";
  Store store(c);
  EXPECT_THROW(store.migrate(), Unavailable);
}

// A FreePBX database password may hold quotes, backslashes and spaces: all reach MariaDB as
// typed (the connect string escapes them), and one character less is refused.
TEST(StoreErrors, AMariaDbPasswordWithQuotesBackslashesAndSpacesConnects) {
  auto c = testing::mariadb_config("quotepw");
  const std::string password = R"(it's a "pass" \ ;x)";
  c.user = "quote_user";
  c.password = password;
  opdesk::test::MariaDbServer::shared().root_sql(
      R"(CREATE USER IF NOT EXISTS 'quote_user'@'%' IDENTIFIED BY 'it''s a "pass" \\ ;x';)"
      " GRANT ALL PRIVILEGES ON `" + c.database + "`.* TO 'quote_user'@'%';");
  Store store(c);
  EXPECT_EQ(store.migrate(), 1);
  EXPECT_EQ(store.users().count(), 0);
  c.password = password.substr(0, password.size() - 1);
  Store wrong(c);
  EXPECT_THROW(wrong.migrate(), Unavailable);
}

TEST(StoreErrors, SqliteFileInAnUnwritablePlaceIsReportedAsUnavailable) {
  opdesk::test::TempDir dir;
  const std::string blocker = dir.file("not-a-dir");
  { std::ofstream(blocker) << "x"; }
  DbConfig c;
  c.sqlite_path = blocker + "/opdesk.db";
  EXPECT_THROW({ Store store(c); store.migrate(); }, Unavailable);
}

TEST(StoreErrors, UnknownBackendNamesTheSetting) {
  DbConfig c;
  c.backend = "oracle";
  try {
    Store store(c);
    FAIL() << "accepted an unknown backend";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "database.backend");
  }
}

TEST(StoreErrors, MariaDbRestartIsSurvivedByReconnectingOnTheNextCall) {
  auto c = testing::mariadb_config("restart");
  Store store(c);
  ASSERT_EQ(store.migrate(), 1);
  ASSERT_EQ(store.users().count(), 0);
  opdesk::test::MariaDbServer::shared().restart();
  EXPECT_EQ(store.users().count(), 0);  // the stale connection is replaced transparently
}

TEST(StoreErrors, ADatabaseMigratedByANewerOpDeskIsRefused) {
  auto c = testing::mariadb_config("future");
  Store store(c);
  ASSERT_EQ(store.migrate(), 1);
  opdesk::test::MariaDbServer::shared().root_sql("INSERT INTO `" + c.database +
                                                 "`.schema_version VALUES (999, 'future', 0)");
  try {
    store.migrate();
    FAIL() << "a newer schema was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this program"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace opdesk::store
