// Scope filtering; see scope_filter.hpp for the rules.
#include "scope_filter.hpp"

namespace opdesk::api {
namespace {

bool ext_field_visible(const Principal& p, const nlohmann::json& obj, const char* field) {
  auto it = obj.find(field);
  return it != obj.end() && it->is_string() && p.sees_extension(it->get_ref<const std::string&>());
}

bool any_member_visible(const Principal& p, const nlohmann::json& list, const char* field) {
  if (!list.is_array()) return false;
  for (const auto& m : list) {
    if (m.is_object() && ext_field_visible(p, m, field)) return true;
  }
  return false;
}

}  // namespace

bool visible(const Principal& p, std::string_view kind, const nlohmann::json& e) {
  if (p.all || kind == "pbx") return true;
  if (!e.is_object()) return false;
  if (kind == "extension") return ext_field_visible(p, e, "extension");
  if (kind == "queue") {
    auto it = e.find("name");
    return it != e.end() && it->is_string() && p.sees_queue(it->get_ref<const std::string&>());
  }
  if (kind == "call") {
    if (auto it = e.find("parties"); it != e.end() && any_member_visible(p, *it, "extension")) {
      return true;
    }
    auto q = e.find("queue");
    return q != e.end() && q->is_string() && p.sees_queue(q->get_ref<const std::string&>());
  }
  if (kind == "parked") {
    return ext_field_visible(p, e, "extension") || ext_field_visible(p, e, "parked_by");
  }
  if (kind == "conference") {
    auto it = e.find("members");
    return it != e.end() && any_member_visible(p, *it, "extension");
  }
  return false;
}

nlohmann::json filter_snapshot(const Principal& p, const nlohmann::json& snapshot) {
  if (p.all || !snapshot.is_object()) return snapshot;
  // Only what the principal sees is copied: copying the whole state first and then dropping
  // most of it cost a deep copy of every entity per scoped snapshot, which at 5,000
  // extensions made a storm of client snapshots starve the event loop (#6).
  static const std::pair<const char*, const char*> lists[] = {
      {"extensions", "extension"}, {"calls", "call"}, {"queues", "queue"},
      {"parked", "parked"}, {"conferences", "conference"}};
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : snapshot.items()) {
    const char* kind = nullptr;
    for (const auto& [list, k] : lists) {
      if (key == list) kind = k;
    }
    if (!kind || !value.is_array()) {
      out[key] = value;
      continue;
    }
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& e : value) {
      if (visible(p, kind, e)) kept.push_back(e);
    }
    out[key] = std::move(kept);
  }
  return out;
}

}  // namespace opdesk::api
