// Shared assertions of the faithfulness tests: the simulator's events for a flow, reduced per
// channel, per hint and per CDR, must equal the real trace's (after the initial sync).
#pragma once

#include "sim_harness.hpp"

namespace opdesk::sim::test {

inline size_t count_events(const std::vector<ami::Message>& f, std::string_view name) {
  size_t n = 0;
  for (auto& m : f) n += m.is_event(name);
  return n;
}

// Reads until as many Cdr events as the trace holds arrived (plus a short tail).
inline std::vector<ami::Message> collect_flow(AmiClient& c, const std::string& trace,
                                              std::chrono::milliseconds timeout = std::chrono::milliseconds(15000)) {
  size_t want = count_events(trace_after_sync(trace), "Cdr");
  auto end = Clock::now() + timeout;
  while (count_events(c.after_sync(), "Cdr") < want && Clock::now() < end) c.next(std::chrono::milliseconds(200));
  c.drain(std::chrono::milliseconds(150));
  return c.after_sync();
}

inline void expect_same_flow(const std::string& trace, const std::vector<ami::Message>& got_frames,
                             bool compare_hints = true) {
  auto want_frames = trace_after_sync(trace);
  auto want = per_channel(want_frames), got = per_channel(got_frames);
  ASSERT_FALSE(want.empty()) << "trace " << trace << " has no channel events";
  EXPECT_EQ(want, got) << "per-channel events differ\ntrace " << trace << ":\n" << dump(want) << "simulator:\n" << dump(got);
  if (compare_hints) {
    auto wh = hint_sequence(want_frames), gh = hint_sequence(got_frames);
    EXPECT_EQ(wh, gh) << "hint states differ\ntrace:\n" << dump(wh) << "simulator:\n" << dump(gh);
  }
  EXPECT_EQ(cdr_rows(want_frames), cdr_rows(got_frames));
}

}  // namespace opdesk::sim::test
