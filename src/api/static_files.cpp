// In-memory static file server for the SPA; see static_files.hpp.
#include "static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http_util.hpp"

namespace opdesk::api {
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream os;
  os << in.rdbuf();
  return std::make_shared<const std::string>(os.str());
}

// FNV-1a 64-bit: a cheap content hash for ETags (not a security boundary).
std::string etag_of(const std::string& data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool accepts(const Request& req, std::string_view enc) {
  std::string_view ae = req.header("accept-encoding");
  return ae.find(enc) != std::string_view::npos;
}

// Moves each inline <script> of an HTML page into a file of its own under /.inline/ (a classic
// external script without async/defer runs at the same point of parsing as the inline one), so
// a web client with inline scripts (the upstream client's theme snippet) runs under our
// Content-Security-Policy (script-src 'self') without relaxing it for everyone.
std::string externalize_scripts(const std::string& html, const std::string& page,
                                std::map<std::string, std::string>& scripts) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t open = html.find("<script", pos);
    size_t tag_end = open == std::string::npos ? open : html.find('>', open);
    size_t close = tag_end == std::string::npos ? tag_end : html.find("</script>", tag_end);
    if (close == std::string::npos) break;
    std::string tag = html.substr(open, tag_end - open);
    std::string body = html.substr(tag_end + 1, close - tag_end - 1);
    out += html.substr(pos, open - pos);
    if (tag.find(" src=") != std::string::npos || body.find_first_not_of(" \t\r\n") == std::string::npos) {
      out += html.substr(open, close + 9 - open);  // external already, or empty
    } else {
      std::string path = "/.inline/" + etag_of(page + body).substr(1, 16) + ".js";
      scripts[path] = body;
      out += tag + " src=\"" + path + "\"></script>";
    }
    pos = close + 9;
  }
  return out + html.substr(pos);
}

}  // namespace

std::string mime_type(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"}, {".gif", "image/gif"},
      {".ico", "image/x-icon"}, {".webp", "image/webp"}, {".woff", "font/woff"},
      {".woff2", "font/woff2"}, {".ttf", "font/ttf"}, {".txt", "text/plain; charset=utf-8"},
      {".wav", "audio/wav"}, {".mp3", "audio/mpeg"}, {".ogg", "audio/ogg"},
      {".gsm", "audio/x-gsm"}, {".map", "application/json"}, {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"}};
  auto dot = path.rfind('.');
  if (dot == std::string::npos) return "application/octet-stream";
  std::string ext = path.substr(dot);
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}

StaticFiles::StaticFiles(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (dir_.empty() || !fs::is_directory(dir_, ec)) return;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    fs::path p = it->path();
    std::string ext = p.extension().string();
    if (ext == ".gz" || ext == ".br") continue;
    auto body = read_file(p);
    if (!body) continue;
    std::string key = "/" + fs::relative(p, dir_).generic_string();
    File f;
    f.content_type = mime_type(p.string());
    std::map<std::string, std::string> scripts;
    if (ext == ".html" && body->find("<script") != std::string::npos) {
      auto html = externalize_scripts(*body, key, scripts);
      if (!scripts.empty()) body = std::make_shared<const std::string>(std::move(html));
    }
    f.body = body;
    f.etag = etag_of(*body);
    fs::path gz = p.string() + ".gz", br = p.string() + ".br";
    if (scripts.empty() && fs::exists(gz)) f.gzip = read_file(gz);  // stale once rewritten
    if (scripts.empty() && fs::exists(br)) f.brotli = read_file(br);
    files_.emplace(std::move(key), std::move(f));
    for (auto& [path, code] : scripts) {
      File js;
      js.body = std::make_shared<const std::string>(std::move(code));
      js.content_type = mime_type(path);
      js.etag = etag_of(*js.body);
      files_.emplace(path, std::move(js));
    }
  }
}

Response StaticFiles::respond(const File& f, const std::string& path, const Request& req) const {
  Response r;
  r.content_type = f.content_type;
  r.header("ETag", f.etag);
  r.header("Vary", "Accept-Encoding");
  bool immutable = path.rfind("/assets/", 0) == 0;
  r.header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  // X-Content-Type-Options, Referrer-Policy and the CSP come with every response (src/net).
  if (req.header("if-none-match") == f.etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (f.brotli && accepts(req, "br")) {
    r.shared_body = f.brotli;
    r.header("Content-Encoding", "br");
  } else if (f.gzip && accepts(req, "gzip")) {
    r.shared_body = f.gzip;
    r.header("Content-Encoding", "gzip");
  } else {
    r.shared_body = f.body;
  }
  return r;
}

Response StaticFiles::serve(const Request& req) const {
  if (files_.empty()) {
    return error_response(503, "web.assets.missing",
                          "the web UI is not built (no files in '" + dir_ +
                              "'); run `make build`");
  }
  std::string path = req.path.empty() ? "/" : req.path;
  if (path.find("..") != std::string::npos) {
    return error_response(400, "request.path.invalid", "invalid path");
  }
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  if (it == files_.end()) {
    // A missing asset is a real 404; any other path is a client-side route.
    if (path.rfind("/assets/", 0) == 0) {
      return error_response(404, "web.asset.not_found", "no such asset");
    }
    it = files_.find("/index.html");
    if (it == files_.end()) return error_response(404, "web.asset.not_found", "no index.html");
    return respond(it->second, "/index.html", req);
  }
  return respond(it->second, path, req);
}

}  // namespace opdesk::api
