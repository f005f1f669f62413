// ActionService: runs planned actions against Asterisk and reports Asterisk's real answer.
//
// plan_action() decides; this class sends each AMI action (matched by ActionID), maps the
// outcome (refused → 4xx, PBX down → 503, Asterisk error → 502, no answer → 504), applies local
// effects (DND), times it for /metrics and writes every attempt to the audit log. It also
// watches ChanSpyStart/Stop to audit supervision sessions with their start, end and duration.
//
// Audit (issue 18): fail closed. Before anything reaches Asterisk a row with result "pending"
// (what will be sent) is written; if that write fails the action answers 503 audit.unavailable
// and nothing is sent. The outcome follows as a second row (ok | error). Refusals (denied,
// invalid) get one row. Every row is bounded before it is written: target cleaned of control
// characters and cut to 191 bytes, params reduced to at most 24 keys of at most 200 bytes each,
// so the store never refuses a row for its size.
//
// RestActionLimiter: the REST action routes' per-principal token bucket (the WebSocket limits
// each connection with the same rate in the hub); over it → 429 request.rate_limited, not
// audited (a flood must not flood the audit log).
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
  // Writes one audit row; false (logged) when the store refused or failed.
  boost::asio::awaitable<bool> write_audit(store::AuditEntry e);

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

// Bounded audit values (also used by tests): control characters become '?', cut at a UTF-8
// character boundary to at most max bytes.
std::string audit_text(std::string_view s, size_t max);
nlohmann::json audit_params(const nlohmann::json& params);

class RestActionLimiter : public ActionRunner {
 public:
  RestActionLimiter(ActionRunner& inner, double per_second, double burst, std::function<int64_t()> now_ms)
      : inner_(inner), rate_(per_second), burst_(burst), now_ms_(std::move(now_ms)) {}
  boost::asio::awaitable<Outcome> run(const Principal& p, std::string action,
                                      nlohmann::json params, std::string ip) override;
  bool take(const Principal& p);  // one token of p's bucket (tests)

 private:
  struct Bucket {
    double tokens;
    int64_t at_ms;
  };
  ActionRunner& inner_;
  double rate_, burst_;
  std::function<int64_t()> now_ms_;
  std::map<std::string, Bucket> buckets_;  // by principal (user id or API key name)
};

}  // namespace opdesk::api
