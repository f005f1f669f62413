// ContactLookup (see contact_lookup.hpp).
//
// How it fits: GET /api/crm/lookup (and the upstream /api/crm/contact) await lookup();
// wire_crm.cpp calls cached_name() for inbound calls it pushes (never blocks the loop).
// Invariants: the cache never exceeds kMaxCache entries (expired entries go first, then the
// soonest to expire); numbers of ≤ 5 digits are never sent to the CRM; a CRM hit is
// remembered in crm_contacts as source 'crm' without overwriting; a local contact matches by
// its digits, with or without a leading international "00".
#include "crm/contact_lookup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>
#include <curl/curl.h>

#include "store/crm_outbox.hpp"
#include "store/store.hpp"

namespace opdesk::crm {

namespace asio = boost::asio;

nlohmann::json LookupResult::to_json() const {
  return {{"phone", phone}, {"name", name ? nlohmann::json(*name) : nlohmann::json()}, {"source", source},
          {"cached", cached}};
}

std::string phone_key(std::string_view number) {
  std::string out;
  for (char c : number) {
    if (c >= '0' && c <= '9') out += c;
  }
  return out.substr(0, 32);
}

std::string format_number(std::string_view number, const std::string& format) {
  std::string n(number);
  if (format == "as_is") return n;
  if (format == "plus") return n.rfind("00", 0) == 0 ? "+" + phone_key(n.substr(2)) : n;
  if (format == "zeros") return n.rfind('+', 0) == 0 ? "00" + phone_key(n.substr(1)) : phone_key(n);
  return phone_key(n);
}

namespace {

const nlohmann::json* walk(const nlohmann::json& doc, const std::string& path) {
  const nlohmann::json* cur = &doc;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (cur->is_object() && cur->contains(part)) {
      cur = &(*cur)[part];
    } else if (cur->is_array() && !part.empty() &&
               std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); }) &&
               part.size() < 7 && std::stoul(part) < cur->size()) {
      cur = &(*cur)[std::stoul(part)];
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return cur;
}

}  // namespace

std::string apply_name_template(const std::string& templ, const nlohmann::json& doc) {
  std::string out;
  bool resolved = false;
  for (size_t i = 0; i < templ.size();) {
    size_t open = templ.find('[', i);
    size_t close = open == std::string::npos ? std::string::npos : templ.find(']', open);
    if (close == std::string::npos) {
      out += templ.substr(i);
      break;
    }
    out += templ.substr(i, open - i);
    const nlohmann::json* v = walk(doc, templ.substr(open + 1, close - open - 1));
    if (v && v->is_string() && !v->get<std::string>().empty()) {
      out += v->get<std::string>();
      resolved = true;
    } else if (v && v->is_number()) {
      out += v->dump();
      resolved = true;
    }
    i = close + 1;
  }
  if (!resolved) return {};
  std::string collapsed;
  for (char c : out) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed += space ? ' ' : c;
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed.substr(0, 200);
}

ContactLookup::ContactLookup(CrmService& service)
    : service_(service), shared_(std::make_shared<Shared>()) {}

ContactLookup::~ContactLookup() = default;

void ContactLookup::put(const std::string& key, Entry e) {
  std::lock_guard lock(shared_->mu);
  auto& cache = shared_->cache;
  if (cache.size() >= kMaxCache && !cache.count(key)) {
    auto now = std::chrono::steady_clock::now();
    for (auto it = cache.begin(); it != cache.end();) {
      it = it->second.expires <= now ? cache.erase(it) : std::next(it);
    }
    while (cache.size() >= kMaxCache) {
      auto oldest = std::min_element(cache.begin(), cache.end(), [](auto& a, auto& b) {
        return a.second.expires < b.second.expires;
      });
      cache.erase(oldest);
    }
  }
  cache[key] = std::move(e);
}

void ContactLookup::forget(const std::string& number) {
  std::lock_guard lock(shared_->mu);
  shared_->cache.erase(phone_key(number));
}

void ContactLookup::clear() {
  std::lock_guard lock(shared_->mu);
  shared_->cache.clear();
}

