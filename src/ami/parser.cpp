// AMI stream parser implementation; see parser.hpp for the contract and limits.
#include "parser.hpp"

#include <cstring>

namespace opdesk::ami {
namespace {

constexpr std::string_view kBannerPrefix = "Asterisk Call Manager/";
constexpr std::string_view kOutputKey = "Output";

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Header keys that may precede command output in a legacy `Response: Follows` frame.
bool is_follows_header(std::string_view k) {
  return iequals(k, "Response") || iequals(k, "Privilege") || iequals(k, "ActionID") ||
         iequals(k, "Message");
}

}  // namespace

void Parser::feed(std::string_view bytes) {
  buf_.append(bytes.data(), bytes.size());
}

void Parser::reset() {
  buf_.clear();
  pos_ = 0;
}

void Parser::compact() {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024 && pos_ > buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

Parser::Result Parser::next(Message& out, std::string& detail) {
  // Skip blank lines between frames.
  while (pos_ < buf_.size() && (buf_[pos_] == '\r' || buf_[pos_] == '\n')) {
    ++pos_;
  }
  compact();
  const char* base = buf_.data();
  const size_t n = buf_.size();
  if (pos_ >= n) {
    return Result::kNeedMore;
  }

  // Walk lines until an empty line ends the frame.
  size_t line_start = pos_;
  size_t frame_end = std::string::npos;  // index just past the frame's last content line
  size_t after = 0;                      // where the next frame starts
  bool first_line = true;
  while (line_start < n) {
    const void* nl = std::memchr(base + line_start, '\n', n - line_start);
    if (nl == nullptr) {
      break;
    }
    size_t eol = static_cast<const char*>(nl) - base;
    std::string_view line(base + line_start, eol - line_start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.substr(0, kBannerPrefix.size()) == kBannerPrefix) {
      if (first_line) {
        detail.assign(line);
        pos_ = eol + 1;
        return Result::kBanner;
      }
      // A new connection began in the middle of a frame: the old frame was cut short.
      detail = "truncated frame dropped before a new banner (" +
               std::to_string(line_start - pos_) + " bytes)";
      pos_ = line_start;
      return Result::kError;
    }
    if (line.empty()) {
      frame_end = line_start;
      after = eol + 1;
      break;
    }
    first_line = false;
    line_start = eol + 1;
  }

  if (frame_end == std::string::npos) {
    if (n - pos_ > limits_.max_frame_bytes) {
      detail = "frame exceeds " + std::to_string(limits_.max_frame_bytes) + " bytes; " +
               std::to_string(n - pos_) + " bytes dropped";
      pos_ = n;
      compact();
      return Result::kError;
    }
    return Result::kNeedMore;
  }

  std::string_view frame(base + pos_, frame_end - pos_);
  pos_ = after;
  if (frame.size() > limits_.max_frame_bytes) {
    detail = "frame exceeds " + std::to_string(limits_.max_frame_bytes) + " bytes; skipped";
    return Result::kError;
  }
  if (!parse_frame(frame, out, detail)) {
    return Result::kError;
  }
  return Result::kMessage;
}

bool Parser::parse_frame(std::string_view frame, Message& out, std::string& detail) const {
  out.raw_.assign(frame.data(), frame.size());
  // A trailing copy of "Output" gives key-less lines a key to point at.
  const auto output_key = Message::Span{static_cast<uint32_t>(out.raw_.size()),
                                        static_cast<uint32_t>(kOutputKey.size())};
  out.raw_ += kOutputKey;
  out.fields_.clear();

  const std::string& raw = out.raw_;
  const size_t end = frame.size();
  bool follows = false;     // legacy command output frame
  bool in_output = false;   // after the first output line of such a frame
  size_t i = 0;
  while (i < end) {
    size_t eol = raw.find('\n', i);
    if (eol == std::string::npos || eol > end) {
      eol = end;
    }
    size_t line_end = eol;
    while (line_end > i && (raw[line_end - 1] == '\r')) {
      --line_end;
    }
    std::string_view line(raw.data() + i, line_end - i);
    const size_t line_off = i;
    i = eol + 1;
    if (line.empty()) {
      continue;
    }
    if (follows && line == "--END COMMAND--") {
      continue;
    }
    size_t colon = line.find(':');
    bool is_field = colon != std::string_view::npos && colon > 0 && !in_output;
    if (is_field) {
      std::string_view key = line.substr(0, colon);
      // Keys are single tokens; "text with: a colon" is output or a continuation.
      if (key.find(' ') != std::string_view::npos) {
        is_field = false;
      } else if (follows && !is_follows_header(key)) {
        is_field = false;
      }
    }
    if (is_field) {
      size_t v = colon + 1;
      while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
      size_t ve = line.size();
      while (ve > v && is_blank(line[ve - 1])) --ve;
      Message::FieldRef f;
      f.key = {static_cast<uint32_t>(line_off), static_cast<uint32_t>(colon)};
      f.value = {static_cast<uint32_t>(line_off + v), static_cast<uint32_t>(ve - v)};
      out.fields_.push_back(f);
      if (out.fields_.size() == 1 && iequals(line.substr(0, colon), "Response") &&
          iequals(std::string_view(raw).substr(f.value.off, f.value.len), "Follows")) {
        follows = true;
      }
    } else if (!follows && !out.fields_.empty()) {
      // Continuation of the previous value after a bare LF: extend the value span.
      auto& prev = out.fields_.back();
      prev.value.len = static_cast<uint32_t>(line_end - prev.value.off);
    } else {
      in_output = follows;
      Message::FieldRef f;
      f.key = output_key;
      f.value = {static_cast<uint32_t>(line_off), static_cast<uint32_t>(line.size())};
      out.fields_.push_back(f);
    }
    if (out.fields_.size() > limits_.max_fields) {
      detail = "frame has more than " + std::to_string(limits_.max_fields) + " fields; skipped";
      out.fields_.clear();
      return false;
    }
  }
  if (out.fields_.empty()) {
    detail = "frame without fields skipped";
    return false;
  }
  return true;
}

}  // namespace opdesk::ami
