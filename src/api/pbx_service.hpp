// PbxService: the AMI connection(s) plus the state engine, on the one event loop.
//
// The state client's banner starts a new engine epoch, every frame it receives goes to the
// engine (then the coalesced change batch to on_changes) and to the frame listeners (CDR,
// QoS), and each login runs the resync list actions in order (the engine reconciles at each
// *Complete). Actions that the PBX lacks (chan_sip gone, no ConfBridge, ...) answer
// `Response: Error` and are tolerated. An optional second session carries only the RTCP
// stream (`qos_session`), whose frames go to the frame listeners only, so the state stream
// never waits behind it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ami/client.hpp"
#include "pbx/engine.hpp"

namespace opdesk::api {

struct PbxOptions {
  ami::ClientOptions ami;
  bool qos_session = false;  // second AMI session for RTCP events
};

struct PbxStatusInfo {
  bool connected = false;
  int64_t connected_since_ms = 0;
  std::string banner;
  std::string last_error;
  uint64_t resyncs = 0;        // completed resync runs
  bool synced = false;         // see PbxService::synced()
  uint64_t events = 0;         // frames applied to the engine
  uint64_t reconnects = 0;     // TCP connections after the first
  int64_t last_resync_ms = 0;  // duration of the last resync
};
void to_json(nlohmann::json& j, const PbxStatusInfo& s);

class PbxService {
 public:
  using Clock = std::function<int64_t()>;
  using FrameListener = std::function<void(const ami::Message&, int64_t now_ms)>;

  PbxService(boost::asio::any_io_executor ex, PbxOptions opts, Clock now_ms = {});
  ~PbxService();
  PbxService(const PbxService&) = delete;
  PbxService& operator=(const PbxService&) = delete;

  void start();
  void stop();
  bool connected() const;
  // Logged in AND this connection's resync finished with every list action answered: only then
  // is the engine's state the PBX's (an AMI peer that logs in and then hangs is not synced).
  bool synced() const;
  const pbx::Engine& engine() const { return engine_; }
  pbx::Engine& engine() { return engine_; }
  PbxStatusInfo status() const;
  // Local DND change once Asterisk accepted the DBPut/DBDel (the engine then publishes it).
  void set_dnd(const std::string& ext, bool on);

  // Sends an action on the state session (the answer frames also reach the engine).
  boost::asio::awaitable<ami::ActionResult> send(ami::Action a, bool list = false);

  // Change batches in order (the WebSocket hub).
  std::function<void(const pbx::ChangeBatch&)> on_changes;
  // Called after each resync finished (all list actions answered or failed).
  std::function<void()> on_resync;
  // Raw frames of both sessions (CDR, QoS). Listeners live as long as the service.
  void add_frame_listener(FrameListener l) { listeners_.push_back(std::move(l)); }

  // Actions of the resync, in order (list actions).
  static const std::vector<std::string>& resync_actions();

 private:
  boost::asio::awaitable<void> resync(uint64_t connection);
  void apply(const ami::Message& m);
  void flush();

  boost::asio::any_io_executor ex_;
  PbxOptions opts_;
  Clock now_;
  pbx::Engine engine_;
  std::unique_ptr<ami::Client> client_;
  std::unique_ptr<ami::Client> qos_client_;
  std::vector<FrameListener> listeners_;
  uint64_t connection_ = 0;
  uint64_t resyncs_ = 0;
  uint64_t synced_connection_ = 0;  // the connection whose resync completed
  uint64_t events_ = 0;
  int64_t last_resync_ms_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace opdesk::api
