// LoginRateLimiter with an injected clock: lock after N failures, Retry-After is the rest of
// the window, unlock when it ends, per-account and per-IP budgets, success, memory cap.
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

TEST_F(RateLimiterTest, AnAccountIsLockedWhateverIpTheFailuresCameFrom) {
  auto rl = make(3);
  rl.record_failure("10.0.0.1", "alice");
  rl.record_failure("10.0.0.2", "Alice");  // account names are case-folded
  rl.record_failure("10.0.0.3", "ALICE");
  EXPECT_TRUE(rl.check("10.9.9.9", "alice"));
  EXPECT_FALSE(rl.check("10.9.9.9", "bob"));
}

TEST_F(RateLimiterTest, AnIpIsLockedWhateverAccountsItTried) {
  auto rl = make(3);
  rl.record_failure("10.0.0.1", "a");
  rl.record_failure("10.0.0.1", "b");
  rl.record_failure("10.0.0.1", "c");
  EXPECT_TRUE(rl.check("10.0.0.1", "dave"));
  EXPECT_FALSE(rl.check("10.0.0.2", "dave"));
}

TEST_F(RateLimiterTest, ASuccessClearsTheAccountButNotTheIp) {
  auto rl = make(2);
  rl.record_failure("10.0.0.1", "alice");
  rl.record_success("10.0.0.1", "alice");
  rl.record_failure("10.0.0.2", "alice");
  EXPECT_FALSE(rl.check("10.0.0.3", "alice"));  // account count restarted at 1
  rl.record_failure("10.0.0.1", "bob");
  EXPECT_TRUE(rl.check("10.0.0.1", "carol"));  // the IP still had its earlier failure
}

TEST_F(RateLimiterTest, FailuresOutsideTheWindowStartANewWindow) {
  auto rl = make(2);
  rl.record_failure("10.0.0.1", "alice");
  now_ += 301s;
  rl.record_failure("10.0.0.1", "alice");
  EXPECT_FALSE(rl.check("10.0.0.1", "alice"));
}

TEST_F(RateLimiterTest, TrackedKeysAreCappedAndTheOldestIsEvicted) {
  auto rl = make(1, 4);
  rl.record_failure("ip-old", "old");  // 2 keys, both locked
  EXPECT_TRUE(rl.check("ip-old", "x"));
  for (int i = 0; i < 10; ++i) {
    now_ += 1s;
    rl.record_failure("ip" + std::to_string(i), "user" + std::to_string(i));
    EXPECT_LE(rl.tracked_keys(), 4u);
  }
  EXPECT_FALSE(rl.check("ip-old", "old"));  // evicted
  EXPECT_TRUE(rl.check("ip9", "someone"));  // the newest survive
}

}  // namespace
}  // namespace opdesk::auth
