// WebSocket hub implementation; the protocol and invariants are in hub.hpp.
#include "hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <spdlog/spdlog.h>

#include "http_util.hpp"
#include "scope_filter.hpp"
#include "state_json.hpp"
#include "upstream_compat.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

// Completion of every hub coroutine: an exception (a bug, never client input) is logged with
// its message instead of vanishing into `detached`.
void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::error("hub: task failed: {}", x.what());
  }
}

// "v1" → true (upstream), "opdesk" → false, anything else → nullopt.
std::optional<bool> protocol_of(std::string_view name) {
  if (name == "v1") return true;
  if (name == "opdesk") return false;
  return std::nullopt;
}

// Typed reads of a client message's fields. The first field present with the wrong type is
// remembered (field, why) and reads go on returning defaults, so a handler checks failed() once.
struct FieldReader {
  explicit FieldReader(const json& m) : msg(m) {}
  const json& msg;
  std::string field, why;

  bool failed() const { return !field.empty(); }
  void fail(std::string name, std::string message) {
    if (failed()) return;
    field = std::move(name);
    why = std::move(message);
  }
  // A string field; absent → "".
  std::string text(const char* name) {
    auto it = msg.find(name);
    if (it == msg.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    fail(name, std::string(name) + " must be a string");
    return {};
  }
  uint64_t count(const json& obj, const char* name, const std::string& path) {
    auto it = obj.find(name);
    if (it == obj.end()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_number_integer() && it->get<int64_t>() >= 0) return static_cast<uint64_t>(it->get<int64_t>());
    fail(path, path + " must be a non-negative integer");
    return 0;
  }
  // A resume position {epoch, seq}: in the object `key` of the message (absent → nullopt), or
  // the message's own fields when key is empty.
  std::optional<std::pair<uint64_t, uint64_t>> position(const json& m, const std::string& key) {
    const json* obj = &m;
    std::string prefix;
    if (!key.empty()) {
      auto it = m.find(key);
      if (it == m.end()) return std::nullopt;
      if (!it->is_object()) {
        fail(key, key + " must be an object {\"epoch\":E,\"seq\":S}");
        return std::nullopt;
      }
      obj = &*it;
      prefix = key + ".";
    }
    auto epoch = count(*obj, "epoch", prefix + "epoch");
    auto seq = count(*obj, "seq", prefix + "seq");
    if (failed()) return std::nullopt;
    return std::make_pair(epoch, seq);
  }
};

bool is_upstream_sync(const std::string& a) {
  return a == "sync" || a == "sync_calls" || a == "sync_queues";
}

const char* kind_name(pbx::EntityKind k) {
  switch (k) {
    case pbx::EntityKind::kExtension: return "extension";
    case pbx::EntityKind::kCall: return "call";
    case pbx::EntityKind::kQueue: return "queue";
    case pbx::EntityKind::kParked: return "parked";
    case pbx::EntityKind::kConference: return "conference";
    case pbx::EntityKind::kPbx: return "pbx";
  }
  return "unknown";
}

std::shared_ptr<const std::string> frame_of(const json& j) {
  return std::make_shared<const std::string>(j.dump(-1, ' ', false, json::error_handler_t::replace));
}

bool origin_allowed(const Request& req, const std::vector<std::string>& allowed) {
  std::string_view origin = req.header("origin");
  if (origin.empty()) return true;  // not a browser: the token still has to be valid
  for (const auto& a : allowed) {
    if (a == origin || a == "*") return true;
  }
  auto scheme = origin.find("://");
  std::string_view host = scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
  return !host.empty() && host == req.header("host");
}

}  // namespace

struct Hub::Group {
  std::string key;
  Principal proto;
  std::set<std::pair<std::string, std::string>> visible;  // (kind, id)
  uint64_t since_seq = 0;  // every batch after this one was applied to `visible`
  uint64_t last_seq = 0;   // seq of the last delta sent to this group
  struct Entry {
    uint64_t seq, prev;
    std::shared_ptr<const std::string> frame;
  };
  std::deque<Entry> ring;
  std::set<Client*> members;
  int64_t empty_since_ms = 0;
};

