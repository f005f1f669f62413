// QosStore: the panel's own call-quality tables, one row per finished leg and one timeline per
// call, keyed by uniqueid / linkedid. Independent of the call-log source (own CDR table or
// FreePBX's read-only one), so summaries survive a restart on either.
//
// Blocking repository over the store's Database (callers on the event loop go through
// Store::async or the worker pool). Its own versioned, idempotent migrate() keeps
// `qos_schema_version`. Values are JSON text written by src/api (qos_feed); this file stores
// and finds them without parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opdesk::store {

class Database;

struct QosLegRow {
  std::string uniqueid, linkedid, extension;
  std::string day;          // local "YYYY-MM-DD" the leg ended on
  int64_t ended_at = 0;     // Unix ms
  std::string grade;        // good | fair | poor | unknown
  std::string summary;      // JSON text
};

struct QosTimelineRow {
  std::string linkedid;
  int64_t ended_at = 0;
  std::string points;  // JSON array text
};

// Reads are capped: a day of legs past this many rows is cut (oldest first kept) and says so.
inline constexpr int kQosMaxDayRows = 50000;

class QosStore {
 public:
  explicit QosStore(Database& db) : db_(db) {}

  int migrate();
  // Insert or replace by uniqueid / linkedid (a replayed end writes the same row again).
  void put_leg(const QosLegRow& row);
  void put_timeline(const QosTimelineRow& row);

  std::vector<QosLegRow> legs_of_call(const std::string& linkedid);
  std::optional<QosTimelineRow> timeline(const std::string& linkedid);
  // Legs of one local day; `truncated` set when kQosMaxDayRows was hit.
  std::vector<QosLegRow> legs_of_day(const std::string& day, bool* truncated = nullptr);

 private:
  Database& db_;
};

}  // namespace opdesk::store
