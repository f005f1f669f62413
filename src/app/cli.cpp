// Command-line front end. Each subcommand is registered here and implemented in its own file.
#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace opdesk::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"OpDesk — real-time operator panel for Asterisk"};
  app.require_subcommand(1);
  auto* version = app.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "opdesk " << OPDESK_VERSION << "\n"; });
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace opdesk::app
