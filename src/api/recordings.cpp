// Recording playback: signature check, scope check via the CDR, root-confined path
// resolution and single-range streaming (see recordings.hpp for the rules).
//
// Invariants: a response body never exceeds kMaxRecordingChunk; every refusal happens before
// the file is opened; the signature comparison is constant-time; nothing here logs the
// signature or any token.
#include "api/recordings.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <fstream>

#include "api/http_util.hpp"
#include "auth/api_keys.hpp"
#include "auth/scope.hpp"
#include "store/store.hpp"

namespace opdesk::api {
namespace fs = std::filesystem;
namespace {

std::string hex(const unsigned char* p, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}

std::string pct_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

// "YYYYMMDD" from a FreePBX recording name (…-20261124-063258-…), or from a calldate.
std::optional<std::string> day_dir(const std::string& file, const std::string& calldate) {
  if (calldate.size() >= 10 && calldate[4] == '-' && calldate[7] == '-') {
    return calldate.substr(0, 4) + "/" + calldate.substr(5, 2) + "/" + calldate.substr(8, 2);
  }
  for (size_t i = 0; i + 10 <= file.size(); ++i) {
    if (file[i] != '-' || file[i + 9] != '-') continue;
    bool digits = true;
    for (size_t k = 1; k <= 8; ++k) digits = digits && std::isdigit(static_cast<unsigned char>(file[i + k]));
    if (digits) {
      return file.substr(i + 1, 4) + "/" + file.substr(i + 5, 2) + "/" + file.substr(i + 7, 2);
    }
  }
  return std::nullopt;
}

RecordingResult refuse(int status, const char* code, const char* msg, nlohmann::json audit) {
  RecordingResult r{error_response(status, code, msg), std::nullopt};
  if (!audit.is_null()) {
    audit["result"] = "denied";
    audit["status"] = status;
    r.audit = std::move(audit);
  }
  return r;
}

std::optional<int64_t> to_int(const std::optional<std::string>& v) {
  if (!v || v->empty() || v->size() > 18) return std::nullopt;
  for (char c : *v) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return std::stoll(*v);
}

}  // namespace

std::string recording_signature(const std::string& key, const std::string& file, int64_t exp,
                                int64_t user_id) {
  std::string data = file + "|" + std::to_string(exp) + "|" + std::to_string(user_id);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return hex(out, len);
}

std::string signed_recording_url(const std::string& key, const std::string& file,
                                 int64_t user_id, int64_t now_unix, int64_t ttl) {
  int64_t exp = now_unix + ttl;
  return "/api/recordings/" + pct_encode(file) + "?exp=" + std::to_string(exp) +
         "&uid=" + std::to_string(user_id) + "&sig=" + recording_signature(key, file, exp, user_id);
}

bool verify_recording_signature(const std::string& key, const std::string& file, int64_t exp,
                                int64_t user_id, const std::string& sig_hex, int64_t now_unix) {
  if (key.empty() || exp < now_unix) return false;
  std::string want = recording_signature(key, file, exp, user_id);
  return sig_hex.size() == want.size() &&
         CRYPTO_memcmp(sig_hex.data(), want.data(), want.size()) == 0;
}

std::optional<ByteRange> parse_range(std::string_view h, uint64_t size) {
  if (h.empty()) return size == 0 ? ByteRange{0, 0, false} : ByteRange{0, size - 1, false};
  if (h.substr(0, 6) != "bytes=" || size == 0) return std::nullopt;
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::nullopt;  // single range only
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto num = [](std::string_view s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 18) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  };
  auto a = h.substr(0, dash), b = h.substr(dash + 1);
  if (a.empty()) {  // suffix: last N bytes
    auto n = num(b);
    if (!n || *n == 0) return std::nullopt;
    uint64_t len = std::min(*n, size);
    return ByteRange{size - len, size - 1, true};
  }
  auto first = num(a);
  if (!first || *first >= size) return std::nullopt;
  uint64_t last = size - 1;
  if (!b.empty()) {
    auto l = num(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, size - 1);
  }
  return ByteRange{*first, last, true};
}

