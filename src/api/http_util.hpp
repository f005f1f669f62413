// Helpers for building and reading plain HTTP messages (no Beast): target parsing, JSON and
// error responses in the one error shape {"error":{"code","message","field"?,"fields"?}}; the
// transport adds "trace_id" (= the X-Request-Id / X-Trace-Id header) to every error body.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>
#include <optional>
#include <string>
#include <string_view>

#include "http_types.hpp"

namespace opdesk::api {

// Splits target into a percent-decoded path and decoded query parameters. Returns false (and
// leaves path = raw path) when the target is malformed.
bool parse_target(std::string_view target, Request& out);

Response json_response(int status, const nlohmann::json& body);
// Error with a stable dotted code; `field` names the offending field for 400s.
Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view field = {});

// Thrown by handlers for client errors; the dispatcher turns it into error_response.
struct ApiError : std::exception {
  int status;
  std::string code;
  std::string message;
  std::string field;
  std::vector<std::pair<std::string, std::string>> headers;
  ApiError(int s, std::string c, std::string m, std::string f = {})
      : status(s), code(std::move(c)), message(std::move(m)), field(std::move(f)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

// Parses the request body as a JSON object or throws ApiError 400 request.body.invalid_json.
nlohmann::json parse_json_body(const Request& req);

// Typed field readers for JSON bodies; throw ApiError 400 naming the field when the type is
// wrong (absent optional fields return nullopt).
std::optional<std::string> opt_string(const nlohmann::json& body, const char* field,
                                      size_t max_len = 256);
std::string req_string(const nlohmann::json& body, const char* field, size_t max_len = 256);
std::optional<bool> opt_bool(const nlohmann::json& body, const char* field);
std::optional<long long> opt_int(const nlohmann::json& body, const char* field, long long min,
                                 long long max);

// Refuses (400 request.field.unknown, naming them) any key of `body` not in `allowed`: a
// misspelled field is an error, never silently dropped. Pass a namespace-scope list: GCC 12
// mishandles braced temporaries inside coroutines.
void reject_unknown(const nlohmann::json& body, const std::vector<std::string_view>& allowed);

}  // namespace opdesk::api
