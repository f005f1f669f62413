// Parser tests: whole frames, byte-by-byte, random splits, quirks of real Asterisk, limits.
#include "ami/parser.hpp"

#include <gtest/gtest.h>

#include <random>

using opdesk::ami::Message;
using opdesk::ami::Parser;

namespace {

std::vector<Message> parse_all(Parser& p, std::vector<std::string>* banners = nullptr,
                               int* errors = nullptr) {
  std::vector<Message> out;
  Message m;
  std::string detail;
  for (;;) {
    auto r = p.next(m, detail);
    if (r == Parser::Result::kNeedMore) break;
    if (r == Parser::Result::kMessage) out.push_back(m);
    if (r == Parser::Result::kBanner && banners) banners->push_back(detail);
    if (r == Parser::Result::kError && errors) ++*errors;
  }
  return out;
}

const std::string kStream =
    "Asterisk Call Manager/11.0.0\r\n"
    "Response: Success\r\nActionID: a-1\r\nMessage: Authentication accepted\r\n\r\n"
    "Event: Newchannel\r\nChannel: PJSIP/1001-00000000\r\nUniqueid: 1795501978.0\r\n\r\n"
    "Response: Error\r\nActionID: a-7\r\nMessage: No Contacts found\n\r\n\r\n"
    "Event: Hangup\r\nChannel: PJSIP/1001-00000000\r\nCause-txt: Normal Clearing\r\n\r\n";

}  // namespace

TEST(AmiParser, ParsesBannerResponsesAndEventsFedWhole) {
  Parser p;
  p.feed(kStream);
  std::vector<std::string> banners;
  auto msgs = parse_all(p, &banners);
  ASSERT_EQ(banners.size(), 1u);
  EXPECT_EQ(banners[0], "Asterisk Call Manager/11.0.0");
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0].response(), "Success");
  EXPECT_EQ(msgs[0].action_id(), "a-1");
  EXPECT_TRUE(msgs[1].is_event("newchannel"));
  EXPECT_EQ(msgs[1].get("uniqueid"), "1795501978.0");
  EXPECT_EQ(msgs[2].get("Message"), "No Contacts found");
  EXPECT_EQ(msgs[3].get("Cause-txt"), "Normal Clearing");
}

TEST(AmiParser, SameResultFedByteByByteAndAtRandomSplits) {
  Parser whole;
  whole.feed(kStream);
  auto expected = parse_all(whole);
  Parser bytes;
  std::vector<Message> got;
  for (char c : kStream) {
    bytes.feed(std::string_view(&c, 1));
    auto part = parse_all(bytes);
    got.insert(got.end(), part.begin(), part.end());
  }
  ASSERT_EQ(got.size(), expected.size());
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    Parser split;
    std::vector<Message> out;
    size_t i = 0;
    while (i < kStream.size()) {
      size_t len = 1 + rng() % 40;
      split.feed(std::string_view(kStream).substr(i, len));
      i += len;
      auto part = parse_all(split);
      out.insert(out.end(), part.begin(), part.end());
    }
    ASSERT_EQ(out.size(), expected.size());
    for (size_t k = 0; k < out.size(); ++k) EXPECT_EQ(out[k].raw(), expected[k].raw());
  }
}

TEST(AmiParser, MessageSurvivesCopyAndMove) {
  Parser p;
  p.feed("Event: A\r\nX: 1\r\n\r\n");
  Message m;
  std::string d;
  ASSERT_EQ(p.next(m, d), Parser::Result::kMessage);
  Message copy = m;
  Message moved = std::move(m);
  EXPECT_EQ(copy.get("X"), "1");
  EXPECT_EQ(moved.get("x"), "1");
}

TEST(AmiParser, LegacyCommandOutputBecomesOutputFields) {
  Parser p;
  p.feed("Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n/DND/1001 : YES\n/DND/1002 : YES\n--END COMMAND--\r\n\r\n");
  auto msgs = parse_all(p);
  ASSERT_EQ(msgs.size(), 1u);
  auto out = msgs[0].get_all("Output");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "/DND/1001 : YES");
  EXPECT_EQ(msgs[0].action_id(), "c1");
}

TEST(AmiParser, OversizedFrameIsSkippedAndStreamContinues) {
  Parser p(Parser::Limits{64, 8});
  int errors = 0;
  p.feed("Event: Big\r\nData: " + std::string(200, 'x') + "\r\n\r\nEvent: Small\r\n\r\n");
  auto msgs = parse_all(p, nullptr, &errors);
  EXPECT_EQ(errors, 1);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].is_event("Small"));
}

TEST(AmiParser, BannerInTheMiddleDropsTheTruncatedFrame) {
  Parser p;
  int errors = 0;
  std::vector<std::string> banners;
  p.feed("Event: Cut\r\nChannel: PJSIP/1-0\r\nAsterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n");
  auto msgs = parse_all(p, &banners, &errors);
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(banners.size(), 1u);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].response(), "Success");
}
