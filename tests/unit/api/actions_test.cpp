// Action planning: the permission/validation matrix and the exact AMI fields produced, on
// engine state rebuilt from the real traces (and a few synthetic frames for corner cases).
#include "api/actions.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "pbx/replay.hpp"

namespace opdesk::api {
namespace {

using json = nlohmann::json;
constexpr int64_t kNow = 1795502111089;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Engine state of trace `name` at `seconds` (with its real pacing).
void replay_trace(pbx::Engine& e, const std::string& name, double seconds) {
  std::string dir = OPDESK_TRACE_DIR;
  std::string bytes = slurp(dir + "/" + name + ".ami");
  std::string err;
  auto timing = pbx::parse_timing(slurp(dir + "/meta/" + name + ".timing"), err);
  ASSERT_TRUE(timing) << err;
  pbx::ReplayOptions o;
  o.at = seconds;
  pbx::replay(bytes, *timing, e, o);
}

void feed(pbx::Engine& e, std::vector<std::pair<std::string, std::string>> f) {
  e.apply(ami::Message::from_fields(f), kNow);
}

Principal admin() {
  Principal p;
  p.role = "admin";
  p.username = "root";
  p.all = true;
  p.monitor_modes = {"listen", "whisper", "barge"};
  return p;
}

Principal supervisor(std::string ext, std::set<std::string> exts, std::set<std::string> modes,
                     std::set<std::string> queues = {}) {
  Principal p;
  p.role = "supervisor";
  p.username = "sup";
  p.extension = std::move(ext);
  p.extensions = std::move(exts);
  p.monitor_modes = std::move(modes);
  p.queues = std::move(queues);
  return p;
}

Principal agent(std::string ext, std::set<std::string> queues = {}) {
  Principal p;
  p.role = "agent";
  p.username = "agent";
  p.extension = std::move(ext);
  p.queues = std::move(queues);
  return p;
}

ActionPlan plan_ok(const PlanResult& r) {
  if (auto* e = std::get_if<ActionError>(&r)) ADD_FAILURE() << e->code << ": " << e->message;
  return std::holds_alternative<ActionPlan>(r) ? std::get<ActionPlan>(r) : ActionPlan{};
}

ActionError err_of(const PlanResult& r) {
  if (auto* e = std::get_if<ActionError>(&r)) return *e;
  ADD_FAILURE() << "expected an error, got a plan";
  return {};
}

std::string field(const ActionPlan& p, size_t i, std::string_view key) {
  if (i >= p.ami.size()) return "<missing action>";
  return std::string(p.ami[i].get(key));
}

// Trace 09 at 3 s: 1001 (PJSIP/1001-0000000e) talks to 1002 (PJSIP/1002-0000000f); 1008 idle.
struct InCall : ::testing::Test {
  pbx::Engine e;
  ActionOptions opts;
  void SetUp() override { replay_trace(e, "09-chanspy-listen", 3.0); }
  PlanResult plan(const std::string& action, const json& p, const Principal& who) {
    return plan_action(action, p, who, e, opts, kNow);
  }
};

TEST_F(InCall, ListenSpiesOnTheFullChannelNameFromTheUsersOwnPhone) {
  auto r = plan("listen", {{"target", "1001"}}, supervisor("1008", {"1001", "1002"}, {"listen"}));
  const auto& p = plan_ok(r);
  ASSERT_EQ(p.ami.size(), 1u);
  EXPECT_EQ(p.ami[0].name(), "Originate");
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1008");
  EXPECT_EQ(field(p, 0, "Application"), "ChanSpy");
  EXPECT_EQ(field(p, 0, "Data"), "PJSIP/1001-0000000e,qEd");
  EXPECT_EQ(field(p, 0, "CallerID"), "\"Listen\" <1001>");
  EXPECT_EQ(field(p, 0, "ChannelId"), "spy-1008-1001-1795502111089");
  EXPECT_EQ(field(p, 0, "Async"), "true");
  EXPECT_EQ(p.target, "1001");
}

TEST_F(InCall, WhisperAndBargeUseTheirChanSpyOptions) {
  opts.spy_switchable = false;
  auto who = supervisor("1008", {"1001"}, {"whisper", "barge"});
  EXPECT_EQ(field(plan_ok(plan("whisper", {{"target", "1001"}}, who)), 0, "Data"), "PJSIP/1001-0000000e,qwE");
  EXPECT_EQ(field(plan_ok(plan("barge", {{"target", "1001"}}, who)), 0, "Data"), "PJSIP/1001-0000000e,qBE");
  EXPECT_EQ(field(plan_ok(plan("barge", {{"target", "1001"}}, who)), 0, "CallerID"), "\"Barge\" <1001>");
}

TEST_F(InCall, SpyWithoutTheMonitorModeIsForbiddenForEveryRole) {
  auto sup = supervisor("1008", {"1001"}, {"listen"});
  EXPECT_EQ(err_of(plan("whisper", {{"target", "1001"}}, sup)).code, "access.monitor_mode.forbidden");
  EXPECT_EQ(err_of(plan("barge", {{"target", "1001"}}, sup)).status, 403);
  EXPECT_EQ(err_of(plan("listen", {{"target", "1002"}}, agent("1001"))).code, "access.monitor_mode.forbidden");
  auto a = admin();
  a.monitor_modes = {"listen"};
  a.extension = "1008";
  EXPECT_EQ(err_of(plan("barge", {{"target", "1001"}}, a)).code, "access.monitor_mode.forbidden");
}

TEST_F(InCall, SpyOnAnExtensionOutsideScopeIsForbidden) {
  auto sup = supervisor("1008", {"1003"}, {"listen"});
  auto e = err_of(plan("listen", {{"target", "1001"}}, sup));
  EXPECT_EQ(e.code, "access.scope.forbidden");
  EXPECT_EQ(e.status, 403);
}

TEST_F(InCall, OnlyAdminsMayRingAnotherSupervisorPhone) {
  auto sup = supervisor("1008", {"1001"}, {"listen"});
  EXPECT_EQ(err_of(plan("listen", {{"target", "1001"}, {"supervisor", "1007"}}, sup)).code,
            "access.supervisor.forbidden");
  auto a = admin();
  const auto& p = plan_ok(plan("listen", {{"target", "1001"}, {"supervisor", "1007"}}, a));
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1007");
  EXPECT_EQ(field(p, 0, "ChannelId"), "spy-1007-1001-1795502111089");
}

TEST_F(InCall, UpstreamMessageFormIsAccepted) {
  json msg = {{"action", "listen"}, {"supervisor", "1008"}, {"target", "1002"}};
  const auto& p = plan_ok(plan(msg["action"], msg, admin()));
  EXPECT_EQ(field(p, 0, "Data"), "PJSIP/1002-0000000f,qEd");
}

TEST_F(InCall, UnknownIdleOrMalformedTargetsAreRefusedWithTheirCodes) {
  auto a = admin();
  a.extension = "1008";
  EXPECT_EQ(err_of(plan("listen", {{"target", "4711"}}, a)).status, 404);
  EXPECT_EQ(err_of(plan("listen", {{"target", "4711"}}, a)).code, "pbx.target.not_found");
  EXPECT_EQ(err_of(plan("listen", {{"target", "1005"}}, a)).code, "pbx.target.not_in_call");
  EXPECT_EQ(err_of(plan("listen", {{"target", "1001\r\nAction: Command"}}, a)).code, "request.field.invalid");
  EXPECT_EQ(err_of(plan("listen", {{"target", json::array()}}, a)).code, "request.field.invalid");
  EXPECT_EQ(err_of(plan("listen", json::object(), a)).code, "request.field.missing");
  EXPECT_EQ(err_of(plan("listen", {{"target", "1001"}, {"supervisor", "10,08"}}, a)).status, 400);
  EXPECT_EQ(err_of(plan("no_such_action", json::object(), a)).code, "request.action.unknown");
}

TEST_F(InCall, HangupTargetsTheExtensionsLiveChannel) {
  const auto& p = plan_ok(plan("hangup", {{"target", "1002"}}, supervisor("1008", {"1002"}, {})));
  ASSERT_EQ(p.ami.size(), 1u);
  EXPECT_EQ(p.ami[0].name(), "Hangup");
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1002-0000000f");
  EXPECT_EQ(err_of(plan("hangup", {{"target", "1002"}}, agent("1003"))).code, "access.scope.forbidden");
  EXPECT_EQ(err_of(plan("hangup", {{"channel", "PJSIP/9999-00000000"}}, admin())).status, 404);
}

TEST_F(InCall, BlindTransferRedirectsTheOtherPartyToTheDestination) {
  const auto& p = plan_ok(plan("transfer", {{"target", "1001"}, {"destination", "1003"}}, admin()));
  ASSERT_EQ(p.ami.size(), 1u);
  EXPECT_EQ(p.ami[0].name(), "Redirect");
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1002-0000000f");
  EXPECT_EQ(field(p, 0, "Exten"), "1003");
  EXPECT_EQ(field(p, 0, "Context"), "from-internal");
  EXPECT_EQ(field(p, 0, "Priority"), "1");
  EXPECT_EQ(err_of(plan("transfer", {{"target", "1001"}, {"destination", "1003\nAction: Command"}}, admin())).code,
            "request.field.invalid");
  EXPECT_EQ(err_of(plan("transfer", {{"target", "1001"}, {"destination", "abc"}}, admin())).status, 400);
}

TEST_F(InCall, AttendedTransferTakeOverAndParkActOnTheRightLegs) {
  auto sup = supervisor("1008", {"1001", "1002"}, {});
  const auto& at = plan_ok(plan("attended_transfer", {{"target", "1001"}, {"destination", "1004"}}, sup));
  EXPECT_EQ(at.ami.at(0).name(), "Atxfer");
  EXPECT_EQ(field(at, 0, "Channel"), "PJSIP/1001-0000000e");
  EXPECT_EQ(field(at, 0, "Exten"), "1004");
  const auto& to = plan_ok(plan("take_over", {{"target", "1001"}}, sup));
  EXPECT_EQ(field(to, 0, "Channel"), "PJSIP/1002-0000000f");
  EXPECT_EQ(field(to, 0, "Exten"), "1008");
  const auto& pk = plan_ok(plan("park", {{"target", "1001"}}, sup));
  EXPECT_EQ(pk.ami.at(0).name(), "Park");
  EXPECT_EQ(field(pk, 0, "Channel"), "PJSIP/1002-0000000f");
  EXPECT_EQ(field(pk, 0, "TimeoutChannel"), "PJSIP/1001-0000000e");
}

TEST_F(InCall, RecordingStartsAndStopsMixMonitorOnTheTargetChannel) {
  auto sup = supervisor("1008", {"1001"}, {});
  const auto& on = plan_ok(plan("record_start", {{"target", "1001"}}, sup));
  EXPECT_EQ(on.ami.at(0).name(), "MixMonitor");
  EXPECT_EQ(field(on, 0, "Channel"), "PJSIP/1001-0000000e");
  EXPECT_EQ(field(on, 0, "File").rfind("opdesk-1001-", 0), 0u);
  const auto& off = plan_ok(plan("record_stop", {{"target", "1001"}}, sup));
  EXPECT_EQ(off.ami.at(0).name(), "StopMixMonitor");
  EXPECT_EQ(field(off, 0, "Channel"), "PJSIP/1001-0000000e");
}

TEST_F(InCall, ClickToCallStripsFormattingAndValidatesTheNumber) {
  const auto& p = plan_ok(plan("originate", {{"number", "+33 (1) 23-45.67"}}, agent("1005")));
  EXPECT_EQ(p.ami.at(0).name(), "Originate");
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1005");
  EXPECT_EQ(field(p, 0, "Exten"), "+331234567");
  EXPECT_EQ(field(p, 0, "Context"), "from-internal");
  EXPECT_EQ(field(p, 0, "Async"), "true");
  EXPECT_EQ(field(p, 0, "ChannelId"), "c2c-1005-1795502111089");
  EXPECT_EQ(err_of(plan("originate", {{"number", "1"}}, agent("1005"))).code, "request.field.invalid");
  EXPECT_EQ(err_of(plan("originate", {{"number", "12a4"}}, agent("1005"))).code, "request.field.invalid");
  EXPECT_EQ(err_of(plan("originate", {{"number", "123456789012345678901"}}, agent("1005"))).status, 400);
  EXPECT_EQ(err_of(plan("originate", {{"number", "1234"}, {"from", "1006"}}, agent("1005"))).code,
            "access.scope.forbidden");
  EXPECT_EQ(field(plan_ok(plan("originate", {{"number", "1234"}, {"from", "1006"}},
                               supervisor("1008", {"1006"}, {}))), 0, "Channel"),
            "PJSIP/1006");
}

TEST_F(InCall, DndWritesTheAstDbKeyOfAnExtensionInScope) {
  const auto& on = plan_ok(plan("dnd", {{"extension", "1005"}, {"enabled", true}}, agent("1005")));
  EXPECT_EQ(on.ami.at(0).name(), "DBPut");
  EXPECT_EQ(field(on, 0, "Family"), "DND");
  EXPECT_EQ(field(on, 0, "Key"), "1005");
  EXPECT_EQ(field(on, 0, "Val"), "YES");
  ASSERT_TRUE(on.dnd.has_value());
  EXPECT_EQ(*on.dnd, std::make_pair(std::string("1005"), true));
  const auto& off = plan_ok(plan("dnd", {{"extension", "1005"}, {"enabled", false}}, agent("1005")));
  EXPECT_EQ(off.ami.at(0).name(), "DBDel");
  EXPECT_EQ(err_of(plan("dnd", {{"extension", "1006"}, {"enabled", true}}, agent("1005"))).code,
            "access.scope.forbidden");
  EXPECT_EQ(err_of(plan("dnd", {{"extension", "1005"}, {"enabled", "yes"}}, agent("1005"))).code,
            "request.field.invalid");
}

TEST_F(InCall, QueueActionsBuildTheInterfaceFromTheExtensionTechnologyAndCheckQueueScope) {
  auto sup = supervisor("1008", {"1005"}, {}, {"support"});
  const auto& add = plan_ok(plan("queue_add", {{"queue", "support"}, {"extension", "1005"}, {"penalty", 1}}, sup));
  EXPECT_EQ(add.ami.at(0).name(), "QueueAdd");
  EXPECT_EQ(field(add, 0, "Queue"), "support");
  EXPECT_EQ(field(add, 0, "Interface"), "PJSIP/1005");
  EXPECT_EQ(field(add, 0, "Penalty"), "1");
  const auto& pause = plan_ok(plan("queue_pause", {{"queue", "support"}, {"interface", "PJSIP/1001"}, {"reason", "Lunch"}}, sup));
  EXPECT_EQ(pause.ami.at(0).name(), "QueuePause");
  EXPECT_EQ(field(pause, 0, "Paused"), "true");
  EXPECT_EQ(field(pause, 0, "Reason"), "Lunch");
  EXPECT_EQ(field(plan_ok(plan("queue_unpause", {{"queue", "support"}, {"interface", "1001"}}, sup)), 0, "Paused"),
            "false");
  const auto& pen = plan_ok(plan("queue_penalty", {{"queue", "support"}, {"interface", "PJSIP/1002"}, {"penalty", 2}}, sup));
  EXPECT_EQ(pen.ami.at(0).name(), "QueuePenalty");
  EXPECT_EQ(field(pen, 0, "Penalty"), "2");
  // 1002 is a static member (queues.conf): Asterisk would refuse its removal; a dynamic one goes.
  EXPECT_EQ(err_of(plan("queue_remove", {{"queue", "support"}, {"extension", "1002"}}, sup)).code, "pbx.member.static");
  feed(e, {{"Event", "QueueMemberAdded"}, {"Queue", "support"}, {"MemberName", "1005"}, {"Interface", "PJSIP/1005"},
           {"StateInterface", "PJSIP/1005"}, {"Membership", "dynamic"}, {"Penalty", "0"}, {"Status", "1"}, {"Paused", "0"}});
  EXPECT_EQ(plan_ok(plan("queue_remove", {{"queue", "support"}, {"extension", "1005"}}, sup)).ami.at(0).name(),
            "QueueRemove");
  // Adding a member that is already there is a conflict, not a 502 from Asterisk.
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"extension", "1005"}}, sup)).code, "pbx.member.exists");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "sales"}, {"extension", "1005"}}, sup)).code, "access.scope.forbidden");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "nope"}, {"extension", "1005"}}, sup)).status, 404);
  EXPECT_EQ(err_of(plan("queue_pause", {{"queue", "support"}, {"interface", "PJSIP/1001"}, {"reason", "a\r\nb"}}, sup)).code,
            "request.field.invalid");
  EXPECT_EQ(err_of(plan("queue_penalty", {{"queue", "support"}, {"interface", "PJSIP/1002"}, {"penalty", -1}}, sup)).status,
            400);
}

