// UserRepo and GroupRepo on SQLite and MariaDB: CRUD, link sets, uniqueness conflicts naming
// the field, validation naming the field, last-admin protection, token version bumps.
#include "store_fixture.hpp"

namespace opdesk::store {
namespace {

class UsersTest : public testing::StoreFixture {};

TEST_P(UsersTest, CreateStoresEveryFieldAndGetReadsItBack) {
  NewUser n;
  n.username = "sup1";
  n.name = "Supervisor Ä 李";
  n.extension = "1001";
  n.role = Role::Supervisor;
  n.password_hash = "hash-1";
  n.monitor_modes = {MonitorMode::Listen, MonitorMode::Whisper};
  n.extensions = {"1002", "1003"};
  n.queues = {"support"};
  const User created = store_->users().create(n);
  ASSERT_GT(created.id, 0);
  auto got = store_->users().get(created.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->username, "sup1");
  EXPECT_EQ(got->name, "Supervisor Ä 李");
  EXPECT_EQ(got->extension, std::optional<std::string>("1001"));
  EXPECT_EQ(got->role, Role::Supervisor);
  EXPECT_TRUE(got->active);
  EXPECT_EQ(got->password_hash, "hash-1");
  EXPECT_EQ(got->monitor_modes, (std::set<MonitorMode>{MonitorMode::Listen, MonitorMode::Whisper}));
  EXPECT_EQ(got->extensions, (std::set<std::string>{"1002", "1003"}));
  EXPECT_EQ(got->queues, (std::set<std::string>{"support"}));
  EXPECT_GT(got->created_at, 0);
  EXPECT_FALSE(got->last_login_at);
  EXPECT_EQ(got->token_version, 0);
}

TEST_P(UsersTest, LoginFindsAUserByUsernameOrByExtension) {
  const User a = make_user("alice", "2001");
  make_user("2001x");
  EXPECT_EQ(store_->users().get_by_login("alice")->id, a.id);
  EXPECT_EQ(store_->users().get_by_login("2001")->id, a.id);
  EXPECT_FALSE(store_->users().get_by_login("nobody"));
  EXPECT_FALSE(store_->users().get_by_login(""));
}

TEST_P(UsersTest, ATakenUsernameOrExtensionIsAConflictNamingTheField) {
  make_user("bob", "3001");
  try {
    make_user("bob");
    FAIL() << "duplicate username accepted";
  } catch (const Conflict& e) {
    EXPECT_EQ(e.field(), "username");
  }
  try {
    make_user("carol", "3001");
    FAIL() << "duplicate extension accepted";
  } catch (const Conflict& e) {
    EXPECT_EQ(e.field(), "extension");
  }
  EXPECT_EQ(store_->users().count(), 1);
}

TEST_P(UsersTest, UsersWithoutExtensionDoNotConflict) {
  make_user("u1");
  make_user("u2");
  EXPECT_EQ(store_->users().count(), 2);
}

TEST_P(UsersTest, InvalidValuesAreRejectedNamingTheField) {
  auto field_of = [&](NewUser n) -> std::string {
    try {
      store_->users().create(n);
    } catch (const ValidationError& e) {
      return e.field();
    }
    return "(accepted)";
  };
  NewUser ok;
  ok.username = "valid";
  ok.password_hash = "h";
  NewUser bad = ok;
  bad.username = "has space";
  EXPECT_EQ(field_of(bad), "username");
  bad = ok;
  bad.extension = "10\r\n01";
  EXPECT_EQ(field_of(bad), "extension");
  bad = ok;
  bad.queues = {"sales,support"};
  EXPECT_EQ(field_of(bad), "queues");
  bad = ok;
  bad.password_hash = "";
  EXPECT_EQ(field_of(bad), "password");
  bad = ok;
  bad.group_ids = {999};
  EXPECT_EQ(field_of(bad), "group_ids");
  EXPECT_EQ(store_->users().count(), 0);  // nothing half-written
}

TEST_P(UsersTest, UpdateChangesOnlyTheGivenFieldsAndCanClearTheExtension) {
  const User u = make_user("dave", "4001");
  UserPatch p;
  p.name = "David";
  p.extension = std::optional<std::string>();  // clear
  p.queues = std::set<std::string>{"q1", "q2"};
  const User after = store_->users().update(u.id, p);
  EXPECT_EQ(after.username, "dave");
  EXPECT_EQ(after.name, "David");
  EXPECT_FALSE(after.extension);
  EXPECT_EQ(after.queues, (std::set<std::string>{"q1", "q2"}));
  make_user("erin", "4001");  // the extension is free again
}

TEST_P(UsersTest, UpdateOfAMissingUserIsNotFound) {
  EXPECT_THROW(store_->users().update(777, UserPatch{}), NotFound);
  EXPECT_THROW(store_->users().remove(777), NotFound);
  EXPECT_FALSE(store_->users().get(777));
}

TEST_P(UsersTest, TheLastActiveAdminCannotBeDemotedDisabledOrDeleted) {
  const User admin = make_user("root", std::nullopt, Role::Admin);
  UserPatch demote;
  demote.role = Role::Agent;
  EXPECT_THROW(store_->users().update(admin.id, demote), ValidationError);
  UserPatch disable;
  disable.active = false;
  EXPECT_THROW(store_->users().update(admin.id, disable), ValidationError);
  EXPECT_THROW(store_->users().remove(admin.id), ValidationError);
  const User second = make_user("root2", std::nullopt, Role::Admin);
  EXPECT_EQ(store_->users().count_active_admins(), 2);
  store_->users().remove(admin.id);
  EXPECT_EQ(store_->users().count_active_admins(), 1);
  EXPECT_EQ(store_->users().get(second.id)->role, Role::Admin);
}

TEST_P(UsersTest, DisablingAUserOrRevokingOnPasswordChangeBumpsTheTokenVersion) {
  const User u = make_user("frank");
  store_->users().set_password(u.id, "new-hash", false);
  EXPECT_EQ(store_->users().get(u.id)->token_version, 0);
  EXPECT_EQ(store_->users().get(u.id)->password_hash, "new-hash");
  store_->users().set_password(u.id, "newer-hash", true);
  EXPECT_EQ(store_->users().get(u.id)->token_version, 1);
  UserPatch disable;
  disable.active = false;
  EXPECT_EQ(store_->users().update(u.id, disable).token_version, 2);
  EXPECT_EQ(store_->users().bump_token_version(u.id), 3);
  EXPECT_THROW(store_->users().set_password(999, "x", false), NotFound);
}

TEST_P(UsersTest, TouchLoginRecordsTheTime) {
  const User u = make_user("gina");
  store_->users().touch_login(u.id, 1795501990123);
  EXPECT_EQ(store_->users().get(u.id)->last_login_at, std::optional<int64_t>(1795501990123));
}

TEST_P(UsersTest, ListReturnsEveryUserWithTheirLinks) {
  const Group g = store_->groups().create(NewGroup{"night", {"5001"}, {"sales"}, {}});
  NewUser n;
  n.username = "hank";
  n.password_hash = "h";
  n.group_ids = {g.id};
  n.monitor_modes = {MonitorMode::Barge};
  store_->users().create(n);
  make_user("ivy", "5002");
  auto all = store_->users().list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].username, "hank");
  EXPECT_EQ(all[0].group_ids, (std::set<int64_t>{g.id}));
  EXPECT_EQ(all[0].monitor_modes, (std::set<MonitorMode>{MonitorMode::Barge}));
  EXPECT_EQ(all[1].extension, std::optional<std::string>("5002"));
  EXPECT_TRUE(all[1].group_ids.empty());
}

