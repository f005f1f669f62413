// WAV writer: RIFF header + 16-bit little-endian PCM. The signal is a pair of tones whose
// amplitude is modulated by a slow envelope plus a little noise, so the files sound like
// "someone talking" in a player while staying a few tens of KiB (at most a few seconds).
#include "wav.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

namespace opdesk::sim {
namespace {
void put16(std::vector<char>& b, uint16_t v) {
  b.push_back(static_cast<char>(v & 0xff));
  b.push_back(static_cast<char>(v >> 8));
}
void put32(std::vector<char>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v & 0xffff));
  put16(b, static_cast<uint16_t>(v >> 16));
}
}  // namespace

bool write_wav(const std::string& path, double seconds, uint64_t seed, std::string& error) {
  constexpr uint32_t kRate = 8000;
  uint32_t samples = seconds > 0 ? static_cast<uint32_t>(std::min(seconds, 10.0) * kRate) : 0;
  std::vector<char> b;
  b.reserve(44 + samples * 2);
  b.insert(b.end(), {'R', 'I', 'F', 'F'});
  put32(b, 36 + samples * 2);
  b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
  put32(b, 16);
  put16(b, 1);  // PCM
  put16(b, 1);  // mono
  put32(b, kRate);
  put32(b, kRate * 2);
  put16(b, 2);
  put16(b, 16);
  b.insert(b.end(), {'d', 'a', 't', 'a'});
  put32(b, samples * 2);
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<double> noise(-1.0, 1.0);
  double f1 = 180 + (seed % 80), f2 = 2.5 * f1;
  for (uint32_t i = 0; i < samples; ++i) {
    double t = static_cast<double>(i) / kRate;
    double env = 0.5 + 0.5 * std::sin(2 * M_PI * 3.1 * t) * std::sin(2 * M_PI * 0.7 * t);
    double v = env * (0.6 * std::sin(2 * M_PI * f1 * t) + 0.3 * std::sin(2 * M_PI * f2 * t)) + 0.05 * noise(rng);
    put16(b, static_cast<uint16_t>(static_cast<int16_t>(v * 12000)));
  }
  std::error_code ec;
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) {
    error = ec.message();
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open for writing";
    return false;
  }
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
  if (!out) {
    error = "write failed";
    return false;
  }
  return true;
}

}  // namespace opdesk::sim
