// ActionService; see action_service.hpp.
#include "action_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>

#include "admin_routes.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

ActionService::ActionService(asio::any_io_executor ex, PbxService& pbx, store::Store& store,
                             ActionOptions opts, Metrics* metrics, std::function<int64_t()> now_ms)
    : ex_(ex), pbx_(pbx), store_(store), opts_(std::move(opts)), metrics_(metrics), now_ms_(std::move(now_ms)) {
  pbx_.add_frame_listener([this](const ami::Message& m, int64_t now) { on_frame(m, now); });
}

void ActionService::on_frame(const ami::Message& m, int64_t now) {
  bool start = m.is_event("ChanSpyStart");
  if (!start && !m.is_event("ChanSpyStop")) return;
  std::string spyer(m.get("SpyerChannel")), spyee(m.get("SpyeeChannel"));
  json detail = {{"spyer_channel", spyer}, {"spyee_channel", spyee}};
  if (start) {
    if (spies_.size() > 10000) spies_.clear();  // bound: sessions whose Stop was never seen
    spies_[spyer] = SpySession{now, spyer, spyee};
  } else {
    auto it = spies_.find(spyer);
    if (it != spies_.end()) {
      detail["started_at"] = it->second.started_ms;
      detail["duration_ms"] = now - it->second.started_ms;
      spies_.erase(it);
    }
  }
  Principal pbx_actor;
  pbx_actor.username = "pbx";
  asio::co_spawn(ex_, audit(store_, pbx_actor, start ? "supervision.start" : "supervision.end", spyee,
                            "ok", detail, ""), asio::detached);
}

namespace {

bool is_known_action(const std::string& a) {
  const auto& names = action_names();
  return std::find(names.begin(), names.end(), a) != names.end();
}

// The target named by the request, for the audit row of a refusal (before anything resolved).
std::string requested_target(const json& params) {
  for (const char* f : {"target", "extension", "call_id", "channel", "from", "queue"}) {
    auto it = params.find(f);
    if (it == params.end()) continue;
    if (it->is_string()) return audit_text(it->get_ref<const std::string&>(), 191);
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
  }
  return {};
}

}  // namespace

std::string audit_text(std::string_view s, size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  for (unsigned char c : s) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  if (out.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    out.resize(cut);
  }
  return out;
}

json audit_params(const json& params) {
  json out = json::object();
  if (!params.is_object()) return out;
  size_t n = 0;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (it.key() == "password" || it.key() == "token") continue;
    if (++n > 24) {
      out["..."] = std::to_string(params.size() - 24) + " more";
      break;
    }
    const json& v = *it;
    json shown;
    if (v.is_string()) {
      const auto& text = v.get_ref<const std::string&>();
      shown = text.size() > 200 ? audit_text(text, 200) + "...(" + std::to_string(text.size()) + " bytes)" : text;
    } else if (v.is_array()) {
      shown = "<array of " + std::to_string(v.size()) + ">";
    } else if (v.is_object()) {
      shown = "<object>";
    } else {
      shown = v;
    }
    out[audit_text(it.key(), 64)] = std::move(shown);
  }
  return out;
}

asio::awaitable<bool> ActionService::write_audit(store::AuditEntry e) {
  try {
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto work = [st = &store_, e] { return st->audit().append(e); };
    co_await store_.async(std::move(work));
    co_return true;
  } catch (const std::exception& ex) {
    spdlog::warn("audit write failed ({} {}): {}", e.action, e.result, ex.what());
  }
  co_return false;
}

