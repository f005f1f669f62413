// Beast HTTP/WebSocket/TLS server; see server.hpp for the shape. This is the one translation
// unit that instantiates Beast (it costs ~30 s and ~2 GB to compile): keep other code out.
//
// Error policy: expected errors (peer closed, timeout, TLS short read, limits) are values
// handled where they occur; anything else ends the connection coroutine and is logged once in
// the co_spawn completion handler.
#include "server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <deque>
#include <random>
#include <set>
#include <unordered_map>

#include "api/http_util.hpp"
#include "fd_limits.hpp"
#include "forwarded.hpp"
#include "security_headers.hpp"

namespace opdesk::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

bool valid_request_id(std::string_view id) {
  if (id.size() < 8 || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string new_request_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string s(16, '0');
  uint64_t v = rng();
  for (auto& c : s) {
    c = hex[v & 0xf];
    v >>= 4;
  }
  return s;
}

// A warning that may fire in a storm (accept errors, per-address rejections): logged at most
// once per kAcceptLogInterval, with the number of occurrences since the last line.
struct ThrottledLog {
  std::chrono::steady_clock::time_point last{};
  uint64_t count = 0;
  template <class... Args>
  void warn(spdlog::format_string_t<uint64_t, Args...> fmt, Args&&... args) {
    ++count;
    auto now = std::chrono::steady_clock::now();
    if (last != std::chrono::steady_clock::time_point{} && now - last < kAcceptLogInterval) return;
    spdlog::warn(fmt, uint64_t{count}, std::forward<Args>(args)...);
    last = now;
    count = 0;
  }
};

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  asio::any_io_executor ex;
  ServerOptions opts;
  api::HttpHandler http;
  api::WsFactory ws;
  std::unique_ptr<ssl::context> ssl_ctx;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  ServerStats stats;
  std::set<std::shared_ptr<api::WsPeer>> ws_sessions;  // live WebSockets, for stop()
  std::unordered_map<std::string, std::size_t> per_ip;  // open connections by peer address
  ThrottledLog accept_log, per_ip_log;

  Impl(asio::any_io_executor e, ServerOptions o, api::HttpHandler h, api::WsFactory w)
      : ex(e), opts(std::move(o)), http(std::move(h)), ws(std::move(w)), acceptor(e) {}

  awaitable<void> listen();
  awaitable<void> detect_session(tcp::socket sock, std::string peer_ip);
  void release(const std::string& ip);
  std::string csp() const {
    return opts.content_security_policy ? opts.content_security_policy() : content_security_policy("");
  }
  template <class Stream>
  awaitable<void> run_http(Stream& stream, beast::flat_buffer& buffer, bool secure,
                           const std::string& peer_ip);
  awaitable<void> redirect_to_https(beast::tcp_stream& stream, beast::flat_buffer& buffer);
  template <class Stream>
  awaitable<void> run_websocket(Stream stream, http::request<http::string_body> req,
                                api::Request request);
  api::Request to_api_request(const http::request<http::string_body>& req, bool secure,
                              const std::string& peer_ip) const;
  bool trusted(const std::string& ip) const { return is_trusted_proxy(ip, opts.trusted_proxies); }
};

// ---- WebSocket session -----------------------------------------------------------------

