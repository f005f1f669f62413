// AMI action builder with injection checks.
//
// Every value that reaches Asterisk goes through Action::encode, which refuses (and names) any
// key or value that could break the frame: CR, LF or another control character in a value
// (a "Key: v\r\nAction: Command" value would smuggle a second action), a key that is not a
// plain token, or an ActionID of the same kind. Nothing is written when encode fails.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opdesk::ami {

class Action {
 public:
  explicit Action(std::string name) : name_(std::move(name)) {}

  // Appends a field (order is kept; repeated keys such as Variable are allowed).
  Action& set(std::string key, std::string value) {
    fields_.emplace_back(std::move(key), std::move(value));
    return *this;
  }

  const std::string& name() const noexcept { return name_; }
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }
  // Value of the first field named key (case-insensitive), empty when absent.
  std::string_view get(std::string_view key) const noexcept;

  // Writes "Action: <name>\r\nActionID: <id>\r\n<fields>\r\n" into out. On a rejected key or
  // value returns false, leaves out untouched, and sets error to a message naming the field.
  bool encode(std::string_view action_id, std::string& out, std::string& error) const;

  // Checks one value / key without encoding (used by API validation to answer 400 early).
  static bool safe_value(std::string_view v) noexcept;
  static bool safe_key(std::string_view k) noexcept;

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace opdesk::ami
