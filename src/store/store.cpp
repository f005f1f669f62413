// Store construction, migrations entry point and health check (see store.hpp).
//
// The SQLite file's directory is created on construction (mode 0700) and the file itself 0600
// before SQLite opens it: it holds password hashes and the JWT secret (file_modes.hpp). Repositories share the one Database; the worker pool is joined
// in the destructor so queued calls finish before the sessions close.
#include "store/store.hpp"

#include <filesystem>
#include <system_error>

#include "store/database.hpp"
#include "store/file_modes.hpp"
#include "store/query.hpp"
#include "store/migrations.hpp"

namespace opdesk::store {
namespace {

void prepare_sqlite_files(const DbConfig& c) {
  if (c.backend != "sqlite" || c.sqlite_path.empty() || c.sqlite_path == ":memory:" ||
      c.sqlite_path.rfind("file:", 0) == 0) {
    return;
  }
  const auto dir = std::filesystem::path(c.sqlite_path).parent_path();
  try {
    if (!dir.empty()) create_private_dir(dir);
    ensure_private_file(c.sqlite_path);
  } catch (const Unavailable& e) {
    throw Unavailable(std::string("database unavailable: ") + e.what());
  }
}

}  // namespace

Store::Store(DbConfig config)
    : config_(std::move(config)),
      db_(std::make_unique<Database>(config_)),
      users_(std::make_unique<UserRepo>(*db_)),
      groups_(std::make_unique<GroupRepo>(*db_)),
      settings_(std::make_unique<SettingsRepo>(*db_)),
      audit_(std::make_unique<AuditRepo>(*db_)),
      api_keys_(std::make_unique<ApiKeyRepo>(*db_)),
      pool_(static_cast<size_t>(config_.pool_size)) {
  prepare_sqlite_files(config_);
}

Store::~Store() { pool_.join(); }

int Store::migrate() { return apply_migrations(*db_); }

int Store::schema_version() { return current_schema_version(*db_); }

std::string_view Store::backend() const {
  return db_->dialect() == Dialect::Sqlite ? "sqlite" : "mysql";
}

bool Store::ping(std::string* error) {
  try {
    db_->with_session([](soci::session& sql) {
      int one = 0;
      exec(sql, "SELECT 1", soci::into(one));
    });
    return true;
  } catch (const StoreError& e) {
    if (error) *error = e.what();
    return false;
  }
}

}  // namespace opdesk::store
