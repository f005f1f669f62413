// AMI action encoding; see action.hpp.
#include "action.hpp"

#include "message.hpp"

namespace opdesk::ami {

bool Action::safe_value(std::string_view v) noexcept {
  for (unsigned char c : v) {
    // Tab is harmless inside a value; every other control character (CR, LF, NUL, ESC...)
    // and DEL is refused.
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return false;
    }
  }
  return true;
}

bool Action::safe_key(std::string_view k) noexcept {
  if (k.empty() || k.size() > 64) {
    return false;
  }
  for (char c : k) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '(' || c == ')';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string_view Action::get(std::string_view key) const noexcept {
  for (const auto& [k, v] : fields_) {
    if (iequals(k, key)) {
      return v;
    }
  }
  return {};
}

bool Action::encode(std::string_view action_id, std::string& out, std::string& error) const {
  if (!safe_key(name_)) {
    error = "invalid action name";
    return false;
  }
  if (!safe_value(action_id) || action_id.empty()) {
    error = "invalid ActionID";
    return false;
  }
  size_t total = name_.size() + action_id.size() + 32;
  for (const auto& [k, v] : fields_) {
    if (!safe_key(k)) {
      error = "invalid AMI key '" + std::string(k.substr(0, 64)) + "'";
      return false;
    }
    if (!safe_value(v)) {
      error = "value of '" + k + "' contains a control character (CR/LF are not allowed)";
      return false;
    }
    if (iequals(k, "Action") || iequals(k, "ActionID")) {
      error = "field '" + k + "' is reserved";
      return false;
    }
    total += k.size() + v.size() + 4;
  }
  std::string buf;
  buf.reserve(total);
  buf += "Action: ";
  buf += name_;
  buf += "\r\nActionID: ";
  buf += action_id;
  buf += "\r\n";
  for (const auto& [k, v] : fields_) {
    buf += k;
    buf += ": ";
    buf += v;
    buf += "\r\n";
  }
  buf += "\r\n";
  out.append(buf);
  return true;
}

}  // namespace opdesk::ami
