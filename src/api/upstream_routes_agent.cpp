// Upstream agent self-service, pause reasons and missed-call notifications (see
// upstream_routes.hpp).
//
// Decisions:
// - Agent login/logout/status run the panel's own queue actions (queue_add, queue_remove,
//   queue_pause, queue_unpause) through the ActionRunner: every AMI action is validated,
//   sent with an ActionID, answered with Asterisk's real result and audited. Logging in adds
//   the agent's OWN interface to its "login queues" (queues of the groups that list its
//   extension, else of the groups it belongs to), which the plain agent role may not do by
//   itself, so the action runs with those queues as the principal's queue scope.
// - Pause reasons: admin-only writes, system reasons undeletable, codes immutable; a
//   reason_code given to /api/agent/status must be an active catalog code (or __WRAPUP).
// - Notifications are the unanswered calls that rang the user's extension in the last 7 days
//   (call log, scope in SQL); only the read/archived flag is stored (UpstreamStore).
#include <algorithm>
#include <regex>

#include "admin_routes.hpp"
#include "api/call_log.hpp"
#include "directory/directory.hpp"
#include "http_util.hpp"
#include "store/cdr_sql.hpp"
#include "upstream_call_log.hpp"
#include "upstream_routes.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

const std::vector<std::string_view> kReasonFields = {"code", "label", "productive", "color", "sort_order", "is_active", "is_system", "id"};
const std::vector<std::string_view> kLoginFields = {"ready"};
const std::vector<std::string_view> kStatusFields = {"ready", "reason_code"};
const std::vector<std::string_view> kFlagFields = {"status_flag", "extension"};
const std::regex kCodeRe("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$");
const std::regex kColorRe("^#[0-9A-Fa-f]{6}$|^$");

json reason_json(const store::PauseReason& r) {
  return {{"id", r.id},           {"code", r.code},
          {"label", r.label},     {"productive", r.productive},
          {"color", r.color},     {"sort_order", r.sort_order},
          {"is_active", r.is_active}, {"is_system", r.is_system}};
}

int64_t id_param(const Request& req) {
  std::string s(req.param("id"));
  if (s.empty() || s.size() > 15 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw ApiError(400, "request.field.invalid", "id must be a number", "id");
  }
  return std::stoll(s);
}

store::PauseReasonPatch reason_patch(const json& b) {
  store::PauseReasonPatch p;
  if (b.contains("code") || b.contains("is_system")) {
    throw ApiError(400, "request.field.invalid", "code and is_system cannot be changed",
                   b.contains("code") ? "code" : "is_system");
  }
  p.label = opt_string(b, "label", 64);
  if (p.label && p.label->empty()) throw ApiError(400, "request.field.invalid", "label must not be empty", "label");
  p.color = opt_string(b, "color", 7);
  if (p.color && !std::regex_match(*p.color, kColorRe)) {
    throw ApiError(400, "request.field.invalid", "color must look like #1a2b3c", "color");
  }
  p.productive = opt_bool(b, "productive");
  p.is_active = opt_bool(b, "is_active");
  if (auto o = opt_int(b, "sort_order", 0, 100000)) p.sort_order = static_cast<int>(*o);
  return p;
}

void check_outcome(const ActionRunner::Outcome& o) {
  if (!o.ok) throw ApiError(o.status >= 400 ? o.status : 502, o.code.empty() ? "pbx.action.failed" : o.code, o.message);
}

std::string own_extension(const Principal& p) {
  if (!p.extension || p.extension->empty()) {
    throw ApiError(400, "request.field.missing", "your user has no extension", "extension");
  }
  return *p.extension;
}

// Queues the extension is a member of right now (dynamic_only: added at run time).
std::vector<std::string> member_queues(const pbx::Engine& e, const std::string& ext, bool dynamic_only) {
  std::vector<std::string> out;
  for (const auto& [name, q] : e.state().queues) {
    for (const auto& [iface, m] : q.members) {
      if (m.extension == ext && (!dynamic_only || m.dynamic)) {
        out.push_back(name);
        break;
      }
    }
  }
  return out;
}

