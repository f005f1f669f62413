// libFuzzer target: arbitrary bytes through the AMI parser into the state engine. The first
// byte picks how the input is chunked (so frame boundaries land everywhere); every frame is
// applied with a clock that moves forward, banners open new connections, and the engine's
// deltas, lookups and invariants are exercised after each chunk. Any crash, sanitizer report
// or broken invariant (a shown call without channels) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ami/parser.hpp"
#include "pbx/engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  opdesk::ami::Parser parser;
  opdesk::pbx::Engine engine;
  opdesk::ami::Message msg;
  std::string detail;
  int64_t now = 1795501970000;
  for (size_t off = 0; off < bytes.size(); off += step) {
    parser.feed(bytes.substr(off, step));
    for (;;) {
      auto r = parser.next(msg, detail);
      if (r == opdesk::ami::Parser::Result::kNeedMore) break;
      if (r == opdesk::ami::Parser::Result::kBanner) {
        engine.on_connection_lost(now);
        engine.on_connection_start(now, detail);
      } else if (r == opdesk::ami::Parser::Result::kMessage) {
        engine.apply(msg, now);
      }
      now += 7;
    }
    if (auto batch = engine.take_changes()) {
      for (const auto& c : batch->changes) {
        if (c.kind == opdesk::pbx::EntityKind::kCall && !c.removed) {
          const auto* call = engine.find_call(c.id);
          if (call == nullptr || call->channels.empty()) std::abort();
        }
      }
    }
  }
  for (const auto& [num, ext] : engine.state().extensions) {
    (void)engine.extension_state(ext);
    (void)engine.calls_of_extension(num);
  }
  return 0;
}
