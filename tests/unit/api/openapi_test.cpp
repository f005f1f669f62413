// The OpenAPI document against the router it is generated from: every route (method + pattern)
// is an operation and every operation is a route, for the real live routes plus the pattern
// kinds other modules use ({id} parameters, a {path*} remainder, public routes). The running
// server's document is checked against its full router over HTTP in api_test.py.
#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api/live_routes.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;
namespace asio = boost::asio;

struct NoAuth : RequestAuth {
  asio::awaitable<Principal> require(const Request&, std::string_view) override {
    throw ApiError(401, "auth.token.missing", "no credentials");
    co_return Principal{};
  }
};

struct NoActions : ActionRunner {
  asio::awaitable<Outcome> run(const Principal&, std::string, json, std::string) override {
    co_return Outcome{false, {}, 503, "pbx.ami.unavailable", "no PBX in this test"};
  }
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

struct OpenApi : ::testing::Test {
  pbx::Engine engine;
  NoAuth auth;
  NoActions actions;
  Router router;
  LiveDeps deps{engine, auth, actions};
  void SetUp() override {
    deps.now_ms = [] { return int64_t{1795502000000}; };
    deps.pbx_connected = [] { return false; };
    deps.version = "test";
    register_live_routes(router, deps);
    auto noop = [](Request&) -> asio::awaitable<Response> { co_return Response{}; };
    router.add("GET", "/api/settings/users/{id}", noop, "One user");
    router.add("PUT", "/api/settings/users/{id}", noop, "Update a user");
    router.add("GET", "/api/recordings/{path*}", noop, "A recording");
    router.add("POST", "/api/auth/login", noop, "public: Log in");
  }
  std::set<std::pair<std::string, std::string>> routes() const {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& r : router.routes()) {
      std::string p = r.pattern;
      if (auto star = p.find("*}"); star != std::string::npos) p.erase(star, 1);
      out.emplace(lower(r.method), p);
    }
    return out;
  }
};

TEST_F(OpenApi, EveryRouteIsAnOperationAndEveryOperationIsARoute) {
  json doc = openapi_document(router, "test");
  std::set<std::pair<std::string, std::string>> ops;
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [m, op] : methods.items()) ops.emplace(m, path);
  }
  EXPECT_EQ(ops, routes());
  EXPECT_GE(ops.size(), 17u);  // the live routes alone
  EXPECT_TRUE(ops.count({"get", "/api/recordings/{path}"}));
}

TEST_F(OpenApi, OperationsDeclareTheirPathParametersSecurityAndErrors) {
  json doc = openapi_document(router, "test");
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const json& user = doc["paths"]["/api/settings/users/{id}"]["put"];
  ASSERT_EQ(user["parameters"].size(), 1u);
  EXPECT_EQ(user["parameters"][0]["name"], "id");
  EXPECT_EQ(user["parameters"][0]["in"], "path");
  EXPECT_TRUE(user.contains("requestBody"));
  EXPECT_EQ(user["responses"]["403"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error");
  EXPECT_FALSE(user["security"].empty());
  const json& login = doc["paths"]["/api/auth/login"]["post"];
  EXPECT_TRUE(login["security"].empty());
  EXPECT_EQ(login["summary"], "Log in");
  EXPECT_FALSE(login["responses"].contains("401"));
  const json& member = doc["paths"]["/api/queues/{queue}/members/{member}/{op}"]["post"];
  EXPECT_EQ(member["parameters"].size(), 3u);
}

}  // namespace
}  // namespace opdesk::api
