// Subcommands implemented outside cli.cpp, each in its own file of src/app.
#pragma once

namespace CLI {
class App;
}

namespace opdesk::app {
void register_replay_command(CLI::App& app);                 // replay_cmd.cpp
void register_sim_command(CLI::App& app);                    // sim_cmd.cpp
void register_admin_commands(CLI::App& app, int& exit_code); // user_cmd.cpp: user ..., migrate
void register_ops_commands(CLI::App& app, int& exit_code);   // backup_cmd.cpp: doctor, setup, backup, restore
void register_doctor_command(CLI::App& app, int& exit_code); // doctor.cpp
void register_setup_command(CLI::App& app, int& exit_code);  // setup_cmd.cpp
}  // namespace opdesk::app
