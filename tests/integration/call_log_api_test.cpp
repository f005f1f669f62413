// GET /api/call-log glue: filter parsing (400 naming the field), the item shape built from the
// real trace rows in SQLite, cursor paging through the JSON layer, and the CSV export.
#include <gtest/gtest.h>

#include "api/call_log.hpp"
#include "api/http_util.hpp"
#include "api/recordings.hpp"
#include "directory/directory.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "support/temp_dir.hpp"
#include "unit/store/cdr_fixture.hpp"

namespace opdesk::api {
namespace {

const CallLogScope kAdmin{true, {}, {}};

std::string field_of_400(const std::map<std::string, std::string>& query) {
  try {
    parse_call_log_query(query, kAdmin);
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.code, "request.field.invalid");
    return e.field;
  }
  return "(accepted)";
}

TEST(CallLogQueryParsing, BadFiltersAreRejectedNamingTheField) {
  EXPECT_EQ(field_of_400({{"date", "2026-13-01"}}), "date");
  EXPECT_EQ(field_of_400({{"date", "2026-02-29"}}), "date");
  EXPECT_EQ(field_of_400({{"date_from", "24.11.2026"}}), "date_from");
  EXPECT_EQ(field_of_400({{"date_from", "2026-11-25"}, {"date_to", "2026-11-24"}}), "date_to");
  EXPECT_EQ(field_of_400({{"date", "2026-11-24"}, {"date_to", "2026-11-24"}}), "date");
  EXPECT_EQ(field_of_400({{"limit", "501"}}), "limit");
  EXPECT_EQ(field_of_400({{"limit", "0"}}), "limit");
  EXPECT_EQ(field_of_400({{"limit", "ten"}}), "limit");
  EXPECT_EQ(field_of_400({{"colour", "red"}}), "colour");
  EXPECT_EQ(field_of_400({{"direction", "sideways"}}), "direction");
  EXPECT_EQ(field_of_400({{"outcome", "maybe"}}), "outcome");
  EXPECT_EQ(field_of_400({{"extension", "1001' OR 1=1"}}), "extension");
  EXPECT_EQ(field_of_400({{"queue", "sup%port"}}), "queue");
  EXPECT_EQ(field_of_400({{"min_duration", "-5"}}), "min_duration");
  EXPECT_EQ(field_of_400({{"has_recording", "yes"}}), "has_recording");
  EXPECT_EQ(field_of_400({{"search", std::string(65, 'x')}}), "search");
  EXPECT_EQ(field_of_400({{"cursor", "not-a-cursor"}}), "cursor");
  EXPECT_EQ(field_of_400({{"sort", "random"}}), "sort");
  EXPECT_EQ(field_of_400({{"format", "xml"}}), "format");
  // A grouped cursor is not a raw cursor.
  auto grouped = encode_cursor({"2026-11-24 06:32:58", "1795501978.0", 0}, false);
  EXPECT_EQ(field_of_400({{"cursor", grouped}, {"raw", "1"}}), "cursor");
}

TEST(CallLogQueryParsing, AcceptsTheFiltersAndUpstreamOutcomeNames) {
  auto q = parse_call_log_query({{"date", "2026-11-24"}, {"limit", "500"}, {"extension", "1001"},
                                 {"direction", "inbound"}, {"outcome", "NO_ANSWER"},
                                 {"queue", "support"}, {"min_duration", "5"},
                                 {"has_recording", "true"}, {"search", "Alice"},
                                 {"sort", "oldest"}, {"format", "csv"}},
                                CallLogScope{false, {"1001"}, {"support"}});
  EXPECT_EQ(q.cdr.date_from, std::optional<std::string>("2026-11-24"));
  EXPECT_EQ(q.cdr.date_to, std::optional<std::string>("2026-11-24"));
  EXPECT_EQ(q.cdr.limit, 500);
  EXPECT_EQ(q.cdr.outcome, store::CdrOutcome::kNoAnswer);
  EXPECT_EQ(q.cdr.direction, store::CdrDirection::kInbound);
  EXPECT_TRUE(q.cdr.oldest_first);
  EXPECT_TRUE(q.csv);
  EXPECT_FALSE(q.cdr.scope.all);
  EXPECT_EQ(q.cdr.scope.extensions, std::set<std::string>{"1001"});
  for (auto [name, o] : std::vector<std::pair<std::string, store::CdrOutcome>>{
           {"CANCELED", store::CdrOutcome::kCancelled}, {"cancelled", store::CdrOutcome::kCancelled},
           {"FAILURE", store::CdrOutcome::kFailed}, {"OUT_OF_REACH", store::CdrOutcome::kFailed},
           {"ABANDONED", store::CdrOutcome::kAbandoned}, {"DROPPED", store::CdrOutcome::kAnswered},
           {"busy", store::CdrOutcome::kBusy}}) {
    EXPECT_EQ(parse_call_log_query({{"outcome", name}}, kAdmin).cdr.outcome, o) << name;
  }
  auto c = decode_cursor(encode_cursor({"2026-11-24 06:32:58", "spy-1008-1001", 0}, false), false);
  EXPECT_EQ(c.calldate, "2026-11-24 06:32:58");
  EXPECT_EQ(c.key, "spy-1008-1001");
}

class CallLogJson : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<store::Database>(testing_cdr::sqlite_config(dir_.file("p.db")));
    cdr_ = std::make_unique<store::CdrStore>(*db_);
    cdr_->migrate();
    for (const auto& r : testing_cdr::trace_cdr_rows()) cdr_->insert(r);
    std::vector<directory::Entry> ext;
    for (const char* n : {"1001", "1002", "1003", "1004", "1005", "1006", "1007", "1008", "1101", "1102"}) {
      ext.push_back({n, "extension", std::string("Ext ") + n, "PJSIP"});
    }
    dir_entries_.set_ami_extensions(ext);
    dir_entries_.set_ami_queues({{"5001", "queue", "support"}, {"5002", "queue", "sales"}});
    store::DirectoryOverride o;
    o.extension = "1101";
    o.label = "Maria WebRTC";
    dir_entries_.set_overrides({o});
    ctx_.directory = &dir_entries_;
    ctx_.recording_key = "k3y";
    ctx_.user_id = 7;
    ctx_.now_unix = 1795502400;
  }
  nlohmann::json get(std::map<std::string, std::string> m, const CallLogScope& scope = kAdmin) {
    auto q = parse_call_log_query(m, scope);
    apply_directory(q, dir_entries_);
    return call_log_query(*cdr_, q, ctx_);
  }
  test::TempDir dir_{"opdesk-cl"};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::CdrStore> cdr_;
  directory::Directory dir_entries_;
  CallLogContext ctx_;
};

