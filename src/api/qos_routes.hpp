// Call-quality REST routes (issue #10):
//   GET /api/calls/{id}/qos        one call (live or from the call log, id = linkedid): the
//                                  live values, the timeline for the chart and the per-leg
//                                  summaries; 404 when the call is unknown or out of scope.
//   GET /api/qos/daily?date=       per-extension aggregate of one local day, worst first,
//                                  only the extensions the caller sees.
// Scope: a call is visible when the principal sees one of its extensions (or its queue while
// it is live), as for the call log. Store reads run on the worker pool.
#pragma once

#include <functional>

#include "api/qos_feed.hpp"
#include "request_auth.hpp"
#include "router.hpp"
#include "store/qos_store.hpp"
#include "store/store.hpp"

namespace opdesk::api {

struct QosRouteDeps {
  store::Store& store;
  store::QosStore& qos_store;
  RequestAuth& auth;
  const pbx::Engine& engine;
  const QosFeed* feed = nullptr;  // live timelines (null: stored data only)
  qos::Thresholds thresholds;     // echoed for the chart's guide lines
  std::function<int64_t()> now_ms;
};

void register_qos_routes(Router& router, QosRouteDeps& deps);

// Validates "YYYY-MM-DD" (digits and dashes, month 1..12, day 1..31).
bool valid_day(std::string_view day);

}  // namespace opdesk::api
