// Small valid WAV files (8 kHz, 16-bit, mono PCM) for simulated call recordings.
#pragma once

#include <cstdint>
#include <string>

namespace opdesk::sim {

// Writes `seconds` (0 = header only, like Asterisk for unanswered calls) of a two-tone,
// speech-like signal to path, creating parent folders. False + error on failure.
bool write_wav(const std::string& path, double seconds, uint64_t seed, std::string& error);

}  // namespace opdesk::sim
