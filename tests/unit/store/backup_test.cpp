// Backup and restore of the panel's SQLite database (issue #12): a backup taken while another
// thread keeps writing is a consistent, complete database; restore brings the data back and
// keeps the replaced file; a damaged backup is refused and changes nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "store/backup.hpp"
#include "store/errors.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::store {
namespace {

DbConfig sqlite_at(const std::string& path) {
  DbConfig c;
  c.sqlite_path = path;
  c.pool_size = 1;
  return c;
}

std::map<std::string, std::string> settings_of(const std::string& path) {
  Store st(sqlite_at(path));
  std::map<std::string, std::string> out;
  for (const auto& s : st.settings().all()) out[s.key] = s.value;
  return out;
}

TEST(Backup, ABackupTakenDuringWritesIsConsistentAndRestoresTheSameData) {
  test::TempDir dir("opdesk-backup");
  std::string db = dir.file("opdesk.db");
  Store st(sqlite_at(db));
  st.migrate();
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    // Each write is a transaction of two keys that must always appear together.
    for (int i = 0; !stop; ++i) {
      st.settings().set_many({{"k" + std::to_string(i), "v" + std::to_string(i), false},
                              {"pair" + std::to_string(i), "v" + std::to_string(i), false}});
      written = i + 1;
    }
  });
  while (written < 50) std::this_thread::yield();
  BackupInfo info = sqlite_backup(db, dir.file("backup.db"));
  stop = true;
  writer.join();
  EXPECT_GT(info.pages, 0);
  EXPECT_GT(info.bytes, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("backup.db.tmp")));

  auto backed = settings_of(dir.file("backup.db"));
  int keys = 0;
  for (const auto& [k, v] : backed) {
    if (k[0] != 'k') continue;
    ++keys;
    EXPECT_EQ(backed.count("pair" + k.substr(1)), 1u) << "half a transaction in the backup: " << k;
  }
  EXPECT_GE(keys, 50);

  // Later changes are undone by the restore; the replaced database is kept aside.
  st.settings().set("after-backup", "x", false);
  auto before_restore = settings_of(db);
  sqlite_restore(dir.file("backup.db"), db);
  EXPECT_EQ(settings_of(db), backed);
  EXPECT_EQ(settings_of(db + ".before-restore"), before_restore);
}

TEST(Backup, ADamagedBackupIsRefusedAndTheDatabaseIsUntouched) {
  test::TempDir dir("opdesk-backup");
  std::string db = dir.file("opdesk.db");
  {
    Store st(sqlite_at(db));
    st.migrate();
    st.settings().set("keep", "me", false);
  }
  std::ofstream(dir.file("bad.db")) << "this is not a database";
  EXPECT_THROW(sqlite_restore(dir.file("bad.db"), db), BackupError);
  EXPECT_THROW(sqlite_restore(dir.file("missing.db"), db), BackupError);
  EXPECT_THROW(sqlite_backup(dir.file("missing.db"), dir.file("out.db")), BackupError);
  EXPECT_EQ(settings_of(db).at("keep"), "me");
}

TEST(Backup, TheMariaDbCommandsQuoteTheirArgumentsAndNeverContainThePassword) {
  DbConfig c;
  c.backend = "mysql";
  c.user = "op'desk";
  c.password = "topsecret";
  c.database = "opdesk";
  std::string dump = mysqldump_command(c, "/tmp/a b.sql");
  EXPECT_NE(dump.find("--single-transaction"), std::string::npos);
  EXPECT_NE(dump.find("'op'\\''desk'"), std::string::npos);
  EXPECT_NE(dump.find("'/tmp/a b.sql'"), std::string::npos);
  EXPECT_EQ(dump.find("topsecret"), std::string::npos);
  EXPECT_EQ(mysql_restore_command(c, "x.sql").find("topsecret"), std::string::npos);
}

}  // namespace
}  // namespace opdesk::store
