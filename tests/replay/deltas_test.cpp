// Deltas and snapshot agree: applying every change batch of a trace replay (upserts with
// entity_json, removals) to an empty client-side copy gives exactly the final snapshot, and
// batches are numbered 1, 2, 3... inside each epoch.
#include <gtest/gtest.h>

#include <map>

#include "api/state_json.hpp"
#include "trace_harness.hpp"

using namespace opdesk::testing;
using nlohmann::json;
namespace pbx = opdesk::pbx;

namespace {

const char* kLists[] = {"extensions", "calls", "queues", "parked", "conferences"};

std::string list_of(const std::string& kind) {
  if (kind == "extension") return "extensions";
  if (kind == "call") return "calls";
  if (kind == "queue") return "queues";
  if (kind == "conference") return "conferences";
  return kind;
}

std::string key_of(const std::string& list, const json& item) {
  if (list == "extensions") return item["extension"];
  if (list == "calls") return item["id"];
  if (list == "queues") return item["name"];
  if (list == "conferences") return item["room"];
  return item["lot"].get<std::string>() == "default" ? item["space"].get<std::string>()
                                                     : item["lot"].get<std::string>() + ":" + item["space"].get<std::string>();
}

}  // namespace

TEST(Deltas, ApplyingEveryBatchToAnEmptyCopyReproducesTheSnapshot) {
  for (const auto& entry : std::filesystem::directory_iterator(OPDESK_TRACE_DIR)) {
    if (entry.path().extension() != ".ami") continue;
    const std::string name = entry.path().stem().string();
    std::map<std::string, std::map<std::string, json>> mirror;
    json pbx;
    uint64_t last_epoch = 0, last_seq = 0;
    pbx::Engine* engine = nullptr;
    auto sink = [&](const pbx::ChangeBatch& b, int64_t now) {
      if (b.epoch != last_epoch) {
        EXPECT_EQ(b.seq, 1u) << name;
        last_epoch = b.epoch;
      } else {
        EXPECT_EQ(b.seq, last_seq + 1) << name;
      }
      last_seq = b.seq;
      json d = opdesk::api::delta_json(*engine, b, now);
      for (const auto& c : d["changes"]) {
        std::string kind = c["kind"];
        if (kind == "pbx") {
          pbx = c["data"];
        } else if (c["op"] == "remove") {
          mirror[list_of(kind)].erase(c["id"].get<std::string>());
        } else {
          mirror[list_of(kind)][c["id"].get<std::string>()] = c["data"];
        }
      }
    };
    // The sink needs the engine that is being fed: replay into a local one.
    pbx::Engine local;
    engine = &local;
    std::string err;
    auto timing = pbx::parse_timing(read_all(std::filesystem::path(OPDESK_TRACE_DIR) / "meta" / (name + ".timing")), err);
    ASSERT_TRUE(timing) << err;
    auto res = pbx::replay(read_all(entry.path()), *timing, local, {}, sink);
    json snap = opdesk::api::snapshot_json(local, res.now_ms);
    EXPECT_EQ(snap["seq"], last_seq) << name;
    EXPECT_EQ(snap["pbx"], pbx) << name;
    for (const char* list : kLists) {
      std::map<std::string, json> want;
      for (const auto& item : snap[list]) want[key_of(list, item)] = item;
      EXPECT_EQ(mirror[list], want) << name << " " << list;
    }
  }
}

TEST(Deltas, MidCallSnapshotMatchesDeltasUpToThatMoment) {
  pbx::Engine engine;
  std::map<std::string, json> calls;
  auto sink = [&](const pbx::ChangeBatch& b, int64_t) {
    for (const auto& c : b.changes) {
      if (c.kind != pbx::EntityKind::kCall) continue;
      json data = opdesk::api::entity_json(engine, c);
      if (data.is_null()) calls.erase(c.id);
      else calls[c.id] = data;
    }
  };
  std::string err;
  const std::filesystem::path dir(OPDESK_TRACE_DIR);
  auto timing = pbx::parse_timing(read_all(dir / "meta" / "12-hold-unhold.timing"), err);
  ASSERT_TRUE(timing);
  pbx::ReplayOptions opt;
  opt.at = 7.0;
  auto res = pbx::replay(read_all(dir / "12-hold-unhold.ami"), *timing, engine, opt, sink);
  json snap = opdesk::api::snapshot_json(engine, res.now_ms);
  ASSERT_EQ(snap["calls"].size(), 1u);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls.begin()->second, snap["calls"][0]);
  EXPECT_EQ(snap["calls"][0]["state"], "held");
  EXPECT_EQ(snap["calls"][0]["held_by"], "1001");
}
