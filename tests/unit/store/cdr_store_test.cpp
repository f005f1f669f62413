// CdrStore against real databases: the panel's own table on SQLite and MariaDB, and a
// FreePBX-shaped asteriskcdrdb.cdr on MariaDB, each loaded with the real rows of cdr.csv.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <soci/soci.h>

#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "store_fixture.hpp"
#include "support/temp_dir.hpp"
#include "unit/store/cdr_fixture.hpp"

namespace opdesk::store {
namespace {

constexpr const char* kFreePbxCdr = R"(CREATE TABLE cdr (
  calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '',
  src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '',
  dcontext varchar(80) NOT NULL DEFAULT '', channel varchar(80) NOT NULL DEFAULT '',
  dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '',
  lastdata varchar(80) NOT NULL DEFAULT '', duration int(11) NOT NULL DEFAULT 0,
  billsec int(11) NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '',
  amaflags int(11) NOT NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '',
  uniqueid varchar(32) NOT NULL DEFAULT '', userfield varchar(255) NOT NULL DEFAULT '',
  did varchar(50) NOT NULL DEFAULT '', recordingfile varchar(255) NOT NULL DEFAULT '',
  cnum varchar(80) NOT NULL DEFAULT '', cnam varchar(80) NOT NULL DEFAULT '',
  outbound_cnum varchar(80) NOT NULL DEFAULT '', outbound_cnam varchar(80) NOT NULL DEFAULT '',
  dst_cnam varchar(80) NOT NULL DEFAULT '', linkedid varchar(32) NOT NULL DEFAULT '',
  peeraccount varchar(80) NOT NULL DEFAULT '', sequence int(11) NOT NULL DEFAULT 0,
  KEY calldate (calldate), KEY dst (dst), KEY accountcode (accountcode),
  KEY uniqueid (uniqueid), KEY recordingfile (recordingfile), KEY did (did)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4)";

void insert_freepbx(Database& db, const CdrRecord& r) {
  db.with_session([&](soci::session& s) {
    int dur = static_cast<int>(r.duration), bill = static_cast<int>(r.billsec),
        seq = static_cast<int>(r.sequence), ama = 3;
    s << "INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, "
         "lastdata, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, "
         "recordingfile, linkedid, peeraccount, sequence) VALUES (:a,:b,:c,:d,:e,:f,:g,:h,:i,:j,"
         ":k,:l,:m,:n,:o,:p,:q,:r,:s,:t)",
        soci::use(r.calldate), soci::use(r.clid), soci::use(r.src), soci::use(r.dst),
        soci::use(r.dcontext), soci::use(r.channel), soci::use(r.dstchannel),
        soci::use(r.lastapp), soci::use(r.lastdata), soci::use(dur), soci::use(bill),
        soci::use(r.disposition), soci::use(ama), soci::use(r.accountcode),
        soci::use(r.uniqueid), soci::use(r.userfield), soci::use(r.recordingfile),
        soci::use(r.linkedid), soci::use(r.peeraccount), soci::use(seq);
    return 0;
  });
}

// An admin's query: every call (a default CdrQuery has an empty scope and sees nothing).
CdrQuery everything() {
  CdrQuery q;
  q.scope.all = true;
  return q;
}

class CdrStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    rows_ = testing_cdr::trace_cdr_rows();
    ASSERT_EQ(rows_.size(), 43u);
    DbConfig c = GetParam() == "sqlite" ? testing_cdr::sqlite_config(dir_.file("panel.db"))
                                        : testing::mariadb_config("cdr");
    db_ = std::make_unique<Database>(c);
    if (GetParam() == "freepbx") {
      db_->with_session([](soci::session& s) { s << kFreePbxCdr; return 0; });
      cdr_ = CdrStore::open_freepbx(*db_);
    } else {
      cdr_ = std::make_unique<CdrStore>(*db_);
      ASSERT_EQ(cdr_->migrate(), 1);
    }
    for (const auto& r : rows_) add(r);
  }

  void add(const CdrRecord& r) {
    if (GetParam() == "freepbx") {
      insert_freepbx(*db_, r);
    } else {
      ASSERT_TRUE(cdr_->insert(r));
    }
  }

  // Every linkedid the query returns, walking all pages; fails on a repeated call.
  std::vector<std::string> walk(CdrQuery q) {
    std::vector<std::string> out;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = cdr_->query(q);
      for (const auto& c : page.calls) out.push_back(c.linkedid);
      if (!page.next) break;
      q.cursor = page.next;
    }
    std::set<std::string> uniq(out.begin(), out.end());
    EXPECT_EQ(uniq.size(), out.size()) << "a call appeared on two pages";
    return out;
  }
  std::set<std::string> ids(CdrQuery q) {
    auto v = walk(std::move(q));
    return {v.begin(), v.end()};
  }
  std::set<std::string> all_linkedids() const {
    std::set<std::string> s;
    for (const auto& r : rows_) s.insert(r.linkedid);
    return s;
  }

  test::TempDir dir_{"opdesk-cdr"};
  std::vector<CdrRecord> rows_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<CdrStore> cdr_;
};

