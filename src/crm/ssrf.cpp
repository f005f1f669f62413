// SSRF address policy (see ssrf.hpp): pure functions over sockaddr and URL text.
//
// How it fits: crm_config.cpp calls check_url_host when a config is validated (save and test
// time); http_client.cpp calls check_address from libcurl's CURLOPT_OPENSOCKETFUNCTION for
// every address it is about to connect to (the CRM itself, the OAuth2 token URL or a proxy).
// Invariant: anything not recognised as a normal unicast address is refused; an IPv6 address
// that embeds an IPv4 one (mapped, compatible, SIIT, NAT64, 6to4, Teredo) is judged by the
// IPv4 address it leads to.
#include "crm/ssrf.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

namespace opdesk::crm {
namespace {

AddressClass classify_v4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x00000000, 8)) return AddressClass::kBlocked;        // 0.0.0.0/8 "this network"
  if (in(0xA9FE0000, 16)) return AddressClass::kBlocked;       // 169.254/16 link-local, metadata
  if (in(0xE0000000, 4) || in(0xF0000000, 4)) return AddressClass::kBlocked;  // multicast, reserved, broadcast
  if (in(0x7F000000, 8)) return AddressClass::kLoopback;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10) ||
      in(0xC6120000, 15)) {  // RFC 1918, CGNAT 100.64/10, benchmark 198.18/15
    return AddressClass::kPrivate;
  }
  return AddressClass::kPublic;
}

uint32_t v4_at(const uint8_t* b, int i) {
  return (uint32_t(b[i]) << 24) | (uint32_t(b[i + 1]) << 16) | (uint32_t(b[i + 2]) << 8) | b[i + 3];
}

bool zero(const uint8_t* b, int from, int to) {  // bytes [from, to) are all zero
  for (int i = from; i < to; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

AddressClass stricter(AddressClass a, AddressClass b) {  // kPublic < kPrivate < kLoopback < kBlocked
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

// IPv6 forms that carry an IPv4 address a router or the kernel may turn into an IPv4 packet:
// the embedded address is what is really reached, so it is judged instead. nullopt: none.
std::optional<AddressClass> transition_v4(const uint8_t* b) {
  if (zero(b, 0, 10) && b[10] == 0xff && b[11] == 0xff) return classify_v4(v4_at(b, 12));  // ::ffff:0:0/96 mapped
  if (zero(b, 0, 8) && b[8] == 0xff && b[9] == 0xff && zero(b, 10, 12)) {
    return classify_v4(v4_at(b, 12));  // ::ffff:0:0:0/96 IPv4-translated (SIIT)
  }
  if (zero(b, 0, 12)) return classify_v4(v4_at(b, 12));  // ::/96 IPv4-compatible (deprecated)
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zero(b, 4, 12)) return classify_v4(v4_at(b, 12));  // 64:ff9b::/96 NAT64 well-known prefix
    if (b[4] == 0x00 && b[5] == 0x01) {                    // 64:ff9b:1::/48 local-use NAT64
      return stricter(AddressClass::kPrivate, classify_v4(v4_at(b, 12)));
    }
  }
  if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(v4_at(b, 2));  // 2002::/16 6to4
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {  // 2001::/32 Teredo
    // Server IPv4 in bytes 4-7, the client's IPv4 inverted in bytes 12-15: both are reached.
    return stricter(classify_v4(v4_at(b, 4)), classify_v4(~v4_at(b, 12)));
  }
  return std::nullopt;
}

AddressClass classify_v6(const in6_addr& a) {
  const uint8_t* b = a.s6_addr;
  if (zero(b, 0, 16)) return AddressClass::kBlocked;                      // ::
  if (zero(b, 0, 15) && b[15] == 1) return AddressClass::kLoopback;       // ::1
  if (auto v4 = transition_v4(b)) return *v4;
  if (b[0] == 0xff) return AddressClass::kBlocked;                       // multicast
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kBlocked;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kBlocked;  // fec0::/10 site-local (deprecated)
  // fd00:ec2::254 (AWS IMDS over IPv6) sits in fc00::/7; refuse it always.
  static const uint8_t kAwsImds[16] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (std::memcmp(b, kAwsImds, 16) == 0) return AddressClass::kBlocked;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;  // fc00::/7 unique local
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return AddressClass::kBlocked;  // documentation
  if (b[0] == 0x01 && zero(b, 1, 8)) return AddressClass::kBlocked;  // 100::/64 discard-only
  return AddressClass::kPublic;
}

std::string describe(AddressClass c) {
  switch (c) {
    case AddressClass::kBlocked: return "link-local/metadata/reserved address";
    case AddressClass::kLoopback: return "loopback address (allow_private is off)";
    case AddressClass::kPrivate: return "private-network address (allow_private is off)";
    case AddressClass::kPublic: return "";
  }
  return "";
}

std::string verdict(AddressClass c, bool allow_private, const std::string& text) {
  if (c == AddressClass::kPublic) return "";
  if (c != AddressClass::kBlocked && allow_private) return "";
  return describe(c) + " " + text;
}

}  // namespace

AddressClass classify(const sockaddr* addr) {
  if (!addr) return AddressClass::kBlocked;
  if (addr->sa_family == AF_INET) {
    return classify_v4(ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) return classify_v6(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
  return AddressClass::kBlocked;  // unix sockets and anything else
}

AddressClass classify_text(const std::string& host, bool* is_literal) {
  in_addr v4{};
  in6_addr v6{};
  *is_literal = true;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return classify_v4(ntohl(v4.s_addr));
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return classify_v6(v6);
  *is_literal = false;
  return AddressClass::kPublic;
}

std::string check_address(const sockaddr* addr, bool allow_private) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr && addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof text);
  } else if (addr && addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text, sizeof text);
  }
  return verdict(classify(addr), allow_private, text);
}

std::string url_host(const std::string& url) {
  auto scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  auto at = authority.rfind('@');
  if (at != std::string::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    return authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  }
  auto colon = authority.find(':');
  return authority.substr(0, colon);
}

std::string check_url_host(const std::string& url, bool allow_private) {
  std::string host = url_host(url);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"))) {
    return verdict(AddressClass::kLoopback, allow_private, host);
  }
  if (host == "metadata.google.internal" || host == "metadata") {
    return verdict(AddressClass::kBlocked, allow_private, host);
  }
  bool literal = false;
  AddressClass c = classify_text(host, &literal);
  return literal ? verdict(c, allow_private, host) : "";
}

}  // namespace opdesk::crm
