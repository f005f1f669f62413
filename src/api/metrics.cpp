// Metrics registry and text rendering; see metrics.hpp.
#include "metrics.hpp"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace opdesk::api {
using namespace prometheus;

namespace {
const Histogram::BucketBoundaries kLatency = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,   0.25,   0.5,   1,    2.5, 5};
}

Metrics::Metrics() : registry_(std::make_shared<Registry>()) {
  http_requests_ = &BuildCounter().Name("opdesk_http_requests_total")
                        .Help("HTTP requests by route, method and status").Register(*registry_);
  http_latency_ = &BuildHistogram().Name("opdesk_http_request_duration_seconds")
                       .Help("HTTP request latency by route").Register(*registry_);
  actions_ = &BuildCounter().Name("opdesk_actions_total")
                  .Help("Call/queue actions by name and result").Register(*registry_);
  action_latency_ = &BuildHistogram().Name("opdesk_action_duration_seconds")
                         .Help("Action latency until Asterisk answered").Register(*registry_);
  ami_events_ = &BuildCounter().Name("opdesk_ami_frames_total")
                     .Help("AMI frames received on the state session").Register(*registry_).Add({});
  resyncs_ = &BuildCounter().Name("opdesk_ami_resyncs_total")
                  .Help("AMI (re)connections followed by a full resync").Register(*registry_).Add({});
  delta_bytes_ = &BuildCounter().Name("opdesk_ws_bytes_total")
                      .Help("Bytes queued to WebSocket clients").Register(*registry_).Add({});
  event_lag_ = &BuildHistogram().Name("opdesk_ami_event_lag_seconds")
                    .Help("Asterisk event timestamp to processing").Register(*registry_)
                    .Add({}, kLatency);
  db_latency_ = &BuildHistogram().Name("opdesk_db_query_duration_seconds")
                     .Help("Database work latency on the worker pool").Register(*registry_)
                     .Add({}, kLatency);
}

void Metrics::observe_http(const std::string& route, const std::string& method, int status,
                           double seconds) {
  http_requests_->Add({{"route", route}, {"method", method}, {"status", std::to_string(status)}})
      .Increment();
  http_latency_->Add({{"route", route}}, kLatency).Observe(seconds);
}

void Metrics::observe_action(const std::string& action, bool ok, double seconds) {
  actions_->Add({{"action", action}, {"result", ok ? "ok" : "error"}}).Increment();
  action_latency_->Add({{"action", action}}, kLatency).Observe(seconds);
}

void Metrics::add_gauge(const std::string& name, const std::string& help,
                        std::function<double()> f) {
  auto& fam = BuildGauge().Name(name).Help(help).Register(*registry_);
  provided_[name] = Provided{&fam.Add({}), std::move(f)};
}

void Metrics::add_counter(const std::string& name, const std::string& help,
                          std::function<double()> f) {
  auto& fam = BuildCounter().Name(name).Help(help).Register(*registry_);
  counters_[name] = ProvidedCounter{&fam.Add({}), std::move(f)};
}

void Metrics::raise(Counter* c, double total) {
  double now = c->Value();
  if (total > now) c->Increment(total - now);
}

std::string Metrics::render() {
  for (auto& f : collectors_) f();
  for (auto& [name, p] : provided_) p.gauge->Set(p.value());
  for (auto& [name, p] : counters_) raise(p.counter, p.value());
  std::ostringstream os;
  TextSerializer().Serialize(os, registry_->Collect());
  return os.str();
}

}  // namespace opdesk::api
