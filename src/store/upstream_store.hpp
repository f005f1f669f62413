// UpstreamStore: the panel's own tables behind the upstream product's REST routes that keep
// state (issue #25): the pause-reason ("Not-Ready code") catalog and the read/archived flags
// of missed-call notifications.
//
// Blocking repository over the store's Database (callers on the event loop go through
// Store::async). Its own versioned, idempotent migrate() keeps `upstream_schema_version`
// (version 1 creates the tables and seeds the system reasons break/lunch/meeting/training).
// System reasons can be edited (label, colour, order, active) but never deleted; the code of
// any reason is immutable. Notifications themselves are derived from the call log; only the
// flag a user set on one (by call id and extension) is stored here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace opdesk::store {

class Database;

struct PauseReason {
  int64_t id = 0;
  std::string code, label, color;
  bool productive = false;
  int sort_order = 100;
  bool is_active = true, is_system = false;
};

struct PauseReasonPatch {
  std::optional<std::string> label, color;
  std::optional<bool> productive, is_active;
  std::optional<int> sort_order;
};

class UpstreamStore {
 public:
  explicit UpstreamStore(Database& db) : db_(db) {}
  int migrate();

  std::vector<PauseReason> pause_reasons(bool active_only);  // by sort_order, code
  std::optional<PauseReason> pause_reason(int64_t id);
  std::optional<PauseReason> pause_reason_by_code(const std::string& code);
  // Conflict("code") when the code exists; returns the new id.
  int64_t add_pause_reason(const PauseReason& r);
  // NotFound("id") when absent.
  void update_pause_reason(int64_t id, const PauseReasonPatch& p);
  // NotFound("id") when absent, ValidationError("id") for a system reason.
  void remove_pause_reason(int64_t id);

  // Flags (read | archived) set on notifications of `extension`, by call id.
  std::map<std::string, std::string> notification_flags(const std::string& extension);
  void set_notification_flag(const std::string& extension, const std::string& call_id,
                             const std::string& flag, int64_t at_ms);

 private:
  Database& db_;
};

}  // namespace opdesk::store
