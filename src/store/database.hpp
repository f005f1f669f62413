// Database: a small pool of SOCI sessions and the translation of SOCI errors to StoreError.
//
// Internal to src/store (the only place allowed to include SOCI). Each call leases one session
// for its duration (`with_session`), so a worker thread never shares a session. Sessions open
// lazily: a database that is down at start-up turns into Unavailable on the first call instead
// of a crash, and the next call tries again. A connection error on a session that was open
// (MariaDB restarted, idle timeout) closes it and the call is retried once on a fresh
// connection. Dialect differences (DDL types, upsert) live in dialect.cpp only.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <soci/soci.h>
#include <string>
#include <vector>

#include "store/errors.hpp"
#include "store/types.hpp"

namespace opdesk::store {

enum class Dialect { Sqlite, Mysql };

// DDL/SQL fragments that differ between SQLite and MariaDB/MySQL (dialect.cpp).
struct DialectSql {
  static std::string expand(Dialect d, std::string_view templ);  // {PK} {KEY} {TEXT} {OPTS}
  static std::string upsert_setting(Dialect d);
  static std::string insert_ignore(Dialect d);  // "INSERT ... INTO" that skips duplicates
};

class Database {
 public:
  explicit Database(DbConfig config);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Dialect dialect() const { return dialect_; }
  const DbConfig& config() const { return config_; }

  // Runs f(session) on a leased session; SOCI errors become StoreError subtypes.
  template <class F>
  auto with_session(F&& f) -> decltype(f(std::declval<soci::session&>())) {
    for (int attempt = 0;; ++attempt) {
      Lease lease(*this);
      try {
        return f(lease.session());
      } catch (const soci::soci_error& e) {
        if (!lease.handle_error(e, attempt == 0)) translate(e);
      }
    }
  }

 private:
  struct Slot {
    std::unique_ptr<soci::session> session;
    bool open = false;
  };
  class Lease {
   public:
    explicit Lease(Database& db);
    ~Lease();
    soci::session& session();
    // Returns true when the call should be retried (connection lost on an open session).
    bool handle_error(const soci::soci_error& e, bool may_retry);

   private:
    void release_broken();  // closes the session and returns the slot (constructor failure)

    Database& db_;
    Slot* slot_;
    bool was_open_ = false;
  };

  void open_slot(Slot& slot);
  [[noreturn]] void translate(const soci::soci_error& e) const;
  std::string connect_string() const;

  DbConfig config_;
  Dialect dialect_;
  std::string connect_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_;
};

// A transaction that takes the write lock up front on SQLite (BEGIN IMMEDIATE), so two
// sessions that read then write never deadlock into SQLITE_BUSY: the second one waits
// (busy_timeout) for the first to commit. Rolls back when destroyed uncommitted.
class Tx {
 public:
  Tx(soci::session& sql, Dialect d);
  ~Tx();
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  void commit();

 private:
  soci::session& sql_;
  bool done_ = false;
};

// Helpers for nullable columns (SOCI 4.0 has no std::optional binding).
template <class T>
std::optional<T> opt(const T& v, soci::indicator ind) {
  return ind == soci::i_ok ? std::optional<T>(v) : std::nullopt;
}

}  // namespace opdesk::store
