// The list of optional features `opdesk serve` wires after its core (see wiring.hpp). Each
// feature's wiring lives in its own wire_<feature>.cpp so features stay independent; the order
// here is the order of their status keys and stop hooks.
#include "wiring.hpp"

namespace opdesk::app {

void wire_features(Wiring& w) {
  (void)w;
  wire_directory(w);
  wire_qos(w);
  wire_webrtc(w);
  wire_health(w);
  wire_crm(w);
  wire_upstream(w);  // last: its GET /api/settings/{key} must not shadow panel routes
}

}  // namespace opdesk::app
