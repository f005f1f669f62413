// Store: the panel's own database behind a domain interface (no SOCI type in this header).
//
// Owns the session pool (Database) and a worker pool of `pool_size` threads. Every repository
// method is blocking; callers on the Asio event loop must go through `async`, which runs the
// call on the worker pool and resumes the awaiting coroutine on its own executor:
//
//   auto user = co_await store.async([&] { return store.users().get(id); });
//
// CLI commands (opdesk migrate, user add) call the repositories directly. Errors are the
// StoreError family from errors.hpp. Nothing connects in the constructor: a database that is
// down is reported by the first call (Unavailable) and retried by the next one.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/errors.hpp"
#include "store/types.hpp"

namespace opdesk::store {

class Database;

class UserRepo {
 public:
  explicit UserRepo(Database& db) : db_(db) {}
  User create(const NewUser& u);
  User update(int64_t id, const UserPatch& p);  // NotFound, Conflict, ValidationError
  std::optional<User> get(int64_t id);
  // Login name: a username, or else an extension number.
  std::optional<User> get_by_login(std::string_view login);
  std::vector<User> list();
  void remove(int64_t id);  // refuses to delete the last active admin
  int64_t count();
  int64_t count_active_admins();
  // Replaces the hash; revoke_tokens also bumps token_version (other sessions end).
  void set_password(int64_t id, const std::string& password_hash, bool revoke_tokens);
  void touch_login(int64_t id, int64_t at_ms);
  int64_t bump_token_version(int64_t id);  // returns the new version

 private:
  Database& db_;
};

class GroupRepo {
 public:
  explicit GroupRepo(Database& db) : db_(db) {}
  Group create(const NewGroup& g);
  Group update(int64_t id, const GroupPatch& p);
  std::optional<Group> get(int64_t id);
  std::vector<Group> list();
  std::vector<Group> for_user(int64_t user_id);  // groups the user belongs to
  void remove(int64_t id);

 private:
  Database& db_;
};

class SettingsRepo {
 public:
  explicit SettingsRepo(Database& db) : db_(db) {}
  std::optional<Setting> get(const std::string& key);
  void set(const std::string& key, const std::string& value, bool secret,
           const std::optional<std::string>& updated_by = std::nullopt);
  // All or nothing: one transaction.
  void set_many(const std::vector<SettingWrite>& writes,
                const std::optional<std::string>& updated_by = std::nullopt);
  // Writes only when the key is absent; returns the value now stored (race-safe).
  std::string get_or_insert(const std::string& key, const std::string& value, bool secret);
  std::vector<Setting> all();  // sorted by key
  bool remove(const std::string& key);

 private:
  Database& db_;
};

class AuditRepo {
 public:
  explicit AuditRepo(Database& db) : db_(db) {}
  int64_t append(const AuditEntry& e);  // at == 0 → now; returns the new id
  AuditPage query(const AuditQuery& q);  // newest first, keyset paging
  int64_t prune_before(int64_t at_ms);   // deletes older rows, returns how many

 private:
  Database& db_;
};

class ApiKeyRepo {
 public:
  explicit ApiKeyRepo(Database& db) : db_(db) {}
  ApiKey create(const NewApiKey& k);
  std::vector<ApiKey> list();
  std::optional<ApiKey> get(int64_t id);
  ApiKey update(int64_t id, const ApiKeyPatch& p);
  void remove(int64_t id);
  std::vector<ApiKeySecret> find_by_prefix(const std::string& prefix);
  void touch_last_used(int64_t id, int64_t at_ms);

 private:
  Database& db_;
};

class Store {
 public:
  explicit Store(DbConfig config);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  int migrate();         // applies pending migrations, returns how many ran (idempotent)
  int schema_version();  // highest applied migration (0: empty database)
  // Cheap connectivity check for /api/status; on failure `error` gets the reason.
  bool ping(std::string* error = nullptr);
  const DbConfig& config() const { return config_; }
  std::string_view backend() const;

  UserRepo& users() { return *users_; }
  GroupRepo& groups() { return *groups_; }
  SettingsRepo& settings() { return *settings_; }
  AuditRepo& audit() { return *audit_; }
  ApiKeyRepo& api_keys() { return *api_keys_; }
  // The session pool, for other repositories inside src/store (e.g. the call log).
  Database& database() { return *db_; }

  // The worker pool, for fire-and-forget jobs (e.g. call-log writes from the AMI stream).
  boost::asio::thread_pool::executor_type pool_executor() { return pool_.get_executor(); }

  // Runs f() on the worker pool; the awaiting coroutine resumes on its own executor.
  // Exceptions thrown by f are rethrown to the awaiting coroutine.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> async(F f) {
    using R = std::invoke_result_t<F&>;
    return boost::asio::co_spawn(
        pool_.get_executor(),
        [fn = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return fn(); },
        boost::asio::use_awaitable);
  }

 private:
  DbConfig config_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<UserRepo> users_;
  std::unique_ptr<GroupRepo> groups_;
  std::unique_ptr<SettingsRepo> settings_;
  std::unique_ptr<AuditRepo> audit_;
  std::unique_ptr<ApiKeyRepo> api_keys_;
  boost::asio::thread_pool pool_;  // declared last: joined first in ~Store
};

}  // namespace opdesk::store
