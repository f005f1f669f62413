// CRM REST routes: connector settings, test send, delivery log + resend + retention, caller
// lookup and the local contacts table (issue #9).
//
// Settings, test, delivery log and contact writes need the admin role (checked here, on the
// server); the caller lookup and reading contacts need any logged-in user. Secrets are
// write-only: GET shows "***", and "***" (or an omitted key) in a PUT keeps the stored value.
// A bad config is refused at save time with 400 naming the field. The upstream product's paths
// (/api/crm/config, /api/crm/test, /api/crm/contact, /api/contacts, /api/logs/deliveries) are
// served by the same handlers with the upstream response shapes.
#pragma once

#include <functional>

#include "crm/contact_lookup.hpp"
#include "crm/crm_service.hpp"
#include "request_auth.hpp"
#include "router.hpp"
#include "store/store.hpp"

namespace opdesk::api {

struct CrmDeps {
  store::Store& store;
  RequestAuth& auth;
  crm::CrmService& service;
  crm::ContactLookup& lookup;
  std::function<int64_t()> now_ms;
};

void register_crm_routes(Router& router, CrmDeps& deps);

// Stored settings (CRM_* keys) over `base` (environment/.env values) → config; bad stored
// values are reported in `error` and `base` wins for them.
crm::CrmConfig crm_config_from(const std::map<std::string, std::string>& base,
                               const std::vector<store::Setting>& stored, std::string* error);

}  // namespace opdesk::api