TEST_F(InCall, AgentsMayOnlyPauseThemselves) {
  auto ag = agent("1001", {"support"});
  EXPECT_EQ(plan_ok(plan("queue_pause", {{"queue", "support"}, {"extension", "1001"}}, ag)).ami.at(0).name(),
            "QueuePause");
  EXPECT_EQ(err_of(plan("queue_pause", {{"queue", "support"}, {"extension", "1002"}}, ag)).status, 403);
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"extension", "1001"}}, ag)).status, 403);
}

// ---- issue 18: every entity parameter resolved and scope-checked on its own ------------------
constexpr const char* kCall = "1795502106.14";  // trace 09: 1001 <-> 1002

TEST_F(InCall, HangupWithAnUnknownCallIdIs404AndNeverCrashes) {
  auto sup = supervisor("1008", {"1001", "1002"}, {});
  auto e = err_of(plan("hangup", {{"target", "1001"}, {"call_id", "nope"}}, sup));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "pbx.call.not_found");
  EXPECT_EQ(e.field, "call_id");
  EXPECT_EQ(err_of(plan("hangup", {{"call_id", "nope"}}, admin())).status, 404);
  EXPECT_EQ(err_of(plan("transfer", {{"target", "1001"}, {"call_id", "nope"}, {"destination", "1003"}}, admin())).status, 404);
  EXPECT_EQ(err_of(plan("hangup", {{"call_id", "a b"}}, admin())).code, "request.field.invalid");
}

