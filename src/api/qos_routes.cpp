// Call-quality routes; see qos_routes.hpp.
//
// The per-call answer merges three sources: the engine (is the call live, who is in it), the
// feed (live tracker values and the in-memory timeline, newest) and the store (finished legs
// and the timeline written at each leg's end). Out-of-scope and unknown calls answer the same
// 404, so the route cannot be used to probe for calls.
#include "api/qos_routes.hpp"

#include <algorithm>

#include "http_util.hpp"
#include "state_json.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

json thresholds_json(const qos::Thresholds& t) {
  return {{"fair_loss_pct", t.fair_loss_pct}, {"poor_loss_pct", t.poor_loss_pct},
          {"fair_jitter_ms", t.fair_jitter_ms}, {"poor_jitter_ms", t.poor_jitter_ms},
          {"fair_rtt_ms", t.fair_rtt_ms}, {"poor_rtt_ms", t.poor_rtt_ms},
          {"fair_mos", t.fair_mos}, {"poor_mos", t.poor_mos}};
}

bool live_call_visible(const Principal& p, const pbx::Call& c) {
  if (p.all) return true;
  for (const auto& e : c.extensions()) {
    if (p.sees_extension(e)) return true;
  }
  for (const auto& q : c.queues()) {
    if (p.sees_queue(q)) return true;
  }
  return false;
}

struct Stored {
  std::vector<store::QosLegRow> legs;
  std::optional<store::QosTimelineRow> timeline;
};

asio::awaitable<Response> call_qos(QosRouteDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req, "cdr:read");
  std::string id(req.param("id"));
  if (id.empty() || id.size() > 128) throw ApiError(400, "qos.call_id.invalid", "call id must be 1..128 characters");
  const pbx::Call* live = d.engine.find_call(id);
  bool visible = live != nullptr && live_call_visible(p, *live);
  // Named, capturing only references: GCC 12 bitwise-copies the closure in a co_await operand.
  auto work = [&d, &id] { return Stored{d.qos_store.legs_of_call(id), d.qos_store.timeline(id)}; };
  Stored st = co_await d.store.async(work);
  json legs = json::array();
  for (const auto& row : st.legs) {
    visible = visible || p.sees_extension(row.extension);
    json s = json::parse(row.summary, nullptr, false);
    if (s.is_discarded()) s = nullptr;
    legs.push_back({{"extension", row.extension}, {"ended_at", row.ended_at}, {"grade", row.grade}, {"summary", s}});
  }
  if (!visible) throw ApiError(404, "qos.call.not_found", "no quality data for this call");
  json points = json::array();
  if (auto mem = d.feed ? d.feed->live_timeline(id) : std::nullopt; mem && !mem->empty()) {
    points = std::move(*mem);
  } else if (st.timeline) {
    points = json::parse(st.timeline->points, nullptr, false);
    if (points.is_discarded() || !points.is_array()) points = json::array();
  }
  json live_json = nullptr;
  if (live != nullptr && live->qos.present) live_json = to_json(*live)["qos"];
  co_return json_response(200, {{"call_id", id}, {"live", live != nullptr}, {"qos", std::move(live_json)},
                                {"points", std::move(points)}, {"legs", std::move(legs)},
                                {"thresholds", thresholds_json(d.thresholds)}});
}

asio::awaitable<Response> daily(QosRouteDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req, "cdr:read");
  std::string day = req.query_value("date").value_or(local_day(d.now_ms()));
  if (!valid_day(day)) throw ApiError(400, "qos.date.invalid", "date must be YYYY-MM-DD", "date");
  struct Out {
    std::vector<store::QosLegRow> rows;
    bool truncated = false;
  };
  auto work = [&d, &day] {
    Out o;
    o.rows = d.qos_store.legs_of_day(day, &o.truncated);
    return o;
  };
  Out got = co_await d.store.async(work);
  std::vector<qos::DailySample> samples;
  samples.reserve(got.rows.size());
  for (const auto& row : got.rows) {
    if (!p.sees_extension(row.extension)) continue;
    json s = json::parse(row.summary, nullptr, false);
    if (s.is_discarded()) continue;  // a row we did not write; nothing to aggregate
    samples.push_back(qos::DailySample{row.extension, row.day, summary_from_json(s)});
  }
  json rows = json::array();
  for (const auto& r : qos::aggregate_daily(samples)) rows.push_back(daily_row_json(r));
  co_return json_response(200, {{"date", day}, {"rows", std::move(rows)}, {"truncated", got.truncated}});
}

}  // namespace

bool valid_day(std::string_view day) {
  if (day.size() != 10 || day[4] != '-' || day[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (day[i] < '0' || day[i] > '9') return false;
  }
  const int month = (day[5] - '0') * 10 + (day[6] - '0');
  const int dom = (day[8] - '0') * 10 + (day[9] - '0');
  return month >= 1 && month <= 12 && dom >= 1 && dom <= 31;
}

void register_qos_routes(Router& r, QosRouteDeps& d) {
  r.add("GET", "/api/calls/{id}/qos", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await call_qos(d, req);
  }, "Call quality of one call (live or logged): values, timeline for the chart, per-leg summaries");
  r.add("GET", "/api/qos/daily", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await daily(d, req);
  }, "Daily call quality per extension (date=YYYY-MM-DD, default today), worst first, scoped");
}

}  // namespace opdesk::api
