// Private directory and file modes (see file_modes.hpp). POSIX calls on the path: open with
// O_CREAT|O_EXCL and an explicit mode (fchmod after, since the umask may strip bits), chmod to
// tighten. Failures to tighten an existing file are logged, never fatal (e.g. a file owned by
// another user that we may only read).
#include "store/file_modes.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "store/errors.hpp"

namespace opdesk::store {
namespace fs = std::filesystem;

namespace {

void strip_group_other(const fs::path& p) {
  struct stat st{};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  if ((st.st_mode & 077) == 0) return;
  if (::chmod(p.c_str(), st.st_mode & 0700) != 0) {
    spdlog::warn("store: {} is readable by others and could not be made private: {}", p.string(),
                 std::strerror(errno));
    return;
  }
  spdlog::warn("store: {} was readable by group/others; now 0{:o}", p.string(), st.st_mode & 0700);
}

}  // namespace

void create_private_dir(const fs::path& dir) {
  if (dir.empty()) return;
  std::vector<fs::path> missing;
  for (fs::path p = fs::absolute(dir).lexically_normal(); !p.empty() && !fs::exists(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.root_path()) break;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Unavailable("cannot create " + dir.string() + ": " + ec.message());
  for (const auto& p : missing) {
    if (::chmod(p.c_str(), 0700) != 0) {
      throw Unavailable("cannot make " + p.string() + " private: " + std::strerror(errno));
    }
  }
}

void ensure_private_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
    return;
  }
  if (errno != EEXIST) throw Unavailable("cannot create " + file.string() + ": " + std::strerror(errno));
  strip_group_other(file);
}

void restrict_sqlite_files(const std::string& db_path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) strip_group_other(db_path + suffix);
}

}  // namespace opdesk::store
