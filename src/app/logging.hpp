// Process-wide logging setup (spdlog): quiet by default (warn), `--log-level` to change it,
// optionally one JSON object per line with the message properly escaped.
#pragma once

#include <string>

namespace opdesk::app {
void setup_logging(const std::string& level, bool json);
}
