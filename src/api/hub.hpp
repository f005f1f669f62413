// WebSocket hub: authenticates live clients and fans the engine's change batches out to them.
//
// Protocol (docs/protocol.md): the client authenticates first (10 s limit), gets `auth_ok`
// and a scoped `snapshot`, then ordered `delta`s. Clients whose principals have the same
// scope_key() share a Group: each change batch is filtered and serialized ONCE per group and
// the same buffer is queued to every member. A group remembers which entity ids its members
// can see, so an entity leaving the scope is sent as a removal and nothing outside the scope is
// ever sent. Each delta carries `seq` (the engine's batch number) and `prev_seq` (the previous
// delta sent to that group), so a client detects a gap when prev_seq > its last seq. A ring of
// recent deltas per group lets a reconnecting client resume from (epoch, seq); otherwise it
// gets a new snapshot. Slow clients: past the queue cap their queue is dropped and they get a
// fresh snapshot once it drains; a client whose queue has not drained once within
// stuck_timeout of first passing the cap is closed (4008), so a stuck peer costs at most one
// capped queue. v1 clients (upstream protocol) get the whole filtered state after changes (at
// most every v1_update_interval) and every v1_state_period, never queued past the cap. A
// connection speaks v1 when it authenticates the upstream way (`/ws?token=`, or a first message
// `{"token"}` without `"type":"auth"`) unless it names a protocol (`protocol` = `opdesk` | `v1`,
// in the query or the auth message); OpDesk's own client sends `{"type":"auth"}`. housekeeping() runs once a second (slow
// clients, token expiry, auth timeout, idle groups); tests call it with a fake clock.
// Everything runs on the one event loop: no locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "http_types.hpp"
#include "principal.hpp"
#include "pbx/engine.hpp"

namespace opdesk::api {

class Authenticator {
 public:
  struct Result {
    std::optional<Principal> principal;
    std::string code;  // auth.token.invalid | auth.token.expired | auth.user.inactive | ...
    std::string message;
  };
  virtual ~Authenticator() = default;
  virtual boost::asio::awaitable<Result> authenticate(std::string token) = 0;
  // Re-reads the principal's user and scope from the store (same token).
  virtual boost::asio::awaitable<Result> reload(const Principal& p) = 0;
};

class ActionRunner {
 public:
  struct Outcome {
    bool ok = false;
    nlohmann::json data;
    int status = 200;
    std::string code, message;
    std::string field;  // the offending parameter of a 400/403/404, when one is to blame
  };
  virtual ~ActionRunner() = default;
  virtual boost::asio::awaitable<Outcome> run(const Principal& p, std::string action,
                                              nlohmann::json params, std::string ip) = 0;
};

struct HubOptions {
  std::vector<std::string> allowed_origins;
  std::size_t max_queue_bytes = 8u << 20;   // per client; beyond → drop queue, resnapshot later
  std::size_t max_queue_messages = 4096;
  std::chrono::seconds stuck_timeout{30};   // over the cap this long → close 4008
  std::size_t ring_entries = 2048;          // deltas kept per group for resume
  std::chrono::seconds auth_timeout{10};
  double actions_per_second = 5;            // per connection, burst actions_burst
  double actions_burst = 20;
  std::chrono::seconds group_linger{120};   // keep an empty group this long for resumes
  // v1 clients get full states (as upstream did): after a change (coalesced: at most one per
  // v1_update_interval) and, like upstream's broadcast loop, at least every v1_state_period so
  // the durations the server renders keep moving (0: no periodic states).
  std::chrono::milliseconds v1_update_interval{250};
  std::chrono::milliseconds v1_state_period{500};
  // Deltas of the change batches applied in one turn of the event loop go out as one frame per
  // scope when the turn ends (off: one frame per batch, sent inside publish()).
  bool coalesce = true;
};

struct HubStats {
  std::size_t clients = 0;
  std::size_t groups = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t snapshots = 0;
  uint64_t slow_resets = 0;
  uint64_t slow_closes = 0;
  uint64_t serializations = 0;
};

class Hub {
 public:
  Hub(boost::asio::any_io_executor ex, const pbx::Engine& engine, Authenticator& auth,
      ActionRunner& actions, HubOptions opts, std::function<int64_t()> now_ms);
  ~Hub();

