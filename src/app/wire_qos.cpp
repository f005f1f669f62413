// Call quality wiring (issue #10): config → QosFeed, the AMI frame listener, a 1 s tick that
// publishes QoS deltas, notices and store rows, the REST routes and the "qos" status part.
//
// QOS_ENABLED off: the engine ignores RTCP (QosPolicy::from_events = false), no tracker, no
// timer, no routes' data — only {"enabled": false} in the status. On: PbxService opened the
// second AMI session (serve.cpp pbx_options_from: qos.enabled && ami.qos_session), whose RTCP
// frames and the state session's Hangup/VarSet frames go to the feed. The engine's batches
// produced by set_call_qos are handed to pbx.on_changes (hub + change listeners) right away, so
// a QoS delta never waits for the next AMI frame. Store writes run on the worker pool; a call
// log row written after the leg ended (cdr_manager sends Cdr after Hangup) is retried.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>

#include "api/hub.hpp"
#include "api/pbx_service.hpp"
#include "api/qos_feed.hpp"
#include "api/qos_routes.hpp"
#include "api/session_auth.hpp"
#include "store/cdr_store.hpp"
#include "store/qos_store.hpp"
#include "store/store.hpp"
#include "wiring.hpp"

namespace opdesk::app {
namespace asio = boost::asio;
using nlohmann::json;

namespace {

// A call-log row appears a moment after the leg's Hangup; retry this often, this many times.
constexpr int64_t kCdrRetryMs = 5000;
constexpr int kCdrAttempts = 12;
constexpr size_t kMaxCdrPending = 4096;  // legs waiting for their call-log row

struct CdrPending {
  std::string uniqueid, json;
  int attempts = 0;
  int64_t next_at = 0;
};

struct QosFeature {
  QosFeature(pbx::Engine& engine, api::QosFeedOptions o, store::Store& st, store::CdrStore& cdr_store,
             api::RequestAuth& auth, asio::any_io_executor ex, std::function<int64_t()> now)
      : feed(engine, o),
        qstore(st.database()),
        deps{st, qstore, auth, engine, &feed, o.tracker.thresholds, now},
        cdr(cdr_store),
        timer(ex) {}
  api::QosFeed feed;
  store::QosStore qstore;
  api::QosRouteDeps deps;
  store::CdrStore& cdr;
  asio::steady_timer timer;
  std::deque<CdrPending> cdr_pending;
  bool stopped = false;
  uint64_t store_errors = 0, notices = 0, cdr_written = 0, cdr_given_up = 0;
};

api::QosFeedOptions feed_options(const Config& c) {
  api::QosFeedOptions o;
  qos::Thresholds& t = o.tracker.thresholds;
  t.fair_loss_pct = c.qos.fair_loss_pct;
  t.poor_loss_pct = c.qos.poor_loss_pct;
  t.fair_jitter_ms = c.qos.fair_jitter_ms;
  t.poor_jitter_ms = c.qos.poor_jitter_ms;
  t.fair_rtt_ms = c.qos.fair_rtt_ms;
  t.poor_rtt_ms = c.qos.poor_rtt_ms;
  t.fair_mos = c.qos.fair_mos;
  t.poor_mos = c.qos.poor_mos;
  o.tracker.update_interval_ms = int64_t{c.qos.update_interval_s} * 1000;
  // "off" keeps the grades but never notifies: an alert level above poor cannot be reached.
  o.tracker.alert_from = c.qos.alert_grade == "fair" ? qos::Grade::kFair : qos::Grade::kPoor;
  o.sample_ms = o.tracker.update_interval_ms;
  return o;
}

// Writes one tick's rows on the worker pool, then retries call-log rows not there yet.
asio::awaitable<void> write_rows(Wiring& w, std::shared_ptr<QosFeature> f, api::QosTickResult r, int64_t now) {
  const bool own_cdr = w.cdr.source() == store::CdrStore::Source::kOwn;
  for (auto& [uid, text] : r.cdr_qos) {
    if (!own_cdr) break;  // FreePBX CDR is read only: the qos_legs table is the record
    if (f->cdr_pending.size() >= kMaxCdrPending) {
      f->cdr_pending.pop_front();
      ++f->cdr_given_up;
    }
    f->cdr_pending.push_back(CdrPending{uid, text, 0, now});
  }
  std::vector<CdrPending> due;
  for (auto it = f->cdr_pending.begin(); it != f->cdr_pending.end();) {
    if (it->next_at <= now) {
      due.push_back(std::move(*it));
      it = f->cdr_pending.erase(it);
    } else {
      ++it;
    }
  }
  if (r.legs.empty() && r.timelines.empty() && due.empty()) co_return;
  try {
    // GCC 12 bitwise-copies the closure passed inside a co_await operand, so it must capture
    // only references and raw pointers (copies of those are harmless); the data stays in this
    // coroutine's frame until the work is done.
    auto legs = std::move(r.legs);
    auto tls = std::move(r.timelines);
    QosFeature* fp = f.get();
    auto work = [fp, &legs, &tls, &due] {
      for (const auto& l : legs) fp->qstore.put_leg(l);
      for (const auto& t : tls) fp->qstore.put_timeline(t);
      std::vector<bool> ok;
      for (const auto& p : due) ok.push_back(fp->cdr.set_qos(p.uniqueid, p.json));
      return ok;
    };
    std::vector<bool> done = co_await w.store.async(work);
    for (size_t i = 0; i < due.size(); ++i) {
      if (done[i]) {
        ++f->cdr_written;
      } else if (++due[i].attempts < kCdrAttempts) {
        due[i].next_at = now + kCdrRetryMs;
        f->cdr_pending.push_back(std::move(due[i]));
      } else {
        ++f->cdr_given_up;  // a leg without its own CDR row (the callee side of a Dial)
      }
    }
  } catch (const std::exception& e) {
    if (f->store_errors++ == 0) spdlog::warn("qos: storing call quality failed: {}", e.what());
  }
}

void publish(Wiring& w, QosFeature& f, api::QosTickResult& r) {
  pbx::Engine& engine = w.pbx.engine();
  while (auto batch = engine.take_changes()) {
    if (w.pbx.on_changes) w.pbx.on_changes(*batch);
  }
  f.notices += api::send_notices(w.hub, r.notices);
}

asio::awaitable<void> tick_loop(Wiring& w, std::shared_ptr<QosFeature> f) {
  while (!f->stopped) {
    f->timer.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await f->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (f->stopped) co_return;
    const int64_t now = w.now_ms();
    api::QosTickResult r = f->feed.tick(now);
    publish(w, *f, r);
    co_await write_rows(w, f, std::move(r), now);
  }
}

}  // namespace

void wire_qos(Wiring& w) {
  pbx::Engine& engine = w.pbx.engine();
  if (!w.cfg.qos.enabled) {
    engine.set_qos_policy(pbx::QosPolicy{false, 0});
    w.status_parts.push_back([](json& j) -> asio::awaitable<void> {
      j["qos"] = {{"enabled", false}};
      co_return;
    });
    return;
  }
  api::QosFeedOptions opts = feed_options(w.cfg);
  engine.set_qos_policy(pbx::QosPolicy{false, opts.tracker.update_interval_ms});
  auto f = std::make_shared<QosFeature>(engine, opts, w.store, w.cdr, w.session, w.ex, w.now_ms);
  try {
    f->qstore.migrate();
  } catch (const std::exception& e) {
    spdlog::error("qos: database tables: {} (summaries will not be stored)", e.what());
  }
  w.keep.push_back(f);
  w.pbx.add_frame_listener([f](const ami::Message& m, int64_t now) { f->feed.on_frame(m, now); });
  api::register_qos_routes(w.router, f->deps);
  asio::co_spawn(w.ex, tick_loop(w, f), asio::detached);
  w.on_stop.push_back([f] {
    f->stopped = true;
    f->timer.cancel();
  });
  w.status_parts.push_back([f, session = w.cfg.ami.qos_session](json& j) -> asio::awaitable<void> {
    const auto& t = f->feed.tracker();
    j["qos"] = {{"enabled", true}, {"session", session}, {"calls", t.call_count()}, {"channels", t.channel_count()},
                {"alerts", f->feed.alerts()}, {"notices", f->notices}, {"summaries", f->feed.summaries()},
                {"rejected", f->feed.rejected()}, {"dropped", t.dropped()}, {"store_errors", f->store_errors},
                {"cdr_written", f->cdr_written}, {"cdr_pending", f->cdr_pending.size()}};
    co_return;
  });
}

}  // namespace opdesk::app
