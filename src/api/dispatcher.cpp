// Request dispatch and the error policy for REST; see dispatcher.hpp.
#include "dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "http_util.hpp"
#include "store/errors.hpp"

namespace opdesk::api {

namespace {
bool is_api(const std::string& path) {
  return path == "/api" || path.rfind("/api/", 0) == 0 || path == "/health" || path == "/metrics";
}
}  // namespace

boost::asio::awaitable<Response> Dispatcher::handle(Request& req) {
  auto t0 = std::chrono::steady_clock::now();
  std::string route = "static";
  Response resp;
  const HttpHandler* h = nullptr;
  std::string allow;
  auto m = router_.match(req, &h, &allow);
  if (m == Router::Match::kFound) {
    try {
      resp = co_await (*h)(req);
    } catch (const ApiError& e) {
      resp = error_response(e.status, e.code, e.message, e.field);
      for (const auto& [k, v] : e.headers) resp.header(k, v);
    } catch (const store::Conflict& e) {
      resp = error_response(409, "store.conflict", e.what(), e.field());
    } catch (const store::NotFound& e) {
      resp = error_response(404, "store.not_found", e.what(), e.field());
    } catch (const store::ValidationError& e) {
      resp = error_response(400, "request.field.invalid", e.what(), e.field());
    } catch (const store::Unavailable& e) {
      spdlog::warn("request {}: {}", req.request_id, e.what());
      resp = error_response(503, "store.unavailable", e.what());
    } catch (const std::exception& e) {
      spdlog::error("request {} {} {} failed: {}", req.request_id, req.method, req.path, e.what());
      resp = error_response(500, "internal.error",
                            "internal error (request id " + req.request_id + ")");
    }
  } else if (m == Router::Match::kMethodNotAllowed) {
    resp = error_response(405, "request.method.not_allowed",
                          req.method + " is not allowed on " + req.path);
    resp.header("Allow", allow);
  } else if (is_api(req.path)) {
    resp = error_response(404, "request.route.not_found", "no API route " + req.path);
  } else if (req.method == "GET" || req.method == "HEAD") {
    resp = files_.serve(req);
  } else {
    resp = error_response(405, "request.method.not_allowed", "static files are read-only");
    resp.header("Allow", "GET, HEAD");
  }
  if (resp.content_type == "application/json" || resp.content_type.empty()) {
    resp.header("Cache-Control", "no-store");
  }
  resp.header("X-Content-Type-Options", "nosniff");
  if (metrics_) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    metrics_->observe_http(req.route_pattern.empty() ? route : req.route_pattern, req.method,
                           resp.status, secs);
  }
  co_return resp;
}

}  // namespace opdesk::api
