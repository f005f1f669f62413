// A loopback TCP port that was free a moment ago (bind 127.0.0.1:0, read it, close).
#pragma once

#include <cstdint>

namespace opdesk::test {

uint16_t free_port();
// True when something accepts TCP connections on 127.0.0.1:port.
bool port_accepts(uint16_t port);

}  // namespace opdesk::test