std::string recording_content_type(const fs::path& p) {
  std::string ext = p.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".wav" || ext == ".wav49") return "audio/wav";
  if (ext == ".mp3") return "audio/mpeg";
  if (ext == ".ogg" || ext == ".oga") return "audio/ogg";
  if (ext == ".gsm") return "audio/x-gsm";
  return "application/octet-stream";
}

std::optional<fs::path> resolve_recording(const fs::path& root, const std::string& requested,
                                          const std::string& calldate, int& status) {
  status = 403;
  if (requested.empty() || requested.size() > 1024 ||
      requested.find_first_of(std::string("%\\\0", 3)) != std::string::npos) {
    return std::nullopt;
  }
  fs::path req(requested);
  for (const auto& part : req) {
    if (part == "..") return std::nullopt;
  }
  std::error_code ec;
  fs::path root_c = fs::canonical(root, ec);
  if (ec) {
    status = 404;
    return std::nullopt;
  }
  std::vector<fs::path> candidates;
  if (req.is_absolute()) {
    candidates.push_back(req);
  } else {
    candidates.push_back(root_c / req);
    if (!req.has_parent_path()) {
      if (auto d = day_dir(requested, calldate)) {
        candidates.push_back(root_c / *d / req);
        candidates.push_back(root_c / "monitor" / *d / req);
      }
    }
  }
  for (const auto& c : candidates) {
    if (!fs::exists(c, ec)) continue;
    fs::path real = fs::canonical(c, ec);
    if (ec) continue;
    if (!inside(root_c, real)) return std::nullopt;  // symlink or absolute path leaving root
    if (!fs::is_regular_file(real, ec)) continue;
    status = 200;
    return real;
  }
  if (req.is_absolute() && !inside(root_c, fs::weakly_canonical(req, ec))) return std::nullopt;
  status = 404;
  return std::nullopt;
}

RecordingFinder recording_finder(store::CdrStore& cdr) {
  return [&cdr](const std::string& file, const Principal* p) -> std::optional<RecordingLookup> {
    store::CdrScope scope{true, {}, {}};
    if (p) {
      scope = store::CdrScope{p->all, p->extensions, p->queues};
      if (p->extension) scope.extensions.insert(*p->extension);
    }
    auto found = cdr.find_recording(file, scope);
    if (!found) return std::nullopt;
    return RecordingLookup{found->calldate, found->linkedid};
  };
}

SignerLookup signer_lookup(store::Store& st) {
  return [&st](int64_t uid) -> std::optional<Principal> {
    auto u = st.users().get(uid);
    if (!u || !u->active) return std::nullopt;
    auth::Scope scope = auth::resolve_scope(*u, st);
    Principal p;
    p.user_id = u->id;
    p.username = u->username;
    p.role = std::string(store::to_string(u->role));
    p.extension = u->extension;
    p.all = scope.all;
    p.extensions = scope.extensions;
    p.queues = scope.queues;
    return p;
  };
}

Request recording_auth_request(const Request& req) {
  auto token = req.query_value("token");
  if (!token || !req.header("authorization").empty() || !req.header("x-api-key").empty()) return req;
  if (auth::looks_like_api_key(*token)) {
    throw ApiError(401, "auth.api_key.not_allowed", "API keys are not accepted in the URL; send X-API-Key");
  }
  Request r = req;
  r.headers.emplace_back("authorization", "Bearer " + *token);
  return r;
}

