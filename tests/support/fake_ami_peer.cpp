// Fake AMI peer (see fake_ami_peer.hpp): a loopback TCP server with callback-style Asio on the
// test's io_context. One connection is served at a time (a new one replaces the old, as a
// restarted Asterisk would look to the client). Frames end at an empty line; CRLF or LF.
#include "fake_ami_peer.hpp"

#include <boost/asio/write.hpp>
#include <cctype>

namespace opdesk::test {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

AmiFrame parse_frame(const std::string& raw) {
  AmiFrame f;
  f.raw = raw;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    if (eol == std::string::npos) eol = raw.size();
    std::string line = raw.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    if (!v.empty() && v.front() == ' ') v.erase(0, 1);
    f.fields.emplace_back(line.substr(0, colon), v);
  }
  return f;
}
}  // namespace

std::string AmiFrame::get(const std::string& key) const {
  for (auto& [k, v] : fields)
    if (lower(k) == lower(key)) return v;
  return {};
}

std::string ami_frame(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (auto& [k, v] : fields) out += k + ": " + v + "\r\n";
  return out + "\r\n";
}

struct FakeAmiPeer::Conn {
  explicit Conn(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::array<char, 8192> buf{};
  std::string in;
  std::deque<std::string> out;
  bool writing = false;
  std::string challenge;
};

FakeAmiPeer::FakeAmiPeer(asio::io_context& io, Options opts)
    : io_(io), opts_(std::move(opts)), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept_next();
}

FakeAmiPeer::~FakeAmiPeer() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  drop();
}

void FakeAmiPeer::on_action(const std::string& action, Handler h) { handlers_[lower(action)] = std::move(h); }

bool FakeAmiPeer::has_connection() const { return conn_ && conn_->socket.is_open(); }

std::vector<AmiFrame> FakeAmiPeer::received_actions(const std::string& action) const {
  std::vector<AmiFrame> out;
  for (auto& f : received_)
    if (lower(f.action()) == lower(action)) out.push_back(f);
  return out;
}

void FakeAmiPeer::accept_next() {
  auto c = std::make_shared<Conn>(io_);
  acceptor_.async_accept(c->socket, [this, c](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      if (!accepting_) {
        c->socket.close(ec);
      } else {
        drop();
        conn_ = c;
        ++connections_;
        write(c, opts_.banner + "\r\n");
        read_next(c);
      }
    }
    accept_next();
  });
}

void FakeAmiPeer::read_next(std::shared_ptr<Conn> c) {
  c->socket.async_read_some(asio::buffer(c->buf), [this, c](boost::system::error_code ec, size_t n) {
    if (ec) return;
    received_bytes_.append(c->buf.data(), n);
    c->in.append(c->buf.data(), n);
    for (;;) {
      size_t end = c->in.find("\r\n\r\n");
      size_t skip = 4;
      size_t lf = c->in.find("\n\n");
      if (lf != std::string::npos && (end == std::string::npos || lf < end)) {
        end = lf;
        skip = 2;
      }
      if (end == std::string::npos) break;
      std::string raw = c->in.substr(0, end + skip);
      c->in.erase(0, end + skip);
      AmiFrame f = parse_frame(raw);
      received_.push_back(f);
      handle(c, f);
    }
    if (c->socket.is_open()) read_next(c);
  });
}

std::string FakeAmiPeer::answer_login(const std::shared_ptr<Conn>& c, const AmiFrame& f) {
  const std::string id = f.action_id();
  bool ok = f.get("Username") == opts_.username;
  if (lower(f.get("AuthType")) == "md5")
    ok = ok && !c->challenge.empty() && !opts_.md5_key.empty() && lower(f.get("Key")) == opts_.md5_key;
  else
    ok = ok && f.get("Secret") == opts_.secret;
  if (!ok) {
    ++logins_failed_;
    return ami_frame({{"Response", "Error"}, {"ActionID", id}, {"Message", "Authentication failed"}});
  }
  ++logins_ok_;
  return ami_frame({{"Response", "Success"}, {"ActionID", id}, {"Message", "Authentication accepted"}}) +
         ami_frame({{"Event", "FullyBooted"}, {"Privilege", "system,all"}, {"Uptime", "5"},
                    {"LastReload", "5"}, {"Status", "Fully Booted"}});
}

void FakeAmiPeer::handle(const std::shared_ptr<Conn>& c, const AmiFrame& f) {
  const std::string name = lower(f.action());
  const std::string id = f.action_id();
  if (auto it = handlers_.find(name); it != handlers_.end()) {
    std::string bytes = it->second(f);
    if (!bytes.empty()) write(c, std::move(bytes));
    return;
  }
  if (name == "challenge") {
    c->challenge = opts_.challenge;
    write(c, ami_frame({{"Response", "Success"}, {"ActionID", id}, {"Challenge", c->challenge}}));
  } else if (name == "login") {
    std::string answer = answer_login(c, f);
    bool failed = answer.find("Authentication failed") != std::string::npos;
    write(c, std::move(answer));
    if (failed) drop();
  } else if (name == "ping") {
    write(c, ami_frame({{"Response", "Success"}, {"ActionID", id}, {"Ping", "Pong"},
                        {"Timestamp", "1795500000.000000"}}));
  } else if (name == "logoff") {
    write(c, ami_frame({{"Response", "Goodbye"}, {"ActionID", id}, {"Message", "Thanks for all the fish."}}));
  } else {
    write(c, ami_frame({{"Response", "Success"}, {"ActionID", id}, {"Message", f.action() + " done"}}));
  }
}

void FakeAmiPeer::send(std::string bytes) {
  if (conn_) write(conn_, std::move(bytes));
}

void FakeAmiPeer::drop() {
  if (!conn_) return;
  auto c = conn_;
  conn_.reset();
  c->out.clear();
  // Let queued writes (e.g. a login failure answer) go first: close after a round trip.
  asio::post(io_, [c] {
    boost::system::error_code ec;
    c->socket.shutdown(tcp::socket::shutdown_both, ec);
    c->socket.close(ec);
  });
}

void FakeAmiPeer::write(const std::shared_ptr<Conn>& c, std::string bytes) {
  c->out.push_back(std::move(bytes));
  if (!c->writing) write_next(c);
}

void FakeAmiPeer::write_next(std::shared_ptr<Conn> c) {
  if (c->out.empty()) {
    c->writing = false;
    return;
  }
  c->writing = true;
  auto data = std::make_shared<std::string>(std::move(c->out.front()));
  c->out.pop_front();
  asio::async_write(c->socket, asio::buffer(*data), [this, c, data](boost::system::error_code ec, size_t) {
    if (ec) {
      c->writing = false;
      return;
    }
    write_next(c);
  });
}

bool run_until(asio::io_context& io, const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  if (io.stopped()) io.restart();
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    io.run_one_for(std::chrono::milliseconds(20));
    if (io.stopped()) io.restart();
  }
  return true;
}

}  // namespace opdesk::test
