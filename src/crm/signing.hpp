// Delivery signing: the idempotency key and the X-OpDesk-Signature header (OpenSSL).
//
//   Idempotency-Key:    hex(sha256(linkedid + "|" + event))  — stable across retries/resends
//   X-OpDesk-Signature: t=<unix seconds>,v1=<hex(hmac_sha256(secret, t + "." + body))>
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace opdesk::crm {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
std::string idempotency_key(std::string_view linkedid, std::string_view event);
std::string signature_header(std::string_view secret, int64_t unix_seconds, std::string_view body);
std::string base64(std::string_view data);

}  // namespace opdesk::crm
