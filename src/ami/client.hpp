// AMI client: one TCP connection to Asterisk's manager interface, driven by Asio coroutines on
// the caller's executor (the one event loop; no threads, no locks).
//
// It connects (with a timeout), reads the banner, logs in (plain secret, or MD5 challenge),
// then keeps the connection: every action carries a unique ActionID and its response — and,
// for list actions, the list events up to the matching *Complete — is matched by ActionID,
// never by arrival order. Every frame is also handed to on_frame in arrival order, so a
// consumer (the state engine) sees exactly what a capture replay sees. A Ping keepalive
// detects dead peers; on any loss the client reconnects with capped exponential backoff and
// jitter. Originate always goes out with `Async: true` (a synchronous Originate stalls the
// whole session until the far end answers). Values with CR/LF or other control characters are
// refused by Action::encode before anything is written. Malformed frames are logged (rate
// limited) and skipped; the connection survives.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "action.hpp"
#include "message.hpp"

namespace opdesk::ami {

struct ClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5038;
  std::string username, secret;
  bool md5 = false;           // MD5 challenge login instead of sending the secret
  std::string events = "on";  // Login's Events: header (on, off, or a class list)
  std::string name = "ami";   // log label ("ami", "ami-qos")
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds action_timeout{10000};
  std::chrono::milliseconds ping_interval{20000};
  std::chrono::milliseconds backoff_min{500};
  std::chrono::milliseconds backoff_max{30000};
  std::size_t max_write_queue = 2048;  // frames waiting to be written; beyond → error
};

struct ActionResult {
  bool ok = false;
  std::string error;  // "timeout" | "not connected" | "connection lost" | "invalid: ..." | Asterisk's Message
  Message response;
  std::vector<Message> list;  // list events (without the *Complete event)
};

struct ClientStats {
  uint64_t connects = 0;
  uint64_t logins = 0;
  uint64_t frames = 0;
  uint64_t malformed = 0;
  uint64_t actions = 0;
  uint64_t timeouts = 0;
  std::string last_error;
  int64_t connected_since_ms = 0;
  std::string banner;
};

class Client {
 public:
  Client(boost::asio::any_io_executor ex, ClientOptions opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();
  void stop();
  bool connected() const;  // logged in and usable
  const ClientStats& stats() const;
  const ClientOptions& options() const;
  // New credentials/host take effect at the next (re)connection; reconnect() forces it now.
  void set_options(ClientOptions opts);
  void reconnect();

  // Sends an action and waits for its answer. Never blocks the loop.
  boost::asio::awaitable<ActionResult> send(Action a, bool list = false,
                                            std::chrono::milliseconds timeout = {});

  std::function<void(std::string_view banner)> on_banner;      // new TCP connection
  std::function<void()> on_login;                               // logged in
  std::function<void(const Message&)> on_frame;                // every frame, in order
  std::function<void(std::string_view reason)> on_disconnect;  // connection ended

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// md5 hex of challenge + secret, as Asterisk's MD5 login expects.
std::string md5_key(std::string_view challenge, std::string_view secret);

}  // namespace opdesk::ami
