// CRM REST routes; see crm_routes.hpp.
//
// How it fits: wire_crm.cpp creates the CrmService and ContactLookup and registers these on the
// Router (so the generated OpenAPI lists them). A saved config is validated (crm::validate,
// incl. the SSRF host check), written to the settings table in one transaction with secrets
// flagged, then applied live (service.set_config, lookup cache cleared) and audited without
// secret values. Lists are capped (200 rows a page, 100 ids a resend).
#include "crm_routes.hpp"

#include <algorithm>
#include <array>

#include "admin_routes.hpp"
#include "crm/payload.hpp"
#include "http_util.hpp"
#include "store/crm_outbox.hpp"

namespace opdesk::api {
using json = nlohmann::json;
namespace asio = boost::asio;

namespace {

constexpr size_t kMaxResendIds = 100;  // one click in the UI resends at most a page

json config_view(const crm::CrmConfig& c, const crm::OutboxStats& st) {
  json j = crm::to_json(c);
  j["field_catalog"] = crm::field_catalog();
  j["default_keys"] = crm::default_fields();
  json outcomes = json::array();
  for (int i = 0; i <= static_cast<int>(crm::Outcome::kOutOfReach); ++i) {
    outcomes.push_back(crm::to_string(static_cast<crm::Outcome>(i)));
  }
  j["call_outcomes"] = outcomes;
  j["outbox"] = st.to_json();
  return j;
}

json delivery_json(const store::CrmDelivery& d, bool with_body) {
  json j = {{"id", d.id}, {"call_id", d.linkedid}, {"event", d.event}, {"status", d.status},
            {"attempts", d.attempts}, {"idempotency_key", d.idem_key},
            {"status_code", d.response_code ? json(d.response_code) : json()},
            {"response_excerpt", d.response_excerpt}, {"latency_ms", d.latency_ms},
            {"error", d.last_error.empty() ? json() : json(d.last_error)},
            {"created_at", d.created_at}, {"updated_at", d.updated_at},
            {"next_at", d.status == "pending" ? json(d.next_at) : json()},
            {"success", d.status == "delivered"}};
  if (with_body) j["request_body"] = d.body;
  return j;
}

json contact_json(const store::CrmContact& c) {
  return {{"id", c.id}, {"name", c.name}, {"phone", c.phone}, {"phone_key", c.phone_key},
          {"source", c.source}, {"updated_at", c.updated_at}};
}

int64_t id_param(const Request& req) {
  std::string s(req.param("id"));
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
    throw ApiError(400, "request.field.invalid", "id must be a positive integer", "id");
  }
  return std::stoll(s);
}

// Stored config with the body's keys applied; ConfigError → 400 naming the field.
// Keys a CRM settings body may carry: every config key, plus the read-only parts of the GET
// view that clients send back unchanged (ignored); anything else is a 400 naming it.
const std::vector<std::string_view>& crm_body_fields() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    json view = crm::to_json(crm::CrmConfig{});
    for (auto it = view.begin(); it != view.end(); ++it) k.push_back(it.key());
    for (const char* ro : {"field_catalog", "default_keys", "call_outcomes", "outbox", "success", "reload_ok",
                           "warnings", "message"}) {
      k.emplace_back(ro);
    }
    return k;
  }();
  static const std::vector<std::string_view> views(keys.begin(), keys.end());
  return views;
}

crm::CrmConfig merged(const crm::CrmConfig& base, const Request& req) {
  json body = req.body.empty() ? json::object() : parse_json_body(req);
  reject_unknown(body, crm_body_fields());
  try {
    crm::CrmConfig c = crm::merge_json(base, body);
    crm::validate(c);
    return c;
  } catch (const crm::ConfigError& e) {
    throw ApiError(400, "crm.config.invalid", e.what(), e.field());
  }
}

// Contact bodies: ours (name, phone) and the upstream's documented company / notes (not kept).
const std::vector<std::string_view> kContactFields = {"name", "phone", "company", "notes"};
const std::vector<std::string_view> kResendFields = {"ids"};
const std::vector<std::string_view> kNoFields = {};

