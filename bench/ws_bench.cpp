// Live fan-out benchmark (make bench): the simulator's load mode (~1,000 AMI events/s over
// 5,000 extensions) → PbxService → Hub → the real net::Server → 1,000 WebSocket clients in 20
// distinct scopes (equal slices of the extensions the PBX reports), all over loopback TCP;
// then, in the same run and on the same sockets, the upstream product's model: the full
// filtered state sent to every client every 500 ms.
//
// Three processes so each figure is clean: the simulator (child 1), the clients (child 2) and
// the server (the parent, one event-loop thread: its getrusage CPU and VmRSS are the server's).
// They share one anonymous mapping: the server stamps each change batch with the monotonic
// time at which its AMI frame was applied (right after parsing; engine apply is µs), keyed by
// seq; a client that reads a frame carrying seq S computes now − stamp[S] (a delta that
// coalesces several batches is timed from its oldest, first_seq; for a baseline state frame:
// every batch since its previous frame). So the latency is end to end, AMI
// frame received by the server → WS frame read by the client process, which includes the
// write, the kernel and the client's own scheduling on this 2-core machine (an upper bound of
// "frame written"). Environment overrides: OPDESK_WSBENCH_{CLIENTS,SCOPES,EXTENSIONS,CPS,SECONDS};
// OPDESK_WSBENCH_DEBUG=1 prints each baseline round.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <spdlog/spdlog.h>

#include "api/hub.hpp"
#include "api/pbx_service.hpp"
#include "api/scope_filter.hpp"
#include "api/state_json.hpp"
#include "net/server.hpp"
#include "sim/simulator.hpp"
#include "ws_bench_client.hpp"

namespace {
namespace asio = boost::asio;
using namespace opdesk;
using wsbench::mono_ns;

int env_int(const char* name, int def) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : def;
}

struct Config {
  int clients = env_int("OPDESK_WSBENCH_CLIENTS", 1000);
  int scopes = env_int("OPDESK_WSBENCH_SCOPES", 20);
  int extensions = env_int("OPDESK_WSBENCH_EXTENSIONS", 5000);
  int cps = env_int("OPDESK_WSBENCH_CPS", 70);  // load-mode calls/s: ≈15 AMI events per call → ≈1,000/s
  int seconds = env_int("OPDESK_WSBENCH_SECONDS", 10);
};

enum Phase : int { kSetup = 0, kDelta = 1, kBaseline = 2, kDone = 3 };
constexpr size_t kRing = 1 << 16;

struct ModeResult {  // written by the clients child
  uint64_t frames = 0, bytes = 0, samples = 0, failures = 0;
  double p50 = 0, p99 = 0, max = 0;
  double cpu_s = 0;  // the clients process's own CPU in this mode (it reads every frame)
};
struct ServerFigures {
  double seconds = 0, cpu_s = 0, rss_mib = 0, wait_s = 0;
  uint64_t events = 0, batches = 0, skipped = 0, sent = 0;
};
struct Shared {
  std::atomic<int> sim_port{0}, server_port{0}, phase{kSetup}, ready{0}, results{0};
  std::atomic<uint64_t> stamp_seq[kRing];
  std::atomic<uint64_t> stamp_ns[kRing];
  ModeResult mode[2];
};

// ---- simulator (child 1) ---------------------------------------------------------------

void run_sim(Shared& sh, const Config& cfg) {
  asio::io_context io;
  sim::SimOptions o;
  o.port = 0;
  o.username = "bench";
  o.secret = "bench-secret";
  o.extensions = cfg.extensions;
  o.load = true;
  o.calls_per_second = cfg.cps;
  o.max_output_bytes = 64u << 20;  // the 5,000-endpoint resync is sent in one burst
  sim::Simulator s(io.get_executor(), o);
  s.start();
  sh.sim_port = s.port();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    while (sh.phase.load() != kDone) {
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(asio::use_awaitable);
    }
    s.stop();
    io.stop();
  }, asio::detached);
  io.run();
}

