// Auth against a real store (SQLite in a temp dir): scope resolution per role, the /me JSON,
// API keys, first-start admin, and the login/authenticate service end to end.
#include <gtest/gtest.h>

#include "auth/api_keys.hpp"
#include "auth/bootstrap.hpp"
#include "auth/crypto.hpp"
#include "auth/password.hpp"
#include "auth/scope.hpp"
#include "auth/service.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

namespace opdesk::auth {
namespace {

using store::MonitorMode;
using store::Role;

class AuthStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::DbConfig c;
    c.sqlite_path = dir_.file("opdesk.db");
    c.pool_size = 1;
    store_ = std::make_unique<store::Store>(c);
    store_->migrate();
  }
  store::User add(const std::string& name, std::optional<std::string> ext, Role role,
                  const std::string& hash = "unused") {
    store::NewUser u;
    u.username = name;
    u.extension = std::move(ext);
    u.role = role;
    u.password_hash = hash;
    return store_->users().create(u);
  }
  opdesk::test::TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(AuthStoreTest, AdminSeesEverythingWithEveryMonitorMode) {
  const auto admin = add("root", "100", Role::Admin);
  const Scope s = resolve_scope(admin, *store_);
  EXPECT_TRUE(s.all);
  EXPECT_TRUE(s.can_see_extension("any"));
  EXPECT_TRUE(s.can_see_queue("any"));
  EXPECT_TRUE(s.can_monitor(MonitorMode::Barge));
  const auto j = user_json(admin, s);
  EXPECT_TRUE(j["allowed_agent_extensions"].is_null());
  EXPECT_TRUE(j["allowed_queue_names"].is_null());
  EXPECT_EQ(j["monitor_modes"], nlohmann::json({"listen", "whisper", "barge"}));
  EXPECT_EQ(j["extension"], "100");
  EXPECT_EQ(j["role"], "admin");
}

TEST_F(AuthStoreTest, SupervisorScopeIsItsListsUnionItsGroupsPlusItsOwnExtension) {
  store::NewUser n;
  n.username = "sup";
  n.extension = "200";
  n.role = Role::Supervisor;
  n.password_hash = "h";
  n.extensions = {"201"};
  n.queues = {"sales"};
  n.monitor_modes = {MonitorMode::Listen};
  const auto sup = store_->users().create(n);
  store_->groups().create(store::NewGroup{"g1", {"202", "203"}, {"support"}, {sup.id}});
  store_->groups().create(store::NewGroup{"g2", {"299"}, {"other"}, {}});  // not a member
  const Scope s = resolve_scope(sup, *store_);
  EXPECT_FALSE(s.all);
  EXPECT_EQ(s.extensions, (std::set<std::string>{"200", "201", "202", "203"}));
  EXPECT_EQ(s.queues, (std::set<std::string>{"sales", "support"}));
  EXPECT_FALSE(s.can_see_extension("299"));
  EXPECT_TRUE(s.can_monitor(MonitorMode::Listen));
  EXPECT_FALSE(s.can_monitor(MonitorMode::Whisper));
  const auto j = user_json(sup, s);
  EXPECT_EQ(j["allowed_agent_extensions"], nlohmann::json({"200", "201", "202", "203"}));
  EXPECT_EQ(j["allowed_queue_names"], nlohmann::json({"sales", "support"}));
  EXPECT_EQ(j["active"], true);
}

TEST_F(AuthStoreTest, ScopeIsReadFreshSoGroupChangesApplyAtOnce) {
  const auto sup = add("sup", std::nullopt, Role::Supervisor);
  const auto g = store_->groups().create(store::NewGroup{"g", {"300"}, {}, {sup.id}});
  EXPECT_TRUE(resolve_scope(sup, *store_).can_see_extension("300"));
  store::GroupPatch p;
  p.extensions = std::set<std::string>{"301"};
  store_->groups().update(g.id, p);
  EXPECT_FALSE(resolve_scope(sup, *store_).can_see_extension("300"));
  EXPECT_TRUE(resolve_scope(sup, *store_).can_see_extension("301"));
}

TEST_F(AuthStoreTest, AgentSeesOnlyItsOwnExtensionAndCannotMonitor) {
  store::NewUser n;
  n.username = "agent";
  n.extension = "400";
  n.password_hash = "h";
  n.extensions = {"401"};  // ignored for agents
  n.queues = {"sales"};
  n.monitor_modes = {MonitorMode::Barge};
  const auto agent = store_->users().create(n);
  const Scope s = resolve_scope(agent, *store_);
  EXPECT_EQ(s.extensions, (std::set<std::string>{"400"}));
  EXPECT_TRUE(s.queues.empty());
  EXPECT_TRUE(s.monitor_modes.empty());
  const auto j = user_json(agent, s);
  EXPECT_EQ(j["allowed_agent_extensions"], nlohmann::json({"400"}));
  EXPECT_EQ(j["allowed_queue_names"], nlohmann::json::array());
  EXPECT_EQ(j["monitor_modes"], nlohmann::json::array());
}

TEST_F(AuthStoreTest, ApiKeysAreShownOnceStoredSaltedAndVerified) {
  const auto created = create_api_key(*store_, {"crm", {"calls:read"}, "root", std::nullopt}, store::now_ms());
  EXPECT_TRUE(looks_like_api_key(created.key)) << created.key;
  EXPECT_EQ(created.meta.prefix, created.key.substr(0, 12));
  const auto rec = store_->api_keys().find_by_prefix(created.meta.prefix).at(0);
  EXPECT_NE(rec.hash, sha256_hex(created.key));  // salted, not a bare SHA-256
  EXPECT_EQ(rec.hash.find(created.key), std::string::npos);
  auto ok = authenticate_api_key(*store_, created.key, 5000);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->scopes, (std::set<std::string>{"calls:read"}));
  EXPECT_EQ(store_->api_keys().get(created.meta.id)->last_used_at, std::optional<int64_t>(5000));
  std::string wrong = created.key;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(authenticate_api_key(*store_, wrong, 5000));
  EXPECT_FALSE(authenticate_api_key(*store_, "opd_short", 5000));
}

