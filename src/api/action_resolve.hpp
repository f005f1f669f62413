// Internal to action planning (actions.cpp): the typed parameter reader and the resolution of
// every parameter that names an entity, each checked on its own.
//
// Design: a planner never reads the JSON directly. str()/flag()/integer() are the REST typed
// reader (http_util opt_string/opt_bool/opt_int) and answer the value or refuse with 400 naming
// the field (wrong type, longer than kMaxParam bytes: checked before any regex, libstdc++ regex
// recursion is per character). Resolvers answer the entity or refuse:
// malformed 400, missing 404, outside the principal's scope 403, and 409 when two parameters
// name different things (target not in call_id, channel not in call_id). Refusals are thrown
// as Refusal and turned into ActionError by plan_action.
#pragma once

#include <optional>
#include <regex>
#include <string>

#include "actions.hpp"

namespace opdesk::api::detail {

constexpr size_t kMaxParam = 256;

struct Refusal {
  ActionError e;
};
[[noreturn]] void refuse(int status, std::string code, std::string message, std::string field = {});

extern const std::regex kExtRe, kNumberRe, kQueueRe, kIfaceRe, kReasonRe, kCallIdRe;

struct Ctx {
  const nlohmann::json& p;
  const Principal& who;
  const pbx::Engine& engine;
  const ActionOptions& opts;
  int64_t now;
};

// Typed reader. Absent or null → empty / nullopt.
std::string str(const Ctx& c, const char* field);
std::string need(const Ctx& c, const char* field, const std::regex& re, const char* what);
std::optional<bool> flag(const Ctx& c, const char* field);
std::optional<long long> integer(const Ctx& c, const char* field, long long min, long long max);

std::string tech_of(const Ctx& c, const std::string& ext);
const pbx::Extension& known_extension(const Ctx& c, const std::string& ext, const char* field);
void check_scope(const Ctx& c, const std::string& ext, const char* field);
std::string own_extension(const Ctx& c);

// call_id: nullptr when absent; 400 malformed, 404 unknown, 403 when no party or queue of it is
// in scope, 409 when it already ended.
const pbx::Call* named_call(const Ctx& c);
// Every extension of the call is in scope (ending the whole call ends all of them).
bool owns_call(const Ctx& c, const pbx::Call& call);
// The target extension (target | extension | source, or the first in-scope party of `call`),
// known and in scope; with `call`, it must be one of its parties.
std::string target_extension(const Ctx& c, const pbx::Call* call);
bool has_target(const Ctx& c);
// The extension's live channel (in `call` when given), preferring an answered one; 409 if none.
const pbx::Channel& live_channel(const Ctx& c, const std::string& ext, const pbx::Call* call);
// The other real party of the call `ch` belongs to (the one a transfer moves).
const pbx::Party* peer_of(const Ctx& c, const pbx::Channel& ch);

}  // namespace opdesk::api::detail
