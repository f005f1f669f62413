// CrmOutbox: the CRM delivery outbox (crm_deliveries) and the local contacts (crm_contacts).
//
// Blocking repository over the store's Database (callers on the event loop go through
// Store::async). Its own versioned, idempotent migrate() keeps `crm_schema_version`. A row is
// written before the first send attempt, so a panel restart resumes every pending delivery;
// `due` returns only the oldest pending row of each call, so events of one call go out in order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace opdesk::store {

class Database;

struct CrmDelivery {
  int64_t id = 0;
  std::string idem_key, linkedid, event;
  std::string body;
  std::string status;  // pending | delivered | failed
  int attempts = 0;
  int64_t next_at = 0, created_at = 0, updated_at = 0;
  int response_code = 0;  // 0: no HTTP answer
  std::string response_excerpt;  // ≤ 1 KiB
  int64_t latency_ms = 0;
  std::string last_error;
};

struct CrmNewDelivery {
  std::string idem_key, linkedid, event, body;
  int64_t now_ms = 0;
};

struct CrmAttempt {
  std::string status;  // the new status
  int response_code = 0;
  std::string response_excerpt, error;
  int64_t latency_ms = 0;
  int64_t next_at = 0;  // when pending again
  int64_t now_ms = 0;
};

struct CrmDeliveryQuery {
  std::string status;  // empty: any
  std::string search;  // substring of linkedid, idem key, error or body
  std::string linkedid;  // exact call id (empty: any)
  int64_t cursor = 0;  // ids below this (0: newest)
  int limit = 50;      // 1..200
};

struct CrmDeliveryPage {
  std::vector<CrmDelivery> items;
  std::optional<int64_t> next_cursor;
};

struct CrmContact {
  int64_t id = 0;
  std::string name, phone, phone_key, source;  // source: manual | crm
  int64_t updated_at = 0;
};

class CrmOutbox {
 public:
  explicit CrmOutbox(Database& db) : db_(db) {}
  int migrate();  // returns how many steps ran (0 when current)

  // The new row's id, or nullopt when idem_key is already stored (nothing written).
  std::optional<int64_t> enqueue(const CrmNewDelivery& d);
  // Pending rows with next_at ≤ now, each the oldest pending row of its call; oldest first.
  std::vector<CrmDelivery> due(int64_t now_ms, int limit);
  // The earliest next_at of a sendable pending row (nullopt: nothing pending).
  std::optional<int64_t> next_due_at();
  void record_attempt(int64_t id, const CrmAttempt& a);  // attempts + 1
  std::optional<CrmDelivery> get(int64_t id);
  CrmDeliveryPage query(const CrmDeliveryQuery& q);
  // Marks rows pending again (attempts reset), due now; returns how many existed.
  int resend(const std::vector<int64_t>& ids, int64_t now_ms);
  int64_t prune_before(int64_t ms);  // finished rows (delivered/failed) older than ms
  int64_t count(const std::string& status);

  std::vector<CrmContact> contacts(const std::string& search, int limit);
  std::optional<CrmContact> contact(int64_t id);
  std::optional<CrmContact> contact_by_key(const std::string& phone_key);
  CrmContact create_contact(const CrmContact& c);  // Conflict("phone") when the key is taken
  CrmContact update_contact(int64_t id, const CrmContact& c);  // NotFound("contact")
  void remove_contact(int64_t id);
  // Inserts a CRM-sourced contact unless the key is already stored.
  void remember_crm_contact(const std::string& name, const std::string& phone,
                            const std::string& phone_key, int64_t now_ms);

 private:
  Database& db_;
};

}  // namespace opdesk::store
