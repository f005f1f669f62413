// API keys for machines: "opd_" + 40 lowercase hex (160 random bits), shown once at creation.
//
// Stored as a per-key random salt (16 bytes, hex) and SHA-256(salt || key); the key's first
// 12 characters are kept in clear as its public prefix. authenticate_api_key() looks the
// prefix up, compares hashes in constant time, rejects disabled or expired keys and records
// last use. Scopes (the upstream set): calls:read, calls:write, cdr:read, analytics:read.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "store/types.hpp"

namespace opdesk::store {
class Store;
}

namespace opdesk::auth {

inline constexpr std::string_view kApiKeyPrefix = "opd_";
inline constexpr size_t kApiKeyHexLength = 40;
inline constexpr size_t kApiKeyPublicPrefix = 12;

const std::set<std::string>& api_key_scopes();  // the known scope names
bool looks_like_api_key(std::string_view s);   // "opd_" + 40 lowercase hex

struct NewApiKeyRequest {
  std::string name;
  std::set<std::string> scopes;  // non-empty subset of api_key_scopes()
  std::string created_by;
  std::optional<int64_t> expires_at;  // ms
};

struct CreatedApiKey {
  store::ApiKey meta;
  std::string key;  // the only time the full key exists outside the caller's hands
};

// Throws store::ValidationError (fields "name", "scopes", "expires_at").
CreatedApiKey create_api_key(store::Store& store, const NewApiKeyRequest& req, int64_t now_ms);
// Validates scope names for a PATCH (throws ValidationError "scopes").
void check_api_key_scopes(const std::set<std::string>& scopes);
// The key's record when it is valid, enabled and not expired at now_ms; touches last_used_at.
std::optional<store::ApiKey> authenticate_api_key(store::Store& store, std::string_view key, int64_t now_ms);

}  // namespace opdesk::auth