// ---- clients (child 2) -----------------------------------------------------------------

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}


void run_clients(Shared& sh, const Config& cfg) {
  asio::io_context io;
  // The server opens the door once the resync gave it the extensions the scopes are cut from.
  while (sh.server_port.load() == 0) {
    if (sh.phase.load() == kDone) return;  // setup failed
    usleep(10000);
  }
  wsbench::Histogram hist[2];
  ModeResult res[2];
  std::vector<uint64_t> last(cfg.clients, 0);
  std::vector<char> ready(cfg.clients, 0);
  std::vector<std::shared_ptr<wsbench::Client>> clients;
  auto latency = [&](int k, uint64_t seq, uint64_t now) {
    size_t i = seq & (kRing - 1);
    if (sh.stamp_seq[i].load(std::memory_order_acquire) != seq) return;
    uint64_t at = sh.stamp_ns[i].load(std::memory_order_relaxed);
    if (now > at) hist[k].add(now - at);
  };
  for (int c = 0; c < cfg.clients; ++c) {
    auto sink = [&, c](size_t wire, std::string_view p) {
      if (!ready[c] && p.starts_with("{\"epoch\"")) {  // the hub's snapshot after auth
        ready[c] = 1;
        sh.ready.fetch_add(1);
        return;
      }
      int ph = sh.phase.load(std::memory_order_relaxed);
      if (ph != kDelta && ph != kBaseline) return;
      int k = ph == kDelta ? 0 : 1;
      res[k].frames++;
      res[k].bytes += wire;
      uint64_t now = mono_ns();
      if (p.starts_with("{\"changes\"")) {
        // A delta may carry several engine batches (first_seq..seq): timed from the oldest.
        uint64_t first = wsbench::field_of(p, "first_seq");
        latency(k, first ? first : wsbench::seq_of(p, true), now);
      } else if (p.starts_with("{\"seq\"")) {
        uint64_t seq = wsbench::seq_of(p, false);
        if (last[c] != 0) {
          for (uint64_t s = last[c] + 1; s <= seq; ++s) latency(k, s, now);
        }
        last[c] = seq;
      }
    };
    auto cl = std::make_shared<wsbench::Client>(io, sink);
    cl->start(static_cast<uint16_t>(sh.server_port.load()), "scope-" + std::to_string(c % cfg.scopes),
              [&, c](bool clean) {
                if (sh.phase.load() == kSetup) {
                  std::fprintf(stderr, "ws_bench: client %d ended during setup (%s)\n", c,
                               clean ? "socket closed" : clients[c]->error().c_str());
                }
                res[sh.phase.load() == kBaseline ? 1 : 0].failures++;
              });
    clients.push_back(cl);
  }
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    int seen = kSetup;
    double cpu_at = cpu_seconds();
    while (seen != kDone) {
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(asio::use_awaitable);
      int ph = sh.phase.load();
      if (ph == seen) continue;
      double cpu = cpu_seconds();
      if (seen == kDelta || seen == kBaseline) res[seen == kDelta ? 0 : 1].cpu_s = cpu - cpu_at;
      cpu_at = cpu;
      seen = ph;
    }
    for (int k = 0; k < 2; ++k) {
      res[k].samples = hist[k].count;
      res[k].p50 = hist[k].percentile_ms(0.50);
      res[k].p99 = hist[k].percentile_ms(0.99);
      res[k].max = hist[k].percentile_ms(1.0);
      sh.mode[k] = res[k];
    }
    sh.results = 1;
    for (auto& c : clients) c->stop();
    io.stop();
  }, asio::detached);
  io.run();
}

// ---- server (parent) -------------------------------------------------------------------

// Time this thread was runnable but waiting for a CPU (/proc/thread-self/schedstat, 2nd
// field): on a shared machine it tells a starved server from a slow one.
double runqueue_seconds() {
  std::ifstream f("/proc/thread-self/schedstat");
  double on_cpu = 0, waiting = 0;
  f >> on_cpu >> waiting;
  return waiting / 1e9;
}

double rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}

// Token "scope-i" → a supervisor over the i-th slice of the extensions. The slices are cut
// from the extensions the engine holds after the resync, not from assumed numbers: the
// simulator numbers its endpoints 1001.. up to 3,999 phones and 10001.. beyond, so scopes
// built from 1001.. saw none of 5,000 extensions and the delta mode sent nothing at all.
struct SliceAuth : api::Authenticator {
  const Config& cfg;
  std::vector<std::string> exts;  // set once, from the engine, before any client connects
  explicit SliceAuth(const Config& c) : cfg(c) {}
  void set_extensions(const pbx::State& st) {
    exts.clear();
    for (const auto& [id, e] : st.extensions) exts.push_back(id);
  }
  api::Principal principal(const std::string& token) const {
    api::Principal p;
    int i = std::atoi(token.c_str() + 6);
    size_t per = exts.size() / static_cast<size_t>(std::max(1, cfg.scopes));
    p.user_id = i + 1;
    p.username = token;
    p.role = "supervisor";
    for (size_t e = per * i; e < per * (i + 1) && e < exts.size(); ++e) p.extensions.insert(exts[e]);
    p.me = {{"username", token}};
    return p;
  }
  asio::awaitable<Result> authenticate(std::string token) override {
    if (token.rfind("scope-", 0) != 0) co_return Result{std::nullopt, "auth.token.invalid", "bad token"};
    co_return Result{principal(token), "", ""};
  }
  asio::awaitable<Result> reload(const api::Principal& p) override { co_return Result{p, "", ""}; }
};

