// Panel actions: validation, permission checks and AMI action building. Pure: no I/O.
//
// plan_action(name, params, principal, engine, options, now) answers either an error
// {status, code, message} or the ami::Actions to send in order, the audit target and the data
// echoed to the caller. Params come from the WS message (new form, or the upstream
// `{"action":"listen","supervisor":..,"target":..}` form: the same fields) or the REST body.
// Every value that reaches AMI is checked here (charset, length, existence, scope) and again
// by Action::encode; a final pass refuses any control character in any field.
//
// Decisions:
// - Spy (listen/whisper/barge): the mode must be in the user's monitor modes, the target
//   extension in scope; the phone that rings is the user's own extension (only admins may
//   name another with `supervisor`). ChanSpy gets the target's FULL live channel name
//   (`PJSIP/1001-0000000e`): ChanSpy matches by prefix, so `PJSIP/100` would also match 1001.
//   Options: listen qE, whisper qwE, barge qBE, plus `d` (DTMF 4/5/6 switches the mode).
// - pickup: Originate from my phone to PickupChan with the ringing leg's full channel name.
//   Redirecting the caller instead would pull it out of its Dial/Queue (the queue would log
//   an abandon and the caller would start a new call to me); PickupChan answers exactly that
//   ringing leg, so the caller's Dial/Queue sees it answered.
// - transfer/take_over/park move the OTHER party of the target's call (the customer), so the
//   target (the agent) is released; attended_transfer runs Atxfer on the target's own leg.
// - Technology comes from the engine's extension (PJSIP, SIP, IAX2, ...), never hard-coded.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ami/action.hpp"
#include "pbx/engine.hpp"
#include "principal.hpp"

namespace opdesk::api {

struct ActionOptions {
  std::string context = "from-internal";  // transfers, pickup and click-to-call
  bool spy_switchable = true;             // ChanSpy `d`: DTMF 4/5/6 switches listen/whisper/barge
  int originate_timeout_s = 30;           // how long the originating phone rings
};

struct ActionError {
  int status = 400;
  std::string code;  // dotted: access.scope.forbidden, pbx.target.not_found, request.field.invalid
  std::string message;
};

struct ActionPlan {
  std::string action;            // the action name
  std::vector<ami::Action> ami;  // to send in order
  std::string target;            // audit target ("1001", "support/PJSIP/1005", "1001->0612345678")
  nlohmann::json data = nlohmann::json::object();  // echoed to the caller
  std::optional<std::pair<std::string, bool>> dnd;  // local DND effect once Asterisk accepted
};

using PlanResult = std::variant<ActionError, ActionPlan>;

// Known action names (sorted).
const std::vector<std::string>& action_names();

PlanResult plan_action(const std::string& action, const nlohmann::json& params, const Principal& who,
                       const pbx::Engine& engine, const ActionOptions& opts, int64_t now_ms);

}  // namespace opdesk::api
