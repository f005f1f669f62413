// Recordings: short-lived signed URLs, safe path resolution and HTTP Range streaming.
//
// A call-log item carries `recording.url` = /api/recordings/<file>?exp=<unix>&uid=<user>&sig=
// <hex HMAC-SHA256(key, "file|exp|uid")>: no long-lived JWT ever appears in OpDesk's own URLs.
// The handler accepts a request when (a) the signature is valid and not expired AND, for
// uid > 0, that user still exists, is enabled and has the call in scope NOW (a link does not
// outlive a deleted/disabled user or a narrowed scope; uid 0 is a system link, e.g. for the
// CRM), or (b) the caller is an authenticated principal (Authorization: Bearer, an API key with
// cdr:read, or, for this route only, the upstream client's `?token=<JWT>`) AND the CDR row
// owning the file is in that principal's scope — checked in SQL by the lookup function.
// Audit: every attempt that passed authentication (a valid signature or a principal) is
// audited; a forged or expired signature is refused without an audit row (it names nobody).
// Nothing logs the query string (the token or signature).
//
// Files are served only from inside the configured root: the request names a file (or a path
// relative to the root, or the absolute path under the root that the upstream product sent:
// /api/recordings/%2Fvar%2Fspool%2F...; an absolute path outside the root is 403 before any
// lookup); FreePBX's layout monitor/YYYY/MM/DD/<file> is found from the call's
// calldate or from the date inside the file name. The candidate is canonicalised
// (symlinks resolved) and must still be under the canonical root; `..`, absolute paths,
// encoded traversal (the router already percent-decoded once; a remaining '%' is refused)
// and NUL bytes are refused. serve_recording() blocks on file I/O: run it on a worker pool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/http_types.hpp"
#include "api/principal.hpp"
#include "store/cdr_store.hpp"

namespace opdesk::store {
class Store;
}

namespace opdesk::api {

inline constexpr size_t kMaxRecordingChunk = 8u << 20;  // bytes per response (8 MiB)
inline constexpr int64_t kRecordingUrlTtl = 600;         // seconds a signed URL stays valid

std::string recording_signature(const std::string& key, const std::string& file, int64_t exp,
                                int64_t user_id);
// "/api/recordings/<file>?exp=..&uid=..&sig=.." (file percent-encoded).
std::string signed_recording_url(const std::string& key, const std::string& file,
                                 int64_t user_id, int64_t now_unix,
                                 int64_t ttl = kRecordingUrlTtl);
bool verify_recording_signature(const std::string& key, const std::string& file, int64_t exp,
                                int64_t user_id, const std::string& sig_hex, int64_t now_unix);

// Single byte range of a `size`-byte file; nullopt → 416. An absent header is the whole file.
struct ByteRange {
  uint64_t first = 0, last = 0;  // inclusive
  bool partial = false;
};
std::optional<ByteRange> parse_range(std::string_view header, uint64_t size);

std::string recording_content_type(const std::filesystem::path& p);

// Resolves `requested` under `root` (see above). `calldate` ("YYYY-MM-DD ...") helps find
// monitor/YYYY/MM/DD. Returns the canonical path, or sets status 403 (outside the root /
// traversal) or 404 (no such file).
std::optional<std::filesystem::path> resolve_recording(const std::filesystem::path& root,
                                                       const std::string& requested,
                                                       const std::string& calldate,
                                                       int& status);

struct RecordingLookup {
  std::string calldate;
  std::string linkedid;
};
// Finds the call owning `file` within the scope (nullopt: unknown or out of scope). Runs SQL:
// typically [&](f, scope) { return cdr.find_recording(f, scope); } wrapped to this type.
using RecordingFinder = std::function<std::optional<RecordingLookup>(
    const std::string& file, const Principal* scope_of /* null = unrestricted */)>;

// The finder over a CdrStore: scope = the principal's extensions (+ own extension) and queues.
RecordingFinder recording_finder(store::CdrStore& cdr);

// The signer of a URL (uid > 0) as a principal with its current scope; nullopt when the user
// no longer exists or is disabled. Runs SQL.
using SignerLookup = std::function<std::optional<Principal>(int64_t user_id)>;
SignerLookup signer_lookup(store::Store& store);

struct RecordingContext {
  std::filesystem::path root;
  std::string hmac_key;
  int64_t now_unix = 0;
  SignerLookup signer;  // empty: links signed for a user (uid > 0) are refused
};

// The request the auth layer should see: for this route only, `?token=<JWT>` (the upstream
// client's <audio src>) stands in for a missing Authorization header. An API key is never
// taken from the URL (401).
Request recording_auth_request(const Request& req);

struct RecordingResult {
  Response response;
  // Set for every playback/download attempt that reached the file check: the lead writes
  // it as an audit row (action "recording.play", target file, result ok/denied/...).
  std::optional<nlohmann::json> audit;
};

// GET /api/recordings/{path}: `principal` is the Bearer principal or null.
RecordingResult serve_recording(const Request& req, const Principal* principal,
                                const RecordingContext& ctx, const RecordingFinder& find);

}  // namespace opdesk::api
