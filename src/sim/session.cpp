// AMI session coroutines: a reader (bytes → ami::Parser → actions) and a writer draining the
// output queue. Invariants: out_bytes_ never exceeds the cap (the client is dropped first);
// nothing is written after close(); a Logoff's Goodbye is flushed before the socket closes.
#include "session.hpp"

#include "ami/client.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

#include "ami/parser.hpp"

namespace opdesk::sim {
namespace asio = boost::asio;
using ami::iequals;

namespace {
std::shared_ptr<const std::string> frame_of(const Fields& f) {
  return std::make_shared<const std::string>(ami::Message::from_fields(f).serialize());
}
}  // namespace

Session::Session(asio::ip::tcp::socket socket, SessionHost& host)
    : socket_(std::move(socket)), wake_(socket_.get_executor()), host_(host) {
  wake_.expires_at(asio::steady_timer::time_point::max());
}

void Session::close() {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  wake_.cancel();
  out_.clear();
  held_.clear();
  out_bytes_ = 0;
}

void Session::enqueue(std::shared_ptr<const std::string> s) {
  if (!open_) return;
  out_bytes_ += s->size();
  if (out_bytes_ > host_.options().max_output_bytes) {
    spdlog::warn("sim: dropping an AMI client that does not read ({} bytes queued)", out_bytes_);
    host_.dropped_slow();
    close();
    return;
  }
  out_.push_back(std::move(s));
  wake_.cancel_one();
}

void Session::send(const Fields& frame) { enqueue(frame_of(frame)); }

void Session::hold_events(bool on) {
  holding_ = on;
  if (on) return;
  auto held = std::move(held_);
  held_.clear();
  for (auto& s : held) enqueue(s);
}

bool Session::wants(std::string_view priv) const {
  if (!authed_ || !events_) return false;
  if (event_mask_.empty() || priv.empty()) return true;
  std::string_view cls = priv.substr(0, priv.find(','));
  size_t pos = 0;
  while (pos <= event_mask_.size()) {
    size_t end = event_mask_.find(',', pos);
    std::string_view item = std::string_view(event_mask_).substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (iequals(item, cls) || iequals(item, "all")) return true;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return false;
}

void Session::deliver_event(const std::shared_ptr<const std::string>& frame, std::string_view priv) {
  if (!open_ || !wants(priv)) return;
  if (holding_) {
    out_bytes_ += frame->size();
    held_.push_back(frame);
    if (out_bytes_ > host_.options().max_output_bytes) {
      host_.dropped_slow();
      close();
    }
    return;
  }
  enqueue(frame);
}

asio::awaitable<void> Session::writer() {
  auto self = shared_from_this();
  std::string batch;
  while (open_) {
    if (out_.empty()) {
      if (closing_after_flush_) break;
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    batch.clear();
    while (!out_.empty() && batch.size() < 65536) {
      batch += *out_.front();
      out_bytes_ -= out_.front()->size();
      out_.pop_front();
    }
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(batch), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  close();
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), writer(), asio::detached);
  enqueue(std::make_shared<const std::string>("Asterisk Call Manager/11.0.0\r\n"));
  ami::Parser parser;
  char buf[8192];
  ami::Message msg;
  std::string detail;
  while (open_ && !closing_after_flush_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) break;
    parser.feed(std::string_view(buf, n));
    for (;;) {
      auto r = parser.next(msg, detail);
      if (r == ami::Parser::Result::kNeedMore) break;
      if (r == ami::Parser::Result::kMessage) on_message(msg);
      else if (r == ami::Parser::Result::kError)
        send({{"Response", "Error"}, {"Message", "Missing action in request"}});
      if (!open_ || closing_after_flush_) break;
    }
  }
  if (!closing_after_flush_) close();
}

void Session::on_message(const ami::Message& m) {
  std::string id(m.action_id());
  std::string_view action = m.action();
  host_.record_action(m.raw());
  if (action.empty()) return send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Missing action in request"}});
  for (size_t i = 0; i < m.size(); ++i) {  // values echoed into events must never carry a line break
    if (m.value(i).find_first_of("\r\n") != std::string_view::npos || m.key(i).find_first_of("\r\n") != std::string_view::npos)
      return send({{"Response", "Error"}, {"ActionID", id.find_first_of("\r\n") == std::string::npos ? id : ""},
                   {"Message", "Invalid line break in a field"}});
  }
  if (iequals(action, "Login")) return login(m, id);
  if (iequals(action, "Challenge")) {
    if (!iequals(m.get("AuthType"), "md5"))
      return send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Must specify AuthType"}});
    char b[16];
    std::snprintf(b, sizeof b, "%09u", static_cast<unsigned>(host_.pbx().rng()() % 1000000000u));
    challenge_ = b;
    return send({{"Response", "Success"}, {"ActionID", id}, {"Challenge", challenge_}});
  }
  if (iequals(action, "Logoff")) {
    send({{"Response", "Goodbye"}, {"ActionID", id}, {"Message", "Thanks for all the fish."}});
    closing_after_flush_ = true;
    wake_.cancel_one();
    return;
  }
  if (!authed_) return send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Permission denied"}});
  if (iequals(action, "Events")) {
    std::string mask(m.get("EventMask"));
    events_ = !iequals(mask, "off");
    event_mask_ = iequals(mask, "on") || mask.empty() || iequals(mask, "off") ? "" : mask;
    return send({{"Response", "Success"}, {"ActionID", id}, {"Events", events_ ? "On" : "Off"}});
  }
  try {
    handle_action(host_.pbx(), m, shared_from_this());
  } catch (const std::exception& e) {
    spdlog::error("sim: action {} failed: {}", std::string(action), e.what());
    send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Internal error"}});
  }
}

void Session::login(const ami::Message& m, const std::string& id) {
  const SimOptions& o = host_.options();
  bool user_ok = std::string(m.get("Username")) == o.username;
  bool ok = false;
  if (iequals(m.get("AuthType"), "md5")) {
    ok = user_ok && !challenge_.empty() && iequals(m.get("Key"), ami::md5_key(challenge_, o.secret));
  } else {
    ok = user_ok && std::string(m.get("Secret")) == o.secret;
  }
  if (!ok) {
    spdlog::info("sim: AMI login refused for user '{}'", std::string(m.get("Username")));
    send({{"Response", "Error"}, {"ActionID", id}, {"Message", "Authentication failed"}});
    closing_after_flush_ = true;
    wake_.cancel_one();
    return;
  }
  std::string ev(m.get("Events"));
  events_ = !iequals(ev, "off");
  event_mask_ = iequals(ev, "on") || ev.empty() || iequals(ev, "off") ? "" : ev;
  authed_ = true;
  send({{"Response", "Success"}, {"ActionID", id}, {"Message", "Authentication accepted"}});
  if (!events_) return;
  long up = static_cast<long>(host_.pbx().now());
  deliver_event(frame_of({{"Event", "FullyBooted"}, {"Privilege", "system,all"}, {"Uptime", std::to_string(up)},
                          {"LastReload", std::to_string(up)}, {"Status", "Fully Booted"}}), "system,all");
  boost::system::error_code ec;
  auto local = socket_.local_endpoint(ec), remote = socket_.remote_endpoint(ec);
  deliver_event(frame_of({{"Event", "SuccessfulAuth"}, {"Privilege", "security,all"}, {"Severity", "Informational"},
                          {"Service", "AMI"}, {"EventVersion", "1"}, {"AccountID", o.username},
                          {"SessionID", "0x" + std::to_string(reinterpret_cast<uintptr_t>(this))},
                          {"LocalAddress", "IPV4/TCP/" + local.address().to_string() + "/" + std::to_string(local.port())},
                          {"RemoteAddress", "IPV4/TCP/" + remote.address().to_string() + "/" + std::to_string(remote.port())},
                          {"UsingPassword", "0"}}),
                "security,all");
}

asio::awaitable<void> Session::replay(std::vector<std::pair<double, std::string>> chunks, double speed) {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), writer(), asio::detached);
  // Actions from the client are read and recorded, never answered: the capture answers them.
  asio::co_spawn(socket_.get_executor(), [self]() -> asio::awaitable<void> {
    ami::Parser parser;
    char buf[4096];
    ami::Message msg;
    std::string detail;
    while (self->open_) {
      auto [ec, n] = co_await self->socket_.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) break;
      parser.feed(std::string_view(buf, n));
      while (parser.next(msg, detail) == ami::Parser::Result::kMessage) self->host_.record_action(msg.raw());
    }
  }, asio::detached);
  asio::steady_timer t(socket_.get_executor());
  double prev = 0;
  for (auto& [at, bytes] : chunks) {
    if (!open_) break;
    double wait = (at - prev) / (speed > 0 ? speed : 1);
    prev = at;
    if (wait > 0) {
      t.expires_after(std::chrono::microseconds(static_cast<int64_t>(wait * 1e6)));
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    enqueue(std::make_shared<const std::string>(std::move(bytes)));
  }
  closing_after_flush_ = true;
  wake_.cancel_one();
}

}  // namespace opdesk::sim