store::CrmContact contact_from(const Request& req, int64_t now) {
  json body = parse_json_body(req);
  reject_unknown(body, kContactFields);
  store::CrmContact c;
  c.name = req_string(body, "name", 200);
  c.phone = req_string(body, "phone", 64);
  for (const auto* f : {&c.name, &c.phone}) {
    if (std::any_of(f->begin(), f->end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; })) {
      const char* field = f == &c.name ? "name" : "phone";
      throw ApiError(400, "request.field.invalid", std::string(field) + " must not contain control characters", field);
    }
  }
  c.phone_key = crm::phone_key(c.phone);
  if (c.name.find_first_not_of(" \t") == std::string::npos) {
    throw ApiError(400, "request.field.invalid", "name must not be empty", "name");
  }
  if (c.phone_key.empty()) throw ApiError(400, "request.field.invalid", "phone has no digits", "phone");
  c.source = "manual";
  c.updated_at = now;
  return c;
}

store::CrmDeliveryQuery delivery_query(const Request& req) {
  store::CrmDeliveryQuery q;
  q.status = req.query_value("status").value_or("");
  if (!q.status.empty() && q.status != "pending" && q.status != "delivered" && q.status != "failed") {
    throw ApiError(400, "request.field.invalid", "status must be pending, delivered or failed", "status");
  }
  if (auto s = req.query_value("success")) q.status = *s == "true" ? "delivered" : "failed";  // upstream
  q.linkedid = req.query_value("call").value_or(req.query_value("call_id").value_or(""));
  q.search = req.query_value("q").value_or(req.query_value("search").value_or(""));
  if (q.search.size() > 200 || q.linkedid.size() > 200) {
    throw ApiError(400, "request.field.invalid", "search text is too long", "q");
  }
  auto num = [&](const char* name, long long lo, long long hi, long long dflt) {
    auto v = req.query_value(name);
    if (!v || v->empty()) return dflt;
    if (v->size() > 18 || v->find_first_not_of("0123456789") != std::string::npos) {
      throw ApiError(400, "request.field.invalid", std::string(name) + " must be a number", name);
    }
    return std::clamp(std::stoll(*v), lo, hi);
  };
  q.cursor = num("cursor", 0, (1LL << 62), 0);
  q.limit = static_cast<int>(num("limit", 1, 200, 50));
  return q;
}

}  // namespace

crm::CrmConfig crm_config_from(const std::map<std::string, std::string>& base,
                               const std::vector<store::Setting>& stored, std::string* error) {
  std::map<std::string, std::string> kv = base;
  for (const auto& s : stored) {
    if (s.key.rfind("CRM_", 0) == 0 || s.key == "WEBHOOK_LOG_RETENTION_DAYS") kv[s.key] = s.value;
  }
  try {
    return crm::from_settings(kv);
  } catch (const crm::ConfigError& e) {
    if (error) *error = e.what();
  }
  try {
    return crm::from_settings(base);
  } catch (const crm::ConfigError&) {
    return crm::CrmConfig{};
  }
}

namespace {

void register_settings(Router& r, CrmDeps& d) {
  auto get_cfg = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json out = config_view(d.service.config(), d.service.stats());
    co_return json_response(200, out);
  };
  r.add("GET", "/api/settings/crm", get_cfg, "CRM connector settings (secrets shown as ***)");
  r.add("GET", "/api/crm/config", get_cfg, "CRM connector settings (upstream path)");

