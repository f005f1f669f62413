// One AMI client connection of the simulator: banner, Login (plain or MD5 challenge),
// Events on/off/class mask, action dispatch, Logoff, and a capped output queue (a client that
// stops reading is dropped once its queue passes SimOptions::max_output_bytes).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "actions.hpp"

namespace opdesk::sim {

struct SessionHost {
  virtual ~SessionHost() = default;
  virtual Pbx& pbx() = 0;
  virtual const SimOptions& options() const = 0;
  virtual void record_action(const std::string& frame) = 0;
  virtual void dropped_slow() = 0;
};

class Session : public Responder, public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket socket, SessionHost& host);
  boost::asio::awaitable<void> run();
  // Replay mode: stream a capture instead of answering (chunks of (delay seconds, bytes)).
  boost::asio::awaitable<void> replay(std::vector<std::pair<double, std::string>> chunks, double speed);
  void deliver_event(const std::shared_ptr<const std::string>& frame, std::string_view privilege);
  void close();

  void send(const Fields& frame) override;
  void hold_events(bool on) override;
  bool alive() const override { return open_; }

 private:
  boost::asio::awaitable<void> writer();
  void enqueue(std::shared_ptr<const std::string> s);
  void on_message(const ami::Message& m);
  void login(const ami::Message& m, const std::string& id);
  bool wants(std::string_view privilege) const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_;
  SessionHost& host_;
  std::deque<std::shared_ptr<const std::string>> out_;
  std::deque<std::shared_ptr<const std::string>> held_;
  size_t out_bytes_ = 0;
  bool open_ = true;
  bool authed_ = false;
  bool events_ = true;
  std::string event_mask_;  // empty = all classes
  bool holding_ = false;
  bool closing_after_flush_ = false;
  std::string challenge_;
};

}  // namespace opdesk::sim
