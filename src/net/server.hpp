// HTTP/1.1 + WebSocket + TLS server (Boost.Beast on Asio coroutines). The only Beast user.
//
// One listener coroutine accepts sockets; each connection is one coroutine that reads top to
// bottom: detect TLS (when a certificate is configured, TLS and plain HTTP share the port),
// then an HTTP keep-alive loop that hands plain api::Request structs to the API handler, or
// upgrades /ws to a WebSocket session driven by an api::WsHandler. All limits live in
// limits.hpp. stop() closes the listener, sends close 1001 to every WebSocket and lets HTTP
// requests in flight finish (graceful SIGTERM).
//
// Hostile peers (#18): a request's header must arrive within header_timeout, each address may
// hold max_connections_per_ip sockets (trusted proxies exempt), accept() errors back off, and
// max_connections is fitted to the descriptor limit at start (fd_limits.hpp). A WebSocket session
// always ends with the same cleanup, whatever its handler throws. Every response carries the
// security headers (security_headers.hpp); X-Forwarded-For is resolved as in forwarded.hpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/http_types.hpp"
#include "limits.hpp"

namespace opdesk::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8765;  // 0 = any free port (see Server::port())
  std::string tls_cert;  // PEM files; both set → TLS on the same port
  std::string tls_key;
  bool redirect_http_to_https = false;  // with TLS: plain HTTP requests get a 301 to https
  std::vector<std::string> trusted_proxies;  // addresses/CIDRs whose X-Forwarded-* are believed
  std::size_t max_body = kDefaultMaxBody;
  std::size_t max_header = kDefaultMaxHeader;
  std::chrono::seconds idle_timeout = kDefaultIdleTimeout;
  std::size_t max_connections = kDefaultMaxConnections;  // lowered to fit RLIMIT_NOFILE
  std::chrono::seconds header_timeout = kDefaultHeaderTimeout;
  std::size_t max_connections_per_ip = kDefaultMaxConnectionsPerIp;  // 0: no per-address cap
  // The Content-Security-Policy (read per response: the softphone's PBX origin is a setting);
  // unset → content_security_policy("").
  std::function<std::string()> content_security_policy;
};

struct ServerStats {
  std::size_t connections = 0;
  std::size_t websockets = 0;
  uint64_t requests = 0;
  uint64_t rejected_connections = 0;  // over max_connections or the per-address cap
  uint64_t rejected_per_ip = 0;
  uint64_t accept_errors = 0;  // accept() failures (EMFILE, ...)
  std::size_t max_connections = 0;  // in effect (after fitting the descriptor limit)
};

class Server {
 public:
  Server(boost::asio::any_io_executor ex, ServerOptions opts, api::HttpHandler http,
         api::WsFactory ws);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Throws std::runtime_error with a clear message on failure
  // (address in use, bad certificate, ...).
  void start();
  // Graceful stop: see the file comment.
  void stop();
  uint16_t port() const;
  bool tls() const;
  ServerStats stats() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Writes a self-signed certificate and key (PEM) for first tries with HTTPS; the certificate
// names `hosts` (DNS names or IP addresses) and is valid for `days`.
void write_self_signed(const std::string& cert_path, const std::string& key_path,
                       const std::vector<std::string>& hosts, int days = 365);

}  // namespace opdesk::net
