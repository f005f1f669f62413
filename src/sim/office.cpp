// Office day model and load generator. The office model ticks every few simulated seconds
// and starts calls with a rate that follows an office day (busy mornings and afternoons, a
// lunch dip, quiet nights), choosing internal, inbound-queue, inbound-direct and outbound
// calls with realistic ring/talk/hold times and outcomes. Deterministic for a given seed,
// because it draws from its own generator seeded from SimOptions::seed.
#include "office.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <ctime>

namespace opdesk::sim {

Traffic::Traffic(Pbx& pbx, Scheduler& sched, const SimOptions& opt)
    : pbx_(pbx), sched_(sched), opt_(opt), rng_(opt.seed * 7919 + 17) {}

void Traffic::start() {
  started_ = sched_.now();
  if (opt_.load) {
    sched_.after(0.1, [this] { load_tick(); });
    sched_.after(5 * sched_.speed(), [this] { report(); });
  } else if (opt_.office) {
    sched_.after(5.0, [this] { office_tick(); });  // a few quiet seconds after "boot"
  }
}

double Traffic::achieved_cps() const {
  double el = sched_.now() - started_;
  return el > 0 ? static_cast<double>(placed_) / el : 0;
}

double Traffic::achieved_eps(uint64_t events) const {
  double el = (sched_.now() - started_) / sched_.speed();
  return el > 0 ? static_cast<double>(events) / el : 0;
}

std::string Traffic::random_ext(bool webrtc_ok) {
  auto& eps = pbx_.endpoints();
  for (int tries = 0; tries < 8; ++tries) {
    auto it = eps.begin();
    std::advance(it, std::uniform_int_distribution<size_t>(0, eps.size() - 1)(rng_));
    if (!webrtc_ok && it->second.webrtc) continue;
    return it->first;
  }
  return eps.begin()->first;
}

CallPlan Traffic::random_plan() {
  std::uniform_real_distribution<double> u(0, 1);
  CallPlan p;
  p.ring = 2 + u(rng_) * 10;
  p.talk = opt_.load ? 5 + u(rng_) * 20 : 20 + std::exp(3.5 + u(rng_) * 1.8);
  double r = u(rng_);
  p.outcome = r < 0.78 ? CallPlan::Outcome::kAnswer : r < 0.88 ? CallPlan::Outcome::kNoAnswer
              : r < 0.94 ? CallPlan::Outcome::kBusy : CallPlan::Outcome::kCancel;
  p.callee_hangs_up = u(rng_) < 0.5;
  if (opt_.load) return p;
  if (u(rng_) < 0.15) p.holds.push_back({p.talk * 0.3, u(rng_) < 0.5, 5 + u(rng_) * 25});
  double t = u(rng_);
  if (t < 0.04) p.blind_transfer_to = random_ext();
  else if (t < 0.07) p.attended_transfer_to = random_ext(), p.transfer_talk = 5 + u(rng_) * 20;
  else if (u(rng_) < 0.03) p.park_by_callee = random_ext(), p.park_for = 10 + u(rng_) * 30;
  return p;
}

void Traffic::office_tick() {
  std::uniform_real_distribution<double> u(0, 1);
  std::time_t t = static_cast<std::time_t>(sched_.epoch());
  std::tm tm{};
  localtime_r(&t, &tm);
  double h = tm.tm_hour + tm.tm_min / 60.0;
  // Calls per minute per 20 extensions across the day (the demo never goes fully silent).
  double day = (h >= 8 && h < 18) ? (h >= 12 && h < 13.5 ? 2.0 : 4.0) : 1.0;
  double per_tick = day * std::max(1.0, pbx_.endpoints().size() / 20.0) * 5.0 / 60.0;
  int n = static_cast<int>(per_tick) + (u(rng_) < per_tick - std::floor(per_tick) ? 1 : 0);
  for (int i = 0; i < n && pbx_.active_calls() < pbx_.endpoints().size() / 2 + 1; ++i) {
    CallPlan p = random_plan();
    double kind = u(rng_);
    std::string from = random_ext();
    if (kind < 0.40) {
      p.from = from;
      do p.to = random_ext(true); while (p.to == p.from && pbx_.endpoints().size() > 1);
    } else if (kind < 0.70 && !pbx_.queues().empty()) {
      p.from = "+4121" + std::to_string(5550000 + static_cast<int>(u(rng_) * 9999));
      p.from_name = u(rng_) < 0.5 ? "Client " + p.from.substr(p.from.size() - 4) : "";
      p.to = pbx_.queues()[static_cast<size_t>(u(rng_) * pbx_.queues().size()) % pbx_.queues().size()].number;
      if (p.outcome == CallPlan::Outcome::kBusy || p.outcome == CallPlan::Outcome::kNoAnswer)
        p.outcome = CallPlan::Outcome::kCancel, p.ring = 10 + u(rng_) * 50;
    } else if (kind < 0.80) {
      p.from = "+4122" + std::to_string(7770000 + static_cast<int>(u(rng_) * 9999));
      p.to = from;
    } else if (kind < 0.95) {
      p.from = from;
      p.to = "0" + std::to_string(221000000 + static_cast<int>(u(rng_) * 99999));
    } else if (kind < 0.98) {
      p.from = from;
      p.to = "800";
      p.talk = 30 + u(rng_) * 120;
    } else {
      p.from = from;
      p.to = u(rng_) < 0.5 ? "600" : "601";
      p.talk = 5 + u(rng_) * 10;
    }
    ++placed_;
    pbx_.place_call(p);
  }
  if (u(rng_) < 0.01) {  // a phone drops off the network and comes back a bit later
    std::string ext = random_ext();
    pbx_.unregister(ext, true);
    sched_.after(20 + u(rng_) * 60, [this, ext] { pbx_.register_endpoint(ext); });
  }
  sched_.after(5.0, [this] { office_tick(); });
}

void Traffic::load_tick() {
  // Every 0.1 simulated seconds start the calls due at the target rate.
  double due = opt_.calls_per_second * (sched_.now() - started_);
  std::uniform_real_distribution<double> u(0, 1);
  while (static_cast<double>(placed_) < due) {
    CallPlan p = random_plan();
    p.from = random_ext();
    do p.to = random_ext(); while (p.to == p.from && pbx_.endpoints().size() > 1);
    if (!pbx_.queues().empty() && u(rng_) < 0.3) p.to = pbx_.queues()[placed_ % pbx_.queues().size()].number;
    ++placed_;
    pbx_.place_call(p);
  }
  sched_.after(0.1, [this] { load_tick(); });
}

void Traffic::report() {
  double now = sched_.now();
  double rate = now > last_report_ ? (pbx_.calls_started() - last_calls_) / (now - last_report_) : 0;
  spdlog::info("sim load: {:.1f} calls/s achieved (target {:.1f}), {} calls active, {} started", rate,
               opt_.calls_per_second, pbx_.active_calls(), pbx_.calls_started());
  last_calls_ = pbx_.calls_started();
  last_report_ = now;
  sched_.after(5 * sched_.speed(), [this] { report(); });
}

}  // namespace opdesk::sim
