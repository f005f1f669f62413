// Plain HTTP request/response and WebSocket peer types shared by src/api and src/net.
//
// Beast stops at src/net: the transport converts its messages into these structs, the API
// handlers (which never include Beast) answer with a Response, and WebSocket connections are
// seen by the API only through the small WsPeer / WsHandler interfaces below.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opdesk::api {

struct Request {
  std::string method;        // "GET", "POST", ...
  std::string target;        // as received, with the query string
  std::string path;          // percent-decoded path without the query
  std::map<std::string, std::string> query;        // decoded query parameters (first value wins)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote_ip;     // peer address, or X-Forwarded-For's client when from a trusted proxy
  bool secure = false;       // TLS, or X-Forwarded-Proto=https from a trusted proxy
  std::string request_id;    // X-Request-Id (honoured when well-formed, else generated)
  std::map<std::string, std::string> params;       // route parameters ({id} in the pattern)
  std::string route_pattern;                       // the matched route ("/api/settings/users/{id}")

  std::string_view header(std::string_view lower_name) const noexcept {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return v;
    }
    return {};
  }
  std::string_view param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string_view{} : std::string_view(it->second);
  }
  std::optional<std::string> query_value(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body is a shared immutable buffer (static assets cached in memory) when set.
  std::shared_ptr<const std::string> shared_body;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::string& payload() const { return shared_body ? *shared_body : body; }
};

using HttpHandler = std::function<boost::asio::awaitable<Response>(Request&)>;

// The transport side of one WebSocket connection (implemented in src/net).
class WsPeer {
 public:
  virtual ~WsPeer() = default;
  // Queues a text frame; never blocks. Frames are written in order, one at a time.
  virtual void send(std::shared_ptr<const std::string> text) = 0;
  // Sends a close frame with code and reason after the queued frames, then ends the session.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual size_t queued_bytes() const = 0;
  virtual size_t queued_messages() const = 0;
  // Drops every queued frame not yet being written (slow-client coalescing).
  virtual void drop_queued() = 0;
};

// The API side of one WebSocket connection (implemented in src/api).
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  virtual void on_open() = 0;
  virtual void on_message(std::string_view text) = 0;
  virtual void on_close() = 0;
};

struct WsAccept {
  std::shared_ptr<WsHandler> handler;  // null → refuse with `reject`
  Response reject;
};
using WsFactory = std::function<WsAccept(std::shared_ptr<WsPeer>, const Request&)>;

}  // namespace opdesk::api
