// HTTPS delivery (test CA, verification on/off) and the SSRF guard, against real receivers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "crm/http_client.hpp"
#include "crm/ssrf.hpp"
#include "crm_panel.hpp"

#include <future>
#include "support/http_receiver.hpp"
#include "support/temp_dir.hpp"

using namespace opdesk;
using namespace opdesk::crm;

namespace {

AddressClass of(const std::string& text) {
  bool literal = false;
  AddressClass c = classify_text(text, &literal);
  EXPECT_TRUE(literal) << text;
  return c;
}

}  // namespace

TEST(CrmSsrf, AddressesAreClassifiedByRange) {
  EXPECT_EQ(of("169.254.169.254"), AddressClass::kBlocked);
  EXPECT_EQ(of("fd00:ec2::254"), AddressClass::kBlocked);
  EXPECT_EQ(of("fe80::1"), AddressClass::kBlocked);
  EXPECT_EQ(of("0.0.0.0"), AddressClass::kBlocked);
  EXPECT_EQ(of("::"), AddressClass::kBlocked);
  EXPECT_EQ(of("224.0.0.1"), AddressClass::kBlocked);
  EXPECT_EQ(of("::ffff:169.254.169.254"), AddressClass::kBlocked);
  EXPECT_EQ(of("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(of("::1"), AddressClass::kLoopback);
  EXPECT_EQ(of("::ffff:127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(of("10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(of("172.31.255.255"), AddressClass::kPrivate);
  EXPECT_EQ(of("192.168.0.10"), AddressClass::kPrivate);
  EXPECT_EQ(of("100.64.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(of("fd12:3456::1"), AddressClass::kPrivate);
  EXPECT_EQ(of("172.32.0.1"), AddressClass::kPublic);
  EXPECT_EQ(of("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(of("2a00:1450::1"), AddressClass::kPublic);
  EXPECT_EQ(url_host("https://u:p@[::1]:8443/x"), "::1");
  EXPECT_EQ(url_host("http://crm.example.com:8080/a?b"), "crm.example.com");
}

// IPv6 forms that embed an IPv4 address are judged by that address (issue 18): before, all
// of these were kPublic and reached the metadata service or loopback through NAT64/6to4.
TEST(CrmSsrf, Ipv6TransitionFormsAreJudgedByTheEmbeddedIpv4Address) {
  // NAT64 well-known prefix 64:ff9b::/96
  EXPECT_EQ(of("64:ff9b::169.254.169.254"), AddressClass::kBlocked);
  EXPECT_EQ(of("64:ff9b::a9fe:a9fe"), AddressClass::kBlocked);
  EXPECT_EQ(of("64:ff9b::7f00:1"), AddressClass::kLoopback);
  EXPECT_EQ(of("64:ff9b::10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(of("64:ff9b::8.8.8.8"), AddressClass::kPublic);
  // local-use NAT64 64:ff9b:1::/48: at least private
  EXPECT_EQ(of("64:ff9b:1::8.8.8.8"), AddressClass::kPrivate);
  EXPECT_EQ(of("64:ff9b:1::169.254.169.254"), AddressClass::kBlocked);
  // 6to4 2002::/16 (IPv4 in bytes 2-5)
  EXPECT_EQ(of("2002:a9fe:a9fe::1"), AddressClass::kBlocked);
  EXPECT_EQ(of("2002:7f00:1::"), AddressClass::kLoopback);
  EXPECT_EQ(of("2002:c0a8:0101::1"), AddressClass::kPrivate);
  EXPECT_EQ(of("2002:0808:0808::1"), AddressClass::kPublic);
  // IPv4-compatible ::/96
  EXPECT_EQ(of("::169.254.169.254"), AddressClass::kBlocked);
  EXPECT_EQ(of("::127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(of("::10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(of("::8.8.8.8"), AddressClass::kPublic);
  // IPv4-mapped ::ffff:0:0/96 and IPv4-translated ::ffff:0:0:0/96
  EXPECT_EQ(of("::ffff:a9fe:a9fe"), AddressClass::kBlocked);
  EXPECT_EQ(of("::ffff:10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(of("::ffff:0:169.254.169.254"), AddressClass::kBlocked);
  EXPECT_EQ(of("::ffff:0:127.0.0.1"), AddressClass::kLoopback);
  // Teredo 2001::/32: server 4-7, client inverted in 12-15
  EXPECT_EQ(of("2001:0:0808:0808::5601:fefe"), AddressClass::kBlocked);  // client ~ = 169.254.1.1
  EXPECT_EQ(of("2001:0:a9fe:a9fe::f7f7:f7f7"), AddressClass::kBlocked);  // server = 169.254.169.254
  EXPECT_EQ(of("2001:0:0808:0808::f7f7:f7f7"), AddressClass::kPublic);   // both 8.8.8.8
  // Save time and connect time use the same judgement.
  EXPECT_NE(check_url_host("http://[64:ff9b::a9fe:a9fe]/latest/meta-data", true), "");
  EXPECT_NE(check_url_host("http://[2002:7f00:1::]:8080/", false), "");
  EXPECT_EQ(check_url_host("http://[2002:7f00:1::]:8080/", true), "");
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "64:ff9b::169.254.169.254", &sa.sin6_addr), 1);
  EXPECT_NE(check_address(reinterpret_cast<const sockaddr*>(&sa), true), "");
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:0:a9fe:a9fe", &sa.sin6_addr), 1);
  EXPECT_NE(check_address(reinterpret_cast<const sockaddr*>(&sa), true), "");
}

TEST(CrmSsrf, SaveTimeValidationRefusesMetadataAlwaysAndLoopbackUnlessAllowed) {
  CrmConfig c;
  c.enabled = true;
  c.api_key = "k";
  auto field_of = [](const CrmConfig& cfg) {
    try {
      validate(cfg);
    } catch (const ConfigError& e) {
      return e.field();
    }
    return std::string();
  };
  c.server_url = "http://169.254.169.254/latest";
  c.allow_private = true;
  EXPECT_EQ(field_of(c), "server_url");
  c.server_url = "http://127.0.0.1:9000";
  c.allow_private = false;
  EXPECT_EQ(field_of(c), "server_url");
  c.server_url = "http://localhost:9000";
  EXPECT_EQ(field_of(c), "server_url");
  c.allow_private = true;
  EXPECT_EQ(field_of(c), "");
  c.auth_type = AuthType::kOAuth2;
  c.oauth2_client_id = "id";
  c.oauth2_client_secret = "s";
  c.oauth2_token_url = "http://[fd00:ec2::254]/token";
  EXPECT_EQ(field_of(c), "oauth2_token_url");
}

TEST(CrmSsrf, TheConnectedAddressIsCheckedSoAHostNameForLoopbackIsRefused) {
  test::HttpReceiver rx;
  uint16_t port = rx.start();
  HttpClient http;
  HttpRequest req;
  req.method = "POST";
  req.url = "http://localhost:" + std::to_string(port) + "/api/calls";  // resolves to loopback
  req.timeout_ms = 2000;
  std::promise<HttpResult> p;
  http.submit(req, [&p](HttpResult r) { p.set_value(std::move(r)); });
  HttpResult r = p.get_future().get();
  EXPECT_TRUE(r.refused);
  EXPECT_NE(r.error.find("SSRF"), std::string::npos) << r.error;
  EXPECT_EQ(rx.request_count(), 0u);
  req.allow_private = true;
  std::promise<HttpResult> p2;
  http.submit(req, [&p2](HttpResult res) { p2.set_value(std::move(res)); });
  EXPECT_EQ(p2.get_future().get().status, 200);
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST(CrmSsrf, ARefusedAddressMarksTheDeliveryFailedWithoutRetrying) {
  test::TempDir dir;
  test::HttpReceiver rx;
  rx.start();
  CrmConfig c = test_config(rx);
  c.allow_private = false;  // as a stored config from before the guard would be
  CrmPanel p(dir.file("crm.db"), c);
  EXPECT_TRUE(p.run([&] { return p.svc->enqueue(test_call("S1"), CallEvent::kEnded); }));
  ASSERT_TRUE(p.wait_status("failed", 1));
  auto row = p.svc->outbox().query({}).items.at(0);
  EXPECT_EQ(row.attempts, 1);
  EXPECT_NE(row.last_error.find("loopback"), std::string::npos) << row.last_error;
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST(CrmTls, HttpsDeliveryVerifiesTheReceiverWithTheTestCa) {
  test::TempDir dir;
  test::TestCert cert = test::make_test_cert(dir.path());
  test::HttpReceiver rx;
  rx.start_tls(cert.cert_file, cert.key_file);
  ASSERT_EQ(rx.url().rfind("https://", 0), 0u);
  CrmConfig c = test_config(rx);
  c.ca_file = cert.cert_file;
  CrmPanel p(dir.file("crm.db"), c);
  p.run([&] { return p.svc->enqueue(test_call("T1"), CallEvent::kEnded); });
  ASSERT_TRUE(p.wait_status("delivered", 1));
  EXPECT_EQ(nlohmann::json::parse(rx.requests().at(0).body)["callId"], "T1");
}

// CRM_CA_FILE becomes libcurl's trust anchor: only a readable PEM certificate file is taken
// (before, /etc/shadow or a directory were stored and handed to libcurl).
TEST(CrmTls, TheCaFileMustBeAnAbsolutePathToAPemCertificate) {
  test::TempDir dir;
  test::TestCert cert = test::make_test_cert(dir.path());
  auto field_of = [](const std::string& ca) {
    CrmConfig c;
    c.ca_file = ca;
    try {
      validate(c);
    } catch (const ConfigError& e) {
      return e.field() + ": " + e.what();
    }
    return std::string("ok");
  };
  EXPECT_EQ(field_of(cert.cert_file), "ok");
  EXPECT_EQ(field_of(""), "ok");
  EXPECT_EQ(field_of("/etc/shadow").rfind("ca_file: ", 0), 0u);
  EXPECT_EQ(field_of("/etc/passwd"), "ca_file: ca_file: not a PEM certificate file");
  EXPECT_EQ(field_of(dir.path()), "ca_file: ca_file: no such file");
  EXPECT_EQ(field_of("relative/ca.pem"), "ca_file: ca_file: must be an absolute path");
  EXPECT_EQ(field_of(cert.key_file), "ca_file: ca_file: not a PEM certificate file");
}

TEST(CrmTls, AnUntrustedCertificateIsRefusedUnlessVerificationIsOff) {
  test::TempDir dir;
  test::TestCert cert = test::make_test_cert(dir.path());
  test::HttpReceiver rx;
  rx.start_tls(cert.cert_file, cert.key_file);
  CrmConfig c = test_config(rx);  // no CA file: the system store does not know the test cert
  CrmPanel p(dir.file("crm.db"), c);
  crm::SendReport bad = p.run([&] { return p.svc->test(c); });
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.status_code, 0);
  EXPECT_FALSE(bad.error.empty());
  EXPECT_EQ(rx.request_count(), 0u);
  c.verify_ssl = false;  // CRM_VERIFY_SSL=false
  crm::SendReport ok = p.run([&] { return p.svc->test(c); });
  EXPECT_TRUE(ok.success) << ok.error;
  EXPECT_EQ(ok.status_code, 200);
  EXPECT_EQ(ok.body_excerpt, "{\"ok\":true}");
  ASSERT_EQ(rx.request_count(), 1u);
  auto body = nlohmann::json::parse(rx.requests().at(0).body);
  EXPECT_EQ(body["test"], true);
  EXPECT_EQ(body["event"], "test");
}
