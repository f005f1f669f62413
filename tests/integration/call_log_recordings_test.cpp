// Recording playback against real files in a temp root laid out like FreePBX
// (YYYY/MM/DD/<file>) and the real CDR rows in SQLite: signatures, scope, Range, and every
// traversal attempt (.., encoded .., absolute paths, symlinks leaving the root).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/http_util.hpp"
#include "api/recordings.hpp"
#include "store/cdr_store.hpp"
#include "store/database.hpp"
#include "support/temp_dir.hpp"
#include "unit/store/cdr_fixture.hpp"

namespace opdesk::api {
namespace {
namespace fs = std::filesystem;

const std::string kQueueFile = "q-5001-1005-20261124-063409-1795502049.8.wav";  // 1005→5001, 1002
const std::string kOtherFile = "internal-1002-1001-20261124-063258-1795501978.0.wav";

void write(const fs::path& p, size_t n) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  for (size_t i = 0; i < n; ++i) out.put(static_cast<char>('A' + i % 26));
}

class Recordings : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<store::Database>(testing_cdr::sqlite_config(tmp_.file("p.db")));
    cdr_ = std::make_unique<store::CdrStore>(*db_);
    cdr_->migrate();
    auto rows = testing_cdr::trace_cdr_rows();
    for (const auto& r : rows) cdr_->insert(r);
    // Two calls whose recordingfile points at a trap (symlink out / file outside the root).
    auto trap = rows[0];
    trap.uniqueid = trap.linkedid = "1795509999.1";
    trap.recordingfile = "evil.wav";
    cdr_->insert(trap);
    trap.uniqueid = trap.linkedid = "1795509999.2";
    trap.recordingfile = "secret.wav";
    cdr_->insert(trap);
    root_ = fs::path(tmp_.path()) / "monitor";
    day_ = root_ / "2026" / "11" / "24";
    write(day_ / kQueueFile, 1000);
    write(day_ / kOtherFile, 44);
    write(fs::path(tmp_.path()) / "outside" / "secret.wav", 10);
    fs::create_symlink(fs::path(tmp_.path()) / "outside" / "secret.wav", day_ / "evil.wav");
    ctx_ = RecordingContext{root_, "rec-key", 1795502400, {}};
    Principal admin;
    admin.user_id = 7;
    admin.username = "boss";
    admin.role = "admin";
    admin.all = true;
    signers_[7] = admin;
    ctx_.signer = [this](int64_t uid) -> std::optional<Principal> {
      auto it = signers_.find(uid);
      if (it == signers_.end()) return std::nullopt;
      return it->second;
    };
  }
  Request req(const std::string& file, std::map<std::string, std::string> query = {},
              std::string range = {}) {
    Request r;
    r.method = "GET";
    r.path = "/api/recordings/" + file;
    r.params["path"] = file;
    r.query = std::move(query);
    if (!range.empty()) r.headers.emplace_back("range", range);
    return r;
  }
  std::map<std::string, std::string> signed_query(const std::string& file, int64_t uid = 7,
                                                  int64_t exp_in = 600) {
    int64_t exp = ctx_.now_unix + exp_in;
    return {{"exp", std::to_string(exp)}, {"uid", std::to_string(uid)},
            {"sig", recording_signature("rec-key", file, exp, uid)}};
  }
  RecordingResult serve(const Request& r, const Principal* p = nullptr) {
    return serve_recording(r, p, ctx_, recording_finder(*cdr_));
  }
  static std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  test::TempDir tmp_{"opdesk-rec"};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::CdrStore> cdr_;
  fs::path root_, day_;
  RecordingContext ctx_;
  std::map<int64_t, Principal> signers_;  // users that exist and are enabled
};

TEST_F(Recordings, ASignedUrlPlaysTheWholeFileFromTheFreePbxDayFolderAndIsAudited) {
  auto res = serve(req(kQueueFile, signed_query(kQueueFile)));
  EXPECT_EQ(res.response.status, 200);
  EXPECT_EQ(res.response.content_type, "audio/wav");
  ASSERT_EQ(res.response.body.size(), 1000u);
  EXPECT_EQ(res.response.body.substr(0, 3), "ABC");
  EXPECT_EQ(header(res.response, "Accept-Ranges"), "bytes");
  ASSERT_TRUE(res.audit);
  EXPECT_EQ((*res.audit)["result"], "ok");
  EXPECT_EQ((*res.audit)["via"], "signature");
  EXPECT_EQ((*res.audit)["user_id"], 7);
  EXPECT_EQ((*res.audit)["linkedid"], "1795502049.8");
}

