// Built-in Asterisk simulator: an AMI server (banner "Asterisk Call Manager/11.0.0") in front of
// a simulated Asterisk 22 + PJSIP PBX, so OpDesk runs, is tested and benchmarked without a PBX.
//
// It runs on the caller's executor (in `opdesk serve --demo` it shares the panel's one event
// loop; it never blocks it). Thread safety: start/stop/port/received_actions/stats and the
// scenario calls may be used from any thread; scenario calls are posted to the executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model.hpp"
#include "options.hpp"

namespace opdesk::sim {

class Simulator {
 public:
  Simulator(boost::asio::any_io_executor ex, SimOptions opt);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds the listener (throws std::system_error when the address is taken) and starts the
  // traffic model (office, load or replay, as configured).
  void start();
  void stop();
  uint16_t port() const;
  // The last action frames received from clients (oldest first), as parsed text.
  std::vector<std::string> received_actions() const;
  Stats stats() const;

  // Scenario API for tests and demos (posted to the executor; deterministic for a given seed).
  void call(const CallPlan& plan);
  void hold(const std::string& channel_prefix, bool on);  // first channel whose name starts so
  void set_reaction(const std::string& ext, const CallPlan& plan);
  void unregister(const std::string& ext, bool unreachable);
  void register_endpoint(const std::string& ext);
  // Runs fn on the executor with the model (for tests that inspect state).
  void with_pbx(std::function<void(Pbx&)> fn);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
  std::shared_ptr<std::function<void()>> loop_;  // stats snapshot timer
};

}  // namespace opdesk::sim
