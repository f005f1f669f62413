// Shared fixture for the store tests: every test runs once on SQLite (a file in a temp dir)
// and once on a real MariaDB server (a fresh database on the per-process private server).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.hpp"
#include "support/mariadb.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::store::testing {

inline DbConfig mariadb_config(const std::string& prefix) {
  auto& server = opdesk::test::MariaDbServer::shared();  // throws (test fails) if unavailable
  DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = server.create_database(prefix);
  c.pool_size = 2;
  return c;
}

class StoreFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    DbConfig c;
    if (GetParam() == "sqlite") {
      c.sqlite_path = dir_.file("data/opdesk.db");
      c.pool_size = 2;
    } else {
      c = mariadb_config("store");
    }
    store_ = std::make_unique<Store>(c);
    ASSERT_EQ(store_->migrate(), 1);
  }

  User make_user(const std::string& username, std::optional<std::string> ext = std::nullopt,
                 Role role = Role::Agent) {
    NewUser u;
    u.username = username;
    u.name = "Name of " + username;
    u.extension = std::move(ext);
    u.role = role;
    u.password_hash = "stored-hash-of-" + username;
    return store_->users().create(u);
  }

  opdesk::test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace opdesk::store::testing

#define OPDESK_STORE_BACKENDS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "mariadb"), \
                           opdesk::store::testing::backend_name)
