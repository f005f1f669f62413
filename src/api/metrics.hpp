// Prometheus metrics (prometheus-cpp core; text exposition served by our own /metrics route).
//
// Counters and histograms are updated on the event loop only; gauges that mirror other
// components (AMI connected, WebSocket clients, outbox depth) are refreshed by a collector
// callback right before each scrape, so no component pushes on its hot path.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace opdesk::api {

class Metrics {
 public:
  Metrics();
  // Route pattern (not the raw path, to bound label cardinality), method, status, seconds.
  void observe_http(const std::string& route, const std::string& method, int status, double seconds);
  void observe_action(const std::string& action, bool ok, double seconds);
  void count_ami_events(uint64_t n) { ami_events_->Increment(static_cast<double>(n)); }
  void count_resync() { resyncs_->Increment(); }
  void count_delta_bytes(uint64_t n) { delta_bytes_->Increment(static_cast<double>(n)); }
  void observe_event_lag(double seconds) { event_lag_->Observe(seconds); }
  void observe_db(double seconds) { db_latency_->Observe(seconds); }
  // Gauges refreshed at scrape time: name → value provider.
  void add_gauge(const std::string& name, const std::string& help, std::function<double()> f);
  // Counters mirrored from a component's own cumulative total (e.g. CRM deliveries failed):
  // at scrape time the counter moves up to f(); a total that went down (component restarted)
  // is ignored until it passes the exported value again, so the counter never decreases.
  void add_counter(const std::string& name, const std::string& help, std::function<double()> f);
  // Run before every scrape (e.g. to copy totals into the built-in counters below).
  void add_collector(std::function<void()> f) { collectors_.push_back(std::move(f)); }
  // Built-in counters set from a cumulative total (same rule as add_counter).
  void set_resyncs_total(uint64_t total) { raise(resyncs_, static_cast<double>(total)); }
  void set_delta_bytes_total(uint64_t total) { raise(delta_bytes_, static_cast<double>(total)); }
  std::string render();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* http_requests_;
  prometheus::Family<prometheus::Histogram>* http_latency_;
  prometheus::Family<prometheus::Counter>* actions_;
  prometheus::Family<prometheus::Histogram>* action_latency_;
  prometheus::Counter* ami_events_;
  prometheus::Counter* resyncs_;
  prometheus::Counter* delta_bytes_;
  prometheus::Histogram* event_lag_;
  prometheus::Histogram* db_latency_;
  struct Provided {
    prometheus::Gauge* gauge;
    std::function<double()> value;
  };
  std::map<std::string, Provided> provided_;
  struct ProvidedCounter {
    prometheus::Counter* counter;
    std::function<double()> value;
  };
  std::map<std::string, ProvidedCounter> counters_;
  std::vector<std::function<void()>> collectors_;
  static void raise(prometheus::Counter* c, double total);
};

}  // namespace opdesk::api
