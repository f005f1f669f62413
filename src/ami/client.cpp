// AMI client implementation (see client.hpp for the contract).
//
// Design: Impl is shared (coroutines hold a shared_ptr to it) and owns one Conn per TCP
// connection. A Conn has its own socket, parser, write queue and generation number, so
// nothing of a dead connection (a late write, a pending action) can leak into the next one.
// Each action waits on its own steady_timer, armed with the action timeout: the reader cancels
// it when the answer (and, for list actions, the *Complete event) arrived; a lost connection
// cancels it with "connection lost"; expiry means "timeout". The owner's callbacks are only
// called while the Client is alive (stop() detaches it).
// Invariants: one writer per connection; the write queue and each list answer are capped;
// nothing is written when Action::encode refuses a value.
#include "client.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <deque>
#include <random>
#include <unordered_map>

#include "parser.hpp"

namespace opdesk::ami {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr size_t kMaxListEvents = 200000;  // one list answer (Status of a very large PBX)
constexpr size_t kMaxPending = 4096;       // actions waiting for an answer

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string md5_key(std::string_view challenge, std::string_view secret) {
  std::string in;
  in.reserve(challenge.size() + secret.size());
  in.append(challenge).append(secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in.data(), in.size(), md, &len, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

struct Conn {
  explicit Conn(asio::any_io_executor ex, uint64_t g) : socket(ex), gen(g) {}
  tcp::socket socket;
  uint64_t gen;
  Parser parser;
  std::deque<std::string> wq;
  bool writing = false;
  bool closed = false;
  bool logged_in = false;
  uint64_t next_id = 0;
  std::string close_reason;
};

struct Pending {
  explicit Pending(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  uint64_t gen = 0;
  bool list = false;
  bool done = false;
  bool got_response = false;
  ActionResult res;
};

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
  Impl(asio::any_io_executor e, ClientOptions o) : ex(e), opts(std::move(o)), wait_timer(e) {}

  asio::any_io_executor ex;
  ClientOptions opts;
  Client* owner = nullptr;
  ClientStats stats;
  std::shared_ptr<Conn> conn;
  uint64_t gen = 0;
  bool running = false;
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending;
  asio::steady_timer wait_timer;  // backoff between attempts; cancelled by stop/reconnect
  std::mt19937 rng{std::random_device{}()};
  std::chrono::steady_clock::time_point last_malformed_log{};
  uint64_t malformed_since_log = 0;

  bool usable() const { return conn && conn->logged_in && !conn->closed; }

  void close(const std::shared_ptr<Conn>& c, std::string reason) {
    if (c->closed) return;
    c->closed = true;
    c->close_reason = std::move(reason);
    error_code ec;
    c->socket.shutdown(tcp::socket::shutdown_both, ec);
    c->socket.close(ec);
  }

  void fail_pending(uint64_t g, std::string_view why) {
    for (auto& [id, p] : pending) {
      if (p->gen != g || p->done) continue;
      p->done = true;
      p->res.ok = false;
      p->res.error = std::string(why);
      p->timer.cancel();
    }
  }

  std::chrono::milliseconds backoff(int attempt) {
    auto base = opts.backoff_min.count() << std::min(attempt, 20);
    auto capped = std::min<long long>(base, opts.backoff_max.count());
    std::uniform_int_distribution<long long> d(capped / 2, std::max<long long>(capped / 2, capped));
    return std::chrono::milliseconds(d(rng));
  }

  // --- sending -------------------------------------------------------------------------
  asio::awaitable<ActionResult> submit(std::shared_ptr<Conn> c, Action a, bool list,
                                       std::chrono::milliseconds timeout) {
    auto self = shared_from_this();
    ActionResult r;
    if (iequals(a.name(), "Originate") && a.get("Async").empty()) a.set("Async", "true");
    std::string id = "opdesk-" + lower(a.name()) + "-" + std::to_string(++c->next_id);
    std::string bytes, err;
    if (!a.encode(id, bytes, err)) {
      r.error = "invalid: " + err;
      co_return r;
    }
    if (c->wq.size() >= opts.max_write_queue || pending.size() >= kMaxPending) {
      r.error = "write queue full";
      co_return r;
    }
    auto p = std::make_shared<Pending>(ex);
    p->gen = c->gen;
    p->list = list;
    p->timer.expires_after(timeout.count() > 0 ? timeout : opts.action_timeout);
    pending[id] = p;
    ++stats.actions;
    enqueue(c, std::move(bytes));
    error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    pending.erase(id);
    if (!p->done) {
      ++stats.timeouts;
      p->res.ok = false;
      p->res.error = "timeout";
    }
    co_return std::move(p->res);
  }

  void enqueue(const std::shared_ptr<Conn>& c, std::string bytes) {
    c->wq.push_back(std::move(bytes));
    if (c->writing) return;
    c->writing = true;
    asio::co_spawn(ex, write_loop(c), asio::detached);
  }

  asio::awaitable<void> write_loop(std::shared_ptr<Conn> c) {
    auto self = shared_from_this();
    while (!c->wq.empty() && !c->closed) {
      std::string frame = std::move(c->wq.front());
      c->wq.pop_front();
      error_code ec;
      co_await asio::async_write(c->socket, asio::buffer(frame),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        close(c, "write failed: " + ec.message());
        break;
      }
    }
    c->writing = false;
  }

  // --- receiving -----------------------------------------------------------------------
  void log_malformed(std::string_view detail) {
    ++stats.malformed;
    ++malformed_since_log;
    auto now = std::chrono::steady_clock::now();
    if (now - last_malformed_log < std::chrono::seconds(10)) return;
    spdlog::warn("{}: skipped malformed frame ({}; {} skipped since last report)", opts.name,
                 detail, malformed_since_log);
    last_malformed_log = now;
    malformed_since_log = 0;
  }

  void correlate(const Message& m) {
    auto id = m.action_id();
    if (id.empty()) return;
    auto it = pending.find(std::string(id));
    if (it == pending.end() || it->second->done) return;
    auto& p = *it->second;
    if (m.kind() == Message::Kind::kResponse) {
      p.res.response = m;
      p.got_response = true;
      p.res.ok = iequals(m.response(), "Success") || iequals(m.response(), "Goodbye") ||
                 iequals(m.response(), "Follows");
      if (!p.res.ok) p.res.error = std::string(m.get("Message").empty() ? "error" : m.get("Message"));
      if (!p.list || !p.res.ok) finish(p);
      return;
    }
    if (!p.list) return;
    auto ev = m.event();
    bool complete = iequals(m.get("EventList"), "Complete") ||
                    (ev.size() > 8 && iequals(ev.substr(ev.size() - 8), "Complete"));
    if (complete) {
      if (!p.got_response) p.res.ok = true;
      finish(p);
    } else if (p.res.list.size() < kMaxListEvents) {
      p.res.list.push_back(m);
    }
  }

  static void finish(Pending& p) {
    p.done = true;
    p.timer.cancel();
  }

  void on_message(const std::shared_ptr<Conn>& c, const Message& m) {
    ++stats.frames;
    if (owner && owner->on_frame) owner->on_frame(m);
    if (c->closed) return;
    correlate(m);
  }

  void on_banner(const std::shared_ptr<Conn>& c, const std::string& banner) {
    stats.banner = banner;
    if (owner && owner->on_banner) owner->on_banner(banner);
    asio::co_spawn(ex, login(c), asio::detached);
  }

  asio::awaitable<void> read_loop(std::shared_ptr<Conn> c) {
    std::array<char, 16384> buf;
    Message msg;
    std::string detail;
    bool banner_seen = false;
    while (!c->closed) {
      error_code ec;
      size_t n = co_await c->socket.async_read_some(asio::buffer(buf),
                                                    asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        close(c, ec == asio::error::eof ? "closed by peer" : "read failed: " + ec.message());
        break;
      }
      c->parser.feed(std::string_view(buf.data(), n));
      for (;;) {
        auto r = c->parser.next(msg, detail);
        if (r == Parser::Result::kNeedMore || c->closed) break;
        if (r == Parser::Result::kError) {
          log_malformed(detail);
        } else if (r == Parser::Result::kBanner) {
          if (banner_seen) {  // a second banner on one connection: the peer restarted
            close(c, "unexpected banner");
            break;
          }
          banner_seen = true;
          on_banner(c, detail);
        } else {
          on_message(c, msg);
        }
      }
    }
  }

  asio::awaitable<void> login(std::shared_ptr<Conn> c) {
    auto self = shared_from_this();
    Action a("Login");
    a.set("Username", opts.username);
    if (opts.md5) {
      Action ch("Challenge");
      ch.set("AuthType", "MD5");
      auto r = co_await submit(c, std::move(ch), false, opts.action_timeout);
      if (!r.ok || r.response.get("Challenge").empty()) {
        fail_login(c, "challenge failed: " + r.error);
        co_return;
      }
      a.set("AuthType", "MD5");
      a.set("Key", md5_key(r.response.get("Challenge"), opts.secret));
    } else {
      a.set("Secret", opts.secret);
    }
    a.set("Events", opts.events);
    auto r = co_await submit(c, std::move(a), false, opts.action_timeout);
    if (c->closed) co_return;
    if (!r.ok) {
      fail_login(c, "login failed: " + r.error);
      co_return;
    }
    c->logged_in = true;
    ++stats.logins;
    stats.connected_since_ms = wall_ms();
    stats.last_error.clear();
    spdlog::info("{}: logged in to {}:{}", opts.name, opts.host, opts.port);
    asio::co_spawn(ex, ping_loop(c), asio::detached);
    if (owner && owner->on_login) owner->on_login();
  }

  void fail_login(const std::shared_ptr<Conn>& c, std::string why) {
    stats.last_error = why;
    spdlog::warn("{}: {}", opts.name, why);
    close(c, std::move(why));
  }

  asio::awaitable<void> ping_loop(std::shared_ptr<Conn> c) {
    auto self = shared_from_this();
    asio::steady_timer t(ex);
    while (!c->closed) {
      t.expires_after(opts.ping_interval);
      error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (c->closed) break;
      auto r = co_await submit(c, Action("Ping"), false,
                               std::min(opts.ping_interval, opts.action_timeout));
      if (!r.ok && !c->closed) {
        spdlog::warn("{}: keepalive failed ({}), reconnecting", opts.name, r.error);
        close(c, "keepalive failed: " + r.error);
      }
    }
  }

  // --- connection lifecycle --------------------------------------------------------------
  asio::awaitable<bool> connect(std::shared_ptr<Conn> c) {
    error_code ec;
    tcp::resolver resolver(ex);
    auto eps = co_await resolver.async_resolve(opts.host, std::to_string(opts.port),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      stats.last_error = "resolve failed: " + ec.message();
      co_return false;
    }
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer t(ex, opts.connect_timeout);
    t.async_wait([c, timed_out](error_code e) {
      if (e) return;
      *timed_out = true;
      error_code ignore;
      c->socket.close(ignore);
    });
    co_await asio::async_connect(c->socket, eps, asio::redirect_error(asio::use_awaitable, ec));
    t.cancel();
    if (ec || *timed_out) {
      stats.last_error = *timed_out ? "connect timeout" : "connect failed: " + ec.message();
      co_return false;
    }
    c->socket.set_option(tcp::no_delay(true), ec);
    co_return true;
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    int attempt = 0;
    while (running) {
      auto c = std::make_shared<Conn>(ex, ++gen);
      conn = c;
      bool was_up = co_await connect(c);
      if (was_up && running) {
        ++stats.connects;
        co_await read_loop(c);
        close(c, c->close_reason.empty() ? "closed" : c->close_reason);
        fail_pending(c->gen, "connection lost");
        if (c->logged_in) attempt = 0;
        stats.connected_since_ms = 0;
        if (c->logged_in || stats.last_error.empty()) stats.last_error = c->close_reason;
        spdlog::info("{}: disconnected ({})", opts.name, c->close_reason);
        if (owner && owner->on_disconnect) owner->on_disconnect(c->close_reason);
      } else {
        close(c, "connect failed");
      }
      if (!running) break;
      wait_timer.expires_after(backoff(attempt++));
      error_code ec;
      co_await wait_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

Client::Client(asio::any_io_executor ex, ClientOptions opts)
    : impl_(std::make_shared<Impl>(ex, std::move(opts))) {
  impl_->owner = this;
}

Client::~Client() {
  stop();
  impl_->owner = nullptr;
}

void Client::start() {
  if (impl_->running) return;
  impl_->running = true;
  asio::co_spawn(impl_->ex, impl_->run(), asio::detached);
}

void Client::stop() {
  impl_->running = false;
  impl_->wait_timer.cancel();
  if (impl_->conn) impl_->close(impl_->conn, "stopped");
}

bool Client::connected() const { return impl_->usable(); }
const ClientStats& Client::stats() const { return impl_->stats; }
const ClientOptions& Client::options() const { return impl_->opts; }
void Client::set_options(ClientOptions opts) { impl_->opts = std::move(opts); }

void Client::reconnect() {
  impl_->wait_timer.cancel();
  if (impl_->conn) impl_->close(impl_->conn, "reconnect requested");
}

asio::awaitable<ActionResult> Client::send(Action a, bool list, std::chrono::milliseconds timeout) {
  auto impl = impl_;
  if (!impl->usable()) {
    ActionResult r;
    r.error = "not connected";
    co_return r;
  }
  co_return co_await impl->submit(impl->conn, std::move(a), list, timeout);
}

}  // namespace opdesk::ami
