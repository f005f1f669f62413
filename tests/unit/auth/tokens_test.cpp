// TokenService: HS256 round trip, expiry (system clock and injected clock), tampering,
// alg none / other algorithms, wrong key, claims we require, and the persisted JWT secret.
#include <gtest/gtest.h>

#include <jwt/jwt.hpp>

#include "auth/tokens.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::auth {
namespace {

using namespace std::chrono_literals;
const std::string kSecret(40, 'k');

store::User sample_user() {
  store::User u;
  u.id = 42;
  u.username = "alice";
  u.role = store::Role::Supervisor;
  u.token_version = 3;
  return u;
}

std::string segment(const std::string& token, int i) {
  size_t a = 0;
  for (int n = 0; n < i; ++n) a = token.find('.', a) + 1;
  return token.substr(a, token.find('.', a) - a);
}

TEST(Tokens, IssuedTokenVerifiesWithAllClaims) {
  TokenService ts(kSecret);
  const auto issued = ts.issue(sample_user(), 1h);
  const auto r = ts.verify(issued.token);
  ASSERT_TRUE(r.ok()) << r.code;
  EXPECT_EQ(r.claims->user_id, 42);
  EXPECT_EQ(r.claims->username, "alice");
  EXPECT_EQ(r.claims->role, "supervisor");
  EXPECT_EQ(r.claims->token_version, 3);
  EXPECT_EQ(r.claims->exp - r.claims->iat, 3600);
  EXPECT_EQ(issued.expires_at_ms, r.claims->exp * 1000);
}

TEST(Tokens, ATokenPastItsExpiryIsExpired) {
  const auto past = std::chrono::system_clock::now() - 2h;
  TokenService old_clock(kSecret, [&] { return past; });
  const auto token = old_clock.issue(sample_user(), 1h).token;
  EXPECT_EQ(TokenService(kSecret).verify(token).code, kTokenExpired);
}

TEST(Tokens, ExpiryFollowsTheInjectedClock) {
  auto now = std::chrono::system_clock::now();
  TokenService ts(kSecret, [&] { return now; });
  const auto token = ts.issue(sample_user(), 60s).token;
  EXPECT_TRUE(ts.verify(token).ok());
  now += 61s;
  EXPECT_EQ(ts.verify(token).code, kTokenExpired);
}

TEST(Tokens, ATamperedPayloadIsInvalid) {
  TokenService ts(kSecret);
  const auto good = ts.issue(sample_user(), 1h).token;
  store::User admin = sample_user();
  admin.role = store::Role::Admin;
  const auto other = TokenService(std::string(40, 'z')).issue(admin, 1h).token;
  const std::string forged = segment(good, 0) + "." + segment(other, 1) + "." + segment(good, 2);
  EXPECT_EQ(ts.verify(forged).code, kTokenInvalid);
  EXPECT_EQ(ts.verify(good.substr(0, good.size() - 2)).code, kTokenInvalid);  // cut signature
}

TEST(Tokens, AlgNoneAndOtherAlgorithmsAreRejected) {
  jwt::jwt_object none{jwt::params::algorithm("NONE")};
  none.add_claim("sub", "42").add_claim("tv", 3).add_claim("iat", 1).add_claim("exp", 4102444800);
  TokenService ts(kSecret);
  EXPECT_EQ(ts.verify(none.signature()).code, kTokenInvalid);
  jwt::jwt_object hs512{jwt::params::algorithm("HS512"), jwt::params::secret(kSecret)};
  hs512.add_claim("sub", "42").add_claim("tv", 3).add_claim("iat", 1).add_claim("exp", 4102444800);
  EXPECT_EQ(ts.verify(hs512.signature()).code, kTokenInvalid);
}

TEST(Tokens, ATokenSignedWithAnotherKeyIsInvalid) {
  const auto token = TokenService(std::string(40, 'x')).issue(sample_user(), 1h).token;
  EXPECT_EQ(TokenService(kSecret).verify(token).code, kTokenInvalid);
}

TEST(Tokens, RequiredClaimsMustBePresentAndTyped) {
  auto make = [](auto fill) {
    jwt::jwt_object o{jwt::params::algorithm("HS256"), jwt::params::secret(kSecret)};
    fill(o);
    return o.signature();
  };
  TokenService ts(kSecret);
  EXPECT_EQ(ts.verify(make([](auto& o) { o.add_claim("sub", "42").add_claim("tv", 1).add_claim("iat", 1); })).code,
            kTokenInvalid);  // no exp
  EXPECT_EQ(ts.verify(make([](auto& o) {
              o.add_claim("sub", "abc").add_claim("tv", 1).add_claim("iat", 1).add_claim("exp", 4102444800);
            })).code,
            kTokenInvalid);  // sub not an id
  EXPECT_EQ(ts.verify(make([](auto& o) { o.add_claim("sub", "42").add_claim("iat", 1).add_claim("exp", 4102444800); }))
                .code,
            kTokenInvalid);  // no tv
}

TEST(Tokens, MissingAndGarbageTokensHaveTheirCodes) {
  TokenService ts(kSecret);
  EXPECT_EQ(ts.verify("").code, kTokenMissing);
  EXPECT_EQ(ts.verify("abc").code, kTokenInvalid);
  EXPECT_EQ(ts.verify("a.b.c").code, kTokenInvalid);
  EXPECT_EQ(ts.verify(std::string(5000, 'a')).code, kTokenInvalid);
}

TEST(Tokens, ShortSecretsAreRefused) {
  EXPECT_THROW(TokenService("short"), std::invalid_argument);
}

TEST(Tokens, JwtSecretIsGeneratedOnceStoredAsSecretAndReused) {
  opdesk::test::TempDir dir;
  store::DbConfig c;
  c.sqlite_path = dir.file("opdesk.db");
  store::Store s(c);
  s.migrate();
  const std::string first = load_or_create_jwt_secret(s, "");
  EXPECT_EQ(first.size(), 64u);
  EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(load_or_create_jwt_secret(s, ""), first);
  EXPECT_TRUE(s.settings().get("JWT_SECRET")->secret);
  const std::string configured(48, 'c');
  EXPECT_EQ(load_or_create_jwt_secret(s, configured), configured);
  EXPECT_THROW(load_or_create_jwt_secret(s, "too-short"), std::invalid_argument);
  opdesk::test::TempDir other;
  c.sqlite_path = other.file("opdesk.db");
  store::Store s2(c);
  s2.migrate();
  EXPECT_NE(load_or_create_jwt_secret(s2, ""), first);  // random per installation
}

}  // namespace
}  // namespace opdesk::auth
