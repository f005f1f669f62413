// `opdesk replay FILE.ami [--timing FILE.timing] [--at SECONDS] [--deltas]`: replays a captured
// AMI stream through the engine and prints the snapshot JSON (the live API's shape) at that
// moment or at the end; with --deltas every change batch is printed first, one JSON per line.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/state_json.hpp"
#include "commands.hpp"
#include "pbx/replay.hpp"

namespace opdesk::app {
namespace {

struct ReplayArgs {
  std::string file;
  std::string timing;
  double at = -1;
  bool deltas = false;
};

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int run_replay(const ReplayArgs& args) {
  std::string bytes, timing_text;
  if (!read_file(args.file, bytes)) {
    std::cerr << "replay: cannot read " << args.file << "\n";
    return 2;
  }
  std::vector<pbx::TimingChunk> timing;
  if (!args.timing.empty()) {
    if (!read_file(args.timing, timing_text)) {
      std::cerr << "replay: cannot read " << args.timing << "\n";
      return 2;
    }
    std::string error;
    auto parsed = pbx::parse_timing(timing_text, error);
    if (!parsed) {
      std::cerr << "replay: " << args.timing << ": " << error << "\n";
      return 2;
    }
    timing = std::move(*parsed);
  }
  pbx::Engine engine;
  pbx::ReplayOptions options;
  if (args.at >= 0) options.at = args.at;
  pbx::BatchSink sink;
  if (args.deltas) {
    sink = [&engine](const pbx::ChangeBatch& batch, int64_t now) {
      std::cout << api::delta_json(engine, batch, now).dump() << "\n";
    };
  }
  auto result = pbx::replay(bytes, timing, engine, options, sink);
  std::cout << api::snapshot_json(engine, result.now_ms).dump() << std::endl;
  return 0;
}

}  // namespace

void register_replay_command(CLI::App& app) {
  auto args = std::make_shared<ReplayArgs>();
  auto* cmd = app.add_subcommand("replay", "Replay a captured AMI stream and print the panel state");
  cmd->add_option("file", args->file, "captured AMI bytes (.ami)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--timing", args->timing, "recv timing lines (<seconds> <offset> <length>)")->check(CLI::ExistingFile);
  cmd->add_option("--at", args->at, "stop at this many seconds after the first connect")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--deltas", args->deltas, "print every change batch as a JSON line first");
  cmd->callback([args] {
    int rc = run_replay(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace opdesk::app
