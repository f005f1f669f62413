// CdrStore: SQL execution for the call log (see cdr_store.hpp; the SQL text is cdr_sql.cpp).
//
// How it fits: one instance per cdr table. Own table: migrate() creates it with the indexes
// the keyset queries need; FreePBX/Issabel: open_freepbx() probes the optional columns once.
// Invariants: values are always bound, never spliced; results are read through soci::row and
// converted by column type, so the same code reads SQLite TEXT/INTEGER and MariaDB
// DATETIME/INT; a page never exceeds kCdrMaxLimit calls.
#include "store/cdr_store.hpp"

#include <map>
#include <soci/soci.h>

#include "store/cdr_event.hpp"
#include "store/database.hpp"

#include "store/query.hpp"

namespace opdesk::store {
namespace {


long long cell_ll(const soci::row& r, size_t i) {
  std::string s = cell_str(r, i);
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

// Runs q, calling on_row for every result row.
template <class F>
void run(soci::session& s, const SqlText& q, F on_row) {
  std::vector<std::string> texts;
  std::vector<long long> nums;
  texts.reserve(q.binds.size());
  nums.reserve(q.binds.size());
  soci::row row;
  soci::statement st(s);
  // Bound by name (:b0, :b1, ...): the builder's evaluation order never matters.
  for (size_t i = 0; i < q.binds.size(); ++i) {
    const auto& b = q.binds[i];
    const std::string name = "b" + std::to_string(i);
    if (b.is_int) {
      nums.push_back(b.number);
      st.exchange(soci::use(nums.back(), name));
    } else {
      texts.push_back(b.text);
      st.exchange(soci::use(texts.back(), name));
    }
  }
  st.exchange(soci::into(row));
  st.alloc();
  st.prepare(q.sql);
  st.define_and_bind();
  if (st.execute(true)) {
    do {
      on_row(row);
    } while (st.fetch());
  }
}

CdrRecord read_record(const soci::row& r) {
  CdrRecord c;
  c.calldate = cell_str(r, 0);
  c.clid = cell_str(r, 1);
  c.src = cell_str(r, 2);
  c.dst = cell_str(r, 3);
  c.dcontext = cell_str(r, 4);
  c.channel = cell_str(r, 5);
  c.dstchannel = cell_str(r, 6);
  c.lastapp = cell_str(r, 7);
  c.lastdata = cell_str(r, 8);
  c.duration = cell_ll(r, 9);
  c.billsec = cell_ll(r, 10);
  c.disposition = cell_str(r, 11);
  c.amaflags = cell_str(r, 12);
  c.accountcode = cell_str(r, 13);
  c.uniqueid = cell_str(r, 14);
  c.userfield = cell_str(r, 15);
  c.linkedid = cell_str(r, 16);
  c.peeraccount = cell_str(r, 17);
  c.sequence = cell_ll(r, 18);
  c.recordingfile = cell_str(r, 19);
  c.journey = cell_str(r, 20);
  c.qos = cell_str(r, 21);
  return c;
}

long long count(soci::session& s, const SqlText& q) {
  long long n = 0;
  run(s, q, [&](const soci::row& r) { n = cell_ll(r, 0); });
  return n;
}

constexpr const char* kCdrTable = R"(CREATE TABLE IF NOT EXISTS cdr (
  id {PK},
  calldate {DATE} NOT NULL,
  answerdate {DATE} NULL,
  enddate {DATE} NULL,
  clid {KEY} NOT NULL DEFAULT '', src {KEY} NOT NULL DEFAULT '', dst {KEY} NOT NULL DEFAULT '',
  dcontext {KEY} NOT NULL DEFAULT '', channel {KEY} NOT NULL DEFAULT '',
  dstchannel {KEY} NOT NULL DEFAULT '', lastapp {KEY} NOT NULL DEFAULT '',
  lastdata {KEY} NOT NULL DEFAULT '', duration INTEGER NOT NULL DEFAULT 0,
  billsec INTEGER NOT NULL DEFAULT 0, disposition {KEY} NOT NULL DEFAULT '',
  amaflags {KEY} NOT NULL DEFAULT '', accountcode {KEY} NOT NULL DEFAULT '',
  uniqueid {KEY} NOT NULL, userfield {KEY} NOT NULL DEFAULT '',
  linkedid {KEY} NOT NULL DEFAULT '', peeraccount {KEY} NOT NULL DEFAULT '',
  sequence BIGINT NOT NULL DEFAULT 0, recordingfile {KEY} NOT NULL DEFAULT '',
  journey {TEXT} NULL, qos {TEXT} NULL){OPTS})";

constexpr const char* kOverridesTable = R"(CREATE TABLE IF NOT EXISTS directory_overrides (
  extension {KEY} NOT NULL PRIMARY KEY, hidden INTEGER NOT NULL DEFAULT 0, label {KEY} NULL,
  group_name {KEY} NULL, sort_order INTEGER NULL, updated_at BIGINT NOT NULL DEFAULT 0){OPTS})";

