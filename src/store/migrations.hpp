// Ordered list of schema migrations (migrations.cpp) and the runner used by Store::migrate().
#pragma once

#include <string>
#include <vector>

namespace opdesk::store {

class Database;

struct Migration {
  int version;
  std::string name;
  std::vector<std::string> statements;  // templates with {PK} {KEY} {TEXT} {OPTS}
};

const std::vector<Migration>& migrations();
int latest_schema_version();
// Applies every migration not yet recorded in schema_version; returns how many ran.
int apply_migrations(Database& db);
int current_schema_version(Database& db);

}  // namespace opdesk::store
