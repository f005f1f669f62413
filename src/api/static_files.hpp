// The built single-page app (web/dist), served from memory.
//
// All files are read once at start (the SPA is a few hundred KiB), each with a strong ETag
// and its pre-compressed .br/.gz siblings when the build wrote them. Requests get the best
// encoding the client accepts, 304 on If-None-Match, long caching for hashed assets/ files and
// no-cache for index.html; unknown non-API paths fall back to index.html (client routing).
// The directory is configurable (server.web_dir), e.g. the upstream product's client build;
// inline <script>s of its HTML pages are served as /.inline/<hash>.js files so that they run
// under the default Content-Security-Policy (script-src 'self').
#pragma once

#include <map>
#include <memory>
#include <string>

#include "http_types.hpp"

namespace opdesk::api {

class StaticFiles {
 public:
  // Loads every file under dir; missing dir → empty (serve() answers 503 with a hint).
  explicit StaticFiles(std::string dir);
  Response serve(const Request& req) const;
  bool loaded() const { return !files_.empty(); }
  size_t file_count() const { return files_.size(); }
  const std::string& dir() const { return dir_; }

 private:
  struct File {
    std::shared_ptr<const std::string> body, gzip, brotli;
    std::string content_type;
    std::string etag;
  };
  Response respond(const File& f, const std::string& path, const Request& req) const;
  std::string dir_;
  std::map<std::string, File> files_;  // key: "/index.html", "/assets/x.js"
};

std::string mime_type(const std::string& path);

}  // namespace opdesk::api