  // WsFactory for the transport.
  WsAccept accept(std::shared_ptr<WsPeer> peer, const Request& req);
  // Called with every engine change batch, in order. With HubOptions::coalesce the deltas are
  // sent when the current handler returns to the event loop (or at flush_pending()).
  void publish(const pbx::ChangeBatch& batch);
  void flush_pending();
  // A user's role/scope/active flag changed: re-check their live connections now.
  void refresh_user(int64_t user_id);
  void refresh_all();
  // Sends a notice to every client whose principal sees the given extension (or all when empty).
  void notify(const nlohmann::json& notice, std::string_view extension = {});
  void shutdown();
  // Once a second from the hub's timer: auth timeouts, token expiry, slow clients, idle groups.
  void housekeeping();
  // Every v1_state_period from the hub's timer: the full state to each v1 client that got
  // none for most of a period (built once per scope).
  void v1_tick();
  HubStats stats() const;
  std::size_t client_count() const;

  struct Client;
  struct Group;

 private:
  friend struct Client;
  struct Snapshot {
    std::shared_ptr<const std::string> frame;
    uint64_t seq = 0;  // engine seq the frame shows; the group's ring holds every delta after it
  };
  Snapshot snapshot_for(const Principal& p, const Group& g);
  void send_snapshot(Client& c);
  Group& group_for(const Principal& p);
  void attach(const std::shared_ptr<Client>& c, std::optional<std::pair<uint64_t, uint64_t>> resume);
  void detach(Client& c);
  void deliver(Client& c, const std::shared_ptr<const std::string>& frame);
  void reset_groups_for_epoch();
  void collect_groups();
  void housekeep_client(Client& c, int64_t now);
  void schedule_v1_update(const std::shared_ptr<Client>& c);
  bool over_cap(Client& c, WsPeer& p, std::size_t bytes);

  boost::asio::any_io_executor ex_;
  const pbx::Engine& engine_;
  Authenticator& auth_;
  ActionRunner& actions_;
  HubOptions opts_;
  std::function<int64_t()> now_ms_;
  std::map<uint64_t, std::shared_ptr<Client>> clients_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  uint64_t next_client_id_ = 1;
  uint64_t epoch_ = 0;
  bool stopped_ = false;
  HubStats stats_;
  struct CachedSnapshot {
    std::shared_ptr<const std::string> frame;
    uint64_t epoch = 0, seq = 0;
    int64_t at_ms = 0;
  };
  std::map<std::string, CachedSnapshot> snapshot_cache_;  // by scope_key
  std::optional<nlohmann::json> full_snapshot_;           // unfiltered, for (full_epoch_, full_seq_)
  uint64_t full_epoch_ = 0, full_seq_ = 0;
  int64_t full_at_ms_ = 0;
  // Every entity's JSON at (epoch, seq), built once and shared by the groups created at that
  // point: a new epoch creates every group in one turn.
  struct EntityIndex {
    uint64_t epoch = 0, seq = 0;
    bool valid = false;
    std::vector<std::pair<pbx::EntityKind, std::string>> ids;
    std::vector<nlohmann::json> data;
  };
  const EntityIndex& entity_index();
  EntityIndex entities_;
  // Entities changed by batches published but not yet sent (coalescing), in first-change order.
  std::vector<std::pair<pbx::EntityKind, std::string>> pending_;
  std::set<std::pair<pbx::EntityKind, std::string>> pending_index_;
  uint64_t pending_first_seq_ = 0, pending_seq_ = 0;
  bool flush_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace opdesk::api
