// Command-line front end (CLI11): serve, replay, sim, user, migrate, version, ...
#pragma once

namespace opdesk::app {
int run_cli(int argc, char** argv);
}
