// Directory merge (see directory.hpp): AMI entries, PBX DB rows and admin overrides.
//
// The merged list is computed on demand under the mutex (a few hundred entries; reads are
// REST calls, not per-event work). Invariants: a number appears once per kind; an override
// for an unknown number creates nothing (it waits until the number shows up).
#include "directory/directory.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <spdlog/spdlog.h>

namespace opdesk::directory {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json Status::to_json() const {
  return {{"mode", mode},       {"db_configured", db_configured}, {"db_ok", db_ok},
          {"message", message}, {"warnings", warnings}};
}

Directory::Directory(std::string mode) {
  status_.mode = std::move(mode);
  status_.db_configured = status_.mode != "ami";
  status_.message = status_.db_configured ? "PBX database not read yet" : "AMI only";
}

void Directory::set_ami_extensions(const std::vector<Entry>& entries) {
  std::lock_guard lk(mu_);
  ami_ext_ = entries;
}

void Directory::set_ami_queues(const std::vector<Entry>& entries) {
  std::lock_guard lk(mu_);
  ami_queues_ = entries;
}

void Directory::set_pbx_data(const store::PbxDirectoryData& data) {
  std::lock_guard lk(mu_);
  pbx_ = data;
  // Each refresh reads the same schema: a missing table is logged once, not every refresh.
  bool new_warnings = !status_.db_ok || status_.warnings != data.warnings;
  status_.db_ok = true;
  status_.warnings = data.warnings;
  status_.message = "read " + std::to_string(data.extensions.size()) + " extensions and " +
                    std::to_string(data.queues.size()) + " queues from the PBX database";
  if (new_warnings) {
    for (const auto& w : data.warnings) spdlog::warn("directory: {}", w);
  }
}

void Directory::set_pbx_error(const std::string& message) {
  std::lock_guard lk(mu_);
  std::string text = "PBX database unavailable (" + message + "); using AMI data";
  // Logged once per distinct failure, not at every refresh while the DB stays down.
  bool changed = status_.db_ok || status_.message != text;
  status_.db_ok = false;
  status_.message = std::move(text);
  if (changed) spdlog::warn("directory: {}", status_.message);
}

void Directory::set_overrides(const std::vector<store::DirectoryOverride>& overrides) {
  std::lock_guard lk(mu_);
  overrides_ = overrides;
}

std::vector<Entry> Directory::merged_locked() const {
  std::map<std::pair<std::string, std::string>, Entry> m;  // (kind, number)
  auto put = [&](const Entry& e, const char* source) -> Entry& {
    auto& slot = m[{e.kind, e.number}];
    if (slot.number.empty()) {
      slot = Entry{};
      slot.number = e.number;
      slot.kind = e.kind;
    }
    slot.sources.insert(source);
    return slot;
  };
  for (const auto& e : ami_ext_) {
    auto& s = put(e, "ami");
    s.name = e.name;
    s.tech = e.tech;
  }
  for (const auto& e : ami_queues_) put(e, "ami").name = e.name;
  {  // the last good PBX DB read (kept while the DB is down: names do not flap)
    for (const auto& x : pbx_.extensions) {
      Entry key;
      key.number = x.number;
      auto& s = put(key, "pbxdb");
      if (!x.name.empty()) s.name = x.name;
      if (s.tech.empty() && !x.tech.empty()) s.tech = upper(x.tech) == "PJSIP" ? "PJSIP" : upper(x.tech);
    }
    for (const auto& q : pbx_.queues) {
      Entry key;
      key.number = q.number;
      key.kind = "queue";
      auto& s = put(key, "pbxdb");
      if (!q.name.empty()) s.name = q.name;
    }
  }
  for (const auto& o : overrides_) {
    auto it = m.find({"extension", o.extension});
    if (it == m.end()) it = m.find({"queue", o.extension});
    if (it == m.end()) continue;
    auto& s = it->second;
    s.hidden = o.hidden;
    if (o.label && !o.label->empty()) s.name = *o.label;
    if (o.group) s.group = *o.group;
    if (o.order) s.order = *o.order;
    s.sources.insert("override");
  }
  std::vector<Entry> out;
  for (auto& [k, e] : m) out.push_back(std::move(e));
  std::stable_sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.kind, a.group, a.order, a.number) <
           std::tie(b.kind, b.group, b.order, b.number);
  });
  return out;
}

std::vector<Entry> Directory::list(bool include_hidden) const {
  std::lock_guard lk(mu_);
  auto all = merged_locked();
  if (!include_hidden) {
    all.erase(std::remove_if(all.begin(), all.end(), [](const Entry& e) { return e.hidden; }),
              all.end());
  }
  return all;
}

std::optional<Entry> Directory::find(const std::string& number) const {
  std::lock_guard lk(mu_);
  for (auto& e : merged_locked()) {
    if (e.number == number) return e;
  }
  return std::nullopt;
}

std::string Directory::name_of(const std::string& number) const {
  auto e = find(number);
  return e ? e->name : std::string();
}

std::set<std::string> Directory::extension_numbers() const {
  std::set<std::string> out;
  for (const auto& e : list(true)) {
    if (e.kind == "extension") out.insert(e.number);
  }
  return out;
}

std::set<std::string> Directory::queue_keys() const {
  std::set<std::string> out;
  for (const auto& e : list(true)) {
    if (e.kind != "queue") continue;
    out.insert(e.number);
    if (!e.name.empty()) out.insert(e.name);
  }
  return out;
}

std::set<std::string> Directory::match_names(const std::string& term, size_t cap) const {
  std::set<std::string> out;
  std::string t = lower(term);
  if (t.empty()) return out;
  for (const auto& e : list(true)) {
    if (e.kind == "extension" && lower(e.name).find(t) != std::string::npos) {
      out.insert(e.number);
      if (out.size() >= cap) break;
    }
  }
  return out;
}

Status Directory::status() const {
  std::lock_guard lk(mu_);
  return status_;
}

nlohmann::json Directory::to_json(bool include_hidden) const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& e : list(include_hidden)) {
    arr.push_back({{"number", e.number}, {"kind", e.kind}, {"name", e.name}, {"tech", e.tech},
                   {"group", e.group}, {"order", e.order}, {"hidden", e.hidden},
                   {"sources", e.sources}});
  }
  return {{"entries", arr}, {"status", status().to_json()}};
}

}  // namespace opdesk::directory