const char* const kIndexes[] = {
    "CREATE UNIQUE INDEX IF NOT EXISTS cdr_uid_seq ON cdr (uniqueid, sequence)",
    "CREATE INDEX IF NOT EXISTS cdr_calldate ON cdr (calldate, linkedid)",
    "CREATE INDEX IF NOT EXISTS cdr_linkedid ON cdr (linkedid, calldate)",
    "CREATE INDEX IF NOT EXISTS cdr_recordingfile ON cdr (recordingfile)",
};

std::string expand(Dialect d, const char* templ) {
  std::string s = DialectSql::expand(d, templ);
  const std::string date = d == Dialect::Sqlite ? "TEXT" : "DATETIME";
  for (auto p = s.find("{DATE}"); p != std::string::npos; p = s.find("{DATE}")) {
    s.replace(p, 6, date);
  }
  return s;
}

}  // namespace

CdrStore::CdrStore(Database& db, CdrPost post)
    : CdrStore(db, Source::kOwn, CdrColumns{"cdr", true, true, true, true, true}, std::move(post)) {}

CdrStore::CdrStore(Database& db, Source source, CdrColumns cols, CdrPost post)
    : db_(db), source_(source), cols_(std::move(cols)), post_(std::move(post)),
      mapper_(std::make_unique<CdrEventMapper>()), counters_(std::make_shared<Counters>()) {}

CdrStore::~CdrStore() = default;

std::unique_ptr<CdrStore> CdrStore::open_freepbx(Database& db, std::string table) {
  CdrColumns cols;
  cols.table = std::move(table);
  db.with_session([&](soci::session& s) {
    // Let a missing table surface as the store's error; then probe each optional column.
    s << "SELECT COUNT(*) FROM " + cols.table + " WHERE 1=0";
    auto has = [&](const char* col) {
      try {
        s << "SELECT " + std::string(col) + " FROM " + cols.table + " WHERE 1=0";
        return true;
      } catch (const soci::soci_error&) {
        return false;
      }
    };
    cols.has_linkedid = has("linkedid");
    cols.has_sequence = has("sequence");
    cols.has_recordingfile = has("recordingfile");
    cols.has_peeraccount = has("peeraccount");
    return 0;
  });
  return std::unique_ptr<CdrStore>(new CdrStore(db, Source::kFreePbx, cols, {}));
}

int CdrStore::migrate() {
  if (source_ != Source::kOwn) throw StoreError("the FreePBX call log is read only");
  return db_.with_session([&](soci::session& s) {
    s << "CREATE TABLE IF NOT EXISTS cdr_schema_version (version INTEGER NOT NULL)";
    int version = 0;
    soci::indicator ind = soci::i_ok;
    s << "SELECT MAX(version) FROM cdr_schema_version", soci::into(version, ind);
    if (ind == soci::i_ok && version >= 1) return 0;
    soci::transaction tr(s);
    s << expand(db_.dialect(), kCdrTable);
    s << expand(db_.dialect(), kOverridesTable);
    for (const char* ix : kIndexes) s << ix;
    s << "INSERT INTO cdr_schema_version (version) VALUES (1)";
    tr.commit();
    return 1;
  });
}

