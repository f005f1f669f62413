// Engine::set_call_qos / flush_qos (issue #10): the call's QoS in the model, the badge in the
// state JSON of the call and of its extensions, and the per-call throttle of QoS deltas, driven
// with a fake clock on the live call of trace 03 (1001 ↔ 1002, talking at 6 s).
#include <gtest/gtest.h>

#include "api/state_json.hpp"
#include "trace_harness.hpp"

using namespace opdesk;
using namespace opdesk::testing;

namespace {

struct LiveCall {
  std::unique_ptr<Replayed> r = replay_trace("03-internal-call-answer-hangup", 6.0);
  std::string id;
  LiveCall() {
    auto calls = calls_with(*r, {"1001", "1002"});
    if (calls.size() == 1) id = calls[0]->id;
    while (r->engine.take_changes()) {
    }
    r->engine.set_qos_policy(pbx::QosPolicy{false, 5000});
  }
  // Entities in the next batch, as "call:<id>" / "extension:<n>".
  std::vector<std::string> changed() {
    std::vector<std::string> out;
    while (auto b = r->engine.take_changes()) {
      for (const auto& c : b->changes) out.push_back(std::string(pbx::to_string(c.kind)) + ":" + c.id);
    }
    return out;
  }
  nlohmann::json ext_json(const std::string& n) {
    return api::extension_json(r->engine, *r->engine.find_extension(n));
  }
};

pbx::Qos qos(const char* grade, double loss, double jitter = 2, double rtt = 0.4) {
  pbx::Qos q;
  q.loss_pct = loss;
  q.jitter_ms = jitter;
  q.rtt_ms = rtt;
  q.mes = 88.1;
  q.mos = 4.4;
  q.grade = grade;
  return q;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST(QosEngine, FirstValueGoesOutAtOnceWithTheBadgeOnTheCallAndItsExtensions) {
  LiveCall lc;
  ASSERT_FALSE(lc.id.empty());
  EXPECT_TRUE(lc.ext_json("1001")["qos_grade"].is_null());
  EXPECT_EQ(lc.r->engine.set_call_qos(lc.id, qos("good", 0), 1000), pbx::QosSetResult::kEmitted);
  auto ch = lc.changed();
  EXPECT_TRUE(has(ch, "call:" + lc.id));
  EXPECT_TRUE(has(ch, "extension:1001"));
  EXPECT_TRUE(has(ch, "extension:1002"));
  auto j = api::to_json(*lc.r->engine.find_call(lc.id))["qos"];
  EXPECT_EQ(j["grade"], "good");
  EXPECT_EQ(j["loss_pct"], 0.0);
  EXPECT_DOUBLE_EQ(j["rtt_ms"].get<double>(), 0.4);
  EXPECT_NEAR(j["mes_mos"].get<double>(), 4.405, 1e-9);  // MES / 20
  EXPECT_EQ(lc.ext_json("1002")["qos_grade"], "good");
}

TEST(QosEngine, ValuesInsideTheWindowAreHeldBackThenFlushedOnceTheWindowPassed) {
  LiveCall lc;
  lc.r->engine.set_call_qos(lc.id, qos("good", 0), 1000);
  lc.changed();
  EXPECT_EQ(lc.r->engine.set_call_qos(lc.id, qos("good", 0.5), 3000), pbx::QosSetResult::kDeferred);
  EXPECT_TRUE(lc.changed().empty());
  // The snapshot already shows the newest value; only the delta waits.
  EXPECT_DOUBLE_EQ(lc.r->engine.find_call(lc.id)->qos.loss_pct, 0.5);
  EXPECT_EQ(lc.r->engine.flush_qos(5999), 0u);
  EXPECT_TRUE(lc.changed().empty());
  EXPECT_EQ(lc.r->engine.flush_qos(6000), 1u);
  auto ch = lc.changed();
  EXPECT_EQ(ch, std::vector<std::string>{"call:" + lc.id});  // same grade: the extensions did not change
  EXPECT_EQ(lc.r->engine.flush_qos(20000), 0u);               // nothing left pending
}

TEST(QosEngine, AGradeChangeIsNotThrottled) {
  LiveCall lc;
  lc.r->engine.set_call_qos(lc.id, qos("good", 0), 1000);
  lc.changed();
  EXPECT_EQ(lc.r->engine.set_call_qos(lc.id, qos("poor", 7), 1500), pbx::QosSetResult::kEmitted);
  auto ch = lc.changed();
  EXPECT_TRUE(has(ch, "call:" + lc.id));
  EXPECT_TRUE(has(ch, "extension:1001"));
  EXPECT_EQ(lc.ext_json("1001")["qos_grade"], "poor");
  EXPECT_EQ(api::to_json(*lc.r->engine.find_call(lc.id))["qos"]["grade"], "poor");
}

TEST(QosEngine, TheWindowIsConfigurable) {
  LiveCall lc;
  lc.r->engine.set_qos_policy(pbx::QosPolicy{false, 1000});
  lc.r->engine.set_call_qos(lc.id, qos("good", 0), 1000);
  lc.changed();
  EXPECT_EQ(lc.r->engine.set_call_qos(lc.id, qos("good", 0.2), 2000), pbx::QosSetResult::kEmitted);
  EXPECT_EQ(lc.r->engine.set_call_qos(lc.id, qos("good", 0.3), 2500), pbx::QosSetResult::kDeferred);
}

TEST(QosEngine, UnknownOrEndedCallsAreRefused) {
  LiveCall lc;
  EXPECT_EQ(lc.r->engine.set_call_qos("no-such-call", qos("good", 0), 1000), pbx::QosSetResult::kNoCall);
  auto done = replay_trace("03-internal-call-answer-hangup");
  EXPECT_EQ(done->engine.set_call_qos(lc.id, qos("good", 0), 1000), pbx::QosSetResult::kNoCall);
}

TEST(QosEngine, UnknownRttAndMesAreNullNotZero) {
  LiveCall lc;
  pbx::Qos q = qos("", 0);
  q.rtt_ms = -1;
  q.mes = -1;
  q.mos = 0;
  lc.r->engine.set_call_qos(lc.id, q, 1000);
  auto j = api::to_json(*lc.r->engine.find_call(lc.id))["qos"];
  EXPECT_TRUE(j["rtt_ms"].is_null());
  EXPECT_TRUE(j["mes"].is_null());
  EXPECT_TRUE(j["mes_mos"].is_null());
  EXPECT_TRUE(j["mos"].is_null());
  EXPECT_TRUE(j["grade"].is_null());
  EXPECT_TRUE(lc.ext_json("1001")["qos_grade"].is_null());
}
