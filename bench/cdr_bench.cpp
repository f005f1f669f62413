// Call-log query speed (make bench): 1 M generated CDR rows in SQLite (own table, with the
// indexes CdrStore::migrate creates); first page, deep page, filtered searches and a CSV
// export of 100 k calls, each with keyset (cursor) paging and, in the same run, with
// LIMIT/OFFSET paging as the baseline. Prints p50/p95 per case and the offset/keyset ratio.
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
// asteriskcdrdb.cdr has calldate, uniqueid and recordingfile indexes but NO linkedid index:
// every page then scans for the legs of each call. On FreePBX/Issabel run once (as a MySQL
// admin; the panel's own DB user stays read only):
//   ALTER TABLE asteriskcdrdb.cdr ADD INDEX opdesk_linkedid (linkedid, calldate);
// Without it the call log still works, only slower on large tables. Deep pages cost the same
// as the first page with the cursor; OFFSET paging grows linearly with the page number.
// ---------------------------------
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "api/call_log.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"

namespace {

using opdesk::store::CdrQuery;
using opdesk::store::CdrRecord;

constexpr long long kBase = 1767225600;  // 2026-01-01 00:00:00 UTC
constexpr long long kDeepPosition = 100000;

struct Env {
  std::filesystem::path dir;
  std::unique_ptr<opdesk::store::Database> db;
  std::unique_ptr<opdesk::store::CdrStore> cdr;
  long long rows = 0, calls = 0;
  ~Env() {
    cdr.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
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

Env& env() {
  static std::unique_ptr<Env> e = [] {
    auto owner = std::make_unique<Env>();
    Env& x = *owner;
    long long target = 1000000;
    if (const char* v = std::getenv("OPDESK_CDR_BENCH_ROWS")) target = std::max(10000LL, std::atoll(v));
    x.dir = std::filesystem::temp_directory_path() / ("opdesk-cdr-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(x.dir);
    opdesk::store::DbConfig c;
    c.sqlite_path = (x.dir / "bench.db").string();
    c.pool_size = 1;
    x.db = std::make_unique<opdesk::store::Database>(c);
    x.cdr = std::make_unique<opdesk::store::CdrStore>(*x.db);
    x.cdr->migrate();
    auto t0 = std::chrono::steady_clock::now();
    std::vector<CdrRecord> batch;
    for (long long i = 0; x.rows < target; ++i) {
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
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("cdr_bench: %lld rows / %lld calls loaded into SQLite in %.1f s\n", x.rows, x.calls, secs);
    return owner;
  }();
  return *e;
}

CdrQuery admin_query() {
  CdrQuery q;
  q.scope.all = true;
  q.limit = 50;
  return q;
}

std::map<std::string, std::vector<double>> g_samples;  // case → milliseconds per iteration

template <class F>
void timed(benchmark::State& state, const std::string& name, F f) {
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    g_samples[name].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
}

// Cursor that starts right after position kDeepPosition - 1 (newest first), total known.
CdrQuery deep_query() {
  auto& e = env();
  long long idx = e.calls - kDeepPosition;  // the call at position kDeepPosition - 1
  CdrQuery q = admin_query();
  q.cursor = opdesk::store::CdrCursor{stamp(kBase + idx * 5), linkedid_of(idx), 0, e.calls};
  return q;
}

void BM_FirstPage_Keyset(benchmark::State& s) {
  timed(s, "first_page/keyset", [] { benchmark::DoNotOptimize(env().cdr->query(admin_query())); });
}
void BM_FirstPage_Offset(benchmark::State& s) {
  timed(s, "first_page/offset", [] { benchmark::DoNotOptimize(env().cdr->query_offset(admin_query(), 0)); });
}
void BM_DeepPage_Keyset(benchmark::State& s) {
  timed(s, "deep_page_100k/keyset", [] { benchmark::DoNotOptimize(env().cdr->query(deep_query())); });
}
void BM_DeepPage_Offset(benchmark::State& s) {
  timed(s, "deep_page_100k/offset", [] { benchmark::DoNotOptimize(env().cdr->query_offset(deep_query(), kDeepPosition)); });
}
void BM_Search_Number(benchmark::State& s) {
  auto q = admin_query();
  q.search = "0612345";
  timed(s, "search_number/keyset", [&] { benchmark::DoNotOptimize(env().cdr->query(q)); });
}
void BM_Filter_Extension(benchmark::State& s) {
  auto q = admin_query();
  q.extension = "1500";
  q.date_from = stamp(kBase + env().calls * 5 - 7 * 86400).substr(0, 10);
  timed(s, "extension_last_7_days/keyset", [&] { benchmark::DoNotOptimize(env().cdr->query(q)); });
}

opdesk::api::CallLogQuery export_query() {
  opdesk::api::CallLogQuery q;
  q.cdr = admin_query();
  return q;
}

void BM_Csv100k_Keyset(benchmark::State& s) {
  timed(s, "csv_100k/keyset", [] {
    size_t bytes = 0;
    opdesk::api::call_log_csv(*env().cdr, export_query(), {}, [&](std::string_view c) { bytes += c.size(); }, 500, 100000);
    benchmark::DoNotOptimize(bytes);
  });
}
void BM_Csv100k_Offset(benchmark::State& s) {
  timed(s, "csv_100k/offset", [] {
    size_t bytes = 0;
    auto q = export_query().cdr;
    q.limit = 500;
    for (long long off = 0; off < 100000; off += q.limit) {
      auto page = env().cdr->query_offset(q, off);
      if (!q.cursor) q.cursor = opdesk::store::CdrCursor{"", "", 0, page.total};  // count once
      for (const auto& c : page.calls) bytes += opdesk::api::call_log_item(c, q, {}).dump().size();
    }
    benchmark::DoNotOptimize(bytes);
  });
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

BENCHMARK(BM_FirstPage_Keyset)->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstPage_Offset)->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepPage_Keyset)->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DeepPage_Offset)->Iterations(20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Search_Number)->Iterations(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Filter_Extension)->Iterations(10)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Csv100k_Keyset)->Iterations(3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Csv100k_Offset)->Iterations(3)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  env();
  benchmark::RunSpecifiedBenchmarks();
  std::printf("\n%-30s %10s %10s\n", "case", "p50 ms", "p95 ms");
  for (const auto& [name, v] : g_samples) std::printf("%-30s %10.2f %10.2f\n", name.c_str(), pct(v, 0.5), pct(v, 0.95));
  for (const char* c : {"first_page", "deep_page_100k", "csv_100k"}) {
    auto k = g_samples.find(std::string(c) + "/keyset"), o = g_samples.find(std::string(c) + "/offset");
    if (k != g_samples.end() && o != g_samples.end() && pct(k->second, 0.5) > 0) {
      std::printf("%-30s offset/keyset p50 ratio %.1fx\n", c, pct(o->second, 0.5) / pct(k->second, 0.5));
    }
  }
  benchmark::Shutdown();
  return 0;
}