asio::awaitable<ActionRunner::Outcome> ActionService::run(const Principal& p, std::string action,
                                                          json params, std::string ip) {
  auto t0 = std::chrono::steady_clock::now();
  Outcome out;
  store::AuditEntry row;
  if (p.user_id > 0) row.user_id = p.user_id;
  row.username = audit_text(p.username, 128);
  row.action = "action." + (is_known_action(action) ? action : std::string("unknown"));
  row.target = requested_target(params);
  row.ip = audit_text(ip, 64);
  json shown = audit_params(params);
  const std::string metric = is_known_action(action) ? action : std::string("unknown");  // bounded labels
  if (!is_known_action(action)) shown["action"] = audit_text(action, 64);
  auto detail_of = [&]() {
    json d = {{"params", shown}, {"status", out.status}};
    if (!out.ok) d["error"] = {{"code", out.code}, {"message", audit_text(out.message, 512)}};
    return d.dump(-1, ' ', false, json::error_handler_t::replace);
  };
  auto finish = [&](const char* result) -> asio::awaitable<void> {
    row.result = result;
    row.detail = detail_of();
    co_await write_audit(row);
    if (metrics_) {
      metrics_->observe_action(metric, out.ok, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  };
  if (p.api_key && !p.has_key_scope("calls:write")) {
    out = {false, {}, 403, "auth.api_key.scope", "this API key lacks calls:write", {}};
    co_await finish("denied");
    co_return out;
  }
  if (!pbx_.connected()) {
    out = {false, {}, 503, "pbx.ami.unavailable", "not connected to Asterisk", {}};
    co_await finish("error");
    co_return out;
  }
  PlanResult planned = plan_action(action, params, p, pbx_.engine(), opts_, now_ms_());
  if (auto* err = std::get_if<ActionError>(&planned)) {
    out = {false, {}, err->status, err->code, err->message, err->field};
    co_await finish(err->status == 403 ? "denied" : "invalid");
    co_return out;
  }
  ActionPlan plan = std::get<ActionPlan>(std::move(planned));
  row.target = audit_text(plan.target, 191);
  // Fail closed: the attempt is on record before anything reaches Asterisk.
  {
    store::AuditEntry pending = row;
    pending.result = "pending";
    json sent = json::array();
    for (const auto& a : plan.ami) sent.push_back(a.name());
    json d = {{"params", shown}, {"ami", sent}};
    pending.detail = d.dump(-1, ' ', false, json::error_handler_t::replace);
    if (!co_await write_audit(std::move(pending))) {
      out = {false, {}, 503, "audit.unavailable", "the audit log cannot be written; nothing was sent to Asterisk", {}};
      if (metrics_) metrics_->observe_action(metric, false, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      co_return out;
    }
  }
  bool changed = true;
  for (auto& a : plan.ami) {
    auto r = co_await pbx_.send(a);
    if (r.ok) continue;
    bool noop = false;
    for (const auto& prefix : plan.already_done) noop = noop || r.error.rfind(prefix, 0) == 0;
    if (noop) {
      changed = false;
      continue;
    }
    bool timeout = r.error == "timeout";
    out = {false, {}, timeout ? 504 : r.error == "not connected" || r.error == "connection lost" ? 503 : 502,
           timeout ? "pbx.ami.timeout" : "pbx.ami.refused",
           "Asterisk: " + r.error, {}};
    co_await finish("error");
    co_return out;
  }
  if (plan.dnd) pbx_.set_dnd(plan.dnd->first, plan.dnd->second);
  out.ok = true;
  out.status = action == "originate" || action == "click_to_call" ? 202 : 200;
  out.data = plan.data;
  if (!changed) out.data["changed"] = false;
  co_await finish("ok");
  co_return out;
}

bool RestActionLimiter::take(const Principal& p) {
  std::string key = p.user_id > 0 ? "u" + std::to_string(p.user_id) : "k" + p.username;
  int64_t now = now_ms_();
  if (buckets_.size() > 10000) {  // bound: forget buckets that are full again
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      bool full = it->second.tokens + (now - it->second.at_ms) / 1000.0 * rate_ >= burst_;
      it = full ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) b.tokens = std::min(burst_, b.tokens + std::max<int64_t>(0, now - b.at_ms) / 1000.0 * rate_);
  b.at_ms = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

asio::awaitable<ActionRunner::Outcome> RestActionLimiter::run(const Principal& p, std::string action,
                                                              json params, std::string ip) {
  if (!take(p)) {
    co_return Outcome{false, {}, 429, "request.rate_limited", "too many actions; slow down", {}};
  }
  co_return co_await inner_.run(p, std::move(action), std::move(params), std::move(ip));
}

}  // namespace opdesk::api
