// GET /api/openapi.json: an OpenAPI 3.1 document generated from the router itself, so every
// route is documented by construction (a test checks router vs document both ways).
#pragma once

#include <nlohmann/json.hpp>

#include "router.hpp"

namespace opdesk::api {
nlohmann::json openapi_document(const Router& router, const std::string& version);
}
