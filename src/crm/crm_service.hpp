// CrmService: the durable CRM push — call events → outbox rows → delivery with retries.
//
// The lead creates one per panel on the Asio executor, calls migrate() once at start-up, then
// start(). Ended calls (and, when configured, ringing/answered) go in through `push`, which
// writes the outbox row on the store's worker pool before anything is sent; one delivery
// coroutine sends due rows one at a time (so one call's events keep their order), retrying
// network errors, 5xx and 429 with exponential backoff + jitter (Retry-After honoured), and
// marking other 4xx as failed. Pending rows left by a previous run are resumed by start().
// Delivery is at least once: a request whose answer was lost is sent again with the same
// Idempotency-Key, so the receiver de-duplicates and every (call, event) counts exactly once.
// Finished rows older than cfg.retention_days are pruned hourly.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crm/call_record.hpp"
#include "crm/crm_client.hpp"
#include "crm/crm_config.hpp"
#include "crm/http_client.hpp"

namespace opdesk::store {
class Store;
class CrmOutbox;
}  // namespace opdesk::store

namespace opdesk::crm {

struct RetryPolicy {
  int64_t base_ms = 5000;      // first retry delay
  int64_t max_ms = 3600000;    // cap of one delay (and of Retry-After)
  int max_attempts = 20;       // then the row is failed
  double jitter = 0.3;         // delay × [1 − jitter, 1]
  int64_t idle_poll_ms = 60000;  // re-check the outbox at least this often
};

struct CrmServiceOptions {
  RetryPolicy retry;
  // Signs a recording file into an expiring absolute URL with the config in force (called at
  // send time, so a retry days later still carries a valid link; empty → field omitted).
  std::function<std::string(const std::string& file, const CrmConfig& cfg)> sign_recording;
  std::function<int64_t()> now_ms;  // default: system clock
};

// Outbox counters for GET /api/status and /metrics, refreshed by the delivery loop.
struct OutboxStats {
  int64_t pending = 0, failed = 0, delivered = 0;
  int64_t attempts_failed = 0;  // attempts that did not deliver, since start
  int64_t last_success_ms = 0;
  std::string last_error;  // of the last attempt that did not deliver (no secrets: curl text/HTTP code)
  nlohmann::json to_json() const;
};

// The outcome of a test send or a single attempt, as shown to the administrator.
struct SendReport {
  bool success = false;
  int status_code = 0;
  std::string body_excerpt;  // ≤ 1 KiB
  int64_t latency_ms = 0;
  std::string error;
  std::string url;  // redacted
  nlohmann::json to_json() const;
};

class CrmService {
 public:
  static constexpr const char* kRecordingPrefix = "opdesk-recording:";

  CrmService(boost::asio::any_io_executor ex, store::Store& store, CrmConfig cfg,
             CrmServiceOptions opts = {});
  ~CrmService();  // stop()s; pending rows stay in the outbox for the next run
  CrmService(const CrmService&) = delete;
  CrmService& operator=(const CrmService&) = delete;

  int migrate();  // blocking; creates/updates the CRM tables (call once at start-up)
  void start();   // spawns the delivery coroutine (resumes pending rows)
  void stop();    // ends it; safe to call twice

  void set_config(CrmConfig cfg);  // applied to the next send (a cached OAuth2 token is dropped)
  CrmConfig config() const;

  // Fire-and-forget (any thread): writes the outbox row, then wakes the sender. Rows are written
  // in push order. Call before destroying the service's event loop.
  // Skipped (false) when the CRM or sync is disabled, the direction is filtered or the event
  // is not configured. Duplicate (linkedid, event) pairs are written once.
  void push(const CallRecord& r, CallEvent ev);
  // The same, awaitable: true when a new row was written.
  boost::asio::awaitable<bool> enqueue(CallRecord r, CallEvent ev);
  bool wants(const CallRecord& r, CallEvent ev) const;

  // Sends a test payload with `cfg` (saved or not) and reports the real response.
  boost::asio::awaitable<SendReport> test(CrmConfig cfg);
  // Marks rows pending again and wakes the sender; returns how many exist.
  boost::asio::awaitable<int> resend(std::vector<int64_t> ids);
  // Deletes finished rows older than the retention now; returns how many.
  boost::asio::awaitable<int64_t> prune_now();
  OutboxStats stats() const;  // any thread

  boost::asio::any_io_executor executor() const;
  store::Store& store();
  store::CrmOutbox& outbox();
  CrmClient& client();

 private:
  struct Core;  // shared with the delivery coroutine, so it outlives a suspended send
  std::shared_ptr<Core> core_;
};

std::string excerpt(const std::string& body, size_t max = 1024);  // cut on a UTF-8 boundary
// Retry-After in seconds → ms (nullopt when absent or not a plain number).
std::optional<int64_t> retry_after_ms(const HttpResult& r);
// Network error, 408, 429 or 5xx, and not refused by the SSRF guard.
bool is_retryable(const HttpResult& r);

}  // namespace opdesk::crm