struct Hub::Client : WsHandler, std::enable_shared_from_this<Hub::Client> {
  Hub& hub;
  uint64_t id;
  std::weak_ptr<WsPeer> peer;
  std::string query_token;
  std::string ip;
  bool v1 = false;
  bool protocol_named = false;  // the query named the protocol: the auth message does not infer it
  bool authed = false;
  bool authenticating = false;
  bool closed = false;
  bool closing = false;  // close sent: nothing more is queued
  Principal principal;
  Group* group = nullptr;
  bool needs_snapshot = false;  // queue was dropped: send a fresh state once it drains
  bool slow = false;            // passed the cap and has not drained since
  int64_t slow_since_ms = 0;
  int64_t opened_ms = 0;
  long long last_action_id = -1;
  double tokens;
  int64_t refill_ms = 0;
  bool v1_update_pending = false;
  int64_t v1_sent_ms = 0;  // last full state sent (v1)

  Client(Hub& h, uint64_t i) : hub(h), id(i), tokens(h.opts_.actions_burst) {}

  void send(const std::shared_ptr<const std::string>& f) {
    if (auto p = peer.lock(); p && !closed && !closing) {
      p->send(f);
      ++hub.stats_.frames;
      hub.stats_.bytes += f->size();
    }
  }
  void send(const json& j) { send(frame_of(j)); }
  // A v1 full state (initial_state / state_update): remembered for the periodic cadence.
  void send_v1_state(const std::shared_ptr<const std::string>& f) {
    send(f);
    v1_sent_ms = hub.now_ms_();
  }
  void close(uint16_t code, const std::string& reason) {
    if (auto p = peer.lock(); p && !closed && !closing) p->close(code, reason);
    closing = true;
  }
  // Errors in the client's protocol: v1 (upstream) clients get `{"type":"error","message"}`.
  void error(const std::string& code, const std::string& message) {
    if (v1) send(json{{"type", "error"}, {"message", message}});
    else send(json{{"type", "error"}, {"error", {{"code", code}, {"message", message}}}});
  }
  // The whole scoped state: a `snapshot` (with the deltas since it), or for v1 clients the
  // upstream `state_update`.
  void send_state() {
    if (v1) send_v1_state(state_frame());
    else hub.send_snapshot(*this);
  }
  std::shared_ptr<const std::string> state_frame();  // v1 only

  void on_open() override {
    if (!query_token.empty()) start_auth(query_token, std::nullopt);
  }
  void on_close() override {
    closed = true;
    hub.detach(*this);
  }
  void on_message(std::string_view text) override;
  void handle_message(std::string_view text);
  // A protocol error naming the field (when known) and echoing the message's id (when given).
  void invalid(const std::string& code, const std::string& message, const std::string& field,
               const json& rid) {
    if (v1) {
      error(code, message);
      return;
    }
    json err = {{"code", code}, {"message", message}};
    if (!field.empty()) err["field"] = field;
    json frame = {{"type", "error"}, {"error", std::move(err)}};
    if (!rid.is_null()) frame["id"] = rid;
    send(frame);
  }
  void start_auth(std::string token, std::optional<std::pair<uint64_t, uint64_t>> resume);
  void handle_action(json msg, bool upstream_form);
  bool take_token();
};

// ---- Client -------------------------------------------------------------------------------

void Hub::Client::on_message(std::string_view text) {
  // Last line of defence: whatever a message does, the transport sees no exception (#18).
  try {
    handle_message(text);
  } catch (const std::exception& e) {
    spdlog::error("hub: message from client {} failed: {}", id, e.what());
    error("server.internal", "the message could not be processed");
  }
}