std::optional<std::string> ContactLookup::cached_name(const std::string& number) {
  std::string key = phone_key(number);
  if (key.empty()) return std::nullopt;
  {
    std::lock_guard lock(shared_->mu);
    auto it = shared_->cache.find(key);
    if (it != shared_->cache.end() && it->second.expires > std::chrono::steady_clock::now()) {
      return it->second.name;
    }
    if (!shared_->in_flight.insert(key).second) return std::nullopt;
  }
  // Background resolve; the in-flight mark is cleared by lookup().
  asio::co_spawn(service_.executor(), [this, number] { return lookup(number); }, asio::detached);
  return std::nullopt;
}

asio::awaitable<LookupResult> ContactLookup::lookup(std::string number) {
  auto shared = shared_;
  std::string key = phone_key(number);
  LookupResult res{number, std::nullopt, "none"};
  struct Done {
    std::shared_ptr<Shared> s;
    std::string k;
    ~Done() {
      std::lock_guard lock(s->mu);
      s->in_flight.erase(k);
    }
  } done{shared, key};
  if (key.empty()) co_return res;
  {
    std::lock_guard lock(shared->mu);
    auto it = shared->cache.find(key);
    if (it != shared->cache.end() && it->second.expires > std::chrono::steady_clock::now()) {
      res.name = it->second.name;
      res.source = it->second.name ? it->second.source : "none";
      res.cached = true;
      co_return res;
    }
  }
  auto& outbox = service_.outbox();
  // "+49 30 1234" and "0049 30 1234" are the same number: try the international-prefix twin too.
  auto local = co_await service_.store().async([&]() -> std::optional<store::CrmContact> {
    if (auto c = outbox.contact_by_key(key)) return c;
    std::string twin = key.rfind("00", 0) == 0 ? key.substr(2) : "00" + key;
    if (twin.size() > 5) return outbox.contact_by_key(twin);
    return std::nullopt;
  });
  CrmConfig cfg = service_.config();
  auto ttl = std::chrono::hours(std::max(cfg.lookup_ttl_hours, 0));
  auto now = std::chrono::steady_clock::now();
  if (local) {
    res.name = local->name;
    res.source = "contacts";
    put(key, {local->name, "contacts", now + std::chrono::minutes(5)});
    co_return res;
  }
  if (!cfg.lookup_enabled || cfg.lookup_url.empty() || key.size() <= 5 || cfg.server_url.empty()) {
    co_return res;
  }
  std::string formatted = format_number(number, cfg.lookup_number_format);
  char* esc = curl_easy_escape(nullptr, formatted.c_str(), static_cast<int>(formatted.size()));
  std::string enc = esc ? esc : "";
  curl_free(esc);
  std::string path = cfg.lookup_url;
  auto ph = path.find("[Number]");
  if (ph != std::string::npos) {
    path.replace(ph, 8, enc);
  } else {
    path += (path.find('?') == std::string::npos ? "?phone=" : "&phone=") + enc;
  }
  CrmConfig url_cfg = cfg;
  url_cfg.sync_endpoint = path;
  HttpRequest req;
  req.method = "GET";
  req.url = url_cfg.push_url();
  req.headers = {{"Accept", "application/json"}};
  HttpResult http = co_await service_.client().send(cfg, std::move(req));
  if (http.status == 0 || http.status >= 500 || http.status == 429) {
    put(key, {std::nullopt, "none", std::chrono::steady_clock::now() + std::chrono::seconds(60)});
    co_return res;
  }
  std::string name;
  if (http.success()) {
    auto doc = nlohmann::json::parse(http.body, nullptr, false);
    if (!doc.is_discarded()) name = apply_name_template(cfg.lookup_name_template, doc);
  }
  now = std::chrono::steady_clock::now();
  if (name.empty()) {
    put(key, {std::nullopt, "none", now + ttl});
    co_return res;
  }
  res.name = name;
  res.source = "crm";
  put(key, {name, "crm", now + ttl});
  int64_t at = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  co_await service_.store().async([&] { outbox.remember_crm_contact(name, number, key, at); });
  co_return res;
}

}  // namespace opdesk::crm
