// AmiNames: what AMI tells about extension names, learned from the frames the panel already
// receives (pure: frames in, names out; no I/O, no clock).
//
// Plain Asterisk has no name in PJSIPShowEndpoints/ExtensionStateList, so names come from:
//   * EndpointDetail (answer to PJSIPShowEndpoint <ext>): `Callerid: "Alice" <1001>`;
//   * the answer to SIPshowpeer <peer> (chan_sip): `Callerid`, with `ObjectName`;
//   * DBGetTreeResponse of the AMPUSER family (FreePBX astdb): /AMPUSER/1001/cidname;
//   * Newchannel of a phone's own channel (PJSIP/1001-…) with CallerIDNum 1001: its name.
// Explicit configuration (endpoint callerid, AMPUSER) wins over a name seen on a channel,
// which the phone itself may set. Invariant: at most kMaxNames numbers are remembered.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ami/message.hpp"
#include "directory/directory.hpp"

namespace opdesk::pbx {
struct State;
}

namespace opdesk::directory {

class AmiNames {
 public:
  // A hostile or broken peer cannot grow the map without bound.
  static constexpr size_t kMaxNames = 50000;

  // Feed every frame of the state session (events and action answers).
  void on_frame(const ami::Message& m);
  // The best name known for an extension, "" when none.
  std::string name_of(std::string_view number) const;
  size_t size() const { return names_.size(); }

  // Directory entries for what the engine discovered (extensions with tech, queues), named.
  std::vector<Entry> extensions(const pbx::State& state) const;
  std::vector<Entry> queues(const pbx::State& state) const;

  // `"Alice Smith" <1001>` → Alice Smith; `<1001>` or "<unknown>" → "".
  static std::string callerid_name(std::string_view callerid);

 private:
  enum class Strength { kChannel = 1, kConfig = 2 };
  struct Known {
    std::string name;
    Strength strength = Strength::kChannel;
  };
  void learn(std::string_view number, std::string_view name, Strength s);

  std::map<std::string, Known, std::less<>> names_;
};

}  // namespace opdesk::directory
