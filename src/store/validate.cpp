// Field validation for stored values (see validate.hpp). Limits match the column sizes of the
// initial migration (VARCHAR(191) keys) with room to spare, so the database never truncates.
#include "store/validate.hpp"

#include "store/errors.hpp"

namespace opdesk::store::validate {
namespace {

[[noreturn]] void fail(std::string_view field, const std::string& why) {
  throw ValidationError(std::string(field), std::string(field) + " " + why);
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

void length(std::string_view field, std::string_view v, size_t min, size_t max) {
  if (v.size() < min) fail(field, min == 1 ? "must not be empty" : "is too short");
  if (v.size() > max) fail(field, "must be at most " + std::to_string(max) + " characters");
}

void charset(std::string_view field, std::string_view v, std::string_view extra) {
  for (char c : v) {
    if (!is_alnum(c) && extra.find(c) == std::string_view::npos) {
      fail(field, "may contain only letters, digits and " + std::string(extra));
    }
  }
}

void no_control(std::string_view field, std::string_view v, bool allow_tab) {
  for (unsigned char c : v) {
    if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f) {
      fail(field, "must not contain control characters");
    }
  }
}

}  // namespace

void username(std::string_view v) {
  length("username", v, 1, 64);
  charset("username", v, "._@-");
}

void display_name(std::string_view v) {
  length("name", v, 0, 128);
  no_control("name", v, false);
}

void extension(std::string_view field, std::string_view v) {
  length(field, v, 1, 32);
  charset(field, v, "_+*#.-");
}

void queue(std::string_view field, std::string_view v) {
  length(field, v, 1, 80);
  no_control(field, v, false);
  for (char c : v) {
    if (c == ' ' || c == ',' || c == ';' || c == '|') fail(field, "must not contain spaces , ; or |");
  }
}

void group_name(std::string_view v) {
  length("name", v, 1, 80);
  no_control("name", v, false);
}

void setting_key(std::string_view v) {
  length("key", v, 1, 128);
  charset("key", v, "_.-");
}

void text(std::string_view field, std::string_view v, size_t max) {
  length(field, v, 0, max);
  no_control(field, v, true);
}

void password_hash(std::string_view v) {
  length("password", v, 1, 255);
  no_control("password", v, false);
}

}  // namespace opdesk::store::validate