TEST_F(CallLogJson, AQueueCallIsOneItemWithItsLegsAndASignedRecordingUrl) {
  auto page = get({{"queue", "support"}});
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["total"], 1);
  EXPECT_TRUE(page["next_cursor"].is_null());
  const auto& it = page["items"][0];
  EXPECT_EQ(it["id"], "1795502049.8");
  EXPECT_EQ(it["started_at"], local_to_ms("2026-11-24 06:34:09"));
  EXPECT_EQ(it["direction"], "internal");
  EXPECT_EQ(it["outcome"], "answered");
  EXPECT_EQ(it["from"]["number"], "1005");
  EXPECT_EQ(it["from"]["name"], "Ext 1005");
  EXPECT_EQ(it["to"]["number"], "5001");
  EXPECT_EQ(it["to"]["name"], "support");
  EXPECT_EQ(it["extension"], "1002");  // the member who answered
  EXPECT_EQ(it["queue"], "support");
  EXPECT_EQ(it["duration"], 13);
  EXPECT_EQ(it["billsec"], 13);
  ASSERT_EQ(it["legs"].size(), 2u);
  EXPECT_EQ(it["legs"][1]["dstchannel"], "PJSIP/1001-0000000a");
  const std::string file = "q-5001-1005-20261124-063409-1795502049.8.wav";
  EXPECT_EQ(it["recording"]["file"], file);
  std::string url = it["recording"]["url"];
  EXPECT_EQ(url, signed_recording_url("k3y", file, 7, ctx_.now_unix));
  EXPECT_EQ(url.find("token"), std::string::npos);
  EXPECT_TRUE(it["journey"].is_array());
  EXPECT_TRUE(it["qos"].is_null());
}

