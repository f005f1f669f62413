// Security headers on every HTTP response (clickjacking, MIME sniffing, referrer leaks, CSP).
//
// The Content-Security-Policy allows only the panel's own origin, except connect-src, which
// also allows the PBX's SIP WebSocket origin (the softphone, WEBRTC_PBX_SERVER / [webrtc]
// pbx_server) when one is configured. The built UI has no inline script or <style>; recordings
// play from blob: URLs (media-src; data: too, the upstream client's audio unlock sound) and
// icons may be data: URLs (img-src). A handler that sets its
// own header of the same name (e.g. a different CSP) keeps it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opdesk::net {

// "wss://pbx.example.com:8089" for "wss://pbx.example.com:8089/ws"; "" when the URL is not a
// ws:// or wss:// URL with a plain host[:port] (anything else could inject CSP syntax).
std::string websocket_origin(std::string_view url);

// The CSP for a PBX WebSocket URL (empty: none configured).
std::string content_security_policy(std::string_view pbx_ws_url);

// The headers every response carries, CSP included.
std::vector<std::pair<std::string, std::string>> security_headers(const std::string& csp);

}  // namespace opdesk::net
