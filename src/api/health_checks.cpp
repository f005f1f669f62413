// AMI side of the health checks (see health_checks.hpp).
//
// One probe session (its own ami::Client, Events on, no reconnect within the run) logs in,
// then sends only harmless actions. Permissions are probed the way Asterisk checks them: an
// action is refused with "Permission denied" before its arguments are looked at, so sending
// Hangup/Originate/Redirect/QueuePause with a missing or unknown channel proves the write class
// without touching a call. Read classes cannot be queried; they show in the events received
// (timestamped events, Cdr, RTCP), counted here and, when the server runs, by its own session.
#include "health_checks.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace opdesk::api {
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr size_t kMaxListed = 10;  // names listed in a detail line before "..."

CheckResult make(std::string id, std::string title, CheckStatus s, std::string detail, std::string fix = {}) {
  return CheckResult{std::move(id), std::move(title), s, std::move(detail), std::move(fix)};
}

asio::awaitable<void> sleep_for(asio::any_io_executor ex, milliseconds d) {
  asio::steady_timer t(ex, d);
  boost::system::error_code ec;
  co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

bool permission_denied(const ami::ActionResult& r) {
  return !r.ok && r.error.find("Permission denied") != std::string::npos;
}

bool unknown_action(const ami::ActionResult& r) {
  return !r.ok && (r.error.find("Invalid/unknown command") != std::string::npos ||
                   r.error.find("unknown command") != std::string::npos);
}

std::string join_some(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < kMaxListed; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > kMaxListed) out += ", ... (" + std::to_string(v.size()) + " in all)";
  return out;
}

struct Probe {
  ami::Client& client;
  LiveObservations seen;
};

// Write-class probes: each action is refused before its arguments are read when the class is
// missing, and otherwise fails harmlessly on the bogus channel / missing field.
struct PermProbe {
  const char* action;
  const char* field;
  const char* value;
  const char* needs;  // the class the panel needs for it
};
const PermProbe kPermProbes[] = {
    {"CoreSettings", nullptr, nullptr, "system"},
    {"Status", "Channel", "OpDeskDoctor/none", "call"},
    {"Hangup", "Channel", "OpDeskDoctor/none", "call"},
    {"Redirect", "Channel", "OpDeskDoctor/none", "call"},
    {"Originate", "Channel", "", "originate"},
    {"QueuePause", "Interface", "", "agent"},
};

asio::awaitable<CheckResult> check_permissions(Probe& p) {
  std::set<std::string> missing_classes;
  std::vector<std::string> denied;
  for (const auto& pp : kPermProbes) {
    ami::Action a(pp.action);
    if (pp.field) a.set(pp.field, pp.value);
    auto r = co_await p.client.send(std::move(a));
    if (permission_denied(r)) {
      denied.emplace_back(pp.action);
      missing_classes.insert(pp.needs);
    }
  }
  const char* title = "AMI permissions sufficient";
  if (denied.empty()) co_return make("ami_permissions", title, CheckStatus::Ok, "all probed actions allowed");
  std::vector<std::string> classes(missing_classes.begin(), missing_classes.end());
  co_return make("ami_permissions", title, CheckStatus::Fail, "permission denied for " + join_some(denied),
                 "add " + join_some(classes) + " to write= of the AMI user in manager_custom.conf "
                 "(panel needs read = system,call,agent,user,config,dtmf,reporting,cdr,dialplan and "
                 "write = system,call,agent,originate,reporting), then: asterisk -rx \"manager reload\"");
}

int major_version(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && !std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  int major = 0;
  for (; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i) major = major * 10 + (v[i] - '0');
  return major;
}