TEST_P(UsersTest, GroupsKeepTheirListsAndMembersAndNamesAreUnique) {
  const User u = make_user("jack");
  const Group g = store_->groups().create(NewGroup{"day", {"6001", "6002"}, {"support"}, {u.id}});
  EXPECT_EQ(store_->groups().get(g.id)->extensions, (std::set<std::string>{"6001", "6002"}));
  EXPECT_EQ(store_->groups().get(g.id)->user_ids, (std::set<int64_t>{u.id}));
  EXPECT_EQ(store_->users().get(u.id)->group_ids, (std::set<int64_t>{g.id}));
  try {
    store_->groups().create(NewGroup{"day", {}, {}, {}});
    FAIL() << "duplicate group name accepted";
  } catch (const Conflict& e) {
    EXPECT_EQ(e.field(), "name");
  }
  GroupPatch p;
  p.queues = std::set<std::string>{"billing"};
  p.name = "daytime";
  const Group after = store_->groups().update(g.id, p);
  EXPECT_EQ(after.name, "daytime");
  EXPECT_EQ(after.queues, (std::set<std::string>{"billing"}));
  EXPECT_EQ(after.extensions, (std::set<std::string>{"6001", "6002"}));
  ASSERT_EQ(store_->groups().for_user(u.id).size(), 1u);
  EXPECT_EQ(store_->groups().for_user(u.id)[0].queues, (std::set<std::string>{"billing"}));
}

TEST_P(UsersTest, DeletingAGroupRemovesItsLinksButNotItsMembers) {
  const User u = make_user("kim");
  const Group g = store_->groups().create(NewGroup{"temp", {"7001"}, {}, {u.id}});
  store_->groups().remove(g.id);
  EXPECT_FALSE(store_->groups().get(g.id));
  EXPECT_TRUE(store_->users().get(u.id)->group_ids.empty());
  EXPECT_THROW(store_->groups().remove(g.id), NotFound);
  EXPECT_THROW(store_->groups().create(NewGroup{"x", {}, {}, {4242}}), ValidationError);
}

TEST_P(UsersTest, DeletingAUserRemovesItsLinks) {
  const Group g = store_->groups().create(NewGroup{"g", {}, {}, {}});
  NewUser n;
  n.username = "leo";
  n.password_hash = "h";
  n.group_ids = {g.id};
  n.extensions = {"8001"};
  const User u = store_->users().create(n);
  store_->users().remove(u.id);
  EXPECT_TRUE(store_->groups().get(g.id)->user_ids.empty());
  EXPECT_EQ(store_->users().count(), 0);
}

OPDESK_STORE_BACKENDS(UsersTest);

}  // namespace
}  // namespace opdesk::store