TEST_P(CdrStoreTest, GroupsTheRowsOfOneLinkedidIntoOneCallNewestFirst) {
  CdrQuery q = everything();
  q.limit = 500;
  auto page = cdr_->query(q);
  EXPECT_EQ(page.total, static_cast<int64_t>(all_linkedids().size()));
  ASSERT_EQ(page.calls.size(), all_linkedids().size());
  EXPECT_FALSE(page.next);
  EXPECT_EQ(page.calls.front().linkedid, "1795502426.56");  // 06:40:26, the last call
  EXPECT_EQ(page.calls.back().linkedid, "1795501978.0");    // 06:32:58, the first call
  for (const auto& c : page.calls) {
    if (c.linkedid == "1795502225.31") {  // attended transfer: 5 rows, first is 06:37:05
      ASSERT_EQ(c.legs.size(), 5u);
      EXPECT_EQ(c.legs.front().calldate, "2026-11-24 06:37:05");
    }
    if (c.linkedid == "1795502049.8") {  // ringall queue attempt: answered + missed leg
      ASSERT_EQ(c.legs.size(), 2u);
      EXPECT_EQ(c.legs[0].recordingfile, "q-5001-1005-20261124-063409-1795502049.8.wav");
    }
  }
}

TEST_P(CdrStoreTest, KeysetPagesCoverEveryCallOnceWhileNewRowsArrive) {
  CdrQuery q = everything();
  q.limit = 4;
  auto first = cdr_->query(q);
  ASSERT_TRUE(first.next);
  std::vector<std::string> seen;
  for (const auto& c : first.calls) seen.push_back(c.linkedid);
  // New calls land (newer than everything) and a new leg of an old call, between pages.
  CdrRecord fresh = rows_[0];
  fresh.calldate = "2026-11-24 07:00:00";
  fresh.uniqueid = fresh.linkedid = "1795503600.99";
  add(fresh);
  q.cursor = first.next;
  auto rest = walk(q);
  seen.insert(seen.end(), rest.begin(), rest.end());
  std::set<std::string> uniq(seen.begin(), seen.end());
  EXPECT_EQ(uniq.size(), seen.size());
  EXPECT_EQ(uniq, all_linkedids());
}

TEST_P(CdrStoreTest, OffsetBaselineReturnsTheSamePagesAsTheCursor) {
  CdrQuery q = everything();
  q.limit = 7;
  auto keyset = walk(q);
  std::vector<std::string> offset;
  for (long long off = 0; off < 100; off += q.limit) {
    auto p = cdr_->query_offset(q, off);
    for (const auto& c : p.calls) offset.push_back(c.linkedid);
    if (p.calls.size() < static_cast<size_t>(q.limit)) break;
  }
  EXPECT_EQ(keyset, offset);
}

