// Login rate limiter (see rate_limiter.hpp for the policy). Keys are "ip:<addr>",
// "pair:<login>\n<addr>" and "acct:<login>"; a login name is case-folded so "Admin" and
// "admin" share a budget. A '\n' cannot occur in a login (the service refuses control chars).
#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cctype>

namespace opdesk::auth {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

std::string folded(std::string_view account) {
  std::string k;
  for (char c : account.substr(0, 191)) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

std::string ip_key(std::string_view ip) { return "ip:" + std::string(ip.substr(0, 64)); }
std::string account_key(std::string_view account) { return "acct:" + folded(account); }
std::string pair_key(std::string_view ip, std::string_view account) {
  return "pair:" + folded(account) + "\n" + std::string(ip.substr(0, 64));
}

}  // namespace

LoginRateLimiter::LoginRateLimiter(Options opt, Clock clock) : opt_(opt), clock_(std::move(clock)) {
  opt_.max_failures = std::max(1, opt_.max_failures);
  if (opt_.ip_max_failures <= 0) opt_.ip_max_failures = 3 * opt_.max_failures;
  opt_.max_keys = std::max<size_t>(3, opt_.max_keys);
}

const LoginRateLimiter::Entry* LoginRateLimiter::live(const std::string& key, TimePoint now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (now >= it->second.window_start + opt_.window) {
    erase(key);
    return nullptr;
  }
  return &it->second;
}

std::optional<std::chrono::seconds> LoginRateLimiter::locked_for(const std::string& key, int limit, TimePoint now) {
  const Entry* e = live(key, now);
  if (!e || e->failures < limit) return std::nullopt;
  // Round up so a client never retries a moment too early; at least one second.
  auto left = std::chrono::ceil<std::chrono::seconds>(e->window_start + opt_.window - now);
  return std::max(left, std::chrono::seconds(1));
}

std::optional<std::chrono::seconds> LoginRateLimiter::check(std::string_view ip, std::string_view account) {
  std::lock_guard lock(mu_);
  const auto now = clock_();
  std::optional<std::chrono::seconds> wait;
  auto take = [&wait](std::optional<std::chrono::seconds> w) {
    if (w && (!wait || *w > *wait)) wait = w;
  };
  take(locked_for(ip_key(ip), opt_.ip_max_failures, now));
  const std::string pair = pair_key(ip, account);
  take(locked_for(pair, opt_.max_failures, now));
  // Under attack: only addresses that already failed for this account are held back, until
  // their own failures or the account's attack window expire, whichever comes first.
  const Entry* acct = live(account_key(account), now);
  const Entry* mine = live(pair, now);
  if (acct && mine && acct->failures >= opt_.max_failures) {
    const auto end = std::min(acct->window_start, mine->window_start) + opt_.window;
    take(std::max(std::chrono::ceil<std::chrono::seconds>(end - now), std::chrono::seconds(1)));
  }
  return wait;
}

void LoginRateLimiter::fail_key(const std::string& key, TimePoint at) {
  auto it = entries_.find(key);
  if (it != entries_.end() && at >= it->second.window_start + opt_.window) {
    erase(key);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    while (entries_.size() >= opt_.max_keys) {
      const std::string victim = lru_.back();  // copy: erase() frees the list node
      erase(victim);
    }
    lru_.push_front(key);
    it = entries_.emplace(key, Entry{at, 0, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  ++it->second.failures;
}

void LoginRateLimiter::fail_all(std::string_view ip, std::string_view account, TimePoint at) {
  fail_key(ip_key(ip), at);
  fail_key(account_key(account), at);
  fail_key(pair_key(ip, account), at);
}

void LoginRateLimiter::record_failure(std::string_view ip, std::string_view account) {
  std::lock_guard lock(mu_);
  fail_all(ip, account, clock_());
}

void LoginRateLimiter::restore(std::string_view ip, std::string_view account, std::chrono::milliseconds age) {
  if (age < std::chrono::milliseconds(0) || age >= opt_.window) return;
  std::lock_guard lock(mu_);
  fail_all(ip, account, clock_() - age);
}

void LoginRateLimiter::record_success(std::string_view ip, std::string_view account) {
  std::lock_guard lock(mu_);
  erase(pair_key(ip, account));
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