template <class Stream>
class WsSession final : public api::WsPeer, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream stream, std::shared_ptr<Server::Impl> server)
      : ws_(std::move(stream)), wake_(ws_.get_executor()), server_(std::move(server)) {
    wake_.expires_at(asio::steady_timer::time_point::max());
  }

  void send(std::shared_ptr<const std::string> text) override {
    if (closing_ || closed_) return;
    queued_bytes_ += text->size();
    queue_.push_back(std::move(text));
    wake_.cancel();
  }
  void close(uint16_t code, std::string reason) override {
    if (closing_ || closed_) return;
    closing_ = true;
    close_code_ = code;
    if (reason.size() > 123) reason.resize(123);  // RFC 6455: the close payload is <= 125 bytes
    close_reason_ = std::move(reason);
    wake_.cancel();
  }
  size_t queued_bytes() const override { return queued_bytes_; }
  size_t queued_messages() const override { return queue_.size(); }
  void drop_queued() override {
    queue_.clear();
    queued_bytes_ = 0;
  }

  websocket::stream<Stream>& ws() { return ws_; }

  // Runs a handler callback; an exception (a bug: handlers answer bad input themselves) is
  // logged and closes the socket with 1011 instead of escaping the session.
  template <class F>
  bool guarded(F&& f) {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      spdlog::error("websocket: handler failed: {}", e.what());
    } catch (...) {
      spdlog::error("websocket: handler failed");
    }
    close(static_cast<uint16_t>(websocket::close_code::internal_error), "internal error");
    return false;
  }

  // Every way out of the session (peer close, timeout, a handler exception, the coroutine
  // destroyed at shutdown) runs End's destructor: the session leaves ws_sessions (which frees
  // its socket) and the handler hears on_close exactly once. Only when the frame is destroyed
  // without finishing (the event loop torn down, the hub maybe gone) is the handler not called.
  struct End {
    WsSession* s;
    std::shared_ptr<WsSession> self;
    std::shared_ptr<api::WsHandler> handler;
    bool finished = false;
    ~End() {
      s->closed_ = true;
      if (finished) {
        s->wake_.cancel();  // the write loop ends (not while the event loop is being torn down)
        try {
          handler->on_close();
        } catch (const std::exception& e) {
          spdlog::error("websocket: on_close failed: {}", e.what());
        }
      }
      s->server_->ws_sessions.erase(self);
      s->server_->stats.websockets = s->server_->ws_sessions.size();
    }
  };

  awaitable<void> read_loop(std::shared_ptr<api::WsHandler> handler) {
    End end{this, this->shared_from_this(), handler};
    asio::co_spawn(ws_.get_executor(), write_loop(), asio::detached);
    // After a handler failure the socket is closing (1011): keep reading until the close
    // handshake ends, but hand the handler nothing more.
    bool healthy = guarded([&] { handler->on_open(); });
    beast::flat_buffer buf;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buf, kTuple);
      if (ec) break;  // closed by the peer, by us, timeout or too large: all end the session
      if (!ws_.got_text()) {
        // Binary frames are not part of the protocol: say so and close (1003 unsupported data).
        close(static_cast<uint16_t>(websocket::close_code::unknown_data), "binary frames are not supported");
      } else if (healthy) {
        auto data = buf.cdata();
        std::string_view text(static_cast<const char*>(data.data()), data.size());
        healthy = guarded([&] { handler->on_message(text); });
      }
      buf.consume(n);
    }
    end.finished = true;
  }

 private:
  awaitable<void> write_loop() {
    auto self = this->shared_from_this();
    while (!closed_) {
      if (!queue_.empty()) {
        auto msg = queue_.front();
        ws_.text(true);
        auto [ec, n] = co_await ws_.async_write(asio::buffer(*msg), kTuple);
        if (!queue_.empty() && queue_.front() == msg) {
          queue_.pop_front();
          queued_bytes_ -= msg->size();
        }
        if (ec) break;
        continue;
      }
      if (closing_) {
        auto [ec] = co_await ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(close_code_), close_reason_), kTuple);
        break;
      }
      wake_.expires_at(asio::steady_timer::time_point::max());
      auto [ec] = co_await wake_.async_wait(kTuple);
    }
    closed_ = true;
  }

  websocket::stream<Stream> ws_;
  asio::steady_timer wake_;
  std::shared_ptr<Server::Impl> server_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  size_t queued_bytes_ = 0;
  bool closing_ = false;
  bool closed_ = false;
  uint16_t close_code_ = 1000;
  std::string close_reason_;
};

// ---- conversions ------------------------------------------------------------------------

