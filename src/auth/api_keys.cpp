// API key creation and verification (see api_keys.hpp). The hash input is the raw salt bytes
// followed by the key text; every candidate with the same public prefix is compared (prefixes
// are 32 random bits, so collisions are possible and harmless).
#include "auth/api_keys.hpp"

#include "auth/crypto.hpp"
#include "store/store.hpp"

namespace opdesk::auth {
namespace {

std::string key_hash(const std::string& salt_hex, std::string_view key) {
  return sha256_hex(hex_decode(salt_hex) + std::string(key));
}

}  // namespace

const std::set<std::string>& api_key_scopes() {
  static const std::set<std::string> scopes = {"analytics:read", "calls:read", "calls:write", "cdr:read"};
  return scopes;
}

bool looks_like_api_key(std::string_view s) {
  if (s.size() != kApiKeyPrefix.size() + kApiKeyHexLength || s.substr(0, 4) != kApiKeyPrefix) return false;
  return s.substr(4).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void check_api_key_scopes(const std::set<std::string>& scopes) {
  if (scopes.empty()) throw store::ValidationError("scopes", "at least one scope is required");
  for (const auto& s : scopes) {
    if (!api_key_scopes().count(s)) throw store::ValidationError("scopes", "unknown scope '" + s + "'");
  }
}

CreatedApiKey create_api_key(store::Store& store, const NewApiKeyRequest& req, int64_t now_ms) {
  if (req.name.empty()) throw store::ValidationError("name", "name must not be empty");
  check_api_key_scopes(req.scopes);
  if (req.expires_at && *req.expires_at <= now_ms) {
    throw store::ValidationError("expires_at", "expires_at must be in the future");
  }
  const std::string key = std::string(kApiKeyPrefix) + random_hex(kApiKeyHexLength / 2);
  store::NewApiKey rec;
  rec.name = req.name;
  rec.prefix = key.substr(0, kApiKeyPublicPrefix);
  rec.salt = random_hex(16);
  rec.hash = key_hash(rec.salt, key);
  rec.scopes = req.scopes;
  rec.created_by = req.created_by;
  rec.expires_at = req.expires_at;
  return CreatedApiKey{store.api_keys().create(rec), key};
}

std::optional<store::ApiKey> authenticate_api_key(store::Store& store, std::string_view key, int64_t now_ms) {
  if (!looks_like_api_key(key)) return std::nullopt;
  const std::string prefix(key.substr(0, kApiKeyPublicPrefix));
  for (const auto& cand : store.api_keys().find_by_prefix(prefix)) {
    if (!constant_time_equal(key_hash(cand.salt, key), cand.hash)) continue;
    if (!cand.key.enabled) return std::nullopt;
    if (cand.key.expires_at && *cand.key.expires_at <= now_ms) return std::nullopt;
    store.api_keys().touch_last_used(cand.key.id, now_ms);
    auto out = cand.key;
    out.last_used_at = now_ms;
    return out;
  }
  return std::nullopt;
}

}  // namespace opdesk::auth
