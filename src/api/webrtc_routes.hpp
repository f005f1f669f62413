// Softphone provisioning (issue #11): each logged-in user gets the SIP-over-WebSocket account
// of their own extension, and only that one.
//
//   GET    /api/webrtc/config                    the caller's extension, SIP password, WS(S) URL,
//                                                SIP domain, ICE servers, DTMF mode (JWT only)
//   GET    /api/webrtc/credentials               admin: which extensions are provisioned (no secrets)
//   PUT    /api/webrtc/credentials/{extension}   admin: set password (+ auth username), write-only
//   DELETE /api/webrtc/credentials/{extension}   admin: forget them
//
// Credentials set by an admin live in the panel's settings table as secret rows
// `webrtc.credentials.<extension>` (the admin settings API never lists those keys). When no row
// exists and a FreePBX/Issabel database is configured, the `sip` table's secret is used. The WS
// server URL is the WEBRTC_PBX_SERVER panel setting, else [webrtc] pbx_server. Secrets are never
// logged or written to the audit log; responses carry Cache-Control: no-store.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "request_auth.hpp"
#include "router.hpp"
#include "store/store.hpp"

namespace opdesk::api {

struct WebRtcOptions {
  std::string pbx_server;                // ws:// or wss:// URL of the PBX's SIP WebSocket
  std::string domain;                    // SIP domain; empty: the host of the server URL
  std::vector<std::string> ice_servers;  // stun:/turn: URLs
  std::string turn_username, turn_password;
  std::string dtmf = "rfc4733";          // rfc4733 | info
};

struct WebRtcDeps {
  store::Store& store;
  RequestAuth& auth;
  WebRtcOptions options;
  // Blocking FreePBX lookup of an extension's SIP secret (run on the store worker pool); empty
  // when no PBX database is configured.
  std::function<std::optional<std::string>(const std::string&)> pbx_secret;
};

void register_webrtc_routes(Router& router, WebRtcDeps& deps);

// Pure helpers (unit-tested).
// Host part of a ws://, wss://, http:// or https:// URL ("" when it is not such a URL).
std::string url_host(const std::string& url);
bool valid_ws_url(const std::string& url);
// RTCPeerConnection `iceServers` for the options (TURN entries carry the credentials).
nlohmann::json ice_servers_json(const WebRtcOptions& o);
// The settings key that holds an extension's credentials.
std::string credentials_key(const std::string& extension);

}  // namespace opdesk::api
