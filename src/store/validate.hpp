// Field validation shared by the repositories; each check throws ValidationError naming the
// field. Values that may later reach AMI (extensions, queues) never contain CR/LF or spaces.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace opdesk::store::validate {

void username(std::string_view v);    // 1..64 of [A-Za-z0-9._@-]
void display_name(std::string_view v);  // 0..128, no control characters
void extension(std::string_view field, std::string_view v);  // 1..32 of [A-Za-z0-9_+*#.-]
void queue(std::string_view field, std::string_view v);      // 1..80 printable, no space , ; |
void group_name(std::string_view v);  // 1..80, no control characters
void setting_key(std::string_view v);   // 1..128 of [A-Za-z0-9_.-]
void text(std::string_view field, std::string_view v, size_t max);  // no control chars except \t
void password_hash(std::string_view v);

template <class Set>
void each_extension(std::string_view field, const Set& s) {
  for (const auto& e : s) extension(field, e);
}
template <class Set>
void each_queue(std::string_view field, const Set& s) {
  for (const auto& q : s) queue(field, q);
}

}  // namespace opdesk::store::validate
