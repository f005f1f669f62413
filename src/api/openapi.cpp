// OpenAPI document generation; see openapi.hpp. Route summaries come from Router::add; the
// summary prefix "public:" marks routes that need no credentials.
#include "openapi.hpp"

#include <algorithm>

namespace opdesk::api {
using json = nlohmann::json;

namespace {

json error_schema() {
  return {{"type", "object"},
          {"required", {"error"}},
          {"properties",
           {{"error",
             {{"type", "object"},
              {"required", {"code", "message"}},
              {"properties",
               {{"code", {{"type", "string"}, {"examples", {"auth.token.missing"}}}},
                {"message", {{"type", "string"}}},
                {"field", {{"type", "string"}}}}}}}}}};
}

std::string tag_of(const std::string& pattern) {
  // /api/settings/users/{id} → settings ; /health → health
  size_t start = pattern.rfind("/api/", 0) == 0 ? 5 : 1;
  size_t end = pattern.find('/', start);
  return pattern.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

json openapi_document(const Router& router, const std::string& version) {
  json paths = json::object();
  for (const auto& r : router.routes()) {
    std::string summary = r.summary;
    bool is_public = summary.rfind("public:", 0) == 0;
    if (is_public) summary = summary.substr(7);
    while (!summary.empty() && summary.front() == ' ') summary.erase(summary.begin());
    json op = {{"summary", summary.empty() ? r.method + " " + r.pattern : summary},
               {"tags", {tag_of(r.pattern)}},
               {"operationId", r.method + " " + r.pattern}};
    json params = json::array();
    size_t pos = 0;
    while ((pos = r.pattern.find('{', pos)) != std::string::npos) {
      size_t end = r.pattern.find('}', pos);
      std::string name = r.pattern.substr(pos + 1, end - pos - 1);
      if (!name.empty() && name.back() == '*') name.pop_back();
      params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
      pos = end;
    }
    if (!params.empty()) op["parameters"] = params;
    if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      op["requestBody"] = {{"required", false},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    }
    json responses = {{"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
                      {"400", {{"description", "invalid request"}, {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}}}};
    if (!is_public) {
      op["security"] = json::array({{{"bearer", json::array()}}, {{"apiKey", json::array()}}});
      responses["401"] = {{"description", "missing or invalid credentials"}, {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
      responses["403"] = {{"description", "outside the caller's role or scope"}, {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
    } else {
      op["security"] = json::array();
    }
    op["responses"] = responses;
    std::string lower = r.method;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    std::string path = r.pattern;
    if (auto star = path.find("*}"); star != std::string::npos) path.erase(star, 1);
    paths[path][lower] = op;
  }
  return {{"openapi", "3.1.0"},
          {"info", {{"title", "OpDesk API"}, {"version", version},
                    {"description", "Real-time operator panel for Asterisk. Live state over WebSocket /ws (see docs/protocol.md)."}}},
          {"paths", paths},
          {"components",
           {{"schemas", {{"Error", error_schema()}}},
            {"securitySchemes",
             {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
              {"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}}}}};
}

}  // namespace opdesk::api
