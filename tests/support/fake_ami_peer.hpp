// A real TCP AMI peer for tests: listens on 127.0.0.1 (random port), speaks the banner,
// answers Login (plain secret or MD5 challenge) and every other action with its ActionID, and
// lets the test script the rest: custom answers per action, scripted events, list answers with
// interleaved live events, late or missing answers, dropped connections. It records every
// frame (and every byte) it received, so a test can prove what the client wrote - or did not.
//
// Deliberately independent of src/ami (its own small frame splitter), so the client is
// checked against a second implementation, not against itself. Runs on the test's
// io_context (single thread: drive it with run_until()).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace opdesk::test {

// One frame the peer received: fields in order, keys compared case-insensitively by get().
struct AmiFrame {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string raw;
  std::string get(const std::string& key) const;  // "" when absent
  std::string action() const { return get("Action"); }
  std::string action_id() const { return get("ActionID"); }
};

// Builds "K: V\r\n...\r\n" (test helper; values are written as given).
std::string ami_frame(const std::vector<std::pair<std::string, std::string>>& fields);

class FakeAmiPeer {
 public:
  struct Options {
    std::string banner = "Asterisk Call Manager/11.0.0";
    std::string username = "opdesk";
    std::string secret = "s3cret";
    std::string challenge = "1234567890";
    std::string md5_key;  // expected Key for an MD5 login (known answer; empty: MD5 refused)
  };
  // Answer for an action: the bytes to write back (empty = never answer).
  using Handler = std::function<std::string(const AmiFrame&)>;

  FakeAmiPeer(boost::asio::io_context& io, Options opts);
  ~FakeAmiPeer();

  uint16_t port() const { return port_; }
  Options& options() { return opts_; }
  // Custom answer for an action name (case-insensitive); replaces the default Success.
  void on_action(const std::string& action, Handler h);
  // Writes bytes on the current connection (events, late responses, garbage).
  void send(std::string bytes);
  // Closes the current connection (the client sees the peer vanish).
  void drop();
  // Stops accepting (connects then fail) / resumes.
  void set_accepting(bool on) { accepting_ = on; }

  const std::vector<AmiFrame>& received() const { return received_; }
  const std::string& received_bytes() const { return received_bytes_; }
  std::vector<AmiFrame> received_actions(const std::string& action) const;
  int connections() const { return connections_; }
  int logins_ok() const { return logins_ok_; }
  int logins_failed() const { return logins_failed_; }
  bool has_connection() const;

 private:
  struct Conn;
  void accept_next();
  void read_next(std::shared_ptr<Conn> c);
  void handle(const std::shared_ptr<Conn>& c, const AmiFrame& f);
  std::string answer_login(const std::shared_ptr<Conn>& c, const AmiFrame& f);
  void write(const std::shared_ptr<Conn>& c, std::string bytes);
  void write_next(std::shared_ptr<Conn> c);

  boost::asio::io_context& io_;
  Options opts_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  bool accepting_ = true;
  std::shared_ptr<Conn> conn_;
  std::map<std::string, Handler> handlers_;
  std::vector<AmiFrame> received_;
  std::string received_bytes_;
  int connections_ = 0, logins_ok_ = 0, logins_failed_ = 0;
};

// Runs io until pred() is true or the deadline passes (then returns false).
bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace opdesk::test
