// A private MariaDB server for tests: started once per test process, stopped at exit.
//
// MariaDbServer::shared() copies an initialised data directory into a temp dir (made once per
// build tree with mariadb-install-db),
// starts /usr/sbin/mariadbd on a free 127.0.0.1 port with its socket in that dir, waits until
// it accepts connections, then creates a password-protected user (over the root socket) that
// may create databases. Each test takes a fresh database with create_database(). If the
// server binaries are missing or the server does not start, shared() throws a
// std::runtime_error that says so (the test FAILS; CI installs mariadb-server).
// The server gets SIGTERM (and is waited for) when the test process exits, and also dies with
// the test process if that crashes (PR_SET_PDEATHSIG).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

namespace opdesk::test {

class TempDir;

struct MariaDbEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string user;
  std::string password;
  std::string socket;
};

class MariaDbServer {
 public:
  static MariaDbServer& shared();
  ~MariaDbServer();

  const MariaDbEndpoint& endpoint() const { return ep_; }
  // Creates an empty database with a unique name starting with `prefix`; returns the name.
  std::string create_database(const std::string& prefix);
  // Runs SQL as root over the socket; throws with the client's output on failure.
  void root_sql(const std::string& sql);
  // Stops and restarts the server on the same port (for reconnect tests).
  void restart();
  void stop();

 private:
  MariaDbServer();
  void install();
  static std::string template_dir();
  std::string make_template(const std::string& templ);
  void start();
  void wait_ready();
  void create_user();

  std::unique_ptr<TempDir> dir_;
  MariaDbEndpoint ep_;
  pid_t pid_ = -1;
  int next_db_ = 0;
};

}  // namespace opdesk::test