TEST_F(AuthStoreTest, DisabledOrExpiredApiKeysAreRefused) {
  const int64_t now = store::now_ms();
  const auto k = create_api_key(*store_, {"k", {"cdr:read"}, "root", now + 60000}, now);
  EXPECT_TRUE(authenticate_api_key(*store_, k.key, now));
  EXPECT_FALSE(authenticate_api_key(*store_, k.key, now + 60000));
  store::ApiKeyPatch p;
  p.enabled = false;
  store_->api_keys().update(k.meta.id, p);
  EXPECT_FALSE(authenticate_api_key(*store_, k.key, now));
}

TEST_F(AuthStoreTest, ApiKeyRequestsAreValidatedNamingTheField) {
  auto field_of = [&](NewApiKeyRequest r) -> std::string {
    try {
      create_api_key(*store_, r, 1000);
    } catch (const store::ValidationError& e) {
      return e.field();
    }
    return "(accepted)";
  };
  EXPECT_EQ(field_of({"", {"calls:read"}, "root", std::nullopt}), "name");
  EXPECT_EQ(field_of({"k", {}, "root", std::nullopt}), "scopes");
  EXPECT_EQ(field_of({"k", {"analytics:write"}, "root", std::nullopt}), "scopes");
  EXPECT_EQ(field_of({"k", {"calls:read"}, "root", 999}), "expires_at");
  EXPECT_TRUE(store_->api_keys().list().empty());
}

