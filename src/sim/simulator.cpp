// Simulator: owns the scheduler, the PBX model, the traffic generator and the AMI listener.
// Events from the model are serialized once and fanned out to every session that wants them.
// Impl is shared with the accept/session coroutines so it outlives them after stop().
#include "simulator.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>

#include "office.hpp"
#include "session.hpp"

namespace opdesk::sim {
namespace asio = boost::asio;

namespace {
// Secrets never leave the session: received_actions() shows "Secret: ***" / "Key: ***".
std::string redact(const std::string& frame) {
  std::string out;
  size_t pos = 0;
  while (pos < frame.size()) {
    size_t eol = frame.find('\n', pos);
    eol = eol == std::string::npos ? frame.size() : eol + 1;
    std::string_view line(frame.data() + pos, eol - pos);
    auto colon = line.find(':');
    std::string_view key = colon == std::string_view::npos ? std::string_view() : line.substr(0, colon);
    if (ami::iequals(key, "Secret") || ami::iequals(key, "Key")) {
      out += std::string(key) + ": ***\r\n";
    } else {
      out += line;
    }
    pos = eol;
  }
  return out;
}
}  // namespace

struct Simulator::Impl : SessionHost, std::enable_shared_from_this<Simulator::Impl> {
  Impl(asio::any_io_executor ex, SimOptions o)
      : ex_(ex), opt_(std::move(o)), sched_(ex, opt_.speed), acceptor_(ex),
        pbx_(sched_, opt_, [this](const Fields& f) { on_event(f); }), traffic_(pbx_, sched_, opt_) {}

  Pbx& pbx() override { return pbx_; }
  const SimOptions& options() const override { return opt_; }
  void record_action(const std::string& frame) override {
    std::string kept = redact(frame);
    std::lock_guard lk(mu_);
    ++stats_.actions;
    actions_.push_back(std::move(kept));
    while (actions_.size() > opt_.remembered_actions) actions_.pop_front();
  }
  void dropped_slow() override {
    std::lock_guard lk(mu_);
    ++stats_.clients_dropped_slow;
  }

  void on_event(const Fields& f) {
    auto frame = std::make_shared<const std::string>(ami::Message::from_fields(f).serialize());
    std::string_view priv = f.size() > 1 && f[1].first == "Privilege" ? std::string_view(f[1].second) : "";
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (auto s = it->lock()) {
        s->deliver_event(frame, priv);
        ++it;
      } else {
        it = sessions_.erase(it);
      }
    }
    std::lock_guard lk(mu_);
    ++stats_.events;
  }

  void start() {
    asio::ip::tcp::endpoint ep(asio::ip::make_address(opt_.listen_host), opt_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    if (!opt_.replay_file.empty()) load_replay();
    auto self = shared_from_this();
    asio::co_spawn(ex_, [self]() -> asio::awaitable<void> { co_await self->accept_loop(); }, asio::detached);
    if (opt_.replay_file.empty()) traffic_.start();
    spdlog::info("sim: AMI listening on {}:{} ({} extensions, {} queues, speed {}x{})", opt_.listen_host, port_,
                 pbx_.endpoints().size(), pbx_.queues().size(), opt_.speed,
                 opt_.replay_file.empty() ? "" : ", replaying " + opt_.replay_file);
  }

  void load_replay() {
    std::ifstream in(opt_.replay_file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read replay file " + opt_.replay_file);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    replay_.clear();
    std::ifstream tm(opt_.replay_timing);
    double t = 0;
    size_t off = 0, len = 0;
    if (!opt_.replay_timing.empty() && !tm) throw std::runtime_error("cannot read timing file " + opt_.replay_timing);
    while (tm && tm >> t >> off >> len) {
      if (off >= data.size()) break;
      replay_.emplace_back(t, data.substr(off, std::min(len, data.size() - off)));
    }
    if (replay_.empty()) {  // no timing: one frame every 10 ms
      size_t pos = 0;
      double at = 0;
      while (pos < data.size()) {
        size_t end = data.find("\r\n\r\n", pos);
        end = end == std::string::npos ? data.size() : end + 4;
        replay_.emplace_back(at, data.substr(pos, end - pos));
        at += 0.01;
        pos = end;
      }
    }
  }

  asio::awaitable<void> accept_loop() {
    while (acceptor_.is_open()) {
      auto [ec, sock] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (!acceptor_.is_open()) break;
        continue;
      }
      // Events go out as they happen, like Asterisk's manager (no Nagle delay between them).
      sock.set_option(asio::ip::tcp::no_delay(true), ec);
      {
        std::lock_guard lk(mu_);
        ++stats_.clients_accepted;
      }
      size_t live = 0;
      for (auto& w : sessions_) live += !w.expired();
      if (live >= opt_.max_clients) {
        boost::system::error_code ignore;
        sock.close(ignore);
        continue;
      }
      auto s = std::make_shared<Session>(std::move(sock), *this);
      sessions_.push_back(s);
      auto self = shared_from_this();
      if (replay_.empty()) {
        asio::co_spawn(ex_, [self, s]() -> asio::awaitable<void> { co_await s->run(); }, [s](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("sim: AMI session ended by an error: {}", ex.what());
          }
          s->close();
        });
      } else {
        auto chunks = replay_;
        double speed = opt_.speed;
        asio::co_spawn(ex_, [self, s, chunks, speed]() -> asio::awaitable<void> { co_await s->replay(chunks, speed); },
                       asio::detached);
      }
    }
  }

