// PbxService (see pbx_service.hpp): wires ami::Client callbacks to pbx::Engine.
//
// Order is the invariant: the engine sees frames exactly in arrival order (responses and list
// events included), starts an epoch at each banner and learns of each loss, and every change
// batch is forwarded right after the frame that produced it, so subscribers see seq grow by
// one per batch. The resync runs its list actions one after another (each waits for its
// *Complete); a connection lost mid-resync abandons that run (the next login starts anew).
#include "pbx_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>

namespace opdesk::api {

namespace asio = boost::asio;

namespace {
int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_rtcp(const ami::Message& m) {
  return m.is_event("RTCPSent") || m.is_event("RTCPReceived");
}
}  // namespace

const std::vector<std::string>& PbxService::resync_actions() {
  static const std::vector<std::string> kActions = {
      "CoreSettings",  // not a list: the Asterisk version (pbx.version)
      "CoreShowChannels",  "Status",   "QueueStatus",  "ExtensionStateList",  "DeviceStateList",
      "PJSIPShowEndpoints", "PJSIPShowContacts", "SIPpeers", "ParkedCalls", "ConfbridgeListRooms",
      "DBGetTree"};
  return kActions;
}

PbxService::PbxService(asio::any_io_executor ex, PbxOptions opts, Clock now_ms)
    : ex_(ex), opts_(std::move(opts)), now_(now_ms ? std::move(now_ms) : Clock(system_ms)) {
  client_ = std::make_unique<ami::Client>(ex_, opts_.ami);
  client_->on_banner = [this](std::string_view banner) {
    ++connection_;
    engine_.on_connection_start(now_(), banner);
    flush();
  };
  client_->on_frame = [this](const ami::Message& m) { apply(m); };
  client_->on_login = [this] {
    asio::co_spawn(ex_, resync(connection_), asio::detached);
  };
  client_->on_disconnect = [this](std::string_view reason) {
    spdlog::warn("pbx: AMI connection lost ({})", reason);
    engine_.on_connection_lost(now_());
    flush();
  };
  if (opts_.qos_session) {
    auto q = opts_.ami;
    q.name = "ami-qos";
    q.events = "reporting";  // RTCPSent/RTCPReceived are in the reporting class
    qos_client_ = std::make_unique<ami::Client>(ex_, q);
    qos_client_->on_frame = [this](const ami::Message& m) {
      if (!is_rtcp(m)) return;
      const int64_t now = now_();
      for (auto& l : listeners_) l(m, now);
    };
  }
}

PbxService::~PbxService() {
  *alive_ = false;
  stop();
}

void PbxService::start() {
  client_->start();
  if (qos_client_) qos_client_->start();
}

void PbxService::stop() {
  client_->stop();
  if (qos_client_) qos_client_->stop();
}

bool PbxService::connected() const { return client_->connected(); }

bool PbxService::synced() const {
  return connection_ != 0 && synced_connection_ == connection_ && client_->connected();
}

void PbxService::apply(const ami::Message& m) {
  ++events_;
  const int64_t now = now_();
  engine_.apply(m, now);
  flush();
  // With a QoS session the RTCP stream is its job; the state session's copy is not repeated.
  if (qos_client_ && is_rtcp(m)) return;
  for (auto& l : listeners_) l(m, now);
}

void PbxService::flush() {
  while (auto batch = engine_.take_changes()) {
    if (on_changes) on_changes(*batch);
  }
}

asio::awaitable<void> PbxService::resync(uint64_t connection) {
  auto alive = alive_;
  const int64_t started = now_();
  std::string unanswered;  // list actions the PBX never answered (an error answer is fine)
  for (const auto& name : resync_actions()) {
    if (!*alive || connection != connection_ || !client_->connected()) co_return;
    ami::Action a(name);
    if (name == "DBGetTree") a.set("Family", "DND");
    auto r = co_await client_->send(std::move(a), name != "CoreSettings");
    if (!*alive) co_return;
    if (!r.ok) spdlog::debug("pbx: resync {} answered {}", name, r.error);
    if (!r.ok && (r.error == "timeout" || r.error == "not connected" || r.error == "connection lost")) {
      unanswered += (unanswered.empty() ? "" : ", ") + name;
    }
  }
  if (connection != connection_) co_return;
  if (unanswered.empty()) {
    synced_connection_ = connection;
  } else {
    spdlog::warn("pbx: resync incomplete, no answer to {}: live state may be stale (health: not synced)", unanswered);
  }
  ++resyncs_;
  last_resync_ms_ = now_() - started;
  spdlog::info("pbx: resync {} done in {} ms", resyncs_, last_resync_ms_);
  if (on_resync) on_resync();
}

asio::awaitable<ami::ActionResult> PbxService::send(ami::Action a, bool list) {
  co_return co_await client_->send(std::move(a), list);
}

void PbxService::set_dnd(const std::string& ext, bool on) {
  engine_.set_dnd(ext, on, now_());
  flush();
}

void to_json(nlohmann::json& j, const PbxStatusInfo& s) {
  j = {{"connected", s.connected},   {"connected_since", s.connected_since_ms},
       {"banner", s.banner},         {"last_error", s.last_error},
       {"resyncs", s.resyncs},       {"synced", s.synced},         {"events", s.events},
       {"reconnects", s.reconnects}, {"last_resync_ms", s.last_resync_ms}};
}

PbxStatusInfo PbxService::status() const {
  const auto& s = client_->stats();
  PbxStatusInfo info;
  info.connected = client_->connected();
  info.connected_since_ms = s.connected_since_ms;
  info.banner = s.banner;
  info.last_error = s.last_error;
  info.resyncs = resyncs_;
  info.synced = synced();
  info.events = events_;
  info.reconnects = s.connects > 0 ? s.connects - 1 : 0;
  info.last_resync_ms = last_resync_ms_;
  return info;
}

}  // namespace opdesk::api
