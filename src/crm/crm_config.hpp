// CrmConfig: the CRM connector settings (upstream CRM_* keys) as one validated value.
//
// Read from the settings store as a key → value map (`from_settings`), edited through the
// REST API as JSON (`to_json` redacts secrets, `merge_json` keeps a secret when "***" is sent)
// and checked by `validate`, which throws ConfigError naming the offending field, so a bad URL,
// a missing secret or malformed JSON maps are refused at save time and never reach delivery.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace opdesk::crm {

class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// kNone: no auth header (a receiver that trusts the HMAC signature only; the admin settings
// API accepts CRM_AUTH_TYPE=none).
enum class AuthType { kApiKey, kBasic, kBearer, kOAuth2, kNone };
std::string_view to_string(AuthType a);

struct CrmConfig {
  bool enabled = false;
  std::string server_url;  // scheme://host[:port][/base]
  AuthType auth_type = AuthType::kApiKey;
  std::string endpoint_path = "/api/calls";
  int timeout_s = 30;
  bool verify_ssl = true;
  std::string ca_file;  // CRM_CA_FILE: extra trust anchor (self-signed CRMs)
  std::string proxy;    // CRM_PROXY; empty → libcurl honours https_proxy/http_proxy
  std::string api_key, api_key_header = "X-API-Key";
  std::string username, password;
  std::string bearer_token;
  std::string oauth2_client_id, oauth2_client_secret, oauth2_token_url, oauth2_scope;
  std::string signing_secret;  // CRM_SIGNING_SECRET: HMAC key of X-OpDesk-Signature
  // CRM_ALLOW_PRIVATE: loopback/private CRM addresses allowed (ssrf.hpp); link-local never.
  // The upstream CRM_BLOCK_PRIVATE=true forces it off.
  bool allow_private = false;
  int retention_days = 30;  // CRM_LOG_RETENTION_DAYS (upstream WEBHOOK_LOG_RETENTION_DAYS); 0 keeps
  // Recording links in payloads: CRM_RECORDING_BASE_URL (the panel as the CRM reaches it, e.g.
  // https://panel.example.com) + a signed /api/recordings URL valid CRM_RECORDING_TTL_HOURS.
  std::string recording_base_url;
  int recording_ttl_hours = 168;

  bool sync_enabled = true;
  std::string sync_endpoint;   // CRM_SYNC_ENDPOINT overrides endpoint_path when set
  std::string sync_method = "POST";
  std::vector<std::string> sync_fields;  // empty → the default field set
  bool sync_dir_inbound = true, sync_dir_outbound = true, sync_dir_internal = true;
  std::string sync_duration_format = "hms";  // hms | seconds
  std::map<std::string, std::string> sync_status_map;  // OUTCOME (upper) → wire value
  std::map<std::string, std::string> sync_key_map;     // default wire key → renamed key
  bool push_ringing = false, push_answered = false;    // CRM_SYNC_EVENTS adds them

  bool lookup_enabled = false;
  std::string lookup_url;  // path with [Number]
  std::string lookup_name_template = "[name]";
  std::string lookup_number_format = "digits";  // digits | as_is | plus | zeros
  int lookup_ttl_hours = 24;

  std::string push_url() const;  // server_url + (sync_endpoint or endpoint_path)
};

// Settings key → value (CRM_* names). Bad values throw ConfigError.
CrmConfig from_settings(const std::map<std::string, std::string>& kv);
// The settings writes for `c` (key, value, secret).
struct SettingKv {
  std::string key, value;
  bool secret = false;
};
std::vector<SettingKv> to_settings(const CrmConfig& c);

// JSON object keys follow the upstream config object (enabled, server_url, auth_type, ...).
nlohmann::json to_json(const CrmConfig& c);  // secrets shown as "***" when set, "" when not
// Applies the keys present in `j` over `base`; a secret equal to "***" keeps the old value.
CrmConfig merge_json(const CrmConfig& base, const nlohmann::json& j);
// Throws ConfigError(field, message) on the first problem (payload shaping included), incl. a
// server/token URL whose host literal the SSRF guard refuses.
void validate(const CrmConfig& c);

// The settings key (CRM_SERVER_URL) of a JSON field name (server_url) as ConfigError names it.
std::string setting_key(const std::string& json_field);

// "https://user:pass@host/x?token=y" → "https://***@host/x?token=***".
std::string redact_url(const std::string& url);

}  // namespace opdesk::crm
