// Upstream shapes (opdesk-upstream.md §2.2) computed from our snapshot.
#include "api/upstream_compat.hpp"

#include <gtest/gtest.h>

namespace opdesk::api {
namespace {

using json = nlohmann::json;

json snapshot_with_a_call() {
  json call = {{"id", "1795501978.0"}, {"state", "up"}, {"started_at", 1795501978000}, {"answered_at", 1795501982000},
               {"queue", nullptr},
               {"parties", {{{"extension", "1001"}, {"number", "1001"}, {"name", "Alice"}, {"channel", "PJSIP/1001-00000000"}, {"role", "caller"}},
                            {{"extension", "1002"}, {"number", "1002"}, {"name", "Bob"}, {"channel", "PJSIP/1002-00000001"}, {"role", "callee"}}}}};
  json ext1 = {{"extension", "1001"}, {"name", "Alice"}, {"state", "in_call"}, {"dnd", false}};
  json ext2 = {{"extension", "1002"}, {"name", "Bob"}, {"state", "in_call"}, {"dnd", true}};
  json ext3 = {{"extension", "1003"}, {"name", "Carol"}, {"state", "idle"}, {"dnd", false}};
  return {{"server_time", 1795501990000}, {"extensions", {ext1, ext2, ext3}}, {"calls", {call}}, {"queues", json::array()}};
}

TEST(UpstreamState, ExtensionsInACallCarryTheirCallInfoFromTheirOwnSide_6) {
  json up = upstream_state(snapshot_with_a_call());
  const json& alice = up["extensions"]["1001"]["call_info"];
  EXPECT_EQ(alice["talking_to"], "1002");
  EXPECT_EQ(alice["channel"], "PJSIP/1001-00000000");
  EXPECT_EQ(alice["caller"], "1001");
  EXPECT_EQ(alice["duration"], "00:12");
  EXPECT_EQ(alice["talk_time"], "00:08");
  EXPECT_EQ(up["extensions"]["1002"]["call_info"]["talking_to"], "1001");
  EXPECT_EQ(up["extensions"]["1002"]["call_info"]["destination"], "1002");
  EXPECT_TRUE(up["extensions"]["1003"]["call_info"].is_null());
  EXPECT_EQ(up["extensions"]["1002"]["status_code"], "1");  // a string, as upstream (#25)
  EXPECT_EQ(up["extensions"]["1002"]["dnd"], true);
  // Caller perspective only: the internal call is one row, the caller's (#25).
  EXPECT_EQ(up["active_calls"].size(), 1u);
  EXPECT_TRUE(up["active_calls"].contains("1001"));
  EXPECT_EQ(up["stats"]["active_calls_count"], 1);
}

TEST(UpstreamState, QueueMembersAndEntriesUseTheUpstreamKeys) {
  json snap = snapshot_with_a_call();
  snap["queues"] = {{{"name", "support"},
                     {"members", {{{"interface", "PJSIP/1001"}, {"name", "Alice"}, {"status", 2}, {"paused", true}, {"reason", "lunch"}, {"dynamic", true}}}},
                     {"entries", {{{"position", 1}, {"caller", "0612"}, {"uniqueid", "u1"}, {"since", 1795501980000}}}}}};
  json up = upstream_state(snap);
  EXPECT_EQ(up["queue_members"]["support:PJSIP/1001"]["status"], "In use");
  EXPECT_EQ(up["queue_members"]["support:PJSIP/1001"]["pause_reason"], "lunch");
  EXPECT_EQ(up["queues"]["support"]["members"]["PJSIP/1001"]["paused"], true);
  EXPECT_EQ(up["queue_entries"]["u1"]["wait_time"], "00:10");  // "MM:SS" as upstream (#25)
  EXPECT_EQ(up["queues"]["support"]["extension"], "support");
  EXPECT_EQ(up["stats"]["total_waiting"], 1);
}

// #25: the upstream UI renders `contact_name (number)`: a caller-ID name that repeats the
// number is no name; the raw hint code is the status_code; original_destination is present.
TEST(UpstreamState, ContactNameIsARealNameOnlyAndOriginalDestinationIsWhatWasDialled_25) {
  json call = {{"id", "c1"}, {"state", "up"}, {"started_at", 1795501978000}, {"destination", "600"},
               {"parties", {{{"extension", nullptr}, {"number", "0221006925"}, {"name", "0221006925"}, {"channel", "PJSIP/trunk-1"}, {"role", "caller"}},
                            {{"extension", "1001"}, {"number", "1001"}, {"name", "Alice"}, {"channel", "PJSIP/1001-2"}, {"role", "callee"}}}}};
  json snap = {{"server_time", 1795501990000},
               {"extensions", {{{"extension", "1001"}, {"name", "Alice"}, {"state", "in_call"}, {"hint_code", 9}}}},
               {"calls", {call}}, {"queues", json::array()}};
  json up = upstream_state(snap);
  const json& ci = up["active_calls"]["1001"];
  EXPECT_EQ(ci["talking_to"], "0221006925");
  EXPECT_TRUE(ci["contact_name"].is_null());
  EXPECT_EQ(ci["original_destination"], "600");
  EXPECT_EQ(ci["destination"], "1001");
  EXPECT_EQ(up["extensions"]["1001"]["status_code"], "9");
  snap["calls"][0]["parties"][0]["name"] = "ACME Ltd";
  EXPECT_EQ(upstream_state(snap)["active_calls"]["1001"]["contact_name"], "ACME Ltd");
}

TEST(UpstreamState, IsoTimeHasMillisecondsAndZ) {
  EXPECT_EQ(iso_time(1795501990123), "2026-11-24T06:33:10.123Z");
}

}  // namespace
}  // namespace opdesk::api
