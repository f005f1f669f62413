// ActionService; see action_service.hpp.
#include "action_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>

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

asio::awaitable<ActionRunner::Outcome> ActionService::run(const Principal& p, std::string action,
                                                          json params, std::string ip) {
  auto t0 = std::chrono::steady_clock::now();
  Outcome out;
  auto finish = [&](const char* result) -> asio::awaitable<void> {
    json detail = {{"params", params}, {"status", out.status}};
    if (!out.ok) detail["error"] = {{"code", out.code}, {"message", out.message}};
    if (params.contains("password")) detail["params"].erase("password");
    co_await audit(store_, p, "action." + action, params.value("target", params.value("extension", std::string())),
                   result, detail, ip);
    if (metrics_) {
      metrics_->observe_action(action, out.ok, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  };
  if (p.api_key && !p.has_key_scope("calls:write")) {
    out = {false, {}, 403, "auth.api_key.scope", "this API key lacks calls:write"};
    co_await finish("denied");
    co_return out;
  }
  if (!pbx_.connected()) {
    out = {false, {}, 503, "pbx.ami.unavailable", "not connected to Asterisk"};
    co_await finish("error");
    co_return out;
  }
  PlanResult planned = plan_action(action, params, p, pbx_.engine(), opts_, now_ms_());
  if (auto* err = std::get_if<ActionError>(&planned)) {
    out = {false, {}, err->status, err->code, err->message};
    co_await finish(err->status == 403 ? "denied" : "invalid");
    co_return out;
  }
  ActionPlan plan = std::get<ActionPlan>(std::move(planned));
  for (auto& a : plan.ami) {
    auto r = co_await pbx_.send(a);
    if (!r.ok) {
      bool timeout = r.error == "timeout";
      out = {false, {}, timeout ? 504 : r.error == "not connected" || r.error == "connection lost" ? 503 : 502,
             timeout ? "pbx.ami.timeout" : "pbx.ami.refused",
             "Asterisk: " + r.error};
      co_await finish("error");
      co_return out;
    }
  }
  if (plan.dnd) pbx_.set_dnd(plan.dnd->first, plan.dnd->second);
  out.ok = true;
  out.status = action == "originate" || action == "click_to_call" ? 202 : 200;
  out.data = plan.data;
  params["target"] = plan.target;
  co_await finish("ok");
  co_return out;
}

}  // namespace opdesk::api
