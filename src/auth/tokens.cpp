// JWT issue/verify with cpp-jwt (see tokens.hpp).
//
// Verification order: empty → missing; decode with algorithms({"HS256"}), our secret and
// verify(true) (rejects alg none/other algorithms, bad signatures, and exp in the past against
// the system clock); then our own checks: exp must be present and after the injected clock,
// sub must be a positive integer and tv an integer. Anything malformed is "invalid" — the
// message never echoes token content. cpp-jwt throws from claim accessors on wrong JSON types,
// so those are caught here and reported as invalid.
#include "auth/tokens.hpp"

#include <charconv>
#include <jwt/jwt.hpp>
#include <stdexcept>

#include "store/store.hpp"
#include "auth/crypto.hpp"

namespace opdesk::auth {
namespace {

constexpr size_t kMaxTokenLength = 4096;  // our tokens are ~300 bytes; bounds decode work

TokenResult fail(std::string_view code, std::string message) {
  return TokenResult{std::nullopt, std::string(code), std::move(message)};
}

int64_t seconds(std::chrono::system_clock::time_point tp) {
  return std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count();
}

std::optional<int64_t> parse_id(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<Claims> read_claims(const jwt::jwt_object& obj) {
  const auto& j = obj.payload().create_json_obj();
  if (!j.contains("exp") || !j["exp"].is_number_integer() || !j.contains("sub") ||
      !j["sub"].is_string() || !j.contains("tv") || !j["tv"].is_number_integer() ||
      !j.contains("iat") || !j["iat"].is_number_integer()) {
    return std::nullopt;
  }
  Claims c;
  auto id = parse_id(j["sub"].get<std::string>());
  if (!id) return std::nullopt;
  c.user_id = *id;
  c.username = j.value("username", "");
  c.role = j.value("role", "");
  c.token_version = j["tv"].get<int64_t>();
  c.iat = j["iat"].get<int64_t>();
  c.exp = j["exp"].get<int64_t>();
  return c;
}

}  // namespace

TokenService::TokenService(std::string secret, Clock clock)
    : secret_(std::move(secret)), clock_(std::move(clock)) {
  if (secret_.size() < kMinJwtSecretLength) {
    throw std::invalid_argument("JWT secret must be at least 32 characters");
  }
}

IssuedToken TokenService::issue(const store::User& user, std::chrono::seconds ttl) const {
  const int64_t now = seconds(clock_());
  const int64_t exp = now + ttl.count();
  jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(secret_)};
  obj.add_claim("sub", std::to_string(user.id))
      .add_claim("username", user.username)
      .add_claim("role", std::string(store::to_string(user.role)))
      .add_claim("tv", user.token_version)
      .add_claim("iat", now)
      .add_claim("exp", exp);
  return IssuedToken{obj.signature(), exp * 1000};
}

TokenResult TokenService::verify(std::string_view token) const {
  if (token.empty()) return fail(kTokenMissing, "no token was sent");
  if (token.size() > kMaxTokenLength) return fail(kTokenInvalid, "token is too long");
  std::error_code ec;
  try {
    auto obj = jwt::decode(jwt::string_view(token.data(), token.size()),
                           jwt::params::algorithms({"HS256"}), ec, jwt::params::secret(secret_),
                           jwt::params::verify(true));
    if (ec == jwt::VerificationErrc::TokenExpired) return fail(kTokenExpired, "token has expired");
    if (ec) return fail(kTokenInvalid, "token is not valid");
    auto claims = read_claims(obj);
    if (!claims) return fail(kTokenInvalid, "token claims are not valid");
    if (claims->exp <= seconds(clock_())) return fail(kTokenExpired, "token has expired");
    return TokenResult{std::move(claims), "", ""};
  } catch (const std::exception&) {
    // cpp-jwt and nlohmann throw on malformed JSON or claim types: the token is invalid.
    return fail(kTokenInvalid, "token is not valid");
  }
}

std::string load_or_create_jwt_secret(store::Store& store, const std::string& configured) {
  if (!configured.empty()) {
    if (configured.size() < kMinJwtSecretLength) {
      throw std::invalid_argument("auth.jwt_secret must be at least 32 characters");
    }
    return configured;
  }
  return store.settings().get_or_insert(std::string(kJwtSecretKey), random_hex(32), true);
}

}  // namespace opdesk::auth
