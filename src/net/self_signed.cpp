// Self-signed certificate generation (OpenSSL 3) for `opdesk serve --self-signed`: an EC P-256
// key and an X.509 v3 certificate with subjectAltName entries for the given hosts.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <sys/stat.h>

#include "server.hpp"

namespace opdesk::net {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { if (f) std::fclose(f); }
};

bool looks_like_ip(const std::string& h) {
  return h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != std::string::npos;
}

}  // namespace

void write_self_signed(const std::string& cert_path, const std::string& key_path,
                       const std::vector<std::string>& hosts, int days) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) throw std::runtime_error("self-signed: key generation failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = hosts.empty() ? "localhost" : hosts.front();
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("OpDesk"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san;
  for (const auto& h : hosts) {
    if (!san.empty()) san += ",";
    san += (looks_like_ip(h) ? "IP:" : "DNS:") + h;
  }
  if (san.empty()) san = "DNS:localhost,IP:127.0.0.1";
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (ext) {
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("self-signed: signing failed");
  }
  std::unique_ptr<FILE, FileCloser> kf(std::fopen(key_path.c_str(), "wb"));
  if (!kf) throw std::runtime_error("self-signed: cannot write " + key_path);
  chmod(key_path.c_str(), 0600);
  PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::unique_ptr<FILE, FileCloser> cf(std::fopen(cert_path.c_str(), "wb"));
  if (!cf) throw std::runtime_error("self-signed: cannot write " + cert_path);
  PEM_write_X509(cf.get(), cert.get());
}

}  // namespace opdesk::net
