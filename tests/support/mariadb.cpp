// Private MariaDB for tests (see mariadb.hpp).
//
// Processes are started with fork/exec (no shell), their output goes to log files in the temp
// dir and is quoted in error messages. Readiness: the TCP port accepts and the root socket
// answers a query; the wait is bounded (60 s) and fails with the server's error log.
#include "support/mariadb.hpp"

#include <chrono>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "support/free_port.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::test {
namespace {

constexpr const char* kServer = "/usr/sbin/mariadbd";
constexpr const char* kInstall = "/usr/bin/mariadb-install-db";
constexpr const char* kClient = "/usr/bin/mariadb";

std::string read_file(const std::string& path, size_t max_tail = 4000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_tail ? s.substr(s.size() - max_tail) : s;
}

// Starts argv[0] with stdout/stderr to `log`; the child dies with this process.
pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      ::close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int run(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = spawn(args, log);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string random_word(size_t n) {
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kChars[rd() % 36];
  return s;
}

void require_binary(const char* path) {
  if (access(path, X_OK) != 0) {
    throw std::runtime_error(std::string("MariaDB test server not available: ") + path +
                             " is missing (install the Debian package mariadb-server)");
  }
}

}  // namespace

MariaDbServer& MariaDbServer::shared() {
  // Started once; a failed start is remembered so every MariaDB test fails with the same reason.
  static std::string failure;
  static std::unique_ptr<MariaDbServer> server = [&]() -> std::unique_ptr<MariaDbServer> {
    try {
      return std::unique_ptr<MariaDbServer>(new MariaDbServer());
    } catch (const std::exception& e) {
      failure = e.what();
      return nullptr;
    }
  }();
  if (!server) throw std::runtime_error(failure);
  return *server;
}

MariaDbServer::MariaDbServer() {
  for (const char* p : {kServer, kInstall, kClient}) require_binary(p);
  dir_ = std::make_unique<TempDir>("opdesk-mariadb");
  ep_.port = free_port();
  ep_.socket = dir_->file("mysqld.sock");
  ep_.user = "opdesk_test";
  ep_.password = random_word(20);
  install();
  start();
  create_user();
}

MariaDbServer::~MariaDbServer() { stop(); }

// mariadb-install-db takes seconds (more on a loaded machine) and ctest runs every test in
// its own process, so an initialised data directory is made once per build tree (under a
// file lock, keyed by the server binary's mtime) and copied into each process's temp dir.
std::string MariaDbServer::template_dir() {
  struct stat st {};
  ::stat(kServer, &st);
  return std::string(OPDESK_BINARY_DIR) + "/tests/mariadb-template-" + std::to_string(st.st_mtime);
}

void MariaDbServer::install() {
  const std::string templ = template_dir();
  std::filesystem::create_directories(std::filesystem::path(templ).parent_path());
  const int lock = ::open((templ + ".lock").c_str(), O_RDWR | O_CREAT, 0600);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + templ + ".lock");
  std::string error;
  if (!std::filesystem::exists(templ + "/ready")) error = make_template(templ);
  flock(lock, LOCK_UN);
  ::close(lock);
  if (!error.empty()) throw std::runtime_error(error);
  std::filesystem::copy(templ + "/data", dir_->file("data"), std::filesystem::copy_options::recursive);
}

std::string MariaDbServer::make_template(const std::string& templ) {
  std::error_code ec;
  std::filesystem::remove_all(templ, ec);
  std::filesystem::create_directories(templ);
  const std::string log = dir_->file("install.log");
  const int rc = run({kInstall, "--no-defaults", "--user=root", "--datadir=" + templ + "/data",
                      "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve",
                      "--innodb-log-file-size=4M"},
                     log);
  if (rc != 0) return "mariadb-install-db failed (" + std::to_string(rc) + "): " + read_file(log);
  std::ofstream(templ + "/ready") << "ok\n";
  return {};
}

void MariaDbServer::start() {
  pid_ = spawn({kServer, "--no-defaults", "--user=root", "--datadir=" + dir_->file("data"),
                "--socket=" + ep_.socket, "--port=" + std::to_string(ep_.port), "--bind-address=127.0.0.1",
                "--pid-file=" + dir_->file("mariadbd.pid"), "--log-error=" + dir_->file("error.log"),
                "--tmpdir=" + dir_->path(), "--skip-name-resolve", "--skip-log-bin",
                "--performance-schema=OFF", "--innodb-buffer-pool-size=32M",
                // A throw-away test server: durability is not needed, fsyncs only cost time.
                "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
                "--innodb-flush-method=nosync", "--innodb-file-per-table=0", "--innodb-log-file-size=4M"},
               dir_->file("stdout.log"));
  wait_ready();
}

void MariaDbServer::wait_ready() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mariadbd exited during start-up: " + read_file(dir_->file("error.log")));
    }
    if (port_accepts(ep_.port) &&
        run({kClient, "--no-defaults", "--protocol=socket", "--socket=" + ep_.socket, "-uroot", "-e", "SELECT 1"},
            dir_->file("client.log")) == 0) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a starting server
  }
  throw std::runtime_error("mariadbd did not accept connections within 60 s: " + read_file(dir_->file("error.log")));
}

void MariaDbServer::create_user() {
  root_sql("CREATE USER '" + ep_.user + "'@'127.0.0.1' IDENTIFIED BY '" + ep_.password + "'; " +
           "GRANT ALL PRIVILEGES ON *.* TO '" + ep_.user + "'@'127.0.0.1'; FLUSH PRIVILEGES;");
}

void MariaDbServer::root_sql(const std::string& sql) {
  const std::string log = dir_->file("client.log");
  const int rc = run({kClient, "--no-defaults", "--protocol=socket", "--socket=" + ep_.socket, "-uroot", "-e", sql}, log);
  if (rc != 0) throw std::runtime_error("mariadb client failed: " + read_file(log, 1000));
}

std::string MariaDbServer::create_database(const std::string& prefix) {
  const std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++next_db_);
  root_sql("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4");
  return name;
}

void MariaDbServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void MariaDbServer::restart() {
  stop();
  start();
}

}  // namespace opdesk::test
