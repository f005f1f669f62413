// Small crypto helpers for opdesk::auth: randomness, hashing, constant-time comparison.
// All randomness comes from libsodium (randombytes_buf, seeded by the kernel).
#pragma once

#include <string>
#include <string_view>

namespace opdesk::auth {

void init_crypto();  // sodium_init once per process; every helper calls it
std::string random_hex(size_t bytes);       // 2*bytes lowercase hex chars
std::string random_password(size_t bytes);  // URL-safe base64 without padding
std::string sha256_hex(std::string_view data);
std::string hex_decode(std::string_view hex);  // empty on malformed input
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace opdesk::auth
