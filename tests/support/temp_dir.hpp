// TempDir: a fresh private directory under $TMPDIR (or /tmp), removed with its contents when
// the object dies. Tests put SQLite files, MariaDB data dirs and sockets there.
#pragma once

#include <string>

namespace opdesk::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "opdesk-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace opdesk::test
