// The office day model over an hour of simulated time: every kind of flow shows up, and the
// event stream stays consistent (each channel is created once, hung up once, and nothing
// mentions a channel after its Hangup), which is what the panel's state engine relies on.
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
  SimRunner r(o);
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  c.sync();  // traffic may have started before the login: take the channels from the list
  c.drain(std::chrono::milliseconds(2500));
  std::set<std::string> alive, dead, kinds;
  for (auto& m : c.frames)
    if (m.is_event("CoreShowChannel")) alive.insert(std::string(m.get("Channel")));
  size_t problems = 0;
  for (auto& m : c.after_sync()) {
    if (!m.has("Event")) continue;
    kinds.insert(std::string(m.event()));
    std::string ch(m.get("Channel"));
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
