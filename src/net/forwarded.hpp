// Client address behind reverse proxies (X-Forwarded-For), as nginx's real_ip_recursive does.
//
// Each proxy appends the address it received the request from, so the list reads
// "client, proxy1, proxy2" and only the entries appended by proxies we trust are believed: walk
// it from the right (starting at the TCP peer), skip every address that is a trusted proxy, and
// the first address that is not is the client. Entries left of it were written by the client
// and may be forged ("127.0.0.1, 203.0.113.7" from 203.0.113.7 through our proxy is
// 203.0.113.7). A malformed entry stops the walk at the last trusted hop. Trusted proxies are
// addresses or CIDR ranges (10.0.0.0/8, fd00::/8); IPv4-mapped IPv6 addresses count as IPv4.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace opdesk::net {

// True when `ip` is one of `trusted` (exact address or CIDR range).
bool is_trusted_proxy(std::string_view ip, const std::vector<std::string>& trusted);

// The client address for a request from `peer` carrying `forwarded_for` (every X-Forwarded-For
// header joined with ","; empty when none). Returns `peer` unless peer is a trusted proxy.
std::string forwarded_client(std::string_view peer, std::string_view forwarded_for,
                             const std::vector<std::string>& trusted);

// Normal text form of an address ("::ffff:1.2.3.4" → "1.2.3.4"); "" when it is not one.
std::string normalize_ip(std::string_view ip);

// Problems in a trusted_proxies list (entries that are neither an address nor a CIDR range).
std::vector<std::string> invalid_proxy_entries(const std::vector<std::string>& trusted);

}  // namespace opdesk::net
