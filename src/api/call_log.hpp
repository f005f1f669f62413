// GET /api/call-log: query parsing (every bad field → 400 naming it), the JSON items (one per
// call, legs grouped by linkedid) and the CSV export, as plain functions the router calls.
//
// The blocking functions (call_log_query, call_log_csv) run SQL: call them on the store's
// worker pool (call_log_query_async does that). The scope comes from the principal and is
// pushed into the SQL (store::CdrQuery::scope); nothing is filtered after the query.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "store/cdr_store.hpp"
#include "store/cdr_types.hpp"

namespace opdesk::directory {
class Directory;
}
namespace opdesk::store {
class Store;
}

namespace opdesk::api {

struct CallLogScope {
  bool all = false;
  std::set<std::string> extensions, queues;
};

struct CallLogQuery {
  store::CdrQuery cdr;
  bool csv = false;  // format=csv
};

struct CallLogContext {
  const directory::Directory* directory = nullptr;  // names, known extensions/queues
  std::string recording_key;                         // HMAC key for recording URLs ("" → none)
  int64_t user_id = 0;
  int64_t now_unix = 0;
};

// Throws ApiError(400, "request.field.invalid", message, field).
CallLogQuery parse_call_log_query(const std::map<std::string, std::string>& query,
                                  const CallLogScope& scope);
// Adds directory knowledge to the query (known numbers, names matching `search`).
void apply_directory(CallLogQuery& q, const directory::Directory& dir);

std::string encode_cursor(const store::CdrCursor& c, bool raw);
// Throws ApiError 400 (field "cursor") on anything that is not one of our cursors.
store::CdrCursor decode_cursor(const std::string& text, bool raw);

// {items, next_cursor, total} (raw mode: items are rows).
nlohmann::json call_log_query(store::CdrStore& cdr, const CallLogQuery& q,
                              const CallLogContext& ctx);
nlohmann::json call_log_item(const store::CallGroup& call, const store::CdrQuery& q,
                             const CallLogContext& ctx);

// Streams the filtered calls as CSV (header first) in pages of `page_size` calls, so memory
// stays bounded; stops after max_rows calls. Returns the number of calls written.
size_t call_log_csv(store::CdrStore& cdr, CallLogQuery q, const CallLogContext& ctx,
                    const std::function<void(std::string_view)>& sink, int page_size = 500,
                    size_t max_rows = 1000000);

// Runs call_log_query on the store's worker pool.
boost::asio::awaitable<nlohmann::json> call_log_query_async(store::Store& st, store::CdrStore& cdr,
                                                            CallLogQuery q, CallLogContext ctx);

// Upstream canonical outcome for an outcome (ANSWERED, NO_ANSWER, ...).
std::string_view canonical_outcome(store::CdrOutcome o);
std::string_view outcome_name(store::CdrOutcome o);
std::string_view direction_name(store::CdrDirection d);
// "PJSIP/1002-00000009" → "1002"; "Local/1006@from-internal-0;1" → "1006".
std::string cdr_channel_extension(const std::string& channel);
// `"Ext 1001" <1001>` → "Ext 1001".
std::string cdr_clid_name(const std::string& clid);
// "YYYY-MM-DD HH:MM:SS" in the server's local time → Unix ms (0 when malformed).
int64_t local_to_ms(const std::string& calldate);

}  // namespace opdesk::api
