// Session pool and error translation for the panel's own database (see database.hpp).
//
// Invariants: a Slot is used by one thread at a time (handed out under mu_); an open failure
// or a lost connection leaves the slot closed so the next lease reconnects; no SOCI exception
// escapes with_session (translate() maps each to a StoreError that names no SQL or secret).
#include "store/database.hpp"
#include "store/file_modes.hpp"
#include "store/query.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <spdlog/spdlog.h>

namespace opdesk::store {
namespace {

// SQLite result codes (sqlite3.h), named here to avoid including it.
constexpr int kSqliteBusy = 5, kSqliteLocked = 6, kSqliteReadonly = 8, kSqliteIoErr = 10,
              kSqliteFull = 13, kSqliteCantOpen = 14, kSqliteConstraint = 19;
// MariaDB server error numbers (mysqld_error.h).
constexpr unsigned kMyDupEntry = 1062, kMyDupEntryWithKey = 1586, kMyRowIsReferenced = 1451,
                   kMyNoReferencedRow = 1452, kMyDiskFull = 1021, kMyRecordFileFull = 1114,
                   kMyLockWait = 1205, kMyDeadlock = 1213, kMyAccessDenied = 1045,
                   kMyBadDb = 1049;

std::string conflict_field(const std::string& msg) {
  for (const char* f : {"username", "extension", "prefix", "setting_key", "name"}) {
    if (msg.find(f) != std::string::npos) return f;
  }
  return "value";
}

// SOCI's SQLite connect-string parser accepts a double-quoted value with no escape: a path
// with a double quote cannot be expressed, so it is refused with a clear message.
std::string sqlite_param(const std::string& v) {
  if (v.find('"') != std::string::npos) {
    throw ValidationError("database", "database settings must not contain \"");
  }
  return '"' + v + '"';
}

// SOCI's MySQL backend reads a quoted value up to the next unescaped ' and takes the character
// after a backslash literally, so any password (quotes, backslashes, spaces) can be passed.
std::string mysql_param(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

Database::Database(DbConfig config) : config_(std::move(config)) {
  if (config_.backend == "sqlite") {
    dialect_ = Dialect::Sqlite;
    if (config_.sqlite_path.empty()) throw ValidationError("database.path", "sqlite path is empty");
  } else if (config_.backend == "mysql" || config_.backend == "mariadb") {
    dialect_ = Dialect::Mysql;
  } else {
    throw ValidationError("database.backend",
                          "unknown database backend '" + config_.backend + "' (sqlite|mysql)");
  }
  if (config_.pool_size < 1 || config_.pool_size > 64) {
    throw ValidationError("database.pool_size", "pool_size must be between 1 and 64");
  }
  connect_ = connect_string();  // validates quoting once, before any session opens
  for (int i = 0; i < config_.pool_size + 1; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->session = std::make_unique<soci::session>();
    free_.push_back(slots_.back().get());
  }
}

Database::~Database() = default;

std::string Database::connect_string() const {
  if (dialect_ == Dialect::Sqlite) return "db=" + sqlite_param(config_.sqlite_path) + " timeout=5";
  return "host=" + mysql_param(config_.host) + " port=" + std::to_string(config_.port) +
         " user=" + mysql_param(config_.user) + " password=" + mysql_param(config_.password) +
         " db=" + mysql_param(config_.database) + " charset=utf8mb4";
}

void Database::open_slot(Slot& slot) {
  auto& s = *slot.session;
  if (dialect_ == Dialect::Sqlite) {
    s.open(*soci::factory_sqlite3(), connect_);
    // WAL: readers never block the writer; busy_timeout: wait for a lock instead of failing.
    exec(s, "PRAGMA journal_mode=WAL");
    exec(s, "PRAGMA busy_timeout=5000");
    exec(s, "PRAGMA foreign_keys=ON");
    exec(s, "PRAGMA synchronous=NORMAL");
    // -wal/-shm now exist; they take the database file's mode, checked here (file_modes.hpp).
    if (config_.sqlite_path != ":memory:") restrict_sqlite_files(config_.sqlite_path);
  } else {
    s.open(*soci::factory_mysql(), connect_);
    exec(s, "SET SESSION sql_mode='STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
  }
  slot.open = true;
}

Database::Lease::Lease(Database& db) : db_(db) {
  {
    std::unique_lock lock(db_.mu_);
    db_.cv_.wait(lock, [&] { return !db_.free_.empty(); });
    slot_ = db_.free_.back();
    db_.free_.pop_back();
  }
  was_open_ = slot_->open;
  if (slot_->open) return;
  try {
    db_.open_slot(*slot_);
  } catch (const soci::soci_error& e) {
    const std::string reason = e.get_error_message();
    release_broken();
    spdlog::warn("store: cannot open database: {}", reason);
    throw Unavailable("database unavailable: " + reason);
  } catch (...) {
    release_broken();
    throw;
  }
}

void Database::Lease::release_broken() {
  slot_->session->close();
  slot_->open = false;
  {
    std::lock_guard lock(db_.mu_);
    db_.free_.push_back(slot_);
  }
  db_.cv_.notify_one();
}

Database::Lease::~Lease() {
  {
    std::lock_guard lock(db_.mu_);
    db_.free_.push_back(slot_);
  }
  db_.cv_.notify_one();
}

soci::session& Database::Lease::session() { return *slot_->session; }

bool Database::Lease::handle_error(const soci::soci_error& e, bool may_retry) {
  if (e.get_error_category() != soci::soci_error::connection_error) return false;
  slot_->session->close();
  slot_->open = false;
  return was_open_ && may_retry;
}

Tx::Tx(soci::session& sql, Dialect d) : sql_(sql) {
  exec(sql_, d == Dialect::Sqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
}

Tx::~Tx() {
  if (done_) return;
  try {
    exec(sql_, "ROLLBACK");
  } catch (const soci::soci_error& e) {
    // Rolling back on a connection that just failed fails too; the server discards the
    // transaction with the connection, and the original error is already propagating.
    spdlog::debug("store: rollback failed: {}", e.get_error_message());
  }
}

void Tx::commit() {
  exec(sql_, "COMMIT");
  done_ = true;
}

void Database::translate(const soci::soci_error& e) const {
  const std::string msg = e.get_error_message();
  spdlog::debug("store: database error: {}", msg);
  if (auto* se = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    const int rc = se->result() & 0xff;  // primary code of an extended result code
    if (rc == kSqliteConstraint && msg.find("UNIQUE") != std::string::npos) {
      throw Conflict(conflict_field(msg), conflict_field(msg) + " already exists");
    }
    if (rc == kSqliteConstraint && msg.find("FOREIGN KEY") != std::string::npos) {
      throw ValidationError("reference", "a referenced row does not exist");
    }
    if (rc == kSqliteFull) throw Unavailable("disk full");
    if (rc == kSqliteBusy || rc == kSqliteLocked) throw Unavailable("database busy");
    if (rc == kSqliteReadonly || rc == kSqliteIoErr || rc == kSqliteCantOpen) {
      throw Unavailable("database unavailable: " + msg);
    }
  }
  if (auto* me = dynamic_cast<const soci::mysql_soci_error*>(&e)) {
    const unsigned n = me->err_num_;
    if (n == kMyDupEntry || n == kMyDupEntryWithKey) {
      throw Conflict(conflict_field(msg), conflict_field(msg) + " already exists");
    }
    if (n == kMyRowIsReferenced || n == kMyNoReferencedRow) {
      throw ValidationError("reference", "a referenced row does not exist");
    }
    if (n == kMyDiskFull || n == kMyRecordFileFull) throw Unavailable("disk full");
    if (n == kMyLockWait || n == kMyDeadlock) throw Unavailable("database busy");
    if (n == kMyAccessDenied || n == kMyBadDb ||
        me->get_error_category() == soci::soci_error::connection_error) {
      throw Unavailable("database unavailable: " + msg);
    }
  }
  throw StoreError("database error: " + msg);
}

}  // namespace opdesk::store
