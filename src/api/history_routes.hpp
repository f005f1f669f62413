// Call history routes: GET /api/call-log (JSON or CSV) and GET /api/recordings/{path}.
// The query, scope-in-SQL, grouping and the recording checks live in call_log.* and
// recordings.*; these routes authenticate, run the blocking work on the store's worker pool
// and audit every playback or download.
#pragma once

#include "request_auth.hpp"
#include "router.hpp"
#include "store/cdr_store.hpp"
#include "store/store.hpp"

namespace opdesk::directory {
class Directory;
}

namespace opdesk::api {

struct HistoryDeps {
  store::Store& store;
  store::CdrStore& cdr;
  RequestAuth& auth;
  std::string recordings_root;
  std::string recording_key;  // HMAC key for signed recording URLs
  std::function<int64_t()> now_ms;
  // Names and known numbers for the call log (set by the directory wiring; may stay null).
  const directory::Directory* directory = nullptr;
};

void register_history_routes(Router& router, HistoryDeps& deps);

}  // namespace opdesk::api
