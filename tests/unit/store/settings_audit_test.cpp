// SettingsRepo, AuditRepo and ApiKeyRepo on SQLite and MariaDB.
#include "store_fixture.hpp"

namespace opdesk::store {
namespace {

class RecordsTest : public testing::StoreFixture {
 protected:
  int64_t audit(int64_t at, std::optional<int64_t> user, const std::string& action) {
    AuditEntry e;
    e.at = at;
    e.user_id = user;
    e.username = user ? "user" + std::to_string(*user) : "";
    e.action = action;
    e.target = "1001";
    e.result = "ok";
    e.detail = R"({"n":1})";
    e.ip = "10.0.0.1";
    return store_->audit().append(e);
  }
  std::vector<int64_t> ids(const AuditPage& p) {
    std::vector<int64_t> out;
    for (const auto& e : p.items) out.push_back(e.id);
    return out;
  }
};

TEST_P(RecordsTest, SettingsUpsertKeepTheSecretFlagAndWhoChangedThem) {
  store_->settings().set("CRM_SERVER_URL", "https://crm.example", false, "admin");
  store_->settings().set("CRM_API_KEY", "k1", true, "admin");
  store_->settings().set("CRM_API_KEY", "k2", true, "root");
  auto key = store_->settings().get("CRM_API_KEY");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->value, "k2");
  EXPECT_TRUE(key->secret);
  EXPECT_EQ(key->updated_by, std::optional<std::string>("root"));
  auto all = store_->settings().all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "CRM_API_KEY");
  EXPECT_FALSE(all[1].secret);
  EXPECT_FALSE(store_->settings().get("MISSING"));
  EXPECT_TRUE(store_->settings().remove("CRM_API_KEY"));
  EXPECT_FALSE(store_->settings().remove("CRM_API_KEY"));
}

TEST_P(RecordsTest, SetManyIsAllOrNothing) {
  std::vector<SettingWrite> w = {{"A", "1", false}, {"bad key", "2", false}};
  try {
    store_->settings().set_many(w);
    FAIL() << "invalid key accepted";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), "key");
  }
  EXPECT_FALSE(store_->settings().get("A"));
  store_->settings().set_many({{"A", "1", false}, {"B", "2", true}});
  EXPECT_EQ(store_->settings().all().size(), 2u);
}

TEST_P(RecordsTest, GetOrInsertKeepsTheFirstValue) {
  EXPECT_EQ(store_->settings().get_or_insert("JWT_SECRET", "first", true), "first");
  EXPECT_EQ(store_->settings().get_or_insert("JWT_SECRET", "second", true), "first");
  EXPECT_TRUE(store_->settings().get("JWT_SECRET")->secret);
}

TEST_P(RecordsTest, OversizedSettingValuesAreRejected) {
  EXPECT_THROW(store_->settings().set("BIG", std::string(64 * 1024 + 1, 'x'), false), ValidationError);
}

TEST_P(RecordsTest, AuditPagesAreNewestFirstAndTheCursorNeverSkipsOrRepeats) {
  std::vector<int64_t> all;
  for (int i = 0; i < 7; ++i) all.push_back(audit(1000 + i / 2, 1, "call.hangup"));  // ties on `at`
  AuditQuery q;
  q.limit = 3;
  std::vector<int64_t> seen;
  for (int page = 0; page < 5; ++page) {
    AuditPage p = store_->audit().query(q);
    auto got = ids(p);
    seen.insert(seen.end(), got.begin(), got.end());
    if (page == 0) audit(5000, 1, "call.hangup");  // a new row does not shift later pages
    if (!p.next_cursor) break;
    q.cursor = p.next_cursor;
  }
  std::vector<int64_t> expected(all.rbegin(), all.rend());
  EXPECT_EQ(seen, expected);
}

