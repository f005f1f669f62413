// CrmConfig conversions: settings map ⇄ struct ⇄ JSON, validation and URL redaction.
//
// How it fits: the lead loads the CRM_* settings into from_settings at start and after each
// save; the REST layer uses merge_json + validate + to_settings. Invariants: one table lists
// every string field with its settings key, JSON key and whether it is a secret, so the three
// forms cannot drift apart; secrets never leave through to_json.
#include "crm/crm_config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "crm/payload.hpp"
#include "crm/ssrf.hpp"

namespace opdesk::crm {
namespace {

struct StrField {
  const char* setting;
  const char* json;
  std::string CrmConfig::*member;
  bool secret;
};

const std::vector<StrField>& str_fields() {
  static const std::vector<StrField> f = {
      {"CRM_SERVER_URL", "server_url", &CrmConfig::server_url, false},
      {"CRM_ENDPOINT_PATH", "endpoint_path", &CrmConfig::endpoint_path, false},
      {"CRM_CA_FILE", "ca_file", &CrmConfig::ca_file, false},
      {"CRM_PROXY", "proxy", &CrmConfig::proxy, false},
      {"CRM_API_KEY", "api_key", &CrmConfig::api_key, true},
      {"CRM_API_KEY_HEADER", "api_key_header", &CrmConfig::api_key_header, false},
      {"CRM_USERNAME", "username", &CrmConfig::username, false},
      {"CRM_PASSWORD", "password", &CrmConfig::password, true},
      {"CRM_BEARER_TOKEN", "bearer_token", &CrmConfig::bearer_token, true},
      {"CRM_OAUTH2_CLIENT_ID", "oauth2_client_id", &CrmConfig::oauth2_client_id, false},
      {"CRM_OAUTH2_CLIENT_SECRET", "oauth2_client_secret", &CrmConfig::oauth2_client_secret, true},
      {"CRM_OAUTH2_TOKEN_URL", "oauth2_token_url", &CrmConfig::oauth2_token_url, false},
      {"CRM_OAUTH2_SCOPE", "oauth2_scope", &CrmConfig::oauth2_scope, false},
      {"CRM_SIGNING_SECRET", "signing_secret", &CrmConfig::signing_secret, true},
      {"CRM_SYNC_ENDPOINT", "sync_endpoint", &CrmConfig::sync_endpoint, false},
      {"CRM_SYNC_METHOD", "sync_method", &CrmConfig::sync_method, false},
      {"CRM_SYNC_DURATION_FORMAT", "sync_duration_format", &CrmConfig::sync_duration_format, false},
      {"CRM_LOOKUP_URL", "lookup_url", &CrmConfig::lookup_url, false},
      {"CRM_LOOKUP_NAME_TEMPLATE", "lookup_name_template", &CrmConfig::lookup_name_template, false},
      {"CRM_LOOKUP_NUMBER_FORMAT", "lookup_number_format", &CrmConfig::lookup_number_format, false},
      {"CRM_RECORDING_BASE_URL", "recording_base_url", &CrmConfig::recording_base_url, false},
  };
  return f;
}

struct BoolField {
  const char* setting;
  const char* json;
  bool CrmConfig::*member;
};

const std::vector<BoolField>& bool_fields() {
  static const std::vector<BoolField> f = {
      {"CRM_ENABLED", "enabled", &CrmConfig::enabled},
      {"CRM_VERIFY_SSL", "verify_ssl", &CrmConfig::verify_ssl},
      {"CRM_SYNC_ENABLED", "sync_enabled", &CrmConfig::sync_enabled},
      {"CRM_SYNC_DIR_INBOUND", "sync_dir_inbound", &CrmConfig::sync_dir_inbound},
      {"CRM_SYNC_DIR_OUTBOUND", "sync_dir_outbound", &CrmConfig::sync_dir_outbound},
      {"CRM_SYNC_DIR_INTERNAL", "sync_dir_internal", &CrmConfig::sync_dir_internal},
      {"CRM_SYNC_PUSH_RINGING", "push_ringing", &CrmConfig::push_ringing},
      {"CRM_SYNC_PUSH_ANSWERED", "push_answered", &CrmConfig::push_answered},
      {"CRM_LOOKUP_ENABLED", "lookup_enabled", &CrmConfig::lookup_enabled},
      {"CRM_ALLOW_PRIVATE", "allow_private", &CrmConfig::allow_private},
  };
  return f;
}

bool parse_bool(const std::string& field, const std::string& v) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return false;
  throw ConfigError(field, field + ": expected true or false");
}

int parse_int(const std::string& field, const std::string& v, int lo, int hi) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size() && n >= lo && n <= hi) return n;
  } catch (const std::exception&) {
  }
  throw ConfigError(field, field + ": expected a whole number from " + std::to_string(lo) +
                               " to " + std::to_string(hi));
}

