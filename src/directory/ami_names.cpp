// AmiNames (see ami_names.hpp): extension names learned from AMI frames.
//
// Each source is one small branch of on_frame, named for the frame it reads. A configured
// name (EndpointDetail, SIPshowpeer, AMPUSER) replaces any earlier one; a channel's caller
// name only fills a gap, so a phone that sends a different display name for one call does not
// rename the extension for everyone.
#include "directory/ami_names.hpp"

#include "pbx/model.hpp"

namespace opdesk::directory {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"' || s.front() == '\'')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\'')) s.remove_suffix(1);
  return s;
}

// "PJSIP/1001-0000002a" → "1001"; "" for Local/…, trunks with no dash are kept as is.
std::string_view channel_resource(std::string_view channel) {
  auto slash = channel.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view rest = channel.substr(slash + 1);
  auto dash = rest.rfind('-');
  return dash == std::string_view::npos ? rest : rest.substr(0, dash);
}

bool is_phone_tech(std::string_view channel) {
  for (std::string_view t : {"PJSIP/", "SIP/", "IAX2/", "DAHDI/"}) {
    if (channel.substr(0, t.size()) == t) return true;
  }
  return false;
}

bool usable(std::string_view name, std::string_view number) {
  return !name.empty() && name != "<unknown>" && name != "unknown" && name != number;
}

}  // namespace

std::string AmiNames::callerid_name(std::string_view callerid) {
  auto lt = callerid.find('<');
  std::string_view n = lt == std::string_view::npos ? callerid : callerid.substr(0, lt);
  n = trim(n);
  if (n == "<unknown>" || n == "unknown") return {};
  return std::string(n);
}

void AmiNames::learn(std::string_view number, std::string_view name, Strength s) {
  if (number.empty() || !usable(name, number)) return;
  auto it = names_.find(number);
  if (it == names_.end()) {
    if (names_.size() >= kMaxNames) return;
    names_.emplace(std::string(number), Known{std::string(name), s});
    return;
  }
  if (s >= it->second.strength) it->second = Known{std::string(name), s};
}

void AmiNames::on_frame(const ami::Message& m) {
  if (m.is_event("EndpointDetail")) {
    learn(m.get("ObjectName"), callerid_name(m.get("Callerid")), Strength::kConfig);
  } else if (m.is_event("DBGetTreeResponse") || m.is_event("DBGetResponse")) {
    // FreePBX keeps each user's caller name in astdb: /AMPUSER/<ext>/cidname.
    std::string_view key = m.get("Key");
    constexpr std::string_view kPrefix = "/AMPUSER/", kSuffix = "/cidname";
    if (key.size() > kPrefix.size() + kSuffix.size() && key.substr(0, kPrefix.size()) == kPrefix &&
        key.substr(key.size() - kSuffix.size()) == kSuffix) {
      key = key.substr(kPrefix.size(), key.size() - kPrefix.size() - kSuffix.size());
      learn(key, trim(m.get("Val")), Strength::kConfig);
    }
  } else if (m.is_event("Newchannel")) {
    std::string_view chan = m.get("Channel");
    std::string_view num = m.get("CallerIDNum");
    if (is_phone_tech(chan) && channel_resource(chan) == num) {
      learn(num, trim(m.get("CallerIDName")), Strength::kChannel);
    }
  } else if (!m.response().empty() && m.has("Callerid") && m.has("ObjectName")) {
    learn(m.get("ObjectName"), callerid_name(m.get("Callerid")), Strength::kConfig);  // SIPshowpeer
  }
}

std::string AmiNames::name_of(std::string_view number) const {
  auto it = names_.find(number);
  return it == names_.end() ? std::string() : it->second.name;
}

std::vector<Entry> AmiNames::extensions(const pbx::State& state) const {
  std::vector<Entry> out;
  out.reserve(state.extensions.size());
  for (const auto& [number, x] : state.extensions) {
    Entry e;
    e.number = number;
    e.kind = "extension";
    e.name = name_of(number);
    e.tech = x.tech;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Entry> AmiNames::queues(const pbx::State& state) const {
  std::vector<Entry> out;
  for (const auto& [name, q] : state.queues) {
    Entry e;
    e.number = name;  // AMI knows a queue by its name (FreePBX: the queue number)
    e.kind = "queue";
    e.name = name;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace opdesk::directory
