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
// - Parameters (issue 18): each action declares the parameters it accepts (plus the WS envelope
//   type/id/action); any other is a 400 naming it. One typed reader: strings (integers are
//   taken as their text, as upstream clients send extensions), strict booleans and integers,
//   every string at most 256 bytes before its own pattern. Every parameter naming an entity
//   (target, call_id, channel, supervisor, queue, interface/member, from) is resolved and
//   scope-checked on its own: missing → 404, out of scope → 403; when two name the same call
//   they must agree (409). Hanging up a whole call needs every extension in it in scope.
// - queue_add members: a known endpoint `<Tech>/<ext>` in the caller's scope (admins and
//   API keys: any known endpoint); `Local/<exten>@<context>[/n]` only for admins and only in
//   ActionOptions::local_member_contexts. Other queue operations need an existing member.
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
  // Contexts a Local/ queue member may use (admins only); empty: no Local/ members at all.
  std::vector<std::string> local_member_contexts;
};

struct ActionError {
  int status = 400;
  std::string code;  // dotted: access.scope.forbidden, pbx.target.not_found, request.field.invalid
  std::string message;
  std::string field;  // the offending parameter, when one is to blame
};

struct ActionPlan {
  std::string action;            // the action name
  std::vector<ami::Action> ami;  // to send in order
  std::string target;            // audit target ("1001", "support/PJSIP/1005", "1001->0612345678")
  nlohmann::json data = nlohmann::json::object();  // echoed to the caller
  std::optional<std::pair<std::string, bool>> dnd;  // local DND effect once Asterisk accepted
  // Asterisk error messages (prefixes) that mean "already so": the action is a no-op, not a 502.
  std::vector<std::string> already_done;
};

using PlanResult = std::variant<ActionError, ActionPlan>;

// Known action names (sorted).
const std::vector<std::string>& action_names();
// Parameters `action` accepts besides the envelope (type, id, action); empty for unknown names.
std::vector<std::string> action_params(const std::string& action);

PlanResult plan_action(const std::string& action, const nlohmann::json& params, const Principal& who,
                       const pbx::Engine& engine, const ActionOptions& opts, int64_t now_ms);

}  // namespace opdesk::api
