// Test harness for the simulator: runs a Simulator on its own io_context thread, and a small
// blocking AMI client (real TCP, ami::Parser) that logs in, sends actions and collects frames.
// Also loads the real traces (OPDESK_TRACE_DIR) and reduces both sides to per-channel event
// signatures so the faithfulness tests can compare them ignoring ids and times.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ami/parser.hpp"
#include "sim/simulator.hpp"

namespace opdesk::sim::test {

using Clock = std::chrono::steady_clock;

struct SimRunner {
  explicit SimRunner(SimOptions opt) {
    opt.port = 0;
    opt.listen_host = "127.0.0.1";
    if (opt.secret.empty()) opt.secret = "test-secret";
    options = opt;
    sim = std::make_unique<Simulator>(io.get_executor(), opt);
    sim->start();
    thread = std::thread([this] { io.run(); });
  }
  ~SimRunner() {
    sim->stop();
    // Let stop() run on the loop, then end it.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    guard.reset();
    io.stop();
    thread.join();
  }
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  SimOptions options;
  std::unique_ptr<Simulator> sim;
  std::thread thread;
};

inline SimOptions lab_options(double speed = 25) {
  SimOptions o;
  o.extensions = 10;  // 1001-1008 + WebRTC 1101, 1102, as in the lab
  o.queues = 2;
  o.office = false;
  o.speed = speed;
  o.seed = 42;
  return o;
}

class AmiClient {
 public:
  explicit AmiClient(uint16_t port) : sock_(io_) {
    sock_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    timeval tv{0, 200000};
    setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send_raw(const std::string& bytes) { boost::asio::write(sock_, boost::asio::buffer(bytes)); }
  void send(const std::vector<std::pair<std::string, std::string>>& f) {
    send_raw(ami::Message::from_fields(f).serialize());
  }
  // Next frame, or nullopt after `timeout` (real time) or when the peer closed.
  std::optional<ami::Message> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    auto end = Clock::now() + timeout;
    ami::Message m;
    std::string detail;
    for (;;) {
      auto r = parser_.next(m, detail);
      if (r == ami::Parser::Result::kMessage) {
        frames.push_back(m);
        return m;
      }
      if (r == ami::Parser::Result::kBanner) {
        banner = detail;
        continue;
      }
      if (r == ami::Parser::Result::kError) continue;
      if (closed || Clock::now() > end) return std::nullopt;
      char buf[65536];
      ssize_t n = ::recv(sock_.native_handle(), buf, sizeof buf, 0);
      if (n == 0) closed = true;
      if (n > 0) parser_.feed(std::string_view(buf, static_cast<size_t>(n)));
    }
  }
  // Reads until pred(frame) holds; returns that frame (nullopt on timeout).
  std::optional<ami::Message> until(const std::function<bool(const ami::Message&)>& pred,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      auto m = next(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
      if (!m) return std::nullopt;
      if (pred(*m)) return m;
    }
    return std::nullopt;
  }
  std::optional<ami::Message> until_event(const std::string& name, const std::string& key = "",
                                          const std::string& value = "",
                                          std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    return until([&](const ami::Message& m) {
      return m.is_event(name) && (key.empty() || m.get(key) == value);
    }, timeout);
  }
  // Like until_event, but first looks at the frames already read from index `from` on.
  std::optional<ami::Message> seen_or_until(const std::string& name, size_t from, const std::string& key = "",
                                            const std::string& value = "") {
    for (size_t i = from; i < frames.size(); ++i)
      if (frames[i].is_event(name) && (key.empty() || frames[i].get(key) == value)) return frames[i];
    return until_event(name, key, value);
  }
  std::optional<ami::Message> response(const std::string& action_id) {
    return until([&](const ami::Message& m) { return m.has("Response") && m.action_id() == action_id && !m.has("Event"); });
  }
  bool login(const std::string& secret, const std::string& events = "on") {
    send({{"Action", "Login"}, {"ActionID", "opdesk-login-1"}, {"Username", "opdesk"}, {"Secret", secret},
          {"Events", events}});
    auto r = response("opdesk-login-1");
    return r && r->response() == "Success";
  }
  // The panel's initial sync, as in every trace (ActionIDs opdesk-<action>-2..8).
  void sync() {
    const char* actions[] = {"CoreShowChannels", "QueueStatus", "ExtensionStateList", "DeviceStateList",
                             "PJSIPShowEndpoints", "PJSIPShowContacts", "Status"};
    int n = 2;
    for (const char* a : actions) {
      std::string lower(a);
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      send({{"Action", a}, {"ActionID", "opdesk-" + lower + "-" + std::to_string(n++)}});
    }
    until([](const ami::Message& m) { return m.is_event("StatusComplete"); });
    sync_end = frames.size();
  }
  // Collects frames for `d` of real time.
  void drain(std::chrono::milliseconds d) {
    auto end = Clock::now() + d;
    while (Clock::now() < end) next(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
  }
  std::vector<ami::Message> after_sync() const {
    return {frames.begin() + static_cast<long>(sync_end), frames.end()};
  }
  void close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }

  std::vector<ami::Message> frames;
  size_t sync_end = 0;
  std::string banner;
  bool closed = false;

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket sock_;
  ami::Parser parser_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// All frames of a trace (first connection only unless `all`).
inline std::vector<ami::Message> trace_frames(const std::string& name, bool all = false) {
  std::string data = read_file(std::string(OPDESK_TRACE_DIR) + "/" + name);
  ami::Parser p;
  p.feed(data);
  std::vector<ami::Message> out;
  ami::Message m;
  std::string d;
  int banners = 0;
  for (;;) {
    auto r = p.next(m, d);
    if (r == ami::Parser::Result::kNeedMore) break;
    if (r == ami::Parser::Result::kBanner && ++banners > 1 && !all) break;
    if (r == ami::Parser::Result::kMessage) out.push_back(m);
  }
  return out;
}

// Frames after the initial sync's StatusComplete.
inline std::vector<ami::Message> trace_after_sync(const std::string& name) {
  auto f = trace_frames(name);
  size_t i = 0;
  for (; i < f.size(); ++i)
    if (f[i].is_event("StatusComplete")) break;
  return {f.begin() + static_cast<long>(std::min(i + 1, f.size())), f.end()};
}

// "PJSIP/1001-0000000e" → "PJSIP/1001"; "PJSIP/trunk-provider-00000003" → "PJSIP/trunk-provider".
inline std::string role_of(std::string_view chan) {
  auto dash = chan.rfind('-');
  return std::string(dash == std::string_view::npos ? chan : chan.substr(0, dash));
}

// Per-channel signatures: role#n → ["Newchannel state=4", "DialBegin →PJSIP/1002", ...].
// n counts channels of the same role in order of appearance (a second call by 1008 is #1).
inline std::map<std::string, std::vector<std::string>> per_channel(const std::vector<ami::Message>& frames) {
  static const char* kEvents[] = {"Newchannel", "Newstate", "DialBegin", "DialEnd", "BridgeEnter", "BridgeLeave",
                                  "Hangup", "Hold", "Unhold", "MusicOnHoldStart", "MusicOnHoldStop",
                                  "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled",
                                  "AgentConnect", "AgentComplete", "ChanSpyStart", "ChanSpyStop", "BlindTransfer",
                                  "MixMonitorStart", "OriginateResponse", "NewCallerid"};
  std::map<std::string, std::vector<std::string>> out;
  std::map<std::string, std::string> key_of;  // channel name → role#n
  std::map<std::string, int> count;
  auto key = [&](std::string_view chan) {
    std::string c(chan);
    auto it = key_of.find(c);
    if (it != key_of.end()) return it->second;
    std::string role = role_of(chan);
    std::string k = role + "#" + std::to_string(count[role]++);
    key_of[c] = k;
    return k;
  };
  for (const auto& m : frames) {
    std::string_view ev = m.event();
    bool keep = false;
    for (const char* e : kEvents) keep = keep || ev == e;
    if (!keep) continue;
    std::string chan(m.get("Channel"));
    if (ev == "ChanSpyStart" || ev == "ChanSpyStop") chan = std::string(m.get("SpyerChannel"));
    if (ev == "BlindTransfer") chan = std::string(m.get("TransfererChannel"));
    std::string sig(ev);
    if (ev == "Newchannel" || ev == "Newstate") sig += " state=" + std::string(m.get("ChannelState"));
    if (ev == "DialEnd") sig += " " + std::string(m.get("DialStatus"));
    if (ev == "Hangup") sig += " cause=" + std::string(m.get("Cause"));
    if (ev.substr(0, 5) == "Queue" || ev.substr(0, 5) == "Agent") sig += " q=" + std::string(m.get("Queue"));
    if (ev == "AgentComplete") sig += " " + std::string(m.get("Reason"));
    if (ev == "OriginateResponse") sig += " " + std::string(m.get("Response"));
    if (ev.substr(0, 4) == "Dial" || ev.substr(0, 5) == "Agent") {
      std::string dest = key(m.get("DestChannel"));
      if (chan.empty()) {  // an originate's dial has no calling channel
        out["originate→" + dest].push_back(sig);
        continue;
      }
      sig += " →" + dest;
    }
    if (ev == "ChanSpyStart" || ev == "ChanSpyStop") sig += " spyee=" + key(m.get("SpyeeChannel"));
    if (ev == "BlindTransfer") sig += " to=" + std::string(m.get("Extension"));
    if (chan.empty()) continue;
    out[key(chan)].push_back(sig);
  }
  // Intentional difference: a ringall queue rings its members in Asterisk's hash order (06:
  // 1002 before 1001, 07: 1003 before 1004); the simulator rings in member order. So runs of
  // AgentCalled/DialBegin pairs are compared as a set (sorted by destination).
  for (auto& [k, v] : out) {
    for (size_t i = 0; i < v.size();) {
      size_t j = i;
      while (j + 1 < v.size() && v[j].rfind("AgentCalled", 0) == 0 && v[j + 1].rfind("DialBegin", 0) == 0) j += 2;
      if (j - i >= 4) {
        std::vector<std::pair<std::string, std::string>> pairs;
        for (size_t x = i; x < j; x += 2) pairs.emplace_back(v[x], v[x + 1]);
        std::sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.second < b.second; });
        for (size_t x = 0; x < pairs.size(); ++x) v[i + 2 * x] = pairs[x].first, v[i + 2 * x + 1] = pairs[x].second;
      }
      i = j > i ? j : i + 1;
    }
  }
  return out;
}

// Hint status values per extension, consecutive duplicates removed.
inline std::map<std::string, std::vector<std::string>> hint_sequence(const std::vector<ami::Message>& frames) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& m : frames) {
    if (!m.is_event("ExtensionStatus") || m.has("ActionID")) continue;
    auto& v = out[std::string(m.get("Exten"))];
    std::string s(m.get("Status"));
    if (v.empty() || v.back() != s) v.push_back(s);
  }
  return out;
}

inline std::vector<std::string> cdr_rows(const std::vector<ami::Message>& frames) {
  std::vector<std::string> out;
  for (const auto& m : frames)
    if (m.is_event("Cdr"))
      out.push_back(std::string(m.get("Disposition")) + "/" + std::string(m.get("LastApplication")) + "/" +
                    role_of(m.get("Channel")) + "/" + role_of(m.get("DestinationChannel")));
  return out;
}

inline std::string dump(const std::map<std::string, std::vector<std::string>>& m) {
  std::string s;
  for (auto& [k, v] : m) {
    s += "  " + k + ":\n";
    for (auto& x : v) s += "    " + x + "\n";
  }
  return s;
}

}  // namespace opdesk::sim::test
