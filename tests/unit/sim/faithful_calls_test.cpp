// Faithfulness of basic call flows: the simulator, driven over a real TCP AMI connection,
// produces per channel the same events as real Asterisk 22 in traces 03, 04, 04b, 05, 20, 21.
#include "flow_check.hpp"

namespace opdesk::sim::test {
namespace {

using Outcome = CallPlan::Outcome;

std::vector<ami::Message> run_plans(const std::vector<CallPlan>& plans, const std::string& trace) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  EXPECT_TRUE(c.login(r.options.secret));
  c.sync();
  for (auto& p : plans) r.sim->call(p);
  return collect_flow(c, trace);
}

CallPlan plan(std::string from, std::string to, Outcome o, double ring, double talk = 8) {
  CallPlan p;
  p.from = std::move(from);
  p.to = std::move(to);
  p.outcome = o;
  p.ring = ring;
  p.talk = talk;
  return p;
}

TEST(SimFaithfulCalls, AnsweredInternalCallMatchesTrace03) {
  expect_same_flow("03-internal-call-answer-hangup.ami",
                   run_plans({plan("1001", "1002", Outcome::kAnswer, 4, 8)}, "03-internal-call-answer-hangup.ami"));
}

TEST(SimFaithfulCalls, UnansweredCallTimesOutLikeTrace04WithTwoCdrs) {
  expect_same_flow("04-call-no-answer.ami",
                   run_plans({plan("1003", "1004", Outcome::kNoAnswer, 30)}, "04-call-no-answer.ami"));
}

TEST(SimFaithfulCalls, CallerCancelMatchesTrace04b) {
  expect_same_flow("04b-caller-cancels.ami",
                   run_plans({plan("1007", "1002", Outcome::kCancel, 6)}, "04b-caller-cancels.ami"));
}

TEST(SimFaithfulCalls, BusyRejectMatchesTrace05) {
  expect_same_flow("05-busy-or-reject.ami", run_plans({plan("1005", "1006", Outcome::kBusy, 3)}, "05-busy-or-reject.ami"));
}

TEST(SimFaithfulCalls, BusyWebRtcEndpointMatchesTrace20) {
  expect_same_flow("20-call-to-webrtc-endpoint.ami",
                   run_plans({plan("1007", "1101", Outcome::kBusy, 5)}, "20-call-to-webrtc-endpoint.ami"));
}

TEST(SimFaithfulCalls, EchoAndPlaybackTestsMatchTrace21) {
  SimRunner r(lab_options());
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();
  r.sim->call(plan("1008", "600", Outcome::kAnswer, 0, 8));
  ASSERT_TRUE(c.until_event("Cdr"));
  r.sim->call(plan("1008", "601", Outcome::kAnswer, 0, 31));
  expect_same_flow("21-echo-and-playback-tests.ami", collect_flow(c, "21-echo-and-playback-tests.ami"));
}

TEST(SimFaithfulCalls, TheComparisonTellsABusyCallFromAnAnsweredOne) {
  auto got = run_plans({plan("1001", "1002", Outcome::kBusy, 4)}, "03-internal-call-answer-hangup.ami");
  auto want = per_channel(trace_after_sync("03-internal-call-answer-hangup.ami"));
  ASSERT_EQ(want.count("PJSIP/1001#0"), 1u);
  EXPECT_NE(want, per_channel(got));
  EXPECT_EQ(want.at("PJSIP/1001#0").front(), "Newchannel state=4");
  EXPECT_EQ(want.at("PJSIP/1002#0").back(), "Hangup cause=16");
}

}  // namespace
}  // namespace opdesk::sim::test