void Hub::Client::handle_message(std::string_view text) {
  json msg = json::parse(text, nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) {
    error("request.body.invalid_json", "messages must be JSON objects");
    return;
  }
  // Every field is read with its type checked: a wrong type is an error frame naming the field
  // (with the message's id), never a json::type_error (#18).
  FieldReader f{msg};
  const json rid = msg.contains("id") ? msg["id"] : json();
  std::string type = f.text("type");
  if (!authed) {
    if (authenticating) {
      // A repeated auth frame is ignored (upstream sends one on every open); an action is
      // answered.
      if (type == "action" || msg.contains("action")) {
        invalid("auth.pending", "authentication is in progress; wait for auth_ok", "", rid);
      }
      return;
    }
    std::string token = f.text("token");
    if (token.empty()) token = f.text("auth_token");
    auto resume = f.position(msg, "resume");
    if (f.failed()) {
      invalid("request.field.invalid", f.why, f.field, rid);
      close(4002, "request.field.invalid: " + f.field);
      return;
    }
    if (token.empty()) {
      close(4001, "authentication required: send {\"type\":\"auth\",\"token\":...} first");
      return;
    }
    // The protocol: named in the message, else named in the query, else the upstream way of
    // authenticating (a bare {"token"}) means the upstream protocol.
    if (auto p = msg.find("protocol"); p != msg.end()) {
      auto named = p->is_string() ? protocol_of(p->get<std::string>()) : std::nullopt;
      if (!named) {
        invalid("request.field.invalid", "protocol must be \"opdesk\" or \"v1\"", "protocol", rid);
        close(4002, "request.field.invalid: protocol");
        return;
      }
      v1 = *named;
    } else if (!protocol_named) {
      v1 = type != "auth";
    }
    start_auth(std::move(token), resume);
    return;
  }
  std::string action = f.text("action");
  if (f.failed()) {
    // An action message is answered as one (action_result with its id); anything else gets an
    // error frame. Both name the field.
    if (type == "action") {
      handle_action(std::move(msg), false);
    } else if (type.empty() && f.field == "action") {
      handle_action(std::move(msg), true);
    } else {
      invalid("request.field.invalid", f.why, f.field, rid);
    }
    return;
  }
  if (type == "ping") {
    send(json{{"type", "pong"}, {"server_time", hub.now_ms_()}});
  } else if (type == "resume") {
    auto from = f.position(msg, "");
    if (f.failed()) {
      invalid("request.field.invalid", f.why, f.field, rid);
      return;
    }
    hub.detach(*this);
    hub.attach(shared_from_this(), from);
  } else if (type == "snapshot" || type == "get_state" || action == "get_state") {
    if (v1) {
      send_state();  // upstream answers get_state with a state_update
    } else {
      hub.detach(*this);
      hub.attach(shared_from_this(), std::nullopt);
    }
  } else if (type.empty() && is_upstream_sync(action)) {
    // Upstream's sync/sync_calls/sync_queues re-read Asterisk by hand; our engine resyncs
    // itself on every AMI (re)connect and is driven by events, so the current state is the
    // answer: acknowledge and send it.
    send(json{{"type", "action_result"}, {"action", action}, {"success", true}});
    send_state();
  } else if (type == "action") {
    handle_action(std::move(msg), false);
  } else if (type.empty() && msg.contains("action")) {
    handle_action(std::move(msg), true);
  } else if (type == "auth" || msg.contains("token")) {
    // Later auth frames are ignored (the upstream client sends one on every open).
  } else {
    invalid("request.type.unknown", "unknown message type '" + type + "'", type.empty() ? "type" : "", rid);
  }
}

std::shared_ptr<const std::string> Hub::Client::state_frame() {
  int64_t now = hub.now_ms_();
  return frame_of(json{{"type", "state_update"},
                       {"data", upstream_state(filter_snapshot(principal, snapshot_json(hub.engine_, now)))},
                       {"timestamp", iso_time(now)}});
}

void Hub::Client::start_auth(std::string token, std::optional<std::pair<uint64_t, uint64_t>> resume) {
  authenticating = true;
  auto self = shared_from_this();
  asio::co_spawn(hub.ex_, [self, token = std::move(token), resume]() -> asio::awaitable<void> {
    auto res = co_await self->hub.auth_.authenticate(token);
    self->authenticating = false;
    if (self->closed) co_return;
    if (!res.principal) {
      self->send(json{{"type", "auth_invalid"}, {"error", {{"code", res.code}, {"message", res.message}}}});
      self->close(4001, res.code.empty() ? "auth.token.invalid" : res.code);
      co_return;
    }
    self->principal = std::move(*res.principal);
    self->authed = true;
    self->send(json{{"type", "auth_ok"}, {"user", self->principal.me}});
    self->hub.attach(self, resume);
  }, log_failure);
}

