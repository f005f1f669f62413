// AMI message accessors and serialization. See message.hpp for the storage model.
#include "message.hpp"

#include <charconv>

namespace opdesk::ami {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) {
      return false;
    }
  }
  return true;
}

Message Message::from_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  Message m;
  size_t total = 0;
  for (const auto& [k, v] : fields) total += k.size() + v.size() + 4;
  m.raw_.reserve(total);
  for (const auto& [k, v] : fields) {
    FieldRef f;
    f.key = {static_cast<uint32_t>(m.raw_.size()), static_cast<uint32_t>(k.size())};
    m.raw_ += k;
    m.raw_ += ": ";
    f.value = {static_cast<uint32_t>(m.raw_.size()), static_cast<uint32_t>(v.size())};
    m.raw_ += v;
    m.raw_ += "\r\n";
    m.fields_.push_back(f);
  }
  return m;
}

std::string_view Message::get(std::string_view key) const noexcept {
  for (const auto& f : fields_) {
    if (iequals(view(f.key), key)) {
      return view(f.value);
    }
  }
  return {};
}

bool Message::has(std::string_view key) const noexcept {
  for (const auto& f : fields_) {
    if (iequals(view(f.key), key)) {
      return true;
    }
  }
  return false;
}

long long Message::get_int(std::string_view key, long long fallback) const noexcept {
  std::string_view v = get(key);
  if (v.empty()) {
    return fallback;
  }
  long long out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p == v.data()) {
    return fallback;
  }
  return out;
}

std::vector<std::string_view> Message::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& f : fields_) {
    if (iequals(view(f.key), key)) {
      out.push_back(view(f.value));
    }
  }
  return out;
}

Message::Kind Message::kind() const noexcept {
  if (fields_.empty()) {
    return Kind::kOther;
  }
  std::string_view k = view(fields_.front().key);
  if (iequals(k, "Event")) return Kind::kEvent;
  if (iequals(k, "Response")) return Kind::kResponse;
  if (iequals(k, "Action")) return Kind::kAction;
  // Some frames put Event/Response later; look once more.
  if (has("Event")) return Kind::kEvent;
  if (has("Response")) return Kind::kResponse;
  if (has("Action")) return Kind::kAction;
  return Kind::kOther;
}

std::string Message::serialize() const {
  std::string out;
  out.reserve(raw_.size() + 2 * fields_.size() + 2);
  for (const auto& f : fields_) {
    out += view(f.key);
    out += ": ";
    out += view(f.value);
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

}  // namespace opdesk::ami
