// Health checks shared by `opdesk doctor` and the admin Health page (GET /api/health/checks).
//
// run_health_checks opens its own short AMI session (never the panel's state session), probes
// what the panel needs — reachability, login, the permissions of the actions it sends,
// Asterisk version and channel drivers, hints, queues, cdr_manager, timestamped events, RTCP
// events, clock skew — then checks the local side: recordings folder, databases (probes
// supplied by the caller, so this file needs no SOCI), TLS certificate. Every check yields
// ok/warn/fail, a one-line detail and, unless ok, a concrete fix. Nothing here blocks the event
// loop except small local file reads (stat, one PEM file), done once per run.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ami/client.hpp"

namespace opdesk::api {

enum class CheckStatus { Ok, Warn, Fail };
std::string_view to_string(CheckStatus s);

struct CheckResult {
  std::string id;      // stable key: ami_reachable, ami_login, ...
  std::string title;   // short English title (the web page translates by id)
  CheckStatus status = CheckStatus::Ok;
  std::string detail;  // what was found
  std::string fix;     // what to do (empty when ok)
};

// A database reachability probe: returns "" when the database answered, else the error.
struct DbProbe {
  std::string name;  // "panel", "freepbx"
  std::function<boost::asio::awaitable<std::string>()> probe;
};

// What the running server's own AMI session has seen (the doctor CLI has none; it watches its
// probe session for `observe` instead).
struct LiveObservations {
  uint64_t events = 0;       // events received
  uint64_t timestamped = 0;  // events that carried a Timestamp header
  uint64_t cdr = 0;          // Cdr events (cdr_manager)
  uint64_t rtcp = 0;         // RTCPSent/RTCPReceived events
  uint64_t calls = 0;        // Newchannel events
};

struct HealthCheckOptions {
  ami::ClientOptions ami;  // host, port, username, secret, md5
  std::chrono::milliseconds observe{2000};  // how long the probe session listens for events
  std::string recordings_root;
  std::string tls_cert;     // PEM path; empty: plain HTTP
  std::string listen_host;  // for the "no TLS on a public address" warning
  int tls_warn_days = 14;   // a certificate expiring sooner is a warning
  std::vector<DbProbe> databases;
  std::function<LiveObservations()> live;  // optional: the server's own session counters
  std::function<int64_t()> now_ms;         // wall clock (injected for tests)
};

boost::asio::awaitable<std::vector<CheckResult>> run_health_checks(boost::asio::any_io_executor ex,
                                                                  HealthCheckOptions opts);

// {"checks":[{id,title,status,detail,fix}],"summary":{"ok":n,"warn":n,"fail":n}}
nlohmann::json to_json(const std::vector<CheckResult>& checks);
bool any_failed(const std::vector<CheckResult>& checks);

// Local checks (health_local.cpp), also used on their own by tests.
CheckResult check_recordings(const std::string& root);
CheckResult check_tls(const std::string& cert_path, const std::string& listen_host, int warn_days,
                      int64_t now_ms);
// Skew between Asterisk's clock (Ping's Timestamp, seconds) and ours.
CheckResult check_clock_skew(double asterisk_epoch_s, int64_t now_ms);

}  // namespace opdesk::api
