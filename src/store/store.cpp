// Store construction, migrations entry point and health check (see store.hpp).
//
// The SQLite file's directory is created on construction (mode 0700: the file holds password
// hashes and the JWT secret). Repositories share the one Database; the worker pool is joined
// in the destructor so queued calls finish before the sessions close.
#include "store/store.hpp"

#include <filesystem>
#include <system_error>

#include "store/database.hpp"
#include "store/query.hpp"
#include "store/migrations.hpp"

namespace opdesk::store {
namespace {

void prepare_sqlite_dir(const DbConfig& c) {
  if (c.backend != "sqlite" || c.sqlite_path.empty() || c.sqlite_path == ":memory:") return;
  const auto dir = std::filesystem::path(c.sqlite_path).parent_path();
  if (dir.empty() || std::filesystem::exists(dir)) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Unavailable("database unavailable: cannot create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
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
  prepare_sqlite_dir(config_);
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