TEST_F(CallLogJson, OutcomesDirectionsAndNamesComeFromTheSameRulesAsTheFilters) {
  auto missed = get({{"outcome", "no_answer"}});
  ASSERT_EQ(missed["items"].size(), 1u);
  EXPECT_EQ(missed["items"][0]["status"], "NO_ANSWER");
  EXPECT_EQ(missed["items"][0]["extension"], "1004");
  auto cancelled = get({{"outcome", "CANCELED"}});
  ASSERT_EQ(cancelled["items"].size(), 1u);
  EXPECT_EQ(cancelled["items"][0]["id"], "1795502030.4");
  EXPECT_EQ(get({{"direction", "inbound"}})["total"], 0);
  EXPECT_EQ(get({{"direction", "internal"}})["total"], 28);
  auto maria = get({{"search", "maria"}});  // a directory label, not in any CDR column
  ASSERT_EQ(maria["items"].size(), 1u);
  EXPECT_EQ(maria["items"][0]["to"]["name"], "Maria WebRTC");
}

TEST_F(CallLogJson, CursorPagingThroughTheApiSeesEveryCallOnceAndScopeHoldsOnEveryPage) {
  std::set<std::string> seen;
  std::map<std::string, std::string> m{{"limit", "3"}};
  for (int guard = 0; guard < 20; ++guard) {
    auto page = get(m, CallLogScope{false, {"1004"}, {}});
    EXPECT_EQ(page["total"], 6);
    for (const auto& it : page["items"]) {
      EXPECT_TRUE(seen.insert(it["id"].get<std::string>()).second);
      bool touches = false;
      for (const auto& l : it["legs"]) {
        for (const char* k : {"src", "dst", "channel", "dstchannel"}) {
          touches = touches || l[k].get<std::string>().find("1004") != std::string::npos;
        }
      }
      EXPECT_TRUE(touches) << it["id"];
    }
    if (page["next_cursor"].is_null()) break;
    m["cursor"] = page["next_cursor"];
  }
  EXPECT_EQ(seen.size(), 6u);
  auto raw = get({{"raw", "1"}, {"limit", "50"}});
  EXPECT_EQ(raw["items"].size(), 43u);
  EXPECT_EQ(raw["total"], 43);
}

TEST_F(CallLogJson, CsvExportStreamsPagesWithAHeaderAndEscapedCells) {
  std::vector<std::string> chunks;
  auto q = parse_call_log_query({}, kAdmin);
  apply_directory(q, dir_entries_);
  size_t n = call_log_csv(*cdr_, q, ctx_, [&](std::string_view c) { chunks.emplace_back(c); }, 5);
  EXPECT_EQ(n, 28u);
  ASSERT_EQ(chunks.size(), 1u + 6u);  // header + ceil(28 / 5) pages
  EXPECT_EQ(chunks[0].rfind("started_at,id,direction,outcome", 0), 0u);
  std::string all;
  for (const auto& c : chunks) all += c;
  auto rows = testing_cdr::parse_csv(all);
  ASSERT_EQ(rows.size(), 29u);
  EXPECT_EQ(rows[1][1], "1795502426.56");  // newest first
  EXPECT_EQ(rows[1][4], "1102");
  EXPECT_EQ(rows[1][5], "WebRTC 1102");
  EXPECT_EQ(rows[28][13], "internal-1002-1001-20261124-063258-1795501978.0.wav");
  std::vector<std::string> capped;
  EXPECT_EQ(call_log_csv(*cdr_, q, ctx_, [&](std::string_view c) { capped.emplace_back(c); }, 5, 7), 7u);
}

}  // namespace
}  // namespace opdesk::api