bool Hub::Client::take_token() {
  int64_t now = hub.now_ms_();
  double elapsed = refill_ms == 0 ? 0 : static_cast<double>(now - refill_ms) / 1000.0;
  refill_ms = now;
  tokens = std::min(hub.opts_.actions_burst, tokens + elapsed * hub.opts_.actions_per_second);
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

void Hub::Client::handle_action(json msg, bool upstream_form) {
  FieldReader f{msg};
  std::string action = f.text("action");
  json id = msg.contains("id") ? msg["id"] : json();
  auto reply = [this, upstream_form, action, id](bool ok, const json& data, const std::string& code,
                                                 const std::string& message,
                                                 const std::string& field = std::string()) {
    if (upstream_form) {
      if (code == "request.action.unknown") {
        send(json{{"type", "error"}, {"message", message}});  // upstream: unknown action → error
        return;
      }
      json r = {{"type", "action_result"}, {"action", action}, {"success", ok}};
      if (!message.empty()) r["message"] = message;
      send(r);
      // Upstream sends the new state right after a successful action.
      if (ok && v1) hub.schedule_v1_update(shared_from_this());
      return;
    }
    json r = {{"type", "action_result"}, {"id", id}, {"ok", ok}};
    if (ok) r["data"] = data;
    else r["error"] = {{"code", code}, {"message", message}};
    if (!ok && !field.empty()) r["error"]["field"] = field;
    send(r);
  };
  if (!upstream_form) {
    if (!id.is_number_integer()) {
      reply(false, {}, "request.field.invalid", "action messages need an integer id", "id");
      return;
    }
    long long n = id.get<long long>();
    if (n <= last_action_id) {
      reply(false, {}, "request.id.reuse", "ids must increase on each connection");
      return;
    }
    last_action_id = n;
  }
  if (f.failed()) {
    reply(false, {}, "request.field.invalid", f.why, f.field);
    return;
  }
  if (action.empty()) {
    reply(false, {}, "request.field.missing", "action is required", "action");
    return;
  }
  if (!take_token()) {
    reply(false, {}, "request.rate_limited", "too many actions; slow down");
    return;
  }
  auto self = shared_from_this();
  asio::co_spawn(hub.ex_, [self, action, msg = std::move(msg), reply]() -> asio::awaitable<void> {
    ActionRunner::Outcome out;
    try {
      out = co_await self->hub.actions_.run(self->principal, action, msg, self->ip);
    } catch (const std::exception& e) {
      // Every action message is answered, even one the action layer failed on.
      spdlog::error("hub: action {} failed: {}", action, e.what());
      out = ActionRunner::Outcome{};
      out.status = 500;
      out.code = "server.internal";
      out.message = "the action could not be processed";
    }
    if (!self->closed) reply(out.ok, out.data, out.code, out.message, out.field);
  }, log_failure);
}

// ---- Hub ----------------------------------------------------------------------------------

Hub::Hub(asio::any_io_executor ex, const pbx::Engine& engine, Authenticator& auth,
         ActionRunner& actions, HubOptions opts, std::function<int64_t()> now_ms)
    : ex_(ex), engine_(engine), auth_(auth), actions_(actions), opts_(std::move(opts)),
      now_ms_(std::move(now_ms)) {
  epoch_ = engine_.epoch();
  // One timer for housekeeping: slow clients, expired tokens, auth timeouts, idle groups.
  asio::co_spawn(ex_, [this]() -> asio::awaitable<void> {
    asio::steady_timer t(ex_);
    for (;;) {
      t.expires_after(std::chrono::seconds(1));
      auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || stopped_) co_return;
      housekeeping();
    }
  }, log_failure);
  if (opts_.v1_state_period.count() > 0) {
    asio::co_spawn(ex_, [this, alive = std::weak_ptr<bool>(alive_)]() -> asio::awaitable<void> {
      asio::steady_timer t(ex_);
      for (;;) {
        t.expires_after(opts_.v1_state_period);
        auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || alive.expired() || stopped_) co_return;
        v1_tick();
      }
    }, log_failure);
  }
}

void Hub::housekeeping() {
  int64_t now = now_ms_();
  auto clients = clients_;
  for (auto& [id, c] : clients) {
    if (!c->closed && !c->closing) housekeep_client(*c, now);
  }
  collect_groups();
}

