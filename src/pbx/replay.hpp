// Replay of a captured AMI byte stream through the parser and the engine (pure: no files, no
// clock). Time comes from the capture's timing lines "<seconds since first connect> <byte
// offset> <length>" (one per recv chunk): replay time = base_ms + seconds. Without timing the
// whole stream is one chunk at time 0. A banner line starts a new connection (the previous one,
// if any, is reported lost first); a frame cut short by a new banner is skipped and counted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pbx/engine.hpp"

namespace opdesk::pbx {

struct TimingChunk {
  double seconds = 0;
  size_t offset = 0;
  size_t length = 0;
};

// Parses timing lines; returns nullopt and sets error (naming the line) on a malformed line.
std::optional<std::vector<TimingChunk>> parse_timing(std::string_view text, std::string& error);

struct ReplayOptions {
  int64_t base_ms = 1795501970000;  // replay time 0 (a fixed, arbitrary epoch)
  std::optional<double> at;          // stop before the first chunk later than this (seconds)
};

struct ReplayResult {
  int64_t now_ms = 0;     // replay time of the last chunk fed (or base + at)
  uint64_t frames = 0;    // frames applied
  uint64_t skipped = 0;   // truncated or oversized frames dropped by the parser
  uint64_t chunks = 0;    // chunks fed
};

using BatchSink = std::function<void(const ChangeBatch&, int64_t now_ms)>;

// Feeds `bytes` chunk by chunk; after each chunk the engine's changes are taken and handed to
// `sink` (when set). Chunks outside the byte range are clipped; bytes no chunk covers are fed
// at the time of the last chunk.
ReplayResult replay(std::string_view bytes, const std::vector<TimingChunk>& timing, Engine& engine,
                    const ReplayOptions& options, const BatchSink& sink = {});

}  // namespace opdesk::pbx
