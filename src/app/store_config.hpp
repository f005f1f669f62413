// The store's connection settings derived from the configuration (serve and the CLI commands).
#pragma once

#include "config.hpp"
#include "store/types.hpp"

namespace opdesk::app {

inline store::DbConfig store_config(const Config& c, int pool_size) {
  store::DbConfig d;
  d.backend = c.database.backend;
  d.sqlite_path = c.sqlite_path();
  d.host = c.database.host;
  d.port = c.database.port;
  d.user = c.database.user;
  d.password = c.database.password;
  d.database = c.database.name;
  d.pool_size = pool_size;
  return d;
}

// The FreePBX/Issabel MySQL databases (`asterisk`, `asteriskcdrdb`), read only, from [freepbx] /
// the upstream DB_* keys.
inline store::DbConfig freepbx_db_config(const Config& c, const std::string& database, int pool_size) {
  store::DbConfig d;
  d.backend = "mysql";
  d.host = c.freepbx.host;
  d.port = c.freepbx.port;
  d.user = c.freepbx.user;
  d.password = c.freepbx.password;
  d.database = database;
  d.pool_size = pool_size;
  return d;
}

}  // namespace opdesk::app
