// CRM config validation, payload shaping and lookup helpers (pure functions, no I/O).
#include <gtest/gtest.h>

#include "crm/contact_lookup.hpp"
#include "crm/crm_config.hpp"
#include "crm/payload.hpp"
#include "crm/signing.hpp"

using namespace opdesk::crm;

namespace {

CrmConfig enabled_api_key() {
  CrmConfig c;
  c.enabled = true;
  c.server_url = "https://crm.example.com";
  c.api_key = "k1";
  return c;
}

CallRecord sample_call() {
  CallRecord r;
  r.linkedid = "1700000000.42";
  r.direction = Direction::kInbound;
  r.caller_number = "+4930123456";
  r.caller_name = "Alice";
  r.callee_number = "201";
  r.extension = "201";
  r.queue = "support";
  r.start_ms = 1700000000000;
  r.answer_ms = 1700000010000;
  r.end_ms = 1700003735000;  // 1:02:15 after start
  r.outcome = Outcome::kAnswered;
  return r;
}

std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.field();
  }
  return "";
}

}  // namespace

TEST(CrmConfig, SettingsKeysOfTheUpstreamConnectorAreRead) {
  CrmConfig c = from_settings({{"CRM_ENABLED", "true"}, {"CRM_SERVER_URL", "https://crm.test"},
                               {"CRM_AUTH_TYPE", "basic_auth"}, {"CRM_USERNAME", "u"},
                               {"CRM_PASSWORD", "p"}, {"CRM_TIMEOUT", "12"},
                               {"CRM_VERIFY_SSL", "false"}, {"CRM_SYNC_FIELDS", "caller, queue"},
                               {"CRM_SYNC_STATUS_MAP", "{\"answered\":\"done\"}"},
                               {"CRM_SYNC_DURATION_FORMAT", "seconds"}, {"CRM_SYNC_METHOD", "put"}});
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.auth_type, AuthType::kBasic);
  EXPECT_EQ(c.timeout_s, 12);
  EXPECT_FALSE(c.verify_ssl);
  EXPECT_EQ(c.sync_fields, (std::vector<std::string>{"caller", "queue"}));
  EXPECT_EQ(c.sync_status_map.at("answered"), "done");
  EXPECT_EQ(c.sync_method, "PUT");
  EXPECT_NO_THROW(validate(c));
  CrmConfig back = from_settings([&] {
    std::map<std::string, std::string> kv;
    for (const auto& s : to_settings(c)) kv[s.key] = s.value;
    return kv;
  }());
  EXPECT_EQ(to_json(back), to_json(c));
}

TEST(CrmConfig, BadValuesAreRefusedNamingTheField) {
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.server_url = "ftp://x"; validate(c); }), "server_url");
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.api_key.clear(); validate(c); }), "api_key");
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.auth_type = AuthType::kOAuth2; c.oauth2_client_id = "id";
                          c.oauth2_client_secret = "s"; c.oauth2_token_url = "file:///etc"; validate(c); }),
            "oauth2_token_url");
  EXPECT_EQ(field_of([] { merge_json(enabled_api_key(), {{"sync_key_map", "{not json"}}); }), "sync_key_map");
  EXPECT_EQ(field_of([] { merge_json(enabled_api_key(), {{"timeout", "x"}}); }), "timeout");
  EXPECT_EQ(field_of([] { from_settings({{"CRM_SYNC_STATUS_MAP", "[1,2]"}}); }), "sync_status_map");
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.sync_fields = {"nope"}; validate_shaping(c); }), "sync_fields");
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.sync_key_map = {{"caller", "queue"}}; validate_shaping(c); }),
            "sync_key_map");
}

TEST(CrmConfig, SecretsAreWriteOnlyAndStarsKeepTheStoredValue) {
  CrmConfig c = enabled_api_key();
  c.server_url = "https://user:pw@crm.test/base?token=abc";
  nlohmann::json j = to_json(c);
  EXPECT_EQ(j["api_key"], "***");
  EXPECT_EQ(j["server_url"], "https://***@crm.test/base?token=***");
  EXPECT_EQ(j.dump().find("pw"), std::string::npos);
  CrmConfig kept = merge_json(c, j);
  EXPECT_EQ(kept.api_key, "k1");
  EXPECT_EQ(kept.server_url, c.server_url);
  CrmConfig changed = merge_json(c, {{"api_key", "k2"}});
  EXPECT_EQ(changed.api_key, "k2");
}

