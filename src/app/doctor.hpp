// `opdesk doctor` and the options shared with the admin Health page (wire_health.cpp): both
// build their health-check options from the same configuration here, so the CLI and the web
// page run the same checks (api/health_checks.hpp) against the same targets.
#pragma once

#include <memory>
#include <vector>

#include "api/health_checks.hpp"
#include "config.hpp"

namespace CLI {
class App;
}
namespace opdesk::store {
class Store;
}

namespace opdesk::app {

// AMI target, recordings folder, TLS certificate and listen host from the configuration.
api::HealthCheckOptions health_options(const Config& c);

// Adds the database probes: the panel's own store (`panel`, may be null) and, when [freepbx]
// is enabled, the FreePBX/Issabel schemas through stores created here and kept in `keep`.
void add_database_probes(api::HealthCheckOptions& o, const Config& c, store::Store* panel,
                         std::vector<std::shared_ptr<void>>& keep);

// Renders checks for a terminal: one line per check, the fix indented below it.
std::string format_checks(const std::vector<api::CheckResult>& checks);

void register_doctor_command(CLI::App& app, int& exit_code);

}  // namespace opdesk::app
