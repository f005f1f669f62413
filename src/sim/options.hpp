// Simulator options and counters shared by the server, the PBX model and the CLI.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace opdesk::sim {

// Call quality injected into the RTCP reports of an answered call (issue #10), both directions.
struct Impairment {
  double loss_pct = 0;   // share of packets lost per report interval
  double jitter_ms = 0;  // interarrival jitter (reported in 8 kHz timestamp units)
  double rtt_ms = 0;     // round trip (RTCPReceived RTT)
  bool any() const { return loss_pct > 0 || jitter_ms > 0 || rtt_ms > 0; }
};

struct SimOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 5038;  // 0 = any free port (see Simulator::port())
  std::string username = "opdesk";
  std::string secret;
  int extensions = 20;  // PJSIP endpoints 1001..; the last two are WebRTC (11xx) when >= 4
  int queues = 2;       // support (5001, ringall), sales (5002, ringall), then rrmemory queues
  uint64_t seed = 1;
  double speed = 1.0;   // simulated seconds per real second
  bool office = true;   // run the office day traffic model
  std::string recordings_dir;  // empty: recordings are announced but not written
  bool load = false;           // load mode: many short calls, minimal dialplan noise
  double calls_per_second = 0; // load mode target (simulated time)
  std::string replay_file;     // replay a captured trace instead of simulating
  std::string replay_timing;   // meta/*.timing for the replay pacing
  size_t max_output_bytes = 8u << 20;  // per client; a client that does not read is dropped
  size_t max_clients = 256;
  size_t remembered_actions = 512;     // received_actions() keeps this many frames
  bool register_all = true;            // endpoints start registered (false: as trace 02)
  // RTCP of answered calls: this share of calls (own random stream, same seed → same calls)
  // gets the fair / poor impairment; a call with an extension listed in qos_by_extension
  // gets that one instead. qos_noise: unimpaired calls show a lossy report now and then.
  double qos_fair_share = 0.1;
  double qos_poor_share = 0.05;
  Impairment qos_fair{2.5, 30, 150};
  Impairment qos_poor{8, 70, 420};
  std::map<std::string, Impairment> qos_by_extension;
  bool qos_noise = true;
};

struct Stats {
  uint64_t clients_accepted = 0;
  uint64_t clients_dropped_slow = 0;
  uint64_t clients_active = 0;
  uint64_t actions = 0;
  uint64_t events = 0;
  uint64_t calls_started = 0;
  uint64_t calls_completed = 0;
  uint64_t active_channels = 0;
  double achieved_calls_per_second = 0;
  double achieved_events_per_second = 0;
};

}  // namespace opdesk::sim
