// Configuration loading; see config.hpp for precedence and error rules.
//
// One binding table maps every key ("section.name") to a setter that parses a string, so the
// TOML file, OPDESK_* variables and upstream .env keys share one validation path and one
// error format: "config: <key> = '<value>': expected <what>".
#include "config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

extern char** environ;

namespace opdesk::app {
namespace {

using Setter = std::function<void(Config&, const std::string&)>;

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& what) {
  std::string shown = value.size() > 80 ? value.substr(0, 80) + "..." : value;
  throw ConfigError("config: " + key + " = '" + shown + "': expected " + what);
}

long long to_int(const std::string& key, const std::string& v, long long min, long long max) {
  long long out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < min || out > max) {
    bad(key, v, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return out;
}

bool to_bool(const std::string& key, const std::string& v) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off" || l.empty()) return false;
  bad(key, v, "true or false");
}

std::vector<std::string> to_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed) {
  std::string l = v;
  std::transform(l.begin(), l.end(), l.begin(), ::tolower);
  std::string list;
  for (const char* a : allowed) {
    if (l == a) return l;
    list += list.empty() ? a : std::string(", ") + a;
  }
  bad(key, v, "one of " + list);
}

double to_double(const std::string& key, const std::string& v, double min, double max) {
  double out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < min || out > max) {
    bad(key, v, "a number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return out;
}

#define STR(field) [](Config& c, const std::string& v) { c.field = v; }
#define BOOL(key, field) [](Config& c, const std::string& v) { c.field = to_bool(key, v); }
#define INT(key, field, lo, hi) \
  [](Config& c, const std::string& v) { c.field = static_cast<decltype(c.field)>(to_int(key, v, lo, hi)); }
#define LIST(field) [](Config& c, const std::string& v) { c.field = to_list(v); }

const std::map<std::string, Setter>& bindings() {
  static const std::map<std::string, Setter> table = {
      {"server.listen", [](Config& c, const std::string& v) {
         auto [h, p] = parse_listen("server.listen", v);
         c.server.host = h;
         c.server.port = p;
       }},
      {"server.host", STR(server.host)},
      {"server.port", INT("server.port", server.port, 0, 65535)},
      {"server.data_dir", STR(server.data_dir)},
      {"server.web_dir", STR(server.web_dir)},
      {"server.trusted_proxies", LIST(server.trusted_proxies)},
      {"server.allowed_origins", LIST(server.allowed_origins)},
      {"server.max_body_bytes", INT("server.max_body_bytes", server.max_body_bytes, 1024, 1LL << 30)},
      {"server.idle_timeout_s", INT("server.idle_timeout_s", server.idle_timeout_s, 1, 3600)},
      {"server.max_connections", INT("server.max_connections", server.max_connections, 16, 1000000)},
      {"server.max_connections_per_ip", INT("server.max_connections_per_ip", server.max_connections_per_ip, 0, 1000000)},
      {"server.header_timeout_s", INT("server.header_timeout_s", server.header_timeout_s, 1, 3600)},
      {"tls.cert", STR(tls.cert)},
      {"tls.key", STR(tls.key)},
      {"tls.self_signed", BOOL("tls.self_signed", tls.self_signed)},
      {"tls.redirect_http", BOOL("tls.redirect_http", tls.redirect_http)},
      {"log.level", [](Config& c, const std::string& v) {
         c.log.level = one_of("log.level", v, {"trace", "debug", "info", "warn", "error", "off"});
       }},
      {"log.json", BOOL("log.json", log.json)},
      {"database.backend", [](Config& c, const std::string& v) {
         c.database.backend = one_of("database.backend", v, {"sqlite", "mysql", "mariadb"});
         if (c.database.backend == "mariadb") c.database.backend = "mysql";
       }},
      {"database.path", STR(database.path)},
      {"database.host", STR(database.host)},
      {"database.port", INT("database.port", database.port, 1, 65535)},
      {"database.user", STR(database.user)},
      {"database.password", STR(database.password)},
      {"database.name", STR(database.name)},
      {"database.pool_size", INT("database.pool_size", database.pool_size, 1, 64)},
      {"ami.host", STR(ami.host)},
      {"ami.port", INT("ami.port", ami.port, 1, 65535)},
      {"ami.username", STR(ami.username)},
      {"ami.secret", STR(ami.secret)},
      {"ami.md5", BOOL("ami.md5", ami.md5)},
      {"ami.qos_session", BOOL("ami.qos_session", ami.qos_session)},
      {"ami.context", STR(ami.context)},
      {"ami.queue_local_contexts", LIST(ami.queue_local_contexts)},
      {"ami.action_timeout_ms", INT("ami.action_timeout_ms", ami.action_timeout_ms, 100, 600000)},
      {"ami.ping_interval_s", INT("ami.ping_interval_s", ami.ping_interval_s, 1, 3600)},
      {"auth.jwt_secret", STR(auth.jwt_secret)},
      {"auth.token_ttl_minutes", INT("auth.token_ttl_minutes", auth.token_ttl_minutes, 1, 60 * 24 * 30)},
      {"auth.login_max_failures", INT("auth.login_max_failures", auth.login_max_failures, 1, 1000)},
      {"auth.login_window_s", INT("auth.login_window_s", auth.login_window_s, 1, 86400)},
      {"demo.enabled", BOOL("demo.enabled", demo.enabled)},
      {"demo.extensions", INT("demo.extensions", demo.extensions, 1, 20000)},
      {"demo.seed", INT("demo.seed", demo.seed, 0, 1LL << 62)},
      {"demo.speed", [](Config& c, const std::string& v) {
         double d = 0;
         auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
         if (ec != std::errc() || p != v.data() + v.size() || d <= 0 || d > 1000) {
           bad("demo.speed", v, "a number greater than 0 and at most 1000");
         }
         c.demo.speed = d;
       }},
      {"demo.recordings_dir", STR(demo.recordings_dir)},
      {"recordings.root", STR(recordings.root)},
      {"recordings.url_ttl_s", INT("recordings.url_ttl_s", recordings.url_ttl_s, 10, 86400)},
      {"freepbx.enabled", BOOL("freepbx.enabled", freepbx.enabled)},
      {"freepbx.host", STR(freepbx.host)},
      {"freepbx.port", INT("freepbx.port", freepbx.port, 1, 65535)},
      {"freepbx.user", STR(freepbx.user)},
      {"freepbx.password", STR(freepbx.password)},
      {"freepbx.config_db", STR(freepbx.config_db)},
      {"freepbx.cdr_db", STR(freepbx.cdr_db)},
      {"qos.enabled", BOOL("qos.enabled", qos.enabled)},
      {"qos.update_interval_s", INT("qos.update_interval_s", qos.update_interval_s, 1, 300)},
      {"qos.alert_grade", [](Config& c, const std::string& v) { c.qos.alert_grade = one_of("qos.alert_grade", v, {"poor", "fair", "off"}); }},
#define QOS_NUM(name, hi) {"qos." #name, [](Config& c, const std::string& v) { c.qos.name = to_double("qos." #name, v, 0, hi); }}
      QOS_NUM(fair_loss_pct, 100), QOS_NUM(poor_loss_pct, 100), QOS_NUM(fair_jitter_ms, 10000),
      QOS_NUM(poor_jitter_ms, 10000), QOS_NUM(fair_rtt_ms, 60000), QOS_NUM(poor_rtt_ms, 60000),
      QOS_NUM(fair_mos, 5), QOS_NUM(poor_mos, 5),
#undef QOS_NUM
      {"webrtc.pbx_server", STR(webrtc.pbx_server)},
      {"webrtc.domain", STR(webrtc.domain)},
      {"webrtc.ice_servers", LIST(webrtc.ice_servers)},
      {"webrtc.turn_username", STR(webrtc.turn_username)},
      {"webrtc.turn_password", STR(webrtc.turn_password)},
      {"webrtc.dtmf", [](Config& c, const std::string& v) { c.webrtc.dtmf = one_of("webrtc.dtmf", v, {"rfc4733", "info"}); }},
  };
  return table;
}

// Upstream .env keys → our keys (opdesk-upstream.md §4.3, §10.1).
const std::map<std::string, std::string>& upstream_keys() {
  static const std::map<std::string, std::string> m = {
      {"AMI_HOST", "ami.host"},
      {"AMI_PORT", "ami.port"},
      {"AMI_USERNAME", "ami.username"},
      {"AMI_SECRET", "ami.secret"},
      {"AMI_CONTEXT", "ami.context"},
      {"CLICK_TO_CALL_CONTEXT", "ami.context"},
      {"DB_HOST", "freepbx.host"},
      {"DB_PORT", "freepbx.port"},
      {"DB_USER", "freepbx.user"},
      {"DB_PASSWORD", "freepbx.password"},
      {"DB_NAME", "freepbx.config_db"},
      {"DB_CDR", "freepbx.cdr_db"},
      {"JWT_SECRET", "auth.jwt_secret"},
      {"QOS_ENABLED", "qos.enabled"},
      {"ASTERISK_RECORDING_ROOT_DIR", "recordings.root"},
      {"PORT", "server.port"},
      {"OPDESK_BIND_HOST", "server.host"},
      {"HTTPS_CERT", "tls.cert"},
      {"HTTPS_KEY", "tls.key"},
      {"CORS_ALLOWED_ORIGINS", "server.allowed_origins"},
      {"WEBRTC_PBX_SERVER", "webrtc.pbx_server"},
  };
  return m;
}

std::string toml_to_string(const toml::node& n) {
  if (auto s = n.as_string()) return s->get();
  if (auto i = n.as_integer()) return std::to_string(i->get());
  if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
  if (auto f = n.as_floating_point()) {
    std::ostringstream os;
    os << f->get();
    return os.str();
  }
  if (auto a = n.as_array()) {
    std::string out;
    for (const auto& e : *a) {
      if (!out.empty()) out += ",";
      out += toml_to_string(e);
    }
    return out;
  }
  return {};
}

void apply(Config& c, const std::string& key, const std::string& value) {
  bindings().at(key)(c, value);
}

void apply_env(Config& c, const std::map<std::string, std::string>& env) {
  for (const auto& [name, value] : env) {
    if (auto it = upstream_keys().find(name); it != upstream_keys().end()) {
      if (!value.empty()) apply(c, it->second, value);
      continue;
    }
    if (name.rfind("CRM_", 0) == 0 || name == "WEBHOOK_LOG_RETENTION_DAYS") {
      c.crm[name] = value;
      continue;
    }
    if (name.rfind("OPDESK_", 0) != 0) continue;
    // OPDESK_AMI_HOST → ami.host ; OPDESK_SERVER_DATA_DIR → server.data_dir
    std::string rest = name.substr(7);
    std::transform(rest.begin(), rest.end(), rest.begin(), ::tolower);
    auto us = rest.find('_');
    if (us == std::string::npos) continue;
    std::string key = rest.substr(0, us) + "." + rest.substr(us + 1);
    if (bindings().count(key)) apply(c, key, value);
  }
}

}  // namespace

