// Issue #25: the upstream call-log record and journey built from CDR legs, the upstream query
// defaults (30-day window, limit beyond one page, 400 naming the field), and the AMI capture
// ring (off by default, bounded, filtered).
#include <gtest/gtest.h>

#include "ami/message.hpp"
#include "api/http_util.hpp"
#include "api/upstream_call_log.hpp"
#include "api/upstream_routes.hpp"

namespace opdesk::api {
namespace {

store::CdrRecord leg(std::string at, std::string dstchannel, std::string disp, int64_t dur, int64_t bill) {
  store::CdrRecord r;
  r.calldate = std::move(at);
  r.clid = "\"Client\" <0612345678>";
  r.src = "0612345678";
  r.dst = "5001";
  r.dcontext = "from-trunk";
  r.channel = "PJSIP/trunk-00000001";
  r.dstchannel = std::move(dstchannel);
  r.lastapp = "Queue";
  r.lastdata = "support,t";
  r.disposition = std::move(disp);
  r.duration = dur;
  r.billsec = bill;
  r.uniqueid = "1700000000.1";
  r.linkedid = "1700000000.1";
  r.recordingfile = "2026/12/07/q-5001-0612345678.wav";
  return r;
}

store::CallGroup queue_call() {
  store::CallGroup c;
  c.linkedid = "1700000000.1";
  c.legs.push_back(leg("2026-12-07 10:00:00", "PJSIP/1001-00000002", "NO ANSWER", 15, 0));
  c.legs.push_back(leg("2026-12-07 10:00:00", "PJSIP/1002-00000003", "ANSWERED", 75, 60));
  return c;
}

store::CdrQuery known() {
  store::CdrQuery q;
  q.known_extensions = {"1001", "1002"};
  q.known_queues = {"5001", "support"};
  return q;
}

TEST(UpstreamCallLog, RecordHasTheUpstreamFieldsAndValues) {
  auto r = upstream_call_record(queue_call(), known(), CallLogContext{});
  for (const char* k : {"calldate", "src", "dst", "phone_number", "customer_name", "duration", "talk",
                        "disposition", "status", "QoS", "extension", "call_type", "recording_path",
                        "recording_file", "app", "call_journey_count", "linkedid", "uniqueid",
                        "is_supervision", "supervision"}) {
    EXPECT_TRUE(r.contains(k)) << k;
  }
  EXPECT_EQ(r["call_type"], "IN");
  EXPECT_EQ(r["phone_number"], "0612345678");
  EXPECT_EQ(r["customer_name"], "Client");
  EXPECT_EQ(r["extension"], "1002");
  EXPECT_EQ(r["status"], "ANSWERED");
  EXPECT_EQ(r["disposition"], "ANSWERED");
  EXPECT_EQ(r["talk"], 60);
  EXPECT_EQ(r["duration"], 75);
  EXPECT_EQ(r["app"], "queue");
  EXPECT_EQ(r["call_journey_count"], 2);
  EXPECT_EQ(r["recording_file"], "q-5001-0612345678.wav");
  EXPECT_EQ(r["is_supervision"], false);
  EXPECT_TRUE(r["supervision"].is_null());
}

TEST(UpstreamCallLog, JourneyOrdersStepsWithDurations) {
  auto j = upstream_journey(queue_call(), known())["journey"];
  std::vector<std::string> events;
  for (const auto& e : j) events.push_back(e["event"]);
  EXPECT_EQ(events, (std::vector<std::string>{"INBOUND", "QUEUE_ENTER", "RING", "RING", "NO_ANSWER",
                                              "ANSWER", "HANGUP"}));
  EXPECT_EQ(j[0]["time"], "10:00:00");
  EXPECT_EQ(j[4]["agent"], "1001");
  EXPECT_EQ(j[4]["reason"], "NO ANSWER");
  EXPECT_EQ(j[4]["duration"], 0);       // 1002 answers the same second
  EXPECT_EQ(j[5]["agent"], "1002");
  EXPECT_EQ(j[5]["time"], "10:00:15");  // calldate + duration − billsec
  EXPECT_EQ(j[5]["duration"], 60);      // until the hangup
  EXPECT_EQ(j[6]["time"], "10:01:15");
  EXPECT_FALSE(j[6].contains("duration"));
}

TEST(UpstreamCallLog, QueryDefaultsAndErrors) {
  auto q = parse_upstream_call_log_query({}, CallLogScope{true, {}, {}}, "2026-12-07");
  EXPECT_EQ(q.limit, 100);
  EXPECT_EQ(q.q.cdr.date_from, "2026-11-07");
  EXPECT_EQ(q.q.cdr.date_to, "2026-12-07");
  auto big = parse_upstream_call_log_query({{"limit", "1000"}, {"date", "2026-12-01"}}, CallLogScope{true, {}, {}}, "2026-12-07");
  EXPECT_EQ(big.limit, 1000);
  EXPECT_EQ(big.q.cdr.limit, store::kCdrMaxLimit);
  EXPECT_EQ(big.q.cdr.date_from, "2026-12-01");
  try {
    parse_upstream_call_log_query({{"limit", "0"}}, CallLogScope{}, "2026-12-07");
    FAIL() << "limit=0 accepted";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.field, "limit");
  }
}

TEST(AmiCapture, OffByDefaultBoundedAndFiltered) {
  AmiCapture c;
  auto ev = [](const char* name, const char* ch) {
    return ami::Message::from_fields({{"Event", name}, {"Channel", ch}, {"Secret", "s3cret"}});
  };
  c.on_frame(ev("Newchannel", "PJSIP/1001-1"), 1000);
  EXPECT_TRUE(c.lines(0, "", "").empty());
  c.set_enabled(true);
  for (size_t i = 0; i < AmiCapture::kMax + 5; ++i) c.on_frame(ev(i % 2 ? "Hangup" : "Newchannel", "PJSIP/1001-1"), 1000);
  auto all = c.lines(0, "", "", 100000);
  EXPECT_EQ(all.size(), AmiCapture::kMax);
  EXPECT_EQ(all.back()["seq"], static_cast<int64_t>(AmiCapture::kMax + 5));
  EXPECT_EQ(all.back()["fields"]["Secret"], "***");
  auto hangups = c.lines(0, "Hangup", "", 100000);
  EXPECT_EQ(hangups.size(), AmiCapture::kMax / 2);
  EXPECT_EQ(c.event_names(), (nlohmann::json{"Hangup", "Newchannel"}));
  c.set_enabled(false);
  EXPECT_TRUE(c.lines(0, "", "").empty());
}

}  // namespace
}  // namespace opdesk::api
