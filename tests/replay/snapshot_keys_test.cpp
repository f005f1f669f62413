// The snapshot carries every key docs/protocol.md fixes (the web client and the replay
// checker read them), with nulls for unknown times and links.
#include <gtest/gtest.h>

#include "api/state_json.hpp"
#include "trace_harness.hpp"

using namespace opdesk::testing;
using nlohmann::json;

namespace {

void expect_keys(const json& obj, std::initializer_list<const char*> keys, const std::string& what) {
  for (const char* k : keys) EXPECT_TRUE(obj.contains(k)) << what << " lacks " << k;
}

}  // namespace

TEST(SnapshotKeys, QueueCallSnapshotHasEveryProtocolKey) {
  auto r = replay_trace("06-queue-call-answered-by-member", 3.0);
  json s = opdesk::api::snapshot_json(r->engine, r->result.now_ms);
  expect_keys(s, {"epoch", "seq", "server_time", "pbx", "extensions", "calls", "queues", "parked", "conferences"}, "snapshot");
  expect_keys(s["pbx"], {"connected", "since", "version", "banner"}, "pbx");
  ASSERT_FALSE(s["extensions"].empty());
  expect_keys(s["extensions"][0], {"extension", "name", "tech", "state", "hint", "hint_code", "registered", "dnd",
                                   "contacts", "calls", "queues", "paused"}, "extension");
  expect_keys(s["extensions"][0]["contacts"][0], {"uri", "status", "rtt_ms", "user_agent"}, "contact");
  ASSERT_EQ(s["calls"].size(), 1u);
  const json& c = s["calls"][0];
  expect_keys(c, {"id", "state", "direction", "parties", "started_at", "answered_at", "ended_at", "hold_ms", "on_hold",
                  "queue", "recording", "spied_by", "qos", "journey"}, "call");
  EXPECT_TRUE(c["answered_at"].is_null());
  EXPECT_TRUE(c["ended_at"].is_null());
  EXPECT_EQ(c["queue"], "support");
  EXPECT_EQ(c["state"], "ringing");
  expect_keys(c["parties"][0], {"extension", "number", "name", "channel", "uniqueid", "state", "role", "on_hold"}, "party");
  expect_keys(c["journey"][0], {"at", "event", "detail"}, "journey step");
  json support;
  for (const auto& q : s["queues"]) {
    if (q["name"] == "support") support = q;
  }
  expect_keys(support, {"name", "strategy", "calls", "completed", "abandoned", "holdtime", "talktime", "service_level",
                        "service_level_perf", "members", "entries"}, "queue");
  EXPECT_EQ(support["calls"], 1);
  expect_keys(support["members"][0], {"interface", "name", "extension", "status", "status_text", "paused", "reason",
                                      "penalty", "calls_taken", "last_call", "in_call", "dynamic"}, "member");
  EXPECT_EQ(support["members"][0]["status_text"], "ringing");
  expect_keys(support["entries"][0], {"position", "caller", "caller_name", "channel", "uniqueid", "call_id", "since"}, "entry");
  EXPECT_EQ(support["entries"][0]["call_id"], c["id"]);
}

TEST(SnapshotKeys, SpiedCallListsTheSupervisorWithModeAndSince) {
  auto r = replay_trace("10-chanspy-whisper", 9.0);
  json s = opdesk::api::snapshot_json(r->engine, r->result.now_ms);
  ASSERT_EQ(s["calls"].size(), 1u);
  ASSERT_EQ(s["calls"][0]["spied_by"].size(), 1u);
  const json& spy = s["calls"][0]["spied_by"][0];
  expect_keys(spy, {"extension", "channel", "mode", "since"}, "spy");
  EXPECT_EQ(spy["extension"], "1008");
  EXPECT_EQ(spy["mode"], "whisper");
}
