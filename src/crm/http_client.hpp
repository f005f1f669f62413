// HttpClient: outgoing HTTP(S) requests with libcurl on ONE dedicated worker thread.
//
// The Asio loop never blocks: `send` queues the request and the awaiting coroutine resumes on
// its own executor when the worker posts the result back. The queue is capped; a full queue or
// a client being shut down answers at once with an error result. Bodies read are capped.
// Every connection goes through the SSRF guard (ssrf.hpp) in libcurl's open-socket hook.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace opdesk::crm {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  Headers headers;
  std::string body;
  int timeout_ms = 30000;
  bool verify_tls = true;
  std::string ca_file;  // extra CA bundle (empty: system store)
  std::string proxy;    // empty: libcurl's environment proxies (https_proxy, no_proxy)
  // SSRF guard (ssrf.hpp): loopback/private peers are refused unless this is set; link-local
  // and metadata addresses are refused always. Checked on the address actually connected to.
  bool allow_private = false;
};

struct HttpResult {
  int status = 0;       // 0: no HTTP answer (error says why)
  std::string body;     // capped at kMaxBody
  Headers headers;      // names lower-case
  std::string error;    // transport error (refused, timeout, TLS), empty on an answer
  int64_t latency_ms = 0;
  bool refused = false;  // the SSRF guard refused the address (permanent, never retried)

  bool success() const { return status >= 200 && status < 300; }
  std::optional<std::string> header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  static constexpr size_t kMaxBody = 64 * 1024;
  static constexpr size_t kMaxQueue = 1000;

  HttpClient();
  ~HttpClient();  // aborts the transfer in progress, fails queued ones, joins the worker
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Aborts the transfer in progress and fails queued and later requests at once.
  void shutdown();
  // `done` runs on the worker thread.
  void submit(HttpRequest req, std::function<void(HttpResult)> done);
  // Resumes the awaiting coroutine on its executor.
  boost::asio::awaitable<HttpResult> send(HttpRequest req);

 private:
  struct Job {
    HttpRequest req;
    std::function<void(HttpResult)> done;
  };
  void run();
  HttpResult perform(const HttpRequest& req);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace opdesk::crm
