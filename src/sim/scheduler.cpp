// Simulated-time timers on one executor. Each pending timer lives in timers_ until it fires or
// is cancelled; the completion handler re-checks the map, so a cancelled or stopped timer's
// callback never runs. Invariant: callbacks run on the executor only.
#include "scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace opdesk::sim {

Scheduler::Scheduler(boost::asio::any_io_executor ex, double speed)
    : ex_(std::move(ex)), speed_(speed > 0 ? speed : 1.0), t0_(std::chrono::steady_clock::now()) {
  epoch0_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Scheduler::~Scheduler() { stop(); }

uint64_t Scheduler::after(double seconds, std::function<void()> fn) {
  if (stopped_) return 0;
  uint64_t id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(ex_);
  double real = std::max(0.0, seconds) / speed_;
  timer->expires_after(std::chrono::microseconds(static_cast<int64_t>(real * 1e6)));
  std::weak_ptr<int> alive = alive_;
  timer->async_wait([this, alive, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (alive.expired()) return;
    auto it = timers_.find(id);
    if (it == timers_.end()) return;  // cancelled 
    timers_.erase(it);
    if (!ec && !stopped_) fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void Scheduler::cancel(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

void Scheduler::stop() {
  stopped_ = true;
  for (auto& [id, t] : timers_) t->cancel();
  timers_.clear();
}

double Scheduler::wall_now() const {
  auto el = std::chrono::steady_clock::now() - t0_;
  return std::chrono::duration<double>(el).count() * speed_;
}

double Scheduler::now() const { return in_callback_ ? logical_ : std::max(logical_, wall_now()); }

}  // namespace opdesk::sim
