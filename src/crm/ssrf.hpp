// SSRF guard for every outgoing CRM request (push, OAuth2 token, test, lookup).
//
// The CRM URL is typed by an administrator, but the panel usually runs inside a private
// network next to cloud metadata services, so a URL must not become a way to reach them.
// Policy: http(s) only; link-local (169.254.0.0/16, fe80::/10 — cloud metadata lives there,
// incl. fd00:ec2::254), unspecified, multicast and broadcast addresses are refused always;
// loopback and private ranges (10/8, 172.16/12, 192.168/16, 100.64/10 CGNAT, fc00::/7) only when
// the `allow_private` setting (CRM_ALLOW_PRIVATE) is on. The check runs twice: on the host
// literal at save time (check_url_host) and on the address libcurl actually connects to
// (HttpClient's open-socket hook calls check_address), so DNS answers and rebinding cannot
// slip past the save-time check.
#pragma once

#include <string>
#include <sys/socket.h>

namespace opdesk::crm {

enum class AddressClass { kPublic, kPrivate, kLoopback, kBlocked };

// Classifies a numeric IPv4/IPv6 address. IPv6 transition forms are classified as the IPv4
// address they embed: ::ffff:0:0/96, ::ffff:0:0:0/96, ::/96, 64:ff9b::/96 (64:ff9b:1::/48 at
// least private), 2002::/16 (6to4) and 2001::/32 (Teredo: server and client address).
AddressClass classify(const sockaddr* addr);
// Same for text ("10.0.0.1", "::1"); nullopt-like kPublic for a host name (not an address).
AddressClass classify_text(const std::string& host, bool* is_literal);

// Empty when the address may be used, else a reason ("link-local/metadata address 169.254.169.254").
std::string check_address(const sockaddr* addr, bool allow_private);
// Save-time check of a URL's host part: IP literals and "localhost"; host names pass (their
// resolved addresses are checked at connect time). Empty when fine, else the reason.
std::string check_url_host(const std::string& url, bool allow_private);
// The host part of scheme://[userinfo@]host[:port]/... (brackets removed for IPv6).
std::string url_host(const std::string& url);

}  // namespace opdesk::crm
