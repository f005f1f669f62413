// HttpReceiver (see http_receiver.hpp): poll()-driven accept loop on one thread.
//
// Invariants: request heads are capped at 64 KiB and bodies at 4 MiB; writes use MSG_NOSIGNAL
// so a client that gave up (timeout tests) never kills the test with SIGPIPE; SO_REUSEADDR
// lets a restart take the same port at once.
#include "http_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

namespace opdesk::test {

std::string ReceivedRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

HttpReceiver::HttpReceiver() = default;
HttpReceiver::~HttpReceiver() { stop(); }

uint16_t HttpReceiver::start(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("HttpReceiver: cannot listen on port " + std::to_string(port));
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  listen_fd_ = fd;
  running_ = true;
  thread_ = std::thread([this, fd] { serve(fd); });
  return port_;
}

void HttpReceiver::stop() {
  if (!running_.exchange(false)) return;
  cv_.notify_all();
  thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HttpReceiver::set_default(Reply r) {
  std::lock_guard lock(mu_);
  default_ = std::move(r);
}

void HttpReceiver::script(Reply r) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(r));
}

void HttpReceiver::route(const std::string& path, std::function<Reply(const ReceivedRequest&)> h) {
  std::lock_guard lock(mu_);
  routes_[path] = std::move(h);
}

void HttpReceiver::enable_oauth2(const std::string& token_path, const std::string& client_id,
                                 const std::string& client_secret, int expires_in) {
  std::lock_guard lock(mu_);
  token_path_ = token_path;
  client_id_ = client_id;
  client_secret_ = client_secret;
  expires_in_ = expires_in;
}

void HttpReceiver::rotate_token() {
  std::lock_guard lock(mu_);
  token_ = "revoked";
}

int HttpReceiver::tokens_issued() const {
  std::lock_guard lock(mu_);
  return tokens_;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t HttpReceiver::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

bool HttpReceiver::wait_for(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                            int timeout_ms) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return pred(requests_); });
}

void HttpReceiver::clear() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

void HttpReceiver::serve(int listen_fd) {
  while (running_) {
    pollfd p{listen_fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept(listen_fd, nullptr, nullptr);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

namespace {

bool read_more(int fd, std::string& buf) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  char tmp[8192];
  ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<size_t>(n));
  return true;
}

std::string status_text(int s) {
  switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

void HttpReceiver::handle(int fd) {
  std::string buf;
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > 64 * 1024 || !read_more(fd, buf)) return;
  }
  ReceivedRequest req;
  std::string head = buf.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string first = head.substr(0, line_end);
  auto sp1 = first.find(' '), sp2 = first.rfind(' ');
  req.method = first.substr(0, sp1);
  req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  for (size_t pos = line_end + 2; line_end != std::string::npos && pos < head.size();) {
    size_t e = head.find("\r\n", pos);
    std::string line = head.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") content_length = std::min<size_t>(std::stoul(value), 4u << 20);
      req.headers.emplace_back(name, value);
    }
    if (e == std::string::npos) break;
    pos = e + 2;
  }
  while (buf.size() - head_end - 4 < content_length) {
    if (!read_more(fd, buf)) return;
  }
  req.body = buf.substr(head_end + 4, content_length);
  Reply r = answer(req);
  if (r.delay_ms > 0) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(r.delay_ms), [&] { return !running_.load(); });
  }
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + status_text(r.status) + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "Content-Type: application/json\r\nConnection: close\r\nContent-Length: " +
         std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
  ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

Reply HttpReceiver::answer(const ReceivedRequest& req) {
  std::lock_guard lock(mu_);
  requests_.push_back(req);
  cv_.notify_all();
  std::string path = req.target.substr(0, req.target.find('?'));
  if (!token_path_.empty() && path == token_path_) {
    bool ok = req.body.find("grant_type=client_credentials") != std::string::npos &&
              req.body.find("client_id=" + client_id_) != std::string::npos &&
              req.body.find("client_secret=" + client_secret_) != std::string::npos;
    if (!ok) return Reply{401, "{\"error\":\"invalid_client\"}", {}, 0};
    token_ = "tok-" + std::to_string(++tokens_);
    return Reply{200, "{\"access_token\":\"" + token_ + "\",\"token_type\":\"Bearer\",\"expires_in\":" +
                          std::to_string(expires_in_) + "}", {}, 0};
  }
  if (!token_path_.empty() && req.header("authorization") != "Bearer " + token_) {
    return Reply{401, "{\"error\":\"invalid_token\"}", {}, 0};
  }
  if (auto it = routes_.find(path); it != routes_.end()) return it->second(req);
  if (!script_.empty()) {
    Reply r = script_.front();
    script_.pop_front();
    return r;
  }
  return default_;
}

}  // namespace opdesk::test
