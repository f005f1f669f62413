// Live REST routes; see live_routes.hpp. Everything returned is filtered to the caller's scope
// with the same rules as the WebSocket stream (scope_filter).
#include "live_routes.hpp"

#include "http_util.hpp"
#include "openapi.hpp"
#include "scope_filter.hpp"
#include "state_json.hpp"
#include "upstream_compat.hpp"

namespace opdesk::api {
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

const std::vector<std::string_view> kDndFields = {"enabled"};
const std::vector<std::string_view> kNoFields = {};  // routes whose path says everything

json scoped_snapshot(LiveDeps& d, const Principal& p) {
  return filter_snapshot(p, snapshot_json(d.engine, d.now_ms()));
}

void require_pbx(LiveDeps& d) {
  if (d.pbx_connected && !d.pbx_connected()) {
    throw ApiError(503, "pbx.ami.unavailable", "not connected to Asterisk (AMI); live data is unavailable");
  }
}

// Runs an action on behalf of a REST caller and maps the outcome to HTTP.
asio::awaitable<Response> run_action(LiveDeps& d, const Request& req, const Principal& p,
                                     std::string action, json params) {
  auto out = co_await d.actions.run(p, action, std::move(params), req.remote_ip);
  if (!out.ok) {
    ApiError e(out.status >= 400 ? out.status : 400, out.code.empty() ? "action.failed" : out.code, out.message, out.field);
    if (out.status == 429) e.headers.emplace_back("Retry-After", "1");
    throw e;
  }
  json body = {{"ok", true}, {"action", action}, {"data", out.data}};
  co_return json_response(out.status == 202 ? 202 : 200, body);
}

}  // namespace

