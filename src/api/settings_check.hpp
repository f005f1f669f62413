// One validator for every route that writes panel settings (PUT/POST /api/settings and any
// per-key settings route): each value is checked against its SettingSpec (admin_routes.hpp),
// then, when a CRM_* key is among the writes, the whole CRM configuration those writes would
// produce (environment defaults < stored rows < these writes) goes through crm::validate, the
// same validator PUT /api/settings/crm uses (SSRF host check, no CR/LF, CA file is a PEM
// certificate, auth secrets present). So no path can store a CRM value the CRM page would
// refuse. Blocking (reads a CA file): call it on the store's worker pool, before the write.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/types.hpp"

namespace opdesk::api {

// Throws ApiError 400 naming the setting key (e.g. CRM_SERVER_URL) of the first bad value.
void check_setting_writes(const std::map<std::string, std::string>& crm_defaults,
                          const std::vector<store::Setting>& stored,
                          const std::vector<store::SettingWrite>& writes);

}  // namespace opdesk::api
