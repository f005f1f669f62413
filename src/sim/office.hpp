// Traffic generators: the office day model (internal, inbound via queues and direct, outbound,
// transfers, parking, conferences, registrations dropping and coming back) and load mode
// (a target calls-per-second rate of short calls, reporting the achieved rate).
#pragma once

#include <cstdint>
#include <random>

#include "model.hpp"

namespace opdesk::sim {

class Traffic {
 public:
  Traffic(Pbx& pbx, Scheduler& sched, const SimOptions& opt);
  void start();
  double achieved_cps() const;
  double achieved_eps(uint64_t events) const;

 private:
  void office_tick();
  void load_tick();
  void report();
  CallPlan random_plan();
  std::string random_ext(bool webrtc_ok = false);

  Pbx& pbx_;
  Scheduler& sched_;
  SimOptions opt_;
  std::mt19937_64 rng_;
  uint64_t placed_ = 0;
  double started_ = 0;
  uint64_t last_calls_ = 0;
  double last_report_ = 0;
};

}  // namespace opdesk::sim
