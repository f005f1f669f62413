// Call-log query speed (make bench): 1 M generated CDR rows, each case measured in the same run
// on three tables:
//   sqlite        the panel's own table in SQLite (indexes from CdrStore::migrate);
//   mariadb       the same own table in a private MariaDB (started like the tests do);
//   mariadb-stock a stock FreePBX asteriskcdrdb.cdr layout (calldate/uniqueid/recordingfile
//                 indexes only, read through CdrStore::open_freepbx), then the same table
//                 after `ADD INDEX opdesk_linkedid (linkedid, calldate)` (mariadb-freepbx).
// Cases: first page, deep page (cursor at call 100 000; half the table when smaller), number search, one extension over
// the last 7 days, CSV export of 100 k calls; first/deep page and CSV also with LIMIT/OFFSET
// paging as the baseline. Prints p50/p95 per case and the offset/keyset ratio.
// OPDESK_CDR_BENCH_ROWS overrides the row count (e.g. 100000 for a quick run).
//
// ---- README text (indexes) ----
// The call log pages with a keyset (calldate, linkedid) and groups rows by linkedid, so the
// cdr table needs:
//   CREATE INDEX cdr_calldate ON cdr (calldate, linkedid);   -- walk pages newest first
//   CREATE INDEX cdr_linkedid ON cdr (linkedid, calldate);   -- legs of a call, first-leg test,
//                                                            -- every call-level filter (EXISTS)
//   CREATE UNIQUE INDEX cdr_uid_seq ON cdr (uniqueid, sequence);  -- idempotent AMI inserts
//   CREATE INDEX cdr_recordingfile ON cdr (recordingfile);   -- recording → call (playback)
// The panel's own table gets all four from `CdrStore::migrate()`. A stock FreePBX
// asteriskcdrdb.cdr has calldate, uniqueid and recordingfile indexes but NO linkedid index.
// On FreePBX/Issabel run once (as a MySQL admin; the panel's DB user stays read only):
//   ALTER TABLE asteriskcdrdb.cdr ADD INDEX opdesk_linkedid (linkedid, calldate);
// ---------------------------------
#include <benchmark/benchmark.h>  // DoNotOptimize only: the runner is below (one pass, printed at once)

#include <soci/soci.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "api/call_log.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "support/mariadb.hpp"

