// Engine throughput (make bench): parse + apply of the real traces repeated to ≥1 M events,
// and of a synthetic office (5,000 extensions, 1,000 concurrent calls); bytes allocated per
// event (global operator new hook); resident memory of that office; and our parser against
// a naive baseline (std::map<string,string> per frame) over the same bytes, printed as a ratio.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <unistd.h>

#include "ami/parser.hpp"
#include "pbx/engine.hpp"

// The replaced operator new/delete pair uses malloc/free on purpose (GCC cannot see the pair).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<uint64_t> g_alloc_bytes{0};
std::atomic<uint64_t> g_alloc_count{0};
}  // namespace

void* operator new(std::size_t n) {
  g_alloc_bytes.fetch_add(n, std::memory_order_relaxed);
  g_alloc_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using opdesk::ami::Message;
using opdesk::ami::Parser;
using opdesk::pbx::Engine;

std::string load_traces() {
  std::string all;
  for (const auto& e : std::filesystem::directory_iterator(OPDESK_TRACE_DIR)) {
    if (e.path().extension() != ".ami") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

const std::string& traces() {
  static const std::string s = load_traces();
  return s;
}

// Feeds bytes through parser + engine in 16 KiB reads (as a socket would deliver them) and
// takes the change batch after each read; returns frames applied.
uint64_t run(Engine& engine, std::string_view bytes, int64_t& now) {
  constexpr size_t kRead = 16 * 1024;
  static Parser parser;  // reused like a connection's parser: its buffer keeps its capacity
  static Message msg;
  static std::string detail;
  parser.reset();
  uint64_t frames = 0;
  for (size_t off = 0; off < bytes.size(); off += kRead) {
    parser.feed(bytes.substr(off, kRead));
    for (;;) {
      auto r = parser.next(msg, detail);
      if (r == Parser::Result::kNeedMore) break;
      if (r == Parser::Result::kBanner) engine.on_connection_start(now, detail);
      if (r == Parser::Result::kMessage) {
        engine.apply(msg, now);
        ++frames;
      }
      now += 1;
    }
    engine.take_changes();
  }
  return frames;
}

std::string chan(const std::string& name, const std::string& uid, const std::string& linked, int state) {
  return "Channel: " + name + "\r\nChannelState: " + std::to_string(state) + "\r\nCallerIDNum: " +
         name.substr(6, 4) + "\r\nCallerIDName: Ext\r\nConnectedLineNum: <unknown>\r\nContext: from-internal\r\n"
         "Exten: s\r\nPriority: 1\r\nUniqueid: " + uid + "\r\nLinkedid: " + linked + "\r\n";
}

// 5,000 endpoints, then 1,000 calls that stay up, then `churn` call lifecycles (each hangs
// up one of the live calls and starts a new one) so 1,000 stay concurrent.
std::string office(int churn) {
  std::string s = "Asterisk Call Manager/11.0.0\r\n";
  for (int i = 0; i < 5000; ++i) {
    std::string ext = std::to_string(20000 + i);
    s += "Event: EndpointList\r\nObjectName: " + ext + "\r\nContacts: " + ext + "/sip:x,\r\nDeviceState: Not in use\r\n\r\n";
    s += "Event: ExtensionStatus\r\nExten: " + ext + "\r\nContext: ext-local\r\nHint: PJSIP/" + ext + "\r\nStatus: 0\r\n\r\n";
  }
  auto start = [&s](int n) {
    std::string a = "PJSIP/" + std::to_string(20000 + (2 * n) % 5000) + "-" + std::to_string(n);
    std::string b = "PJSIP/" + std::to_string(20000 + (2 * n + 1) % 5000) + "-" + std::to_string(n);
    std::string ua = "c." + std::to_string(2 * n), ub = "c." + std::to_string(2 * n + 1);
    s += "Event: Newchannel\r\n" + chan(a, ua, ua, 4) + "\r\n";
    s += "Event: Newchannel\r\n" + chan(b, ub, ua, 0) + "\r\n";
    s += "Event: DialBegin\r\n" + chan(a, ua, ua, 4) + "DestChannel: " + b + "\r\nDestUniqueid: " + ub +
         "\r\nDestLinkedid: " + ua + "\r\nDialString: x\r\n\r\n";
    for (int k = 0; k < 4; ++k) {
      s += "Event: VarSet\r\n" + chan(a, ua, ua, 4) + "Variable: V" + std::to_string(k) + "\r\nValue: 1\r\n\r\n";
      s += "Event: Newexten\r\n" + chan(a, ua, ua, 4) + "Extension: s\r\nApplication: Set\r\nAppData: X=1\r\n\r\n";
    }
    s += "Event: Newstate\r\n" + chan(b, ub, ua, 6) + "\r\n";
    s += "Event: BridgeEnter\r\nBridgeUniqueid: br" + ua + "\r\n" + chan(a, ua, ua, 6) + "\r\n";
    s += "Event: BridgeEnter\r\nBridgeUniqueid: br" + ua + "\r\n" + chan(b, ub, ua, 6) + "\r\n";
    s += "Event: DeviceStateChange\r\nDevice: " + a.substr(0, 11) + "\r\nState: INUSE\r\n\r\n";
  };
  auto stop = [&s](int n) {
    std::string a = "PJSIP/" + std::to_string(20000 + (2 * n) % 5000) + "-" + std::to_string(n);
    std::string b = "PJSIP/" + std::to_string(20000 + (2 * n + 1) % 5000) + "-" + std::to_string(n);
    std::string ua = "c." + std::to_string(2 * n), ub = "c." + std::to_string(2 * n + 1);
    s += "Event: Hangup\r\n" + chan(b, ub, ua, 6) + "Cause: 16\r\n\r\n";
    s += "Event: Hangup\r\n" + chan(a, ua, ua, 6) + "Cause: 16\r\n\r\n";
  };
  for (int n = 0; n < 1000; ++n) start(n);
  for (int n = 0; n < churn; ++n) {
    stop(n);
    start(1000 + n);
  }
  return s;
}

long rss_kb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void BM_TracesParseApply(benchmark::State& state) {
  const std::string& bytes = traces();
  uint64_t events = 0, alloc0 = g_alloc_bytes.load();
  int64_t now = 1795501970000;
  for (auto _ : state) {
    Engine engine;
    uint64_t n = 0;
    while (n < 1000000) n += run(engine, bytes, now);  // repeat the traces to ≥1 M events
    events += n;
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["alloc_B/event"] = static_cast<double>(g_alloc_bytes.load() - alloc0) / static_cast<double>(events);
}
BENCHMARK(BM_TracesParseApply)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_OfficeParseApply(benchmark::State& state) {
  static const std::string bytes = office(20000);
  uint64_t events = 0, alloc0 = g_alloc_bytes.load();
  for (auto _ : state) {
    Engine engine;
    int64_t now = 1795501970000;
    events += run(engine, bytes, now);
    if (engine.state().extensions.size() != 5000) state.SkipWithError("office not built");
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["alloc_B/event"] = static_cast<double>(g_alloc_bytes.load() - alloc0) / static_cast<double>(events);
}
BENCHMARK(BM_OfficeParseApply)->Unit(benchmark::kMillisecond);

// Baseline: what a naive client does (one std::map<string,string> per frame).
size_t naive_parse(std::string_view bytes) {
  size_t frames = 0;
  std::map<std::string, std::string> frame;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t eol = bytes.find('\n', pos);
    if (eol == std::string_view::npos) break;
    std::string line(bytes.substr(pos, eol - pos));
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!frame.empty()) ++frames;
      frame = {};
      continue;
    }
    size_t colon = line.find(": ");
    if (colon != std::string::npos) frame[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return frames;
}

size_t our_parse(std::string_view bytes) {
  Parser p;
  Message m;
  std::string d;
  size_t frames = 0;
  p.feed(bytes);
  for (;;) {
    auto r = p.next(m, d);
    if (r == Parser::Result::kNeedMore) break;
    frames += r == Parser::Result::kMessage;
  }
  return frames;
}

void BM_ParseOurs(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(our_parse(traces()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traces().size()));
}
BENCHMARK(BM_ParseOurs);

void BM_ParseNaiveBaseline(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(naive_parse(traces()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * traces().size()));
}
BENCHMARK(BM_ParseNaiveBaseline);

template <class F>
double seconds_for(F f, int reps) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) benchmark::DoNotOptimize(f(traces()));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print_summary() {
  const int reps = 20;
  double ours = seconds_for(our_parse, reps);
  double naive = seconds_for(naive_parse, reps);
  std::printf("parser vs naive std::map baseline (same bytes, same run): %.2fx faster\n", naive / ours);
  static const std::string bytes = office(0);
  const size_t heap0 = mallinfo2().uordblks;
  const long rss0 = rss_kb();
  auto engine = std::make_unique<Engine>();
  int64_t now = 1795501970000;
  run(*engine, bytes, now);
  const double heap_kib = static_cast<double>(mallinfo2().uordblks - heap0) / 1024.0;
  std::printf("memory for %zu extensions + %zu concurrent calls (%zu channels): heap in use %.0f KiB, "
              "resident growth %ld KiB\n",
              engine->state().extensions.size(), engine->state().calls.size(), engine->state().channels.size(),
              heap_kib, rss_kb() - rss0);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  print_summary();
  benchmark::Shutdown();
  return 0;
}
