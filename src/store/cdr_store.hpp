// CdrStore: the call log over one `cdr` table — the panel's own (filled from AMI Cdr events)
// or FreePBX/Issabel's `asteriskcdrdb.cdr` (read only) — behind one query API.
//
// Every method is blocking and runs SQL on a session leased from the store's Database, so
// callers on the event loop go through Store::async (or the `post` function given to the
// constructor, which on_cdr_event uses for its writes). No SOCI type appears here.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/cdr_sql.hpp"
#include "store/cdr_types.hpp"

namespace opdesk::ami {
class Message;
}

namespace opdesk::store {

class Database;
class CdrEventMapper;

// Runs a job off the event loop (the store's worker pool).
using CdrPost = std::function<void(std::function<void()>)>;

struct RecordingCall {
  std::string calldate;
  std::string linkedid;
};

class CdrStore {
 public:
  enum class Source { kOwn, kFreePbx };

  // The panel's own table in `db` (read/write; call migrate() once at start-up).
  CdrStore(Database& db, CdrPost post = {});
  // A FreePBX/Issabel cdr table (read only). Probes which optional columns exist
  // (linkedid, sequence, recordingfile, peeraccount); throws StoreError when `table` is absent.
  static std::unique_ptr<CdrStore> open_freepbx(Database& db, std::string table = "cdr");
  ~CdrStore();
  CdrStore(const CdrStore&) = delete;
  CdrStore& operator=(const CdrStore&) = delete;

  Source source() const { return source_; }
  const CdrColumns& columns() const { return cols_; }

  // Creates the own tables (cdr, directory_overrides) and `cdr_schema_version`; idempotent.
  int migrate();

  // Inserts one row; false when (uniqueid, sequence) is already stored (replays are harmless).
  bool insert(const CdrRecord& r);
  // Many rows in one transaction (imports, benchmarks); returns how many were new.
  size_t insert_many(const std::vector<CdrRecord>& rows);
  // Journey/QoS JSON written later by other modules (own table only; 0 rows → false).
  bool set_journey(const std::string& linkedid, const std::string& json);
  bool set_qos(const std::string& uniqueid, const std::string& json);

  // One page of calls (or raw rows) with the total; see cdr_sql.hpp for the semantics.
  CdrPage query(const CdrQuery& q);
  // The same page found with LIMIT/OFFSET (benchmark baseline only).
  CdrPage query_offset(const CdrQuery& q, long long offset);
  // The call that owns a recording, if scope may see it.
  std::optional<RecordingCall> find_recording(const std::string& file, const CdrScope& scope);

  // Feed every AMI frame (Newchannel/Newexten/VarSet teach linkedid and recordingfile; a Cdr
  // event becomes a row). Call on the event loop only; the write goes through `post`.
  void on_cdr_event(const ami::Message& m);
  // Where MixMonitor writes (FreePBX: /var/spool/asterisk/monitor). When a Cdr event arrives
  // for a call whose recording name the stream never showed (the panel connected mid-call),
  // the row's day folder YYYY/MM/DD is searched for a file named "...-<uniqueid>.<ext>".
  void set_recordings_root(std::string root) { recordings_root_ = std::move(root); }
  // Rows written / skipped as duplicates / failed through on_cdr_event (for metrics and tests).
  struct Counters {
    std::atomic<long long> written{0}, duplicates{0}, failed{0};
  };
  const Counters& counters() const { return *counters_; }

 private:
  CdrStore(Database& db, Source source, CdrColumns cols, CdrPost post);
  CdrPage grouped_page(const CdrQuery& q, long long offset);

  Database& db_;
  Source source_;
  CdrColumns cols_;
  CdrPost post_;
  std::unique_ptr<CdrEventMapper> mapper_;
  std::shared_ptr<Counters> counters_;
  std::string recordings_root_;
};

}  // namespace opdesk::store