TEST_F(AuthStoreTest, FirstStartCreatesOneAdminWithARandomPasswordOnce) {
  const auto first = ensure_admin(*store_, std::nullopt);
  ASSERT_TRUE(first.created);
  ASSERT_TRUE(first.generated_password);
  EXPECT_EQ(first.generated_password->size(), 24u);
  const auto admin = store_->users().get_by_login("admin");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->role, Role::Admin);
  EXPECT_TRUE(verify_password(*first.generated_password, admin->password_hash).ok);
  EXPECT_NO_THROW(check_new_password(*first.generated_password, "admin"));  // meets the policy
  const auto again = ensure_admin(*store_, std::string("another-password"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(store_->users().count(), 1);
}

TEST_F(AuthStoreTest, FirstStartUsesTheGivenPasswordAndRejectsAWeakOne) {
  EXPECT_THROW(ensure_admin(*store_, std::string("short")), store::ValidationError);
  EXPECT_THROW(ensure_admin(*store_, std::string("password123")), store::ValidationError);
  EXPECT_THROW(ensure_admin(*store_, std::string("admin12345")), store::ValidationError);
  EXPECT_EQ(store_->users().count(), 0);
  const auto r = ensure_admin(*store_, std::string("from-the-environment"));
  EXPECT_TRUE(r.created);
  EXPECT_FALSE(r.generated_password);
  EXPECT_TRUE(verify_password("from-the-environment", store_->users().get_by_login("admin")->password_hash).ok);
}

class AuthServiceTest : public AuthStoreTest {
 protected:
  void SetUp() override {
    AuthStoreTest::SetUp();
    AuthService::Options opt;
    opt.limits.max_failures = 3;
    service_ = std::make_unique<AuthService>(*store_, TokenService(std::string(40, 's')), opt,
                                             [this] { return now_; });
  }
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point() + std::chrono::hours(10);
  std::unique_ptr<AuthService> service_;
};

TEST_F(AuthServiceTest, LoginByUsernameOrExtensionIssuesATokenThatAuthenticates) {
  const auto u = add("alice", "1001", Role::Agent, hash_password("alice-password"));
  auto r = service_->login({"1001", "alice-password", "10.0.0.1"});
  ASSERT_TRUE(r.ok()) << r.code;
  EXPECT_EQ(r.who->me["username"], "alice");
  EXPECT_TRUE(store_->users().get(u.id)->last_login_at);
  auto a = service_->authenticate(r.token->token);
  ASSERT_TRUE(a.ok()) << a.code;
  EXPECT_EQ(a.who->user.id, u.id);
  EXPECT_EQ(a.who->scope.extensions, (std::set<std::string>{"1001"}));
  EXPECT_TRUE(service_->login({"alice", "alice-password", "10.0.0.1"}).ok());
  store::AuditQuery q;
  q.action = "auth.login";
  EXPECT_EQ(store_->audit().query(q).items.size(), 2u);
}

TEST_F(AuthServiceTest, WrongPasswordUnknownUserAndDisabledAccountGetTheSameAnswer) {
  const auto u = add("bob", std::nullopt, Role::Agent, hash_password("bob-password"));
  add("keeper", std::nullopt, Role::Admin);
  EXPECT_EQ(service_->login({"bob", "nope-nope", "10.0.0.1"}).code, kCredentialsInvalid);
  EXPECT_EQ(service_->login({"nobody", "nope-nope", "10.0.0.2"}).code, kCredentialsInvalid);
  store::UserPatch off;
  off.active = false;
  store_->users().update(u.id, off);
  EXPECT_EQ(service_->login({"bob", "bob-password", "10.0.0.3"}).code, kCredentialsInvalid);
  EXPECT_EQ(service_->login({"", "x", "10.0.0.3"}).code, kRequestInvalid);
  EXPECT_EQ(service_->login({"bob\r\nx", "x", "10.0.0.3"}).code, kRequestInvalid);
  EXPECT_EQ(service_->login({"bad\xff", "x", "10.0.0.3"}).code, kRequestInvalid);
  store::AuditQuery q;
  q.action = "auth.login";
  const auto page = store_->audit().query(q);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].result, "denied");
}

