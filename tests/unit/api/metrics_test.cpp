// api::Metrics registration helpers (issue #12): gauges and counters mirrored from a
// component's own totals at scrape time (used by CRM for its outbox), collectors, and the
// built-in totals; checked on the rendered Prometheus text.
#include <gtest/gtest.h>

#include <regex>

#include "api/metrics.hpp"

namespace opdesk::api {
namespace {

double sample(const std::string& text, const std::string& name) {
  std::smatch m;
  std::regex re("\n" + name + " ([0-9.e+-]+)\n");
  std::string t = "\n" + text;
  if (!std::regex_search(t, m, re)) return -1;
  return std::stod(m[1]);
}

TEST(Metrics, AMirroredCounterFollowsItsTotalAndNeverGoesDown) {
  Metrics m;
  double total = 3;
  m.add_counter("opdesk_test_failures_total", "test", [&] { return total; });
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE opdesk_test_failures_total counter"), std::string::npos);
  EXPECT_EQ(sample(text, "opdesk_test_failures_total"), 3);
  total = 7;
  EXPECT_EQ(sample(m.render(), "opdesk_test_failures_total"), 7);
  total = 2;  // the component restarted its count: the exported counter stays
  EXPECT_EQ(sample(m.render(), "opdesk_test_failures_total"), 7);
  total = 9;
  EXPECT_EQ(sample(m.render(), "opdesk_test_failures_total"), 9);
}

TEST(Metrics, GaugesAndCollectorsRunAtEveryScrape) {
  Metrics m;
  int scrapes = 0;
  double depth = 4;
  m.add_collector([&] { ++scrapes; });
  m.add_gauge("opdesk_test_depth", "test", [&] { return depth; });
  EXPECT_EQ(sample(m.render(), "opdesk_test_depth"), 4);
  depth = 1;
  EXPECT_EQ(sample(m.render(), "opdesk_test_depth"), 1);
  EXPECT_EQ(scrapes, 2);
}

TEST(Metrics, BuiltInTotalsAreSetFromCumulativeValues) {
  Metrics m;
  m.set_resyncs_total(2);
  m.set_delta_bytes_total(100);
  m.set_delta_bytes_total(50);  // lower: ignored
  std::string text = m.render();
  EXPECT_EQ(sample(text, "opdesk_ami_resyncs_total"), 2);
  EXPECT_EQ(sample(text, "opdesk_ws_bytes_total"), 100);
}

}  // namespace
}  // namespace opdesk::api
