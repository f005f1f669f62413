// Subcommands implemented outside cli.cpp, each in its own file of src/app.
#pragma once

namespace CLI {
class App;
}

namespace opdesk::app {
void register_replay_command(CLI::App& app);                 // replay_cmd.cpp
void register_sim_command(CLI::App& app);                    // sim_cmd.cpp
void register_admin_commands(CLI::App& app, int& exit_code); // user_cmd.cpp: user ..., migrate
}  // namespace opdesk::app