  auto save = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    crm::CrmConfig c = merged(d.service.config(), req);
    std::vector<store::SettingWrite> writes;
    for (const auto& kv : crm::to_settings(c)) writes.push_back({kv.key, kv.value, kv.secret});
    auto& st = d.store;
    std::string who = p.username;
    auto work = [&st, &writes, &who] { st.settings().set_many(writes, who); };  // named: GCC 12
    co_await st.async(work);
    d.service.set_config(c);
    d.lookup.clear();
    json detail = {{"enabled", c.enabled}, {"server_url", crm::redact_url(c.server_url)},
                   {"auth_type", crm::to_string(c.auth_type)}};
    co_await audit(st, p, "crm.config.save", "crm", "ok", detail, req.remote_ip);
    json out = config_view(c, d.service.stats());
    out["success"] = true;
    out["reload_ok"] = true;
    out["warnings"] = json::array();
    out["message"] = "CRM settings saved and applied";
    co_return json_response(200, out);
  };
  r.add("PUT", "/api/settings/crm", save, "Save CRM settings (400 names the bad field; applied live)");
  r.add("POST", "/api/crm/config", save, "Save CRM settings (upstream path)");

  auto test = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    crm::CrmConfig c = merged(d.service.config(), req);
    if (c.server_url.empty()) {
      throw ApiError(400, "crm.config.invalid", "server_url: is required for a test", "server_url");
    }
    crm::SendReport rep = co_await d.service.test(c);
    json out = rep.to_json();
    if (req.route_pattern == "/api/crm/test") {
      json wrapped = {{"data", out}};
      out = wrapped;
    }
    co_return json_response(200, out);
  };
  r.add("POST", "/api/settings/crm/test",
        test, "Send a test payload with the saved (or given, unsaved) settings; the receiver's answer");
  r.add("POST", "/api/crm/test", test, "CRM test send (upstream path, {data:...})");
}

void register_deliveries(Router& r, CrmDeps& d) {
  auto list = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    store::CrmDeliveryQuery q = delivery_query(req);
    auto& ob = d.service.outbox();
    auto work = [&ob, &q] { return ob.query(q); };
    store::CrmDeliveryPage page = co_await d.store.async(work);
    json items = json::array();
    for (const auto& row : page.items) items.push_back(delivery_json(row, false));
    json next = page.next_cursor ? json(*page.next_cursor) : json();
    json out;
    if (req.route_pattern == "/api/logs/deliveries") {
      out = {{"data", items}, {"page", {{"cursor", q.cursor}, {"next_cursor", next}, {"limit", q.limit}}}};
    } else {
      out = {{"items", items}, {"next_cursor", next}, {"outbox", d.service.stats().to_json()}};
    }
    co_return json_response(200, out);
  };
  r.add("GET", "/api/crm/deliveries", list,
        "CRM delivery log (status, call, q, cursor, limit ≤ 200), newest first");
  r.add("GET", "/api/logs/deliveries", list, "CRM delivery log (upstream path and shape)");

  auto one = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    auto& ob = d.service.outbox();
    auto work = [&ob, id] { return ob.get(id); };
    auto row = co_await d.store.async(work);
    if (!row) throw ApiError(404, "crm.delivery.not_found", "no delivery with this id", "id");
    json out = delivery_json(*row, true);
    co_return json_response(200, out);
  };
  r.add("GET", "/api/crm/deliveries/{id}", one, "One CRM delivery with its request body");
  r.add("GET", "/api/logs/deliveries/{id}", one, "One CRM delivery (upstream path)");

  r.add("POST", "/api/crm/deliveries/resend", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json body = parse_json_body(req);
    reject_unknown(body, kResendFields);
    auto it = body.find("ids");
    if (it == body.end() || !it->is_array() || it->empty() || it->size() > kMaxResendIds) {
      throw ApiError(400, "request.field.invalid", "ids must be a list of 1 to 100 delivery ids", "ids");
    }
    std::vector<int64_t> ids;
    for (const auto& v : *it) {
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
        throw ApiError(400, "request.field.invalid", "ids must be positive integers", "ids");
      }
      ids.push_back(v.get<int64_t>());
    }
    int n = co_await d.service.resend(ids);
    json detail = {{"ids", ids}, {"found", n}};
    co_await audit(d.store, p, "crm.delivery.resend", "crm", "ok", detail, req.remote_ip);
    json out = {{"requested", ids.size()}, {"resent", n}};
    co_return json_response(202, out);
  }, "Resend CRM deliveries (ids: one or many, ≤ 100); they are delivered again in order");

  r.add("POST", "/api/logs/deliveries/{id}/resend", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    std::vector<int64_t> ids(1, id);
    int n = co_await d.service.resend(ids);
    if (n == 0) throw ApiError(404, "crm.delivery.not_found", "no delivery with this id", "id");
    json detail = {{"ids", ids}, {"found", n}};
    co_await audit(d.store, p, "crm.delivery.resend", "crm", "ok", detail, req.remote_ip);
    json out = {{"accepted", true}, {"delivery_id", id}};
    co_return json_response(202, out);
  }, "Resend one CRM delivery (upstream path)");

  r.add("POST", "/api/crm/deliveries/prune", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    if (!req.body.empty()) reject_unknown(parse_json_body(req), kNoFields);  // the retention is a setting
    int64_t n = co_await d.service.prune_now();
    json out = {{"deleted", n}, {"retention_days", d.service.config().retention_days}};
    co_return json_response(200, out);
  }, "Apply the delivery-log retention now (finished rows older than retention_days)");
}

