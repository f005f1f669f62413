// AMI → CDR row mapping for the panel's own call log (cdr_manager's `Cdr` events).
//
// Asterisk's Cdr event carries the classic columns (Source, Destination, StartTime, ...,
// UniqueID) but not linkedid, sequence or recordingfile unless cdr_manager.conf maps them
// ([mappings] linkedid => LinkedID, sequence => Sequence, recordingfile => RecordingFile).
// So the mapper also watches the live stream: every event with Uniqueid+Linkedid teaches the
// channel's linkedid, and `Set(CDR(recordingfile)=...)` (Newexten) or the MIXMONITOR_FILENAME
// variable teaches its recording. When Asterisk sends no Sequence the row gets a stable
// 31-bit hash of (uniqueid, start, end, dstchannel, lastapp, disposition) as its sequence, so
// the same Cdr event replayed twice maps to the same (uniqueid, sequence) key.
//
// Memory is bounded: at most kMaxTracked channels are remembered (oldest forgotten first).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/cdr_types.hpp"

namespace opdesk::ami {
class Message;
}

namespace opdesk::store {

class CdrEventMapper {
 public:
  static constexpr size_t kMaxTracked = 20000;

  // Learns from any frame; returns a row when the frame is a Cdr event.
  std::optional<CdrRecord> feed(const ami::Message& m);
  size_t tracked() const { return channels_.size(); }

 private:
  struct Channel {
    std::string linkedid;
    std::string recordingfile;
  };
  Channel& channel(const std::string& uniqueid);
  CdrRecord map_cdr(const ami::Message& m);

  std::unordered_map<std::string, Channel> channels_;
  std::deque<std::string> order_;
};

// 31-bit FNV-1a of the fields that tell two CDRs of one channel apart.
int64_t cdr_fallback_sequence(const CdrRecord& r);

}  // namespace opdesk::store
