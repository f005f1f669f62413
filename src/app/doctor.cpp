// `opdesk doctor`: runs the health checks (api/health_checks.hpp) once against the configured
// PBX and prints each finding with its fix; exit code 1 when a check failed, 0 otherwise
// (warnings included), so scripts and monitoring can call it. The same option builder feeds
// GET /api/health/checks (wire_health.cpp).
#include "doctor.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "logging.hpp"
#include "serve.hpp"
#include "store/store.hpp"
#include "store_config.hpp"

namespace opdesk::app {
namespace asio = boost::asio;

namespace {

api::DbProbe probe_for(std::string name, store::Store* st) {
  return api::DbProbe{std::move(name), [st]() -> asio::awaitable<std::string> {
                        co_return co_await st->async([st] {
                          std::string err;
                          return st->ping(&err) ? std::string() : (err.empty() ? "no answer" : err);
                        });
                      }};
}

std::shared_ptr<store::Store> freepbx_store(const Config& c, const std::string& schema) {
  return std::make_shared<store::Store>(freepbx_db_config(c, schema, 1));
}

}  // namespace

api::HealthCheckOptions health_options(const Config& c) {
  api::HealthCheckOptions o;
  o.ami.host = c.ami.host;
  o.ami.port = c.ami.port;
  o.ami.username = c.ami.username;
  o.ami.secret = c.ami.secret;
  o.ami.md5 = c.ami.md5;
  o.ami.connect_timeout = std::chrono::milliseconds(3000);
  o.ami.action_timeout = std::chrono::milliseconds(std::min(c.ami.action_timeout_ms, 5000));
  o.recordings_root = c.recordings.root;
  o.tls_cert = c.tls.cert;
  if (o.tls_cert.empty() && c.tls.self_signed) o.tls_cert = c.server.data_dir + "/tls/cert.pem";
  o.listen_host = c.server.host;
  o.now_ms = store::now_ms;
  return o;
}

void add_database_probes(api::HealthCheckOptions& o, const Config& c, store::Store* panel,
                         std::vector<std::shared_ptr<void>>& keep) {
  if (panel) o.databases.push_back(probe_for("panel", panel));
  if (!c.freepbx.enabled) return;
  auto cfg_db = freepbx_store(c, c.freepbx.config_db);
  auto cdr_db = freepbx_store(c, c.freepbx.cdr_db);
  o.databases.push_back(probe_for(c.freepbx.config_db, cfg_db.get()));
  o.databases.push_back(probe_for(c.freepbx.cdr_db, cdr_db.get()));
  keep.push_back(cfg_db);
  keep.push_back(cdr_db);
}

std::string format_checks(const std::vector<api::CheckResult>& checks) {
  std::ostringstream os;
  for (const auto& c : checks) {
    const char* tag = c.status == api::CheckStatus::Ok ? " ok " : c.status == api::CheckStatus::Warn ? "WARN" : "FAIL";
    os << "[" << tag << "] " << c.title << ": " << c.detail << "\n";
    if (!c.fix.empty()) os << "       fix: " << c.fix << "\n";
  }
  return os.str();
}

void register_doctor_command(CLI::App& app, int& exit_code) {
  static CommonArgs common;
  static bool as_json = false;
  static int observe_ms = 2000;
  auto* cmd = app.add_subcommand("doctor", "Check the PBX connection and this installation; print fixes");
  cmd->add_option("--config", common.config, "TOML configuration file")->check(CLI::ExistingFile);
  cmd->add_option("--env-file", common.env_file, "upstream .env file")->check(CLI::ExistingFile);
  cmd->add_option("--data-dir", common.data_dir, "data directory");
  cmd->add_flag("--json", as_json, "print the checks as JSON (as GET /api/health/checks)");
  cmd->add_option("--observe-ms", observe_ms, "how long to listen for AMI events (default 2000)")
      ->check(CLI::Range(0, 60000));
  cmd->callback([&exit_code] {
    Config cfg;
    try {
      cfg = load_config(common.config, common.env_file, process_environment()).config;
    } catch (const ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
      return;
    }
    if (common.data_dir) cfg.server.data_dir = *common.data_dir;
    setup_logging("off", false);
    auto opts = health_options(cfg);
    opts.observe = std::chrono::milliseconds(observe_ms);
    std::vector<std::shared_ptr<void>> keep;
    std::unique_ptr<store::Store> panel;
    if (cfg.database.backend != "sqlite" || std::filesystem::exists(cfg.sqlite_path())) {
      panel = std::make_unique<store::Store>(store_config(cfg, 1));
    }
    add_database_probes(opts, cfg, panel.get(), keep);
    asio::io_context io(1);
    std::vector<api::CheckResult> checks;
    asio::co_spawn(io, api::run_health_checks(io.get_executor(), opts),
                   [&checks](std::exception_ptr e, std::vector<api::CheckResult> r) {
                     if (e) std::rethrow_exception(e);
                     checks = std::move(r);
                   });
    try {
      io.run();
    } catch (const std::exception& e) {
      std::cerr << "doctor: " << e.what() << "\n";
      exit_code = 1;
      return;
    }
    if (!panel && cfg.database.backend == "sqlite") {
      checks.push_back({"database_panel", "Database reachable: panel", api::CheckStatus::Warn,
                        cfg.sqlite_path() + " does not exist yet", "start the server once (or run opdesk migrate)"});
    }
    if (as_json) std::cout << api::to_json(checks).dump(2) << "\n";
    else std::cout << format_checks(checks);
    exit_code = api::any_failed(checks) ? 1 : 0;
  });
}

}  // namespace opdesk::app
