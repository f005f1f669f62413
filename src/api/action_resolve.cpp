// Typed parameter reader and entity resolution for action planning; see action_resolve.hpp.
#include "action_resolve.hpp"

#include "http_util.hpp"

namespace opdesk::api::detail {
using json = nlohmann::json;

const std::regex kExtRe("^[A-Za-z0-9*#_+-]{1,32}$");
const std::regex kNumberRe("^\\+?[0-9*#]{2,20}$");
const std::regex kQueueRe("^[A-Za-z0-9._@+-]{1,64}$");
const std::regex kIfaceRe("^[A-Za-z0-9]{1,16}/[A-Za-z0-9_.@/+-]{1,80}$");
const std::regex kReasonRe("^[^\\x00-\\x1f\\x7f]{0,64}$");
const std::regex kCallIdRe("^[A-Za-z0-9._-]{1,80}$");

void refuse(int status, std::string code, std::string message, std::string field) {
  throw Refusal{{status, std::move(code), std::move(message), std::move(field)}};
}

// The one typed reader of REST bodies (http_util) serves actions too; its ApiError becomes a
// refusal with the same status, code, message and field.
template <class F>
auto typed(F&& read) {
  try {
    return read();
  } catch (const ApiError& e) {
    refuse(e.status, e.code, e.message, e.field);
  }
}

std::string str(const Ctx& c, const char* field) {
  auto it = c.p.find(field);
  if (it != c.p.end() && it->is_number_integer()) return std::to_string(it->get<long long>());  // upstream: numbers
  return typed([&] { return opt_string(c.p, field, kMaxParam); }).value_or("");
}

std::string need(const Ctx& c, const char* field, const std::regex& re, const char* what) {
  std::string v = str(c, field);
  if (v.empty()) refuse(400, "request.field.missing", std::string(field) + " is required", field);
  if (!std::regex_match(v, re)) refuse(400, "request.field.invalid", std::string(field) + " must be " + what, field);
  return v;
}

std::optional<bool> flag(const Ctx& c, const char* field) {
  return typed([&] { return opt_bool(c.p, field); });
}

std::optional<long long> integer(const Ctx& c, const char* field, long long min, long long max) {
  return typed([&] { return opt_int(c.p, field, min, max); });
}

std::string tech_of(const Ctx& c, const std::string& ext) {
  const pbx::Extension* e = c.engine.find_extension(ext);
  return e && !e->tech.empty() ? e->tech : "PJSIP";
}

const pbx::Extension& known_extension(const Ctx& c, const std::string& ext, const char* field) {
  const pbx::Extension* e = c.engine.find_extension(ext);
  if (!e) refuse(404, "pbx.target.not_found", "no extension " + ext, field);
  return *e;
}

void check_scope(const Ctx& c, const std::string& ext, const char* field) {
  if (!c.who.sees_extension(ext)) {
    refuse(403, "access.scope.forbidden", "extension " + ext + " is outside your scope", field);
  }
}

std::string own_extension(const Ctx& c) {
  if (!c.who.extension) refuse(409, "user.extension.missing", "your account has no extension");
  return *c.who.extension;
}

namespace {

// The same rule as the live stream (scope_filter): a party's extension or the call's queue.
bool sees_call(const Ctx& c, const pbx::Call& call) {
  if (c.who.all) return true;
  for (const auto& party : call.parties) {
    if (!party.extension.empty() && c.who.sees_extension(party.extension)) return true;
  }
  return !call.queue.empty() && c.who.sees_queue(call.queue);
}

const pbx::Call& checked_call(const Ctx& c, const std::string& id, const char* field) {
  const pbx::Call* call = c.engine.find_call(id);
  if (!call) refuse(404, "pbx.call.not_found", "no call " + id, field);
  if (!sees_call(c, *call)) refuse(403, "access.scope.forbidden", "call " + id + " is outside your scope", field);
  if (call->state == "ended") refuse(409, "pbx.call.ended", "call " + id + " has ended", field);
  return *call;
}

// target | extension | source (one name, several spellings); two different values are a 400.
std::pair<std::string, const char*> target_text(const Ctx& c) {
  std::string value;
  const char* used = "target";
  for (const char* f : {"target", "extension", "source"}) {
    std::string v = str(c, f);
    if (v.empty()) continue;
    if (!value.empty() && v != value) {
      refuse(400, "request.field.invalid", std::string(used) + " and " + f + " name different extensions", f);
    }
    if (value.empty()) value = v, used = f;
  }
  return {value, used};
}

bool in_call(const pbx::Call& call, const std::string& ext) {
  for (const auto& party : call.parties) {
    if (party.extension == ext) return true;
  }
  return false;
}

}  // namespace

const pbx::Call* named_call(const Ctx& c) {
  std::string id = str(c, "call_id");
  if (id.empty()) return nullptr;
  if (!std::regex_match(id, kCallIdRe)) refuse(400, "request.field.invalid", "call_id is not a call id", "call_id");
  return &checked_call(c, id, "call_id");
}

bool owns_call(const Ctx& c, const pbx::Call& call) {
  if (c.who.all) return true;
  bool any = false;
  for (const auto& party : call.parties) {
    if (party.extension.empty()) continue;
    if (!c.who.sees_extension(party.extension)) return false;
    any = true;
  }
  return any || (!call.queue.empty() && c.who.sees_queue(call.queue));
}

bool has_target(const Ctx& c) { return !target_text(c).first.empty(); }

std::string target_extension(const Ctx& c, const pbx::Call* call) {
  auto [t, field] = target_text(c);
  // The upstream client may name a call by its id in `target`.
  if (!t.empty() && !c.engine.find_extension(t) && c.engine.find_call(t) && std::regex_match(t, kCallIdRe)) {
    const pbx::Call& named = checked_call(c, t, field);
    if (call && call != &named) refuse(409, "pbx.target.conflict", "target and call_id name different calls", field);
    call = &named;
    t.clear();
  }
  if (t.empty() && call) {
    for (const auto& party : call->parties) {
      if (!party.extension.empty() && c.who.sees_extension(party.extension)) return party.extension;
    }
    refuse(403, "access.scope.forbidden", "no extension of call " + call->id + " is in your scope", "call_id");
  }
  if (t.empty()) refuse(400, "request.field.missing", "target is required", "target");
  if (!std::regex_match(t, kExtRe)) refuse(400, "request.field.invalid", std::string(field) + " must be an extension", field);
  known_extension(c, t, field);
  check_scope(c, t, field);
  if (call && !in_call(*call, t)) {
    refuse(409, "pbx.target.not_in_call", "extension " + t + " is not in call " + call->id, field);
  }
  return t;
}

const pbx::Channel& live_channel(const Ctx& c, const std::string& ext, const pbx::Call* call) {
  const pbx::Channel* best = nullptr;
  for (const pbx::Channel* ch : c.engine.channels_of_extension(ext)) {
    if (ch->spy) continue;
    if (call && ch->call_id != call->id) continue;
    if (!best || (ch->state == 6 && best->state != 6)) best = ch;
  }
  if (!best) refuse(409, "pbx.target.not_in_call", "extension " + ext + " has no active call", "target");
  return *best;
}

const pbx::Party* peer_of(const Ctx& c, const pbx::Channel& ch) {
  const pbx::Call* call = c.engine.find_call(ch.call_id);
  if (!call) return nullptr;
  for (const auto& party : call->parties) {
    if (party.channel != ch.name && !party.channel.empty()) return &party;
  }
  return nullptr;
}

}  // namespace opdesk::api::detail
