// Runs administrative SQL statements (CREATE USER, GRANT) on a MariaDB/MySQL server with an
// account that may do so — used by `opdesk setup` for the read-only FreePBX account. Blocking;
// for CLI commands only. Errors are StoreError subtypes naming the failed statement's reason.
#pragma once

#include <string>
#include <vector>

#include "store/types.hpp"

namespace opdesk::store {

// `config.database` may be empty (the statements name their schemas).
void run_admin_sql(DbConfig config, const std::vector<std::string>& statements);

}  // namespace opdesk::store