RecordingResult serve_recording(const Request& req, const Principal* principal,
                                const RecordingContext& ctx, const RecordingFinder& find) {
  std::string requested(req.param("path"));
  if (req.path.rfind("/api/recordings/", 0) == 0) {
    // The router drops empty segments; the upstream client's absolute path (%2Fvar%2F...)
    // decodes to "/api/recordings//var/...": keep it absolute.
    std::string raw = req.path.substr(16);
    if (requested.empty() || (!raw.empty() && raw[0] == '/')) requested = raw;
  }
  for (const auto& [k, v] : req.query) {
    if (k != "exp" && k != "uid" && k != "sig" && k != "download" && k != "token") {
      throw ApiError(400, "request.field.invalid", "unknown query parameter " + k, k);
    }
  }
  if (fs::path(requested).is_absolute()) {
    // An absolute path must lie under the root (lexically here; symlinks are checked when the
    // file is resolved): anything else is refused before the call lookup.
    std::error_code ec;
    fs::path root_c = fs::weakly_canonical(ctx.root, ec);
    fs::path want = fs::path(requested).lexically_normal();
    if (ec || requested.find('\0') != std::string::npos || !inside(root_c, fs::weakly_canonical(want, ec)) || ec) {
      return refuse(403, "recording.forbidden", "path outside the recordings root", nullptr);
    }
  }
  std::string file = fs::path(requested).filename().string();
  std::string safe_name = file;
  for (auto& c : safe_name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  nlohmann::json audit = {{"action", req.query.count("download") ? "recording.download" : "recording.play"},
                          {"target", file}};
  std::optional<RecordingLookup> call;
  auto sig = req.query_value("sig");
  if (sig) {
    // Until the signature checks out nothing here is known about the caller: no audit row
    // (a forged uid must not write rows in someone's name, nor flood the log).
    auto exp = to_int(req.query_value("exp"));
    auto uid = to_int(req.query_value("uid"));
    if (!exp || !uid) return refuse(403, "recording.signature.invalid", "bad signed URL", nullptr);
    if (*exp < ctx.now_unix) return refuse(403, "recording.url.expired", "the link has expired", nullptr);
    if (!verify_recording_signature(ctx.hmac_key, requested, *exp, *uid, *sig, ctx.now_unix)) {
      return refuse(403, "recording.signature.invalid", "bad signed URL", nullptr);
    }
    audit["via"] = "signature";
    audit["user_id"] = *uid;
    if (*uid == 0) {
      call = find(file, nullptr);  // a system link (CRM payloads, API keys)
    } else {
      std::optional<Principal> signer = ctx.signer ? ctx.signer(*uid) : std::nullopt;
      if (!signer) {
        return refuse(403, "recording.url.revoked", "the link's user no longer exists or is disabled", audit);
      }
      audit["username"] = signer->username;
      call = find(file, &*signer);  // the signer's scope as it is now
    }
  } else if (principal) {
    audit["via"] = "bearer";
    audit["user_id"] = principal->user_id;
    call = find(file, principal);
  } else {
    return refuse(401, "auth.token.missing", "authentication required", nullptr);
  }
  if (!call) return refuse(404, "recording.not_found", "no such recording", audit);
  audit["linkedid"] = call->linkedid;
  int status = 0;
  auto path = resolve_recording(ctx.root, requested, call->calldate, status);
  if (!path) {
    return status == 403 ? refuse(403, "recording.forbidden", "path outside the recordings root", audit)
                         : refuse(404, "recording.not_found", "no such recording", audit);
  }
  std::error_code ec;
  uint64_t size = fs::file_size(*path, ec);
  if (ec) return refuse(404, "recording.not_found", "no such recording", audit);
  auto range = parse_range(req.header("range"), size);
  if (!range) {
    RecordingResult r{error_response(416, "recording.range.invalid", "bad Range"), std::nullopt};
    r.response.header("Content-Range", "bytes */" + std::to_string(size));
    return r;
  }
  bool capped = size > 0 && range->last - range->first + 1 > kMaxRecordingChunk;
  if (capped) range->last = range->first + kMaxRecordingChunk - 1;
  Response res;
  res.status = (range->partial || capped) ? 206 : 200;
  res.content_type = recording_content_type(*path);
  if (size > 0) {
    std::ifstream in(*path, std::ios::binary);
    res.body.resize(range->last - range->first + 1);
    in.seekg(static_cast<std::streamoff>(range->first));
    in.read(res.body.data(), static_cast<std::streamsize>(res.body.size()));
    if (!in) return refuse(404, "recording.not_found", "recording could not be read", audit);
  }
  res.header("Accept-Ranges", "bytes");
  res.header("Cache-Control", "private, no-store");
  res.header("Content-Disposition", std::string(req.query.count("download") ? "attachment" : "inline") +
                                        "; filename=\"" + safe_name + "\"");
  if (res.status == 206) {
    res.header("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                    std::to_string(range->last) + "/" + std::to_string(size));
  }
  audit["result"] = "ok";
  audit["status"] = res.status;
  audit["bytes"] = res.body.size();
  return RecordingResult{std::move(res), std::move(audit)};
}

}  // namespace opdesk::api
