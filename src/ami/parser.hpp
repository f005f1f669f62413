// AMI stream parser: bytes in, frames out. Knows nothing of sockets (Envoy-style codec).
//
// Feed it whatever recv() returned; call next() until it answers kNeedMore. It recognises
// the banner line ("Asterisk Call Manager/11.0.0") at the start of a connection and also in
// the middle of a stream (a capture holding two connections, or a peer that reconnected), in
// which case any partial frame before it is reported as kError and dropped. Frames end at an
// empty line; lines end in CRLF (a bare LF is accepted too, so `nc` users and values that end
// in a bare LF, as Asterisk's "Message: No Contacts found\n", both work).
//
// Limits (reasons): a frame over max_frame_bytes (default 1 MiB: the largest real frames are
// a few KiB of Cdr/Status fields) or with more than max_fields fields (default 1024; Status
// with every channel variable stays far below) is skipped with kError, so a broken or hostile
// peer cannot make us buffer without bound. The connection survives every error.
#pragma once

#include <string>
#include <string_view>

#include "message.hpp"

namespace opdesk::ami {

class Parser {
 public:
  struct Limits {
    size_t max_frame_bytes = 1 << 20;
    size_t max_fields = 1024;
  };
  enum class Result { kMessage, kBanner, kNeedMore, kError };

  Parser() = default;
  explicit Parser(Limits limits) : limits_(limits) {}

  void feed(std::string_view bytes);
  // kMessage: `out` holds the frame. kBanner: `detail` holds the banner line.
  // kError: `detail` says what was skipped and why. kNeedMore: feed more bytes.
  Result next(Message& out, std::string& detail);
  // Forget buffered bytes (a new connection).
  void reset();
  size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  void compact();
  bool parse_frame(std::string_view frame, Message& out, std::string& detail) const;

  Limits limits_;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace opdesk::ami