asio::awaitable<std::vector<std::string>> login_queues(UpstreamDeps& d, const Principal& p,
                                                       const std::string& ext) {
  auto work = [&d, ext, uid = p.user_id]() {
    std::set<std::string> qs;
    for (const auto& g : d.store.groups().list()) {
      if (g.extensions.count(ext)) qs.insert(g.queues.begin(), g.queues.end());
    }
    if (qs.empty()) {
      for (const auto& g : d.store.groups().for_user(uid)) qs.insert(g.queues.begin(), g.queues.end());
    }
    return qs;
  };
  std::set<std::string> qs = co_await d.store.async(std::move(work));
  std::vector<std::string> out;
  const auto& live = d.pbx.engine().state().queues;
  for (const auto& q : qs) {
    if (live.count(q)) out.push_back(q);
  }
  co_return out;
}

asio::awaitable<Response> agent_login(UpstreamDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  std::string ext = own_extension(p);
  json b = req.body.empty() ? json::object() : parse_json_body(req);
  reject_unknown(b, kLoginFields);
  bool ready = opt_bool(b, "ready").value_or(true);
  auto queues = co_await login_queues(d, p, ext);
  if (queues.empty()) {
    throw ApiError(400, "agent.queues.none", "no queue to log in to: add extension " + ext + " to a group with queues", "queues");
  }
  Principal actor = p;  // may add itself to its login queues (see the design note)
  if (actor.role == "agent") actor.role = "supervisor";
  actor.queues.insert(queues.begin(), queues.end());
  auto already = member_queues(d.pbx.engine(), ext, false);
  for (const auto& q : queues) {
    bool member = std::find(already.begin(), already.end(), q) != already.end();
    json params = {{"queue", q}, {"interface", ext}};
    std::string action = member ? (ready ? "queue_unpause" : "queue_pause") : "queue_add";
    if (!member) {
      params["paused"] = !ready;
      params["membername"] = ext;
    }
    check_outcome(co_await d.actions.run(actor, action, params, req.remote_ip));
  }
  co_return json_response(200, {{"ok", true}, {"extension", ext}, {"queues", queues}, {"ready", ready}});
}

asio::awaitable<Response> agent_logout(UpstreamDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  // Upstream's logout takes no body: none, or an empty object; anything else is a 400.
  json b = req.body.empty() ? json::object() : parse_json_body(req);
  reject_unknown(b, {});
  std::string ext = own_extension(p);
  auto queues = member_queues(d.pbx.engine(), ext, true);
  Principal actor = p;
  if (actor.role == "agent") actor.role = "supervisor";
  actor.queues.insert(queues.begin(), queues.end());
  for (const auto& q : queues) {
    json params = {{"queue", q}, {"interface", ext}};
    check_outcome(co_await d.actions.run(actor, "queue_remove", params, req.remote_ip));
  }
  co_return json_response(200, {{"ok", true}, {"extension", ext}, {"queues", queues}});
}

asio::awaitable<Response> agent_status(UpstreamDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  std::string ext = own_extension(p);
  json b = parse_json_body(req);
  reject_unknown(b, kStatusFields);
  auto ready = opt_bool(b, "ready");
  if (!ready) throw ApiError(400, "request.field.missing", "ready (true or false) is required", "ready");
  auto code = opt_string(b, "reason_code", 32);
  if (code && code->empty()) code.reset();
  if (!*ready && code && *code != "__WRAPUP") {
    std::string c = *code;
    auto find = [&d, c] { return d.ustore.pause_reason_by_code(c); };
    auto r = co_await d.store.async(std::move(find));
    if (!r || !r->is_active) throw ApiError(400, "request.field.invalid", "unknown reason_code " + c, "reason_code");
  }
  if (member_queues(d.pbx.engine(), ext, false).empty()) {
    throw ApiError(400, "agent.queues.none", "extension " + ext + " is in no queue (log in first)", "extension");
  }
  json params = {{"interface", ext}};
  if (!*ready && code) params["reason"] = *code;
  std::string action = *ready ? "queue_unpause" : "queue_pause";
  check_outcome(co_await d.actions.run(p, action, params, req.remote_ip));
  co_return json_response(200, {{"ok", true}, {"extension", ext}, {"ready", *ready},
                                {"reason_code", code ? json(*code) : json(nullptr)}});
}

// --- notifications ---------------------------------------------------------------------

std::string miss_reason(store::CdrOutcome o) {
  switch (o) {
    case store::CdrOutcome::kBusy: return "busy";
    case store::CdrOutcome::kFailed: return "failed";
    default: return "noanswer";
  }
}

