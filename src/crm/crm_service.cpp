// CrmService (see crm_service.hpp): outbox writer and the single delivery coroutine.
//
// How it fits: push/enqueue build the body (payload.cpp) and write it with the idempotency key
// sha256(linkedid|event) through Store::async; run() loops: take due rows (oldest pending row
// per call), send each through CrmClient, record the attempt, sleep until the next due row or a
// wake-up. Invariants: a row is in the store before its first send; the stored body is what is
// replayed (a recording placeholder is signed afresh per attempt); the coroutine owns a
// shared_ptr to Core so destroying the service while a send is suspended is safe. Lambdas
// given to Store::async capture by reference only (GCC 12 mishandles non-trivial temporaries
// in co_await expressions); the coroutine frame keeps the referenced values alive. The loop
// also refreshes OutboxStats (status/metrics) after each round. Retry classification and the
// report/JSON helpers live in delivery_result.cpp.
#include "crm/crm_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <array>
#include <deque>
#include <random>
#include <spdlog/spdlog.h>

#include "crm/payload.hpp"
#include "crm/signing.hpp"
#include "store/crm_outbox.hpp"
#include "store/store.hpp"

namespace opdesk::crm {

namespace asio = boost::asio;

struct CrmService::Core : std::enable_shared_from_this<Core> {
  Core(asio::any_io_executor ex, store::Store& st, CrmConfig c, CrmServiceOptions o)
      : ex(ex), store(st), outbox(std::make_unique<store::CrmOutbox>(st.database())),
        opts(std::move(o)), cfg(std::move(c)), http(std::make_unique<HttpClient>()), client(*http),
        timer(ex), rng(std::random_device{}()) {}

  asio::any_io_executor ex;
  store::Store& store;
  std::unique_ptr<store::CrmOutbox> outbox;
  CrmServiceOptions opts;
  mutable std::mutex cfg_mu;
  CrmConfig cfg;
  std::unique_ptr<HttpClient> http;
  CrmClient client;
  asio::steady_timer timer;
  std::mt19937_64 rng;
  bool stopped = false;
  bool running = false;
  bool wake_flag = false;
  int64_t last_prune_ms = 0;
  std::deque<std::pair<CallRecord, CallEvent>> inbox;  // push() order = outbox order
  bool draining = false;
  mutable std::mutex stats_mu;
  OutboxStats stats;

  CrmConfig config() const {
    std::lock_guard lock(cfg_mu);
    return cfg;
  }
  int64_t now() const {
    if (opts.now_ms) return opts.now_ms();
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch()).count();
  }
  void wake() {
    asio::post(ex, [self = shared_from_this()] {
      self->wake_flag = true;
      self->timer.cancel();
    });
  }
  int64_t backoff_ms(int attempts, std::optional<int64_t> retry_after_ms);
  std::string resolve_body(const std::string& stored) const;
  asio::awaitable<void> run();
  asio::awaitable<void> deliver(const CrmConfig& c, const store::CrmDelivery& row);
  asio::awaitable<void> prune_if_due();
  asio::awaitable<int64_t> prune(const CrmConfig& c);
  asio::awaitable<void> refresh_stats();
  asio::awaitable<bool> enqueue(const CallRecord& r, CallEvent ev);
  void drain_inbox();
  bool wants(const CrmConfig& c, const CallRecord& r, CallEvent ev) const;
};

int64_t CrmService::Core::backoff_ms(int attempts, std::optional<int64_t> retry_after_ms) {
  const auto& p = opts.retry;
  int64_t d = p.base_ms;
  for (int i = 1; i < attempts && d < p.max_ms; ++i) d *= 2;
  d = std::min(d, p.max_ms);
  std::uniform_real_distribution<double> u(1.0 - p.jitter, 1.0);
  d = static_cast<int64_t>(static_cast<double>(d) * u(rng));
  if (retry_after_ms) d = std::max(d, std::min(*retry_after_ms, p.max_ms));
  return std::max<int64_t>(d, 0);
}

