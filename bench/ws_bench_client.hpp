// Load-side pieces of ws_bench: a latency histogram and a minimal WebSocket client.
//
// The client speaks just enough RFC 6455 for the bench: the HTTP upgrade (token and protocol in the query,
// as `/ws?protocol=opdesk&token=` allows), then server→client frames, which are never masked (§5.1), read by
// length prefix. It never parses JSON: it reads the `seq` of each delta (the hub's object keys
// are sorted, so a delta's own `seq` is the last one in the frame) or of a baseline state frame
// (which starts with it) and turns it into a latency against the server's receive stamps.
// Frames bigger than 64 MiB or a failed upgrade end the client (counted, never ignored).
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wsbench {

inline uint64_t mono_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Latencies in 10 µs buckets up to 5 s (beyond: the last bucket).
struct Histogram {
  static constexpr uint64_t kBucketNs = 10'000;
  std::vector<uint64_t> buckets = std::vector<uint64_t>(500'000, 0);
  uint64_t count = 0;
  void add(uint64_t ns) {
    buckets[std::min<uint64_t>(ns / kBucketNs, buckets.size() - 1)]++;
    ++count;
  }
  double percentile_ms(double q) const {
    if (count == 0) return 0;
    uint64_t want = static_cast<uint64_t>(q * static_cast<double>(count - 1)) + 1, seen = 0;
    for (size_t i = 0; i < buckets.size(); ++i) {
      seen += buckets[i];
      if (seen >= want) return static_cast<double>((i + 1) * kBucketNs) / 1e6;
    }
    return 0;
  }
};

// What a client saw: called with the frame's total wire size and its text payload.
using FrameSink = std::function<void(size_t wire_bytes, std::string_view payload)>;

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(boost::asio::io_context& io, FrameSink sink) : sock_(io), sink_(std::move(sink)) {}

  void start(uint16_t port, const std::string& token, std::function<void(bool)> on_done) {
    done_ = std::move(on_done);
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
    request_ = "GET /ws?protocol=opdesk&token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n";
    sock_.async_connect(ep, [self = shared_from_this()](auto ec) {
      if (ec) return self->finish(false);
      boost::asio::async_write(self->sock_, boost::asio::buffer(self->request_),
                               [self](auto ec2, size_t) { ec2 ? self->finish(false) : self->read(); });
    });
  }
  const std::string& error() const { return error_; }
  void stop() {
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

 private:
  void read() {
    sock_.async_read_some(boost::asio::buffer(chunk_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return self->finish(true);
      self->in_.append(self->chunk_, n);
      if (!self->consume()) return self->finish(false);
      self->read();
    });
  }
  // Parses what is buffered; false on a protocol failure.
  bool consume() {
    size_t off = 0;
    if (!upgraded_) {
      size_t end = in_.find("\r\n\r\n");
      if (end == std::string::npos) return in_.size() < 8192;
      if (in_.compare(0, 12, "HTTP/1.1 101") != 0) {
        error_ = in_.substr(0, in_.find("\r\n"));
        return false;
      }
      upgraded_ = true;
      off = end + 4;
    }
    for (;;) {
      if (in_.size() - off < 2) break;
      auto b = [&](size_t i) { return static_cast<uint8_t>(in_[off + i]); };
      uint64_t len = b(1) & 0x7F;
      size_t hdr = 2;
      if (len == 126) {
        if (in_.size() - off < 4) break;
        len = (uint64_t{b(2)} << 8) | b(3);
        hdr = 4;
      } else if (len == 127) {
        if (in_.size() - off < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | b(2 + i);
        hdr = 10;
      }
      if (len > (64u << 20)) {
        error_ = "frame over 64 MiB";
        return false;
      }
      if (in_.size() - off < hdr + len) break;
      uint8_t opcode = b(0) & 0x0F;
      if (opcode == 8) {  // the server closed us: the bench counts it as a failure
        error_ = "close " + std::to_string(len >= 2 ? (b(hdr) << 8 | b(hdr + 1)) : 1005) + " " +
                 (len > 2 ? in_.substr(off + hdr + 2, len - 2) : std::string());
        return false;
      }
      if (opcode == 1) sink_(hdr + len, std::string_view(in_).substr(off + hdr, len));
      off += hdr + len;
    }
    in_.erase(0, off);
    return true;
  }
  void finish(bool clean) {
    if (done_) {
      auto d = std::move(done_);
      done_ = nullptr;
      d(clean);
    }
  }

  boost::asio::ip::tcp::socket sock_;
  FrameSink sink_;
  std::function<void(bool)> done_;
  std::string request_, in_;
  char chunk_[65536];
  bool upgraded_ = false;
  std::string error_;  // why it ended, when the server refused or closed it
};

// The number after the last (or first) `"key":` in a frame; 0 if none.
inline uint64_t field_of(std::string_view payload, std::string_view key, bool last = true) {
  std::string pat = "\"" + std::string(key) + "\":";
  size_t at = last ? payload.rfind(pat) : payload.find(pat);
  if (at == std::string_view::npos) return 0;
  uint64_t v = 0;
  std::from_chars(payload.data() + at + pat.size(), payload.data() + payload.size(), v);
  return v;
}

// The `seq` value after the last (delta) or first (state) `"seq":` in a frame; 0 if none.
inline uint64_t seq_of(std::string_view payload, bool last) { return field_of(payload, "seq", last); }

}  // namespace wsbench
