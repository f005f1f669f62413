// The office day model over an hour of simulated time: every kind of flow shows up, and the
// event stream stays consistent (each channel is created once, hung up once, and nothing
// mentions a channel after its Hangup), which is what the panel's state engine relies on.
#include <cstdlib>
#include <random>
#include <set>

#include "flow_check.hpp"

namespace opdesk::sim::test {
namespace {

TEST(SimOfficeSoak, AnHourOfOfficeTrafficIsVariedAndConsistent) {
  SimOptions o = lab_options(1500);
  o.office = true;
  o.extensions = 60;
  o.queues = 3;
  o.seed = 3;
  if (const char* s = std::getenv("OPDESK_SIM_SOAK_SEED")) o.seed = std::strtoull(s, nullptr, 10);  // to explore
  SimRunner r(o);
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();  // traffic may have started before the login: take the channels from the list
  c.drain(std::chrono::milliseconds(2500));
  std::set<std::string> alive, dead, kinds;
  size_t problems = 0;
  // Channels may predate the login (or start between the sync actions): before the sync ends,
  // a list entry counts as a Newchannel and a Hangup of an unknown channel is tolerated.
  for (size_t i = 0; i < c.frames.size(); ++i) {
    const auto& m = c.frames[i];
    bool checked = i >= c.sync_end;
    if (!m.has("Event")) continue;
    std::string ch(m.get("Channel"));
    if (!checked) {
      if (m.is_event("Newchannel") || m.is_event("CoreShowChannel")) alive.insert(ch);
      if (m.is_event("Hangup")) alive.erase(ch), dead.insert(ch);
      continue;
    }
    kinds.insert(std::string(m.event()));
    if (m.is_event("Newchannel")) {
      if (!alive.insert(ch).second || dead.count(ch)) ADD_FAILURE() << "second Newchannel for " << ch, ++problems;
    } else if (m.is_event("Hangup")) {
      if (!alive.erase(ch)) ADD_FAILURE() << "Hangup without Newchannel for " << ch, ++problems;
      dead.insert(ch);
    } else if (!ch.empty() && !m.is_event("Cdr") && dead.count(ch)) {
      ADD_FAILURE() << m.event() << " for " << ch << " after its Hangup";
      ++problems;
    }
  }
  EXPECT_EQ(problems, 0u);
  for (const char* k : {"Newchannel", "DialBegin", "BridgeEnter", "QueueCallerJoin", "AgentConnect", "Cdr",
                        "RTCPSent", "Hold", "MusicOnHoldStart", "ExtensionStatus", "QueueMemberStatus"})
    EXPECT_TRUE(kinds.count(k)) << k << " never happened in an office hour";
  EXPECT_GT(dead.size(), 50u);
}

}  // namespace
}  // namespace opdesk::sim::test

namespace opdesk::sim::test {
namespace {

// A panel that clicks everything: random Hangup/Redirect/Park/Atxfer/BlindTransfer/Originate
// on live channels during office traffic. Every action is answered and the stream stays
// consistent (no event for a channel after its Hangup).
TEST(SimOfficeSoak, RandomPanelActionsDuringOfficeTrafficAreAnsweredAndKeepTheStreamConsistent) {
  SimOptions o = lab_options(300);
  o.office = true;
  o.extensions = 40;
  o.seed = 11;
  if (const char* s = std::getenv("OPDESK_SIM_SOAK_SEED")) o.seed = std::strtoull(s, nullptr, 10);
  SimRunner r(o);
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();
  std::mt19937 rng(static_cast<uint32_t>(o.seed));
  std::vector<std::string> live;
  const char* kinds[] = {"Hangup", "Redirect", "Park", "Atxfer", "BlindTransfer", "Originate", "Hold"};
  int sent = 0, answered = 0;
  auto end = Clock::now() + std::chrono::milliseconds(2500);
  size_t seen = 0;
  bool waiting = false;  // one action in flight at a time, like a panel user
  while (Clock::now() < end || waiting) {
    if (Clock::now() > end + std::chrono::seconds(10)) break;
    c.next(std::chrono::milliseconds(20));
    for (; seen < c.frames.size(); ++seen) {
      const auto& m = c.frames[seen];
      if (m.is_event("Newchannel")) live.push_back(std::string(m.get("Channel")));
      if (m.has("Response") && !m.has("Event") && m.action_id().substr(0, 5) == "chaos") ++answered, waiting = false;
    }
    if (waiting || Clock::now() > end || live.empty() || rng() % 2) continue;
    waiting = true;
    std::string ch = live[rng() % live.size()];
    std::string kind = kinds[rng() % 7];
    std::string ext = std::to_string(1001 + rng() % 38);
    std::string id = "chaos-" + std::to_string(sent++);
    if (kind == "Hold") {
      r.sim->hold(ch, rng() % 2);
      --sent;
      waiting = false;
      continue;
    }
    if (kind == "Originate")
      c.send({{"Action", "Originate"}, {"ActionID", id}, {"Channel", "PJSIP/" + ext}, {"Context", "from-internal"},
              {"Exten", rng() % 2 ? "5001" : "1001"}, {"Async", "true"}});
    else
      c.send({{"Action", kind}, {"ActionID", id}, {"Channel", ch}, {"Exten", ext}, {"Context", "from-internal"}});
  }
  c.drain(std::chrono::milliseconds(200));
  EXPECT_GT(sent, 20);
  EXPECT_EQ(r.sim->stats().clients_dropped_slow, 0u);
  EXPECT_EQ(answered, sent);
  if (answered != sent) {
    std::set<std::string> got;
    for (auto& m : c.frames)
      if (m.has("Response") && !m.has("Event")) got.insert(std::string(m.action_id()));
    for (int i = 0; i < sent; ++i)
      if (!got.count("chaos-" + std::to_string(i))) {
        ADD_FAILURE() << "no response to chaos-" << i << " (" << c.frames.size() << " frames, closed=" << c.closed
                      << ", last: " << c.frames.back().event() << c.frames.back().response() << ")";
        break;
      }
  }
  std::set<std::string> dead;
  for (size_t i = c.sync_end; i < c.frames.size(); ++i) {
    const auto& m = c.frames[i];
    std::string ch(m.get("Channel"));
    if (!ch.empty() && dead.count(ch) && !m.is_event("Cdr") && !m.is_event("OriginateResponse") && m.has("Event"))
      ADD_FAILURE() << m.event() << " after Hangup of " << ch;
    if (m.is_event("Hangup")) dead.insert(ch);
  }
}

}  // namespace
}  // namespace opdesk::sim::test
