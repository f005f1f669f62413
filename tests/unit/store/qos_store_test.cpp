// QosStore (issue #10): per-leg summaries and per-call timelines in the panel's own tables, on
// SQLite and on a real MariaDB; rows survive a restart (a new Database on the same data), a
// replayed leg end replaces its row, and a day reads back only its own legs.
#include <gtest/gtest.h>

#include <memory>

#include "store/database.hpp"
#include "store/qos_store.hpp"
#include "store_fixture.hpp"

using namespace opdesk::store;

namespace {

class QosStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      config_.backend = "sqlite";
      config_.sqlite_path = dir_.file("panel.db");
      config_.pool_size = 2;
    } else {
      config_ = opdesk::store::testing::mariadb_config("qos");
    }
    open();
    ASSERT_EQ(qos_->migrate(), 1);
  }
  void open() {
    qos_.reset();
    db_ = std::make_unique<Database>(config_);
    qos_ = std::make_unique<QosStore>(*db_);
  }
  static QosLegRow leg(const std::string& uid, const std::string& linkedid, const std::string& ext,
                       const std::string& day, const std::string& grade) {
    return QosLegRow{uid, linkedid, ext, day, 1795502265000, grade, R"({"uniqueid":")" + uid + R"("})"};
  }

  opdesk::test::TempDir dir_{"opdesk-qos"};
  DbConfig config_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<QosStore> qos_;
};

}  // namespace

TEST_P(QosStoreTest, MigrateIsIdempotent) {
  EXPECT_EQ(qos_->migrate(), 0);
}

TEST_P(QosStoreTest, LegsAndTimelineSurviveARestart) {
  qos_->put_leg(leg("1795502247.36", "1795502247.36", "1006", "2026-11-24", "good"));
  qos_->put_leg(leg("1795502247.37", "1795502247.36", "1007", "2026-11-24", "good"));
  qos_->put_timeline(QosTimelineRow{"1795502247.36", 1795502265000, R"([{"t":1,"loss_pct":0}])"});
  open();  // the panel restarted: a new pool on the same data
  EXPECT_EQ(qos_->migrate(), 0);
  auto legs = qos_->legs_of_call("1795502247.36");
  ASSERT_EQ(legs.size(), 2u);
  EXPECT_EQ(legs[0].extension, "1006");
  EXPECT_EQ(legs[1].extension, "1007");
  EXPECT_EQ(legs[0].ended_at, 1795502265000);
  EXPECT_EQ(legs[0].summary, R"({"uniqueid":"1795502247.36"})");
  auto tl = qos_->timeline("1795502247.36");
  ASSERT_TRUE(tl);
  EXPECT_EQ(tl->points, R"([{"t":1,"loss_pct":0}])");
  EXPECT_FALSE(qos_->timeline("nope"));
}

TEST_P(QosStoreTest, AReplayedLegEndReplacesItsRow) {
  qos_->put_leg(leg("u1", "c1", "1003", "2026-11-24", "good"));
  qos_->put_leg(leg("u1", "c1", "1003", "2026-11-24", "poor"));
  qos_->put_timeline(QosTimelineRow{"c1", 1, "[]"});
  qos_->put_timeline(QosTimelineRow{"c1", 2, "[1]"});
  auto legs = qos_->legs_of_call("c1");
  ASSERT_EQ(legs.size(), 1u);
  EXPECT_EQ(legs[0].grade, "poor");
  EXPECT_EQ(qos_->timeline("c1")->points, "[1]");
}

TEST_P(QosStoreTest, ADayReadsOnlyItsOwnLegs) {
  qos_->put_leg(leg("a", "c1", "1003", "2026-11-24", "poor"));
  qos_->put_leg(leg("b", "c2", "1004", "2026-11-25", "good"));
  bool truncated = true;
  auto day = qos_->legs_of_day("2026-11-24", &truncated);
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].uniqueid, "a");
  EXPECT_FALSE(truncated);
  EXPECT_TRUE(qos_->legs_of_day("2026-11-23").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, QosStoreTest, ::testing::Values("sqlite", "mariadb"),
                         [](const auto& info) { return info.param; });
