// Upstream settings lists, feature status routes, the AMI event capture and openapi.yaml (see
// upstream_routes.hpp).
//
// Decisions: OpDesk never writes the PBX's configuration (dialplan, TLS transport, endpoint
// WebRTC keywords) and sends no mobile/browser push, so the routes that would do that answer
// 501 feature.not_supported with the reason, while their status routes answer enabled:false.
// Secrets stay write-only: GET /api/settings/{key} masks secret values, and the upstream
// "credentials" route returns the SIP username without its password. /api/openapi.yaml is the
// generated OpenAPI document (JSON is valid YAML 1.2).
#include <algorithm>

#include "admin_routes.hpp"
#include "ami/message.hpp"
#include "http_util.hpp"
#include "openapi.hpp"
#include "upstream_routes.hpp"
#include "webrtc_routes.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

void not_supported(const std::string& reason) {
  throw ApiError(501, "feature.not_supported", reason);
}

void AmiCapture::set_enabled(bool on) {
  enabled_ = on;
  if (!on) lines_.clear();
}

void AmiCapture::on_frame(const ami::Message& m, int64_t now_ms) {
  if (!enabled_) return;
  std::string_view ev = m.get("Event");
  if (ev.empty()) return;
  json fields = json::object();
  std::string summary;
  for (size_t i = 0; i < m.size(); ++i) {
    std::string k(m.key(i)), v(m.value(i));
    if (k == "Event") continue;
    if (k == "Secret" || k == "Password") v = "***";
    if (summary.size() < 160 && (k == "Channel" || k == "Exten" || k == "CallerIDNum" || k == "Queue" ||
                                 k == "Interface" || k == "Status" || k == "ChannelStateDesc")) {
      summary += (summary.empty() ? "" : " ") + k + "=" + v;
    }
    fields[k] = std::move(v);
  }
  lines_.push_back({{"seq", ++seq_}, {"event", std::string(ev)}, {"ts", now_ms / 1000.0},
                    {"summary", summary}, {"fields", std::move(fields)}});
  while (lines_.size() > kMax) lines_.pop_front();
}

json AmiCapture::lines(int64_t since, const std::string& event, const std::string& text, size_t max) const {
  json out = json::array();
  for (const auto& l : lines_) {
    if (l["seq"].get<int64_t>() <= since) continue;
    if (!event.empty() && l["event"] != event) continue;
    if (!text.empty() && l.dump().find(text) == std::string::npos) continue;
    out.push_back(l);
  }
  if (out.size() > max) out.erase(out.begin(), out.begin() + static_cast<long>(out.size() - max));
  return out;
}

json AmiCapture::event_names() const {
  std::set<std::string> names;
  for (const auto& l : lines_) names.insert(l["event"].get<std::string>());
  return names;
}

namespace {

const std::vector<std::string_view> kToggleFields = {"enabled"};

asio::awaitable<Principal> admin(UpstreamDeps& d, const Request& req) {
  Principal p = co_await d.auth.require(req);
  require_admin(p);
  co_return p;
}

void status_and_501(Router& r, UpstreamDeps& d, const std::string& base, std::function<json(UpstreamDeps&)> status,
                    const std::string& reason) {
  r.add("GET", "/api/" + base + "/status", [&d, status](Request& req) -> asio::awaitable<Response> {
    co_await d.auth.require(req);
    co_return json_response(200, status(d));
  }, base + ": status (upstream shape)");
  for (const char* op : {"enable", "disable"}) {
    r.add("POST", "/api/" + base + "/" + op, [&d, reason](Request& req) -> asio::awaitable<Response> {
      co_await admin(d, req);
      not_supported(reason);
      co_return Response{};
    }, base + ": " + op + " (501: " + reason + ")");
  }
}

json extension_list(UpstreamDeps& d, const Principal& p, bool with_webrtc, const std::set<std::string>& provisioned) {
  json out = json::array();
  for (const auto& [num, e] : d.pbx.engine().state().extensions) {
    if (e.hidden || !p.sees_extension(num)) continue;
    json j = {{"extension", num}, {"name", e.name}};
    if (with_webrtc) j["webrtc"] = (e.webrtc || provisioned.count(num)) ? "yes" : "no";
    out.push_back(std::move(j));
  }
  return out;
}

asio::awaitable<std::set<std::string>> provisioned(UpstreamDeps& d) {
  auto work = [&d] {
    std::set<std::string> out;
    const std::string prefix = credentials_key("");
    for (const auto& s : d.store.settings().all()) {
      if (s.key.rfind(prefix, 0) == 0) out.insert(s.key.substr(prefix.size()));
    }
    return out;
  };
  co_return co_await d.store.async(std::move(work));
}

}  // namespace

