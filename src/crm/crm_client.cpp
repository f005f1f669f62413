// CrmClient (see crm_client.hpp).
//
// How it fits: the outbox delivery, the test endpoint and the lookup all call send(). The
// OAuth2 exchange is a form POST (grant_type=client_credentials, client_id, client_secret,
// scope) whose JSON answer gives access_token and expires_in (default 3600 s). Invariants: the
// token is reused only for the same token URL + client id; secrets never appear in errors.
#include "crm/crm_client.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "crm/signing.hpp"

namespace opdesk::crm {
namespace {

std::string form_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

HttpRequest base_request(const CrmConfig& cfg) {
  HttpRequest r;
  r.timeout_ms = cfg.timeout_s * 1000;
  r.verify_tls = cfg.verify_ssl;
  r.ca_file = cfg.ca_file;
  r.proxy = cfg.proxy;
  r.allow_private = cfg.allow_private;
  r.headers = {{"User-Agent", "OpDesk-CRM-Connector/2.0"}};
  return r;
}

void CrmClient::reset_token() {
  std::lock_guard lock(mu_);
  token_.clear();
}

int CrmClient::token_fetches() const {
  std::lock_guard lock(mu_);
  return token_fetches_;
}

boost::asio::awaitable<std::string> CrmClient::oauth2_token(const CrmConfig& cfg, bool force,
                                                            std::string* error, int* status,
                                                            bool* refused) {
  const std::string owner = cfg.oauth2_token_url + "\n" + cfg.oauth2_client_id;
  {
    std::lock_guard lock(mu_);
    if (!force && !token_.empty() && token_owner_ == owner &&
        std::chrono::steady_clock::now() < token_expiry_) {
      co_return token_;
    }
    ++token_fetches_;
  }
  HttpRequest req = base_request(cfg);
  req.method = "POST";
  req.url = cfg.oauth2_token_url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body = "grant_type=client_credentials&client_id=" + form_escape(cfg.oauth2_client_id) +
             "&client_secret=" + form_escape(cfg.oauth2_client_secret);
  if (!cfg.oauth2_scope.empty()) req.body += "&scope=" + form_escape(cfg.oauth2_scope);
  HttpResult res = co_await http_.send(std::move(req));
  if (!res.success()) {
    *error = "oauth2 token request failed: " +
             (res.status ? "HTTP " + std::to_string(res.status) : res.error);
    *status = res.status;
    *refused = res.refused;
    co_return std::string();
  }
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
    *error = "oauth2 token response has no access_token";
    co_return std::string();
  }
  long long ttl = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<long long>() : 3600;
  std::string token = j["access_token"].get<std::string>();
  std::lock_guard lock(mu_);
  token_ = token;
  token_owner_ = owner;
  token_expiry_ = std::chrono::steady_clock::now() + std::chrono::seconds(std::max(0LL, ttl - 30));
  co_return token;
}

boost::asio::awaitable<HttpResult> CrmClient::send(const CrmConfig& cfg, HttpRequest req) {
  HttpRequest base = base_request(cfg);
  req.timeout_ms = base.timeout_ms;
  req.verify_tls = base.verify_tls;
  req.ca_file = base.ca_file;
  req.proxy = base.proxy;
  req.allow_private = base.allow_private;
  req.headers.insert(req.headers.begin(), base.headers.begin(), base.headers.end());
  switch (cfg.auth_type) {
    case AuthType::kNone: break;
    case AuthType::kApiKey:
      if (!cfg.api_key.empty()) req.headers.emplace_back(cfg.api_key_header, cfg.api_key);
      break;
    case AuthType::kBasic:
      req.headers.emplace_back("Authorization", "Basic " + base64(cfg.username + ":" + cfg.password));
      break;
    case AuthType::kBearer:
      req.headers.emplace_back("Authorization", "Bearer " + cfg.bearer_token);
      break;
    case AuthType::kOAuth2: {
      for (int round = 0; round < 2; ++round) {
        std::string error;
        int status = 0;
        bool refused = false;
        std::string token = co_await oauth2_token(cfg, round > 0, &error, &status, &refused);
        if (token.empty()) {
          // The token endpoint's status decides retry vs permanent failure (a 401 there means
          // wrong client credentials: retrying cannot help).
          HttpResult failed;
          failed.error = error;
          failed.status = status == 401 || status == 400 || status == 403 ? status : 0;
          failed.refused = refused;
          co_return failed;
        }
        HttpRequest attempt = req;
        attempt.headers.emplace_back("Authorization", "Bearer " + token);
        HttpResult res = co_await http_.send(std::move(attempt));
        if (res.status != 401 || round > 0) co_return res;
      }
      break;
    }
  }
  co_return co_await http_.send(std::move(req));
}

}  // namespace opdesk::crm
