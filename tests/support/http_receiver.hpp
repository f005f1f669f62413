// HttpReceiver: a real HTTP/1.1 server on 127.0.0.1 for tests of outgoing webhooks (CRM push).
//
// Plain POSIX sockets and one thread; one request per connection (Connection: close). It
// records every request (method, target, lower-case headers, body), answers from a script of
// replies (status, headers such as Retry-After, body, delay) or else the default reply, can be
// stopped and started again on the same port, and can act as an OAuth2 client-credentials
// token endpoint that also enforces the Bearer token on every other path. start_tls() serves
// HTTPS instead (OpenSSL, a certificate the test made with make_test_cert()).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace opdesk::test {

struct ReceivedRequest {
  std::string method, target, body;
  int reply_status = 0;  // what the receiver answered
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string header(const std::string& lower_name) const;
};

struct Reply {
  int status = 200;
  std::string body = "{\"ok\":true}";
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;  // wait before answering (cut short by stop())
};

class HttpReceiver {
 public:
  HttpReceiver();
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  // Listens on `port` (0: a free one); returns the port. Throws on failure.
  uint16_t start(uint16_t port = 0);
  // The same over TLS with the PEM certificate chain and key files; url() then says https.
  uint16_t start_tls(const std::string& cert_file, const std::string& key_file, uint16_t port = 0);
  void stop();  // closes the socket; recorded requests are kept
  bool running() const { return running_; }
  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "") const;

  void set_default(Reply r);
  void script(Reply r);  // answered once, in order, before the default
  // Answers requests to `path` with the handler's reply instead (checked first).
  void route(const std::string& path, std::function<Reply(const ReceivedRequest&)> handler);

  // OAuth2: POST `token_path` with the right client id/secret gets {"access_token":"tok-N",...};
  // every other request must then carry "Bearer <current token>" or gets 401.
  void enable_oauth2(const std::string& token_path, const std::string& client_id,
                     const std::string& client_secret, int expires_in);
  void rotate_token();  // the current token stops being accepted (next exchange issues a new one)
  int tokens_issued() const;

  std::vector<ReceivedRequest> requests() const;
  size_t request_count() const;
  // Waits (up to `timeout_ms`) until pred(requests) holds; returns whether it did.
  bool wait_for(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                int timeout_ms = 20000) const;
  void clear();

 private:
  void serve(int listen_fd);
  void handle(int fd, void* ssl);
  Reply answer(const ReceivedRequest& req);
  Reply answer_locked(const ReceivedRequest& req);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  std::deque<Reply> script_;
  Reply default_;
  std::map<std::string, std::function<Reply(const ReceivedRequest&)>> routes_;
  std::string token_path_, client_id_, client_secret_, token_;
  int expires_in_ = 3600;
  int tokens_ = 0;
  std::atomic<bool> running_{false};
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  void* tls_ctx_ = nullptr;  // SSL_CTX* when serving HTTPS
  std::thread thread_;
};

}  // namespace opdesk::test

namespace opdesk::test {

// A throwaway self-signed certificate (EC P-256, CA:TRUE so it can be its own trust anchor)
// for 127.0.0.1 and localhost, written as PEM files into `dir`.
struct TestCert {
  std::string cert_file, key_file;
};
TestCert make_test_cert(const std::string& dir);

}  // namespace opdesk::test