namespace {

using opdesk::store::CdrQuery;
using opdesk::store::CdrRecord;
using opdesk::store::DbConfig;

constexpr long long kBase = 1767225600;  // 2026-01-01 00:00:00 UTC
constexpr long long kDeepPosition = 100000;

struct Env {
  std::string name;
  std::filesystem::path dir;
  std::unique_ptr<opdesk::store::Database> db;
  std::unique_ptr<opdesk::store::CdrStore> cdr;
  long long rows = 0, calls = 0;
  long long first_call = 0;  // index of the oldest generated call in this table
  long long end_call() const { return first_call + calls; }
  ~Env() {
    cdr.reset();
    db.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

std::string stamp(long long t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string linkedid_of(long long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "b%09lld", i);
  return buf;
}

std::vector<CdrRecord> call_rows(long long i) {
  std::vector<CdrRecord> legs;
  int n = 1 + (i % 3 == 0) + (i % 10 == 0);
  bool external = i % 4 == 0;
  for (int l = 0; l < n; ++l) {
    CdrRecord r;
    r.calldate = stamp(kBase + i * 5 + l);
    r.src = external ? "0612" + std::to_string(100000 + i % 900000) : std::to_string(1000 + i % 1000);
    r.dst = std::to_string(1000 + (i * 7 + l) % 1000);
    r.clid = "\"Caller " + r.src + "\" <" + r.src + ">";
    r.dcontext = external ? "from-trunk" : "from-internal";
    r.channel = external ? "PJSIP/trunk-" + std::to_string(i) : "PJSIP/" + r.src + "-" + std::to_string(i);
    r.dstchannel = "PJSIP/" + r.dst + "-" + std::to_string(i + l + 1);
    r.lastapp = i % 10 == 0 ? "Queue" : "Dial";
    r.lastdata = i % 10 == 0 ? "support,t,,,120" : "PJSIP/" + r.dst + ",30";
    static const char* kDisp[] = {"ANSWERED", "ANSWERED", "NO ANSWER", "BUSY", "ANSWERED"};
    r.disposition = kDisp[(i + l) % 5];
    r.duration = 5 + i % 300;
    r.billsec = r.disposition == "ANSWERED" ? r.duration - 3 : 0;
    r.amaflags = "DOCUMENTATION";
    r.uniqueid = std::to_string(kBase + i) + "." + std::to_string(l);
    r.linkedid = linkedid_of(i);
    r.sequence = i * 3 + l;
    if (i % 10 < 7) r.recordingfile = "internal-" + r.dst + "-" + r.src + "-" + r.uniqueid + ".wav";
    legs.push_back(std::move(r));
  }
  return legs;
}

long long target_rows() {
  long long target = 1000000;
  if (const char* v = std::getenv("OPDESK_CDR_BENCH_ROWS")) target = std::max(10000LL, std::atoll(v));
  return target;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Generates the rows into the env's own table (CdrStore::migrate indexes).
void load(Env& x) {
  x.cdr = std::make_unique<opdesk::store::CdrStore>(*x.db);
  x.cdr->migrate();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<CdrRecord> batch;
  for (long long i = 0; x.rows < target_rows(); ++i) {
    auto legs = call_rows(i);
    x.calls = i + 1;
    x.rows += static_cast<long long>(legs.size());
    for (auto& r : legs) batch.push_back(std::move(r));
    if (batch.size() >= 20000) {
      x.cdr->insert_many(batch);
      batch.clear();
    }
  }
  x.cdr->insert_many(batch);
  std::printf("cdr_bench: %lld rows / %lld calls loaded into %s in %.1f s\n", x.rows, x.calls, x.name.c_str(), since(t0));
}

std::unique_ptr<Env> sqlite_env() {
  auto x = std::make_unique<Env>();
  x->name = "sqlite";
  x->dir = std::filesystem::temp_directory_path() / ("opdesk-cdr-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(x->dir);
  DbConfig c;
  c.sqlite_path = (x->dir / "bench.db").string();
  c.pool_size = 1;
  x->db = std::make_unique<opdesk::store::Database>(c);
  load(*x);
  return x;
}

DbConfig mariadb_config(const std::string& prefix) {
  auto& server = opdesk::test::MariaDbServer::shared();
  static bool tuned = [&server] {
    // The test server starts with a 32 MB buffer pool (fast start-up); a PBX host's MariaDB has
    // at least the 128 MB default. 256 MB holds the 1 M-row table's indexes.
    server.root_sql("SET GLOBAL innodb_buffer_pool_size = 268435456");
    return true;
  }();
  (void)tuned;
  DbConfig c;
  c.backend = "mysql";
  c.host = server.endpoint().host;
  c.port = server.endpoint().port;
  c.user = server.endpoint().user;
  c.password = server.endpoint().password;
  c.database = server.create_database(prefix);
  c.pool_size = 1;
  return c;
}

// Calls copied into the stock FreePBX table: without a linkedid index the call count (one
// NOT EXISTS per row) is quadratic, so 1 M rows would not finish; 2 k calls show the effect.
constexpr long long kStockCalls = 2000;

// The stock FreePBX asteriskcdrdb.cdr (its own indexes only): the newest kStockCalls calls of
// `own`, copied inside MariaDB.
std::unique_ptr<Env> freepbx_stock_env(const Env& own) {
  auto x = std::make_unique<Env>();
  x->name = "mariadb-stock";
  DbConfig c = mariadb_config("asteriskcdrdb");
  x->db = std::make_unique<opdesk::store::Database>(c);
  auto t0 = std::chrono::steady_clock::now();
  const std::string cols = "calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, "
                           "duration, billsec, disposition, accountcode, uniqueid, userfield, recordingfile, "
                           "linkedid, peeraccount, sequence";
  x->db->with_session([&](soci::session& s) {
    s << "CREATE TABLE cdr (calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '', "
         "src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL "
         "DEFAULT '', channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '', "
         "lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '', duration int NOT NULL "
         "DEFAULT 0, billsec int NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '', amaflags int NOT "
         "NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(32) NOT NULL DEFAULT '', "
         "userfield varchar(255) NOT NULL DEFAULT '', did varchar(50) NOT NULL DEFAULT '', recordingfile "
         "varchar(255) NOT NULL DEFAULT '', linkedid varchar(32) NOT NULL DEFAULT '', peeraccount varchar(80) NOT "
         "NULL DEFAULT '', sequence int NOT NULL DEFAULT 0, KEY calldate (calldate), KEY dst (dst), "
         "KEY accountcode (accountcode), KEY uniqueid (uniqueid), KEY recordingfile (recordingfile), KEY did (did)) "
         "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    std::string from = stamp(kBase + (own.calls - kStockCalls) * 5);
    s << "INSERT INTO cdr (" + cols + ") SELECT " + cols + " FROM `" + own.db->config().database +
             "`.cdr WHERE calldate >= '" + from + "'";
    soci::indicator ind;
    long long n = 0;
    s << "SELECT COUNT(*) FROM cdr", soci::into(n, ind);
    x->rows = n;
    return 0;
  });
  x->cdr = opdesk::store::CdrStore::open_freepbx(*x->db);
  x->calls = kStockCalls;
  x->first_call = own.calls - kStockCalls;
  std::printf("cdr_bench: stock FreePBX cdr (%lld rows / %lld calls) copied in MariaDB in %.1f s\n", x->rows,
              x->calls, since(t0));
  return x;
}

std::unique_ptr<Env> mariadb_env() {
  auto x = std::make_unique<Env>();
  x->name = "mariadb";
  x->db = std::make_unique<opdesk::store::Database>(mariadb_config("cdrbench"));
  load(*x);
  return x;
}

CdrQuery admin_query() {
  CdrQuery q;
  q.scope.all = true;
  q.limit = 50;
  return q;
}

std::map<std::string, std::vector<double>> g_samples;  // "env/case/paging" → ms per iteration

long long deep_position(const Env& e) { return std::min(kDeepPosition, e.calls / 2); }

// Cursor that starts right after position deep_position - 1 (newest first), total known.
CdrQuery deep_query(const Env& e) {
  long long idx = e.end_call() - deep_position(e);  // the call at position deep_position - 1
  CdrQuery q = admin_query();
  q.cursor = opdesk::store::CdrCursor{stamp(kBase + idx * 5), linkedid_of(idx), 0, e.calls};
  return q;
}

opdesk::api::CallLogQuery export_query() {
  opdesk::api::CallLogQuery q;
  q.cdr = admin_query();
  return q;
}

size_t csv_keyset(Env& e) {
  size_t bytes = 0;
  opdesk::api::call_log_csv(*e.cdr, export_query(), {}, [&](std::string_view c) { bytes += c.size(); }, 500, 100000);
  return bytes;
}

size_t csv_offset(Env& e) {
  size_t bytes = 0;
  auto q = export_query().cdr;
  q.limit = 500;
  for (long long off = 0; off < 100000; off += q.limit) {
    auto page = e.cdr->query_offset(q, off);
    if (!q.cursor) q.cursor = opdesk::store::CdrCursor{"", "", 0, page.total};  // count once
    for (const auto& c : page.calls) bytes += opdesk::api::call_log_item(c, q, {}).dump().size();
  }
  return bytes;
}

struct Case {
  const char* name;
  int iterations;
  std::function<void(Env&)> run;
  bool offset;  // an OFFSET baseline (not run on the index-less stock table: it takes minutes)
  bool csv;     // a 100 k-call export (run last)
};

std::vector<Case> cases() {
  using benchmark::DoNotOptimize;
  return {
      {"first_page/keyset", 10, [](Env& e) { DoNotOptimize(e.cdr->query(admin_query())); }, false, false},
      {"first_page/offset", 10, [](Env& e) { DoNotOptimize(e.cdr->query_offset(admin_query(), 0)); }, true, false},
      {"deep_page/keyset", 20, [](Env& e) { DoNotOptimize(e.cdr->query(deep_query(e))); }, false, false},
      {"deep_page/offset", 5, [](Env& e) { DoNotOptimize(e.cdr->query_offset(deep_query(e), deep_position(e))); }, true, false},
      {"search_number/keyset", 10, [](Env& e) {
         auto q = admin_query();
         q.search = "0612345";
         DoNotOptimize(e.cdr->query(q));
       }, false, false},
      {"extension_last_7_days/keyset", 10, [](Env& e) {
         auto q = admin_query();
         q.extension = "1500";
         q.date_from = stamp(kBase + e.end_call() * 5 - 7 * 86400).substr(0, 10);
         DoNotOptimize(e.cdr->query(q));
       }, false, false},
      {"csv_100k/keyset", 1, [](Env& e) { DoNotOptimize(csv_keyset(e)); }, false, true},
      {"csv_100k/offset", 1, [](Env& e) { DoNotOptimize(csv_offset(e)); }, true, true},
  };
}

// Runs one case `iterations` times (0: the case's own count) and prints its line at once, so a
// slow machine still shows the figures measured so far.
void run_case(Env& e, const Case& c, int iterations) {
  std::string key = e.name + "/" + c.name;
  int n = iterations > 0 ? iterations : c.iterations;
  auto& v = g_samples[key];
  for (int i = 0; i < n; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    c.run(e);
    v.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  auto sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::printf("%-44s %3d runs  median %10.2f ms\n", key.c_str(), n, sorted[sorted.size() / 2]);
  std::fflush(stdout);
}

// The page and search cases (with_offset: also their OFFSET baselines).
void run_pages(Env& e, bool with_offset, int iterations = 0) {
  for (const auto& c : cases()) {
    if (c.csv || (!with_offset && c.offset)) continue;
    run_case(e, c, iterations);
  }
}

void run_csv(Env& e, bool with_offset) {
  for (const auto& c : cases()) {
    if (c.csv && (with_offset || !c.offset)) run_case(e, c, 0);
  }
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

void print_summary() {
  std::printf("\n%-44s %10s %10s\n", "case", "p50 ms", "p95 ms");
  for (const auto& [name, v] : g_samples) std::printf("%-44s %10.2f %10.2f\n", name.c_str(), pct(v, 0.5), pct(v, 0.95));
  for (const auto& [name, v] : g_samples) {
    auto slash = name.rfind("/keyset");
    if (slash == std::string::npos) continue;
    auto o = g_samples.find(name.substr(0, slash) + "/offset");
    if (o != g_samples.end() && pct(v, 0.5) > 0) {
      std::printf("%-44s offset/keyset p50 ratio %.1fx\n", name.substr(0, slash).c_str(), pct(o->second, 0.5) / pct(v, 0.5));
    }
  }
}

}  // namespace

int main() {
  std::vector<std::unique_ptr<Env>> envs;
  envs.push_back(sqlite_env());
  Env* sqlite = envs.back().get();
  Env* maria = nullptr;
  Env* stock = nullptr;
  try {
    envs.push_back(mariadb_env());
    maria = envs.back().get();
    envs.push_back(freepbx_stock_env(*maria));
    stock = envs.back().get();
  } catch (const std::exception& e) {
    std::printf("cdr_bench: MariaDB part skipped: %s\n", e.what());
  }
  // Pages and searches first on every table, the long CSV exports last.
  run_pages(*sqlite, true);
  if (maria) run_pages(*maria, true, 5);  // a MariaDB first page (exact total) takes seconds
  if (stock) {
    run_pages(*stock, false, 2);
    // The stock table again, with the one index the README asks FreePBX admins to add.
    auto t0 = std::chrono::steady_clock::now();
    stock->db->with_session([](soci::session& s) {
      s << "ALTER TABLE cdr ADD INDEX opdesk_linkedid (linkedid, calldate)";
      return 0;
    });
    std::printf("cdr_bench: ADD INDEX opdesk_linkedid on %lld rows took %.1f s\n", stock->rows, since(t0));
    stock->cdr = opdesk::store::CdrStore::open_freepbx(*stock->db);
    stock->name = "mariadb-freepbx+index";
    run_pages(*stock, true);
  }
  print_summary();
  // CSV: the OFFSET baseline only in SQLite (in MariaDB its 200 pages take ~7 s each here).
  run_csv(*sqlite, true);
  if (maria) run_csv(*maria, false);
  print_summary();
  return 0;
}
