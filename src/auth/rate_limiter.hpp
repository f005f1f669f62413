// Login rate limiter: failed logins are counted per client IP, per (account, IP) pair and per
// account, so nobody can lock another person out from their own address.
//
// Policy (docs/security.md):
//  - (account, IP): `max_failures` failures within the window lock that pair until the window
//    ends (Retry-After). This is the budget of one guesser against one account.
//  - IP: `ip_max_failures` failures within the window (any accounts) lock that IP for every
//    account (password spraying from one address).
//  - account: there is NO account-wide hard lock. Once an account has collected
//    `max_failures` failures within the window from anywhere, it is "under attack": an address
//    that has itself failed for this account during the window is refused, so a botnet gets one
//    guess per address per window, while an address with no failures for this account (the
//    owner at their desk) still logs in with the right password.
// Each key has a fixed window starting at its first failure. A success clears that (account,
// IP) pair only (never the IP budget or the account's attack counter). Memory is bounded: at
// most `max_keys` keys, least recently touched evicted first. Time comes from an injected
// steady clock; restore() replays failures of the past (from the audit log at start), so a
// restart or crash does not hand out a fresh budget. Thread-safe (login runs on the worker pool).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace opdesk::auth {

class LoginRateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    int max_failures = 10;  // per (account, IP); also the account's "under attack" mark
    std::chrono::seconds window{300};
    size_t max_keys = 10000;
    int ip_max_failures = 0;  // per IP over all accounts; 0 → 3 × max_failures
  };

  explicit LoginRateLimiter(Options opt, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Seconds until a login from this IP for this account may be tried again (nullopt: allowed).
  std::optional<std::chrono::seconds> check(std::string_view ip, std::string_view account);
  void record_failure(std::string_view ip, std::string_view account);
  void record_success(std::string_view ip, std::string_view account);
  // A failure that happened `age` ago (replayed at start, oldest first).
  void restore(std::string_view ip, std::string_view account, std::chrono::milliseconds age);
  size_t tracked_keys() const;
  const Options& options() const { return opt_; }

 private:
  struct Entry {
    std::chrono::steady_clock::time_point window_start;
    int failures = 0;
    std::list<std::string>::iterator lru;
  };

  const Entry* live(const std::string& key, std::chrono::steady_clock::time_point now);
  std::optional<std::chrono::seconds> locked_for(const std::string& key, int limit,
                                                 std::chrono::steady_clock::time_point now);
  void fail_key(const std::string& key, std::chrono::steady_clock::time_point at);
  void fail_all(std::string_view ip, std::string_view account, std::chrono::steady_clock::time_point at);
  void erase(const std::string& key);

  Options opt_;
  Clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recently touched
};

}  // namespace opdesk::auth
