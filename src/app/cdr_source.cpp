// CdrSource selection (see cdr_source.hpp). Start-up wiring only: the choice is made once; the
// queries themselves live in store::CdrStore, which is the same API over both tables.
#include "cdr_source.hpp"
#include "store_config.hpp"

#include <spdlog/spdlog.h>

#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "store/errors.hpp"

namespace opdesk::app {

CdrSource::CdrSource() = default;
CdrSource::~CdrSource() = default;
CdrSource::CdrSource(CdrSource&&) noexcept = default;
CdrSource& CdrSource::operator=(CdrSource&&) noexcept = default;

bool freepbx_enabled(const Config& c) { return c.freepbx.enabled || !c.freepbx.user.empty(); }


nlohmann::json CdrSource::to_json() const {
  nlohmann::json j = {{"source", source}, {"freepbx_configured", freepbx_configured}};
  if (!error.empty()) j["error"] = error;
  return j;
}

CdrSource select_cdr_source(const Config& c, store::CdrStore& own) {
  CdrSource s;
  s.active = &own;
  s.freepbx_configured = freepbx_enabled(c) && !c.freepbx.cdr_db.empty();
  if (!s.freepbx_configured) return s;
  try {
    // Two sessions: call-log pages and CSV exports run on the store's worker pool.
    auto db = std::make_unique<store::Database>(freepbx_db_config(c, c.freepbx.cdr_db, 2));
    auto cdr = store::CdrStore::open_freepbx(*db);
    s.db = std::move(db);
    s.freepbx = std::move(cdr);
    s.active = s.freepbx.get();
    s.source = "freepbx";
    spdlog::info("call log: reading {}.cdr on {}:{} (read only)", c.freepbx.cdr_db, c.freepbx.host,
                 c.freepbx.port);
  } catch (const store::StoreError& e) {
    s.error = std::string("FreePBX CDR database ") + c.freepbx.cdr_db + " unusable (" + e.what() +
              "); the call log uses the panel's own table";
    spdlog::error("call log: {}", s.error);
  }
  return s;
}

std::function<boost::asio::awaitable<void>(nlohmann::json&)> cdr_source_status(const CdrSource& s) {
  return [&s](nlohmann::json& j) -> boost::asio::awaitable<void> {
    j["call_log"] = s.to_json();
    co_return;
  };
}

}  // namespace opdesk::app
