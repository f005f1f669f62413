// LoginRateLimiter with an injected clock: lock after N failures, Retry-After is the rest of
// the window, unlock when it ends, per-(account, IP) and per-IP budgets, no account-wide lock
// for clean addresses, success, restore, memory cap.
#include <gtest/gtest.h>

#include "auth/rate_limiter.hpp"

namespace opdesk::auth {
namespace {

using namespace std::chrono_literals;

class RateLimiterTest : public ::testing::Test {
 protected:
  LoginRateLimiter make(int max_failures, size_t max_keys = 1000) {
    return LoginRateLimiter({max_failures, 300s, max_keys}, [this] { return now_; });
  }
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point() + 1000h;
};

TEST_F(RateLimiterTest, TenFailuresLockForTheRestOfTheWindow) {
  auto rl = make(10);
  for (int i = 0; i < 9; ++i) {
    rl.record_failure("10.0.0.1", "alice");
    now_ += 5s;
  }
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));
  rl.record_failure("10.0.0.1", "alice");  // 10th, 45 s into the window
  EXPECT_EQ(rl.check("10.0.0.1", "alice"), std::optional(255s));
  now_ += 254s + 500ms;
  EXPECT_EQ(rl.check("10.0.0.1", "alice"), std::optional(1s));  // rounded up, never 0
  now_ += 500ms;
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));
}

// Issue 18 item 8: ten wrong passwords "from anywhere" used to lock the account for everyone.
TEST_F(RateLimiterTest, FailuresFromOtherAddressesNeverLockTheAccountForACleanAddress) {
  auto rl = make(3);
  for (int i = 0; i < 50; ++i) rl.record_failure("203.0.113." + std::to_string(i), i % 2 ? "Admin" : "admin");
  EXPECT_FALSE(rl.check("10.9.9.9", "admin"));  // the owner, from an address that never failed
  EXPECT_FALSE(rl.check("10.9.9.9", "bob"));
}

TEST_F(RateLimiterTest, UnderAttackEachFailingAddressGetsNoMoreGuessesForThatAccount) {
  auto rl = make(3);
  rl.record_failure("10.0.0.1", "alice");
  rl.record_failure("10.0.0.2", "alice");
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));  // not under attack yet (2 < 3)
  rl.record_failure("10.0.0.3", "ALICE");      // 3rd failure for the account: under attack
  EXPECT_TRUE(rl.check("10.0.0.1", "alice"));   // addresses that failed are held back
  EXPECT_TRUE(rl.check("10.0.0.3", "alice"));
  EXPECT_FALSE(rl.check("10.0.0.4", "alice"));  // a clean one is not
  EXPECT_FALSE(rl.check("10.0.0.1", "bob"));    // nor another account from a failing address
  now_ += 301s;
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));
}

TEST_F(RateLimiterTest, OneAddressGetsMaxFailuresPerAccountAndThreeTimesThatOverall) {
  auto rl = make(3);
  for (int i = 0; i < 3; ++i) rl.record_failure("10.0.0.1", "a");
  EXPECT_TRUE(rl.check("10.0.0.1", "a"));
  EXPECT_FALSE(rl.check("10.0.0.1", "b"));
  for (int i = 0; i < 3; ++i) rl.record_failure("10.0.0.1", "b");
  for (int i = 0; i < 2; ++i) rl.record_failure("10.0.0.1", "c");
  EXPECT_FALSE(rl.check("10.0.0.1", "dave"));  // 8 < 9 failures for the IP
  rl.record_failure("10.0.0.1", "c");
  EXPECT_TRUE(rl.check("10.0.0.1", "dave"));    // 9 = 3 × 3: the IP is locked for everyone
  EXPECT_FALSE(rl.check("10.0.0.2", "dave"));
}

TEST_F(RateLimiterTest, ASuccessClearsThatAddressForTheAccountButNotTheIpBudget) {
  LoginRateLimiter rl({2, 300s, 1000, 3}, [this] { return now_; });
  rl.record_failure("10.0.0.1", "alice");
  rl.record_failure("10.0.0.1", "alice");
  EXPECT_TRUE(rl.check("10.0.0.1", "alice"));
  rl.record_success("10.0.0.1", "alice");       // e.g. after the lock ran out
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));  // a clean address for alice again
  rl.record_failure("10.0.0.1", "bob");          // IP: 3 failures (the success did not reset it)
  EXPECT_TRUE(rl.check("10.0.0.1", "carol"));
}

TEST_F(RateLimiterTest, FailuresOutsideTheWindowStartANewWindow) {
  auto rl = make(2);
  rl.record_failure("10.0.0.1", "alice");
  now_ += 301s;
  rl.record_failure("10.0.0.1", "alice");
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));
}

TEST_F(RateLimiterTest, RestoredFailuresCountWithTheirOriginalTime) {
  auto rl = make(3);
  rl.restore("10.0.0.1", "alice", 200s);
  rl.restore("10.0.0.1", "alice", 100s);
  rl.restore("10.0.0.1", "alice", 10s);
  rl.restore("10.0.0.1", "alice", 400s);  // older than the window: ignored
  EXPECT_EQ(rl.check("10.0.0.1", "alice"), std::optional(100s));  // window began 200 s ago
  EXPECT_FALSE(rl.check("10.0.0.2", "alice"));
}

TEST_F(RateLimiterTest, TrackedKeysAreCappedAndTheOldestIsEvicted) {
  auto rl = make(1, 6);
  rl.record_failure("ip-old", "old");  // 3 keys (ip, account, pair); the pair is locked
  EXPECT_TRUE(rl.check("ip-old", "old"));
  for (int i = 0; i < 10; ++i) {
    now_ += 1s;
    rl.record_failure("ip" + std::to_string(i), "user" + std::to_string(i));
    EXPECT_LE(rl.tracked_keys(), 6u);
  }
  EXPECT_FALSE(rl.check("ip-old", "old"));  // evicted
  EXPECT_TRUE(rl.check("ip9", "user9"));    // the newest survive
}

}  // namespace
}  // namespace opdesk::auth
