// Read-only access to a FreePBX/Issabel `asterisk` database for the extension directory, and
// the panel's own `directory_overrides` table (hide, rename/label, group, order).
//
// FreePBX and Issabel share the classic tables: `users` (extension, name), `devices` (id, tech,
// dial, description) and `queues_config` (extension, descr). Issabel (chan_sip) may lack
// `devices.description` and keeps caller names in the `sip` table (keyword 'callerid'); a
// missing table or column becomes one warning in the result, never an exception, so the
// directory falls back to AMI for that part. A database that cannot be reached throws
// Unavailable (the caller reports it in /api/status and keeps the AMI data).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opdesk::store {

class Database;

struct PbxExtension {
  std::string number, name, tech, dial;
};
struct PbxQueue {
  std::string number, name;
};
struct PbxDirectoryData {
  std::vector<PbxExtension> extensions;
  std::vector<PbxQueue> queues;
  std::vector<std::string> warnings;  // one line per missing table/column
};

PbxDirectoryData read_pbx_directory(Database& asterisk_db);

struct DirectoryOverride {
  std::string extension;
  bool hidden = false;
  std::optional<std::string> label, group;
  std::optional<int> order;
};

// directory_overrides lives in the panel DB; CdrStore::migrate() creates it.
class DirectoryOverrideRepo {
 public:
  explicit DirectoryOverrideRepo(Database& db) : db_(db) {}
  std::vector<DirectoryOverride> list();
  void upsert(const DirectoryOverride& o);  // ValidationError for an empty extension
  bool remove(const std::string& extension);

 private:
  Database& db_;
};

}  // namespace opdesk::store
