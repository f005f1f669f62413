// `opdesk user add|list|passwd|del` and `opdesk migrate`: administration without the server
// running (e.g. a forgotten admin password). They open the same store as `serve`.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <termios.h>
#include <unistd.h>

#include "auth/password.hpp"
#include "commands.hpp"
#include "config.hpp"
#include "store_config.hpp"
#include "serve.hpp"
#include "store/file_modes.hpp"
#include "store/store.hpp"

namespace opdesk::app {
namespace {


std::unique_ptr<store::Store> open_store(const CommonArgs& a) {
  auto lr = load_config(a.config, a.env_file, process_environment());
  if (a.data_dir) lr.config.server.data_dir = *a.data_dir;
  store::create_private_dir(lr.config.server.data_dir);
  auto st = std::make_unique<store::Store>(store_config(lr.config, 1));
  st->migrate();
  return st;
}

// Reads a password from OPDESK_PASSWORD, or the terminal without echo.
std::string read_password(const std::string& prompt) {
  if (const char* env = std::getenv("OPDESK_PASSWORD"); env && *env) return env;
  std::cerr << prompt << std::flush;
  termios old{};
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios noecho = old;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &noecho);
  }
  std::string pw;
  std::getline(std::cin, pw);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
  }
  return pw;
}

void add_common(CLI::App* cmd, CommonArgs& a) {
  cmd->add_option("--config", a.config, "TOML configuration file");
  cmd->add_option("--env-file", a.env_file, "upstream .env file");
  cmd->add_option("--data-dir", a.data_dir, "data directory (default ./var)");
}

int guarded(const std::function<int()>& f) {
  try {
    return f();
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const store::FieldError& e) {
    std::cerr << "error: " << e.field() << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void register_admin_commands(CLI::App& app, int& exit_code) {
  static CommonArgs common;
  auto* migrate = app.add_subcommand("migrate", "Apply database migrations and exit");
  add_common(migrate, common);
  migrate->callback([&exit_code] {
    exit_code = guarded([] {
      auto lr = load_config(common.config, common.env_file, process_environment());
      if (common.data_dir) lr.config.server.data_dir = *common.data_dir;
      store::create_private_dir(lr.config.server.data_dir);
      store::Store st(store_config(lr.config, 1));
      int n = st.migrate();
      std::cout << "migrations applied: " << n << " (schema version " << st.schema_version() << ")\n";
      return 0;
    });
  });

  auto* user = app.add_subcommand("user", "Manage panel users");
  user->require_subcommand(1);
  static std::string username, name, extension, role = "agent";
  auto* add = user->add_subcommand("add", "Create a user (password from OPDESK_PASSWORD or prompt)");
  add_common(add, common);
  add->add_option("username", username)->required();
  add->add_option("--name", name);
  add->add_option("--extension", extension);
  add->add_option("--role", role)->check(CLI::IsMember({"admin", "supervisor", "agent"}));
  add->callback([&exit_code] {
    exit_code = guarded([] {
      auto st = open_store(common);
      std::string pw = read_password("password for " + username + ": ");
      auth::check_new_password(pw, username);
      store::NewUser nu;
      nu.username = username;
      nu.name = name;
      if (!extension.empty()) nu.extension = extension;
      nu.role = *store::parse_role(role);
      if (nu.role == store::Role::Admin) {
        nu.monitor_modes = {store::MonitorMode::Listen, store::MonitorMode::Whisper, store::MonitorMode::Barge};
      }
      nu.password_hash = auth::hash_password(pw);
      auto u = st->users().create(nu);
      std::cout << "created user " << u.username << " (id " << u.id << ", " << store::to_string(u.role) << ")\n";
      return 0;
    });
  });

  auto* list = user->add_subcommand("list", "List users");
  add_common(list, common);
  list->callback([&exit_code] {
    exit_code = guarded([] {
      auto st = open_store(common);
      std::printf("%-5s %-20s %-10s %-10s %-7s %s\n", "id", "username", "role", "extension", "active", "name");
      for (const auto& u : st->users().list()) {
        std::printf("%-5lld %-20s %-10s %-10s %-7s %s\n", static_cast<long long>(u.id), u.username.c_str(),
                    std::string(store::to_string(u.role)).c_str(), u.extension.value_or("-").c_str(),
                    u.active ? "yes" : "no", u.name.c_str());
      }
      return 0;
    });
  });

  auto* passwd = user->add_subcommand("passwd", "Set a user's password (ends their sessions)");
  add_common(passwd, common);
  passwd->add_option("username", username)->required();
  passwd->callback([&exit_code] {
    exit_code = guarded([] {
      auto st = open_store(common);
      auto u = st->users().get_by_login(username);
      if (!u) throw std::runtime_error("no user '" + username + "'");
      std::string pw = read_password("new password for " + username + ": ");
      auth::check_new_password(pw, u->username);
      st->users().set_password(u->id, auth::hash_password(pw), true);
      std::cout << "password changed for " << u->username << "\n";
      return 0;
    });
  });

  auto* del = user->add_subcommand("del", "Delete a user");
  add_common(del, common);
  del->add_option("username", username)->required();
  del->callback([&exit_code] {
    exit_code = guarded([] {
      auto st = open_store(common);
      auto u = st->users().get_by_login(username);
      if (!u) throw std::runtime_error("no user '" + username + "'");
      st->users().remove(u->id);
      std::cout << "deleted user " << u->username << "\n";
      return 0;
    });
  });
}

}  // namespace opdesk::app
