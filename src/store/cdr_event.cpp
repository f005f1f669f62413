// Cdr event mapping and CdrStore::on_cdr_event (see cdr_event.hpp for the design).
//
// Kept apart from cdr_store.cpp on purpose: this is the only CDR file that needs the AMI
// message type, so code that only queries the call log does not pull opdesk_ami in.
// Invariants: on_cdr_event never blocks (the INSERT is posted to the worker pool, or run
// inline only when no pool was given, as in CLI tools and tests); a failed write is logged
// and counted, never thrown into the event loop.
#include "store/cdr_event.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "ami/message.hpp"
#include "store/cdr_store.hpp"

namespace opdesk::store {
namespace {

std::string str(std::string_view v) { return std::string(v); }

std::string basename_of(std::string_view path) {
  auto slash = path.find_last_of('/');
  return str(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Finds "<anything>-<uniqueid>.<ext>" in root/YYYY/MM/DD (or root/monitor/YYYY/MM/DD).
// Runs on the worker; looks at no more than kMaxScan directory entries.
std::string find_recording_by_uniqueid(const std::string& root, const CdrRecord& r) {
  constexpr size_t kMaxScan = 100000;
  if (root.empty() || r.calldate.size() < 10 || r.uniqueid.empty()) return {};
  namespace fs = std::filesystem;
  std::string day = r.calldate.substr(0, 4) + "/" + r.calldate.substr(5, 2) + "/" + r.calldate.substr(8, 2);
  const std::string tail = "-" + r.uniqueid;
  for (const fs::path dir : {fs::path(root) / day, fs::path(root) / "monitor" / day}) {
    std::error_code ec;
    size_t seen = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end && seen < kMaxScan; it.increment(ec), ++seen) {
      std::string stem = it->path().stem().string();
      if (stem.size() > tail.size() && stem.compare(stem.size() - tail.size(), tail.size(), tail) == 0) {
        return it->path().filename().string();
      }
    }
  }
  return {};
}

}  // namespace

int64_t cdr_fallback_sequence(const CdrRecord& r) {
  uint32_t h = 2166136261u;
  for (const std::string* f : {&r.uniqueid, &r.calldate, &r.enddate, &r.dstchannel, &r.lastapp,
                               &r.disposition}) {
    for (unsigned char ch : *f) {
      h ^= ch;
      h *= 16777619u;
    }
    h ^= 0x1f;
    h *= 16777619u;
  }
  return static_cast<int64_t>(h & 0x7fffffffu);
}

CdrEventMapper::Channel& CdrEventMapper::channel(const std::string& uniqueid) {
  auto it = channels_.find(uniqueid);
  if (it != channels_.end()) return it->second;
  if (channels_.size() >= kMaxTracked && !order_.empty()) {
    channels_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(uniqueid);
  return channels_[uniqueid];
}

std::optional<CdrRecord> CdrEventMapper::feed(const ami::Message& m) {
  if (m.kind() != ami::Message::Kind::kEvent) return std::nullopt;
  if (m.is_event("Cdr")) return map_cdr(m);
  auto uid = m.get("Uniqueid");
  if (uid.empty()) return std::nullopt;
  auto lid = m.get("Linkedid");
  if (!lid.empty()) {
    auto& ch = channel(str(uid));
    if (ch.linkedid != lid) ch.linkedid = str(lid);
  }
  if (m.is_event("Newexten") && ami::iequals(m.get("Application"), "Set")) {
    static constexpr std::string_view kPrefix = "CDR(recordingfile)=";
    auto data = m.get("AppData");
    if (data.size() > kPrefix.size() && ami::iequals(data.substr(0, kPrefix.size()), kPrefix)) {
      channel(str(uid)).recordingfile = basename_of(data.substr(kPrefix.size()));
    }
  } else if (m.is_event("VarSet") && ami::iequals(m.get("Variable"), "MIXMONITOR_FILENAME")) {
    auto& ch = channel(str(uid));
    if (ch.recordingfile.empty()) ch.recordingfile = basename_of(m.get("Value"));
  }
  return std::nullopt;
}

CdrRecord CdrEventMapper::map_cdr(const ami::Message& m) {
  CdrRecord r;
  r.accountcode = str(m.get("AccountCode"));
  r.src = str(m.get("Source"));
  r.dst = str(m.get("Destination"));
  r.dcontext = str(m.get("DestinationContext"));
  r.clid = str(m.get("CallerID"));
  r.channel = str(m.get("Channel"));
  r.dstchannel = str(m.get("DestinationChannel"));
  r.lastapp = str(m.get("LastApplication"));
  r.lastdata = str(m.get("LastData"));
  r.calldate = str(m.get("StartTime"));
  r.answerdate = str(m.get("AnswerTime"));
  r.enddate = str(m.get("EndTime"));
  r.duration = m.get_int("Duration", 0);
  r.billsec = m.get_int("BillableSeconds", 0);
  r.disposition = str(m.get("Disposition"));
  r.amaflags = str(m.get("AMAFlags"));
  r.uniqueid = str(m.get("UniqueID"));
  r.userfield = str(m.get("UserField"));
  r.peeraccount = str(m.get("PeerAccount"));
  auto known = channels_.find(r.uniqueid);
  r.linkedid = str(m.get("LinkedID"));
  if (r.linkedid.empty()) {
    r.linkedid = known != channels_.end() && !known->second.linkedid.empty()
                     ? known->second.linkedid
                     : r.uniqueid;
  }
  r.recordingfile = str(m.get("RecordingFile"));
  if (r.recordingfile.empty() && known != channels_.end()) {
    r.recordingfile = known->second.recordingfile;
  }
  r.sequence = m.has("Sequence") ? m.get_int("Sequence", 0) : cdr_fallback_sequence(r);
  return r;
}

void CdrStore::on_cdr_event(const ami::Message& m) {
  auto row = mapper_->feed(m);
  if (!row) return;
  if (row->uniqueid.empty() || row->calldate.empty()) {
    counters_->failed++;
    spdlog::warn("cdr: Cdr event without UniqueID/StartTime ignored");
    return;
  }
  auto job = [this, counters = counters_, r = std::move(*row)]() mutable {
    try {
      if (r.recordingfile.empty()) r.recordingfile = find_recording_by_uniqueid(recordings_root_, r);
      if (insert(r)) {
        counters->written++;
      } else {
        counters->duplicates++;
      }
    } catch (const std::exception& e) {
      counters->failed++;
      spdlog::error("cdr: storing the CDR of {} failed: {}", r.uniqueid, e.what());
    }
  };
  if (post_) {
    post_(std::move(job));
  } else {
    job();
  }
}

}  // namespace opdesk::store
