// libFuzzer target: configuration loading (src/app/config.*): the TOML file, the upstream .env
// file and the environment, each from one part of the input (split at the line "%%"), plus
// parse_listen on the first line. The only allowed failure is ConfigError (one line naming the
// key); any other exception (std::out_of_range from a number, a toml++ error that is not a
// parse_error, ...) or a sanitizer report is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace {

std::vector<std::string> parts_of(std::string_view in) {
  std::vector<std::string> out(1);
  size_t pos = 0;
  while (pos <= in.size()) {
    size_t eol = in.find('\n', pos);
    std::string_view line = in.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (line == "%%" && out.size() < 3) out.emplace_back();
    else out.back().append(line).append(eol == std::string_view::npos ? "" : "\n");
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  out.resize(3);
  return out;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/opdesk-config-fuzz-XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  auto parts = parts_of(std::string_view(reinterpret_cast<const char*>(data), size));
  const std::string toml = dir + "/opdesk.toml", env_file = dir + "/.env";
  write(toml, parts[0]);
  write(env_file, parts[1]);
  std::map<std::string, std::string> env;
  size_t pos = 0;
  const std::string& e = parts[2];
  while (pos < e.size()) {
    size_t eol = e.find('\n', pos);
    std::string line = e.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    auto eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  try {
    auto r = opdesk::app::load_config(toml, env_file, env);
    (void)r.config.sqlite_path();
    (void)r.config.recordings_dir();
  } catch (const opdesk::app::ConfigError& err) {
    std::string msg = err.what();
    if (msg.find('\n') != std::string::npos) std::abort();  // one line, as the CLI prints it
  }
  try {
    opdesk::app::load_config(std::nullopt, env_file, {});
  } catch (const opdesk::app::ConfigError&) {
  }
  try {
    std::string first = parts[0].substr(0, parts[0].find('\n'));
    opdesk::app::parse_listen("server.listen", first);
  } catch (const opdesk::app::ConfigError&) {
  }
  return 0;
}
