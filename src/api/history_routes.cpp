// Call history routes; see history_routes.hpp.
#include "history_routes.hpp"

#include <algorithm>

#include "admin_routes.hpp"
#include "call_log.hpp"
#include "http_util.hpp"
#include "recordings.hpp"
#include "upstream_call_log.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

CallLogScope scope_of(const Principal& p) {
  CallLogScope s;
  s.all = p.all;
  s.extensions = p.extensions;
  if (p.extension) s.extensions.insert(*p.extension);
  s.queues = p.queues;
  return s;
}

asio::awaitable<Response> call_log(HistoryDeps& d, Request& req, bool csv) {
  Principal p = co_await d.auth.require(req, "cdr:read");
  std::map<std::string, std::string> query = req.query;
  if (csv) query["format"] = "csv";
  CallLogQuery q = parse_call_log_query(query, scope_of(p));
  if (d.directory) apply_directory(q, *d.directory);
  CallLogContext ctx;
  ctx.directory = d.directory;
  ctx.recording_key = d.recording_key;
  ctx.user_id = p.user_id;
  ctx.now_unix = d.now_ms() / 1000;
  if (!q.csv) {
    json out = co_await call_log_query_async(d.store, d.cdr, std::move(q), ctx);
    co_return json_response(200, out);
  }
  // CSV: built page by page on the worker pool (bounded pages; capped at 100 k calls).
  auto work = [&d, q, ctx]() {
    std::string body;
    call_log_csv(d.cdr, q, ctx, [&body](std::string_view chunk) { body.append(chunk); }, 500, 100000);
    return body;
  };
  Response r;
  r.body = co_await d.store.async(std::move(work));
  r.content_type = "text/csv; charset=utf-8";
  r.header("Content-Disposition", "attachment; filename=\"call-log.csv\"");
  co_return r;
}

CallLogContext context_of(HistoryDeps& d, const Principal& p) {
  CallLogContext ctx;
  ctx.directory = d.directory;
  ctx.recording_key = d.recording_key;
  ctx.user_id = p.user_id;
  ctx.now_unix = d.now_ms() / 1000;
  return ctx;
}

// The upstream shape {calls:[CallLogRecord], total}: pages through up to `limit` calls.
asio::awaitable<Response> upstream_call_log(HistoryDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req, "cdr:read");
  auto uq = parse_upstream_call_log_query(req.query, scope_of(p), local_day(d.now_ms()));
  if (d.directory) apply_directory(uq.q, *d.directory);
  CallLogContext ctx = context_of(d, p);
  auto work = [&d, uq, ctx]() {
    json calls = json::array();
    store::CdrQuery q = uq.q.cdr;
    int64_t total = -1;
    while (static_cast<int>(calls.size()) < uq.limit) {
      q.limit = std::min(store::kCdrMaxLimit, uq.limit - static_cast<int>(calls.size()));
      auto page = d.cdr.query(q);
      if (total < 0) total = page.total;
      for (const auto& c : page.calls) calls.push_back(upstream_call_record(c, q, ctx));
      if (!page.next || page.calls.empty()) break;
      q.cursor = page.next;
    }
    return json{{"calls", calls}, {"total", std::max<int64_t>(total, 0)}};
  };
  json out = co_await d.store.async(std::move(work));
  co_return json_response(200, out);
}

// GET /api/call-log/journey?linkedid= (scope applied in SQL: an unseen call is a 404).
asio::awaitable<Response> journey(HistoryDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req, "cdr:read");
  auto lid = req.query_value("linkedid");
  if (!lid || lid->empty() || lid->size() > 64 ||
      std::any_of(lid->begin(), lid->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    throw ApiError(400, "request.field.invalid", "linkedid is required (at most 64 characters)", "linkedid");
  }
  CallLogQuery q = parse_call_log_query({{"search", *lid}}, scope_of(p));
  if (d.directory) apply_directory(q, *d.directory);
  q.cdr.search_extensions.clear();
  q.cdr.limit = store::kCdrMaxLimit;
  std::string id = *lid;
  auto work = [&d, q, id]() -> std::optional<json> {
    auto page = d.cdr.query(q.cdr);
    for (const auto& c : page.calls) {
      if (c.linkedid == id) return upstream_journey(c, q.cdr);
    }
    return std::nullopt;
  };
  auto out = co_await d.store.async(std::move(work));
  if (!out) throw ApiError(404, "cdr.call.not_found", "no call " + id + " in your scope");
  co_return json_response(200, *out);
}

}  // namespace

void register_history_routes(Router& r, HistoryDeps& d) {
  // The upstream product's path keeps its shape; format=opdesk (or json) gives OpDesk's own
  // {items,next_cursor,total,total_exact}, format=csv the CSV, like /api/calls/history.
  r.add("GET", "/api/call-log", [&d](Request& req) -> asio::awaitable<Response> {
    auto f = req.query_value("format");
    if (f && (*f == "opdesk" || *f == "json")) {
      req.query.erase("format");
      co_return co_await call_log(d, req, false);
    }
    if (f && *f == "csv") co_return co_await call_log(d, req, true);
    if (f && *f != "upstream") {
      throw ApiError(400, "request.field.invalid", "format must be upstream, opdesk or csv", "format");
    }
    co_return co_await upstream_call_log(d, req);
  }, "Call log, upstream shape {calls,total} (limit, date, date_from, date_to, search; default last 30 days)");

  r.add("GET", "/api/call-log/journey", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await journey(d, req);
  }, "One call's journey by linkedid, upstream shape {journey:[...]} (scoped)");

  r.add("GET", "/api/calls/history", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await call_log(d, req, false);
  }, "Call log: filters, keyset paging, calls grouped by linkedid (format=csv for CSV)");

  r.add("GET", "/api/call-log.csv", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await call_log(d, req, true);
  }, "Call log as CSV (same filters)");

  r.add("GET", "/api/recordings/{path*}", [&d](Request& req) -> asio::awaitable<Response> {
    // A signed URL needs no token; without one the principal's scope decides (Bearer, API key,
    // or for this route only the upstream client's ?token=JWT; see recordings.hpp).
    std::optional<Principal> p;
    if (!req.query_value("sig")) {
      const Request auth_req = recording_auth_request(req);  // named: lives across the co_await
      p = co_await d.auth.require(auth_req, "cdr:read");
    }
    RecordingContext ctx;
    ctx.root = d.recordings_root;
    ctx.hmac_key = d.recording_key;
    ctx.now_unix = d.now_ms() / 1000;
    ctx.signer = signer_lookup(d.store);
    const Principal* who = p ? &*p : nullptr;
    auto work = [&d, req, who, ctx]() { return serve_recording(req, who, ctx, recording_finder(d.cdr)); };
    RecordingResult res = co_await d.store.async(std::move(work));
    if (res.audit) {
      Principal actor = p ? *p : Principal{};
      if (!p) actor.username = res.audit->value("username", std::string("signed-url"));
      if (res.audit->contains("user_id") && (*res.audit)["user_id"].is_number()) {
        actor.user_id = (*res.audit)["user_id"].get<int64_t>();
      }
      std::string target(req.param("path"));
      std::string result = res.response.status < 300 ? "ok" : "denied";
      co_await audit(d.store, actor, "recording.play", target, result, *res.audit, req.remote_ip);
    }
    co_return res.response;
  }, "A recording (HTTP Range; signed URL or Bearer scope)");
}

}  // namespace opdesk::api