TEST_P(CdrStoreTest, FiltersByExtensionQueueDateAndDuration) {
  CdrQuery q = everything();
  q.extension = "1006";
  EXPECT_EQ(ids(q), (std::set<std::string>{"1795502041.6", "1795502068.11", "1795502148.20",
                                           "1795502225.31", "1795502247.36", "1795502290.42"}));
  q = everything();
  q.queue = "support";
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502049.8"});
  q.queue = "5002";
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502068.11"});
  q = everything();
  q.date_from = q.date_to = std::string("2026-11-24");
  EXPECT_EQ(ids(q), all_linkedids());
  q.date_from = q.date_to = std::string("2026-11-23");
  EXPECT_TRUE(ids(q).empty());
  q = everything();
  q.min_duration = 20;
  EXPECT_EQ(ids(q), (std::set<std::string>{"1795501995.2", "1795502374.55"}));
}

TEST_P(CdrStoreTest, OutcomeFiltersMatchTheOutcomeComputedFromTheLegs) {
  std::map<CdrOutcome, std::set<std::string>> expected = {
      {CdrOutcome::kBusy, {"1795502041.6", "1795502354.52"}},
      {CdrOutcome::kNoAnswer, {"1795501995.2"}},
      {CdrOutcome::kCancelled, {"1795502030.4"}},
      {CdrOutcome::kAbandoned, {"1795502068.11"}},
      {CdrOutcome::kFailed, {}}};
  for (const auto& [o, want] : expected) {
    CdrQuery q = everything();
    q.outcome = o;
    EXPECT_EQ(ids(q), want) << static_cast<int>(o);
  }
  CdrQuery q = everything();
  q.limit = 500;
  q.outcome = CdrOutcome::kAnswered;
  auto answered = cdr_->query(q);
  EXPECT_EQ(answered.calls.size(), all_linkedids().size() - 5);
  for (const auto& c : answered.calls) EXPECT_EQ(classify_outcome(c.legs), CdrOutcome::kAnswered);
}

TEST_P(CdrStoreTest, SearchFindsNumbersCallerNamesAndDirectoryNames) {
  CdrQuery q = everything();
  q.search = "1101";
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502354.52"});
  q.search = "Whisper";
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502133.19"});
  q.search = "Maria";  // no CDR text matches; the directory says Maria is 1101
  EXPECT_TRUE(ids(q).empty());
  q.search_extensions = {"1101"};
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502354.52"});
  q = everything();
  q.search = "50%";  // LIKE wildcards are literal
  EXPECT_TRUE(ids(q).empty());
}

TEST_P(CdrStoreTest, HasRecordingSplitsTheCalls) {
  std::set<std::string> with;
  for (const auto& r : rows_) {
    if (!r.recordingfile.empty()) with.insert(r.linkedid);
  }
  CdrQuery q = everything();
  q.has_recording = true;
  EXPECT_EQ(ids(q), with);
  q.has_recording = false;
  auto without = ids(q);
  for (const auto& id : without) EXPECT_EQ(with.count(id), 0u);
  EXPECT_EQ(with.size() + without.size(), all_linkedids().size());
}

TEST_P(CdrStoreTest, DirectionUsesKnownExtensionsChannelsAndContexts) {
  std::set<std::string> known = {"1001", "1002", "1003", "1004", "1005",
                                 "1006", "1007", "1008", "1101", "1102"};
  CdrRecord in = rows_[0];
  in.calldate = "2026-11-24 08:00:00";
  in.src = "0612345678";
  in.dcontext = "from-trunk";
  in.channel = "PJSIP/trunk-000000a0";
  in.uniqueid = in.linkedid = "1795508000.1";
  in.recordingfile.clear();
  CdrRecord out = rows_[0];
  out.calldate = "2026-11-24 08:01:00";
  out.dst = "0049301234";
  out.dstchannel = "PJSIP/trunk-000000a1";
  out.uniqueid = out.linkedid = "1795508060.2";
  add(in);
  add(out);
  CdrQuery q = everything();
  q.known_extensions = known;
  q.known_queues = {"5001", "5002", "support", "sales"};
  q.direction = CdrDirection::kInbound;
  EXPECT_EQ(ids(q), std::set<std::string>{"1795508000.1"});
  q.direction = CdrDirection::kOutbound;
  EXPECT_EQ(ids(q), std::set<std::string>{"1795508060.2"});
  q.direction = CdrDirection::kInternal;
  auto internal = ids(q);
  EXPECT_EQ(internal, all_linkedids());
  q.limit = 500;
  q.direction = CdrDirection::kAny;
  for (const auto& c : cdr_->query(q).calls) {
    auto d = classify_direction(c.legs.front(), q.known_extensions, q.known_queues);
    EXPECT_EQ(d, c.linkedid == "1795508000.1"   ? CdrDirection::kInbound
                 : c.linkedid == "1795508060.2" ? CdrDirection::kOutbound
                                                : CdrDirection::kInternal);
  }
}

