// DirectoryService (see service.hpp): the directory's sources, refreshed, and its labels in the
// engine.
//
// Invariants: blocking SQL runs only inside store_.async (the worker pool); the engine and the
// label cache are touched only on the event loop; a failed DB read never clears what the panel
// already shows (Directory keeps the last good data and reports the error in its status).
#include "directory/service.hpp"

#include <spdlog/spdlog.h>

#include "pbx/engine.hpp"
#include "store/cdr_freepbx.hpp"
#include "store/database.hpp"
#include "store/errors.hpp"
#include "store/store.hpp"

namespace opdesk::directory {
namespace asio = boost::asio;

DirectoryService::DirectoryService(store::Store& store, pbx::Engine& engine,
                                   std::function<void()> publish, ServiceOptions opts)
    : store_(store),
      engine_(engine),
      publish_(std::move(publish)),
      dir_(std::make_shared<Directory>(opts.pbx_db ? opts.mode : std::string("ami"))) {
  // The session pool opens lazily: a database that is down now fails on the first read.
  if (opts.pbx_db) pbx_db_ = std::make_unique<store::Database>(*opts.pbx_db);
  defer_ = std::move(opts.defer);
}

DirectoryService::~DirectoryService() = default;

void DirectoryService::refresh_ami() {
  const auto& st = engine_.state();
  dir_->set_ami_extensions(names_.extensions(st));
  dir_->set_ami_queues(names_.queues(st));
  unlabeled_seen_.clear();
  apply_labels();
}

asio::awaitable<void> DirectoryService::refresh_db() {
  if (pbx_db_) {
    store::Database* db = pbx_db_.get();
    try {
      auto data = co_await store_.async([db] { return store::read_pbx_directory(*db); });
      dir_->set_pbx_data(data);
    } catch (const store::StoreError& e) {
      dir_->set_pbx_error(e.what());  // logs once per new message; status shows it
    }
  }
  co_await reload_overrides();
}

asio::awaitable<void> DirectoryService::reload_overrides() {
  try {
    store::Store* s = &store_;
    auto rows = co_await store_.async(
        [s] { return store::DirectoryOverrideRepo(s->database()).list(); });
    dir_->set_overrides(rows);
  } catch (const store::StoreError& e) {
    spdlog::warn("directory: overrides could not be read ({}); keeping the previous ones", e.what());
  }
  apply_labels();
}

void DirectoryService::rebuild_labels() {
  labels_.clear();
  for (const auto& e : dir_->list(true)) {
    if (e.kind != "extension") continue;
    labels_[e.number] = Label{e.name, e.group, e.order, e.hidden};
  }
}

bool DirectoryService::apply_one(const std::string& number) {
  auto it = labels_.find(number);
  if (it == labels_.end()) return false;
  const Label& l = it->second;
  const pbx::Extension* x = engine_.find_extension(number);
  if (x == nullptr) return false;
  if (x->name == l.name && x->group == l.group && x->order == l.order && x->hidden == l.hidden) {
    return false;
  }
  return engine_.set_extension_directory(number, l.name, l.group, l.order, l.hidden);
}

size_t DirectoryService::apply_labels() {
  rebuild_labels();
  size_t changed = 0;
  for (const auto& [number, l] : labels_) changed += apply_one(number) ? 1 : 0;
  if (changed > 0 && publish_) publish_();
  return changed;
}

void DirectoryService::on_extension_changed(const std::string& number) {
  if (labels_.count(number) == 0) {
    // A number the directory has not seen yet (a phone that just showed up): take the AMI
    // entries again once for it, so its name from PBX DB/overrides/AMI applies.
    if (!unlabeled_seen_.insert(number).second) return;
    if (defer_) {
      deferred_.push_back(number);
      if (deferred_.size() == 1) defer_([this] {
        std::vector<std::string> batch;
        batch.swap(deferred_);
        relabel_new(batch);
        if (publish_) publish_();
      });
      return;
    }
    relabel_new({number});
    return;
  }
  apply_one(number);
}

void DirectoryService::relabel_new(const std::vector<std::string>& numbers) {
  dir_->set_ami_extensions(names_.extensions(engine_.state()));
  rebuild_labels();
  for (const auto& n : numbers) apply_one(n);
}

std::vector<NameQuery> DirectoryService::take_name_queries(size_t cap) {
  std::vector<NameQuery> out;
  for (const auto& [number, x] : engine_.state().extensions) {
    if (out.size() >= cap) break;
    if (!names_.name_of(number).empty() || asked_.count(number) > 0) continue;
    if (x.tech == "PJSIP") {
      out.push_back({"PJSIPShowEndpoint", "Endpoint", number});
    } else if (x.tech == "SIP") {
      out.push_back({"SIPshowpeer", "Peer", number});
    } else {
      continue;
    }
    asked_.insert(number);
  }
  return out;
}

asio::awaitable<void> DirectoryService::ask_names(AmiSend send, std::function<bool()> connected,
                                                 size_t cap) {
  if (!connected()) co_return;
  ami::Action tree("DBGetTree");
  tree.set("Family", "AMPUSER");
  co_await send(std::move(tree), true);
  for (auto& q : take_name_queries(cap)) {
    if (!connected()) break;
    ami::Action a(q.action);
    a.set(q.key, q.number);
    // PJSIPShowEndpoint answers with a list (…Complete); SIPshowpeer with one response.
    co_await send(std::move(a), q.action == "PJSIPShowEndpoint");
  }
  refresh_ami();
}

nlohmann::json DirectoryService::status_json() const {
  nlohmann::json j = dir_->status().to_json();
  size_t ext = 0, queues = 0, hidden = 0;
  for (const auto& e : dir_->list(true)) {
    (e.kind == "queue" ? queues : ext) += 1;
    hidden += e.hidden ? 1 : 0;
  }
  j["extensions"] = ext;
  j["queues"] = queues;
  j["hidden"] = hidden;
  j["ami_names"] = names_.size();
  return j;
}

}  // namespace opdesk::directory
