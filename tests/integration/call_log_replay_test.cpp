// The own-CDR path end to end: every byte of the shared AMI traces goes through the real
// parser into CdrStore::on_cdr_event, and the rows that land in SQLite match cdr.csv.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "ami/parser.hpp"
#include "store/cdr_event.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "support/temp_dir.hpp"
#include "unit/store/cdr_fixture.hpp"

namespace opdesk::store {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> traces() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(OPDESK_TRACE_DIR)) {
    if (e.path().extension() == ".ami") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Feeds a whole trace in random-sized chunks; returns the number of Cdr events seen.
int replay(CdrStore& cdr, const std::filesystem::path& file, std::mt19937& rng) {
  std::string bytes = slurp(file);
  ami::Parser parser;
  ami::Message m;
  std::string detail;
  int cdrs = 0;
  for (size_t pos = 0; pos < bytes.size();) {
    size_t n = std::uniform_int_distribution<size_t>(1, 4096)(rng);
    parser.feed(std::string_view(bytes).substr(pos, n));
    pos += n;
    for (;;) {
      auto r = parser.next(m, detail);
      if (r == ami::Parser::Result::kNeedMore) break;
      if (r != ami::Parser::Result::kMessage) continue;
      if (m.is_event("Cdr")) ++cdrs;
      cdr.on_cdr_event(m);
    }
  }
  return cdrs;
}

class CdrReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Database>(testing_cdr::sqlite_config(dir_.file("panel.db")));
    cdr_ = std::make_unique<CdrStore>(*db_);  // no pool: the write runs inline
    cdr_->migrate();
  }
  std::vector<CdrRecord> stored() {
    CdrQuery q;
    q.scope.all = true;
    q.raw = true;
    q.limit = kCdrMaxLimit;
    return cdr_->query(q).rows;
  }
  test::TempDir dir_{"opdesk-cdr-replay"};
  std::unique_ptr<Database> db_;
  std::unique_ptr<CdrStore> cdr_;
};

TEST_F(CdrReplay, ReplayingTheTracesStoresTheRowsOfCdrCsv) {
  // The spool as the PBX left it: every recording of cdr.csv in monitor/YYYY/MM/DD. The
  // stream of trace 17 never names the recording of the call that started while the panel
  // was disconnected; the store finds it there by its uniqueid.
  auto root = std::filesystem::path(dir_.path()) / "monitor";
  for (const auto& r : testing_cdr::trace_cdr_rows()) {
    if (r.recordingfile.empty()) continue;
    auto day = root / r.calldate.substr(0, 4) / r.calldate.substr(5, 2) / r.calldate.substr(8, 2);
    std::filesystem::create_directories(day);
    std::ofstream(day / r.recordingfile) << "RIFF";
  }
  cdr_->set_recordings_root(root.string());
  std::mt19937 rng(20261124);
  int events = 0;
  for (const auto& t : traces()) events += replay(*cdr_, t, rng);
  EXPECT_EQ(events, 29);
  EXPECT_EQ(cdr_->counters().written.load(), 29);
  EXPECT_EQ(cdr_->counters().failed.load(), 0);
  auto rows = stored();
  ASSERT_EQ(rows.size(), 29u);
  // Index the expected rows by (uniqueid, calldate, dstchannel): unique within cdr.csv.
  std::map<std::string, CdrRecord> want;
  for (const auto& r : testing_cdr::trace_cdr_rows()) {
    want[r.uniqueid + "|" + r.calldate + "|" + r.dstchannel] = r;
  }
  for (const auto& got : rows) {
    auto it = want.find(got.uniqueid + "|" + got.calldate + "|" + got.dstchannel);
    ASSERT_NE(it, want.end()) << "no cdr.csv row for " << got.uniqueid << " " << got.calldate;
    const auto& w = it->second;
    EXPECT_EQ(got.src, w.src) << w.uniqueid;
    EXPECT_EQ(got.dst, w.dst) << w.uniqueid;
    EXPECT_EQ(got.disposition, w.disposition) << w.uniqueid;
    EXPECT_LE(std::abs(got.duration - w.duration), 1) << w.uniqueid;
    EXPECT_LE(std::abs(got.billsec - w.billsec), 1) << w.uniqueid;
    EXPECT_EQ(got.recordingfile, w.recordingfile) << w.uniqueid;
    EXPECT_EQ(got.linkedid, w.linkedid) << w.uniqueid;
    EXPECT_EQ(got.lastapp, w.lastapp) << w.uniqueid;
    EXPECT_EQ(got.clid, w.clid) << w.uniqueid;
  }
}

TEST_F(CdrReplay, ReplayingTheSameTraceTwiceAddsNoRow) {
  std::mt19937 rng(7);
  auto file = std::filesystem::path(OPDESK_TRACE_DIR) / "04-call-no-answer.ami";
  EXPECT_EQ(replay(*cdr_, file, rng), 2);
  EXPECT_EQ(replay(*cdr_, file, rng), 2);
  EXPECT_EQ(cdr_->counters().written.load(), 2);
  EXPECT_EQ(cdr_->counters().duplicates.load(), 2);
  auto rows = stored();
  ASSERT_EQ(rows.size(), 2u);  // quirk 4: the Dial row and the Hangup row, both kept
  EXPECT_EQ(rows[0].lastapp == "Hangup" ? rows[1].lastapp : rows[0].lastapp, "Dial");
}

TEST_F(CdrReplay, WritesGoThroughThePostFunctionWhenOneIsGiven) {
  std::vector<std::function<void()>> queued;
  CdrStore pooled(*db_, [&](std::function<void()> job) { queued.push_back(std::move(job)); });
  std::mt19937 rng(3);
  replay(pooled, std::filesystem::path(OPDESK_TRACE_DIR) / "03-internal-call-answer-hangup.ami", rng);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_TRUE(stored().empty());  // nothing written on the calling thread
  queued[0]();
  auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].recordingfile, "internal-1002-1001-20261124-063258-1795501978.0.wav");
}

TEST(CdrEventMapper, ForgetsTheOldestChannelsBeyondItsCap) {
  CdrEventMapper mapper;
  for (size_t i = 0; i < CdrEventMapper::kMaxTracked + 50; ++i) {
    auto m = ami::Message::from_fields({{"Event", "Newchannel"},
                                        {"Uniqueid", "u" + std::to_string(i)},
                                        {"Linkedid", "l" + std::to_string(i)}});
    EXPECT_FALSE(mapper.feed(m));
  }
  EXPECT_EQ(mapper.tracked(), CdrEventMapper::kMaxTracked);
  auto cdr = ami::Message::from_fields({{"Event", "Cdr"}, {"UniqueID", "u0"},
                                        {"StartTime", "2026-11-24 06:00:00"}});
  auto row = mapper.feed(cdr);
  ASSERT_TRUE(row);
  EXPECT_EQ(row->linkedid, "u0");  // forgotten → falls back to the uniqueid
  auto recent = ami::Message::from_fields({{"Event", "Cdr"}, {"UniqueID", "u100"},
                                           {"StartTime", "2026-11-24 06:00:00"}});
  EXPECT_EQ(mapper.feed(recent)->linkedid, "l100");
}

}  // namespace
}  // namespace opdesk::store
