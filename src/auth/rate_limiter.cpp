// Login rate limiter (see rate_limiter.hpp). Keys are "ip:<addr>" and "user:<login>"; an
// account name is case-folded so "Admin" and "admin" share a budget.
#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cctype>

namespace opdesk::auth {
namespace {

std::string ip_key(std::string_view ip) { return "ip:" + std::string(ip); }

std::string account_key(std::string_view account) {
  std::string k = "user:";
  for (char c : account.substr(0, 191)) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

}  // namespace

LoginRateLimiter::LoginRateLimiter(Options opt, Clock clock) : opt_(opt), clock_(std::move(clock)) {
  opt_.max_failures = std::max(1, opt_.max_failures);
  opt_.max_keys = std::max<size_t>(2, opt_.max_keys);
}

std::optional<std::chrono::seconds> LoginRateLimiter::locked_for(
    const std::string& key, std::chrono::steady_clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const auto end = it->second.window_start + opt_.window;
  if (now >= end) {
    erase(key);
    return std::nullopt;
  }
  if (it->second.failures < opt_.max_failures) return std::nullopt;
  // Round up so a client never retries a moment too early; at least one second.
  auto left = std::chrono::ceil<std::chrono::seconds>(end - now);
  return std::max(left, std::chrono::seconds(1));
}

std::optional<std::chrono::seconds> LoginRateLimiter::check(std::string_view ip, std::string_view account) {
  std::lock_guard lock(mu_);
  const auto now = clock_();
  auto a = locked_for(ip_key(ip), now);
  auto b = locked_for(account_key(account), now);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void LoginRateLimiter::fail_key(const std::string& key, std::chrono::steady_clock::time_point now) {
  auto it = entries_.find(key);
  if (it != entries_.end() && now >= it->second.window_start + opt_.window) {
    erase(key);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    while (entries_.size() >= opt_.max_keys) {
      const std::string victim = lru_.back();  // copy: erase() frees the list node
      erase(victim);
    }
    lru_.push_front(key);
    it = entries_.emplace(key, Entry{now, 0, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  ++it->second.failures;
}

void LoginRateLimiter::record_failure(std::string_view ip, std::string_view account) {
  std::lock_guard lock(mu_);
  const auto now = clock_();
  fail_key(ip_key(ip), now);
  fail_key(account_key(account), now);
}

void LoginRateLimiter::record_success(std::string_view /*ip*/, std::string_view account) {
  std::lock_guard lock(mu_);
  erase(account_key(account));
}

size_t LoginRateLimiter::tracked_keys() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void LoginRateLimiter::erase(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

}  // namespace opdesk::auth
