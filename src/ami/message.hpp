// AMI message: one frame of the Asterisk Manager Interface (an event, a response or an action).
//
// A Message owns the raw bytes of its frame and keeps each field as offsets into them, so
// moving or copying a Message never leaves a dangling view and parsing allocates one string
// and one small vector per frame, never one string per field. Keys are compared
// case-insensitively (Asterisk itself treats them so); values keep their bytes, minus
// surrounding blanks. Lines without "Key: " (command output after `Response: Follows`, or a
// value that continues after a bare LF) are kept: a line that follows a field continues it,
// and a line that starts a frame becomes an "Output" field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace opdesk::ami {

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Message {
 public:
  struct Span {
    uint32_t off = 0;
    uint32_t len = 0;
  };
  struct FieldRef {
    Span key;
    Span value;
  };
  enum class Kind { kEvent, kResponse, kAction, kOther };

  Message() = default;
  // Builds a message from key/value pairs (tests, the simulator, the action serializer).
  static Message from_fields(const std::vector<std::pair<std::string, std::string>>& fields);

  size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  std::string_view key(size_t i) const noexcept { return view(fields_[i].key); }
  std::string_view value(size_t i) const noexcept { return view(fields_[i].value); }

  // First value for key (case-insensitive); empty view when absent.
  std::string_view get(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept;
  // Value parsed as a decimal integer; fallback when absent or not a number.
  long long get_int(std::string_view key, long long fallback = 0) const noexcept;
  // All values of a repeated key (e.g. "Variable", "Output").
  std::vector<std::string_view> get_all(std::string_view key) const;

  Kind kind() const noexcept;
  std::string_view event() const noexcept { return get("Event"); }
  std::string_view response() const noexcept { return get("Response"); }
  std::string_view action() const noexcept { return get("Action"); }
  std::string_view action_id() const noexcept { return get("ActionID"); }
  bool is_event(std::string_view name) const noexcept { return iequals(event(), name); }

  // The frame as it would be written on the wire ("Key: Value\r\n"... + "\r\n").
  std::string serialize() const;
  const std::string& raw() const noexcept { return raw_; }

 private:
  friend class Parser;
  std::string_view view(Span s) const noexcept { return std::string_view(raw_).substr(s.off, s.len); }
  std::string raw_;
  std::vector<FieldRef> fields_;
};

}  // namespace opdesk::ami
