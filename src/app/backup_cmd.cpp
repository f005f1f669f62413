// `opdesk backup <file>` / `opdesk restore <file>` of the panel's own database (issue #12), and
// register_ops_commands, which adds the operations commands (doctor, setup, backup, restore).
//
// SQLite: the online backup API (store/backup.hpp) — safe while `opdesk serve` runs. Restore
// wants the server stopped (systemctl stop opdesk) and keeps the previous file as
// <db>.before-restore. MariaDB: prints the mysqldump / mysql command instead.
#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "config.hpp"
#include "serve.hpp"
#include "store/backup.hpp"
#include "store_config.hpp"

namespace opdesk::app {
namespace {

struct BackupArgs {
  CommonArgs common;
  std::string file;
};

Config load(const CommonArgs& a) {
  auto lr = load_config(a.config, a.env_file, process_environment());
  if (a.data_dir) lr.config.server.data_dir = *a.data_dir;
  return lr.config;
}

int run_backup(const BackupArgs& a, bool restore) {
  Config cfg = load(a.common);
  if (cfg.database.backend != "sqlite") {
    auto d = store_config(cfg, 1);
    std::cout << "the panel database is MariaDB/MySQL; use:\n  "
              << (restore ? store::mysql_restore_command(d, a.file) : store::mysqldump_command(d, a.file)) << "\n";
    return 0;
  }
  if (restore) {
    auto info = store::sqlite_restore(a.file, cfg.sqlite_path());
    std::cout << "restored " << cfg.sqlite_path() << " from " << a.file << " (" << info.pages
              << " pages); the previous database is " << cfg.sqlite_path() << ".before-restore\n";
  } else {
    auto info = store::sqlite_backup(cfg.sqlite_path(), a.file);
    std::cout << "backed up " << cfg.sqlite_path() << " to " << a.file << " (" << info.bytes << " bytes)\n";
  }
  return 0;
}

void add(CLI::App& app, int& exit_code, bool restore) {
  static BackupArgs args[2];
  BackupArgs& a = args[restore ? 1 : 0];
  auto* c = app.add_subcommand(restore ? "restore" : "backup",
                               restore ? "Restore the panel database from a backup (stop the server first)"
                                       : "Back up the panel database (consistent while the server runs)");
  c->add_option("file", a.file, restore ? "backup file to restore" : "backup file to write")->required();
  c->add_option("--config", a.common.config, "TOML configuration file")->check(CLI::ExistingFile);
  c->add_option("--env-file", a.common.env_file, "upstream .env file")->check(CLI::ExistingFile);
  c->add_option("--data-dir", a.common.data_dir, "data directory");
  c->callback([&exit_code, &a, restore] {
    try {
      exit_code = run_backup(a, restore);
    } catch (const ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    } catch (const std::exception& e) {
      std::cerr << (restore ? "restore: " : "backup: ") << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace

void register_ops_commands(CLI::App& app, int& exit_code) {
  register_doctor_command(app, exit_code);
  register_setup_command(app, exit_code);
  add(app, exit_code, false);
  add(app, exit_code, true);
}

}  // namespace opdesk::app