void register_contacts(Router& r, CrmDeps& d) {
  auto lookup = [&d](Request& req) -> asio::awaitable<Response> {
    co_await d.auth.require(req);
    bool upstream = req.route_pattern == "/api/crm/contact";
    std::string number = req.query_value(upstream ? "phone" : "number").value_or("");
    if (number.empty() || number.size() > 64) {
      throw ApiError(400, "request.field.invalid", "number must be 1 to 64 characters", upstream ? "phone" : "number");
    }
    crm::LookupResult res = co_await d.lookup.lookup(number);
    json out = res.to_json();
    out["enabled"] = d.service.config().lookup_enabled;
    co_return json_response(200, out);
  };
  r.add("GET", "/api/crm/lookup", lookup, "Caller name by number: local contacts, then the CRM (cached)");
  r.add("GET", "/api/crm/contact", lookup, "Caller name by phone (upstream path)");

  auto list = [&d](Request& req) -> asio::awaitable<Response> {
    co_await d.auth.require(req);
    std::string q = req.query_value("q").value_or("");
    if (q.size() > 100) throw ApiError(400, "request.field.invalid", "q is too long", "q");
    auto& ob = d.service.outbox();
    auto work = [&ob, &q] { return ob.contacts(q, 1000); };
    auto rows = co_await d.store.async(work);
    json items = json::array();
    for (const auto& c : rows) items.push_back(contact_json(c));
    json out = {{"contacts", items}};
    co_return json_response(200, out);
  };
  auto create = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    store::CrmContact c = contact_from(req, d.now_ms());
    auto& ob = d.service.outbox();
    auto work = [&ob, &c] { return ob.create_contact(c); };
    store::CrmContact made = co_await d.store.async(work);
    d.lookup.forget(made.phone);
    json out = contact_json(made);
    co_return json_response(201, out);
  };
  auto update = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    store::CrmContact c = contact_from(req, d.now_ms());
    auto& ob = d.service.outbox();
    auto find = [&ob, id] { return ob.contact(id); };  // named lambdas: GCC 12 (see audit())
    auto before = co_await d.store.async(find);
    auto work = [&ob, &c, id] { return ob.update_contact(id, c); };
    store::CrmContact saved = co_await d.store.async(work);
    if (before) d.lookup.forget(before->phone);
    d.lookup.forget(saved.phone);
    json out = contact_json(saved);
    co_return json_response(200, out);
  };
  auto remove = [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    int64_t id = id_param(req);
    auto& ob = d.service.outbox();
    auto find = [&ob, id] { return ob.contact(id); };
    auto before = co_await d.store.async(find);
    auto work = [&ob, id] { ob.remove_contact(id); };
    co_await d.store.async(work);
    if (before) d.lookup.forget(before->phone);
    json out = {{"status", "ok"}};
    co_return json_response(200, out);
  };
  const std::array<const char*, 2> bases = {"/api/crm/contacts", "/api/contacts"};
  for (const char* b : bases) {
    std::string base(b), item = base + "/{id}";
    r.add("GET", base, list, "Local contacts (caller-lookup fallback), any logged-in user");
    r.add("POST", base, create, "Create a local contact (admin; 409 when the number exists)");
    r.add("PUT", item, update, "Update a local contact (admin)");
    r.add("DELETE", item, remove, "Delete a local contact (admin)");
  }
}

}  // namespace

void register_crm_routes(Router& r, CrmDeps& d) {
  register_settings(r, d);
  register_deliveries(r, d);
  register_contacts(r, d);
}

}  // namespace opdesk::api
