// `opdesk serve` and the commands that share its configuration (user, migrate).
#pragma once

#include <optional>
#include <string>

namespace opdesk::app {

struct CommonArgs {
  std::optional<std::string> config;    // --config opdesk.toml
  std::optional<std::string> env_file;  // --env-file .env (upstream keys)
  std::optional<std::string> data_dir;  // --data-dir
  std::optional<std::string> log_level; // --log-level
};

struct ServeArgs {
  CommonArgs common;
  std::optional<std::string> listen;
  bool demo = false;
  bool self_signed = false;
  std::optional<int> sim_extensions;
  std::optional<double> sim_speed;
  std::optional<uint64_t> sim_seed;
};

int run_serve(const ServeArgs& args);

}  // namespace opdesk::app
