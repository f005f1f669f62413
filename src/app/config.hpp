// OpDesk configuration: defaults < opdesk.toml < --env-file (upstream .env) < environment.
//
// Every setting has a documented default (see opdesk.example.toml). Environment variables
// override the file: OPDESK_<SECTION>_<KEY> for every key (e.g. OPDESK_AMI_HOST), plus the
// upstream product's .env keys (AMI_HOST, AMI_SECRET, DB_HOST, JWT_SECRET, CRM_*, ...), so an
// existing install switches by pointing --env-file at its .env. Invalid values raise
// ConfigError whose message is one line naming the key, the value and what is expected;
// unknown keys in the file are returned as warnings.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace opdesk::app {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  struct Server {
    std::string host = "127.0.0.1";
    uint16_t port = 8765;
    std::string data_dir = "./var";
    std::string web_dir;  // built SPA (empty: <source>/web/dist or next to the binary)
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> allowed_origins;  // WS Origin allow-list; empty = same host only
    int64_t max_body_bytes = 1 << 20;
    int idle_timeout_s = 60;
    int max_connections = 4096;
    int max_connections_per_ip = 256;  // 0: no per-address cap (trusted proxies are exempt)
    int header_timeout_s = 10;         // a request's header must be complete within this
  } server;
  struct Tls {
    std::string cert, key;
    bool self_signed = false;
    bool redirect_http = false;
  } tls;
  struct Log {
    std::string level = "warn";
    bool json = false;
  } log;
  struct Database {  // the panel's own tables
    std::string backend = "sqlite";  // sqlite | mysql
    std::string path;                // sqlite file (default <data_dir>/opdesk.db)
    std::string host = "127.0.0.1";
    uint16_t port = 3306;
    std::string user, password, name = "opdesk";
    int pool_size = 4;
  } database;
  struct Ami {
    std::string host = "127.0.0.1";
    uint16_t port = 5038;
    std::string username, secret;
    bool md5 = false;
    bool qos_session = true;  // with qos.enabled: RTCP on a second AMI session
    std::string context = "from-internal";       // dial context for transfers and click-to-call
    std::vector<std::string> queue_local_contexts;  // contexts admins may use for Local/ queue members
    int action_timeout_ms = 10000;
    int ping_interval_s = 20;
  } ami;
  struct Auth {
    std::string jwt_secret;  // empty: random, generated once and kept in the store
    int token_ttl_minutes = 720;
    int login_max_failures = 10;
    int login_window_s = 300;
  } auth;
  struct Demo {
    bool enabled = false;
    int extensions = 24;
    uint64_t seed = 0;  // 0 = time-based
    double speed = 1.0;
    std::string recordings_dir;  // default <data_dir>/recordings
  } demo;
  struct Recordings {
    std::string root = "/var/spool/asterisk/monitor";
    int url_ttl_s = 300;
  } recordings;
  struct FreePbx {  // FreePBX/Issabel databases (read only): directory and CDR
    bool enabled = false;
    std::string host = "127.0.0.1";
    uint16_t port = 3306;
    std::string user, password;
    std::string config_db = "asterisk";
    std::string cdr_db = "asteriskcdrdb";
  } freepbx;
  struct Qos {  // call quality (issue #10); QOS_ENABLED in the upstream .env
    bool enabled = true;
    int update_interval_s = 5;    // at most one QoS delta per call per window
    std::string alert_grade = "poor";  // poor | fair | off: grade that notifies supervisors
    double fair_loss_pct = 1, poor_loss_pct = 5;
    double fair_jitter_ms = 20, poor_jitter_ms = 50;
    double fair_rtt_ms = 200, poor_rtt_ms = 400;
    double fair_mos = 3.8, poor_mos = 3.1;  // below these
  } qos;
  struct WebRtc {
    std::string pbx_server;  // wss://pbx:8089/ws
    std::string domain;      // SIP domain; empty: the host of pbx_server
    std::vector<std::string> ice_servers;  // stun:/turn: URLs for RTCPeerConnection
    std::string turn_username, turn_password;
    std::string dtmf = "rfc4733";  // rfc4733 | info
  } webrtc;
  // CRM_* and other upstream keys, kept verbatim for the CRM module (issue: CRM integration).
  std::map<std::string, std::string> crm;

  std::string sqlite_path() const;
  std::string recordings_dir() const;
};

struct LoadResult {
  Config config;
  std::vector<std::string> warnings;
  std::vector<std::string> sources;  // files read, for the startup log
};

// config_path: TOML file (missing → ConfigError unless optional); env_file: upstream .env.
// env: the process environment as a map (injected for tests).
LoadResult load_config(const std::optional<std::string>& config_path,
                       const std::optional<std::string>& env_file,
                       const std::map<std::string, std::string>& env);

std::map<std::string, std::string> process_environment();
// Parses a .env file (KEY=VALUE, # comments, optional quotes, `export` prefix).
std::map<std::string, std::string> parse_env_file(const std::string& path);
// "host:port" → pair, throws ConfigError naming `key`.
std::pair<std::string, uint16_t> parse_listen(const std::string& key, const std::string& value);

}  // namespace opdesk::app
