// SipSecretSource: one parameterised SELECT on the FreePBX `sip` key/value table (see
// sip_secrets.hpp). Kept apart from the directory reader (cdr_freepbx.cpp, directory lane) so
// the only code that touches SIP passwords is this file and the softphone's route.
#include "store/sip_secrets.hpp"

#include <soci/soci.h>

#include "store/database.hpp"
#include "store/query.hpp"

namespace opdesk::store {

SipSecretSource::SipSecretSource(DbConfig asterisk_db)
    : db_(std::make_unique<Database>(std::move(asterisk_db))) {}

SipSecretSource::~SipSecretSource() = default;

std::optional<std::string> SipSecretSource::secret_of(const std::string& extension) {
  return db_->with_session([&](soci::session& sql) -> std::optional<std::string> {
    std::string data;
    soci::indicator ind = soci::i_ok;
    Query q(sql);
    q.into(data, ind);
    q.use(extension);
    std::optional<std::string> out;
    q.run("SELECT data FROM sip WHERE id = :id AND keyword = 'secret'", [&] {
      if (ind == soci::i_ok && !data.empty()) out = data;
    });
    return out;
  });
}

}  // namespace opdesk::store
