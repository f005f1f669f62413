// HTTP helpers: Boost.URL target parsing and the JSON error envelope used by every route.
#include "http_util.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace opdesk::api {

bool parse_target(std::string_view target, Request& out) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) {
    auto q = target.find('?');
    out.path = std::string(target.substr(0, q));
    return false;
  }
  boost::urls::url_view u = *parsed;
  out.path = std::string(u.path());
  for (auto p : u.params()) {
    out.query.emplace(std::string(p.key), p.has_value ? std::string(p.value) : std::string());
  }
  return true;
}

Response json_response(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view field) {
  nlohmann::json err = {{"code", code}, {"message", message}};
  if (!field.empty()) {
    err["field"] = field;
    // Upstream scripts read validation errors from fields[{path,code,message}] (#25).
    err["fields"] = nlohmann::json::array({{{"path", field}, {"code", code}, {"message", message}}});
  }
  return json_response(status, {{"error", err}});
}

nlohmann::json parse_json_body(const Request& req) {
  if (req.body.empty()) {
    throw ApiError(400, "request.body.missing", "a JSON object body is required");
  }
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) {
    throw ApiError(400, "request.body.invalid_json", "the request body is not valid JSON");
  }
  if (!j.is_object()) {
    throw ApiError(400, "request.body.invalid_json", "the request body must be a JSON object");
  }
  return j;
}

std::optional<std::string> opt_string(const nlohmann::json& body, const char* field,
                                      size_t max_len) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    throw ApiError(400, "request.field.invalid", std::string(field) + " must be a string", field);
  }
  auto s = it->get<std::string>();
  if (s.size() > max_len) {
    throw ApiError(400, "request.field.invalid",
                   std::string(field) + " is longer than " + std::to_string(max_len), field);
  }
  return s;
}

std::string req_string(const nlohmann::json& body, const char* field, size_t max_len) {
  auto s = opt_string(body, field, max_len);
  if (!s || s->empty()) {
    throw ApiError(400, "request.field.missing", std::string(field) + " is required", field);
  }
  return *s;
}

std::optional<bool> opt_bool(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) {
    throw ApiError(400, "request.field.invalid", std::string(field) + " must be true or false", field);
  }
  return it->get<bool>();
}

std::optional<long long> opt_int(const nlohmann::json& body, const char* field, long long min,
                                 long long max) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    throw ApiError(400, "request.field.invalid", std::string(field) + " must be an integer", field);
  }
  auto v = it->get<long long>();
  if (v < min || v > max) {
    throw ApiError(400, "request.field.invalid",
                   std::string(field) + " must be between " + std::to_string(min) + " and " +
                       std::to_string(max),
                   field);
  }
  return v;
}

void reject_unknown(const nlohmann::json& body, const std::vector<std::string_view>& allowed) {
  if (!body.is_object()) return;
  std::vector<std::string> unknown;
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || it.key() == a;
    if (!known) unknown.push_back(it.key().size() > 40 ? it.key().substr(0, 40) + "..." : it.key());
  }
  if (unknown.empty()) return;
  std::string list;
  for (size_t i = 0; i < unknown.size() && i < 5; ++i) list += (i ? ", " : "") + unknown[i];
  if (unknown.size() > 5) list += ", ... (" + std::to_string(unknown.size()) + " in all)";
  std::string accepted;
  for (std::string_view a : allowed) accepted += (accepted.empty() ? "" : ", ") + std::string(a);
  throw ApiError(400, "request.field.unknown",
                 "unknown field(s): " + list + (accepted.empty() ? std::string(" (no fields accepted)") : " (accepted: " + accepted + ")"),
                 unknown[0]);
}

}  // namespace opdesk::api
