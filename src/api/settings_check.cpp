// The settings validator (see settings_check.hpp).
#include "settings_check.hpp"

#include "admin_routes.hpp"
#include "crm/crm_config.hpp"
#include "http_util.hpp"

namespace opdesk::api {
namespace {

bool crm_key(const std::string& k) { return k.rfind("CRM_", 0) == 0 || k == "WEBHOOK_LOG_RETENTION_DAYS"; }

}  // namespace

void check_setting_writes(const std::map<std::string, std::string>& crm_defaults,
                          const std::vector<store::Setting>& stored,
                          const std::vector<store::SettingWrite>& writes) {
  bool touches_crm = false;
  for (const auto& w : writes) {
    auto spec = setting_specs().find(w.key);
    if (spec == setting_specs().end()) {
      throw ApiError(400, "settings.key.unknown", "unknown or read-only setting '" + w.key + "'", w.key);
    }
    if (!spec->second.valid(w.value)) {
      throw ApiError(400, "request.field.invalid", w.key + " must be " + spec->second.expected, w.key);
    }
    touches_crm = touches_crm || crm_key(w.key);
  }
  if (!touches_crm) return;
  std::map<std::string, std::string> kv = crm_defaults;
  for (const auto& s : stored) {
    if (crm_key(s.key)) kv[s.key] = s.value;
  }
  for (const auto& w : writes) kv[w.key] = w.value;
  try {
    crm::validate(crm::from_settings(kv));
  } catch (const crm::ConfigError& e) {
    const std::string key = crm::setting_key(e.field());
    throw ApiError(400, "crm.config.invalid", key + ": " + e.what(), key);
  }
}

}  // namespace opdesk::api