asio::awaitable<Response> notifications(UpstreamDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  std::string ext = p.extension ? *p.extension : req.query_value("extension").value_or("");
  std::string status = req.query_value("status").value_or("");
  if (!status.empty() && status != "new" && status != "read" && status != "archived") {
    throw ApiError(400, "request.field.invalid", "status must be new, read or archived", "status");
  }
  int limit = 200;
  if (auto l = req.query_value("limit")) {
    if (l->empty() || l->size() > 4 || !std::all_of(l->begin(), l->end(), [](char c) { return c >= '0' && c <= '9'; }) || std::stoi(*l) < 1) {
      throw ApiError(400, "request.field.invalid", "limit must be a whole number from 1", "limit");
    }
    limit = std::min(std::stoi(*l), store::kCdrMaxLimit);
  }
  if (ext.empty() || !p.sees_extension(ext)) co_return json_response(200, {{"notifications", json::array()}, {"total", 0}});
  CallLogScope scope{p.all, p.extensions, p.queues};
  if (p.extension) scope.extensions.insert(*p.extension);
  std::map<std::string, std::string> query = {{"extension", ext}, {"limit", std::to_string(store::kCdrMaxLimit)}};
  query["date_from"] = local_day(d.now_ms() - 7LL * 86400 * 1000);
  CallLogQuery q = parse_call_log_query(query, scope);
  if (d.directory && *d.directory) apply_directory(q, **d.directory);
  auto work = [&d, q, ext, status, limit]() {
    auto flags = d.ustore.notification_flags(ext);
    auto page = d.cdr.query(q.cdr);
    json out = json::array();
    for (const auto& c : page.calls) {
      if (c.legs.empty() || c.legs.front().src == ext) continue;  // calls it made
      auto o = store::classify_outcome(c.legs);
      if (o == store::CdrOutcome::kAnswered) continue;
      std::string queue;
      for (const auto& l : c.legs) {
        if (queue.empty() && l.lastapp == "Queue") queue = l.lastdata.substr(0, l.lastdata.find(','));
      }
      auto f = flags.find(c.linkedid);
      std::string flag = f == flags.end() ? "new" : f->second;
      if (!status.empty() && flag != status) continue;
      if (static_cast<int>(out.size()) >= limit) continue;
      out.push_back({{"id", c.linkedid}, {"extension", ext}, {"caller_from", c.legs.front().src},
                     {"queue", queue.empty() ? json(nullptr) : json(queue)}, {"status_flag", flag},
                     {"event_time", c.legs.front().calldate}, {"call_id", c.linkedid},
                     {"reason", miss_reason(o)}});
    }
    return out;
  };
  json list = co_await d.store.async(std::move(work));
  co_return json_response(200, {{"notifications", list}, {"total", list.size()}});
}

asio::awaitable<Response> patch_notification(UpstreamDeps& d, Request& req) {
  Principal p = co_await d.auth.require(req);
  json b = parse_json_body(req);
  reject_unknown(b, kFlagFields);
  std::string flag = req_string(b, "status_flag", 16);
  if (flag != "read" && flag != "archived" && flag != "new") {
    throw ApiError(400, "request.field.invalid", "status_flag must be read or archived", "status_flag");
  }
  std::string ext = p.extension ? *p.extension : opt_string(b, "extension", 32).value_or("");
  if (ext.empty()) throw ApiError(400, "request.field.missing", "extension is required (your user has none)", "extension");
  if (!p.sees_extension(ext)) throw ApiError(403, "access.scope.forbidden", "extension " + ext + " is outside your scope");
  std::string id(req.param("id"));
  if (id.empty() || id.size() > 64) throw ApiError(400, "request.field.invalid", "id is invalid", "id");
  CallLogScope scope{p.all, p.extensions, p.queues};
  if (p.extension) scope.extensions.insert(*p.extension);
  CallLogQuery q = parse_call_log_query({{"search", id}, {"extension", ext}}, scope);
  q.cdr.limit = store::kCdrMaxLimit;
  int64_t now = d.now_ms();
  auto work = [&d, q, id, ext, flag, now]() {
    auto page = d.cdr.query(q.cdr);
    bool found = std::any_of(page.calls.begin(), page.calls.end(), [&](const store::CallGroup& c) { return c.linkedid == id; });
    if (found) d.ustore.set_notification_flag(ext, id, flag, now);
    return found;
  };
  bool found = co_await d.store.async(std::move(work));
  if (!found) throw ApiError(404, "notification.not_found", "no notification " + id);
  co_return json_response(200, {{"ok", true}, {"id", id}, {"status_flag", flag}});
}

}  // namespace