std::string CrmService::Core::resolve_body(const std::string& stored) const {
  if (stored.find(kRecordingPrefix) == std::string::npos) return stored;
  CrmConfig c = config();
  auto j = nlohmann::json::parse(stored, nullptr, false);
  if (!j.is_object()) return stored;
  for (auto it = j.begin(); it != j.end();) {
    if (it->is_string() && it->get<std::string>().rfind(kRecordingPrefix, 0) == 0) {
      std::string file = it->get<std::string>().substr(std::string(kRecordingPrefix).size());
      std::string url = opts.sign_recording ? opts.sign_recording(file, c) : std::string();
      if (url.empty()) {
        it = j.erase(it);
        continue;
      }
      *it = url;
    }
    ++it;
  }
  return j.dump();
}

asio::awaitable<void> CrmService::Core::deliver(const CrmConfig& c, const store::CrmDelivery& row) {
  HttpRequest req;
  req.method = c.sync_method;
  req.url = c.push_url();
  req.body = resolve_body(row.body);
  req.headers = {{"Content-Type", "application/json"},
                 {"Idempotency-Key", row.idem_key},
                 {"X-OpDesk-Event", row.event},
                 {"X-OpDesk-Call-Id", row.linkedid}};
  if (!c.signing_secret.empty()) {
    req.headers.emplace_back("X-OpDesk-Signature",
                             signature_header(c.signing_secret, now() / 1000, req.body));
  }
  HttpResult res = co_await client.send(c, std::move(req));
  store::CrmAttempt a;
  a.now_ms = now();
  a.response_code = res.status;
  a.response_excerpt = excerpt(res.body);
  a.latency_ms = res.latency_ms;
  a.error = res.error;
  if (res.success()) {
    a.status = "delivered";
  } else if (is_retryable(res) && row.attempts + 1 < opts.retry.max_attempts) {
    a.status = "pending";
    a.next_at = a.now_ms + backoff_ms(row.attempts + 1, retry_after_ms(res));
    if (a.error.empty()) a.error = "HTTP " + std::to_string(res.status);
  } else {
    a.status = "failed";
    if (a.error.empty()) a.error = "HTTP " + std::to_string(res.status);
  }
  spdlog::debug("crm: delivery {} {} -> {} ({})", row.id, row.event, a.status,
                res.status ? std::to_string(res.status) : res.error);
  // Quiet by default: a retry is routine during a CRM outage (the log and the metrics show
  // it); only a permanent failure is worth a line at the default level.
  if (a.status == "failed") spdlog::warn("crm: delivery {} failed permanently: {}", row.id, a.error);
  co_await store.async([&] { outbox->record_attempt(row.id, a); });
  std::lock_guard lock(stats_mu);
  if (a.status == "delivered") {
    stats.last_success_ms = a.now_ms;
  } else {
    ++stats.attempts_failed;
    stats.last_error = a.error;
  }
}

asio::awaitable<void> CrmService::Core::refresh_stats() {
  auto counts = co_await store.async([&] {
    return std::array<int64_t, 3>{outbox->count("pending"), outbox->count("failed"),
                                  outbox->count("delivered")};
  });
  std::lock_guard lock(stats_mu);
  stats.pending = counts[0];
  stats.failed = counts[1];
  stats.delivered = counts[2];
}

asio::awaitable<int64_t> CrmService::Core::prune(const CrmConfig& c) {
  if (c.retention_days <= 0) co_return 0;
  int64_t cutoff = now() - static_cast<int64_t>(c.retention_days) * 86400 * 1000;
  int64_t n = co_await store.async([&] { return outbox->prune_before(cutoff); });
  if (n > 0) spdlog::info("crm: pruned {} old deliveries", n);
  co_return n;
}