void register_live_routes(Router& r, LiveDeps& d) {
  r.add("GET", "/health", [&d](Request&) -> asio::awaitable<Response> {
    // An AMI peer that logs in and never answers the resync is not healthy: the live state
    // would be empty or stale (#18).
    bool logged_in = d.pbx_connected ? d.pbx_connected() : false;
    bool synced = d.pbx_synced ? d.pbx_synced() : logged_in;
    json body = {{"status", "ok"}, {"ami_connected", logged_in && synced}, {"ami_logged_in", logged_in},
                 {"ami_synced", logged_in && synced}};
    co_return json_response(200, body);
  }, "public: Liveness");

  r.add("GET", "/api/status", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    bool logged_in = d.pbx_connected ? d.pbx_connected() : false;
    bool synced = logged_in && (d.pbx_synced ? d.pbx_synced() : true);
    if (!p.is_admin()) {
      // The caller's scope only: no PBX-wide counts, no details of the panel's links (#18).
      json snap = scoped_snapshot(d, p);
      json body = {{"connected", logged_in}, {"synced", synced},
                   {"extensions_count", snap.value("extensions", json::array()).size()},
                   {"active_calls", snap.value("calls", json::array()).size()},
                   {"epoch", d.engine.epoch()}, {"seq", d.engine.seq()}, {"version", d.version},
                   {"server_time", d.now_ms()}};
      co_return json_response(200, body);
    }
    const auto& st = d.engine.state();
    size_t calls = 0;
    for (const auto& [id, c] : st.calls) {
      if (d.engine.call_visible(c)) ++calls;
    }
    json body = {{"connected", logged_in}, {"synced", synced},
                 {"extensions_count", st.extensions.size()}, {"active_calls", calls},
                 {"websocket_clients", d.hub ? d.hub->client_count() : 0},
                 {"epoch", d.engine.epoch()}, {"seq", d.engine.seq()}, {"version", d.version},
                 {"server_time", d.now_ms()}};
    if (d.status_details) {
      json extra = co_await d.status_details();
      for (auto it = extra.begin(); it != extra.end(); ++it) body[it.key()] = it.value();
    }
    co_return json_response(200, body);
  }, "Panel and PBX connection status");

  r.add("GET", "/api/state", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    co_return json_response(200, scoped_snapshot(d, p));
  }, "Live state snapshot (scoped)");

  r.add("GET", "/api/extensions", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    require_pbx(d);
    json up = upstream_state(scoped_snapshot(d, p));
    json list = json::array();
    for (auto& [ext, e] : up["extensions"].items()) {
      list.push_back({{"extension", ext}, {"name", e["name"]}, {"status", e["status_code"]},
                      {"state", e["status"]}, {"dnd", e["dnd"]}, {"in_call", !e["call_info"].is_null()},
                      {"call_info", e["call_info"]}});
    }
    json body = {{"extensions", list}};
    co_return json_response(200, body);
  }, "Extensions (upstream shape, scoped)");

  r.add("GET", "/api/calls", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    require_pbx(d);
    json snap = scoped_snapshot(d, p);
    json up = upstream_state(snap);
    json body = {{"calls", up["active_calls"]}, {"items", snap["calls"]}};
    co_return json_response(200, body);
  }, "Active calls (upstream shape + full call objects, scoped)");

  r.add("GET", "/api/queues", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    require_pbx(d);
    json snap = scoped_snapshot(d, p);
    json up = upstream_state(snap);
    json body = {{"queues", up["queues"]}, {"members", up["queue_members"]},
                 {"entries", up["queue_entries"]}, {"items", snap["queues"]}};
    co_return json_response(200, body);
  }, "Queues (upstream shape + full queue objects, scoped)");

  r.add("GET", "/metrics", [&d](Request& req) -> asio::awaitable<Response> {
    bool loopback = req.remote_ip == "127.0.0.1" || req.remote_ip == "::1";
    if (!(loopback && d.metrics_public_on_loopback)) {
      Principal p = co_await d.auth.require(req);
      require_admin(p);
    }
    Response resp;
    resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp.body = d.metrics ? d.metrics->render() : std::string();
    co_return resp;
  }, "public: Prometheus metrics (loopback, or an admin token)");

  r.add("GET", "/api/openapi.json", [&r, &d](Request&) -> asio::awaitable<Response> {
    co_return json_response(200, openapi_document(r, d.version));
  }, "public: This OpenAPI document");

  // Actions: one generic endpoint plus the upstream-style paths.
  r.add("POST", "/api/actions/{action}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = req.body.empty() ? json::object() : parse_json_body(req);
    co_return co_await run_action(d, req, p, std::string(req.param("action")), std::move(body));
  }, "Run a call/queue action (listen, whisper, barge, hangup, transfer, ...)");

  r.add("POST", "/api/calls/{id}/hangup", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    if (!req.body.empty()) reject_unknown(parse_json_body(req), kNoFields);
    json body = {{"call_id", std::string(req.param("id"))}};
    co_return co_await run_action(d, req, p, "hangup", body);
  }, "Hang up a call");

  r.add("POST", "/api/calls/transfer", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = parse_json_body(req);
    bool attended = opt_bool(body, "attended").value_or(false);
    body.erase("attended");
    if (!body.contains("target") && !body.contains("source") && !body.contains("extension") && p.extension) {
      body["target"] = *p.extension;  // upstream: the caller's own extension's call
    }
    co_return co_await run_action(d, req, p, attended ? "attended_transfer" : "transfer", body);
  }, "Blind (or attended) transfer");

  r.add("POST", "/api/integration/click-to-call", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = parse_json_body(req);
    auto out = co_await d.actions.run(p, "originate", body, req.remote_ip);
    if (!out.ok) {
      ApiError e(out.status >= 400 ? out.status : 400, out.code, out.message, out.field);
      if (out.status == 429) e.headers.emplace_back("Retry-After", "1");
      throw e;
    }
    json resp = {{"accepted", true}, {"extension", out.data.value("from", json())}, {"number", out.data.value("number", json())}, {"data", out.data}};
    if (out.data.contains("action_id")) resp["action_id"] = out.data["action_id"];
    co_return json_response(202, resp);
  }, "Click-to-call (Originate, async)");

  r.add("POST", "/api/extensions/{ext}/dnd", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = parse_json_body(req);
    reject_unknown(body, kDndFields);
    json params = {{"extension", std::string(req.param("ext"))}, {"enabled", body.contains("enabled") ? body["enabled"] : json()}};
    co_return co_await run_action(d, req, p, "dnd", params);
  }, "Set do-not-disturb");

  r.add("POST", "/api/queues/{queue}/members", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = parse_json_body(req);
    body["queue"] = std::string(req.param("queue"));
    co_return co_await run_action(d, req, p, "queue_add", body);
  }, "Add a queue member");

  r.add("DELETE", "/api/queues/{queue}/members/{member}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    if (!req.body.empty()) reject_unknown(parse_json_body(req), kNoFields);
    json body = {{"queue", std::string(req.param("queue"))}, {"interface", std::string(req.param("member"))}};
    co_return co_await run_action(d, req, p, "queue_remove", body);
  }, "Remove a queue member");

  r.add("POST", "/api/queues/{queue}/members/{member}/{op}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:write");
    json body = req.body.empty() ? json::object() : parse_json_body(req);
    body["queue"] = std::string(req.param("queue"));
    body["interface"] = std::string(req.param("member"));
    std::string op(req.param("op"));
    std::string action = op == "pause" ? "queue_pause" : op == "unpause" ? "queue_unpause"
                         : op == "penalty" ? "queue_penalty" : "";
    if (action.empty()) throw ApiError(404, "request.route.not_found", "unknown member operation '" + op + "'", "op");
    co_return co_await run_action(d, req, p, action, body);
  }, "Pause, unpause or set the penalty of a queue member");
}

}  // namespace opdesk::api
