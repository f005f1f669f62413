// Read-only lookup of an extension's SIP password in a FreePBX/Issabel `asterisk` database,
// for the softphone's GET /api/webrtc/config (issue #11).
//
// FreePBX keeps every device setting of chan_sip and PJSIP extensions as key/value rows in
// the `sip` table (id = extension, keyword = 'secret', data = the password); Issabel uses the
// same table. This class owns its own small session pool on that database; every call blocks,
// so callers on the event loop run it on the store's worker pool (Store::async). The secret is
// returned to the caller only: nothing here logs it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "store/types.hpp"

namespace opdesk::store {

class Database;

class SipSecretSource {
 public:
  explicit SipSecretSource(DbConfig asterisk_db);
  ~SipSecretSource();
  SipSecretSource(const SipSecretSource&) = delete;
  SipSecretSource& operator=(const SipSecretSource&) = delete;

  // The `secret` of `extension`, or nullopt when the PBX has no such row (or an empty one).
  // Throws Unavailable when the database cannot be reached, StoreError for a missing table.
  std::optional<std::string> secret_of(const std::string& extension);

 private:
  std::unique_ptr<Database> db_;
};

}  // namespace opdesk::store
