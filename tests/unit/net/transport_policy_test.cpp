// Pure transport policies (#18): which X-Forwarded-For entry is the client, the CSP and security
// headers, and the connection budget under a descriptor limit. The server applying them is
// tested over real sockets in tests/integration/transport_hostile_test.py.
#include <gtest/gtest.h>

#include "net/fd_limits.hpp"
#include "net/forwarded.hpp"
#include "net/limits.hpp"
#include "net/security_headers.hpp"

namespace opdesk::net {
namespace {

const std::vector<std::string> kProxy = {"10.0.0.5"};

TEST(ForwardedFor, TheRightmostUntrustedEntryIsTheClientNotTheForgedLeftmost) {
  // The attacker (203.0.113.7) sends "127.0.0.1"; our proxy appends the address it saw.
  EXPECT_EQ(forwarded_client("10.0.0.5", "127.0.0.1, 203.0.113.7", kProxy), "203.0.113.7");
  EXPECT_EQ(forwarded_client("10.0.0.5", "203.0.113.7", kProxy), "203.0.113.7");
}

TEST(ForwardedFor, TrustedHopsAreSkippedFromTheRightIncludingCidrRanges) {
  std::vector<std::string> proxies = {"10.0.0.0/8", "192.168.1.1"};
  EXPECT_EQ(forwarded_client("10.1.2.3", "198.51.100.9, 192.168.1.1, 10.9.9.9", proxies), "198.51.100.9");
  // Every entry trusted: the leftmost one is as far as we can see.
  EXPECT_EQ(forwarded_client("10.1.2.3", "10.2.2.2, 10.3.3.3", proxies), "10.2.2.2");
}

TEST(ForwardedFor, AnUntrustedPeerIsTheClientWhateverItClaims) {
  EXPECT_EQ(forwarded_client("203.0.113.7", "127.0.0.1", kProxy), "203.0.113.7");
  EXPECT_EQ(forwarded_client("203.0.113.7", "127.0.0.1", {}), "203.0.113.7");
}

TEST(ForwardedFor, GarbageStopsTheWalkAtTheLastTrustedHop) {
  EXPECT_EQ(forwarded_client("10.0.0.5", "1.2.3.4, not-an-ip", kProxy), "10.0.0.5");
  EXPECT_EQ(forwarded_client("10.0.0.5", "", kProxy), "10.0.0.5");
  EXPECT_EQ(forwarded_client("10.0.0.5", " , ", kProxy), "10.0.0.5");
  EXPECT_EQ(forwarded_client("10.0.0.5", "127.0.0.1;evil", kProxy), "10.0.0.5");
}

TEST(ForwardedFor, IPv6AndMappedAddressesAreNormalised) {
  EXPECT_EQ(forwarded_client("::ffff:10.0.0.5", "2001:db8::7", kProxy), "2001:db8::7");
  EXPECT_EQ(forwarded_client("fd00::1", "[2001:db8::8]", {"fd00::/8"}), "2001:db8::8");
  EXPECT_EQ(normalize_ip("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_TRUE(is_trusted_proxy("::ffff:10.0.0.5", kProxy));
  EXPECT_FALSE(is_trusted_proxy("10.0.0.6", kProxy));
  EXPECT_EQ(invalid_proxy_entries({"10.0.0.0/8", "10.0.0.0/33", "proxy.local", "::1"}),
            (std::vector<std::string>{"10.0.0.0/33", "proxy.local"}));
}

TEST(SecurityHeaders, CspAllowsSelfAndOnlyTheConfiguredPbxWebSocketOrigin) {
  std::string csp = content_security_policy("wss://pbx.example.com:8089/ws");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self' wss://pbx.example.com:8089;"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_NE(content_security_policy("").find("connect-src 'self';"), std::string::npos);
  // A setting cannot inject CSP syntax or a userinfo host.
  EXPECT_EQ(websocket_origin("wss://pbx; script-src *"), "");
  EXPECT_EQ(websocket_origin("wss://user@pbx"), "");
  EXPECT_EQ(websocket_origin("https://pbx"), "");
  EXPECT_EQ(websocket_origin("ws://[fd00::1]:8088/ws"), "ws://[fd00::1]:8088");
  auto h = security_headers(csp);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[1], (std::pair<std::string, std::string>{"X-Frame-Options", "DENY"}));
}

TEST(FdBudget, ConnectionsLeaveTheReserveFreeUnderTheDescriptorLimit) {
  EXPECT_EQ(connections_for_fd_limit(1024, 4096), 1024 - kFdReserve);
  EXPECT_EQ(connections_for_fd_limit(1 << 20, 4096), 4096u);
  EXPECT_EQ(connections_for_fd_limit(100, 4096), 50u);  // tiny limit: half
  EXPECT_EQ(connections_for_fd_limit(0, 4096), 4096u);  // unknown
}

}  // namespace
}  // namespace opdesk::net