TEST_F(InCall, AnOutOfScopeCallIdIsForbiddenEvenWithAnInScopeTarget) {
  // 1005 is the supervisor's; the call (1001 <-> 1002) is not: nothing of it may be hung up.
  auto sup = supervisor("1008", {"1005"}, {});
  auto e = err_of(plan("hangup", {{"target", "1005"}, {"call_id", kCall}}, sup));
  EXPECT_EQ(e.status, 403);
  EXPECT_EQ(e.field, "call_id");
  EXPECT_EQ(err_of(plan("hangup", {{"call_id", kCall}}, sup)).status, 403);
  EXPECT_EQ(err_of(plan("record_start", {{"call_id", kCall}}, sup)).status, 403);
}

TEST_F(InCall, EndingAWholeCallNeedsEveryExtensionInScope) {
  auto half = supervisor("1008", {"1001"}, {});
  EXPECT_EQ(err_of(plan("hangup", {{"call_id", kCall}}, half)).code, "access.scope.forbidden");
  // With the target named, only the target's own leg of that call is hung up.
  const auto& leg = plan_ok(plan("hangup", {{"call_id", kCall}, {"target", "1001"}}, half));
  ASSERT_EQ(leg.ami.size(), 1u);
  EXPECT_EQ(field(leg, 0, "Channel"), "PJSIP/1001-0000000e");
  const auto& all = plan_ok(plan("hangup", {{"call_id", kCall}}, supervisor("1008", {"1001", "1002"}, {})));
  EXPECT_EQ(all.ami.size(), 2u);
  EXPECT_EQ(all.target, kCall);
  // A target that is not in the named call is a conflict, not a silent choice.
  auto both = supervisor("1008", {"1001", "1005"}, {});
  EXPECT_EQ(err_of(plan("hangup", {{"call_id", kCall}, {"target", "1005"}}, both)).status, 409);
}

