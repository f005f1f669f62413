// Simulated clock and timers: delays are in simulated seconds, divided by the speed factor.
//
// A discrete-event clock anchored to real time: inside a timer callback, now() is that timer's
// simulated deadline (not the wall clock), and timers set from a callback count from it. So
// the order of scripted and generated events depends only on the seed and the delays, never
// on how late the loop ran (deterministic under load, at any speed). Outside callbacks (AMI
// actions) now() is the wall-derived time. Everything runs on the caller's executor. Timers
// are owned by the scheduler so stop() cancels all of them; a callback never runs after stop().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

namespace opdesk::sim {

class Scheduler {
 public:
  Scheduler(boost::asio::any_io_executor ex, double speed);
  ~Scheduler();
  // Runs fn after `seconds` of simulated time. Returns an id usable with cancel().
  uint64_t after(double seconds, std::function<void()> fn);
  void cancel(uint64_t id);
  void stop();
  // Simulated seconds since construction.
  double now() const;
  // Simulated Unix time (wall clock at start + simulated elapsed time).
  double epoch() const { return epoch0_ + now(); }
  double speed() const { return speed_; }
  boost::asio::any_io_executor executor() const { return ex_; }

 private:
  boost::asio::any_io_executor ex_;
  double speed_;
  double epoch0_;
  std::chrono::steady_clock::time_point t0_;
  uint64_t next_id_ = 1;
  bool stopped_ = false;
  bool in_callback_ = false;
  double logical_ = 0;  // simulated time of the callback running (or the last one)
  double wall_now() const;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers check it first
  std::unordered_map<uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace opdesk::sim