struct NoActions : api::ActionRunner {
  asio::awaitable<Outcome> run(const api::Principal&, std::string, nlohmann::json, std::string) override {
    co_return Outcome{false, {}, 400, "request.action.unknown", "the bench runs no actions"};
  }
};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void run_server(Shared& sh, const Config& cfg, ServerFigures fig[2]) {
  asio::io_context io;
  api::PbxOptions po;
  po.ami.port = static_cast<uint16_t>(sh.sim_port.load());
  po.ami.username = "bench";
  po.ami.secret = "bench-secret";
  api::PbxService svc(io.get_executor(), po, wall_ms);
  SliceAuth auth(cfg);
  NoActions none;
  api::Hub hub(io.get_executor(), svc.engine(), auth, none, api::HubOptions{}, wall_ms);
  std::vector<std::pair<std::weak_ptr<api::WsPeer>, api::Principal>> peers;
  uint64_t batches = 0;
  bool resynced = false;
  svc.on_resync = [&] { resynced = true; };
  svc.on_changes = [&](const pbx::ChangeBatch& b) {
    size_t i = b.seq & (kRing - 1);
    sh.stamp_ns[i].store(mono_ns(), std::memory_order_relaxed);
    sh.stamp_seq[i].store(b.seq, std::memory_order_release);
    ++batches;
    if (sh.phase.load() != kBaseline) hub.publish(b);
  };
  net::ServerOptions so;
  so.port = 0;
  net::Server server(
      io.get_executor(), so, [](api::Request&) -> asio::awaitable<api::Response> { co_return api::Response{404}; },
      [&](std::shared_ptr<api::WsPeer> peer, const api::Request& req) {
        peers.emplace_back(peer, auth.principal(req.query_value("token").value_or("scope-0")));
        return hub.accept(std::move(peer), req);
      });
  server.start();
  svc.start();
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(io);
    auto sleep = [&](auto d) -> asio::awaitable<void> {
      t.expires_after(d);
      co_await t.async_wait(asio::use_awaitable);
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    int waited = 0;
    while ((!resynced || sh.ready.load() < cfg.clients) && std::chrono::steady_clock::now() < deadline) {
      if (resynced && sh.server_port.load() == 0) {  // the scopes exist now: let the clients in
        auth.set_extensions(svc.engine().state());
        if (auth.exts.size() != static_cast<size_t>(cfg.extensions)) {
          std::fprintf(stderr, "ws_bench: the PBX reports %zu extensions, %d simulated\n", auth.exts.size(),
                       cfg.extensions);
        }
        sh.server_port = server.port();
      }
      co_await sleep(std::chrono::milliseconds(100));
      if (++waited % 50 == 0) {
        std::fprintf(stderr, "ws_bench: waiting: resync %s, %d/%d clients ready, %llu AMI events\n",
                     resynced ? "done" : "running", sh.ready.load(), cfg.clients,
                     static_cast<unsigned long long>(svc.status().events));
      }
    }
    {
      auto hs = hub.stats();
      std::fprintf(stderr, "ws_bench: setup done: hub %llu snapshots, %llu slow resets, engine epoch %llu\n",
                   (unsigned long long)hs.snapshots, (unsigned long long)hs.slow_resets,
                   (unsigned long long)svc.engine().epoch());
    }
    if (!resynced || sh.ready.load() < cfg.clients) {
      std::fprintf(stderr, "ws_bench: setup did not finish in 180 s\n");
      sh.phase = kDone;
      io.stop();
      co_return;
    }
    co_await sleep(std::chrono::seconds(2));  // warm-up
    for (int k = 0; k < 2; ++k) {
      sh.phase = k == 0 ? kDelta : kBaseline;
      auto t0 = std::chrono::steady_clock::now();
      double cpu0 = cpu_seconds(), wait0 = runqueue_seconds();
      uint64_t ev0 = svc.status().events, b0 = batches;
      auto end = t0 + std::chrono::seconds(cfg.seconds);
      auto next_round = t0;
      while (std::chrono::steady_clock::now() < end) {
        if (k == 0) {
          co_await sleep(std::chrono::milliseconds(100));
          continue;
        }
        // Baseline: like upstream's _broadcast_state_loop, every client its filtered state.
        auto snap = api::snapshot_json(svc.engine(), wall_ms());
        std::string head = "{\"seq\":" + std::to_string(svc.engine().seq()) + ",\"type\":\"state\",\"state\":";
        for (auto& [wp, p] : peers) {
          auto peer = wp.lock();
          if (!peer) continue;
          if (peer->queued_bytes() > (8u << 20)) {  // the same per-client cap as the hub
            ++fig[1].skipped;
            continue;
          }
          peer->send(std::make_shared<const std::string>(head + api::filter_snapshot(p, snap).dump() + "}"));
          ++fig[1].sent;
        }
        if (std::getenv("OPDESK_WSBENCH_DEBUG")) std::fprintf(stderr, "baseline round: %llu sent\n", (unsigned long long)fig[1].sent);
        // Rounds start every 500 ms; a round that takes longer starts the next one at once.
        next_round += std::chrono::milliseconds(500);
        t.expires_at(std::max(next_round, std::chrono::steady_clock::now()));
        co_await t.async_wait(asio::use_awaitable);
      }
      fig[k].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      fig[k].cpu_s = cpu_seconds() - cpu0;
      fig[k].wait_s = runqueue_seconds() - wait0;
      fig[k].rss_mib = rss_mib();
      fig[k].events = svc.status().events - ev0;
      fig[k].batches = batches - b0;
      auto hs = hub.stats();
      std::fprintf(stderr, "ws_bench: end of %s: hub %llu snapshots, %llu slow resets, %llu slow closes\n",
                   k == 0 ? "deltas" : "baseline", (unsigned long long)hs.snapshots,
                   (unsigned long long)hs.slow_resets, (unsigned long long)hs.slow_closes);
    }
    sh.phase = kDone;
    while (sh.results.load() == 0) co_await sleep(std::chrono::milliseconds(50));
    hub.shutdown();
    server.stop();
    svc.stop();
    co_await sleep(std::chrono::milliseconds(200));
    io.stop();
  }, asio::detached);
  io.run();
}