TEST_F(InCall, ChannelsAreResolvedAndScopedOnTheirOwn) {
  auto sup = supervisor("1008", {"1001"}, {});
  EXPECT_EQ(err_of(plan("hangup", {{"channel", "PJSIP/1002-0000000f"}}, sup)).status, 403);
  EXPECT_EQ(err_of(plan("hangup", {{"channel", "PJSIP/1001-0000000e"}, {"target", "1001"}}, sup)).status, 400);
  EXPECT_EQ(field(plan_ok(plan("hangup", {{"channel", "PJSIP/1001-0000000e"}}, sup)), 0, "Channel"), "PJSIP/1001-0000000e");
}

TEST_F(InCall, UnknownAndOversizeParametersAreRefusedNamingThem) {
  auto a = admin();
  auto e = err_of(plan("hangup", {{"target", "1001"}, {"pad", std::string(17 * 1024, 'x')}}, a));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.code, "request.field.unknown");
  EXPECT_EQ(e.field, "pad");
  e = err_of(plan("hangup", {{"target", std::string(300, '1')}}, a));
  EXPECT_EQ(e.code, "request.field.invalid");
  EXPECT_EQ(e.field, "target");
  e = err_of(plan("queue_pause", {{"queue", "support"}, {"interface", "PJSIP/1001"}, {"reason", std::string(20000, 'r')}}, a));
  EXPECT_EQ(e.field, "reason");
  // The WebSocket envelope is not a parameter; upstream's transfer fields are accepted as configured.
  plan_ok(plan("hangup", {{"type", "action"}, {"id", 7}, {"action", "hangup"}, {"target", "1002"}}, a));
  plan_ok(plan("transfer", {{"source", "1001"}, {"destination", "1003"}, {"context", "from-internal"}, {"priority", "1"}}, a));
  EXPECT_EQ(err_of(plan("transfer", {{"source", "1001"}, {"destination", "1003"}, {"context", "evil"}}, a)).field, "context");
}