namespace {

bool insert_row(soci::session& s, Dialect d, const CdrRecord& r) {
  const std::string verb = d == Dialect::Sqlite ? "INSERT OR IGNORE INTO" : "INSERT IGNORE INTO";
  soci::indicator ans = r.answerdate.empty() ? soci::i_null : soci::i_ok;
  soci::indicator end = r.enddate.empty() ? soci::i_null : soci::i_ok;
  long long duration = r.duration, billsec = r.billsec, sequence = r.sequence;
  soci::statement st =
      (s.prepare << verb +
                        " cdr (calldate, answerdate, enddate, clid, src, dst, dcontext, channel, "
                        "dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags, "
                        "accountcode, uniqueid, userfield, linkedid, peeraccount, sequence, "
                        "recordingfile) VALUES (:cd, :ad, :ed, :clid, :src, :dst, :dc, :ch, :dch, "
                        ":la, :ld, :du, :bs, :di, :am, :ac, :u, :uf, :l, :pa, :sq, :rf)",
       soci::use(r.calldate), soci::use(r.answerdate, ans), soci::use(r.enddate, end),
       soci::use(r.clid), soci::use(r.src), soci::use(r.dst), soci::use(r.dcontext),
       soci::use(r.channel), soci::use(r.dstchannel), soci::use(r.lastapp),
       soci::use(r.lastdata), soci::use(duration), soci::use(billsec),
       soci::use(r.disposition), soci::use(r.amaflags), soci::use(r.accountcode),
       soci::use(r.uniqueid), soci::use(r.userfield), soci::use(r.linkedid),
       soci::use(r.peeraccount), soci::use(sequence), soci::use(r.recordingfile));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

}  // namespace

bool CdrStore::insert(const CdrRecord& r) {
  if (source_ != Source::kOwn) throw StoreError("the FreePBX call log is read only");
  return db_.with_session([&](soci::session& s) { return insert_row(s, db_.dialect(), r); });
}

size_t CdrStore::insert_many(const std::vector<CdrRecord>& rows) {
  if (source_ != Source::kOwn) throw StoreError("the FreePBX call log is read only");
  return db_.with_session([&](soci::session& s) {
    soci::transaction tr(s);
    size_t n = 0;
    for (const auto& r : rows) n += insert_row(s, db_.dialect(), r) ? 1 : 0;
    tr.commit();
    return n;
  });
}

bool CdrStore::set_journey(const std::string& linkedid, const std::string& json) {
  if (source_ != Source::kOwn) throw StoreError("the FreePBX call log is read only");
  return db_.with_session([&](soci::session& s) {
    soci::statement st = (s.prepare << "UPDATE cdr SET journey = :j WHERE linkedid = :l",
                          soci::use(json), soci::use(linkedid));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

bool CdrStore::set_qos(const std::string& uniqueid, const std::string& json) {
  if (source_ != Source::kOwn) throw StoreError("the FreePBX call log is read only");
  return db_.with_session([&](soci::session& s) {
    soci::statement st = (s.prepare << "UPDATE cdr SET qos = :q WHERE uniqueid = :u",
                          soci::use(json), soci::use(uniqueid));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

// A count of kCdrCountCap + 1 means "more than the cap" (see build_count).
static void cap_total(CdrPage& page) {
  if (page.total > kCdrCountCap) {
    page.total = kCdrCountCap;
    page.total_exact = false;
  }
}

CdrPage CdrStore::query(const CdrQuery& q) {
  if (!q.raw) return grouped_page(q, -1);
  return db_.with_session([&](soci::session& s) {
    CdrPage page;
    run(s, build_raw_page(cols_, q), [&](const soci::row& r) { page.rows.push_back(read_record(r)); });
    if (page.rows.size() > static_cast<size_t>(q.limit)) {
      page.rows.pop_back();
      const auto& last = page.rows.back();
      page.next = CdrCursor{last.calldate, last.uniqueid, last.sequence};
    }
    page.total = q.cursor && q.cursor->total >= 0 ? q.cursor->total : count(s, build_count(cols_, q));
    if (page.next) page.next->total = page.total;
    cap_total(page);
    return page;
  });
}

CdrPage CdrStore::query_offset(const CdrQuery& q, long long offset) {
  return grouped_page(q, offset);
}

CdrPage CdrStore::grouped_page(const CdrQuery& q, long long offset) {
  return db_.with_session([&](soci::session& s) {
    CdrPage page;
    std::vector<std::pair<std::string, std::string>> keys;  // (calldate, linkedid)
    run(s, build_anchor_page(cols_, q, offset),
        [&](const soci::row& r) { keys.emplace_back(cell_str(r, 0), cell_str(r, 1)); });
    if (keys.size() > static_cast<size_t>(q.limit)) {
      keys.pop_back();
      page.next = CdrCursor{keys.back().first, keys.back().second, 0};
    }
    if (!keys.empty()) {
      std::vector<std::string> ids;
      for (const auto& k : keys) ids.push_back(k.second);
      std::map<std::string, std::vector<CdrRecord>> legs;
      run(s, build_legs(cols_, ids), [&](const soci::row& r) {
        auto rec = read_record(r);
        legs[rec.linkedid].push_back(std::move(rec));
      });
      for (const auto& k : keys) page.calls.push_back(CallGroup{k.second, std::move(legs[k.second])});
    }
    page.total = q.cursor && q.cursor->total >= 0 ? q.cursor->total
                                                                : count(s, build_count(cols_, q));
    if (page.next) page.next->total = page.total;
    cap_total(page);
    return page;
  });
}

std::optional<RecordingCall> CdrStore::find_recording(const std::string& file,
                                                      const CdrScope& scope) {
  return db_.with_session([&](soci::session& s) {
    std::optional<RecordingCall> found;
    run(s, build_recording_lookup(cols_, file, scope), [&](const soci::row& r) {
      found = RecordingCall{cell_str(r, 0), cell_str(r, 1)};
    });
    return found;
  });
}

}  // namespace opdesk::store
