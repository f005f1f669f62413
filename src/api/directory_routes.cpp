// Directory routes; see directory_routes.hpp.
//
// Overrides are keyed by number (extension or queue). Validation answers 400 naming the field:
// number 1-32 of A-Z 0-9 * # _ + -; label and group at most 64 characters without control
// characters; order -1000000..1000000; hidden a boolean. A PUT replaces the whole override
// (absent fields clear it), so the admin page sends the row as it shows it.
#include "directory_routes.hpp"

#include <regex>

#include "admin_routes.hpp"
#include "directory/directory.hpp"
#include "http_util.hpp"
#include "store/cdr_freepbx.hpp"
#include "store/store.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

const std::regex kNumberRe("^[A-Za-z0-9*#_+-]{1,32}$");
constexpr size_t kMaxText = 64;  // label/group: a grid tile shows about 20 characters

std::string valid_number(std::string_view n) {
  std::string s(n);
  if (!std::regex_match(s, kNumberRe)) {
    throw ApiError(400, "request.field.invalid", "number must be 1-32 of A-Z 0-9 * # _ + -", "number");
  }
  return s;
}

std::optional<std::string> opt_text(const json& body, const char* field) {
  auto v = opt_string(body, field, kMaxText);
  if (!v) return v;
  for (unsigned char c : *v) {
    if (c < 0x20 || c == 0x7f) {
      throw ApiError(400, "request.field.invalid", std::string(field) + " must not contain control characters", field);
    }
  }
  if (v->empty()) return std::nullopt;
  return v;
}

store::DirectoryOverride parse_override(const std::string& number, const json& body) {
  store::DirectoryOverride o;
  o.extension = number;
  o.hidden = opt_bool(body, "hidden").value_or(false);
  o.label = opt_text(body, "label");
  o.group = opt_text(body, "group");
  if (auto ord = opt_int(body, "order", -1000000, 1000000)) o.order = static_cast<int>(*ord);
  for (const auto& [k, v] : body.items()) {
    if (k != "hidden" && k != "label" && k != "group" && k != "order") {
      throw ApiError(400, "request.field.unknown", "unknown field " + k, k);
    }
  }
  return o;
}

json entry_json(const directory::Entry& e, bool admin) {
  json j = {{"number", e.number}, {"kind", e.kind}, {"name", e.name}, {"tech", e.tech},
            {"group", e.group}, {"order", e.order}};
  if (admin) {
    j["hidden"] = e.hidden;
    j["sources"] = e.sources;
  }
  return j;
}

}  // namespace

json visible_entries(const Principal& p, const directory::Directory& dir) {
  const bool admin = p.is_admin();
  json out = json::array();
  for (const auto& e : dir.list(admin)) {
    bool ok = p.all || (e.kind == "queue" ? p.sees_queue(e.number) || p.sees_queue(e.name)
                                          : p.sees_extension(e.number));
    if (ok) out.push_back(entry_json(e, admin));
  }
  return out;
}

void register_directory_routes(Router& r, DirectoryDeps& d) {
  r.add("GET", "/api/directory", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "calls:read");
    json body = {{"entries", visible_entries(p, d.directory)}};
    if (p.is_admin()) body["status"] = d.directory.status().to_json();
    co_return json_response(200, body);
  }, "Extension and queue directory (names, groups, order) in the caller's scope");

  r.add("PUT", "/api/directory/{number}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    std::string number = valid_number(req.param("number"));
    store::DirectoryOverride o = parse_override(number, parse_json_body(req));
    store::Store* st = &d.store;
    // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
    auto write = [st, &o] {
      store::DirectoryOverrideRepo(st->database()).upsert(o);
      return 0;
    };
    co_await d.store.async(write);
    json detail = {{"hidden", o.hidden}, {"label", o.label ? json(*o.label) : json(nullptr)},
                   {"group", o.group ? json(*o.group) : json(nullptr)},
                   {"order", o.order ? json(*o.order) : json(nullptr)}};
    co_await audit(d.store, p, "directory.override", number, "ok", detail, req.remote_ip);
    if (d.changed) co_await d.changed();
    co_return json_response(200, {{"number", number}, {"override", detail}});
  }, "Admin: hide, rename/label, group or order an extension or queue");

  r.add("DELETE", "/api/directory/{number}", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    std::string number = valid_number(req.param("number"));
    store::Store* st = &d.store;
    auto remove = [st, &number] { return store::DirectoryOverrideRepo(st->database()).remove(number); };
    bool removed = co_await d.store.async(remove);
    if (!removed) throw ApiError(404, "directory.override.not_found", "no override for " + number, "number");
    co_await audit(d.store, p, "directory.override.remove", number, "ok", json::object(), req.remote_ip);
    if (d.changed) co_await d.changed();
    co_return json_response(200, {{"number", number}, {"removed", true}});
  }, "Admin: remove an extension's or queue's override");
}

}  // namespace opdesk::api
