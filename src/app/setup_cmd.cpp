// `opdesk setup`: sets OpDesk up next to FreePBX, Issabel or plain Asterisk (issue #12).
//
// Computes the plan (setup.hpp), then for each file shows a unified diff and asks before
// writing it (--yes: no questions; --dry-run: show only). Then: the read-only MariaDB account
// (run with the PBX's own database credentials when they were found, else printed), a manager
// reload when the AMI account changed, the first admin user, and the next steps. Interactive
// questions are asked only on a terminal and only for what the flags left open. Running it
// again changes nothing (the plan reuses installed secrets).
#include <CLI/CLI.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "auth/bootstrap.hpp"
#include "auth/password.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "setup.hpp"
#include "store/admin_sql.hpp"
#include "store/file_modes.hpp"
#include "store/store.hpp"
#include "store_config.hpp"

namespace opdesk::app {
namespace fs = std::filesystem;

namespace {

struct SetupFlags {
  setup::Inputs in;
  std::string db_admin_user, db_admin_password, admin_password;
  bool yes = false, dry_run = false, no_reload = false, no_sql = false, no_admin = false;
};

std::string random_secret() {
  unsigned char raw[18];
  randombytes_buf(raw, sizeof raw);
  static const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  for (unsigned char c : raw) out += alphabet[c % 56];
  return out;
}

bool interactive(const SetupFlags& f) { return !f.yes && !f.dry_run && isatty(STDIN_FILENO); }

std::string ask(const std::string& question, const std::string& def) {
  std::cout << question << " [" << def << "]: " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line) || line.empty()) return def;
  return line;
}

bool confirm(const SetupFlags& f, const std::string& question) {
  if (f.yes) return true;
  if (!isatty(STDIN_FILENO)) return false;  // never write unasked without --yes
  std::string a = ask(question + " (y/n)", "n");
  return a == "y" || a == "Y" || a == "yes";
}

void write_atomic(const fs::path& p, const std::string& text, fs::perms perms) {
  fs::create_directories(p.parent_path());
  fs::path tmp = p;
  tmp += ".opdesk-setup.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::permissions(tmp, perms);
  fs::rename(tmp, p);
}

void apply_files(const SetupFlags& f, const setup::Plan& plan, bool& manager_changed) {
  for (const auto& c : plan.files) {
    if (!c.changed()) {
      std::cout << "unchanged: " << c.path.string() << "\n";
      continue;
    }
    std::cout << setup::unified_diff(c.before, c.after, c.path.string());
    if (f.dry_run || !confirm(f, "write " + c.path.string() + "?")) {
      std::cout << "not written: " << c.path.string() << "\n";
      continue;
    }
    bool secret_file = c.path.filename() == "opdesk.toml" || c.path.filename().string().rfind("manager", 0) == 0;
    write_atomic(c.path, c.after, secret_file ? fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read
                                              : fs::perms(0644));
    if (c.path.filename().string().rfind("manager", 0) == 0) manager_changed = true;
    std::cout << "wrote " << c.path.string() << "\n";
  }
}

void apply_sql(const SetupFlags& f, const setup::Plan& plan) {
  if (plan.sql.empty()) return;
  std::string user = f.db_admin_user.empty() ? plan.detected.db_user : f.db_admin_user;
  std::string pass = f.db_admin_password.empty() ? plan.detected.db_password : f.db_admin_password;
  auto print = [&plan](const std::string& why) {
    std::cout << why << "; run as a MariaDB administrator:\n";
    for (const auto& s : plan.sql) std::cout << "  " << s << ";\n";
  };
  if (f.no_sql || f.dry_run || user.empty()) return print("read-only database account not created");
  store::DbConfig d;
  d.host = plan.detected.db_host == "localhost" ? "127.0.0.1" : plan.detected.db_host;
  d.port = plan.detected.db_port;
  d.user = user;
  d.password = pass;
  d.database = "";  // the statements name their schemas
  try {
    store::run_admin_sql(d, plan.sql);
    std::cout << "database: read-only account " << f.in.db_user << " can read asterisk and asteriskcdrdb\n";
  } catch (const std::exception& e) {
    print(std::string("database: ") + e.what());
  }
}

void reload_manager(const SetupFlags& f, bool changed) {
  if (!changed) return;
  const char* cmd = "asterisk -rx \"manager reload\"";
  bool real_root = fs::equivalent(f.in.root, "/");
  if (f.no_reload || !real_root || std::system("command -v asterisk >/dev/null 2>&1") != 0) {
    std::cout << "reload the AMI accounts with: " << cmd << "\n";
    return;
  }
  std::cout << (std::system(cmd) == 0 ? "manager reloaded\n" : "manager reload failed; run it by hand\n");
}

