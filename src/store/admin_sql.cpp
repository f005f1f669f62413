// Administrative SQL for `opdesk setup`; see admin_sql.hpp. One pooled session of the usual
// Database class (same quoting and error translation as the panel's own store).
#include "store/admin_sql.hpp"

#include "store/database.hpp"

namespace opdesk::store {

void run_admin_sql(DbConfig config, const std::vector<std::string>& statements) {
  config.backend = "mysql";
  if (config.database.empty()) config.database = "information_schema";  // always present
  config.pool_size = 1;
  Database db(config);
  db.with_session([&statements](soci::session& s) {
    for (const auto& sql : statements) s << sql;
    return 0;
  });
}

}  // namespace opdesk::store