api::Request Server::Impl::to_api_request(const http::request<http::string_body>& req,
                                          bool secure, const std::string& peer_ip) const {
  api::Request r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.body = req.body();
  r.remote_ip = peer_ip;
  r.secure = secure;
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  api::parse_target(r.target, r);
  if (trusted(peer_ip)) {
    // Every X-Forwarded-For line, in order, as one list (a proxy may add its own line).
    std::string fwd;
    for (const auto& [k, v] : r.headers) {
      if (k != "x-forwarded-for") continue;
      if (!fwd.empty()) fwd += ',';
      fwd += v;
    }
    r.remote_ip = forwarded_client(peer_ip, fwd, opts.trusted_proxies);
    if (r.header("x-forwarded-proto") == "https") r.secure = true;
  }
  std::string_view rid = r.header("x-request-id");
  if (!valid_request_id(rid)) rid = r.header("x-trace-id");  // upstream's name for it (#25)
  r.request_id = valid_request_id(rid) ? std::string(rid) : new_request_id();
  return r;
}

// The security headers a handler did not set itself.
template <class Fields>
void add_security_headers(Fields& res, const std::vector<std::pair<std::string, std::string>>& own,
                          const std::string& csp) {
  for (auto& [name, value] : security_headers(csp)) {
    bool set = false;
    for (const auto& h : own) set = set || same_name(h.first, name);
    if (!set) res.set(name, value);
  }
}

http::response<http::string_body> to_beast_response(const api::Response& resp,
                                                    const api::Request& req, unsigned version,
                                                    bool keep_alive, const std::string& csp) {
  http::response<http::string_body> res{static_cast<http::status>(resp.status), version};
  res.set(http::field::server, "opdesk");
  if (!resp.content_type.empty()) res.set(http::field::content_type, resp.content_type);
  res.set("X-Request-Id", req.request_id);
  res.set("X-Trace-Id", req.request_id);  // the same id under upstream's header name (#25)
  for (const auto& [k, v] : resp.headers) res.insert(k, v);
  add_security_headers(res, resp.headers, csp);
  res.keep_alive(keep_alive);
  if (req.method == "HEAD") {
    res.content_length(resp.payload().size());
  } else {
    res.body() = resp.payload();
    // Error bodies name it too, as upstream's `error.trace_id` (the id is [A-Za-z0-9._-] only).
    if (resp.status >= 400 && res.body().starts_with(R"({"error":{)")) {
      res.body().insert(10, "\"trace_id\":\"" + req.request_id + "\",");
    }
    res.prepare_payload();
  }
  return res;
}

// ---- connection phases --------------------------------------------------------------------

awaitable<void> Server::Impl::listen() {
  auto self = shared_from_this();
  asio::steady_timer pause(ex);
  auto backoff = std::chrono::milliseconds(kAcceptBackoffMin);
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(kTuple);
    if (stopping) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE and friends: the connection stays in the backlog and the listener stays
      // readable, so retrying at once spins. Back off; the backlog is served once
      // descriptors are free again.
      ++stats.accept_errors;
      accept_log.warn("http accept failed {} time(s): {}; retrying in {} ms (open connections: {})",
                      ec.message(), backoff.count(), stats.connections);
      pause.expires_after(backoff);
      co_await pause.async_wait(kTuple);
      if (stopping) co_return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(kAcceptBackoffMax));
      continue;
    }
    backoff = kAcceptBackoffMin;
    beast::error_code pec;
    auto ep = sock.remote_endpoint(pec);
    std::string ip = pec ? std::string() : normalize_ip(ep.address().to_string());
    if (stats.connections >= opts.max_connections) {
      ++stats.rejected_connections;
      beast::error_code ignored;
      sock.close(ignored);
      continue;
    }
    if (opts.max_connections_per_ip > 0 && !ip.empty() && per_ip[ip] >= opts.max_connections_per_ip &&
        !trusted(ip)) {
      ++stats.rejected_connections;
      ++stats.rejected_per_ip;
      per_ip_log.warn("refused {} connection(s) over server.max_connections_per_ip ({}), last from {}",
                      opts.max_connections_per_ip, ip);
      beast::error_code ignored;
      sock.close(ignored);
      continue;
    }
    ++stats.connections;
    if (!ip.empty()) ++per_ip[ip];
    // Live updates are small frames written back to back: without TCP_NODELAY, Nagle holds each
    // one until the previous is acknowledged, which a delayed ACK stretches to ~40 ms.
    beast::error_code nd;
    sock.set_option(asio::ip::tcp::no_delay(true), nd);
    asio::co_spawn(ex, detect_session(std::move(sock), ip), [self, ip](std::exception_ptr e) {
      --self->stats.connections;
      self->release(ip);
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::warn("http session ended: {}", ex.what());
        }
      }
    });
  }
}

