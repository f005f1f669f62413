// Security headers; see security_headers.hpp.
#include "security_headers.hpp"

#include <cctype>

namespace opdesk::net {

std::string websocket_origin(std::string_view url) {
  std::string_view scheme;
  if (url.rfind("wss://", 0) == 0) scheme = "wss://";
  else if (url.rfind("ws://", 0) == 0) scheme = "ws://";
  else return {};
  std::string_view rest = url.substr(scheme.size());
  auto end = rest.find_first_of("/?#");
  std::string_view host = rest.substr(0, end);
  if (host.empty() || host.size() > 255) return {};
  for (char c : host) {
    // host names, IPv4, [IPv6] and :port only; no userinfo, spaces, quotes or ';'
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' ||
          c == ']')) {
      return {};
    }
  }
  return std::string(scheme) + std::string(host);
}

std::string content_security_policy(std::string_view pbx_ws_url) {
  std::string connect = "'self'";
  if (auto origin = websocket_origin(pbx_ws_url); !origin.empty()) connect += " " + origin;
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
         "media-src 'self' blob: data:; font-src 'self' data:; connect-src " + connect +
         "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
}

std::vector<std::pair<std::string, std::string>> security_headers(const std::string& csp) {
  return {{"Content-Security-Policy", csp},
          {"X-Frame-Options", "DENY"},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

}  // namespace opdesk::net
