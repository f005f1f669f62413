// Traffic and side outputs: WAV recordings named like FreePBX, trace replay with its pacing,
// load mode reaching its call rate, and the office day model being deterministic per seed.
#include <filesystem>

#include "flow_check.hpp"
#include "sim/wav.hpp"

namespace opdesk::sim::test {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("opdesk-sim-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(Clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

uint32_t le32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(b[at])) | static_cast<unsigned char>(b[at + 1]) << 8 |
         static_cast<unsigned char>(b[at + 2]) << 16 | static_cast<uint32_t>(static_cast<unsigned char>(b[at + 3])) << 24;
}

TEST(SimTraffic, AnsweredCallsLeaveAValidWavNamedLikeFreePbxAndAnnouncedInTheEvents) {
  TempDir dir;
  SimOptions o = lab_options();
  o.recordings_dir = dir.path.string();
  SimRunner r(o);
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  CallPlan p;
  p.from = "1001";
  p.to = "1002";
  p.ring = 1;
  p.talk = 4;
  r.sim->call(p);
  auto var = c.until_event("VarSet", "Variable", "MIXMONITOR_FILENAME");
  ASSERT_TRUE(var);
  std::string path(var->get("Value"));
  EXPECT_EQ(path.rfind(dir.path.string() + "/", 0), 0u) << path;
  std::string base = fs::path(path).filename().string();
  EXPECT_EQ(base.rfind("internal-1002-1001-", 0), 0u) << base;
  ASSERT_TRUE(c.until_event("Cdr"));
  std::string wav = read_file(path);
  ASSERT_GE(wav.size(), 44u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 4), "WAVE");
  EXPECT_EQ(le32(wav, 24), 8000u);                 // sample rate
  EXPECT_EQ(le32(wav, 40), wav.size() - 44);       // data size matches the file
  EXPECT_EQ(le32(wav, 40), 3u * 8000 * 2);         // 3 s kept (the call talked 4 s)
  // The folder layout is YYYY/MM/DD like /var/spool/asterisk/monitor.
  EXPECT_EQ(fs::relative(fs::path(path).parent_path(), dir.path).string().size(), 10u);
}

TEST(SimTraffic, WavWriterReportsAnUnwritablePath) {
  std::string error;
  EXPECT_FALSE(write_wav("/proc/opdesk-no/such.wav", 1, 1, error));
  EXPECT_FALSE(error.empty());
}

TEST(SimTraffic, ReplaySendsTheCapturedBytesToAClient) {
  SimOptions o = lab_options(200);
  o.replay_file = std::string(OPDESK_TRACE_DIR) + "/03-internal-call-answer-hangup.ami";
  o.replay_timing = std::string(OPDESK_TRACE_DIR) + "/meta/03-internal-call-answer-hangup.timing";
  SimRunner r(o);
  AmiClient c(r.sim->port());
  c.send({{"Action", "Login"}, {"ActionID", "opdesk-login-1"}, {"Username", "opdesk"}, {"Secret", "x"}});
  while (c.next(std::chrono::milliseconds(3000))) {
  }
  auto want = trace_frames("03-internal-call-answer-hangup.ami");
  ASSERT_EQ(c.frames.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(c.frames[i].serialize(), want[i].serialize()) << i;
  EXPECT_EQ(c.banner, "Asterisk Call Manager/11.0.0");
  auto actions = r.sim->received_actions();
  ASSERT_FALSE(actions.empty());
  EXPECT_NE(actions.front().find("Login"), std::string::npos);
}

TEST(SimTraffic, LoadModeReachesItsCallRateAndReportsIt) {
  SimOptions o = lab_options(10);
  o.extensions = 2000;
  o.load = true;
  o.calls_per_second = 50;
  SimRunner r(o);
  AmiClient c(r.sim->port());
  ASSERT_TRUE(c.login(r.options.secret));
  auto end = Clock::now() + std::chrono::seconds(20);
  while (r.sim->stats().calls_started < 200 && Clock::now() < end) c.next(std::chrono::milliseconds(100));
  Stats s = r.sim->stats();
  EXPECT_GE(s.calls_started, 200u);
  EXPECT_GT(s.achieved_calls_per_second, 25.0);
  EXPECT_GT(s.events, 1000u);
  EXPECT_GT(count_events(c.frames, "Newchannel"), 100u);
  EXPECT_EQ(count_events(c.frames, "Newexten"), 0u) << "load mode skips dialplan noise";
}

std::vector<std::string> office_day(uint64_t seed) {
  SimOptions o = lab_options(50);  // the first calls start 5 s (100 ms) after boot
  o.office = true;
  o.extensions = 100;
  o.seed = seed;
  SimRunner r(o);
  AmiClient c(r.sim->port());
  EXPECT_TRUE(c.login(r.options.secret));
  auto end = Clock::now() + std::chrono::seconds(20);
  std::vector<std::string> calls;
  while (calls.size() < 12 && Clock::now() < end) {
    auto m = c.next(std::chrono::milliseconds(200));
    if (m && m->is_event("Newchannel") && m->get("Linkedid") == m->get("Uniqueid"))
      calls.push_back(std::string(m->get("CallerIDNum")) + "→" + std::string(m->get("Exten")));
  }
  return calls;
}

TEST(SimTraffic, TheOfficeDayIsDeterministicForASeed) {
  auto a = office_day(7), b = office_day(7), other = office_day(8);
  ASSERT_EQ(a.size(), 12u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other);
}

}  // namespace
}  // namespace opdesk::sim::test
