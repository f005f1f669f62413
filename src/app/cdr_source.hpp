// Which `cdr` table the call log reads: the panel's own (filled from AMI Cdr events) or, when
// FreePBX/Issabel is configured, `asteriskcdrdb.cdr` read only (DB_CDR / [freepbx] cdr_db).
//
// FreePBX counts as configured when [freepbx] enabled = true or its user is set (the upstream
// .env always sets DB_USER). An empty cdr_db keeps the own table even then. When the FreePBX
// CDR database cannot be opened at start-up (down, wrong credentials, no cdr table) the own
// table serves the call log, the reason is logged once and GET /api/status shows it under
// "call_log" — the panel still starts.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config.hpp"
#include "store/types.hpp"

namespace opdesk::store {
class CdrStore;
class Database;
}  // namespace opdesk::store

namespace opdesk::app {

bool freepbx_enabled(const Config& c);

struct CdrSource {
  CdrSource();
  ~CdrSource();
  CdrSource(CdrSource&&) noexcept;
  CdrSource& operator=(CdrSource&&) noexcept;

  store::CdrStore* active = nullptr;  // what /api/call-log reads
  std::string source = "own";         // own | freepbx
  bool freepbx_configured = false;
  std::string error;                  // why the configured FreePBX table is not used
  std::unique_ptr<store::Database> db;        // asteriskcdrdb (read only)
  std::unique_ptr<store::CdrStore> freepbx;

  bool own() const { return source == "own"; }
  nlohmann::json to_json() const;
};

// Blocking (probes the FreePBX table once); call at start-up, before the event loop runs.
CdrSource select_cdr_source(const Config& c, store::CdrStore& own);

// GET /api/status part ("call_log").
std::function<boost::asio::awaitable<void>(nlohmann::json&)> cdr_source_status(const CdrSource& s);

}  // namespace opdesk::app
