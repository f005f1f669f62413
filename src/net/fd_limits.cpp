// Descriptor budget; see fd_limits.hpp.
#include "fd_limits.hpp"

#include <sys/resource.h>

#include <algorithm>

#include "limits.hpp"

namespace opdesk::net {

std::size_t connections_for_fd_limit(uint64_t limit, std::size_t wanted) {
  if (limit == 0 || limit == RLIM_INFINITY) return wanted;
  uint64_t budget = limit > 2 * kFdReserve ? limit - kFdReserve : limit / 2;
  return static_cast<std::size_t>(std::min<uint64_t>(wanted, std::max<uint64_t>(budget, 1)));
}

FdBudget fit_fd_budget(std::size_t wanted) {
  FdBudget b;
  b.max_connections = wanted;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return b;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  b.soft = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
  b.hard = rl.rlim_max == RLIM_INFINITY ? 0 : rl.rlim_max;
  b.max_connections = connections_for_fd_limit(b.soft, wanted);
  if (b.max_connections < wanted) {
    b.warning = "server.max_connections " + std::to_string(wanted) + " does not fit the descriptor limit " +
                std::to_string(b.soft) + " (RLIMIT_NOFILE, hard " + std::to_string(b.hard) + "): using " +
                std::to_string(b.max_connections) + "; raise LimitNOFILE / ulimit -n to allow more";
  }
  return b;
}

}  // namespace opdesk::net
