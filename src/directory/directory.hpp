// Directory: the one list of extensions and queues the panel shows, merged from three sources.
//
//   1. AMI (always): what the engine discovered (endpoints, hints, queues) — works on any
//      Asterisk.
//   2. The FreePBX/Issabel `asterisk` DB (optional, read only): names, technologies, queue
//      descriptions (store::read_pbx_directory). If it is down or incomplete the panel keeps
//      the AMI data and the last good DB read, logs one clear warning and reports it in
//      status() for /api/status.
//   3. Admin overrides (panel DB `directory_overrides`): hide, label, group, order.
//
// Precedence for a name: override label > PBX DB name > AMI name. Entries only the PBX DB
// knows are listed too (an extension that is not registered yet). Thread-safe: the engine
// side updates it on the event loop while REST handlers read it on worker threads.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/cdr_freepbx.hpp"

namespace opdesk::directory {

struct Entry {
  std::string number;
  std::string kind = "extension";  // extension | queue
  std::string name;                // label, else PBX name, else AMI name
  std::string tech;                // PJSIP, SIP, IAX2, ...
  std::string group;
  int order = 0;
  bool hidden = false;
  std::set<std::string> sources;  // ami, pbxdb, override
};

struct Status {
  std::string mode = "ami";  // ami | freepbx | issabel
  bool db_configured = false;
  bool db_ok = false;
  std::string message;
  std::vector<std::string> warnings;
  nlohmann::json to_json() const;
};

class Directory {
 public:
  explicit Directory(std::string mode = "ami");

  // AMI-discovered entries (replace the previous AMI set of that kind).
  void set_ami_extensions(const std::vector<Entry>& entries);
  void set_ami_queues(const std::vector<Entry>& entries);
  // Result of a PBX DB read, or the error that prevented it.
  void set_pbx_data(const store::PbxDirectoryData& data);
  void set_pbx_error(const std::string& message);
  void set_overrides(const std::vector<store::DirectoryOverride>& overrides);

  // Sorted by group, order, number; hidden entries only when asked.
  std::vector<Entry> list(bool include_hidden = false) const;
  std::optional<Entry> find(const std::string& number) const;
  std::string name_of(const std::string& number) const;
  std::set<std::string> extension_numbers() const;
  // Queue numbers and names (both appear in CDR rows: dst and Queue() data).
  std::set<std::string> queue_keys() const;
  // Extensions whose name contains term (case-insensitive ASCII), at most `cap`.
  std::set<std::string> match_names(const std::string& term, size_t cap = 200) const;
  Status status() const;
  nlohmann::json to_json(bool include_hidden = false) const;

 private:
  std::vector<Entry> merged_locked() const;

  mutable std::mutex mu_;
  Status status_;
  std::vector<Entry> ami_ext_, ami_queues_;
  store::PbxDirectoryData pbx_;
  std::vector<store::DirectoryOverride> overrides_;
};

}  // namespace opdesk::directory
