// Trace replay: see replay.hpp. Used by `opdesk replay`, the trace tests and the benchmark.
#include "pbx/replay.hpp"

#include <charconv>
#include <cmath>

#include "ami/parser.hpp"

namespace opdesk::pbx {
namespace {

std::string_view next_token(std::string_view& line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  size_t end = 0;
  while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
  std::string_view tok = line.substr(0, end);
  line.remove_prefix(end);
  return tok;
}

struct Feeder {
  ami::Parser parser;
  Engine& engine;
  ReplayResult& result;
  const BatchSink& sink;
  ami::Message msg;
  std::string detail;

  void feed(std::string_view bytes, int64_t now) {
    parser.feed(bytes);
    for (;;) {
      auto r = parser.next(msg, detail);
      if (r == ami::Parser::Result::kNeedMore) break;
      if (r == ami::Parser::Result::kError) {
        ++result.skipped;
      } else if (r == ami::Parser::Result::kBanner) {
        if (engine.state().pbx.connected) engine.on_connection_lost(now);
        engine.on_connection_start(now, detail);
      } else {
        engine.apply(msg, now);
        ++result.frames;
      }
    }
    ++result.chunks;
    result.now_ms = now;
    auto batch = engine.take_changes();
    if (batch && sink) sink(*batch, now);
  }
};

}  // namespace

std::optional<std::vector<TimingChunk>> parse_timing(std::string_view text, std::string& error) {
  std::vector<TimingChunk> out;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view rest = line;
    std::string_view a = next_token(rest), b = next_token(rest), c = next_token(rest);
    if (a.empty()) continue;
    TimingChunk ch;
    auto r1 = std::from_chars(a.data(), a.data() + a.size(), ch.seconds);
    auto r2 = std::from_chars(b.data(), b.data() + b.size(), ch.offset);
    auto r3 = std::from_chars(c.data(), c.data() + c.size(), ch.length);
    bool ok = r1.ec == std::errc() && r2.ec == std::errc() && r3.ec == std::errc() &&
              r1.ptr == a.data() + a.size() && r2.ptr == b.data() + b.size() && r3.ptr == c.data() + c.size() &&
              std::isfinite(ch.seconds) && ch.seconds >= 0 && next_token(rest).empty();
    if (!ok) {
      error = "timing line " + std::to_string(line_no) + " is not '<seconds> <offset> <length>'";
      return std::nullopt;
    }
    out.push_back(ch);
  }
  return out;
}

ReplayResult replay(std::string_view bytes, const std::vector<TimingChunk>& timing, Engine& engine,
                    const ReplayOptions& options, const BatchSink& sink) {
  ReplayResult result;
  Feeder f{ami::Parser{}, engine, result, sink, {}, {}};
  auto at_ms = [&](double s) { return options.base_ms + static_cast<int64_t>(std::llround(s * 1000.0)); };
  if (timing.empty()) {
    if (!options.at || *options.at >= 0) f.feed(bytes, options.base_ms);
  } else {
    size_t covered = 0;
    double last = 0;
    bool stopped = false;
    for (const auto& ch : timing) {
      if (options.at && ch.seconds > *options.at) {
        stopped = true;
        break;
      }
      size_t off = std::min(ch.offset, bytes.size());
      size_t len = std::min(ch.length, bytes.size() - off);
      last = ch.seconds;
      f.feed(bytes.substr(off, len), at_ms(ch.seconds));
      covered = std::max(covered, off + len);
    }
    if (!stopped && covered < bytes.size()) f.feed(bytes.substr(covered), at_ms(last));
  }
  if (options.at) result.now_ms = std::max(result.now_ms, at_ms(*options.at));
  return result;
}

}  // namespace opdesk::pbx
