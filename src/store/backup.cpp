// SQLite online backup and restore; see backup.hpp. Uses the sqlite3 C API directly (SOCI has
// no backup call); everything runs on the caller's thread (CLI commands, never the loop).
#include "store/backup.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>

#include "store/file_modes.hpp"

namespace opdesk::store {
namespace fs = std::filesystem;

namespace {

// Long enough for the server's write transactions (milliseconds each) to finish.
constexpr int kBusyTimeoutMs = 10000;

struct Conn {
  sqlite3* db = nullptr;
  ~Conn() { sqlite3_close(db); }
};

void open(Conn& c, const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    std::string msg = c.db ? sqlite3_errmsg(c.db) : "out of memory";
    throw BackupError("cannot open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(c.db, kBusyTimeoutMs);
}

void check_integrity(sqlite3* db, const std::string& path) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, nullptr) != SQLITE_OK) {
    throw BackupError(path + " is not a SQLite database: " + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> guard(st, &sqlite3_finalize);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) throw BackupError(path + " is not a SQLite database: " + sqlite3_errmsg(db));
  std::string result(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  if (result != "ok") throw BackupError(path + " failed its integrity check: " + result);
}

// Copies all pages of `from` into `to` in one step (one consistent snapshot of the source).
BackupInfo copy(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw BackupError(what + ": " + sqlite3_errmsg(to));
  int rc;
  do {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  BackupInfo info;
  info.pages = sqlite3_backup_pagecount(b);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw BackupError(what + ": " + sqlite3_errstr(rc));
  return info;
}

void remove_quietly(const std::string& p) {
  std::error_code ec;
  fs::remove(p, ec);  // a leftover temp file is harmless; the error that led here is reported
}

}  // namespace

BackupInfo sqlite_backup(const std::string& db_path, const std::string& backup_path) {
  if (!fs::exists(db_path)) throw BackupError("no database at " + db_path);
  std::string tmp = backup_path + ".tmp";
  remove_quietly(tmp);
  BackupInfo info;
  try {
    Conn src, dst;
    open(src, db_path, SQLITE_OPEN_READONLY);
    ensure_private_file(tmp);  // a backup holds every secret of the database: 0600
    open(dst, tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    info = copy(src.db, dst.db, "backup of " + db_path);
    check_integrity(dst.db, tmp);
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, backup_path, ec);
  if (ec) throw BackupError("cannot write " + backup_path + ": " + ec.message());
  info.bytes = static_cast<int64_t>(fs::file_size(backup_path));
  return info;
}

BackupInfo sqlite_restore(const std::string& backup_path, const std::string& db_path) {
  if (!fs::exists(backup_path)) throw BackupError("no backup at " + backup_path);
  Conn bak;
  open(bak, backup_path, SQLITE_OPEN_READONLY);
  check_integrity(bak.db, backup_path);
  if (fs::exists(db_path)) sqlite_backup(db_path, db_path + ".before-restore");
  ensure_private_file(db_path);
  Conn dst;
  open(dst, db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  BackupInfo info = copy(bak.db, dst.db, "restore into " + db_path);
  check_integrity(dst.db, db_path);
  info.bytes = static_cast<int64_t>(fs::file_size(backup_path));
  return info;
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
std::string mysql_args(const DbConfig& c) {
  return "-h " + shell_quote(c.host) + " -P " + std::to_string(c.port) + " -u " + shell_quote(c.user) + " ";
}
}  // namespace

std::string mysqldump_command(const DbConfig& c, const std::string& file) {
  return "MYSQL_PWD=... mysqldump --single-transaction --routines " + mysql_args(c) + shell_quote(c.database) +
         " > " + shell_quote(file);
}

std::string mysql_restore_command(const DbConfig& c, const std::string& file) {
  return "MYSQL_PWD=... mysql " + mysql_args(c) + shell_quote(c.database) + " < " + shell_quote(file);
}

}  // namespace opdesk::store
