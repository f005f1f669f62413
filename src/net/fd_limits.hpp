// Descriptor budget: connections must never use the descriptors the AMI link, the database,
// recordings and outgoing CRM requests need. At start the soft RLIMIT_NOFILE is raised to the
// hard limit, and max_connections is lowered (with a warning) to leave kFdReserve descriptors
// free; the accept loop's per-connection cap then refuses sockets before accept() hits EMFILE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace opdesk::net {

struct FdBudget {
  uint64_t soft = 0, hard = 0;  // RLIMIT_NOFILE after raising (0: unknown)
  std::size_t max_connections = 0;
  std::string warning;  // non-empty when the configured max_connections had to be lowered
};

// Pure: the connection cap that fits `limit` descriptors.
std::size_t connections_for_fd_limit(uint64_t limit, std::size_t wanted);

// Raises the soft limit to the hard one and fits `wanted` to the result.
FdBudget fit_fd_budget(std::size_t wanted);

}  // namespace opdesk::net
