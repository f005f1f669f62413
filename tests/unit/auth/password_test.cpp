// Password hashing: argon2id round trip, bcrypt hashes from other implementations (imported
// from the upstream product) verify and ask for a rehash, wrong passwords and junk fail.
#include <gtest/gtest.h>

#include <crypt.h>
#include <memory>

#include "auth/password.hpp"
#include "store/errors.hpp"

namespace opdesk::auth {
namespace {

TEST(Password, Argon2idHashVerifiesTheRightPasswordOnly) {
  const std::string h = hash_password("correct horse battery");
  EXPECT_EQ(h.rfind("$argon2id$v=19$", 0), 0u) << h;
  const PasswordCheck ok = verify_password("correct horse battery", h);
  EXPECT_TRUE(ok.ok);
  EXPECT_FALSE(ok.needs_rehash);
  EXPECT_FALSE(verify_password("correct horse batterY", h).ok);
  EXPECT_FALSE(verify_password("", h).ok);
}

TEST(Password, TheSamePasswordHashesDifferentlyEachTime) {
  EXPECT_NE(hash_password("same password"), hash_password("same password"));
}

TEST(Password, BcryptMadeByLibxcryptVerifiesAndNeedsARehash) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 12, nullptr, 0, setting, sizeof setting), nullptr);
  auto data = std::make_unique<crypt_data>();
  const char* made = crypt_rn("Upstream@2026", setting, data.get(), sizeof(crypt_data));
  ASSERT_NE(made, nullptr);
  const std::string hash = made;
  ASSERT_EQ(hash.rfind("$2b$12$", 0), 0u) << hash;
  const PasswordCheck ok = verify_password("Upstream@2026", hash);
  EXPECT_TRUE(ok.ok);
  EXPECT_TRUE(ok.needs_rehash);
  EXPECT_FALSE(verify_password("Upstream@2025", hash).ok);
}

// Reference vectors published with Openwall's crypt_blowfish (also used by John the Ripper,
// PHP and Go's bcrypt tests): proof that hashes made by other bcrypt implementations verify.
TEST(Password, BcryptReferenceVectorsFromOtherImplementationsVerify) {
  EXPECT_TRUE(verify_password("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").ok);
  EXPECT_TRUE(verify_password("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK").ok);
  EXPECT_TRUE(verify_password("U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a").ok);
  // $2b$ and $2y$ (PHP) name the same algorithm for ASCII passwords.
  EXPECT_TRUE(verify_password("U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").ok);
  EXPECT_TRUE(verify_password("U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").ok);
  EXPECT_FALSE(verify_password("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").ok);
}

TEST(Password, MalformedOrUnknownHashesNeverVerify) {
  EXPECT_FALSE(verify_password("x", "").ok);
  EXPECT_FALSE(verify_password("x", "x").ok);
  EXPECT_FALSE(verify_password("x", "$1$abc$def").ok);  // md5-crypt is not accepted
  EXPECT_FALSE(verify_password("x", "$2b$05$short").ok);
  EXPECT_FALSE(verify_password("x", "$argon2id$v=19$m=65536,t=2,p=1$garbage").ok);
}

TEST(Password, PasswordsWithNulOrBeyondTheLengthCapNeverVerify) {
  const std::string h = hash_password("abcdefgh");
  EXPECT_FALSE(verify_password(std::string("abcdefgh\0x", 10), h).ok);
  EXPECT_FALSE(verify_password(std::string(kMaxPasswordLength + 1, 'a'), h).ok);
}

TEST(Password, NewPasswordsMustBeLongEnoughAndNotHuge) {
  auto field_of = [](std::string pw) -> std::string {
    try {
      check_new_password(pw);
    } catch (const store::ValidationError& e) {
      return e.field() + ": " + e.what();
    }
    return "(accepted)";
  };
  EXPECT_EQ(field_of("short"), "password: password must be at least 10 characters");
  EXPECT_EQ(field_of("12345678"), "password: password must be at least 10 characters");
  EXPECT_EQ(field_of("        "), "password: password must be at least 10 characters");
  EXPECT_EQ(field_of(std::string(kMaxPasswordLength + 1, 'a')), "password: password must be at most 1024 characters");
  EXPECT_EQ(field_of("long enough"), "(accepted)");
}

// Issue 18: "password", "12345678" and 8 spaces were accepted.
TEST(Password, CommonRepeatedAndUsernamePasswordsAreRefused) {
  auto why = [](std::string pw, std::string user = "alice") -> std::string {
    try {
      check_new_password(pw, user);
    } catch (const store::ValidationError& e) {
      return e.what();
    }
    return "(accepted)";
  };
  const std::string common = "password is too common; choose another";
  EXPECT_EQ(why("password123"), common);
  EXPECT_EQ(why("Password123"), common);  // any case
  EXPECT_EQ(why("1234567890"), common);
  EXPECT_EQ(why("qwertyuiop"), common);
  EXPECT_EQ(why("iloveyou123"), common);
  EXPECT_EQ(why("P@ssw0rd123"), common);
  EXPECT_EQ(why("administrator"), common);
  EXPECT_EQ(why("Welcome2026"), common);
  EXPECT_EQ(why("          "), "password must not be one repeated character");
  EXPECT_EQ(why("aaaaaaaaaaaa"), "password must not be one repeated character");
  EXPECT_EQ(why("supervisor-7", "supervisor-7"), "password must not be the username");
  EXPECT_EQ(why("AliceAlice", "alice"), "password must not be the username");
  EXPECT_EQ(why("alice-2026!!", "alice"), "password must not be the username");
  EXPECT_EQ(why("alice-in-wonderland", "alice"), "(accepted)");
  EXPECT_EQ(why("correct horse battery"), "(accepted)");
  EXPECT_EQ(why("Tr0ub4dor&3x"), "(accepted)");
  EXPECT_TRUE(is_common_password("PASSWORD1234"));
  EXPECT_FALSE(is_common_password("Tr0ub4dor&3x"));
}

}  // namespace
}  // namespace opdesk::auth
