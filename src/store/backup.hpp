// Backup and restore of the panel's own SQLite database (`opdesk backup` / `opdesk restore`).
//
// Both use SQLite's online backup API on their own connections, so a backup taken while the
// server writes is a consistent snapshot (the copy restarts internally if a write lands
// mid-copy) and a restore goes through SQLite's locking instead of replacing a file under an
// open connection. Results are written to a temporary file, checked with PRAGMA quick_check,
// then renamed into place: a failed run never leaves a half-written file behind. MariaDB
// installs use mysqldump instead (mysqldump_command prints the command).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "store/types.hpp"

namespace opdesk::store {

struct BackupError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct BackupInfo {
  int64_t pages = 0;
  int64_t bytes = 0;
};

// Copies the database at `db_path` to `backup_path` (overwritten). Throws BackupError.
BackupInfo sqlite_backup(const std::string& db_path, const std::string& backup_path);

// Replaces the contents of `db_path` with `backup_path` after checking the backup's integrity;
// the previous database is kept as `<db_path>.before-restore`. Stop the server first.
BackupInfo sqlite_restore(const std::string& backup_path, const std::string& db_path);

// The mysqldump / mysql commands for a MariaDB panel database (password via MYSQL_PWD).
std::string mysqldump_command(const DbConfig& c, const std::string& file);
std::string mysql_restore_command(const DbConfig& c, const std::string& file);

}  // namespace opdesk::store