  void stop() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    sched_.stop();
    for (auto& w : sessions_)
      if (auto s = w.lock()) s->close();
    sessions_.clear();
  }

  Stats stats() {
    std::lock_guard lk(mu_);
    Stats s = stats_;
    s.calls_started = started_snapshot_;
    s.calls_completed = completed_snapshot_;
    s.active_channels = channels_snapshot_;
    s.achieved_calls_per_second = cps_snapshot_;
    s.achieved_events_per_second = eps_snapshot_;
    return s;
  }
  void snapshot() {  // executor thread: copy model counters for stats() callers on other threads
    size_t live = 0;
    for (auto& w : sessions_) live += !w.expired();
    std::lock_guard lk(mu_);
    started_snapshot_ = pbx_.calls_started();
    completed_snapshot_ = pbx_.calls_completed();
    channels_snapshot_ = pbx_.channels().size();
    cps_snapshot_ = traffic_.achieved_cps();
    eps_snapshot_ = traffic_.achieved_eps(stats_.events);
    stats_.clients_active = live;
  }

  asio::any_io_executor ex_;
  SimOptions opt_;
  Scheduler sched_;
  asio::ip::tcp::acceptor acceptor_;
  Pbx pbx_;
  Traffic traffic_;
  std::list<std::weak_ptr<Session>> sessions_;
  std::vector<std::pair<double, std::string>> replay_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  Stats stats_;
  std::deque<std::string> actions_;
  uint64_t started_snapshot_ = 0, completed_snapshot_ = 0, channels_snapshot_ = 0;
  double cps_snapshot_ = 0, eps_snapshot_ = 0;
};

Simulator::Simulator(asio::any_io_executor ex, SimOptions opt) : impl_(std::make_shared<Impl>(ex, std::move(opt))) {}

Simulator::~Simulator() { stop(); }

void Simulator::start() {
  impl_->start();
  auto impl = impl_;
  // Keep the thread-safe stats snapshot fresh (once per real second).
  std::function<void()> tick;
  auto timer = std::make_shared<asio::steady_timer>(impl->ex_);
  auto loop = std::make_shared<std::function<void()>>();
  std::weak_ptr<Impl> weak = impl;
  *loop = [weak, timer, loop_w = std::weak_ptr<std::function<void()>>(loop)] {
    auto i = weak.lock();
    if (!i || !i->acceptor_.is_open()) return;
    i->snapshot();
    timer->expires_after(std::chrono::milliseconds(200));
    timer->async_wait([loop_w](const boost::system::error_code& ec) {
      if (ec) return;
      if (auto l = loop_w.lock()) (*l)();
    });
  };
  loop_ = loop;
  (*loop)();
}

void Simulator::stop() {
  if (!impl_) return;
  auto impl = impl_;
  loop_.reset();
  if (impl->ex_.target<asio::io_context::executor_type>() &&
      impl->ex_.target<asio::io_context::executor_type>()->running_in_this_thread()) {
    impl->stop();
  } else {
    asio::post(impl->ex_, [impl] { impl->stop(); });
  }
}

uint16_t Simulator::port() const { return impl_->port_; }

std::vector<std::string> Simulator::received_actions() const {
  std::lock_guard lk(impl_->mu_);
  return {impl_->actions_.begin(), impl_->actions_.end()};
}

Stats Simulator::stats() const { return impl_->stats(); }

void Simulator::call(const CallPlan& plan) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, plan] { impl->pbx_.place_call(plan); });
}

void Simulator::hold(const std::string& prefix, bool on) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, prefix, on] {
    for (auto& [u, c] : impl->pbx_.channels())
      if (c.name.rfind(prefix, 0) == 0) return impl->pbx_.hold(u, on);
  });
}

void Simulator::set_reaction(const std::string& ext, const CallPlan& plan) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, ext, plan] { impl->pbx_.set_reaction(ext, plan); });
}

void Simulator::unregister(const std::string& ext, bool unreachable) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, ext, unreachable] { impl->pbx_.unregister(ext, unreachable); });
}

void Simulator::register_endpoint(const std::string& ext) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, ext] { impl->pbx_.register_endpoint(ext); });
}

void Simulator::with_pbx(std::function<void(Pbx&)> fn) {
  auto impl = impl_;
  asio::post(impl->ex_, [impl, fn = std::move(fn)] { fn(impl->pbx_); });
}

}  // namespace opdesk::sim
