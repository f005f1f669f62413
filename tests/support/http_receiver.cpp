// HttpReceiver (see http_receiver.hpp): poll()-driven accept loop on one thread.
//
// Invariants: request heads are capped at 64 KiB and bodies at 4 MiB; writes use MSG_NOSIGNAL
// so a client that gave up (timeout tests) never kills the test with SIGPIPE; SO_REUSEADDR
// lets a restart take the same port at once. With TLS every accepted socket gets a 5 s
// receive timeout so a client that never finishes its handshake cannot stall the receiver.
#include "http_receiver.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <stdexcept>

namespace opdesk::test {

std::string ReceivedRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

HttpReceiver::HttpReceiver() = default;
HttpReceiver::~HttpReceiver() {
  stop();
  if (tls_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(tls_ctx_));
}

uint16_t HttpReceiver::start_tls(const std::string& cert_file, const std::string& key_file, uint16_t port) {
  if (!tls_ctx_) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ctx) SSL_CTX_free(ctx);
      throw std::runtime_error("HttpReceiver: cannot load the TLS certificate");
    }
    tls_ctx_ = ctx;
  }
  return start(port);
}

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
  return std::string(tls_ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
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
    SSL* ssl = nullptr;
    if (tls_ctx_) {
      timeval tv{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ssl = SSL_new(static_cast<SSL_CTX*>(tls_ctx_));
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) != 1) {  // e.g. the client refused our certificate: nothing recorded
        SSL_free(ssl);
        ::close(fd);
        continue;
      }
    }
    handle(fd, ssl);
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    ::close(fd);
  }
}

namespace {

bool read_more(int fd, SSL* ssl, std::string& buf) {
  char tmp[8192];
  if (ssl) {
    if (SSL_pending(ssl) == 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return false;
    }
    int n = SSL_read(ssl, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return false;
  ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<size_t>(n));
  return true;
}

void write_all(int fd, SSL* ssl, const std::string& out) {
  if (ssl) {
    SSL_write(ssl, out.data(), static_cast<int>(out.size()));
    return;
  }
  ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

std::string status_text(int s) {
  switch (s) {
    case 200: return "OK";
    case 201: return "Created";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

void HttpReceiver::handle(int fd, void* tls) {
  SSL* ssl = static_cast<SSL*>(tls);
  std::string buf;
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > 64 * 1024 || !read_more(fd, ssl, buf)) return;
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
    if (!read_more(fd, ssl, buf)) return;
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
  write_all(fd, ssl, out);
}

Reply HttpReceiver::answer(const ReceivedRequest& req) {
  std::lock_guard lock(mu_);
  requests_.push_back(req);
  size_t index = requests_.size() - 1;
  cv_.notify_all();
  Reply r = answer_locked(req);
  requests_[index].reply_status = r.status;
  return r;
}

Reply HttpReceiver::answer_locked(const ReceivedRequest& req) {
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

namespace opdesk::test {

TestCert make_test_cert(const std::string& dir) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("opdesk test receiver"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  const char* exts[][2] = {{"basicConstraints", "critical,CA:TRUE"},
                           {"keyUsage", "critical,digitalSignature,keyCertSign"},
                           {"subjectAltName", "IP:127.0.0.1,DNS:localhost"}};
  for (auto& e : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf(nullptr, &v3, e[0], e[1]);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  TestCert out{dir + "/receiver-cert.pem", dir + "/receiver-key.pem"};
  FILE* f = std::fopen(out.cert_file.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace opdesk::test
