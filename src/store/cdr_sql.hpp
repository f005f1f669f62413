// Portable SQL for the call log, and the C++ twins of its classifications.
//
// One builder serves the panel's own `cdr` table (SQLite or MariaDB) and FreePBX/Issabel's
// `asteriskcdrdb.cdr` (read only): CdrColumns says which optional columns a table really has.
// A call is the set of rows sharing a linkedid; the call's "anchor" is its first row (earliest
// calldate, then uniqueid, then sequence). Pages are anchors in (calldate, linkedid) order,
// found by walking the calldate index and probing the linkedid index, so the first page and a
// deep page cost the same. Every call-level filter (extension, scope, queue, outcome, search,
// has_recording, min_duration) is an EXISTS over the call's rows; scope is part of the SQL, so
// a page can never hold a call the principal may not see.
//
// The direction/outcome rules exist twice, as SQL (filters) and as C++ (display); both are
// here, side by side, and the tests check they agree on the real trace rows.
#pragma once

#include <string>
#include <vector>

#include "store/cdr_types.hpp"

namespace opdesk::store {

struct CdrColumns {
  std::string table = "cdr";
  bool has_linkedid = true;
  bool has_sequence = true;
  bool has_recordingfile = true;
  bool has_peeraccount = true;
  bool has_journey = false;  // the panel's own table carries journey/qos JSON columns
};

struct SqlBind {
  bool is_int = false;
  std::string text;
  long long number = 0;
};

struct SqlText {
  std::string sql;
  std::vector<SqlBind> binds;  // in placeholder order (:b0, :b1, ...)
};

// Anchors of one page: columns (calldate, linkedid, uniqueid, sequence); limit + 1 rows so the
// caller knows whether a next page exists. With `offset` ≥ 0 the cursor is ignored and OFFSET
// is used instead (the benchmark's baseline only).
SqlText build_anchor_page(const CdrColumns& cols, const CdrQuery& q, long long offset = -1);
// Raw rows of one page (every column of select_columns()), limit + 1 rows.
SqlText build_raw_page(const CdrColumns& cols, const CdrQuery& q);
// COUNT(*) of calls (or raw rows) matching q, cursor ignored.
SqlText build_count(const CdrColumns& cols, const CdrQuery& q);
// Every row of these calls, ordered by linkedid, calldate, uniqueid, sequence.
SqlText build_legs(const CdrColumns& cols, const std::vector<std::string>& linkedids);
// Linkedid and calldate of the call owning `recordingfile`, restricted to scope.
SqlText build_recording_lookup(const CdrColumns& cols, const std::string& recordingfile,
                               const CdrScope& scope);

// The select list every row read uses (same order as read by cdr_store.cpp), alias `c`.
std::string select_columns(const CdrColumns& cols);

// C++ twins of the SQL classifications (legs of one call, in leg order).
CdrDirection classify_direction(const CdrRecord& anchor, const std::set<std::string>& known_ext,
                                const std::set<std::string>& known_queues);
CdrOutcome classify_outcome(const std::vector<CdrRecord>& legs);

// Escapes %, _ and ! for `LIKE ... ESCAPE '!'`.
std::string like_escape(const std::string& s);

}  // namespace opdesk::store