void ensure_admin(const SetupFlags& f) {
  if (f.no_admin || f.dry_run) return;
  fs::path cfg_path = f.in.root / fs::path(f.in.config_path).relative_path();
  auto lr = load_config(cfg_path.string(), std::nullopt, process_environment());
  store::create_private_dir(lr.config.server.data_dir);
  store::Store st(store_config(lr.config, 1));
  st.migrate();
  std::optional<std::string> pw;
  if (!f.admin_password.empty()) pw = f.admin_password;
  else if (const char* env = std::getenv("OPDESK_ADMIN_PASSWORD"); env && *env) pw = env;
  auto boot = auth::ensure_admin(st, pw);
  if (!boot.created) std::cout << "admin user: exists (unchanged)\n";
  else if (boot.generated_password) std::cout << "admin user created: admin / " << *boot.generated_password << "\n";
  else std::cout << "admin user created: admin (password as given)\n";
}

int run_setup(SetupFlags& f) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  spdlog::set_level(spdlog::level::warn);  // the store's info lines would drown the diffs
  if (interactive(f)) {
    f.in.ami_user = ask("AMI user for the panel", f.in.ami_user);
    f.in.tls_cert = ask("TLS certificate (PEM, empty for none)", f.in.tls_cert);
    if (!f.in.tls_cert.empty()) f.in.tls_key = ask("TLS private key (PEM)", f.in.tls_key);
  }
  setup::Plan plan = setup::make_plan(f.in, random_secret);
  const auto& d = plan.detected;
  std::cout << "detected: " << d.kind;
  for (const auto& s : d.sources) std::cout << " " << s;
  std::cout << "\n";
  if (d.kind == "none") std::cout << "no Asterisk configuration under " << f.in.root.string() << "/etc/asterisk\n";
  bool manager_changed = false;
  apply_files(f, plan, manager_changed);
  apply_sql(f, plan);
  reload_manager(f, manager_changed);
  std::cout << "hint: set timestampevents = yes in [general] of /etc/asterisk/manager.conf for exact event times\n";
  ensure_admin(f);
  std::cout << "next: systemctl restart opdesk && opdesk doctor --config " << f.in.config_path << "\n";
  return 0;
}

}  // namespace

void register_setup_command(CLI::App& app, int& exit_code) {
  static SetupFlags f;
  auto* c = app.add_subcommand("setup", "Set OpDesk up next to FreePBX/Issabel/Asterisk (AMI user, DB user, config)");
  static std::string root = "/";
  c->add_option("--root", root, "file system root to read and write (tests: a fake installation)");
  c->add_option("--config-path", f.in.config_path, "config file to write (default /etc/opdesk/opdesk.toml)");
  c->add_option("--ami-user", f.in.ami_user, "AMI account for the panel (default opdesk)");
  c->add_option("--ami-secret", f.in.ami_secret, "its secret (default: keep or generate)");
  c->add_option("--ami-permit", f.in.ami_permit, "permit= network (default 127.0.0.1/255.255.255.255)");
  c->add_option("--ami-host", f.in.ami_host, "AMI host the panel connects to");
  c->add_option("--ami-port", f.in.ami_port, "AMI port");
  c->add_option("--db-user", f.in.db_user, "read-only MariaDB account to create (default opdesk_ro)");
  c->add_option("--db-password", f.in.db_password, "its password (default: keep or generate)");
  c->add_option("--db-admin-user", f.db_admin_user, "MariaDB account that may create users (default: detected)");
  c->add_option("--db-admin-password", f.db_admin_password, "its password (default: detected)");
  c->add_option("--tls-cert", f.in.tls_cert, "PEM certificate for HTTPS");
  c->add_option("--tls-key", f.in.tls_key, "PEM private key for HTTPS");
  c->add_option("--listen", f.in.listen, "HOST:PORT for the panel");
  c->add_option("--data-dir", f.in.data_dir, "panel data directory");
  c->add_option("--recordings", f.in.recordings_root, "recordings folder (default: detected)");
  c->add_option("--admin-password", f.admin_password, "password of the first admin (default: generated)");
  c->add_flag("--yes,-y", f.yes, "write without asking");
  c->add_flag("--dry-run", f.dry_run, "show the changes only");
  c->add_flag("--no-reload", f.no_reload, "do not run asterisk -rx \"manager reload\"");
  c->add_flag("--no-sql", f.no_sql, "print the database statements instead of running them");
  c->add_flag("--no-admin", f.no_admin, "do not create the first admin user");
  c->callback([&exit_code] {
    f.in.root = root;
    try {
      exit_code = run_setup(f);
    } catch (const ConfigError& e) {
      std::cerr << e.what() << "\n";
      exit_code = 2;
    } catch (const std::exception& e) {
      std::cerr << "setup: " << e.what() << "\n";
      exit_code = 1;
    }
  });
}

}  // namespace opdesk::app