void Hub::housekeep_client(Client& c, int64_t now) {
  using std::chrono::milliseconds;
  if (!c.authed) {
    if (!c.authenticating && now - c.opened_ms >= std::chrono::duration_cast<milliseconds>(opts_.auth_timeout).count()) {
      c.close(4001, "authentication timeout");
    }
    return;
  }
  if (c.principal.token_exp_ms > 0 && now >= c.principal.token_exp_ms) {
    c.send(json{{"type", "auth_invalid"}, {"error", {{"code", "auth.token.expired"}, {"message", "the session expired; log in again"}}}});
    c.close(4001, "auth.token.expired");
    return;
  }
  if (!c.slow) return;
  auto p = c.peer.lock();
  if (!p) return;
  if (p->queued_messages() == 0 && !c.needs_snapshot) {
    c.slow = false;  // everything since the fresh state was written: healthy again
    return;
  }
  if (now - c.slow_since_ms >= std::chrono::duration_cast<milliseconds>(opts_.stuck_timeout).count()) {
    ++stats_.slow_closes;
    p->drop_queued();  // the close frame must not wait behind frames nobody reads
    c.close(4008, "client too slow: messages not read");
    return;
  }
  if (p->queued_messages() == 0) {
    // Drained after the drop (a drop empties the queue too: a peer that still reads nothing
    // refills it and overflows again, and is closed above once stuck_timeout has passed since
    // it first overflowed). One fresh state replaces everything it missed.
    c.needs_snapshot = false;
    c.send_state();
  }
}

Hub::~Hub() { alive_.reset(); }

WsAccept Hub::accept(std::shared_ptr<WsPeer> peer, const Request& req) {
  WsAccept out;
  if (!origin_allowed(req, opts_.allowed_origins)) {
    Response r;
    r.status = 403;
    r.body = R"({"error":{"code":"access.origin.forbidden","message":"this Origin may not open the live socket"}})";
    out.reject = r;
    return out;
  }
  auto c = std::make_shared<Client>(*this, next_client_id_++);
  c->peer = peer;
  c->ip = req.remote_ip;
  // The auth clock starts at the upgrade request: housekeeping may run before on_open (a
  // slow handshake on a busy loop) and must not see a client with no start time (#6).
  c->opened_ms = now_ms_();
  if (auto proto = req.query_value("protocol")) {
    auto named = protocol_of(*proto);
    if (!named) {
      out.reject = error_response(400, "request.field.invalid", "protocol must be \"opdesk\" or \"v1\"", "protocol");
      return out;
    }
    c->v1 = *named;
    c->protocol_named = true;
  }
  if (auto t = req.query_value("token")) {
    c->query_token = *t;
    if (!c->protocol_named) c->v1 = true;  // /ws?token= is how the upstream client connects
  }
  clients_[c->id] = c;
  stats_.clients = clients_.size();
  out.handler = c;
  return out;
}

Hub::Snapshot Hub::snapshot_for(const Principal& p, const Group& g) {
  // Snapshots come in storms: a new epoch re-snapshots every client in one turn, a restart
  // reconnects them all, and under load they arrive one by one while events keep changing the
  // seq. The engine state is serialized once and filtered once per scope, and clients of a
  // scope share the frame for up to kSnapshotReuseMs (so `server_time` stays fresh) even when
  // the seq moved on: send_snapshot() follows it with the group's deltas since its seq. A
  // frame is reused only while the group's ring still holds every delta after it.
  constexpr int64_t kSnapshotReuseMs = 250;
  const int64_t now = now_ms_();
  const uint64_t epoch = engine_.epoch(), seq = engine_.seq();
  auto usable = [&](uint64_t e, uint64_t s, int64_t at) {
    if (e != epoch || at > now || now - at > kSnapshotReuseMs || s > seq) return false;
    if (s == seq) return true;
    return s >= g.since_seq && (g.ring.empty() || g.ring.front().prev <= s);
  };
  std::string key = p.scope_key();
  auto& cached = snapshot_cache_[key];
  if (cached.frame && usable(cached.epoch, cached.seq, cached.at_ms)) return {cached.frame, cached.seq};
  if (!full_snapshot_ || !usable(full_epoch_, full_seq_, full_at_ms_)) {
    full_snapshot_ = snapshot_json(engine_, now);
    full_epoch_ = epoch;
    full_seq_ = seq;
    full_at_ms_ = now;
  }
  ++stats_.snapshots;
  json state = filter_snapshot(p, *full_snapshot_);
  cached = {frame_of(json{{"type", "snapshot"}, {"epoch", full_epoch_}, {"seq", full_seq_},
                          {"server_time", full_at_ms_}, {"state", std::move(state)}}),
            full_epoch_, full_seq_, full_at_ms_};
  if (snapshot_cache_.size() > 4096) {  // bound: one entry per live scope
    auto keep = cached;
    snapshot_cache_.clear();
    snapshot_cache_[key] = keep;
    return {keep.frame, keep.seq};
  }
  return {cached.frame, cached.seq};
}

