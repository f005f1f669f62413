// /api/analytics/* in the upstream shapes (see upstream_routes.hpp), computed on each request
// from the call log of the period (default: the last 30 days), in the caller's scope.
//
// How it fits: the period's calls are read page by page through CdrStore::query (scope in
// SQL, at most kMaxCalls calls) on the worker pool and reduced to one Fact per call; every
// endpoint folds those facts. Definitions (documented in the README): "queue-side" calls are
// the inbound calls and the calls that went through a queue; wait = call duration − talk time
// (whole duration when unanswered); SLA met = answered within the queue's threshold
// (ANALYTICS_SLA_THRESHOLDS, else SLA_DEFAULT_SECS = 20); abandoned = not answered; short
// abandon = abandoned within ANALYTICS_SHORT_ABANDON_SECS (5); FCR = share of answered
// callers with no further answered call within ANALYTICS_FCR_WINDOW_DAYS (7). Agents get 403
// as upstream. Adherence needs login/ready segments OpDesk does not record: 501.
#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

#include "admin_routes.hpp"
#include "api/call_log.hpp"
#include "directory/directory.hpp"
#include "http_util.hpp"
#include "store/cdr_sql.hpp"
#include "upstream_call_log.hpp"
#include "upstream_routes.hpp"

namespace opdesk::api {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxCalls = 20000;
const std::vector<std::string_view> kSettingsFields = {"sla_thresholds", "sla_default_secs", "fcr_window_days", "short_abandon_secs"};

struct Fact {
  int64_t start = 0;  // ms
  std::string day, calldate, src, dst, linkedid, queue, agent, disposition, status, direction;
  int dow = 0, hour = 0;  // Monday = 0
  int64_t duration = 0, talk = 0, wait = 0;
  bool answered = false, queue_side = false, outbound = false, busy = false, failed = false;
  bool sla_met = false;
};

struct Settings {
  int sla_default = 20, fcr_days = 7, short_abandon = 5;
  std::map<std::string, int> sla;
};

struct Period {
  std::string from, to;
};

double round1(double v) { return std::round(v * 10) / 10; }
double pct(int64_t a, int64_t b) { return b ? round1(100.0 * static_cast<double>(a) / static_cast<double>(b)) : 0.0; }
double avg(int64_t a, int64_t b) { return b ? round1(static_cast<double>(a) / static_cast<double>(b)) : 0.0; }

int64_t day_ms(const std::string& day) { return local_to_ms(day + " 12:00:00"); }
std::string shift_day(const std::string& day, int days) { return local_day(day_ms(day) + days * 86400000LL); }

Period period_of(const Request& req, int64_t now_ms) {
  Period p;
  p.to = req.query_value("date_to").value_or(local_day(now_ms));
  p.from = req.query_value("date_from").value_or(shift_day(p.to, -29));
  for (const auto& [k, v] : {std::pair{"date_from", p.from}, std::pair{"date_to", p.to}}) {
    if (v.size() != 10 || day_ms(v) == 0) throw ApiError(400, "request.field.invalid", std::string(k) + " must be a day YYYY-MM-DD", k);
  }
  if (p.from > p.to) throw ApiError(400, "request.field.invalid", "date_to is before date_from", "date_to");
  return p;
}

Settings load_settings(store::Store& st) {
  Settings s;
  auto num = [&](const char* key, int def, int lo, int hi) {
    auto v = st.settings().get(key);
    try {
      return v ? std::clamp(std::stoi(v->value), lo, hi) : def;
    } catch (const std::exception&) {
      return def;
    }
  };
  s.sla_default = num("SLA_DEFAULT_SECS", 20, 1, 3600);
  s.fcr_days = num("ANALYTICS_FCR_WINDOW_DAYS", 7, 1, 90);
  s.short_abandon = num("ANALYTICS_SHORT_ABANDON_SECS", 5, 0, 600);
  if (auto v = st.settings().get("ANALYTICS_SLA_THRESHOLDS")) {
    auto j = json::parse(v->value, nullptr, false);
    if (j.is_object()) {
      for (auto& [k, x] : j.items()) {
        if (x.is_number_integer()) s.sla[k] = x.get<int>();
      }
    }
  }
  return s;
}

struct Data {
  std::vector<Fact> facts;
  Settings settings;
  std::map<std::string, std::string> names;  // extension/queue → name
};

Fact fact_of(const store::CallGroup& c, const store::CdrQuery& q, const CallLogContext& ctx, const Settings& s) {
  json r = upstream_call_record(c, q, ctx);
  Fact f;
  f.calldate = r["calldate"].get<std::string>();
  f.start = local_to_ms(f.calldate);
  f.day = f.calldate.substr(0, 10);
  std::time_t t = static_cast<std::time_t>(f.start / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  f.dow = (tm.tm_wday + 6) % 7;
  f.hour = tm.tm_hour;
  f.src = r["src"].get<std::string>();
  f.dst = r["dst"].get<std::string>();
  f.linkedid = c.linkedid;
  for (const auto& l : c.legs) {
    if (f.queue.empty() && l.lastapp == "Queue") f.queue = l.lastdata.substr(0, l.lastdata.find(','));
  }
  f.status = r["status"].get<std::string>();
  f.disposition = r["disposition"].get<std::string>();
  f.direction = r["call_type"].get<std::string>();
  f.duration = r["duration"].get<int64_t>();
  f.talk = r["talk"].get<int64_t>();
  f.answered = f.status == "ANSWERED";
  f.wait = f.answered ? std::max<int64_t>(0, f.duration - f.talk) : f.duration;
  f.outbound = f.direction == "OUT";
  f.queue_side = f.direction == "IN" || !f.queue.empty();
  f.agent = f.outbound ? cdr_channel_extension(c.legs.front().channel) : r["extension"].get<std::string>();
  f.busy = f.status == "BUSY";
  f.failed = f.status == "FAILURE";
  auto th = s.sla.find(f.queue);
  f.sla_met = f.answered && f.wait <= (th == s.sla.end() ? s.sla_default : th->second);
  return f;
}

asio::awaitable<Data> load(UpstreamDeps& d, const Principal& p, Period per) {
  if (p.role == "agent") throw ApiError(403, "access.role.forbidden", "analytics need the supervisor or admin role");
  CallLogScope scope{p.all, p.extensions, p.queues};
  if (p.extension) scope.extensions.insert(*p.extension);
  CallLogQuery q = parse_call_log_query({{"date_from", per.from}, {"date_to", per.to}, {"sort", "oldest"}}, scope);
  const directory::Directory* dir = d.directory ? *d.directory : nullptr;
  if (dir) apply_directory(q, *dir);
  q.cdr.limit = store::kCdrMaxLimit;
  CallLogContext ctx;
  ctx.directory = dir;
  auto work = [&d, q, ctx, dir]() {
    Data out;
    out.settings = load_settings(d.store);
    store::CdrQuery cq = q.cdr;
    while (out.facts.size() < kMaxCalls) {
      auto page = d.cdr.query(cq);
      for (const auto& c : page.calls) {
        if (!c.legs.empty()) out.facts.push_back(fact_of(c, cq, ctx, out.settings));
      }
      if (!page.next || page.calls.empty()) break;
      cq.cursor = page.next;
    }
    if (dir) {
      for (const auto& f : out.facts) {
        for (const auto& k : {f.agent, f.queue}) {
          if (!k.empty() && !out.names.count(k)) out.names[k] = dir->name_of(k);
        }
      }
    }
    return out;
  };
  co_return co_await d.store.async(std::move(work));
}

json kpis(const std::vector<const Fact*>& fs, const Settings& s) {
  int64_t total = 0, answered = 0, abandoned = 0, short_ab = 0, sla = 0, wait = 0, bill = 0;
  int64_t o_total = 0, o_ans = 0, o_failed = 0, o_noans = 0, o_busy = 0, o_bill = 0, all_bill = 0, all_ans = 0;
  std::map<std::string, std::vector<int64_t>> answered_by_caller;
  for (const Fact* f : fs) {
    if (f->answered) {
      ++all_ans;
      all_bill += f->talk;
    }
    if (f->outbound) {
      ++o_total;
      if (f->answered) ++o_ans, o_bill += f->talk;
      else if (f->busy) ++o_busy;
      else if (f->failed) ++o_failed;
      else ++o_noans;
    }
    if (!f->queue_side) continue;
    ++total;
    wait += f->wait;
    if (f->answered) {
      ++answered;
      bill += f->talk;
      if (f->sla_met) ++sla;
      answered_by_caller[f->src].push_back(f->start);
    } else {
      ++abandoned;
      if (f->wait <= s.short_abandon) ++short_ab;
    }
  }
  int64_t callers = 0, repeat = 0;
  for (auto& [src, times] : answered_by_caller) {
    ++callers;
    std::sort(times.begin(), times.end());
    for (size_t i = 1; i < times.size(); ++i) {
      if (times[i] - times[i - 1] <= s.fcr_days * 86400000LL) {
        ++repeat;
        break;
      }
    }
  }
  return {{"total_calls", total}, {"answered_calls", answered}, {"abandoned_calls", abandoned},
          {"short_abandoned", short_ab}, {"sla_met_calls", sla}, {"sum_wait_secs", wait},
          {"sum_billsec", bill}, {"sla_pct", pct(sla, answered)},
          {"abandonment_rate", pct(abandoned, total)}, {"short_abandon_rate", pct(short_ab, total)},
          {"aht_secs", avg(bill, answered)}, {"avg_wait_secs", avg(wait, total)},
          {"fcr_pct", callers ? round1(100.0 - pct(repeat, callers)) : 0.0},
          {"outbound", {{"total_calls", o_total}, {"answered_calls", o_ans}, {"failed_calls", o_failed},
                        {"no_answer_calls", o_noans}, {"busy_calls", o_busy}, {"aht_secs", avg(o_bill, o_ans)},
                        {"answer_rate", pct(o_ans, o_total)}, {"sum_billsec", o_bill}}},
          {"combined", {{"total_calls", static_cast<int64_t>(fs.size())}, {"answered_calls", all_ans},
                        {"aht_secs", avg(all_bill, all_ans)}}}};
}

std::vector<const Fact*> within(const Data& d, const Period& p) {
  std::vector<const Fact*> out;
  for (const auto& f : d.facts) {
    if (f.day >= p.from && f.day <= p.to) out.push_back(&f);
  }
  return out;
}

// Drilldown filters; every value is checked (400 naming the field).
std::vector<const Fact*> filtered(const Data& d, const Request& req) {
  auto q = req.query_value("queue"), a = req.query_value("agent"), dir = req.query_value("direction"),
       disp = req.query_value("disposition");
  if (dir && !dir->empty() && *dir != "IN" && *dir != "OUT" && *dir != "INTERNAL") {
    throw ApiError(400, "request.field.invalid", "direction must be IN, OUT or INTERNAL", "direction");
  }
  std::vector<const Fact*> out;
  for (const auto& f : d.facts) {
    if (q && !q->empty() && f.queue != *q) continue;
    if (a && !a->empty() && f.agent != *a) continue;
    if (dir && !dir->empty() && f.direction != *dir) continue;
    if (disp && !disp->empty() && f.status != *disp && f.disposition != *disp) continue;
    out.push_back(&f);
  }
  return out;
}

json drill_row(const Fact& f) {
  return {{"calldate", f.calldate}, {"src", f.src}, {"dst", f.dst}, {"queue_extension", f.queue},
          {"agent_extension", f.agent}, {"duration", f.duration}, {"talk", f.talk},
          {"disposition", f.disposition}, {"status", f.status}, {"wait_secs", f.wait},
          {"sla_met", f.sla_met}, {"linkedid", f.linkedid}, {"direction", f.direction}};
}

int int_query(const Request& req, const char* name, int def, int lo, int hi) {
  auto v = req.query_value(name);
  if (!v) return def;
  if (v->empty() || v->size() > 6 || !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(*v) < lo || std::stoi(*v) > hi) {
    throw ApiError(400, "request.field.invalid", std::string(name) + " must be " + std::to_string(lo) + "-" + std::to_string(hi), name);
  }
  return std::stoi(*v);
}

std::string csv_cell(const std::string& v) {
  std::string s = v;
  if (!s.empty() && std::string("=+-@").find(s[0]) != std::string::npos) s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

using Handler = std::function<json(const Data&, const Period&, const Request&)>;

void add(Router& r, UpstreamDeps& d, const char* path, const char* summary, Handler h) {
  r.add("GET", path, [&d, h](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "analytics:read");
    Period per = period_of(req, d.now_ms());
    Data data = co_await load(d, p, per);
    co_return json_response(200, h(data, per, req));
  }, summary);
}

json overview(const Data& data, const Period& per, const Request&) {
  return {{"period", {{"from", per.from}, {"to", per.to}}},
          {"current", kpis(within(data, per), data.settings)},
          {"prev_period", nullptr}};
}

}  // namespace

void register_upstream_analytics_routes(Router& r, UpstreamDeps& d) {
  r.add("GET", "/api/analytics/overview", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "analytics:read");
    Period per = period_of(req, d.now_ms());
    int64_t len = (day_ms(per.to) - day_ms(per.from)) / 86400000LL + 1;
    // Members assigned one by one: GCC 12 destroys the temporaries of an aggregate init inside
    // a coroutine twice (ASan bad-free on /api/analytics/overview).
    Period prev, both;
    prev.from = shift_day(per.from, -static_cast<int>(len));
    prev.to = shift_day(per.from, -1);
    both.from = prev.from;
    both.to = per.to;
    Data data = co_await load(d, p, both);
    json out = overview(data, per, req);
    out["prev_period"] = kpis(within(data, prev), data.settings);
    co_return json_response(200, out);
  }, "Analytics KPIs of the period and of the previous period of equal length");

  add(r, d, "/api/analytics/trend", "Analytics: calls per day", [](const Data& data, const Period& per, const Request&) {
    json out = json::array();
    for (std::string day = per.from; day <= per.to; day = shift_day(day, 1)) {
      int64_t t = 0, a = 0, ab = 0, ot = 0, oa = 0;
      for (const auto& f : data.facts) {
        if (f.day != day) continue;
        if (f.outbound) ++ot, oa += f.answered;
        if (!f.queue_side) continue;
        ++t;
        if (f.answered) ++a;
        else ++ab;
      }
      out.push_back({{"date", day}, {"total_calls", t}, {"answered_calls", a}, {"abandoned_calls", ab},
                     {"outbound_total", ot}, {"outbound_answered", oa}});
    }
    return json{{"trend", out}};
  });

  add(r, d, "/api/analytics/queue-performance", "Analytics: per queue", [](const Data& data, const Period&, const Request&) {
    std::map<std::string, std::vector<const Fact*>> by;
    for (const auto& f : data.facts) {
      if (!f.queue.empty()) by[f.queue].push_back(&f);
    }
    json out = json::array();
    for (const auto& [q, fs] : by) {
      int64_t a = 0, sla = 0, bill = 0, wait = 0;
      std::array<int, 24> hours{};
      for (const Fact* f : fs) {
        ++hours[static_cast<size_t>(f->hour)];
        wait += f->wait;
        if (f->answered) ++a, bill += f->talk, sla += f->sla_met;
      }
      auto peak = std::max_element(hours.begin(), hours.end()) - hours.begin();
      auto name = data.names.find(q);
      out.push_back({{"queue_extension", q}, {"queue_name", name == data.names.end() || name->second.empty() ? q : name->second},
                     {"total_calls", fs.size()}, {"answered_calls", a},
                     {"abandoned_calls", static_cast<int64_t>(fs.size()) - a}, {"sla_pct", pct(sla, a)},
                     {"aht_secs", avg(bill, a)}, {"avg_wait_secs", avg(wait, static_cast<int64_t>(fs.size()))},
                     {"peak_hour", peak}});
    }
    return json{{"queues", out}};
  });

  add(r, d, "/api/analytics/agent-performance", "Analytics: per agent, ranked", [](const Data& data, const Period& per, const Request&) {
    struct Agg {
      int64_t total = 0, answered = 0, in = 0, out = 0, bill = 0, sla = 0;
      std::array<int64_t, 7> trend{};
    };
    std::map<std::string, Agg> by;
    int64_t all_sla = 0;
    for (const auto& f : data.facts) {
      if (f.agent.empty()) continue;
      Agg& g = by[f.agent];
      ++g.total;
      if (f.outbound) ++g.out;
      else if (f.direction == "IN") ++g.in;
      if (!f.answered) continue;
      ++g.answered;
      g.bill += f.talk;
      if (f.sla_met) ++g.sla, ++all_sla;
      int64_t back = (day_ms(per.to) - day_ms(f.day)) / 86400000LL;
      if (back >= 0 && back < 7) ++g.trend[static_cast<size_t>(6 - back)];
    }
    std::vector<std::pair<std::string, Agg>> rows(by.begin(), by.end());
    std::stable_sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.second.answered > y.second.answered; });
    json out = json::array();
    int rank = 0;
    for (const auto& [ext, g] : rows) {
      auto name = data.names.find(ext);
      out.push_back({{"rank", ++rank}, {"agent_extension", ext},
                     {"agent_name", name == data.names.end() ? "" : name->second},
                     {"total_calls", g.total}, {"answered_calls", g.answered}, {"inbound_calls", g.in},
                     {"outbound_calls", g.out}, {"aht_secs", avg(g.bill, g.answered)},
                     {"sla_contribution_pct", pct(g.sla, all_sla)}, {"daily_trend", g.trend}});
    }
    return json{{"agents", out}};
  });

  add(r, d, "/api/analytics/heatmap", "Analytics: queue-side calls by weekday and hour", [](const Data& data, const Period&, const Request&) {
    json m = json::array(), ab = json::array();
    std::array<std::array<int64_t, 24>, 7> a{}, b{};
    for (const auto& f : data.facts) {
      if (!f.queue_side) continue;
      ++a[static_cast<size_t>(f.dow)][static_cast<size_t>(f.hour)];
      if (!f.answered) ++b[static_cast<size_t>(f.dow)][static_cast<size_t>(f.hour)];
    }
    json hours = json::array();
    for (int h = 0; h < 24; ++h) hours.push_back((h < 10 ? "0" : "") + std::to_string(h));
    return json{{"matrix", a}, {"abandoned_matrix", b},
                {"labels", {{"days", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}}, {"hours", hours}}}};
  });

  add(r, d, "/api/analytics/drilldown", "Analytics: the calls behind the figures (filters, pages)", [](const Data& data, const Period&, const Request& req) {
    int page = int_query(req, "page", 1, 1, 100000), size = int_query(req, "page_size", 50, 1, 200);
    auto fs = filtered(data, req);
    std::reverse(fs.begin(), fs.end());  // newest first
    json calls = json::array();
    for (size_t i = static_cast<size_t>(page - 1) * static_cast<size_t>(size); i < fs.size() && calls.size() < static_cast<size_t>(size); ++i) {
      calls.push_back(drill_row(*fs[i]));
    }
    return json{{"calls", calls}, {"total", fs.size()}, {"page", page}, {"page_size", size}};
  });

  r.add("GET", "/api/analytics/export", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req, "analytics:read");
    std::string format = req.query_value("format").value_or("csv");
    if (format == "xlsx") not_supported("OpDesk exports analytics as CSV only (format=csv)");
    if (format != "csv") throw ApiError(400, "request.field.invalid", "format must be csv or xlsx", "format");
    Period per = period_of(req, d.now_ms());
    Data data = co_await load(d, p, per);
    std::string body = "\xEF\xBB\xBF" "Date,Src,Queue,Agent,Duration(s),Talk(s),Wait(s),Disposition,SLA Met\r\n";
    for (const Fact* f : filtered(data, req)) {
      body += csv_cell(f->calldate) + "," + csv_cell(f->src) + "," + csv_cell(f->queue) + "," + csv_cell(f->agent) + "," +
              std::to_string(f->duration) + "," + std::to_string(f->talk) + "," + std::to_string(f->wait) + "," +
              csv_cell(f->status) + "," + (f->sla_met ? "Yes" : "No") + "\r\n";
    }
    Response res;
    res.body = std::move(body);
    res.content_type = "text/csv; charset=utf-8";
    res.header("Content-Disposition", "attachment; filename=\"analytics.csv\"");
    co_return res;
  }, "Analytics drilldown as CSV (UTF-8 with BOM)");

  for (const char* path : {"/api/analytics/agent-adherence", "/api/analytics/agent-adherence/export"}) {
    r.add("GET", path, [&d](Request& req) -> asio::awaitable<Response> {
      co_await d.auth.require(req, "analytics:read");
      not_supported("agent adherence needs login/ready/not-ready time segments, which OpDesk does not record");
      co_return Response{};
    }, "Agent adherence: not supported (501, OpDesk records no presence segments)");
  }

  r.add("GET", "/api/analytics/settings", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    auto read = [&d] { return load_settings(d.store); };
    Settings s = co_await d.store.async(std::move(read));
    co_return json_response(200, {{"sla_thresholds", s.sla}, {"sla_default_secs", s.sla_default},
                                  {"fcr_window_days", s.fcr_days}, {"short_abandon_secs", s.short_abandon}});
  }, "Analytics settings (admin)");

  r.add("POST", "/api/analytics/settings", [&d](Request& req) -> asio::awaitable<Response> {
    Principal p = co_await d.auth.require(req);
    require_admin(p);
    json b = parse_json_body(req);
    reject_unknown(b, kSettingsFields);
    std::vector<std::pair<std::string, std::string>> writes;
    if (auto v = opt_int(b, "sla_default_secs", 1, 3600)) writes.emplace_back("SLA_DEFAULT_SECS", std::to_string(*v));
    if (auto v = opt_int(b, "fcr_window_days", 1, 90)) writes.emplace_back("ANALYTICS_FCR_WINDOW_DAYS", std::to_string(*v));
    if (auto v = opt_int(b, "short_abandon_secs", 0, 600)) writes.emplace_back("ANALYTICS_SHORT_ABANDON_SECS", std::to_string(*v));
    if (auto it = b.find("sla_thresholds"); it != b.end() && !it->is_null()) {
      if (!it->is_object() || it->size() > 500) throw ApiError(400, "request.field.invalid", "sla_thresholds must be an object queue → seconds", "sla_thresholds");
      for (auto& [k, v] : it->items()) {
        if (k.empty() || k.size() > 64 || !v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 3600) {
          throw ApiError(400, "request.field.invalid", "sla_thresholds values must be 1-3600 seconds", "sla_thresholds");
        }
      }
      writes.emplace_back("ANALYTICS_SLA_THRESHOLDS", it->dump());
    }
    std::string by = p.username;
    auto save = [&d, writes, by] {
      for (const auto& [k, v] : writes) d.store.settings().set(k, v, false, by);
    };
    co_await d.store.async(std::move(save));
    co_await audit(d.store, p, "analytics.settings", "analytics", "ok", b, req.remote_ip);
    co_return json_response(200, {{"ok", true}});
  }, "Change the analytics settings (admin)");
}

}  // namespace opdesk::api
