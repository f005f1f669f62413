// HttpClient (see http_client.hpp): a job queue drained by one thread running curl easy.
//
// How it fits: CrmClient (auth, OAuth2) and through it the outbox delivery, the test endpoint
// and the caller lookup send through one HttpClient. Invariants: only the worker thread touches
// curl handles; the progress callback aborts a transfer once stopping_ is set, so destruction
// never waits for a slow CRM longer than one progress tick; every job's `done` runs exactly once.
#include "crm/http_client.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <memory>

#include "crm/ssrf.hpp"

namespace opdesk::crm {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

struct Sink {
  HttpResult* res;
  const std::atomic<bool>* stopping;
  bool allow_private = false;
  std::string blocked;  // why the guard refused an address (empty: nothing refused)
};

// CURLOPT_OPENSOCKETFUNCTION: the resolved address is checked right before the socket exists,
// so what is checked is exactly what is connected to (no DNS rebinding between check and use).
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* a) {
  auto* sink = static_cast<Sink*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  std::string why = check_address(&a->addr, sink->allow_private);
  if (!why.empty()) {
    sink->blocked = why;
    return CURL_SOCKET_BAD;
  }
  return ::socket(a->family, a->socktype, a->protocol);
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  auto& body = sink->res->body;
  if (body.size() < HttpClient::kMaxBody) {
    body.append(data, std::min(len, HttpClient::kMaxBody - body.size()));
  }
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  std::string line(data, len);
  if (line.rfind("HTTP/", 0) == 0) sink->res->headers.clear();  // a new response (after 100/redirect)
  auto colon = line.find(':');
  if (colon != std::string::npos && sink->res->headers.size() < 100) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    sink->res->headers.emplace_back(std::move(name), std::move(value));
  }
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Sink*>(user)->stopping->load() ? 1 : 0;
}

}  // namespace

std::optional<std::string> HttpResult::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return std::nullopt;
}

HttpClient::HttpClient() {
  static CurlGlobal global;
  worker_ = std::thread([this] { run(); });
}

HttpClient::~HttpClient() {
  shutdown();
  worker_.join();
}

void HttpClient::shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void HttpClient::submit(HttpRequest req, std::function<void(HttpResult)> done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && jobs_.size() < kMaxQueue) {
      jobs_.push_back(Job{std::move(req), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  HttpResult r;
  r.error = "request queue full or client stopping";
  done(std::move(r));
}

boost::asio::awaitable<HttpResult> HttpClient::send(HttpRequest req) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(HttpResult)>(
      [this](auto handler, HttpRequest r) {
        using H = decltype(handler);
        auto h = std::make_shared<H>(std::move(handler));
        auto ex = boost::asio::get_associated_executor(*h);
        submit(std::move(r), [h, ex](HttpResult res) {
          boost::asio::post(ex, [h, res = std::move(res)]() mutable { (*h)(std::move(res)); });
        });
      },
      boost::asio::use_awaitable, std::move(req));
}

void HttpClient::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    HttpResult res;
    if (stopping_) {
      res.error = "client stopping";
    } else {
      res = perform(job.req);
    }
    job.done(std::move(res));
  }
}

HttpResult HttpClient::perform(const HttpRequest& req) {
  HttpResult res;
  // With an explicit proxy the socket goes to the proxy (the administrator's own host, often
  // private); link-local and metadata addresses stay refused.
  Sink sink{&res, &stopping_, req.allow_private || !req.proxy.empty(), {}};
  CURL* curl = curl_easy_init();
  if (!curl) {
    res.error = "curl_easy_init failed";
    return res;
  }
  curl_slist* list = nullptr;
  for (const auto& [k, v] : req.headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, req.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, req.verify_tls ? 2L : 0L);
  if (!req.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, req.proxy.c_str());
  if (req.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &sink);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &sink);
  // Redirects are not followed: a 3xx could point the signed payload elsewhere.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  auto t0 = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl);
  res.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0).count();
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    res.status = static_cast<int>(code);
  } else {
    res.refused = !sink.blocked.empty();
    res.error = sink.blocked.empty() ? curl_easy_strerror(rc) : "refused by the SSRF guard: " + sink.blocked;
    res.body.clear();
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return res;
}

}  // namespace opdesk::crm
