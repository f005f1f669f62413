// ActionService helpers (issue 18): bounded audit values and the REST per-principal rate limit.
#include "api/action_service.hpp"

#include <gtest/gtest.h>

namespace opdesk::api {
namespace {

using json = nlohmann::json;

TEST(AuditBounds, TextLosesControlCharactersAndIsCutOnACharacterBoundary) {
  EXPECT_EQ(audit_text("1001\r\nAction: Command", 191), "1001??Action: Command");
  std::string long_target(300, '1');
  EXPECT_EQ(audit_text(long_target, 191).size(), 191u);
  // "é" is two bytes: a cut after 3 bytes of "aéé" keeps "aé", never half a character.
  EXPECT_EQ(audit_text("a\xc3\xa9\xc3\xa9", 4), "a\xc3\xa9");
}

TEST(AuditBounds, ParamsAreReducedToAFewShortEntries) {
  json p = {{"target", "1001"}, {"pad", std::string(17 * 1024, 'x')}, {"password", "secret"},
            {"list", json::array({1, 2, 3})}, {"obj", {{"a", 1}}}, {"n", 5}};
  json a = audit_params(p);
  EXPECT_EQ(a["target"], "1001");
  EXPECT_LT(a["pad"].get<std::string>().size(), 240u);
  EXPECT_FALSE(a.contains("password"));
  EXPECT_EQ(a["list"], "<array of 3>");
  EXPECT_EQ(a["obj"], "<object>");
  EXPECT_EQ(a["n"], 5);
  json many = json::object();
  for (int i = 0; i < 1000; ++i) many["k" + std::to_string(i)] = std::string(1000, 'v');
  EXPECT_LT(audit_params(many).dump().size(), 8u * 1024);  // the store's row limit is 16 KiB
}

class NeverRuns : public ActionRunner {
 public:
  boost::asio::awaitable<Outcome> run(const Principal&, std::string, json, std::string) override {
    co_return Outcome{};
  }
};

TEST(RestActionLimiter, EachPrincipalHasTheSocketsRateAndBurst) {
  NeverRuns inner;
  int64_t now = 1000;
  RestActionLimiter lim(inner, 5, 20, [&] { return now; });
  Principal alice, key;
  alice.user_id = 7;
  key.username = "apikey:crm";
  key.api_key = true;
  int ok = 0;
  for (int i = 0; i < 30; ++i) ok += lim.take(alice) ? 1 : 0;
  EXPECT_EQ(ok, 20);
  EXPECT_TRUE(lim.take(key));  // another principal: its own bucket
  now += 400;                  // 5/s: two tokens back
  EXPECT_TRUE(lim.take(alice));
  EXPECT_TRUE(lim.take(alice));
  EXPECT_FALSE(lim.take(alice));
}

}  // namespace
}  // namespace opdesk::api