TEST_F(InCall, WrongJsonTypesAre400NamingTheField) {
  auto sup = supervisor("1008", {"1005"}, {}, {"support"});
  auto e = err_of(plan("queue_add", {{"queue", "support"}, {"extension", "1005"}, {"paused", "yes"}}, sup));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.field, "paused");
  EXPECT_EQ(err_of(plan("dnd", {{"extension", "1005"}, {"enabled", "yes"}}, agent("1005"))).field, "enabled");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"extension", "1005"}, {"penalty", "1"}}, sup)).field, "penalty");
  EXPECT_EQ(err_of(plan("originate", {{"number", "1234"}, {"timeout", 7.5}}, agent("1005"))).field, "timeout");
  EXPECT_EQ(err_of(plan("listen", {{"target", json::object()}}, admin())).field, "target");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", json::array()}, {"extension", "1005"}}, sup)).field, "queue");
}

TEST_F(InCall, TurningOffDndThatIsNotSetIsANoOp) {
  const auto& off = plan_ok(plan("dnd", {{"extension", "1005"}, {"enabled", false}}, agent("1005")));
  ASSERT_EQ(off.already_done.size(), 1u);
  EXPECT_EQ(off.already_done[0], "Database entry not");
  EXPECT_TRUE(plan_ok(plan("dnd", {{"extension", "1005"}, {"enabled", true}}, agent("1005"))).already_done.empty());
}

