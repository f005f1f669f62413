// CrmClient: sends one request to the CRM with the configured authentication.
//
// Adds the auth header of the config's mode (API key header, Basic, Bearer, or an OAuth2
// client-credentials token fetched from the token URL and cached until expiry − 30 s), TLS
// verification, CA file, proxy and timeout. A 401 in OAuth2 mode drops the cached token and
// retries once with a fresh one. Thread-safe; the HTTP work runs on HttpClient's worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <mutex>
#include <string>

#include "crm/crm_config.hpp"
#include "crm/http_client.hpp"

namespace opdesk::crm {

class CrmClient {
 public:
  explicit CrmClient(HttpClient& http) : http_(http) {}

  // Fills in auth headers and transport options from `cfg`, then sends.
  boost::asio::awaitable<HttpResult> send(const CrmConfig& cfg, HttpRequest req);
  // Forgets the cached OAuth2 token (config changed).
  void reset_token();
  int token_fetches() const;  // how many token requests were made (diagnostics)

 private:
  boost::asio::awaitable<std::string> oauth2_token(const CrmConfig& cfg, bool force, std::string* error,
                                                   int* status, bool* refused);

  HttpClient& http_;
  mutable std::mutex mu_;
  std::string token_;
  std::string token_owner_;  // token URL + client id the token belongs to
  std::chrono::steady_clock::time_point token_expiry_{};
  int token_fetches_ = 0;
};

// The transport part of a request from the config (URL/method/body left to the caller).
HttpRequest base_request(const CrmConfig& cfg);

}  // namespace opdesk::crm
