// Call history routes; see history_routes.hpp.
#include "history_routes.hpp"

#include "admin_routes.hpp"
#include "call_log.hpp"
#include "http_util.hpp"
#include "recordings.hpp"

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

}  // namespace

void register_history_routes(Router& r, HistoryDeps& d) {
  r.add("GET", "/api/call-log", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await call_log(d, req, false);
  }, "Call log: filters, keyset paging, calls grouped by linkedid (format=csv for CSV)");

  r.add("GET", "/api/call-log.csv", [&d](Request& req) -> asio::awaitable<Response> {
    co_return co_await call_log(d, req, true);
  }, "Call log as CSV (same filters)");

  r.add("GET", "/api/recordings/{path*}", [&d](Request& req) -> asio::awaitable<Response> {
    // A signed URL needs no token; without one the Bearer principal's scope decides.
    std::optional<Principal> p;
    if (!req.query_value("sig")) p = co_await d.auth.require(req, "cdr:read");
    RecordingContext ctx;
    ctx.root = d.recordings_root;
    ctx.hmac_key = d.recording_key;
    ctx.now_unix = d.now_ms() / 1000;
    const Principal* who = p ? &*p : nullptr;
    auto work = [&d, req, who, ctx]() { return serve_recording(req, who, ctx, recording_finder(d.cdr)); };
    RecordingResult res = co_await d.store.async(std::move(work));
    if (res.audit) {
      Principal actor = p ? *p : Principal{};
      if (!p) actor.username = "signed-url";
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