std::map<std::string, std::string> parse_map(const std::string& field, const nlohmann::json& j) {
  if (!j.is_object()) throw ConfigError(field, field + ": expected a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) throw ConfigError(field, field + ": every value must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::map<std::string, std::string> parse_map_text(const std::string& field, const std::string& s) {
  if (s.empty()) return {};
  auto j = nlohmann::json::parse(s, nullptr, false);
  if (j.is_discarded()) throw ConfigError(field, field + ": not valid JSON");
  return parse_map(field, j);
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string join_csv(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

struct IntField {
  const char* setting;
  const char* json;
  int CrmConfig::*member;
  int lo, hi;
};

const std::vector<IntField>& int_fields() {
  static const std::vector<IntField> f = {
      {"CRM_TIMEOUT", "timeout", &CrmConfig::timeout_s, 1, 300},
      {"CRM_LOOKUP_TTL_HOURS", "lookup_ttl_hours", &CrmConfig::lookup_ttl_hours, 0, 24 * 365},
      {"CRM_LOG_RETENTION_DAYS", "retention_days", &CrmConfig::retention_days, 0, 3650},
      {"CRM_RECORDING_TTL_HOURS", "recording_ttl_hours", &CrmConfig::recording_ttl_hours, 1, 24 * 90},
  };
  return f;
}

AuthType parse_auth(const std::string& s) {
  if (s == "api_key" || s.empty()) return AuthType::kApiKey;
  if (s == "basic_auth" || s == "basic") return AuthType::kBasic;
  if (s == "bearer_token" || s == "bearer") return AuthType::kBearer;
  if (s == "oauth2") return AuthType::kOAuth2;
  if (s == "none") return AuthType::kNone;
  throw ConfigError("auth_type", "auth_type: expected api_key, basic_auth, bearer_token, oauth2 or none");
}

void check_url(const std::string& field, const std::string& url, bool allow_private) {
  auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") {
    throw ConfigError(field, field + ": must be an http:// or https:// URL");
  }
  std::string rest = url.substr(scheme_end + 3);
  if (rest.empty() || rest[0] == '/' || rest.find_first_of(" \r\n\t") != std::string::npos) {
    throw ConfigError(field, field + ": has no host or contains spaces");
  }
  if (std::string why = check_url_host(url, allow_private); !why.empty()) {
    throw ConfigError(field, field + ": refused: " + why);
  }
}

// CRM_CA_FILE is handed to libcurl as a trust anchor: only an absolute path to a readable,
// small PEM file holding a certificate (so /etc/shadow or a directory are refused).
void check_ca_file(const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  const char* field = "ca_file";
  if (path.size() > 1024 || path[0] != '/' || path.find('\0') != std::string::npos) {
    throw ConfigError(field, "ca_file: must be an absolute path");
  }
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (ec || !fs::is_regular_file(st)) throw ConfigError(field, "ca_file: no such file");
  if (fs::file_size(path, ec) > (1u << 20) || ec) throw ConfigError(field, "ca_file: larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw ConfigError(field, "ca_file: cannot be read");
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    throw ConfigError(field, "ca_file: not a PEM certificate file");
  }
}

void require_secret(const std::string& field, const std::string& v, std::string_view mode) {
  if (v.empty()) {
    throw ConfigError(field, field + " is required for auth_type " + std::string(mode));
  }
}

}  // namespace

std::string_view to_string(AuthType a) {
  switch (a) {
    case AuthType::kApiKey: return "api_key";
    case AuthType::kBasic: return "basic_auth";
    case AuthType::kBearer: return "bearer_token";
    case AuthType::kOAuth2: return "oauth2";
    case AuthType::kNone: return "none";
  }
  return "api_key";
}

std::string CrmConfig::push_url() const {
  std::string path = sync_endpoint.empty() ? endpoint_path : sync_endpoint;
  if (path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0) return path;
  std::string base = server_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!path.empty() && path[0] != '/') path = "/" + path;
  return base + path;
}

CrmConfig from_settings(const std::map<std::string, std::string>& kv) {
  CrmConfig c;
  auto get = [&](const char* k) -> const std::string* {
    auto it = kv.find(k);
    return it == kv.end() ? nullptr : &it->second;
  };
  for (const auto& f : str_fields()) {
    if (const auto* v = get(f.setting); v && !v->empty()) c.*f.member = *v;
  }
  for (const auto& f : bool_fields()) {
    if (const auto* v = get(f.setting); v && !v->empty()) c.*f.member = parse_bool(f.json, *v);
  }
  if (const auto* v = get("CRM_AUTH_TYPE")) c.auth_type = parse_auth(*v);
  if (const auto* v = get("WEBHOOK_LOG_RETENTION_DAYS"); v && !v->empty()) {
    c.retention_days = parse_int("retention_days", *v, 0, 3650);
  }
  for (const auto& f : int_fields()) {
    if (const auto* v = get(f.setting); v && !v->empty()) c.*f.member = parse_int(f.json, *v, f.lo, f.hi);
  }
  if (const auto* v = get("CRM_BLOCK_PRIVATE"); v && !v->empty() && parse_bool("block_private", *v)) {
    c.allow_private = false;
  }
  if (const auto* v = get("CRM_SYNC_FIELDS")) c.sync_fields = split_csv(*v);
  if (const auto* v = get("CRM_SYNC_STATUS_MAP")) c.sync_status_map = parse_map_text("sync_status_map", *v);
  if (const auto* v = get("CRM_SYNC_KEY_MAP")) c.sync_key_map = parse_map_text("sync_key_map", *v);
  std::transform(c.sync_method.begin(), c.sync_method.end(), c.sync_method.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  return c;
}

std::vector<SettingKv> to_settings(const CrmConfig& c) {
  std::vector<SettingKv> out;
  for (const auto& f : str_fields()) out.push_back({f.setting, c.*f.member, f.secret});
  for (const auto& f : bool_fields()) out.push_back({f.setting, c.*f.member ? "true" : "false"});
  out.push_back({"CRM_AUTH_TYPE", std::string(to_string(c.auth_type))});
  for (const auto& f : int_fields()) out.push_back({f.setting, std::to_string(c.*f.member)});
  out.push_back({"CRM_SYNC_FIELDS", join_csv(c.sync_fields)});
  out.push_back({"CRM_SYNC_STATUS_MAP", nlohmann::json(c.sync_status_map).dump()});
  out.push_back({"CRM_SYNC_KEY_MAP", nlohmann::json(c.sync_key_map).dump()});
  return out;
}

nlohmann::json to_json(const CrmConfig& c) {
  nlohmann::json j;
  for (const auto& f : str_fields()) {
    const std::string& v = c.*f.member;
    j[f.json] = f.secret ? (v.empty() ? "" : "***") : v;
  }
  for (const auto& f : bool_fields()) j[f.json] = c.*f.member;
  j["server_url"] = redact_url(c.server_url);
  j["proxy"] = redact_url(c.proxy);
  j["auth_type"] = to_string(c.auth_type);
  for (const auto& f : int_fields()) j[f.json] = c.*f.member;
  j["sync_fields"] = c.sync_fields;
  j["sync_status_map"] = c.sync_status_map;
  j["sync_key_map"] = c.sync_key_map;
  return j;
}

CrmConfig merge_json(const CrmConfig& base, const nlohmann::json& j) {
  if (!j.is_object()) throw ConfigError("body", "expected a JSON object");
  CrmConfig c = base;
  for (const auto& f : str_fields()) {
    if (!j.contains(f.json) || j[f.json].is_null()) continue;
    if (!j[f.json].is_string()) throw ConfigError(f.json, std::string(f.json) + ": expected a string");
    std::string v = j[f.json].get<std::string>();
    if (v.size() > 4096) throw ConfigError(f.json, std::string(f.json) + ": too long");
    bool keep = v == "***" || ((f.member == &CrmConfig::server_url || f.member == &CrmConfig::proxy) &&
                               v == redact_url(c.*f.member) && v.find("***") != std::string::npos);
    if (!keep) c.*f.member = v;
  }
  for (const auto& f : bool_fields()) {
    if (!j.contains(f.json) || j[f.json].is_null()) continue;
    if (!j[f.json].is_boolean()) throw ConfigError(f.json, std::string(f.json) + ": expected true or false");
    c.*f.member = j[f.json].get<bool>();
  }
  if (j.contains("auth_type")) {
    if (!j["auth_type"].is_string()) throw ConfigError("auth_type", "auth_type: expected a string");
    c.auth_type = parse_auth(j["auth_type"].get<std::string>());
  }
  for (const auto& f : int_fields()) {
    if (!j.contains(f.json) || j[f.json].is_null()) continue;
    const auto& v = j[f.json];
    if (!v.is_number_integer() || v.get<long long>() < f.lo || v.get<long long>() > f.hi) {
      throw ConfigError(f.json, std::string(f.json) + ": expected a whole number from " +
                                    std::to_string(f.lo) + " to " + std::to_string(f.hi));
    }
    c.*f.member = v.get<int>();
  }
  if (j.contains("sync_fields")) {
    const auto& v = j["sync_fields"];
    if (v.is_string()) {
      c.sync_fields = split_csv(v.get<std::string>());
    } else if (v.is_array() && std::all_of(v.begin(), v.end(), [](auto& e) { return e.is_string(); })) {
      c.sync_fields = v.get<std::vector<std::string>>();
    } else {
      throw ConfigError("sync_fields", "sync_fields: expected a list of field names");
    }
  }
  for (auto [key, member] : {std::pair{"sync_status_map", &CrmConfig::sync_status_map},
                             std::pair{"sync_key_map", &CrmConfig::sync_key_map}}) {
    if (!j.contains(key)) continue;
    c.*member = j[key].is_string() ? parse_map_text(key, j[key].get<std::string>())
                                   : parse_map(key, j[key]);
  }
  std::transform(c.sync_method.begin(), c.sync_method.end(), c.sync_method.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  return c;
}

void validate(const CrmConfig& c) {
  if (c.enabled || !c.server_url.empty()) check_url("server_url", c.server_url, c.allow_private);
  // The proxy is the administrator's own infrastructure (often on a private network); the
  // connect-time guard still refuses link-local and, without allow_private, private peers.
  if (!c.proxy.empty()) check_url("proxy", c.proxy, true);
  if (!c.recording_base_url.empty()) check_url("recording_base_url", c.recording_base_url, true);
  check_ca_file(c.ca_file);
  if (c.timeout_s < 1 || c.timeout_s > 300) throw ConfigError("timeout", "timeout: 1 to 300 seconds");
  if (c.sync_method != "POST" && c.sync_method != "PUT") {
    throw ConfigError("sync_method", "sync_method: expected POST or PUT");
  }
  if (c.sync_duration_format != "hms" && c.sync_duration_format != "seconds") {
    throw ConfigError("sync_duration_format", "sync_duration_format: expected hms or seconds");
  }
  // Values end up in HTTP headers and URLs: CR/LF would let one inject a header.
  for (const auto& f : str_fields()) {
    if ((c.*f.member).find_first_of("\r\n") != std::string::npos) {
      throw ConfigError(f.json, std::string(f.json) + ": must not contain line breaks");
    }
  }
  auto mode = to_string(c.auth_type);
  if (c.enabled) {
    switch (c.auth_type) {
      case AuthType::kApiKey:
        require_secret("api_key", c.api_key, mode);
        if (c.api_key_header.empty() || c.api_key_header.find_first_of(": \r\n") != std::string::npos) {
          throw ConfigError("api_key_header", "api_key_header: not a valid header name");
        }
        break;
      case AuthType::kBasic:
        require_secret("username", c.username, mode);
        require_secret("password", c.password, mode);
        break;
      case AuthType::kBearer: require_secret("bearer_token", c.bearer_token, mode); break;
      case AuthType::kNone: break;
      case AuthType::kOAuth2:
        require_secret("oauth2_client_id", c.oauth2_client_id, mode);
        require_secret("oauth2_client_secret", c.oauth2_client_secret, mode);
        check_url("oauth2_token_url", c.oauth2_token_url, c.allow_private);
        break;
    }
  }
  for (const auto& [k, v] : c.sync_key_map) {
    if (v.empty()) throw ConfigError("sync_key_map", "sync_key_map: empty target key for " + k);
  }
  if (!c.lookup_url.empty() && c.lookup_url.find("://") != std::string::npos) {
    throw ConfigError("lookup_url", "lookup_url: must be a path on the CRM server");
  }
  for (const char* f : {"lookup_number_format"}) {
    const auto& v = c.lookup_number_format;
    if (v != "digits" && v != "as_is" && v != "plus" && v != "zeros") {
      throw ConfigError(f, "lookup_number_format: expected digits, as_is, plus or zeros");
    }
  }
  validate_shaping(c);  // unknown fields, key-map collisions, unknown outcomes
}

std::string setting_key(const std::string& json_field) {
  for (const auto& f : str_fields()) if (json_field == f.json) return f.setting;
  for (const auto& f : bool_fields()) if (json_field == f.json) return f.setting;
  for (const auto& f : int_fields()) if (json_field == f.json) return f.setting;
  if (json_field == "auth_type") return "CRM_AUTH_TYPE";
  if (json_field == "sync_fields") return "CRM_SYNC_FIELDS";
  if (json_field == "sync_status_map") return "CRM_SYNC_STATUS_MAP";
  if (json_field == "sync_key_map") return "CRM_SYNC_KEY_MAP";
  if (json_field == "block_private") return "CRM_BLOCK_PRIVATE";
  return json_field;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto host_end = out.find_first_of("/?#", scheme + 3);
    auto at = out.rfind('@', host_end == std::string::npos ? out.size() : host_end);
    if (at != std::string::npos && at > scheme) out.replace(scheme + 3, at - scheme - 3, "***");
  }
  auto q = out.find('?');
  if (q == std::string::npos) return out;
  std::string query = out.substr(q + 1), rebuilt;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string kv = query.substr(start, end - start);
    auto eq = kv.find('=');
    if (eq != std::string::npos) kv = kv.substr(0, eq + 1) + "***";
    rebuilt += (rebuilt.empty() ? "" : "&") + kv;
    start = end + 1;
  }
  return out.substr(0, q + 1) + rebuilt;
}

}  // namespace opdesk::crm