TEST(CrmPayload, DefaultBodyCarriesTheCallAndHmsDurations) {
  CrmConfig c = enabled_api_key();
  auto body = build_payload(c, sample_call(), CallEvent::kEnded, "https://panel/rec?sig=1");
  EXPECT_EQ(body["callId"], "1700000000.42");
  EXPECT_EQ(body["event"], "ended");
  EXPECT_EQ(body["callType"], "inbound");
  EXPECT_EQ(body["duration"], "01:02:15");
  EXPECT_EQ(body["talkTime"], "01:02:05");
  EXPECT_EQ(body["status"], "ANSWERED");
  EXPECT_EQ(body["startTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(body["recordingUrl"], "https://panel/rec?sig=1");
  EXPECT_FALSE(body.contains("qos"));
}

TEST(CrmPayload, FieldsKeyMapStatusMapAndSecondsShapeTheBody) {
  CrmConfig c = enabled_api_key();
  c.sync_fields = {"caller", "duration", "call_status"};
  c.sync_key_map = {{"caller", "from"}};
  c.sync_status_map = {{"answered", "Completed"}};
  c.sync_duration_format = "seconds";
  EXPECT_NO_THROW(validate_shaping(c));
  auto body = build_payload(c, sample_call(), CallEvent::kEnded, "");
  EXPECT_EQ(body, (nlohmann::json{{"event", "ended"}, {"callId", "1700000000.42"},
                                  {"from", "+4930123456"}, {"durationInSeconds", 3735},
                                  {"status", "Completed"}}));
}

TEST(CrmPayload, DirectionFilterFollowsTheConfig) {
  CrmConfig c;
  c.sync_dir_internal = false;
  EXPECT_TRUE(direction_enabled(c, Direction::kInbound));
  EXPECT_FALSE(direction_enabled(c, Direction::kInternal));
}

TEST(CrmSigning, KnownVectorsMatch) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(base64("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(idempotency_key("L1", "ended"), sha256_hex("L1|ended"));
}

TEST(CrmLookup, NameTemplatesAndNumberFormats) {
  auto doc = nlohmann::json::parse(R"({"data":[{"first":"Ada","last":"  Lovelace "}],"n":7})");
  EXPECT_EQ(apply_name_template("[data.0.first] [data.0.last]", doc), "Ada Lovelace");
  EXPECT_EQ(apply_name_template("[data.1.first]", doc), "");
  EXPECT_EQ(apply_name_template("No. [n]", doc), "No. 7");
  EXPECT_EQ(format_number("+49 30 1234", "digits"), "49301234");
  EXPECT_EQ(format_number("0049301234", "plus"), "+49301234");
  EXPECT_EQ(format_number("+49301234", "zeros"), "0049301234");
  EXPECT_EQ(phone_key("(030) 12-34"), "0301234");
}

TEST(CrmConfig, RetentionPrivateAddressAndRecordingKeysAreReadAndBlockPrivateWins) {
  CrmConfig c = from_settings({{"WEBHOOK_LOG_RETENTION_DAYS", "9"}, {"CRM_ALLOW_PRIVATE", "true"},
                               {"CRM_RECORDING_BASE_URL", "https://panel.example.com"},
                               {"CRM_RECORDING_TTL_HOURS", "12"}});
  EXPECT_EQ(c.retention_days, 9);
  EXPECT_TRUE(c.allow_private);
  EXPECT_EQ(c.recording_ttl_hours, 12);
  EXPECT_EQ(to_json(c)["recording_base_url"], "https://panel.example.com");
  EXPECT_EQ(from_settings({{"CRM_LOG_RETENTION_DAYS", "3"}, {"WEBHOOK_LOG_RETENTION_DAYS", "9"}}).retention_days, 3);
  EXPECT_FALSE(from_settings({{"CRM_ALLOW_PRIVATE", "true"}, {"CRM_BLOCK_PRIVATE", "true"}}).allow_private);
  EXPECT_EQ(field_of([] { merge_json(CrmConfig{}, {{"retention_days", 99999}}); }), "retention_days");
  EXPECT_EQ(field_of([] { from_settings({{"CRM_AUTH_TYPE", "digest"}}); }), "auth_type");
  CrmConfig none = from_settings({{"CRM_AUTH_TYPE", "none"}, {"CRM_ENABLED", "true"},
                                  {"CRM_SERVER_URL", "https://crm.example.com"}});
  EXPECT_EQ(none.auth_type, AuthType::kNone);
  EXPECT_NO_THROW(validate(none));  // no secret needed
  EXPECT_EQ(field_of([] { auto c = enabled_api_key(); c.api_key = "k\r\nX-Evil: 1"; validate(c); }), "api_key");
}
