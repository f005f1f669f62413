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
  if (p.all) return snapshot;
  nlohmann::json out = snapshot;
  static const std::pair<const char*, const char*> lists[] = {
      {"extensions", "extension"}, {"calls", "call"}, {"queues", "queue"},
      {"parked", "parked"}, {"conferences", "conference"}};
  for (const auto& [key, kind] : lists) {
    auto it = out.find(key);
    if (it == out.end() || !it->is_array()) continue;
    nlohmann::json kept = nlohmann::json::array();
    for (auto& e : *it) {
      if (visible(p, kind, e)) kept.push_back(std::move(e));
    }
    *it = std::move(kept);
  }
  return out;
}

}  // namespace opdesk::api