TEST_F(InCall, QueueMembersMustBeKnownEndpointsInScope) {
  auto sup = supervisor("1008", {"1005"}, {}, {"support"});
  // Out-of-scope endpoint, Local/ (toll fraud, dialplan access), unknown or decorated interfaces.
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "PJSIP/1006"}}, sup)).status, 403);
  auto local = err_of(plan("queue_add", {{"queue", "support"}, {"interface", "Local/0044999@from-internal/n"}}, sup));
  EXPECT_EQ(local.status, 403);
  EXPECT_EQ(local.field, "interface");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "Local/s@any-context"}}, sup)).status, 403);
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "PJSIP/1005@evil"}}, sup)).status, 400);
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "PJSIP/9999"}}, admin())).status, 404);
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "SIP/1005"}}, admin())).status, 400);
  // Admins: any known endpoint; Local/ only in a configured context.
  EXPECT_EQ(field(plan_ok(plan("queue_add", {{"queue", "support"}, {"interface", "PJSIP/1006"}}, admin())), 0, "Interface"),
            "PJSIP/1006");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "Local/1006@from-queue/n"}}, admin())).status, 403);
  opts.local_member_contexts = {"from-queue"};
  EXPECT_EQ(field(plan_ok(plan("queue_add", {{"queue", "support"}, {"interface", "Local/1006@from-queue/n"}}, admin())), 0,
                  "Interface"),
            "Local/1006@from-queue/n");
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "Local/0044999@from-internal/n"}}, admin())).status,
            403);
  EXPECT_EQ(err_of(plan("queue_add", {{"queue", "support"}, {"interface", "Local/1006@from-queue/n"}}, sup)).status, 403);
}

TEST_F(InCall, QueueOperationsOnAMemberThatIsNotThereAre404) {
  auto sup = supervisor("1008", {"1005"}, {}, {"support"});
  auto e = err_of(plan("queue_remove", {{"queue", "support"}, {"extension", "1005"}}, sup));
  EXPECT_EQ(e.status, 404);
  EXPECT_EQ(e.code, "pbx.member.not_found");
  EXPECT_EQ(err_of(plan("queue_pause", {{"queue", "support"}, {"interface", "PJSIP/1004"}}, sup)).status, 404);
}

