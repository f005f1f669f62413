// ContactLookup: caller name by number — local contacts first, then the CRM, with a cache.
//
// `cached_name` never blocks (the engine/UI label ringing calls with it); a miss schedules one
// background resolve per number (deduplicated). `lookup` awaits the full resolution: local
// crm_contacts row (by digits key), else a CRM GET to lookup_url with [Number] replaced, the
// name taken from the response by the lookup_name_template ("[data.0.name]"). Hits and misses
// are cached (positive and negative TTL = lookup_ttl_hours; transport errors 60 s), bounded.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "crm/crm_service.hpp"

namespace opdesk::crm {

struct LookupResult {
  std::string phone;
  std::optional<std::string> name;
  std::string source;  // contacts | crm | none
  bool cached = false;
  nlohmann::json to_json() const;
};

// Digits of a number ("+49 (30) 123" → "4930123").
std::string phone_key(std::string_view number);
// Number as the CRM expects it (digits | as_is | plus | zeros).
std::string format_number(std::string_view number, const std::string& format);
// Fills "[a.b.0.c]" tokens from `doc`; literal text kept, whitespace collapsed; "" when no
// token resolved.
std::string apply_name_template(const std::string& templ, const nlohmann::json& doc);

class ContactLookup {
 public:
  static constexpr size_t kMaxCache = 5000;

  // Destroy after the event loop stopped (background resolves refer to this object).
  explicit ContactLookup(CrmService& service);
  ~ContactLookup();

  std::optional<std::string> cached_name(const std::string& number);
  boost::asio::awaitable<LookupResult> lookup(std::string number);
  void forget(const std::string& number);  // after a contact edit
  void clear();

 private:
  struct Entry {
    std::optional<std::string> name;
    std::string source;
    std::chrono::steady_clock::time_point expires;
  };
  struct Shared {
    std::mutex mu;
    std::map<std::string, Entry> cache;
    std::set<std::string> in_flight;
  };
  void put(const std::string& key, Entry e);

  CrmService& service_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace opdesk::crm
