// Login rate limiter: counts failed logins per client IP and per account name.
//
// Each key has a fixed window that starts at its first failure. Reaching `max_failures`
// within the window locks the key until the window ends; check() then answers the seconds to
// wait (Retry-After). A success clears the account key (not the IP key, so one good password
// does not reset an attacker's budget). Memory is bounded: at most `max_keys` keys are
// tracked; past that the least recently touched key is evicted. Time comes from an injected
// clock. Thread-safe (login runs on the store's worker pool).
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
    int max_failures = 10;
    std::chrono::seconds window{300};
    size_t max_keys = 10000;
  };

  explicit LoginRateLimiter(Options opt, Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Seconds until a login from this IP for this account may be tried again (nullopt: allowed).
  std::optional<std::chrono::seconds> check(std::string_view ip, std::string_view account);
  void record_failure(std::string_view ip, std::string_view account);
  void record_success(std::string_view ip, std::string_view account);
  size_t tracked_keys() const;

 private:
  struct Entry {
    std::chrono::steady_clock::time_point window_start;
    int failures = 0;
    std::list<std::string>::iterator lru;
  };

  std::optional<std::chrono::seconds> locked_for(const std::string& key, std::chrono::steady_clock::time_point now);
  void fail_key(const std::string& key, std::chrono::steady_clock::time_point now);
  void erase(const std::string& key);

  Options opt_;
  Clock clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: most recently touched
};

}  // namespace opdesk::auth