void Server::Impl::release(const std::string& ip) {
  if (ip.empty()) return;
  auto it = per_ip.find(ip);
  if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
}

awaitable<void> Server::Impl::detect_session(tcp::socket sock, std::string peer_ip) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buffer;
  if (ssl_ctx) {
    stream.expires_after(std::min<std::chrono::seconds>(kHandshakeTimeout, opts.header_timeout));
    auto [dec, is_tls] = co_await beast::async_detect_ssl(stream, buffer, kTuple);
    if (dec) co_return;
    if (is_tls) {
      beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), *ssl_ctx);
      auto [hec, used] = co_await tls.async_handshake(ssl::stream_base::server, buffer.data(), kTuple);
      if (hec) co_return;
      buffer.consume(used);
      co_await run_http(tls, buffer, true, peer_ip);
      co_return;
    }
    if (opts.redirect_http_to_https) {
      co_await redirect_to_https(stream, buffer);
      co_return;
    }
  }
  co_await run_http(stream, buffer, false, peer_ip);
}

awaitable<void> Server::Impl::redirect_to_https(beast::tcp_stream& stream,
                                                beast::flat_buffer& buffer) {
  http::request<http::string_body> req;
  stream.expires_after(kHandshakeTimeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, req, kTuple);
  if (ec) co_return;
  std::string host(req[http::field::host]);
  if (host.empty()) host = opts.host;
  if (host.find(':') == std::string::npos && opts.port != 443) host += ":" + std::to_string(opts.port);
  http::response<http::string_body> res{http::status::moved_permanently, req.version()};
  res.set(http::field::location, "https://" + host + std::string(req.target()));
  add_security_headers(res, {}, csp());
  res.keep_alive(false);
  res.prepare_payload();
  co_await http::async_write(stream, res, kTuple);
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

template <class Stream>
awaitable<void> Server::Impl::run_http(Stream& stream, beast::flat_buffer& buffer, bool secure,
                                       const std::string& peer_ip) {
  auto& lowest = beast::get_lowest_layer(stream);
  for (bool first = true;; first = false) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(opts.max_body);
    parser.header_limit(static_cast<uint32_t>(opts.max_header));
    // Between keep-alive requests a connection may stay silent for idle_timeout; from the first
    // byte of a request (of a new connection: from accept) its header must be complete within
    // header_timeout, however slowly it trickles in. The body then has idle_timeout.
    beast::error_code ec;
    if (!first && buffer.size() == 0) {
      lowest.expires_after(opts.idle_timeout);
      auto [wec, wn] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      if (wec) break;
      buffer.commit(wn);
    }
    lowest.expires_after(opts.header_timeout);
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    ec = hec;
    if (!ec && !parser.is_done()) {
      lowest.expires_after(opts.idle_timeout);
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kTuple);
      ec = bec;
    }
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      bool body = ec == http::error::body_limit;
      api::Response r = api::error_response(body ? 413 : 431,
                                            body ? "request.body.too_large" : "request.headers.too_large",
                                            body ? "request body exceeds " + std::to_string(opts.max_body) + " bytes"
                                                 : "request headers too large");
      api::Request dummy;
      dummy.request_id = new_request_id();
      auto res = to_beast_response(r, dummy, 11, false, csp());
      co_await http::async_write(stream, res, kTuple);
      break;
    }
    if (ec) break;  // end of stream, timeout, reset: nothing to answer
    auto req = parser.release();
    if (websocket::is_upgrade(req)) {
      api::Request r = to_api_request(req, secure, peer_ip);
      if (r.path == "/ws") {
        beast::get_lowest_layer(stream).expires_never();
        co_await run_websocket(std::move(stream), std::move(req), std::move(r));
        co_return;
      }
    }
    api::Request r = to_api_request(req, secure, peer_ip);
    ++stats.requests;
    api::Response resp = co_await http(r);
    bool keep = req.keep_alive() && !stopping;
    auto res = to_beast_response(resp, r, req.version(), keep, csp());
    auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
    if (wec || !keep) break;
  }
  beast::error_code ignored;
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  } else {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    // A peer that vanishes without close_notify yields stream_truncated: harmless here,
    // every response was already complete.
    co_await stream.async_shutdown(kTuple);
  }
}