void register_upstream_misc_routes(Router& r, UpstreamDeps& d) {
  r.add("GET", "/api/settings/agents", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    co_return json_response(200, {{"agents", extension_list(d, p, false, {})}});
  }, "Extensions the caller may see, upstream shape {agents:[{extension,name}]}");

  r.add("GET", "/api/settings/queues", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    json out = json::array();
    for (const auto& [name, q] : d.pbx.engine().state().queues) {
      if (name == "default" || !p.sees_queue(name)) continue;
      out.push_back({{"extension", name}, {"queue_name", name}});
    }
    co_return json_response(200, {{"queues", out}});
  }, "Queues the caller may see, upstream shape {queues:[{extension,queue_name}]}");

  r.add("GET", "/api/settings/extensions/webrtc", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    auto prov = co_await provisioned(d);
    co_return json_response(200, {{"extensions", extension_list(d, p, true, prov)}});
  }, "Extensions with their softphone (WebRTC) provisioning, yes|no");

  r.add("PUT", "/api/settings/extensions/{ext}/webrtc", [&d](Request& req) -> asio::awaitable<Response> {
    co_await d.auth.require(req);
    not_supported("OpDesk does not rewrite the PBX's endpoint configuration; enable WebRTC on the extension in "
                  "FreePBX/Asterisk and set its softphone credentials with PUT /api/webrtc/credentials/{extension}");
    co_return Response{};
  }, "Toggle an endpoint's WebRTC keywords (501: OpDesk does not write PBX configuration)");

  r.add("GET", "/api/settings/extensions/{ext}/credentials", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    std::string ext(req.param("ext"));
    auto it = d.pbx.engine().state().extensions.find(ext);
    if (it == d.pbx.engine().state().extensions.end()) throw ApiError(404, "pbx.extension.not_found", "no extension " + ext);
    auto prov = co_await provisioned(d);
    bool on = it->second.webrtc || prov.count(ext);
    co_return json_response(200, {{"username", ext}, {"password", ""}, {"name", it->second.name},
                                  {"webrtc", on ? "yes" : "no"}, {"password_write_only", true}});
  }, "An extension's SIP username and WebRTC flag (admin; the password stays write-only)");

  r.add("GET", "/api/settings/{key}", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    std::string key(req.param("key"));
    if (key.empty() || key.size() > 128) throw ApiError(400, "request.field.invalid", "key is invalid", "key");
    if (key.rfind(credentials_key(""), 0) == 0 || key == "RECORDING_URL_KEY" || key == "JWT_SECRET") {
      throw ApiError(404, "settings.key.not_found", "no setting " + key);
    }
    auto get = [&d, key] { return d.store.settings().get(key); };
    auto s = co_await d.store.async(std::move(get));
    if (!s) throw ApiError(404, "settings.key.not_found", "no setting " + key);
    co_return json_response(200, {{"success", true}, {"key", key}, {"value", s->secret ? "***" : s->value}});
  }, "One panel setting by key (admin; secrets masked)");

  status_and_501(r, d, "qos", [](UpstreamDeps& x) { return json{{"enabled", x.qos_enabled}, {"pbx", x.pbx_kind}}; },
                 "OpDesk measures call quality from Asterisk's RTCP events itself (qos.enabled / QOS_ENABLED "
                 "in its configuration) and does not write dialplan");
  status_and_501(r, d, "recording", [](UpstreamDeps& x) {
    return json{{"enabled", false}, {"format", "wav"}, {"mixed_dir", x.recordings_root}, {"single_dir", nullptr}};
  }, "OpDesk does not write a recording dialplan; record calls with FreePBX's call recording settings or "
     "the panel's record action");
  status_and_501(r, d, "sip-tls", [](UpstreamDeps&) { return json{{"enabled", false}, {"domain", ""}, {"port", 5061}}; },
                 "OpDesk does not write the PBX's TLS transport or restart Asterisk; configure SIP TLS in FreePBX/Asterisk");
  status_and_501(r, d, "mobile-wake", [](UpstreamDeps&) { return json{{"enabled", false}, {"wait_seconds", 4}}; },
                 "OpDesk sends no mobile push, so it installs no mobile-wake dialplan");

  r.add("GET", "/api/push/vapid-public-key", [](Request&) -> asio::awaitable<Response> {
    co_return json_response(200, {{"enabled", false}, {"public_key", nullptr}});
  }, "Browser push: disabled (OpDesk sends no push)");
  r.add("POST", "/api/push/web-resubscribe", [&d](Request& req) -> asio::awaitable<Response> {
    co_await d.auth.require(req);
    not_supported("OpDesk sends no browser push");
    co_return Response{};
  }, "Browser push subscription (501: OpDesk sends no push)");
  for (const char* m : {"POST", "DELETE"}) {
    r.add(m, "/api/device-tokens", [&d](Request& req) -> asio::awaitable<Response> {
      co_await d.auth.require(req);
      not_supported("OpDesk sends no mobile or browser push, so it keeps no device tokens");
      co_return Response{};
    }, "Push device tokens (501: OpDesk sends no push)");
  }

  r.add("GET", "/api/logs", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    int64_t since = 0;
    if (auto s = req.query_value("since"); s && !s->empty()) {
      if (s->size() > 15 || !std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw ApiError(400, "request.field.invalid", "since must be a sequence number", "since");
      }
      since = std::stoll(*s);
    }
    std::string ev = req.query_value("event").value_or(""), q = req.query_value("q").value_or("");
    if (q.size() > 128 || ev.size() > 64) throw ApiError(400, "request.field.invalid", "q/event too long", q.size() > 128 ? "q" : "event");
    co_return json_response(200, {{"lines", d.capture.lines(since, ev, q)}, {"enabled", d.capture.enabled()}});
  }, "Captured AMI events (admin; capture is off until POST /api/logs/ami {enabled:true})");
  r.add("GET", "/api/logs/events", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    co_return json_response(200, {{"events", d.capture.event_names()}});
  }, "Names of the captured AMI events (admin)");
  r.add("GET", "/api/logs/ami", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    co_return json_response(200, {{"enabled", d.capture.enabled()}});
  }, "Whether AMI events are captured (admin)");
  r.add("POST", "/api/logs/ami", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await admin(d, req);
    json b = parse_json_body(req);
    reject_unknown(b, kToggleFields);
    auto on = opt_bool(b, "enabled");
    if (!on) throw ApiError(400, "request.field.missing", "enabled (true or false) is required", "enabled");
    d.capture.set_enabled(*on);
    json detail = {{"enabled", *on}};
    co_await audit(d.store, p, "logs.ami_capture", "ami", "ok", detail, req.remote_ip);
    co_return json_response(200, detail);
  }, "Turn the AMI event capture on or off (admin; off by default, 3000 events kept)");
  r.add("GET", "/api/logs/siptrace", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    co_return json_response(200, {{"enabled", false}, {"error", "SIP trace is not available: OpDesk does not read Asterisk's log files"}});
  }, "SIP trace status (always off: OpDesk does not read Asterisk's log files)");
  r.add("POST", "/api/logs/siptrace", [&d](Request& req) -> asio::awaitable<Response> {
    co_await admin(d, req);
    not_supported("OpDesk does not tail Asterisk's log file or switch the PJSIP logger; use `pjsip set logger on` on the PBX");
    co_return Response{};
  }, "SIP trace toggle (501: OpDesk does not read Asterisk's log files)");

  r.add("GET", "/api/openapi.yaml", [&d](Request&) -> asio::awaitable<Response> {
    Response res;
    res.body = openapi_document(d.router, d.version).dump(2);
    res.content_type = "application/yaml";
    co_return res;
  }, "The OpenAPI document (JSON, which is valid YAML 1.2)");
}

}  // namespace opdesk::api
