// Transport limits, each with its reason. Values can be overridden from config (http.*).
#pragma once

#include <chrono>
#include <cstddef>

namespace opdesk::net {

// Largest request body: the biggest legitimate body is a settings or user form (a few KiB);
// 1 MiB leaves room for bulk API calls while refusing uploads we never accept (→ 413).
inline constexpr std::size_t kDefaultMaxBody = 1 << 20;
// Header block limit: browsers send < 8 KiB; a 16 KiB cap stops header floods (→ 431).
inline constexpr std::size_t kDefaultMaxHeader = 16 * 1024;
// TLS detection and handshake must finish quickly; a silent socket is dropped.
inline constexpr auto kHandshakeTimeout = std::chrono::seconds(15);
// Idle keep-alive connections are closed after this; browsers reopen as needed.
inline constexpr auto kDefaultIdleTimeout = std::chrono::seconds(60);
// Concurrent connections (HTTP + WebSocket): above this new sockets are closed at once, so a
// flood cannot exhaust file descriptors needed by the AMI link and the database.
inline constexpr std::size_t kDefaultMaxConnections = 4096;
// A request's header must be complete this long after its first byte (a new connection: after
// accept). Separate from the idle timeout: slowloris clients trickle header bytes forever.
inline constexpr auto kDefaultHeaderTimeout = std::chrono::seconds(10);
// Concurrent connections from one address (trusted proxies exempt): one host cannot take every
// slot. A browser uses ~6 HTTP connections + 1 WebSocket, so this covers an office behind NAT.
inline constexpr std::size_t kDefaultMaxConnectionsPerIp = 256;
// Descriptors kept free for everything but client sockets (AMI, database, files, CRM).
inline constexpr std::size_t kFdReserve = 64;
// accept() failing (EMFILE, ENFILE, ENOBUFS): wait before retrying, doubling up to the max, and
// log at most once per interval (the listener stays readable, so an instant retry would spin).
inline constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(50);
inline constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(500);
inline constexpr auto kAcceptLogInterval = std::chrono::seconds(10);
// A single WebSocket message from a client: commands are tiny JSON objects.
inline constexpr std::size_t kWsMaxMessage = 64 * 1024;
// Graceful shutdown: how long in-flight requests and WebSocket closes may take.
inline constexpr auto kDrainTimeout = std::chrono::seconds(5);

}  // namespace opdesk::net
