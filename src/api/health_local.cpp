// Health checks of the panel's own side (see health_checks.hpp): the recordings folder, the TLS
// certificate and the clock skew against Asterisk, plus the JSON form shared by the CLI and
// the REST route. Pure functions of their inputs (the clock is passed in).
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "health_checks.hpp"

namespace opdesk::api {
namespace fs = std::filesystem;

namespace {
// Beyond this the call log and the "since" timers in the UI are visibly off.
constexpr double kSkewWarnS = 2.0;
constexpr double kSkewFailS = 30.0;

CheckResult make(std::string id, std::string title, CheckStatus s, std::string detail, std::string fix = {}) {
  return CheckResult{std::move(id), std::move(title), s, std::move(detail), std::move(fix)};
}
}  // namespace

std::string_view to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::Ok: return "ok";
    case CheckStatus::Warn: return "warn";
    case CheckStatus::Fail: return "fail";
  }
  return "fail";
}

nlohmann::json to_json(const std::vector<CheckResult>& checks) {
  nlohmann::json arr = nlohmann::json::array();
  int n[3] = {0, 0, 0};
  for (const auto& c : checks) {
    ++n[static_cast<int>(c.status)];
    arr.push_back({{"id", c.id}, {"title", c.title}, {"status", to_string(c.status)},
                   {"detail", c.detail}, {"fix", c.fix}});
  }
  return {{"checks", arr}, {"summary", {{"ok", n[0]}, {"warn", n[1]}, {"fail", n[2]}}}};
}

bool any_failed(const std::vector<CheckResult>& checks) {
  for (const auto& c : checks) {
    if (c.status == CheckStatus::Fail) return true;
  }
  return false;
}

CheckResult check_recordings(const std::string& root) {
  const char* id = "recordings";
  const char* title = "Recordings folder readable";
  if (root.empty()) {
    return make(id, title, CheckStatus::Warn, "no recordings folder configured",
                "set [recordings] root (FreePBX: /var/spool/asterisk/monitor)");
  }
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make(id, title, CheckStatus::Fail, root + " does not exist or is not a folder",
                "set [recordings] root to Asterisk's monitor folder, or create " + root);
  }
  if (::access(root.c_str(), R_OK | X_OK) != 0) {
    return make(id, title, CheckStatus::Fail, root + " is not readable by this user",
                "add the opdesk user to the asterisk group: usermod -aG asterisk opdesk, then "
                "chmod g+rx " + root + " and restart opdesk");
  }
  return make(id, title, CheckStatus::Ok, root + " is readable");
}

CheckResult check_tls(const std::string& cert_path, const std::string& listen_host, int warn_days,
                      int64_t now_ms) {
  const char* id = "tls_certificate";
  const char* title = "TLS certificate";
  if (cert_path.empty()) {
    bool local = listen_host == "127.0.0.1" || listen_host == "::1" || listen_host == "localhost";
    if (local) return make(id, title, CheckStatus::Ok, "plain HTTP on loopback (behind a reverse proxy or local only)");
    return make(id, title, CheckStatus::Warn, "plain HTTP on " + listen_host,
                "set [tls] cert and key (or self_signed = true), or put a TLS reverse proxy in front");
  }
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(cert_path.c_str(), "r"), &std::fclose);
  if (!f) {
    return make(id, title, CheckStatus::Fail, "cannot read " + cert_path,
                "check [tls] cert and that the opdesk user can read it");
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) {
    return make(id, title, CheckStatus::Fail, cert_path + " is not a PEM certificate",
                "point [tls] cert at the PEM certificate (full chain)");
  }
  int days = 0, secs = 0;
  time_t now = static_cast<time_t>(now_ms / 1000);
  std::unique_ptr<ASN1_TIME, void (*)(ASN1_TIME*)> t(ASN1_TIME_set(nullptr, now), &ASN1_TIME_free);
  if (!t || ASN1_TIME_diff(&days, &secs, t.get(), X509_get0_notAfter(cert.get())) != 1) {
    return make(id, title, CheckStatus::Fail, "cannot read the expiry date of " + cert_path,
                "replace the certificate with a valid PEM file");
  }
  if (days < 0 || (days == 0 && secs <= 0)) {
    return make(id, title, CheckStatus::Fail, "certificate expired " + std::to_string(-days) + " day(s) ago",
                "renew the certificate (certbot renew, or delete it to regenerate a self-signed one) and "
                "reload: systemctl reload opdesk");
  }
  if (ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()), t.get()) == 1 && (days < 0 || secs < 0)) {
    return make(id, title, CheckStatus::Fail, "certificate is not valid yet",
                "check the system clock, or issue a new certificate");
  }
  ASN1_TIME_diff(&days, &secs, t.get(), X509_get0_notAfter(cert.get()));
  if (days < warn_days) {
    return make(id, title, CheckStatus::Warn, "certificate expires in " + std::to_string(days) + " day(s)",
                "renew the certificate before it expires");
  }
  return make(id, title, CheckStatus::Ok, "valid for " + std::to_string(days) + " more days");
}

CheckResult check_clock_skew(double asterisk_epoch_s, int64_t now_ms) {
  const char* id = "clock_skew";
  const char* title = "Clock skew vs Asterisk";
  double skew = static_cast<double>(now_ms) / 1000.0 - asterisk_epoch_s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f s", skew);
  std::string detail = std::string("skew ") + buf;
  std::string fix = "run NTP on both hosts (timedatectl set-ntp true; chrony or systemd-timesyncd)";
  if (std::fabs(skew) >= kSkewFailS) return make(id, title, CheckStatus::Fail, detail, fix);
  if (std::fabs(skew) >= kSkewWarnS) return make(id, title, CheckStatus::Warn, detail, fix);
  return make(id, title, CheckStatus::Ok, detail);
}

}  // namespace opdesk::api
