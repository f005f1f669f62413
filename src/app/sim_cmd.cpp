// `opdesk sim`: the built-in Asterisk simulator as a standalone AMI server, so a real AMI
// client, the panel or `nc` can connect. Runs one io_context on this thread until SIGINT or
// SIGTERM; the secret may come from --secret or OPDESK_SIM_SECRET (never logged).
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "logging.hpp"
#include "sim/simulator.hpp"

namespace opdesk::app {

namespace {
struct SimArgs {
  sim::SimOptions opt;
  std::string listen = "127.0.0.1:5038";
  std::string log_level = "info";
};

bool split_listen(const std::string& listen, sim::SimOptions& opt, std::string& error) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    error = "--listen must be HOST:PORT, got '" + listen + "'";
    return false;
  }
  opt.listen_host = listen.substr(0, colon);
  try {
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    opt.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    error = "--listen port must be 0-65535, got '" + listen.substr(colon + 1) + "'";
    return false;
  }
  return true;
}

int run_sim(SimArgs& a) {
  setup_logging(a.log_level, false);
  std::string error;
  if (!split_listen(a.listen, a.opt, error)) {
    std::cerr << "opdesk sim: " << error << "\n";
    return 2;
  }
  if (a.opt.secret.empty()) {
    if (const char* env = std::getenv("OPDESK_SIM_SECRET")) a.opt.secret = env;
  }
  if (a.opt.secret.empty()) {
    std::cerr << "opdesk sim: a secret is required (--secret or OPDESK_SIM_SECRET)\n";
    return 2;
  }
  if (a.opt.load && a.opt.calls_per_second <= 0) a.opt.calls_per_second = 10;
  boost::asio::io_context io;
  sim::Simulator simulator(io.get_executor(), a.opt);
  try {
    simulator.start();
  } catch (const std::exception& e) {
    std::cerr << "opdesk sim: cannot start: " << e.what() << "\n";
    return 1;
  }
  std::cout << "opdesk sim: AMI on " << a.opt.listen_host << ":" << simulator.port() << " (user "
            << a.opt.username << ")" << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    simulator.stop();
    io.stop();
  });
  io.run();
  return 0;
}
}  // namespace

void register_sim_command(CLI::App& app) {
  auto args = std::make_shared<SimArgs>();
  auto* cmd = app.add_subcommand("sim", "Run the built-in Asterisk simulator (an AMI server)");
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0 = any)")->capture_default_str();
  cmd->add_option("--user", args->opt.username, "AMI username")->capture_default_str();
  cmd->add_option("--secret", args->opt.secret, "AMI secret (or OPDESK_SIM_SECRET)");
  cmd->add_option("--extensions", args->opt.extensions, "Number of PJSIP extensions")->check(CLI::Range(1, 100000));
  cmd->add_option("--queues", args->opt.queues, "Number of queues")->check(CLI::Range(0, 100));
  cmd->add_option("--seed", args->opt.seed, "Random seed (same seed, same day)");
  cmd->add_option("--speed", args->opt.speed, "Simulated seconds per real second")->check(CLI::Range(0.01, 1000.0));
  cmd->add_option("--recordings", args->opt.recordings_dir, "Write call recordings (WAV) under this folder");
  cmd->add_option("--replay", args->opt.replay_file, "Replay a captured .ami trace to every client");
  cmd->add_option("--timing", args->opt.replay_timing, "The trace's meta .timing file (real pacing)");
  cmd->add_flag("--load", args->opt.load, "Load mode: many short calls, for benchmarks");
  cmd->add_option("--calls-per-second", args->opt.calls_per_second, "Load mode call rate")->check(CLI::Range(0.0, 100000.0));
  cmd->add_flag("--office,!--no-office", args->opt.office, "Do not generate office traffic (scripted use only)");
  cmd->add_option("--qos-fair-share", args->opt.qos_fair_share, "Share of answered calls with fair quality (RTCP loss/jitter)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--qos-poor-share", args->opt.qos_poor_share, "Share of answered calls with poor quality")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "trace|debug|info|warn|error")->capture_default_str();
  cmd->callback([args] {
    int rc = run_sim(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace opdesk::app