void register_upstream_agent_routes(Router& r, UpstreamDeps& d) {
  r.add("GET", "/api/pause-reasons", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    bool active_only = !p.is_admin();
    auto read = [&d, active_only] { return d.ustore.pause_reasons(active_only); };
    auto list = co_await d.store.async(std::move(read));
    json out = json::array();
    for (const auto& x : list) out.push_back(reason_json(x));
    co_return json_response(200, {{"reasons", out}});
  }, "Not-Ready reason codes (non-admins: active only)");

  r.add("POST", "/api/pause-reasons", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json b = parse_json_body(req);
    reject_unknown(b, kReasonFields);
    store::PauseReason x;
    x.code = req_string(b, "code", 32);
    if (!std::regex_match(x.code, kCodeRe) || x.code.rfind("__", 0) == 0) {
      throw ApiError(400, "request.field.invalid", "code must be 1-32 characters of A-Z, 0-9, _, ., -", "code");
    }
    x.label = req_string(b, "label", 64);
    if (x.label.empty()) throw ApiError(400, "request.field.invalid", "label must not be empty", "label");
    auto patch = reason_patch(json{{"color", b.value("color", json(""))}, {"productive", b.value("productive", json(false))},
                                   {"is_active", b.value("is_active", json(true))}, {"sort_order", b.value("sort_order", json(100))}});
    x.color = patch.color.value_or("");
    x.productive = patch.productive.value_or(false);
    x.is_active = patch.is_active.value_or(true);
    x.sort_order = patch.sort_order.value_or(100);
    auto add = [&d, x] { return d.ustore.add_pause_reason(x); };
    int64_t id = co_await d.store.async(std::move(add));
    json detail = reason_json(x);
    co_await audit(d.store, p, "pause_reason.create", x.code, "ok", detail, req.remote_ip);
    co_return json_response(200, {{"ok", true}, {"id", id}});
  }, "Add a Not-Ready reason code (admin)");

  r.add("PATCH", "/api/pause-reasons/{id}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    json b = parse_json_body(req);
    reject_unknown(b, kReasonFields);
    auto patch = reason_patch(b);
    auto update = [&d, id, patch] { d.ustore.update_pause_reason(id, patch); };
    co_await d.store.async(std::move(update));
    co_await audit(d.store, p, "pause_reason.update", std::to_string(id), "ok", b, req.remote_ip);
    co_return json_response(200, {{"ok", true}});
  }, "Change a Not-Ready reason (admin; code and is_system are immutable)");

  r.add("DELETE", "/api/pause-reasons/{id}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    auto remove = [&d, id] { d.ustore.remove_pause_reason(id); };
    co_await d.store.async(std::move(remove));
    json detail = json::object();
    co_await audit(d.store, p, "pause_reason.delete", std::to_string(id), "ok", detail, req.remote_ip);
    co_return json_response(200, {{"ok", true}});
  }, "Delete a Not-Ready reason (admin; system reasons cannot be deleted)");

  r.add("POST", "/api/agent/login", [&d](Request& req) { return agent_login(d, req); },
        "Agent: join the login queues (QueueAdd of the own extension, paused unless ready)");
  r.add("POST", "/api/agent/logout", [&d](Request& req) { return agent_logout(d, req); },
        "Agent: leave every queue the own extension was added to at run time (QueueRemove)");
  r.add("POST", "/api/agent/status", [&d](Request& req) { return agent_status(d, req); },
        "Agent: Ready / Not-Ready with a reason code (QueuePause across the agent's queues)");

  r.add("GET", "/api/call-notifications", [&d](Request& req) { return notifications(d, req); },
        "Missed calls of the own extension in the last 7 days, with their read/archived flag");
  r.add("PATCH", "/api/call-notifications/{id}", [&d](Request& req) { return patch_notification(d, req); },
        "Mark a missed-call notification read or archived");
}

}  // namespace opdesk::api