TEST_F(AuthServiceTest, RepeatedFailuresAreRateLimitedWithRetryAfter) {
  add("carol", std::nullopt, Role::Agent, hash_password("carol-password"));
  for (int i = 0; i < 3; ++i) service_->login({"carol", "wrong-pass", "10.0.0.9"});
  auto r = service_->login({"carol", "carol-password", "10.0.0.9"});
  EXPECT_EQ(r.code, kRateLimited);
  EXPECT_EQ(r.retry_after, std::optional(std::chrono::seconds(300)));
  now_ += std::chrono::seconds(301);
  EXPECT_TRUE(service_->login({"carol", "carol-password", "10.0.0.9"}).ok());
}

// Issue 18 item 8: a third party failing from elsewhere must not lock the owner out.
TEST_F(AuthServiceTest, AThirdPartysFailuresDoNotLockTheOwnerOnACleanAddress) {
  add("admin2", std::nullopt, Role::Admin, hash_password("owner-password"));
  for (int i = 0; i < 20; ++i) service_->login({"admin2", "guess-" + std::to_string(i), "198.51.100." + std::to_string(i % 4)});
  EXPECT_EQ(service_->login({"admin2", "owner-password", "198.51.100.1"}).code, kRateLimited);
  EXPECT_TRUE(service_->login({"admin2", "owner-password", "10.0.0.7"}).ok());
}

// Lockouts live in memory, but every failure is an audit row: a restart (or a crash) replays
// the last window, so it hands the attacker no fresh budget.
TEST_F(AuthServiceTest, LockoutsSurviveARestartThroughTheAuditLog) {
  add("erin", std::nullopt, Role::Agent, hash_password("erin-password"));
  for (int i = 0; i < 3; ++i) service_->login({"erin", "wrong-pass", "10.0.0.9"});
  ASSERT_EQ(service_->login({"erin", "erin-password", "10.0.0.9"}).code, kRateLimited);
  AuthService::Options opt;
  opt.limits.max_failures = 3;
  AuthService restarted(*store_, TokenService(std::string(40, 's')), opt, [this] { return now_; });
  auto r = restarted.login({"erin", "erin-password", "10.0.0.9"});
  EXPECT_EQ(r.code, kRateLimited);
  ASSERT_TRUE(r.retry_after);
  EXPECT_GT(r.retry_after->count(), 250);
  EXPECT_TRUE(restarted.login({"erin", "erin-password", "10.0.0.10"}).ok());
}

TEST_F(AuthServiceTest, AnImportedBcryptHashIsReplacedByArgon2idAtLogin) {
  const auto u = add("legacy", std::nullopt, Role::Agent, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
  ASSERT_TRUE(service_->login({"legacy", "U*U", "10.0.0.1"}).ok());
  const auto after = store_->users().get(u.id)->password_hash;
  EXPECT_EQ(after.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password("U*U", after).ok);
}

TEST_F(AuthServiceTest, RevokedDisabledOrDeletedUsersLoseTheirTokens) {
  const auto u = add("dan", std::nullopt, Role::Agent, hash_password("dan-password"));
  add("keeper", std::nullopt, Role::Admin);
  const auto token = service_->login({"dan", "dan-password", "10.0.0.1"}).token->token;
  store_->users().bump_token_version(u.id);
  EXPECT_EQ(service_->authenticate(token).code, kTokenRevoked);
  const auto token2 = service_->login({"dan", "dan-password", "10.0.0.1"}).token->token;
  ASSERT_TRUE(service_->authenticate(token2).ok());
  store::UserPatch off;
  off.active = false;
  store_->users().update(u.id, off);
  EXPECT_EQ(service_->authenticate(token2).code, kUserInactive);
  EXPECT_GT(store_->users().get(u.id)->token_version, 1);  // and its tokens stay revoked after
  store_->users().remove(u.id);
  EXPECT_EQ(service_->authenticate(token2).code, kTokenInvalid);
  EXPECT_EQ(service_->authenticate("").code, kTokenMissing);
}

}  // namespace
}  // namespace opdesk::auth