TEST_F(Recordings, BadExpiredOrForeignSignaturesAreRefused) {
  auto q = signed_query(kQueueFile);
  q["sig"][0] = q["sig"][0] == 'a' ? 'b' : 'a';
  EXPECT_EQ(serve(req(kQueueFile, q)).response.status, 403);
  auto expired = serve(req(kQueueFile, signed_query(kQueueFile, 7, -1)));
  EXPECT_EQ(expired.response.status, 403);
  EXPECT_NE(expired.response.body.find("recording.url.expired"), std::string::npos);
  auto other = signed_query(kQueueFile, 7);
  other["uid"] = "8";  // signed for user 7, presented as user 8
  EXPECT_EQ(serve(req(kQueueFile, other)).response.status, 403);
  auto for_other_file = signed_query(kOtherFile);
  EXPECT_EQ(serve(req(kQueueFile, for_other_file)).response.status, 403);
  EXPECT_EQ(serve(req(kQueueFile)).response.status, 401);
  EXPECT_EQ(serve(req(kQueueFile, {{"token", "jwt"}})).response.status, 401);  // token: auth layer's job
  EXPECT_THROW(serve(req(kQueueFile, {{"bogus", "1"}})), ApiError);
}

// Issue 18: /api/recordings/x?sig=00&exp=…&uid=1 from nobody wrote an audit row as user 1.
TEST_F(Recordings, AForgedOrExpiredSignatureWritesNoAuditRow) {
  auto q = signed_query(kQueueFile);
  q["sig"] = "00";
  auto forged = serve(req(kQueueFile, q));
  EXPECT_EQ(forged.response.status, 403);
  EXPECT_FALSE(forged.audit);
  EXPECT_FALSE(serve(req(kQueueFile, signed_query(kQueueFile, 7, -1))).audit);
  auto no_exp = signed_query(kQueueFile);
  no_exp.erase("exp");
  EXPECT_FALSE(serve(req(kQueueFile, no_exp)).audit);
  EXPECT_FALSE(serve(req("/etc/passwd", {{"sig", "00"}, {"exp", "1"}, {"uid", "1"}})).audit);
}

// Issue 18: signed URLs outlived a deleted or disabled user and a narrowed scope.
TEST_F(Recordings, ASignedUrlIsCheckedAgainstItsUserAtUse) {
  auto q = signed_query(kQueueFile, 7);
  EXPECT_EQ(serve(req(kQueueFile, q)).response.status, 200);
  Principal narrowed;  // user 7 demoted to an agent on an extension not in the call
  narrowed.user_id = 7;
  narrowed.username = "boss";
  narrowed.role = "agent";
  narrowed.extension = "1007";
  signers_[7] = narrowed;
  EXPECT_EQ(serve(req(kQueueFile, q)).response.status, 404);
  signers_.erase(7);  // deleted or disabled
  auto gone = serve(req(kQueueFile, q));
  EXPECT_EQ(gone.response.status, 403);
  EXPECT_NE(gone.response.body.find("recording.url.revoked"), std::string::npos);
  ASSERT_TRUE(gone.audit);  // the signature was ours: the attempt is audited
  EXPECT_EQ((*gone.audit)["result"], "denied");
  ctx_.signer = nullptr;  // no way to check the user: refused, never unrestricted
  EXPECT_EQ(serve(req(kQueueFile, q)).response.status, 403);
  // uid 0 is a system link (CRM payloads): no user to check.
  EXPECT_EQ(serve(req(kQueueFile, signed_query(kQueueFile, 0))).response.status, 200);
}

// Issue 25: the upstream client asks for /api/recordings/<absolute path>?token=JWT.
TEST_F(Recordings, TheUpstreamAbsolutePathFormIsServedUnderTheRootOnly) {
  Principal admin;
  admin.user_id = 1;
  admin.role = "admin";
  admin.all = true;
  const std::string inside = (day_ / kQueueFile).string();
  Request r = req(inside);  // path "/api/recordings//tmp/.../monitor/2026/11/24/q-....wav"
  r.params["path"] = inside.substr(1);  // what the router gives (it drops the empty segment)
  auto ok = serve(r, &admin);
  EXPECT_EQ(ok.response.status, 200);
  EXPECT_EQ(ok.response.body.size(), 1000u);
  ctx_.root = root_.string() + "/";  // a configured root with a trailing slash
  EXPECT_EQ(serve(r, &admin).response.status, 200);
  for (const std::string& outside : {std::string("/etc/passwd"), std::string("/nonexistent/") + kQueueFile,
                                     (fs::path(tmp_.path()) / "outside" / "secret.wav").string(),
                                     root_.string() + "/../outside/secret.wav"}) {
    Request o = req(outside);
    o.params["path"] = outside.substr(1);
    auto res = serve(o, &admin);
    EXPECT_EQ(res.response.status, 403) << outside;
    EXPECT_EQ(res.response.body.find("ABC"), std::string::npos);
  }
}

