// Command-line front end (CLI11). Subcommands are registered here; each is implemented in its
// own file (serve.cpp, user_cmd.cpp, replay_cmd.cpp, sim_cmd.cpp).
#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "serve.hpp"

namespace opdesk::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"OpDesk — real-time operator panel for Asterisk (https://127.0.0.1:8765 by default)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("opdesk ") + OPDESK_VERSION);
  int exit_code = 0;

  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "opdesk " << OPDESK_VERSION << "\n"; });

  ServeArgs serve;
  auto* s = app.add_subcommand("serve", "Run the panel server");
  s->add_option("--config", serve.common.config, "TOML configuration file (see opdesk.example.toml)")
      ->check(CLI::ExistingFile);
  s->add_option("--env-file", serve.common.env_file, "upstream .env file (AMI_HOST, DB_HOST, ...)")
      ->check(CLI::ExistingFile);
  s->add_option("--listen", serve.listen, "HOST:PORT to listen on (default 127.0.0.1:8765; port 0 = any)");
  s->add_option("--data-dir", serve.common.data_dir, "data directory (default ./var)");
  s->add_option("--log-level", serve.common.log_level, "trace|debug|info|warn|error|off (default warn)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  s->add_flag("--demo", serve.demo, "run the built-in Asterisk simulator (a demo office)");
  s->add_flag("--self-signed", serve.self_signed, "serve HTTPS with a generated self-signed certificate");
  s->add_option("--sim-extensions", serve.sim_extensions, "demo: number of simulated extensions")
      ->check(CLI::Range(1, 20000));
  s->add_option("--sim-speed", serve.sim_speed, "demo: simulated seconds per real second")
      ->check(CLI::Range(0.01, 1000.0));
  s->add_option("--sim-seed", serve.sim_seed, "demo: random seed (deterministic office)");
  s->callback([&] { exit_code = run_serve(serve); });

  register_admin_commands(app, exit_code);
  register_ops_commands(app, exit_code);
  register_replay_command(app);
  register_sim_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}

}  // namespace opdesk::app