template <class Stream>
awaitable<void> Server::Impl::run_websocket(Stream stream, http::request<http::string_body> req,
                                            api::Request request) {
  auto session = std::make_shared<WsSession<Stream>>(std::move(stream), shared_from_this());
  api::WsAccept accept = ws(session, request);
  auto& ws_stream = session->ws();
  if (!accept.handler) {
    auto res = to_beast_response(accept.reject, request, req.version(), false, csp());
    co_await http::async_write(ws_stream.next_layer(), res, kTuple);
    co_return;
  }
  ws_stream.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_stream.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::server, "opdesk");
  }));
  ws_stream.read_message_max(kWsMaxMessage);
  // One frame per message: deltas are small and snapshots are sent once, so fragmenting at
  // Beast's 4 KiB default only adds frame headers and work for the browser.
  ws_stream.auto_fragment(false);
  auto [ec] = co_await ws_stream.async_accept(req, kTuple);
  if (ec) co_return;
  ws_sessions.insert(session);
  stats.websockets = ws_sessions.size();
  if (stopping) session->close(1001, "server shutting down");
  co_await session->read_loop(accept.handler);
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(asio::any_io_executor ex, ServerOptions opts, api::HttpHandler http,
               api::WsFactory ws)
    : impl_(std::make_shared<Impl>(ex, std::move(opts), std::move(http), std::move(ws))) {}

Server::~Server() {
  if (impl_) impl_->stopping = true;
}

void Server::start() {
  auto& o = impl_->opts;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    if (o.tls_cert.empty() || o.tls_key.empty()) {
      throw std::runtime_error("tls.cert and tls.key must both be set");
    }
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    beast::error_code ec;
    ctx->use_certificate_chain_file(o.tls_cert, ec);
    if (ec) throw std::runtime_error("cannot load tls.cert '" + o.tls_cert + "': " + ec.message());
    ctx->use_private_key_file(o.tls_key, ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load tls.key '" + o.tls_key + "': " + ec.message());
    impl_->ssl_ctx = std::move(ctx);
  }
  auto budget = fit_fd_budget(o.max_connections);
  if (!budget.warning.empty()) spdlog::warn("http: {}", budget.warning);
  o.max_connections = budget.max_connections;
  impl_->stats.max_connections = o.max_connections;
  for (const auto& bad : invalid_proxy_entries(o.trusted_proxies)) {
    spdlog::warn("http: server.trusted_proxies entry '{}' is neither an address nor a CIDR range; ignored", bad);
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + o.host + "'");
  tcp::endpoint ep(addr, o.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                             ec.message());
  }
  asio::co_spawn(impl_->ex, impl_->listen(), asio::detached);
}

void Server::stop() {
  impl_->stopping = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
  auto sessions = impl_->ws_sessions;
  for (const auto& s : sessions) s->close(1001, "server shutting down");
}

uint16_t Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->opts.port : ep.port();
}

bool Server::tls() const { return impl_->ssl_ctx != nullptr; }

ServerStats Server::stats() const { return impl_->stats; }

}  // namespace opdesk::net