std::pair<std::string, uint16_t> parse_listen(const std::string& key, const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) bad(key, value, "HOST:PORT, e.g. 127.0.0.1:8765");
  std::string host = value.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = static_cast<uint16_t>(to_int(key, value.substr(colon + 1), 0, 65535));
  return {host, port};
}

std::string Config::sqlite_path() const {
  return database.path.empty() ? server.data_dir + "/opdesk.db" : database.path;
}

std::string Config::recordings_dir() const {
  if (demo.enabled) return demo.recordings_dir.empty() ? server.data_dir + "/recordings" : demo.recordings_dir;
  return recordings.root;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string s(*e);
    auto eq = s.find('=');
    if (eq != std::string::npos) env[s.substr(0, eq)] = s.substr(eq + 1);
  }
  return env;
}

std::map<std::string, std::string> parse_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("config: cannot read env file '" + path + "'");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    line = line.substr(b);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = line.substr(0, eq);
    std::string v = line.substr(eq + 1);
    while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
    auto vb = v.find_first_not_of(" \t");
    v = vb == std::string::npos ? "" : v.substr(vb);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    } else if (auto hash = v.find(" #"); hash != std::string::npos) {
      v = v.substr(0, hash);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    out[k] = v;
  }
  return out;
}

LoadResult load_config(const std::optional<std::string>& config_path,
                       const std::optional<std::string>& env_file,
                       const std::map<std::string, std::string>& env) {
  LoadResult r;
  if (config_path) {
    toml::table tbl;
    try {
      tbl = toml::parse_file(*config_path);
    } catch (const toml::parse_error& e) {
      std::ostringstream os;
      os << "config: " << *config_path << ":" << e.source().begin.line << ": ";
      // toml++ quotes the offending text raw ("saw 'na<LF>'"): keep the error one line.
      for (char ch : e.description()) os << (static_cast<unsigned char>(ch) < 0x20 ? ' ' : ch);
      throw ConfigError(os.str());
    }
    r.sources.push_back(*config_path);
    for (const auto& [section, node] : tbl) {
      const auto* t = node.as_table();
      if (!t) {
        r.warnings.push_back("unknown key '" + std::string(section.str()) + "' ignored");
        continue;
      }
      for (const auto& [name, value] : *t) {
        std::string key = std::string(section.str()) + "." + std::string(name.str());
        if (std::string(section.str()) == "crm") {
          std::string up = std::string(name.str());
          std::transform(up.begin(), up.end(), up.begin(), ::toupper);
          r.config.crm["CRM_" + up] = toml_to_string(value);
          continue;
        }
        if (!bindings().count(key)) {
          r.warnings.push_back("unknown key '" + key + "' ignored");
          continue;
        }
        apply(r.config, key, toml_to_string(value));
      }
    }
  }
  if (env_file) {
    apply_env(r.config, parse_env_file(*env_file));
    r.sources.push_back(*env_file);
  }
  apply_env(r.config, env);
  if (!r.config.tls.cert.empty() != !r.config.tls.key.empty()) {
    throw ConfigError("config: tls.cert and tls.key must be set together");
  }
  // Another web client (e.g. the upstream product's build) may be served instead of ours; a
  // root without index.html would only answer 503s, so it is refused at start.
  if (const auto& web = r.config.server.web_dir; !web.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::path(web) / "index.html", ec)) {
      bad("server.web_dir", web, "a directory holding a built web client (index.html)");
    }
  }
  return r;
}

}  // namespace opdesk::app