TEST_P(CdrStoreTest, ScopeIsPartOfTheQueryTotalsAndPages) {
  CdrQuery q = everything();
  q.limit = 1;
  q.scope = CdrScope{false, {"1003"}, {}};
  auto scoped = walk(q);
  std::set<std::string> want;
  for (const auto& r : rows_) {
    if (r.src == "1003" || r.dst == "1003" || r.channel.rfind("PJSIP/1003-", 0) == 0 ||
        r.dstchannel.rfind("PJSIP/1003-", 0) == 0) {
      want.insert(r.linkedid);
    }
  }
  EXPECT_EQ(std::set<std::string>(scoped.begin(), scoped.end()), want);
  EXPECT_EQ(cdr_->query(q).total, static_cast<int64_t>(want.size()));
  q.scope = CdrScope{false, {}, {"sales"}};
  EXPECT_EQ(ids(q), std::set<std::string>{"1795502068.11"});
  q.scope = CdrScope{};  // nothing allowed → nothing, not everything
  EXPECT_TRUE(ids(q).empty());
  EXPECT_EQ(cdr_->query(q).total, 0);
  CdrScope agent{false, {"1101"}, {}};
  EXPECT_TRUE(cdr_->find_recording("internal-1101-1007-20261124-063914-1795502354.52.wav", agent));
  EXPECT_FALSE(cdr_->find_recording("internal-1002-1001-20261124-063258-1795501978.0.wav", agent));
}

TEST_P(CdrStoreTest, RawRowsPageThroughEveryRowOnce) {
  CdrQuery q = everything();
  q.raw = true;
  q.limit = 10;
  std::multiset<std::string> keys;
  for (int guard = 0; guard < 20; ++guard) {
    auto p = cdr_->query(q);
    EXPECT_EQ(p.total, 43);
    for (const auto& r : p.rows) keys.insert(r.uniqueid + "/" + std::to_string(r.sequence));
    if (!p.next) break;
    q.cursor = p.next;
  }
  EXPECT_EQ(keys.size(), 43u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 43u);
}

INSTANTIATE_TEST_SUITE_P(Backends, CdrStoreTest, ::testing::Values("sqlite", "mariadb", "freepbx"),
                         testing::backend_name);

TEST(CdrOwnStore, SameUniqueidAndSequenceTwiceIsStoredOnceAndJsonColumnsAreWritable) {
  test::TempDir dir("opdesk-cdr");
  Database db(testing_cdr::sqlite_config(dir.file("p.db")));
  CdrStore cdr(db);
  EXPECT_EQ(cdr.migrate(), 1);
  EXPECT_EQ(cdr.migrate(), 0);
  auto rows = testing_cdr::trace_cdr_rows();
  EXPECT_TRUE(cdr.insert(rows[0]));
  EXPECT_FALSE(cdr.insert(rows[0]));
  EXPECT_TRUE(cdr.set_journey(rows[0].linkedid, R"([{"event":"ring"}])"));
  EXPECT_TRUE(cdr.set_qos(rows[0].uniqueid, R"({"mes":88.1})"));
  EXPECT_FALSE(cdr.set_qos("no-such-id", "{}"));
  CdrQuery q = everything();
  auto page = cdr.query(q);
  ASSERT_EQ(page.calls.size(), 1u);
  ASSERT_EQ(page.calls[0].legs.size(), 1u);
  EXPECT_EQ(page.calls[0].legs[0].journey, R"([{"event":"ring"}])");
  EXPECT_EQ(page.calls[0].legs[0].qos, R"({"mes":88.1})");
}

}  // namespace
}  // namespace opdesk::store
