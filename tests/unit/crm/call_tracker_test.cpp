// CallTracker over real AMI traces (tests/traces): the events and records the CRM would get.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "crm/call_tracker.hpp"
#include "pbx/engine.hpp"
#include "pbx/replay.hpp"

using namespace opdesk;
using namespace opdesk::crm;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<CallEmit> run_trace(const std::string& name) {
  std::string dir = OPDESK_TRACE_DIR;
  std::string bytes = slurp(dir + "/" + name + ".ami");
  std::string error;
  auto timing = pbx::parse_timing(slurp(dir + "/meta/" + name + ".timing"), error);
  EXPECT_TRUE(timing) << error;
  pbx::Engine engine;
  CallTracker tracker;
  std::vector<CallEmit> out;
  pbx::replay(bytes, *timing, engine, {}, [&](const pbx::ChangeBatch& b, int64_t now) {
    for (auto& e : tracker.on_batch(b, engine, now)) out.push_back(e);
  });
  return out;
}

std::vector<std::string> events_of(const std::vector<CallEmit>& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.emplace_back(to_string(e.event));
  return out;
}

const CallRecord& ended(const std::vector<CallEmit>& v) {
  static const CallRecord none;
  for (const auto& e : v) {
    if (e.event == CallEvent::kEnded) return e.record;
  }
  ADD_FAILURE() << "no ended event";
  return none;
}

}  // namespace

TEST(CrmCallTracker, AnAnsweredInternalCallGivesRingingAnsweredEndedWithItsTimes) {
  auto v = run_trace("03-internal-call-answer-hangup");
  EXPECT_EQ(events_of(v), (std::vector<std::string>{"ringing", "answered", "ended"}));
  const CallRecord& r = ended(v);
  EXPECT_EQ(r.direction, Direction::kInternal);
  EXPECT_EQ(r.caller_number, "1001");
  EXPECT_EQ(r.callee_number, "1002");
  EXPECT_EQ(r.extension, "1002");
  EXPECT_EQ(r.outcome, Outcome::kAnswered);
  EXPECT_GT(r.answer_ms, r.start_ms);
  EXPECT_GT(r.end_ms, r.answer_ms);
  for (const auto& e : v) EXPECT_EQ(e.record.linkedid, r.linkedid);  // one call id throughout
}

TEST(CrmCallTracker, UnansweredCallsGetTheirOutcomeFromTheDialStatus) {
  EXPECT_EQ(ended(run_trace("04-call-no-answer")).outcome, Outcome::kNoAnswer);
  EXPECT_EQ(ended(run_trace("04b-caller-cancels")).outcome, Outcome::kCanceled);
  EXPECT_EQ(ended(run_trace("05-busy-or-reject")).outcome, Outcome::kBusy);
  EXPECT_EQ(events_of(run_trace("04-call-no-answer")), (std::vector<std::string>{"ringing", "ended"}));
}

TEST(CrmCallTracker, QueueCallsCarryTheQueueAndAnUnansweredOneIsAbandoned) {
  const CallRecord answered = ended(run_trace("06-queue-call-answered-by-member"));
  EXPECT_EQ(answered.queue, "support");
  EXPECT_EQ(answered.outcome, Outcome::kAnswered);
  EXPECT_EQ(answered.extension, "1002");
  const CallRecord abandoned = ended(run_trace("07-queue-caller-abandons"));
  EXPECT_EQ(abandoned.queue, "sales");
  EXPECT_EQ(abandoned.outcome, Outcome::kAbandoned);
}

TEST(CrmCallTracker, ATransferredCallEndsOnceWithTheFinalAgent) {
  auto v = run_trace("13-blind-transfer");
  EXPECT_EQ(std::count_if(v.begin(), v.end(), [](auto& e) { return e.event == CallEvent::kEnded; }), 1);
  const CallRecord& r = ended(v);
  EXPECT_EQ(r.outcome, Outcome::kAnswered);
  EXPECT_EQ(r.caller_number, "1004");
  EXPECT_EQ(r.extension, "1002");  // the transfer target took the call over
}

TEST(CrmCallTracker, CallsSurviveAnAmiReconnectAndEachEndsExactlyOnce) {
  auto v = run_trace("17-ami-reconnect-mid-call");
  std::map<std::string, int> ended_per_call;
  for (const auto& e : v) {
    if (e.event == CallEvent::kEnded) ++ended_per_call[e.record.linkedid];
  }
  ASSERT_EQ(ended_per_call.size(), 2u);  // 1002→1003 (up across the gap) and 1005→1006 (born in it)
  for (const auto& [id, n] : ended_per_call) EXPECT_EQ(n, 1) << id;
  for (const auto& e : v) {
    if (e.event == CallEvent::kEnded) EXPECT_EQ(e.record.outcome, Outcome::kAnswered) << e.record.linkedid;
  }
}

TEST(CrmCallTracker, OutcomePrecedenceFollowsTheUpstreamOrder) {
  DialSeen busy{true, true, true};
  EXPECT_EQ(outcome_of(true, true, busy, true), Outcome::kAnswered);
  EXPECT_EQ(outcome_of(false, true, busy, true), Outcome::kAbandoned);
  EXPECT_EQ(outcome_of(false, false, busy, true), Outcome::kBusy);
  EXPECT_EQ(outcome_of(false, false, DialSeen{false, true, true}, true), Outcome::kNoAnswer);
  EXPECT_EQ(outcome_of(false, false, DialSeen{false, false, true}, true), Outcome::kFailure);
  EXPECT_EQ(outcome_of(false, false, DialSeen{}, true), Outcome::kCanceled);
  EXPECT_EQ(outcome_of(false, false, DialSeen{}, false), Outcome::kFailure);
}