void Hub::send_snapshot(Client& c) {
  Group& g = c.group ? *c.group : group_for(c.principal);
  auto snap = snapshot_for(c.principal, g);
  c.send(snap.frame);
  for (const auto& e : g.ring) {
    if (e.seq > snap.seq) c.send(e.frame);
  }
}

const Hub::EntityIndex& Hub::entity_index() {
  if (entities_.valid && entities_.epoch == engine_.epoch() && entities_.seq == engine_.seq()) return entities_;
  entities_ = EntityIndex{engine_.epoch(), engine_.seq(), true, {}, {}};
  // Ids come from the engine's own maps, so they match Change::id exactly.
  const auto& st = engine_.state();
  auto add = [&](pbx::EntityKind kind, const std::string& id) {
    json data = entity_json(engine_, pbx::Change{kind, id, false});
    if (data.is_null()) return;
    entities_.ids.emplace_back(kind, id);
    entities_.data.push_back(std::move(data));
  };
  for (const auto& [id, e] : st.extensions) add(pbx::EntityKind::kExtension, id);
  for (const auto& [id, c] : st.calls) add(pbx::EntityKind::kCall, id);
  for (const auto& [id, q] : st.queues) add(pbx::EntityKind::kQueue, id);
  for (const auto& [id, pk] : st.parked) add(pbx::EntityKind::kParked, id);
  for (const auto& [id, cf] : st.conferences) add(pbx::EntityKind::kConference, id);
  return entities_;
}

Hub::Group& Hub::group_for(const Principal& p) {
  std::string key = p.scope_key();
  auto it = groups_.find(key);
  if (it != groups_.end()) return *it->second;
  auto g = std::make_unique<Group>();
  g->key = key;
  g->proto = p;
  const auto& idx = entity_index();
  for (size_t i = 0; i < idx.ids.size(); ++i) {
    const char* kind = kind_name(idx.ids[i].first);
    if (visible(p, kind, idx.data[i])) g->visible.emplace(kind, idx.ids[i].second);
  }
  g->since_seq = engine_.seq();
  g->last_seq = engine_.seq();
  auto& ref = *g;
  groups_[key] = std::move(g);
  stats_.groups = groups_.size();
  return ref;
}

void Hub::attach(const std::shared_ptr<Client>& c, std::optional<std::pair<uint64_t, uint64_t>> resume) {
  flush_pending();  // the ring then holds every delta up to the engine's seq
  Group& g = group_for(c->principal);
  g.members.insert(c.get());
  c->group = &g;
  if (c->v1) {
    c->send_v1_state(frame_of(json{{"type", "initial_state"},
                                   {"data", upstream_state(filter_snapshot(c->principal, snapshot_json(engine_, now_ms_())))},
                                   {"timestamp", iso_time(now_ms_())}}));
    return;
  }
  if (resume && resume->first == engine_.epoch() && resume->second >= g.since_seq &&
      resume->second <= engine_.seq()) {
    bool covered = g.ring.empty() || g.ring.front().prev <= resume->second ||
                   g.ring.front().seq <= resume->second;
    if (covered) {
      for (const auto& e : g.ring) {
        if (e.seq > resume->second) c->send(e.frame);
      }
      c->send(json{{"type", "resumed"}, {"epoch", engine_.epoch()}, {"seq", engine_.seq()}});
      return;
    }
  }
  send_snapshot(*c);
}

