// File modes of the panel's own SQLite database (issue 18): outside systemd the umask is
// usually 022, and the data dir came out 0755 and the database (JWT secret, recording HMAC key,
// password hashes, CRM secrets) 0644. Now: a created data dir is 0700, the database and its
// -wal/-shm files 0600, an existing world-readable database is tightened, backups are 0600.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "store/backup.hpp"
#include "store/file_modes.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::store {
namespace {

unsigned mode_of(const std::string& p) {
  struct stat st{};
  if (::stat(p.c_str(), &st) != 0) return 07777;
  return st.st_mode & 0777;
}

// Runs with the usual interactive umask, restoring the test process's own afterwards.
class FileModes : public ::testing::Test {
 protected:
  void SetUp() override { old_ = ::umask(022); }
  void TearDown() override { ::umask(old_); }
  mode_t old_ = 0;
  test::TempDir dir_{"opdesk-modes"};
};

DbConfig sqlite_at(const std::string& path) {
  DbConfig c;
  c.sqlite_path = path;
  c.pool_size = 1;
  return c;
}

TEST_F(FileModes, AFreshDataDirIs0700AndTheDatabaseFilesAre0600) {
  const std::string data = dir_.file("var/lib/opdesk");
  const std::string db = data + "/opdesk.db";
  {
    Store st(sqlite_at(db));
    st.migrate();
    st.settings().set("PANEL_TITLE", "x", false, "test");
    EXPECT_EQ(mode_of(data), 0700u);
    EXPECT_EQ(mode_of(dir_.file("var/lib")), 0700u);  // every directory created on the way
    EXPECT_EQ(mode_of(db), 0600u);
    ASSERT_TRUE(std::filesystem::exists(db + "-wal"));
    EXPECT_EQ(mode_of(db + "-wal"), 0600u);
    EXPECT_EQ(mode_of(db + "-shm"), 0600u);
  }
  create_private_dir(dir_.file("a/b"));
  EXPECT_EQ(mode_of(dir_.file("a")), 0700u);
  EXPECT_EQ(mode_of(dir_.file("a/b")), 0700u);
}

TEST_F(FileModes, AnExistingDirectoryKeepsItsModeAndAWorldReadableDatabaseIsTightened) {
  const std::string data = dir_.file("data");
  std::filesystem::create_directories(data);
  ::chmod(data.c_str(), 0750);  // the Debian package's StateDirectoryMode
  const std::string db = data + "/opdesk.db";
  {
    Store st(sqlite_at(db));
    st.migrate();
  }
  ::chmod(db.c_str(), 0644);  // as an older version left it
  {
    Store st(sqlite_at(db));
    st.migrate();
    EXPECT_TRUE(st.ping());
  }
  EXPECT_EQ(mode_of(data), 0750u);
  EXPECT_EQ(mode_of(db), 0600u);
}

TEST_F(FileModes, BackupsAre0600) {
  const std::string db = dir_.file("opdesk.db");
  {
    Store st(sqlite_at(db));
    st.migrate();
  }
  sqlite_backup(db, dir_.file("backup.db"));
  EXPECT_EQ(mode_of(dir_.file("backup.db")), 0600u);
  const std::string restored = dir_.file("restored.db");
  sqlite_restore(dir_.file("backup.db"), restored);
  EXPECT_EQ(mode_of(restored), 0600u);
}

}  // namespace
}  // namespace opdesk::store