asio::awaitable<std::vector<CheckResult>> check_core(Probe& p) {
  std::vector<CheckResult> out;
  auto r = co_await p.client.send(ami::Action("CoreSettings"));
  std::string version(r.response.get("AsteriskVersion"));
  const char* title = "Asterisk version";
  if (!r.ok || version.empty()) {
    out.push_back(make("asterisk_version", title, CheckStatus::Warn, "CoreSettings failed: " + r.error,
                       "give the AMI user write = system (CoreSettings)"));
  } else {
    int major = major_version(version);
    std::string detail = "Asterisk " + version + " (AMI " + std::string(r.response.get("AMIversion")) + ")";
    if (major < 13) {
      out.push_back(make("asterisk_version", title, CheckStatus::Fail, detail, "upgrade to Asterisk 16 or newer"));
    } else if (major < 16) {
      out.push_back(make("asterisk_version", title, CheckStatus::Warn, detail,
                         "Asterisk " + std::to_string(major) + " is end of life; upgrade to 18 or newer"));
    } else {
      out.push_back(make("asterisk_version", title, CheckStatus::Ok, detail));
    }
  }
  if (r.ok && ami::iequals(r.response.get("CoreCDRenabled"), "No")) {
    out.push_back(make("cdr_manager", "cdr_manager on", CheckStatus::Fail, "CDR is disabled in Asterisk",
                       "set enable = yes in [general] of cdr.conf, then: asterisk -rx \"module reload cdr\""));
    co_return out;
  }
  auto m = co_await p.client.send(ami::Action("ModuleCheck").set("Module", "cdr_manager"));
  const char* ct = "cdr_manager on";
  std::string fix = "load cdr_manager.so and set enabled = yes in /etc/asterisk/cdr_manager.conf, then: "
                    "asterisk -rx \"module reload cdr_manager.so\" (the own call log needs Cdr events)";
  if (p.seen.cdr > 0) {
    out.push_back(make("cdr_manager", ct, CheckStatus::Ok, std::to_string(p.seen.cdr) + " Cdr event(s) received"));
  } else if (m.ok) {
    out.push_back(make("cdr_manager", ct, CheckStatus::Ok,
                       "cdr_manager.so is loaded (no call ended during the check to confirm enabled = yes)"));
  } else if (m.error.find("not loaded") != std::string::npos) {
    out.push_back(make("cdr_manager", ct, CheckStatus::Fail, "cdr_manager.so is not loaded", fix));
  } else {
    out.push_back(make("cdr_manager", ct, CheckStatus::Warn, "could not verify (" + m.error + ")", fix));
  }
  co_return out;
}

asio::awaitable<std::vector<CheckResult>> check_dialplan(Probe& p) {
  std::vector<CheckResult> out;
  auto pj = co_await p.client.send(ami::Action("PJSIPShowEndpoints"), true);
  auto sip = co_await p.client.send(ami::Action("SIPpeers"), true);
  std::vector<std::string> endpoints, drivers;
  if (pj.ok) {
    drivers.push_back("PJSIP (" + std::to_string(pj.list.size()) + " endpoints)");
    for (const auto& e : pj.list) endpoints.emplace_back(e.get("ObjectName"));
  }
  if (sip.ok) {
    drivers.push_back("SIP (" + std::to_string(sip.list.size()) + " peers)");
    for (const auto& e : sip.list) endpoints.emplace_back(e.get("ObjectName"));
  }
  if (drivers.empty()) {
    out.push_back(make("channel_drivers", "Channel drivers", CheckStatus::Fail, "neither chan_pjsip nor chan_sip answered",
                       "load chan_pjsip (res_pjsip) and give the AMI user write = system"));
  } else {
    out.push_back(make("channel_drivers", "Channel drivers", CheckStatus::Ok, join_some(drivers)));
  }
  auto hints = co_await p.client.send(ami::Action("ExtensionStateList"), true);
  std::set<std::string> hinted;
  for (const auto& h : hints.list) hinted.emplace(h.get("Exten"));
  std::vector<std::string> without;
  for (const auto& e : endpoints) {
    bool numeric = !e.empty() && std::all_of(e.begin(), e.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric && !hinted.count(e)) without.push_back(e);
  }
  const char* ht = "Extensions with hints";
  std::string hfix = "add hints, e.g. exten => 1001,hint,PJSIP/1001 in extensions_custom.conf (FreePBX generates "
                     "them for every extension: fwconsole reload), then: asterisk -rx \"dialplan reload\"";
  if (!hints.ok) {
    out.push_back(make("hints", ht, CheckStatus::Fail, "ExtensionStateList failed: " + hints.error, hfix));
  } else if (hinted.empty()) {
    out.push_back(make("hints", ht, CheckStatus::Fail, "no hints: extension states stay unknown", hfix));
  } else if (!without.empty()) {
    out.push_back(make("hints", ht, CheckStatus::Warn, "endpoints without a hint: " + join_some(without), hfix));
  } else {
    out.push_back(make("hints", ht, CheckStatus::Ok, std::to_string(hinted.size()) + " hints"));
  }
  auto qs = co_await p.client.send(ami::Action("QueueSummary"), true);
  std::vector<std::string> queues;
  for (const auto& q : qs.list) {
    if (q.is_event("QueueSummary") && q.get("Queue") != "default") queues.emplace_back(q.get("Queue"));
  }
  if (!qs.ok && !unknown_action(qs)) {
    out.push_back(make("queues", "Queues found", CheckStatus::Warn, "QueueSummary failed: " + qs.error,
                       "load app_queue if you use queues"));
  } else if (queues.empty()) {
    out.push_back(make("queues", "Queues found", CheckStatus::Warn, "no queues (queue panels stay empty)",
                       "create queues in FreePBX/Issabel (Applications > Queues) or queues.conf if you need them"));
  } else {
    out.push_back(make("queues", "Queues found", CheckStatus::Ok, std::to_string(queues.size()) + ": " + join_some(queues)));
  }
  co_return out;
}

