// Delivery results: retry classification (what the outbox retries), excerpts and the JSON of
// SendReport/OutboxStats (see crm_service.hpp).
//
// Invariants: network errors, timeouts, 408, 429 and 5xx are retried; a refusal by the SSRF
// guard and every other status are final; Retry-After is read only in its seconds form (an
// HTTP date is ignored and the backoff applies).
#include "crm/crm_service.hpp"

namespace opdesk::crm {

std::string excerpt(const std::string& body, size_t max) {
  if (body.size() <= max) return body;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return body.substr(0, cut);
}

nlohmann::json SendReport::to_json() const {
  return {{"success", success},
          {"status_code", status_code ? nlohmann::json(status_code) : nlohmann::json()},
          {"body", body_excerpt},
          {"latency_ms", latency_ms},
          {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)},
          {"url", url}};
}

nlohmann::json OutboxStats::to_json() const {
  return {{"pending", pending}, {"failed", failed}, {"delivered", delivered},
          {"attempts_failed", attempts_failed},
          {"last_success_ms", last_success_ms ? nlohmann::json(last_success_ms) : nlohmann::json()},
          {"last_error", last_error.empty() ? nlohmann::json() : nlohmann::json(last_error)}};
}

std::optional<int64_t> retry_after_ms(const HttpResult& r) {
  auto v = r.header("retry-after");
  if (!v || v->empty() || v->size() > 9) return std::nullopt;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(*v) * 1000;
}

bool is_retryable(const HttpResult& r) {
  return !r.refused && (r.status == 0 || r.status >= 500 || r.status == 429 || r.status == 408);
}

}  // namespace opdesk::crm