asio::awaitable<void> CrmService::Core::prune_if_due() {
  int64_t t = now();
  if (t - last_prune_ms < 3600 * 1000) co_return;  // hourly is plenty for a days-long retention
  last_prune_ms = t;
  CrmConfig c = config();
  co_await prune(c);
}

asio::awaitable<void> CrmService::Core::run() {
  auto self = shared_from_this();
  while (!stopped) {
    wake_flag = false;
    int64_t wait_ms = opts.retry.idle_poll_ms;
    try {
      co_await prune_if_due();
      CrmConfig c = config();
      bool sending = c.enabled && !c.server_url.empty();
      std::vector<store::CrmDelivery> rows;
      if (sending) {
        int64_t t = now();
        rows = co_await store.async([&] { return outbox->due(t, 20); });
      }
      for (const auto& row : rows) {
        if (stopped) co_return;
        co_await deliver(c, row);
      }
      co_await refresh_stats();
      if (!rows.empty()) continue;
      if (sending) {
        auto next = co_await store.async([&] { return outbox->next_due_at(); });
        if (next) wait_ms = std::clamp<int64_t>(*next - now(), 0, wait_ms);
      }
    } catch (const std::exception& e) {
      spdlog::warn("crm: outbox unavailable: {}", e.what());
      wait_ms = std::min<int64_t>(wait_ms, 5000);
    }
    if (stopped) co_return;
    if (wake_flag || wait_ms == 0) continue;
    timer.expires_after(std::chrono::milliseconds(wait_ms));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

CrmService::CrmService(asio::any_io_executor ex, store::Store& store, CrmConfig cfg,
                       CrmServiceOptions opts)
    : core_(std::make_shared<Core>(ex, store, std::move(cfg), std::move(opts))) {}

CrmService::~CrmService() { stop(); }

int CrmService::migrate() { return core_->outbox->migrate(); }

void CrmService::start() {
  asio::post(core_->ex, [core = core_] {
    if (core->running || core->stopped) return;
    core->running = true;
    asio::co_spawn(core->ex, core->run(), asio::detached);
  });
}

void CrmService::stop() {
  auto core = core_;
  core->http->shutdown();
  asio::post(core->ex, [core] {
    core->stopped = true;
    core->timer.cancel();
  });
}

void CrmService::set_config(CrmConfig cfg) {
  {
    std::lock_guard lock(core_->cfg_mu);
    core_->cfg = std::move(cfg);
  }
  core_->client.reset_token();
  core_->wake();
}

CrmConfig CrmService::config() const { return core_->config(); }
asio::any_io_executor CrmService::executor() const { return core_->ex; }
store::Store& CrmService::store() { return core_->store; }
store::CrmOutbox& CrmService::outbox() { return *core_->outbox; }
CrmClient& CrmService::client() { return core_->client; }

bool CrmService::Core::wants(const CrmConfig& c, const CallRecord& r, CallEvent ev) const {
  if (!c.enabled || !c.sync_enabled || r.linkedid.empty()) return false;
  if (!direction_enabled(c, r.direction)) return false;
  if (ev == CallEvent::kRinging) return c.push_ringing;
  if (ev == CallEvent::kAnswered) return c.push_answered;
  return true;
}

bool CrmService::wants(const CallRecord& r, CallEvent ev) const {
  return core_->wants(core_->config(), r, ev);
}

asio::awaitable<bool> CrmService::Core::enqueue(const CallRecord& r, CallEvent ev) {
  CrmConfig c = config();
  if (!wants(c, r, ev)) co_return false;
  std::string rec = r.recording_file.empty() ? "" : kRecordingPrefix + r.recording_file;
  store::CrmNewDelivery d;
  d.body = build_payload(c, r, ev, rec).dump();
  d.linkedid = r.linkedid;
  d.event = std::string(to_string(ev));
  d.idem_key = idempotency_key(r.linkedid, d.event);
  d.now_ms = now();
  auto id = co_await store.async([&] { return outbox->enqueue(d); });
  if (id) wake();
  co_return id.has_value();
}

asio::awaitable<bool> CrmService::enqueue(CallRecord r, CallEvent ev) {
  auto core = core_;  // keeps Core alive across the suspension
  co_return co_await core->enqueue(r, ev);
}

// One writer at a time, so a call's events reach the outbox in the order they were pushed.
// The inbox is drained even after stop() (while the loop still runs) so nothing pushed is lost.
void CrmService::Core::drain_inbox() {
  if (draining) return;
  draining = true;
  asio::co_spawn(ex, [self = shared_from_this()]() -> asio::awaitable<void> {
    while (!self->inbox.empty()) {
      auto item = self->inbox.front();
      self->inbox.pop_front();
      try {
        co_await self->enqueue(item.first, item.second);
      } catch (const std::exception& e) {
        spdlog::error("crm: could not queue call {}: {}", item.first.linkedid, e.what());
      }
    }
    self->draining = false;
  }, asio::detached);
}

void CrmService::push(const CallRecord& r, CallEvent ev) {
  if (!wants(r, ev)) return;
  asio::post(core_->ex, [core = core_, r, ev] {
    // Cap: a CRM outage does not grow this (rows go to the store); only a store that cannot
    // keep up does, and then refusing with a log line beats exhausting memory.
    if (core->inbox.size() >= 100000) {
      spdlog::error("crm: push backlog full, call {} event {} not queued", r.linkedid, to_string(ev));
      return;
    }
    core->inbox.emplace_back(r, ev);
    core->drain_inbox();
  });
}

asio::awaitable<SendReport> CrmService::test(CrmConfig cfg) {
  auto core = core_;
  SendReport rep;
  rep.url = redact_url(cfg.push_url());
  HttpRequest req;
  req.method = cfg.sync_method;
  req.url = cfg.push_url();
  // A sample call shaped exactly like a real push (fields, names, outcome map), marked as a test.
  CallRecord sample;
  sample.linkedid = "test-" + std::to_string(core->now());
  sample.caller_number = "+15550100";
  sample.caller_name = "OpDesk test";
  sample.callee_number = "200";
  sample.extension = "200";
  sample.start_ms = core->now() - 65000;
  sample.answer_ms = core->now() - 60000;
  sample.end_ms = core->now();
  sample.outcome = Outcome::kAnswered;
  nlohmann::json body = build_payload(cfg, sample, CallEvent::kEnded, "");
  body["event"] = "test";
  body["test"] = true;
  body["message"] = "OpDesk CRM connection test";
  req.body = body.dump();
  req.headers = {{"Content-Type", "application/json"}, {"X-OpDesk-Event", "test"},
                 {"Idempotency-Key", idempotency_key(sample.linkedid, "test")}};
  if (!cfg.signing_secret.empty()) {
    req.headers.emplace_back("X-OpDesk-Signature",
                             signature_header(cfg.signing_secret, core->now() / 1000, req.body));
  }
  CrmClient probe(*core->http);  // unsaved config: its own token cache
  HttpResult res = co_await probe.send(cfg, std::move(req));
  rep.success = res.success();
  rep.status_code = res.status;
  rep.body_excerpt = excerpt(res.body);
  rep.latency_ms = res.latency_ms;
  rep.error = res.error;
  co_return rep;
}

asio::awaitable<int> CrmService::resend(std::vector<int64_t> ids) {
  auto core = core_;
  int64_t t = core->now();
  int n = co_await core->store.async([&] { return core->outbox->resend(ids, t); });
  core->wake();
  co_return n;
}

asio::awaitable<int64_t> CrmService::prune_now() {
  auto core = core_;
  CrmConfig c = core->config();
  int64_t n = co_await core->prune(c);
  co_await core->refresh_stats();
  co_return n;
}

OutboxStats CrmService::stats() const {
  std::lock_guard lock(core_->stats_mu);
  return core_->stats;
}

}  // namespace opdesk::crm