std::vector<CheckResult> check_events(const LiveObservations& s) {
  std::vector<CheckResult> out;
  const char* tt = "timestampevents";
  std::string tfix = "set timestampevents = yes in [general] of /etc/asterisk/manager.conf, then: "
                     "asterisk -rx \"manager reload\" (event times become exact, event lag measurable)";
  if (s.events == 0) {
    out.push_back(make("timestampevents", tt, CheckStatus::Warn, "no events received during the check", tfix));
  } else if (s.timestamped == 0) {
    out.push_back(make("timestampevents", tt, CheckStatus::Warn,
                       std::to_string(s.events) + " events, none with a Timestamp header", tfix));
  } else {
    out.push_back(make("timestampevents", tt, CheckStatus::Ok, "events carry Timestamp"));
  }
  const char* rt = "RTCP events (QoS)";
  std::string rfix = "add reporting to read= of the AMI user and keep rtcpinterval > 0 in rtp.conf, then: "
                     "asterisk -rx \"manager reload\"";
  if (s.rtcp > 0) {
    out.push_back(make("rtcp_events", rt, CheckStatus::Ok, std::to_string(s.rtcp) + " RTCP event(s) received"));
  } else if (s.calls > 0) {
    out.push_back(make("rtcp_events", rt, CheckStatus::Warn, "calls seen but no RTCPSent/RTCPReceived events", rfix));
  } else {
    out.push_back(make("rtcp_events", rt, CheckStatus::Warn, "no call during the check: not verified",
                       "run the check again during a call"));
  }
  return out;
}

void count_event(LiveObservations& s, const ami::Message& m) {
  if (m.event().empty() || m.has("ActionID")) return;  // list items answer our own actions
  ++s.events;
  if (m.has("Timestamp")) ++s.timestamped;
  if (m.is_event("Cdr")) ++s.cdr;
  if (m.is_event("RTCPSent") || m.is_event("RTCPReceived")) ++s.rtcp;
  if (m.is_event("Newchannel")) ++s.calls;
}

