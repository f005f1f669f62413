// ActionService: runs planned actions against Asterisk and reports Asterisk's real answer.
//
// plan_action() decides; this class sends each AMI action (matched by ActionID), maps the
// outcome (refused → 4xx, PBX down → 503, Asterisk error → 502, no answer → 504), applies local
// effects (DND), times it for /metrics and writes every attempt to the audit log. It also
// watches ChanSpyStart/Stop to audit supervision sessions with their start, end and duration.
#pragma once

#include <map>

#include "actions.hpp"
#include "hub.hpp"
#include "metrics.hpp"
#include "pbx_service.hpp"
#include "store/store.hpp"

namespace opdesk::api {

class ActionService : public ActionRunner {
 public:
  ActionService(boost::asio::any_io_executor ex, PbxService& pbx, store::Store& store,
                ActionOptions opts, Metrics* metrics, std::function<int64_t()> now_ms);

  boost::asio::awaitable<Outcome> run(const Principal& p, std::string action,
                                      nlohmann::json params, std::string ip) override;
  void set_options(ActionOptions o) { opts_ = std::move(o); }

 private:
  void on_frame(const ami::Message& m, int64_t now_ms);

  boost::asio::any_io_executor ex_;
  PbxService& pbx_;
  store::Store& store_;
  ActionOptions opts_;
  Metrics* metrics_;
  std::function<int64_t()> now_ms_;
  struct SpySession {
    int64_t started_ms;
    std::string spyer, spyee;
  };
  std::map<std::string, SpySession> spies_;  // by spyer channel
};

}  // namespace opdesk::api