TEST_P(RecordsTest, AuditFiltersByUserActionAndTime) {
  audit(100, 1, "auth.login");
  const int64_t b = audit(200, 2, "auth.login");
  audit(300, 2, "user.update");
  audit(400, std::nullopt, "auth.login");
  AuditQuery q;
  q.user_id = 2;
  q.action = "auth.login";
  EXPECT_EQ(ids(store_->audit().query(q)), std::vector<int64_t>{b});
  AuditQuery t;
  t.from_ms = 200;
  t.to_ms = 400;
  EXPECT_EQ(store_->audit().query(t).items.size(), 2u);
  AuditQuery u;
  u.username = "user1";
  ASSERT_EQ(store_->audit().query(u).items.size(), 1u);
  const auto e = store_->audit().query(u).items[0];
  EXPECT_EQ(e.at, 100);
  EXPECT_EQ(e.detail, R"({"n":1})");
  EXPECT_EQ(e.ip, "10.0.0.1");
  EXPECT_EQ(e.user_id, std::optional<int64_t>(1));
}

TEST_P(RecordsTest, AuditRejectsBadInputNamingTheField) {
  auto field_of = [&](auto mutate, AuditQuery q = {}) -> std::string {
    AuditEntry e{0, 0, std::nullopt, "u", "a", "", "ok", "", ""};
    mutate(e, q);
    try {
      store_->audit().append(e);
      store_->audit().query(q);
    } catch (const ValidationError& err) {
      return err.field();
    }
    return "(accepted)";
  };
  EXPECT_EQ(field_of([](AuditEntry& e, AuditQuery&) { e.detail = "{not json"; }), "detail");
  EXPECT_EQ(field_of([](AuditEntry& e, AuditQuery&) { e.action = ""; }), "action");
  EXPECT_EQ(field_of([](AuditEntry&, AuditQuery& q) { q.cursor = "12_x"; }), "cursor");
  EXPECT_EQ(field_of([](AuditEntry&, AuditQuery& q) { q.limit = kMaxAuditPage + 1; }), "limit");
}

TEST_P(RecordsTest, AuditPruneDeletesOnlyOlderRows) {
  audit(100, 1, "a");
  audit(200, 1, "a");
  EXPECT_EQ(store_->audit().prune_before(150), 1);
  EXPECT_EQ(store_->audit().query(AuditQuery{}).items.size(), 1u);
}

TEST_P(RecordsTest, ApiKeyRecordsRoundTripAndPatch) {
  NewApiKey k{"crm", "opd_12345678", "aa", "bb", {"calls:read", "cdr:read"}, "admin", 1900000000000};
  const ApiKey created = store_->api_keys().create(k);
  EXPECT_EQ(created.scopes, (std::set<std::string>{"calls:read", "cdr:read"}));
  EXPECT_EQ(created.expires_at, std::optional<int64_t>(1900000000000));
  auto found = store_->api_keys().find_by_prefix("opd_12345678");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].salt, "aa");
  EXPECT_EQ(found[0].hash, "bb");
  ApiKeyPatch p;
  p.enabled = false;
  p.expires_at = std::optional<int64_t>();
  p.scopes = std::set<std::string>{"calls:write"};
  const ApiKey after = store_->api_keys().update(created.id, p);
  EXPECT_FALSE(after.enabled);
  EXPECT_FALSE(after.expires_at);
  EXPECT_EQ(after.name, "crm");
  store_->api_keys().touch_last_used(created.id, 1234);
  EXPECT_EQ(store_->api_keys().get(created.id)->last_used_at, std::optional<int64_t>(1234));
  EXPECT_EQ(store_->api_keys().list().size(), 1u);
  store_->api_keys().remove(created.id);
  EXPECT_THROW(store_->api_keys().remove(created.id), NotFound);
  EXPECT_THROW(store_->api_keys().update(created.id, p), NotFound);
  EXPECT_TRUE(store_->api_keys().find_by_prefix("opd_12345678").empty());
}

OPDESK_STORE_BACKENDS(RecordsTest);

}  // namespace
}  // namespace opdesk::store
