// Call-log (CDR) records and queries: the plain structs the API layer sees of the CDR store.
//
// One CdrRecord is one row of Asterisk's `cdr` table (the columns cdr_adaptive_odbc/cdr_mysql
// write, plus the panel's journey/QoS JSON). A CdrQuery is a validated filter set (parsing and
// the 400s live in src/api/call_log.cpp); a CallGroup is one call: every row that shares a
// linkedid (ringall legs, transfers, queue attempts). Times in records are the PBX's local
// wall-clock text "YYYY-MM-DD HH:MM:SS", exactly as Asterisk writes `calldate`.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace opdesk::store {

struct CdrRecord {
  std::string calldate;  // start, local "YYYY-MM-DD HH:MM:SS"
  std::string answerdate, enddate;
  std::string clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata;
  int64_t duration = 0, billsec = 0;
  std::string disposition;  // ANSWERED | NO ANSWER | BUSY | FAILED | CONGESTION
  std::string amaflags, accountcode, uniqueid, userfield, linkedid, peeraccount;
  int64_t sequence = 0;
  std::string recordingfile;
  std::string journey;  // JSON text, "" when not set
  std::string qos;      // JSON text, "" when not set
};

// Who may see what: `all` (admin), else calls touching one of these extensions or queues.
struct CdrScope {
  bool all = false;
  std::set<std::string> extensions;
  std::set<std::string> queues;
};

enum class CdrDirection { kAny, kInternal, kInbound, kOutbound };
enum class CdrOutcome { kAny, kAnswered, kNoAnswer, kBusy, kFailed, kCancelled, kAbandoned };

// Keyset position: the (calldate, linkedid) of the last call of the previous page, or for raw
// rows the (calldate, uniqueid, sequence) of the last row.
// The total of the first page rides along, so deeper pages skip the COUNT (it is the
// "total when you started", which is what a pager shows while new calls keep arriving).
struct CdrCursor {
  std::string calldate;
  std::string key;
  int64_t sequence = 0;
  int64_t total = -1;  // -1: unknown, count again
};

inline constexpr int kCdrDefaultLimit = 50;
inline constexpr int kCdrMaxLimit = 500;

struct CdrQuery {
  std::optional<std::string> date_from;  // inclusive local day "YYYY-MM-DD"
  std::optional<std::string> date_to;    // inclusive local day
  int limit = kCdrDefaultLimit;
  std::optional<std::string> extension;
  CdrDirection direction = CdrDirection::kAny;
  CdrOutcome outcome = CdrOutcome::kAny;
  std::optional<std::string> queue;
  std::optional<int64_t> min_duration;
  std::optional<bool> has_recording;
  std::optional<std::string> search;
  // Extensions whose directory name matches `search` (filled by the API from the Directory).
  std::set<std::string> search_extensions;
  // Known extension numbers and queue numbers/names (direction classification); empty → the
  // classifier falls back to "2-6 characters" for an extension.
  std::set<std::string> known_extensions;
  std::set<std::string> known_queues;
  std::optional<CdrCursor> cursor;
  bool raw = false;
  bool oldest_first = false;
  CdrScope scope;
};

struct CallGroup {
  std::string linkedid;
  std::vector<CdrRecord> legs;  // ordered by calldate, uniqueid, sequence
};

struct CdrPage {
  std::vector<CallGroup> calls;   // grouped mode
  std::vector<CdrRecord> rows;    // raw mode
  std::optional<CdrCursor> next;  // set when more may follow
  int64_t total = 0;              // calls (or rows) matching the filters, ignoring the cursor
  bool total_exact = true;        // false: more than kCdrCountCap match, `total` is the cap
};

// Counting every match of a large table costs seconds (the anchor test runs per row), so the
// count stops after this many: the pager then shows "10,000+" and keyset paging goes on.
inline constexpr int64_t kCdrCountCap = 10000;

}  // namespace opdesk::store