void print(const Config& cfg, const ServerFigures fig[2], const ModeResult mode[2]) {
  std::printf("ws_bench: %d extensions, %d WebSocket clients in %d scopes, %d s per mode, loopback TCP\n",
              cfg.extensions, cfg.clients, cfg.scopes, cfg.seconds);
  for (int k = 0; k < 2; ++k) {
    std::printf("  %-8s AMI %.0f events/s (%.0f batches/s), %llu latency samples, %llu client failures%s\n",
                k == 0 ? "deltas:" : "baseline:", fig[k].events / fig[k].seconds, fig[k].batches / fig[k].seconds,
                static_cast<unsigned long long>(mode[k].samples), static_cast<unsigned long long>(mode[k].failures),
                k == 0 ? "" : (", " + std::to_string(fig[1].sent / std::max(1, cfg.clients) / fig[1].seconds).substr(0, 4) +
                               " state rounds/s, " + std::to_string(fig[1].skipped) +
                               " state frames skipped (client backlog > 8 MiB)").c_str());
  }
  auto per_event = [&](int k) { return fig[k].events ? double(mode[k].bytes) / cfg.clients / fig[k].events : 0.0; };
  auto row = [](const char* name, double d, double b) {
    std::printf("  %-40s %12.2f %12.2f %10.1fx\n", name, d, b, d > 0 ? b / d : 0.0);
  };
  // No samples: no client read two frames within the mode, so no change was seen to arrive.
  auto lat_row = [&](const char* name, double d, double b) {
    if (mode[0].samples && mode[1].samples) return row(name, d, b);
    auto cell = [](uint64_t n, double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", v);
      return n ? std::string(buf) : std::string("n/a");
    };
    std::printf("  %-40s %12s %12s %11s\n", name, cell(mode[0].samples, d).c_str(), cell(mode[1].samples, b).c_str(), "-");
  };
  std::printf("  %-40s %12s %12s %11s\n", "", "deltas", "baseline", "base/delta");
  lat_row("latency p50, AMI frame -> client read (ms)", mode[0].p50, mode[1].p50);
  lat_row("latency p99 (ms)", mode[0].p99, mode[1].p99);
  lat_row("latency max (ms)", mode[0].max, mode[1].max);
  if (!mode[1].samples) {
    std::printf("  (baseline latency n/a: no client received two full states within %d s)\n", cfg.seconds);
  }
  row("bytes per client per AMI event", per_event(0), per_event(1));
  row("frames per client per second", mode[0].frames / double(cfg.clients) / fig[0].seconds,
      mode[1].frames / double(cfg.clients) / fig[1].seconds);
  row("server CPU (% of one core)", 100 * fig[0].cpu_s / fig[0].seconds, 100 * fig[1].cpu_s / fig[1].seconds);
  row("server waiting for a CPU (% of the time)", 100 * fig[0].wait_s / fig[0].seconds,
      100 * fig[1].wait_s / fig[1].seconds);
  row("server RSS at end of mode (MiB)", fig[0].rss_mib, fig[1].rss_mib);
  row("clients process CPU (% of one core)", 100 * mode[0].cpu_s / fig[0].seconds,
      100 * mode[1].cpu_s / fig[1].seconds);
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  Config cfg;
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  auto* sh = new (mem) Shared();
  pid_t sim = fork();
  if (sim == 0) {
    run_sim(*sh, cfg);
    _exit(0);
  }
  while (sh->sim_port.load() == 0) usleep(10000);
  pid_t cl = fork();
  if (cl == 0) {
    run_clients(*sh, cfg);
    _exit(0);
  }
  ServerFigures fig[2];
  run_server(*sh, cfg, fig);
  int st = 0;
  waitpid(cl, &st, 0);
  waitpid(sim, &st, 0);
  ModeResult mode[2] = {sh->mode[0], sh->mode[1]};
  print(cfg, fig, mode);
  bool ok = mode[0].samples > 0 && mode[0].failures == 0;
  return ok ? 0 : 1;
}
