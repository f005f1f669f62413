// Segment-based router; see router.hpp.
#include "router.hpp"

namespace opdesk::api {

void Router::add(std::string method, std::string pattern, HttpHandler handler,
                 std::string summary) {
  Route r;
  r.method = method;
  r.segments = split(pattern);
  if (!r.segments.empty() && r.segments.back().size() > 3 && r.segments.back().back() == '}' &&
      r.segments.back()[r.segments.back().size() - 2] == '*') {
    r.rest = true;
  }
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
  infos_.push_back({std::move(method), std::move(pattern), std::move(summary)});
}

std::vector<std::string> Router::split(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool Router::match_route(const Route& r, const std::vector<std::string>& segs, Request& req) {
  if (r.rest ? segs.size() < r.segments.size() : segs.size() != r.segments.size()) {
    return false;
  }
  std::map<std::string, std::string> params;
  for (size_t i = 0; i < r.segments.size(); ++i) {
    const std::string& p = r.segments[i];
    bool is_param = p.size() > 2 && p.front() == '{' && p.back() == '}';
    if (is_param && r.rest && i + 1 == r.segments.size()) {
      std::string rest;
      for (size_t k = i; k < segs.size(); ++k) {
        if (!rest.empty()) rest += "/";
        rest += segs[k];
      }
      params[p.substr(1, p.size() - 3)] = rest;
      break;
    }
    if (is_param) {
      params[p.substr(1, p.size() - 2)] = segs[i];
    } else if (p != segs[i]) {
      return false;
    }
  }
  req.params = std::move(params);
  return true;
}

Router::Match Router::match(Request& req, const HttpHandler** handler, std::string* allow) const {
  auto segs = split(req.path);
  std::string methods;
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  for (const auto& r : routes_) {
    Request probe;
    if (!match_route(r, segs, probe)) continue;
    if (r.method == method) {
      req.params = std::move(probe.params);
      req.route_pattern = infos_[static_cast<size_t>(&r - routes_.data())].pattern;
      *handler = &r.handler;
      return Match::kFound;
    }
    if (methods.find(r.method) == std::string::npos) {
      methods += methods.empty() ? r.method : ", " + r.method;
    }
  }
  if (!methods.empty()) {
    if (allow) *allow = methods;
    return Match::kMethodNotAllowed;
  }
  return Match::kNotFound;
}

}  // namespace opdesk::api
