// Private files for secrets. The SQLite database holds the JWT secret, the recording-URL HMAC
// key, password hashes and CRM secrets, so, whatever the process umask (outside systemd it is
// usually 022 → 0755/0644):
//  - a data directory OpDesk creates is 0700 (an existing one keeps its mode: the Debian
//    package makes /var/lib/opdesk 0750 for the opdesk group on purpose);
//  - the database file is created 0600 before SQLite opens it; SQLite gives -wal/-shm/-journal
//    the database file's mode, and they are re-checked after each open; an existing file that
//    "group" or "other" may read loses those bits (logged once);
//  - backups (.tmp then renamed) are created 0600 the same way.
#pragma once

#include <filesystem>
#include <string>

namespace opdesk::store {

// create_directories(dir); every directory created here gets 0700. Throws Unavailable.
void create_private_dir(const std::filesystem::path& dir);
// Creates `file` empty with 0600 when missing; strips group/other bits from an existing one.
void ensure_private_file(const std::filesystem::path& file);
// Strips group/other bits from `db` and its -wal, -shm and -journal files that exist.
void restrict_sqlite_files(const std::string& db_path);

}  // namespace opdesk::store