void Hub::detach(Client& c) {
  if (c.group) {
    c.group->members.erase(&c);
    if (c.group->members.empty()) c.group->empty_since_ms = now_ms_();
    c.group = nullptr;
  }
  if (c.closed) {
    clients_.erase(c.id);
    stats_.clients = clients_.size();
  }
}

void Hub::collect_groups() {
  int64_t now = now_ms_();
  for (auto it = groups_.begin(); it != groups_.end();) {
    auto& g = *it->second;
    if (g.members.empty() && now - g.empty_since_ms > opts_.group_linger.count() * 1000) {
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  stats_.groups = groups_.size();
}

bool Hub::over_cap(Client& c, WsPeer& p, std::size_t bytes) {
  if (p.queued_bytes() + bytes <= opts_.max_queue_bytes && p.queued_messages() + 1 <= opts_.max_queue_messages) {
    return false;
  }
  p.drop_queued();
  c.needs_snapshot = true;
  if (!c.slow) {
    c.slow = true;
    c.slow_since_ms = now_ms_();
  }
  ++stats_.slow_resets;
  return true;
}

void Hub::deliver(Client& c, const std::shared_ptr<const std::string>& frame) {
  auto p = c.peer.lock();
  if (!p || c.closed || c.closing || !c.authed) return;
  if (c.needs_snapshot) return;  // housekeeping sends a fresh state once the queue drained
  if (over_cap(c, *p, frame->size())) return;
  c.send(frame);
}

void Hub::schedule_v1_update(const std::shared_ptr<Client>& c) {
  if (c->v1_update_pending) return;
  c->v1_update_pending = true;
  asio::co_spawn(ex_, [this, c]() -> asio::awaitable<void> {
    asio::steady_timer t(ex_, opts_.v1_update_interval);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    c->v1_update_pending = false;
    auto p = c->peer.lock();
    if (!p || c->closed || c->closing || c->needs_snapshot) co_return;
    // Each update is the whole state, so a queue over the cap is dropped, not grown.
    auto frame = c->state_frame();
    if (over_cap(*c, *p, frame->size())) co_return;
    c->send_v1_state(frame);
  }, log_failure);
}

void Hub::v1_tick() {
  const int64_t now = now_ms_();
  const int64_t period = opts_.v1_state_period.count();
  std::optional<json> full;  // the engine state, serialized only if a v1 client is due
  std::map<std::string, std::shared_ptr<const std::string>> by_scope;
  auto clients = clients_;
  for (auto& [id, c] : clients) {
    if (!c->v1 || !c->authed || c->closed || c->closing || c->needs_snapshot) continue;
    // A change-driven state went out within most of a period: this one would add nothing.
    if (now - c->v1_sent_ms < period * 4 / 5) continue;
    auto p = c->peer.lock();
    if (!p) continue;
    auto& frame = by_scope[c->principal.scope_key()];
    if (!frame) {
      if (!full) full = snapshot_json(engine_, now);
      frame = frame_of(json{{"type", "state_update"},
                            {"data", upstream_state(filter_snapshot(c->principal, *full))},
                            {"timestamp", iso_time(now)}});
    }
    if (over_cap(*c, *p, frame->size())) continue;  // housekeeping resends once it drained
    c->send_v1_state(frame);
  }
}

void Hub::reset_groups_for_epoch() {
  groups_.clear();
  auto clients = clients_;
  for (auto& [id, c] : clients) {
    if (!c->authed || c->closed) continue;
    c->group = nullptr;
    attach(c, std::nullopt);
  }
}

void Hub::publish(const pbx::ChangeBatch& batch) {
  if (batch.epoch != epoch_) {
    // Deltas of the old epoch still waiting are moot: every client gets a new snapshot.
    pending_.clear();
    pending_index_.clear();
    epoch_ = batch.epoch;
    reset_groups_for_epoch();
    return;
  }
  if (pending_.empty()) pending_first_seq_ = batch.seq;
  pending_seq_ = batch.seq;
  for (const auto& ch : batch.changes) {
    if (pending_index_.emplace(ch.kind, ch.id).second) pending_.push_back({ch.kind, ch.id});
  }
  if (!opts_.coalesce) {
    flush_pending();
    return;
  }
  // The batches applied in this turn of the loop (one AMI read: a call set-up is a burst of
  // frames) leave as one delta per scope once the turn ends, each entity once and as it is now.
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(ex_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    flush_posted_ = false;
    flush_pending();
  });
}

void Hub::flush_pending() {
  if (pending_.empty()) return;
  std::vector<std::pair<pbx::EntityKind, std::string>> changed;
  changed.swap(pending_);
  pending_index_.clear();
  const uint64_t seq = pending_seq_, first = pending_first_seq_;
  // Serialized from the engine's current state, once, for every scope.
  std::vector<json> data;
  data.reserve(changed.size());
  for (const auto& [kind, id] : changed) {
    data.push_back(entity_json(engine_, pbx::Change{kind, id, false}));
    ++stats_.serializations;
  }
  int64_t now = now_ms_();
  for (auto& [key, gp] : groups_) {
    Group& g = *gp;
    if (g.since_seq >= seq) continue;  // created after these changes: its visible set has them
    json changes = json::array();
    for (size_t i = 0; i < changed.size(); ++i) {
      const char* kind = kind_name(changed[i].first);
      const std::string& id = changed[i].second;
      std::pair<std::string, std::string> vkey{kind, id};
      if (!data[i].is_null() && visible(g.proto, kind, data[i])) {
        changes.push_back({{"op", "upsert"}, {"kind", kind}, {"id", id}, {"data", data[i]}});
        g.visible.insert(std::move(vkey));
      } else if (g.visible.erase(vkey) > 0) {
        changes.push_back({{"op", "remove"}, {"kind", kind}, {"id", id}});
      }
    }
    if (changes.empty()) continue;
    // first_seq: the oldest engine batch this delta carries (a delta may coalesce several).
    auto frame = frame_of(json{{"type", "delta"}, {"epoch", epoch_}, {"seq", seq}, {"first_seq", first},
                               {"prev_seq", g.last_seq}, {"server_time", now},
                               {"changes", std::move(changes)}});
    g.ring.push_back({seq, g.last_seq, frame});
    while (g.ring.size() > opts_.ring_entries) g.ring.pop_front();
    g.last_seq = seq;
    for (Client* c : g.members) {
      if (c->v1) schedule_v1_update(c->shared_from_this());  // full states, coalesced
      else deliver(*c, frame);
    }
  }
}

void Hub::refresh_user(int64_t user_id) {
  auto clients = clients_;
  for (auto& [id, c] : clients) {
    if (!c->authed || c->closed || c->principal.user_id != user_id) continue;
    asio::co_spawn(ex_, [this, c = c]() -> asio::awaitable<void> {  // init-capture: clang 14 (fuzz)
      auto res = co_await auth_.reload(c->principal);
      if (c->closed) co_return;
      if (!res.principal) {
        c->send(json{{"type", "auth_invalid"}, {"error", {{"code", res.code}, {"message", res.message}}}});
        c->close(4001, res.code);
        co_return;
      }
      bool rescope = res.principal->scope_key() != c->principal.scope_key();
      c->principal = std::move(*res.principal);
      c->send(json{{"type", "user"}, {"user", c->principal.me}});
      if (rescope) {
        detach(*c);
        attach(c, std::nullopt);
      }
    }, log_failure);
  }
}

void Hub::refresh_all() {
  std::set<int64_t> users;
  for (auto& [id, c] : clients_) {
    if (c->authed) users.insert(c->principal.user_id);
  }
  for (auto u : users) refresh_user(u);
}

void Hub::notify(const json& notice, std::string_view extension) {
  auto frame = frame_of(notice);
  for (auto& [id, c] : clients_) {
    if (!c->authed || c->closed) continue;
    if (!extension.empty() && !c->principal.sees_extension(extension)) continue;
    deliver(*c, frame);
  }
}

void Hub::shutdown() {
  stopped_ = true;
  auto clients = clients_;
  for (auto& [id, c] : clients) c->close(1001, "server shutting down");
}

HubStats Hub::stats() const { return stats_; }
std::size_t Hub::client_count() const { return clients_.size(); }

}  // namespace opdesk::api