// Trace 03 at 1 s: 1001 calls 1002, PJSIP/1002-00000001 is ringing.
TEST(Pickup, OriginatesFromMyPhoneToPickupChanWithTheRingingLeg) {
  pbx::Engine e;
  replay_trace(e, "03-internal-call-answer-hangup", 1.0);
  ActionOptions o;
  auto r = plan_action("pickup", {{"target", "1002"}}, agent("1003"), e, o, kNow);
  EXPECT_EQ(err_of(r).code, "access.scope.forbidden");
  auto sup = supervisor("1003", {"1002"}, {});
  const auto& p = plan_ok(plan_action("pickup", {{"target", "1002"}}, sup, e, o, kNow));
  ASSERT_EQ(p.ami.size(), 1u);
  EXPECT_EQ(p.ami[0].name(), "Originate");
  EXPECT_EQ(field(p, 0, "Channel"), "PJSIP/1003");
  EXPECT_EQ(field(p, 0, "Application"), "PickupChan");
  EXPECT_EQ(field(p, 0, "Data"), "PJSIP/1002-00000001");
  EXPECT_EQ(field(p, 0, "Async"), "true");
  // The caller's leg (1001) is not ringing: nothing to pick up there.
  auto sup2 = supervisor("1003", {"1001"}, {});
  EXPECT_EQ(err_of(plan_action("pickup", {{"target", "1001"}}, sup2, e, o, kNow)).code, "pbx.target.not_ringing");
}

// 1001 and 10011 both exist; only 10011 is in a call. Nothing may pick 10011's channel for 1001.
TEST(PrefixSafety, ExtensionIsNeverConfusedWithOneItPrefixes) {
  pbx::Engine e;
  e.on_connection_start(kNow, "Asterisk Call Manager/11.0.0");
  for (const char* ext : {"1001", "10011", "2001"}) {
    feed(e, {{"Event", "EndpointList"}, {"ObjectName", ext}, {"Transport", "transport-udp"},
             {"Contacts", std::string(ext) + "/sip:" + ext + "@10.0.0.1:5060,"}, {"DeviceState", "Not in use"}});
  }
  auto chan = [&](const char* ev, const char* name, const char* uid, const char* state) {
    feed(e, {{"Event", ev}, {"Channel", name}, {"ChannelState", state}, {"CallerIDNum", "x"},
             {"Context", "from-internal"}, {"Exten", "s"}, {"Uniqueid", uid}, {"Linkedid", "L1"}});
  };
  chan("Newchannel", "PJSIP/10011-00000001", "L1", "6");
  chan("Newchannel", "PJSIP/2001-00000002", "L2", "6");
  auto a = admin();
  a.extension = "2001";
  ActionOptions o;
  EXPECT_EQ(err_of(plan_action("listen", {{"target", "1001"}}, a, e, o, kNow)).code, "pbx.target.not_in_call");
  const auto& p = plan_ok(plan_action("listen", {{"target", "10011"}}, a, e, o, kNow));
  EXPECT_EQ(field(p, 0, "Data"), "PJSIP/10011-00000001,qEd");
  EXPECT_EQ(err_of(plan_action("hangup", {{"target", "1001"}}, a, e, o, kNow)).code, "pbx.target.not_in_call");
  auto sup = supervisor("2001", {"1001"}, {"listen"});
  EXPECT_EQ(err_of(plan_action("listen", {{"target", "10011"}}, sup, e, o, kNow)).code, "access.scope.forbidden");
}

TEST(Technology, SipAndIax2ExtensionsKeepTheirTechnology) {
  pbx::Engine e;
  e.on_connection_start(kNow, "Asterisk Call Manager/11.0.0");
  feed(e, {{"Event", "PeerEntry"}, {"Channeltype", "SIP"}, {"ObjectName", "3001"}, {"IPaddress", "10.0.0.5"},
           {"Status", "OK (5 ms)"}});
  feed(e, {{"Event", "PeerEntry"}, {"Channeltype", "IAX2"}, {"ObjectName", "4001"}, {"IPaddress", "10.0.0.6"},
           {"Status", "OK (7 ms)"}});
  ActionOptions o;
  const auto& p = plan_ok(plan_action("originate", {{"number", "1234"}}, agent("3001"), e, o, kNow));
  EXPECT_EQ(field(p, 0, "Channel"), "SIP/3001");
  const auto& q = plan_ok(plan_action("originate", {{"number", "1234"}}, agent("4001"), e, o, kNow));
  EXPECT_EQ(field(q, 0, "Channel"), "IAX2/4001");
}

}  // namespace
}  // namespace opdesk::api