// Connects and logs in; returns the reachability and login results (login absent when the
// TCP connection failed).
asio::awaitable<std::vector<CheckResult>> connect_and_login(asio::any_io_executor ex, ami::Client& c,
                                                            bool& banner, const HealthCheckOptions& o) {
  std::vector<CheckResult> out;
  auto deadline = std::chrono::steady_clock::now() + o.ami.connect_timeout + o.ami.action_timeout;
  c.start();
  while (!c.connected() && c.stats().last_error.empty() && std::chrono::steady_clock::now() < deadline) {
    co_await sleep_for(ex, milliseconds(20));
  }
  std::string where = o.ami.host + ":" + std::to_string(o.ami.port);
  std::string err = c.stats().last_error;
  if (!banner) {
    out.push_back(make("ami_reachable", "AMI reachable", CheckStatus::Fail,
                       where + ": " + (err.empty() ? "no answer" : err),
                       "check [ami] host/port (AMI_HOST/AMI_PORT); in manager.conf [general] set enabled = yes, "
                       "port = 5038, bindaddr = 127.0.0.1; then: asterisk -rx \"manager reload\""));
    co_return out;
  }
  out.push_back(make("ami_reachable", "AMI reachable", CheckStatus::Ok, where + " answered (" + c.stats().banner + ")"));
  if (c.connected()) {
    out.push_back(make("ami_login", "AMI login", CheckStatus::Ok, "logged in as " + o.ami.username));
  } else {
    out.push_back(make("ami_login", "AMI login", CheckStatus::Fail, err.empty() ? "login timed out" : err,
                       "check [ami] username/secret (AMI_USERNAME/AMI_SECRET) against the [" + o.ami.username +
                           "] section of /etc/asterisk/manager_custom.conf (permit= must allow this host), "
                           "or run: opdesk setup"));
  }
  co_return out;
}

}  // namespace

asio::awaitable<std::vector<CheckResult>> run_health_checks(asio::any_io_executor ex, HealthCheckOptions o) {
  std::vector<CheckResult> out;
  ami::ClientOptions co = o.ami;
  co.name = "ami-doctor";
  co.events = "on";
  co.backoff_min = co.backoff_max = std::chrono::hours(1);  // one attempt per run
  ami::Client client(ex, co);
  Probe p{client, {}};
  bool banner = false;
  client.on_banner = [&banner](std::string_view) { banner = true; };
  client.on_frame = [&p](const ami::Message& m) { count_event(p.seen, m); };

  auto first = co_await connect_and_login(ex, client, banner, o);
  bool logged_in = client.connected();
  out.insert(out.end(), first.begin(), first.end());
  if (logged_in) {
    auto ping = co_await client.send(ami::Action("Ping"));
    int64_t now = o.now_ms ? o.now_ms() : 0;
    out.push_back(co_await check_permissions(p));
    co_await sleep_for(ex, o.observe);  // events arrive while we listen
    if (o.live) {
      auto l = o.live();
      p.seen.events += l.events;
      p.seen.timestamped += l.timestamped;
      p.seen.cdr += l.cdr;
      p.seen.rtcp += l.rtcp;
      p.seen.calls += l.calls;
    }
    auto core = co_await check_core(p);
    out.insert(out.end(), core.begin(), core.end());
    auto dp = co_await check_dialplan(p);
    out.insert(out.end(), dp.begin(), dp.end());
    auto ev = check_events(p.seen);
    out.insert(out.end(), ev.begin(), ev.end());
    std::string ts(ping.response.get("Timestamp"));
    if (ping.ok && !ts.empty() && o.now_ms) {
      out.push_back(check_clock_skew(std::strtod(ts.c_str(), nullptr), now));
    } else {
      out.push_back(make("clock_skew", "Clock skew vs Asterisk", CheckStatus::Warn, "Ping gave no Timestamp",
                         "upgrade Asterisk (Ping carries Timestamp since 1.8)"));
    }
  }
  client.on_frame = nullptr;
  client.on_banner = nullptr;
  client.stop();

  out.push_back(check_recordings(o.recordings_root));
  for (auto& db : o.databases) {
    std::string err = co_await db.probe();
    std::string title = "Database reachable: " + db.name;
    if (err.empty()) {
      out.push_back(make("database_" + db.name, title, CheckStatus::Ok, "answered"));
    } else {
      out.push_back(make("database_" + db.name, title, CheckStatus::Fail, err,
                         "check the [" + std::string(db.name == "panel" ? "database" : "freepbx") +
                             "] settings and that MariaDB runs (systemctl status mariadb); opdesk setup creates "
                             "a read-only user for the FreePBX schemas"));
    }
  }
  out.push_back(check_tls(o.tls_cert, o.listen_host, o.tls_warn_days, o.now_ms ? o.now_ms() : 0));
  co_return out;
}

}  // namespace opdesk::api