TEST(RecordingAuth, TheQueryTokenStandsInForAMissingAuthorizationHeaderOnly) {
  Request r;
  r.query["token"] = "eyJhbGciOiJIUzI1NiJ9.e30.sig";
  EXPECT_EQ(recording_auth_request(r).header("authorization"), "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig");
  r.headers.emplace_back("authorization", "Bearer header-token");
  EXPECT_EQ(recording_auth_request(r).header("authorization"), "Bearer header-token");
  Request k;
  k.query["token"] = "opd_" + std::string(40, 'a');
  EXPECT_THROW(recording_auth_request(k), ApiError);  // API keys never travel in URLs
  Request none;
  EXPECT_EQ(recording_auth_request(none).header("authorization"), "");
}

TEST_F(Recordings, ABearerPrincipalGetsOnlyRecordingsOfCallsInItsScope) {
  Principal agent;
  agent.user_id = 3;
  agent.role = "agent";
  agent.extension = "1002";  // answered the queue call
  EXPECT_EQ(serve(req(kQueueFile), &agent).response.status, 200);
  Principal other;
  other.user_id = 4;
  other.role = "agent";
  other.extension = "1007";
  auto denied = serve(req(kQueueFile), &other);
  EXPECT_EQ(denied.response.status, 404);
  ASSERT_TRUE(denied.audit);
  EXPECT_EQ((*denied.audit)["result"], "denied");
  Principal supervisor;
  supervisor.role = "supervisor";
  supervisor.queues = {"support"};
  EXPECT_EQ(serve(req(kQueueFile), &supervisor).response.status, 200);
}

TEST_F(Recordings, RangeRequestsGetPartialContentAndBadRangesGet416) {
  auto q = signed_query(kQueueFile);
  auto part = serve(req(kQueueFile, q, "bytes=10-19")).response;
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "KLMNOPQRST");
  EXPECT_EQ(header(part, "Content-Range"), "bytes 10-19/1000");
  auto tail = serve(req(kQueueFile, q, "bytes=-4")).response;
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(header(tail, "Content-Range"), "bytes 996-999/1000");
  auto open = serve(req(kQueueFile, q, "bytes=990-")).response;
  EXPECT_EQ(open.body.size(), 10u);
  for (const char* bad : {"bytes=1000-", "bytes=5-2", "bytes=0-1,5-6", "items=0-1", "bytes=x-"}) {
    auto r = serve(req(kQueueFile, q, bad)).response;
    EXPECT_EQ(r.status, 416) << bad;
    EXPECT_EQ(header(r, "Content-Range"), "bytes */1000") << bad;
  }
}

TEST_F(Recordings, ResponsesNeverCarryMoreThanEightMebibytes) {
  write(day_ / kQueueFile, kMaxRecordingChunk + 4096);
  auto r = serve(req(kQueueFile, signed_query(kQueueFile))).response;
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body.size(), kMaxRecordingChunk);
  EXPECT_EQ(header(r, "Content-Range"),
            "bytes 0-" + std::to_string(kMaxRecordingChunk - 1) + "/" +
                std::to_string(kMaxRecordingChunk + 4096));
}

TEST_F(Recordings, EveryTraversalAttemptIsRefused) {
  int status = 0;
  const std::string outside = (fs::path(tmp_.path()) / "outside" / "secret.wav").string();
  for (const std::string& attempt :
       {std::string("../outside/secret.wav"), std::string("2026/11/24/../../../../outside/secret.wav"),
        std::string("%2e%2e/outside/secret.wav"), std::string("%252e%252e/outside/secret.wav"),
        std::string("..\\outside\\secret.wav"), outside, std::string("2026/11/24/evil.wav"), std::string("/etc/passwd")}) {
    EXPECT_FALSE(resolve_recording(root_, attempt, "", status)) << attempt;
    EXPECT_EQ(status, 403) << attempt;
  }
  EXPECT_FALSE(resolve_recording(root_, "missing.wav", "2026-11-24 06:00:00", status));
  EXPECT_EQ(status, 404);
  auto inside = (day_ / kOtherFile).string();
  EXPECT_TRUE(resolve_recording(root_, inside, "", status));  // absolute but inside the root
  EXPECT_TRUE(resolve_recording(root_, kOtherFile, "", status));  // day from the file name
  // Through the handler, with a valid signature for the traversal path: still refused.
  for (const std::string& attempt : {std::string("../outside/secret.wav"), std::string("evil.wav"), outside}) {
    auto r = serve(req(attempt, signed_query(attempt)));
    EXPECT_EQ(r.response.status, 403) << attempt;
    EXPECT_TRUE(r.response.body.find("ABC") == std::string::npos);
  }
}

TEST(RecordingTypes, ContentTypesFollowTheExtension) {
  EXPECT_EQ(recording_content_type("a.WAV"), "audio/wav");
  EXPECT_EQ(recording_content_type("a.mp3"), "audio/mpeg");
  EXPECT_EQ(recording_content_type("a.ogg"), "audio/ogg");
  EXPECT_EQ(recording_content_type("a.gsm"), "audio/x-gsm");
  EXPECT_EQ(recording_content_type("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace opdesk::api
