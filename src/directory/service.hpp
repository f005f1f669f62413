// DirectoryService: keeps the Directory (directory.hpp) fed and pushes its labels into the
// live state. Owned by the server wiring (src/app/wire_directory.cpp), testable without it.
//
//   * AMI: every frame goes to AmiNames; refresh_ami() turns what the engine discovered
//     (endpoints, peers, hints, queues) plus the learned names into the AMI entries.
//   * PBX DB (FreePBX/Issabel `asterisk`, optional, read only) and the admin overrides (panel
//     DB) are read by refresh_db()/reload_overrides() on the store's worker pool, never on the
//     event loop. A failed read keeps the previous data and shows in status().
//   * apply_labels() writes name/group/order/hidden into the engine (pure Engine method) for
//     every extension whose label differs; the caller's `publish` then forwards the change
//     batch. on_extension_changed() does the same for one extension that showed up or changed,
//     from inside the engine's flush loop (so it must not publish itself).
// Threading: everything except the Directory (mutex inside) is touched on the event loop only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ami/action.hpp"
#include "directory/ami_names.hpp"
#include "directory/directory.hpp"
#include "store/types.hpp"

namespace opdesk::pbx {
class Engine;
}
namespace opdesk::store {
class Database;
class Store;
}  // namespace opdesk::store

namespace opdesk::directory {

struct ServiceOptions {
  std::string mode = "ami";                // ami | freepbx (the asterisk DB is read too)
  std::optional<store::DbConfig> pbx_db;   // FreePBX/Issabel `asterisk` database
  // Runs a job after the current event-loop handler (asio::post). When set, numbers that show up
  // in a burst (a resync lists thousands of endpoints) share one directory rebuild instead of
  // one rebuild each, which would be quadratic; unset, each is labelled at once (tests).
  std::function<void(std::function<void()>)> defer;
};

// One AMI action that asks for an extension's configured caller id.
struct NameQuery {
  std::string action;  // PJSIPShowEndpoint | SIPshowpeer
  std::string key;     // Endpoint | Peer
  std::string number;
};

class DirectoryService {
 public:
  DirectoryService(store::Store& store, pbx::Engine& engine, std::function<void()> publish,
                   ServiceOptions opts = {});
  ~DirectoryService();
  DirectoryService(const DirectoryService&) = delete;
  DirectoryService& operator=(const DirectoryService&) = delete;

  Directory& directory() { return *dir_; }
  const Directory& directory() const { return *dir_; }
  // Shared so the call log can hold it without owning the service.
  std::shared_ptr<Directory> directory_ptr() const { return dir_; }

  void on_frame(const ami::Message& m) { names_.on_frame(m); }
  // A new AMI connection: endpoints are asked for their names again.
  void on_connection() { asked_.clear(); }
  // AMI entries from the engine's state, then labels (event loop).
  void refresh_ami();
  // Asterisk DB (when configured) and overrides on the worker pool, then labels (event loop).
  boost::asio::awaitable<void> refresh_db();
  boost::asio::awaitable<void> reload_overrides();
  // Applies every label to the engine and publishes; returns how many extensions changed.
  size_t apply_labels();
  // Called for each extension change of a batch (inside the flush loop: no publish here).
  void on_extension_changed(const std::string& number);
  // Extensions that have no name yet and were not asked on this connection, at most `cap`;
  // they are marked as asked.
  std::vector<NameQuery> take_name_queries(size_t cap);
  // Sends one action on the state session and waits for its answer (list: up to *Complete).
  using AmiSend = std::function<boost::asio::awaitable<void>(ami::Action, bool list)>;
  // Asks AMI what it has not told yet: the FreePBX astdb AMPUSER tree (other PBXs answer an
  // error) and one PJSIPShowEndpoint/SIPshowpeer per unnamed extension (at most `cap`), then
  // takes the AMI entries again. The answers arrive as frames (on_frame).
  boost::asio::awaitable<void> ask_names(AmiSend send, std::function<bool()> connected, size_t cap);

  nlohmann::json status_json() const;

 private:
  struct Label {
    std::string name, group;
    int order = 0;
    bool hidden = false;
  };
  void rebuild_labels();
  bool apply_one(const std::string& number);

  store::Store& store_;
  pbx::Engine& engine_;
  std::function<void()> publish_;
  std::shared_ptr<Directory> dir_;
  std::unique_ptr<store::Database> pbx_db_;
  AmiNames names_;
  std::unordered_map<std::string, Label> labels_;
  std::set<std::string> unlabeled_seen_;  // new numbers already refreshed for (bounded by engine)
  std::vector<std::string> deferred_;     // new numbers waiting for the deferred rebuild
  std::function<void(std::function<void()>)> defer_;
  void relabel_new(const std::vector<std::string>& numbers);
  std::set<std::string> asked_;           // numbers asked for their caller id on this connection
};

}  // namespace opdesk::directory
