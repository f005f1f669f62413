// Call-log REST glue: filters → store::CdrQuery, calls → JSON items and CSV lines.
//
// How it fits: the router hands the decoded query map and the principal's scope to
// parse_call_log_query; the lead runs call_log_query on the store's pool. Direction and
// outcome come from the same rules the SQL filters use (store/cdr_sql.hpp), so a call shown
// as "inbound" is exactly one that `direction=inbound` returns. Invariants: every accepted
// field is validated (length, charset, range) before it reaches SQL; unknown fields are 400.
#include "api/call_log.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <ctime>

#include "api/http_util.hpp"
#include "api/recordings.hpp"
#include "directory/directory.hpp"
#include "store/store.hpp"

namespace opdesk::api {
namespace {

using store::CdrDirection;
using store::CdrOutcome;

[[noreturn]] void bad(const std::string& field, const std::string& msg) {
  throw ApiError(400, "request.field.invalid", msg, field);
}

bool valid_day(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

bool charset(const std::string& s, size_t max, const char* extra) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(extra, c) != nullptr;
  });
}

long long int_field(const std::string& field, const std::string& v, long long lo, long long hi) {
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    bad(field, field + " must be a whole number");
  }
  long long n = std::stoll(v);
  if (n < lo || n > hi) {
    bad(field, field + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return n;
}

bool bool_field(const std::string& field, const std::string& v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  bad(field, field + " must be true or false");
}

CdrOutcome parse_outcome(const std::string& v) {
  std::string u = v;
  for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (u == "ANSWERED" || u == "DROPPED") return CdrOutcome::kAnswered;
  if (u == "NO_ANSWER" || u == "NOANSWER") return CdrOutcome::kNoAnswer;
  if (u == "BUSY") return CdrOutcome::kBusy;
  if (u == "FAILED" || u == "FAILURE" || u == "OUT_OF_REACH") return CdrOutcome::kFailed;
  if (u == "CANCELLED" || u == "CANCELED") return CdrOutcome::kCancelled;
  if (u == "ABANDONED") return CdrOutcome::kAbandoned;
  bad("outcome", "outcome must be answered, no_answer, busy, failed, cancelled or abandoned");
}

const char* const kFields[] = {"date", "date_from", "date_to", "limit", "extension", "direction",
                               "outcome", "queue", "min_duration", "has_recording", "search",
                               "sort", "cursor", "raw", "format"};

void parse_dates(const std::map<std::string, std::string>& m, store::CdrQuery& q) {
  auto get = [&](const char* k) -> const std::string* {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  };
  for (const char* k : {"date", "date_from", "date_to"}) {
    if (const auto* v = get(k); v && !valid_day(*v)) bad(k, std::string(k) + " must be a day YYYY-MM-DD");
  }
  if (const auto* d = get("date")) {
    if (get("date_from") || get("date_to")) bad("date", "use either date or date_from/date_to");
    q.date_from = q.date_to = *d;
  }
  if (const auto* v = get("date_from")) q.date_from = *v;
  if (const auto* v = get("date_to")) q.date_to = *v;
  if (q.date_from && q.date_to && *q.date_from > *q.date_to) {
    bad("date_to", "date_to is before date_from");
  }
}

void parse_filters(const std::map<std::string, std::string>& m, store::CdrQuery& q) {
  for (const auto& [k, v] : m) {
    if (k == "limit") {
      q.limit = static_cast<int>(int_field(k, v, 1, store::kCdrMaxLimit));
    } else if (k == "extension") {
      if (!charset(v, 32, "*#+")) bad(k, "extension must be 1-32 characters of 0-9, A-Z, *, #, +");
      q.extension = v;
    } else if (k == "direction") {
      if (v == "internal") q.direction = CdrDirection::kInternal;
      else if (v == "inbound") q.direction = CdrDirection::kInbound;
      else if (v == "outbound") q.direction = CdrDirection::kOutbound;
      else bad(k, "direction must be internal, inbound or outbound");
    } else if (k == "outcome") {
      q.outcome = parse_outcome(v);
    } else if (k == "queue") {
      if (!charset(v, 64, "_-.")) bad(k, "queue must be 1-64 characters of 0-9, A-Z, _, -, .");
      q.queue = v;
    } else if (k == "min_duration") {
      q.min_duration = int_field(k, v, 0, 7 * 86400);
    } else if (k == "has_recording") {
      q.has_recording = bool_field(k, v);
    } else if (k == "search") {
      if (v.size() > 64 || std::any_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
        bad(k, "search must be at most 64 printable characters");
      }
      if (!v.empty()) q.search = v;
    } else if (k == "sort") {
      if (v != "newest" && v != "oldest") bad(k, "sort must be newest or oldest");
      q.oldest_first = v == "oldest";
    } else if (k == "raw") {
      q.raw = bool_field(k, v);
    }
  }
}

std::string b64url(const std::string& in) {
  static const char* kA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += kA[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += kA[(n >> 18) & 63];
    out += kA[(n >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    for (int s : {18, 12, 6}) out += kA[(n >> s) & 63];
  }
  return out;
}

std::optional<std::string> unb64url(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

std::string encode_cursor(const store::CdrCursor& c, bool raw) {
  std::string s = std::string(raw ? "r" : "g") + '\x1f' + c.calldate + '\x1f' + c.key;
  if (raw) s += '\x1f' + std::to_string(c.sequence);
  s += '\x1f' + std::to_string(c.total);
  return b64url(s);
}

store::CdrCursor decode_cursor(const std::string& text, bool raw) {
  auto fail = [] { bad("cursor", "cursor is not a cursor returned by this endpoint"); };
  if (text.empty() || text.size() > 512) fail();
  auto s = unb64url(text);
  if (!s) fail();
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t p; (p = s->find('\x1f', start)) != std::string::npos; start = p + 1) {
    parts.push_back(s->substr(start, p - start));
  }
  parts.push_back(s->substr(start));
  if (parts.size() != (raw ? 5u : 4u) || parts[0] != (raw ? "r" : "g")) fail();
  if (parts[1].size() != 19 || !valid_day(parts[1].substr(0, 10)) || parts[2].empty()) fail();
  auto number = [&](const std::string& n) {
    bool digits = !n.empty() && n.size() < 19 && std::all_of(n.begin(), n.end(), [](char ch) {
      return std::isdigit(static_cast<unsigned char>(ch));
    });
    if (!digits) fail();
    return std::stoll(n);
  };
  store::CdrCursor c{parts[1], parts[2], 0, -1};
  if (raw) c.sequence = number(parts[3]);
  c.total = parts.back() == "-1" ? -1 : number(parts.back());
  return c;
}

CallLogQuery parse_call_log_query(const std::map<std::string, std::string>& m,
                                  const CallLogScope& scope) {
  for (const auto& [k, v] : m) {
    if (std::find(std::begin(kFields), std::end(kFields), k) == std::end(kFields)) {
      bad(k, "unknown filter " + k.substr(0, 64));
    }
  }
  CallLogQuery out;
  auto& q = out.cdr;
  parse_dates(m, q);
  parse_filters(m, q);
  if (auto it = m.find("format"); it != m.end()) {
    if (it->second != "json" && it->second != "csv") bad("format", "format must be json or csv");
    out.csv = it->second == "csv";
  }
  if (auto it = m.find("cursor"); it != m.end() && !it->second.empty()) {
    q.cursor = decode_cursor(it->second, q.raw);
  }
  q.scope = store::CdrScope{scope.all, scope.extensions, scope.queues};
  return out;
}

void apply_directory(CallLogQuery& q, const directory::Directory& dir) {
  q.cdr.known_extensions = dir.extension_numbers();
  q.cdr.known_queues = dir.queue_keys();
  if (q.cdr.search) q.cdr.search_extensions = dir.match_names(*q.cdr.search);
}

std::string_view canonical_outcome(CdrOutcome o) {
  switch (o) {
    case CdrOutcome::kAnswered: return "ANSWERED";
    case CdrOutcome::kNoAnswer: return "NO_ANSWER";
    case CdrOutcome::kBusy: return "BUSY";
    case CdrOutcome::kFailed: return "FAILURE";
    case CdrOutcome::kCancelled: return "CANCELED";
    case CdrOutcome::kAbandoned: return "ABANDONED";
    case CdrOutcome::kAny: break;
  }
  return "FAILURE";
}

std::string_view outcome_name(CdrOutcome o) {
  switch (o) {
    case CdrOutcome::kAnswered: return "answered";
    case CdrOutcome::kNoAnswer: return "no_answer";
    case CdrOutcome::kBusy: return "busy";
    case CdrOutcome::kFailed: return "failed";
    case CdrOutcome::kCancelled: return "cancelled";
    case CdrOutcome::kAbandoned: return "abandoned";
    case CdrOutcome::kAny: break;
  }
  return "failed";
}

std::string_view direction_name(CdrDirection d) {
  switch (d) {
    case CdrDirection::kInbound: return "inbound";
    case CdrDirection::kOutbound: return "outbound";
    default: return "internal";
  }
}

int64_t local_to_ms(const std::string& s) {
  std::tm t{};
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec) != 6) {
    return 0;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  t.tm_isdst = -1;
  std::time_t tt = std::mktime(&t);
  return tt < 0 ? 0 : static_cast<int64_t>(tt) * 1000;
}


namespace {

// "PJSIP/1002-00000009" → "1002"; "Local/1006@from-internal-00000000;1" → "1006".
std::string channel_ext(const std::string& ch) {
  auto slash = ch.find('/');
  if (slash == std::string::npos) return {};
  auto rest = ch.substr(slash + 1);
  auto end = rest.find('@');
  if (end == std::string::npos) end = rest.rfind('-');
  return end == std::string::npos ? rest : rest.substr(0, end);
}

// `"Ext 1001" <1001>` → "Ext 1001".
std::string clid_name(const std::string& clid) {
  auto lt = clid.find('<');
  std::string n = clid.substr(0, lt == std::string::npos ? clid.size() : lt);
  while (!n.empty() && (n.back() == ' ' || n.back() == '"')) n.pop_back();
  size_t b = 0;
  while (b < n.size() && (n[b] == ' ' || n[b] == '"')) ++b;
  return n.substr(b);
}

std::string dir_name(const CallLogContext& ctx, const std::string& number) {
  return ctx.directory && !number.empty() ? ctx.directory->name_of(number) : std::string();
}

nlohmann::json parse_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

nlohmann::json leg_json(const store::CdrRecord& r) {
  return {{"uniqueid", r.uniqueid},       {"src", r.src},
          {"dst", r.dst},                 {"channel", r.channel},
          {"dstchannel", r.dstchannel},   {"disposition", r.disposition},
          {"duration", r.duration},       {"billsec", r.billsec},
          {"lastapp", r.lastapp},         {"calldate", local_to_ms(r.calldate)}};
}

// Journey stored by the journey module, else one step per leg derived from the CDR.
nlohmann::json journey_of(const std::vector<store::CdrRecord>& legs) {
  for (const auto& l : legs) {
    auto j = parse_or_null(l.journey);
    if (j.is_array()) return j;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : legs) {
    std::string app = l.lastapp;
    for (auto& c : app) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back({{"at", local_to_ms(l.calldate)}, {"event", app.empty() ? "leg" : app},
                   {"to", channel_ext(l.dstchannel).empty() ? l.dst : channel_ext(l.dstchannel)},
                   {"disposition", l.disposition}, {"duration", l.duration},
                   {"billsec", l.billsec}});
  }
  return out;
}

}  // namespace

std::string cdr_channel_extension(const std::string& channel) { return channel_ext(channel); }
std::string cdr_clid_name(const std::string& clid) { return clid_name(clid); }

nlohmann::json call_log_item(const store::CallGroup& call, const store::CdrQuery& q,
                             const CallLogContext& ctx) {
  if (call.legs.empty()) return nullptr;
  const auto& a = call.legs.front();
  auto dir = store::classify_direction(a, q.known_extensions, q.known_queues);
  auto outcome = store::classify_outcome(call.legs);
  int64_t start = INT64_MAX, end = 0, billsec = 0;
  std::string ext, first_dst_ext, queue, recording;
  nlohmann::json legs = nlohmann::json::array(), qos = nlohmann::json::object();
  for (const auto& l : call.legs) {
    int64_t t = local_to_ms(l.calldate);
    start = std::min(start, t);
    end = std::max(end, t + l.duration * 1000);
    if (l.disposition == "ANSWERED") billsec += l.billsec;
    if (ext.empty() && l.disposition == "ANSWERED" && !l.dstchannel.empty()) ext = channel_ext(l.dstchannel);
    if (first_dst_ext.empty() && !l.dstchannel.empty()) first_dst_ext = channel_ext(l.dstchannel);
    if (queue.empty() && l.lastapp == "Queue") queue = l.lastdata.substr(0, l.lastdata.find(','));
    if (recording.empty()) recording = l.recordingfile;
    if (auto j = parse_or_null(l.qos); !j.is_null()) qos[l.uniqueid] = j;
    legs.push_back(leg_json(l));
  }
  if (ext.empty()) ext = !first_dst_ext.empty() ? first_dst_ext : channel_ext(a.channel);
  std::string from_name = clid_name(a.clid);
  if (from_name.empty() || from_name == a.src) from_name = dir_name(ctx, a.src);
  nlohmann::json rec = nullptr;
  if (!recording.empty()) {
    rec = {{"file", recording}, {"url", nullptr}};
    if (!ctx.recording_key.empty()) {
      rec["url"] = signed_recording_url(ctx.recording_key, recording, ctx.user_id, ctx.now_unix);
    }
  }
  return {{"id", call.linkedid},
          {"started_at", start},
          {"direction", direction_name(dir)},
          {"outcome", outcome_name(outcome)},
          {"status", canonical_outcome(outcome)},
          {"from", {{"number", a.src}, {"name", from_name}}},
          {"to", {{"number", a.dst}, {"name", dir_name(ctx, a.dst)}}},
          {"extension", ext},
          {"queue", queue.empty() ? nlohmann::json(nullptr) : nlohmann::json(queue)},
          {"duration", std::max<int64_t>(0, (end - start) / 1000)},
          {"billsec", billsec},
          {"recording", rec},
          {"legs", legs},
          {"journey", journey_of(call.legs)},
          {"qos", qos.empty() ? nlohmann::json(nullptr) : qos}};
}

nlohmann::json call_log_query(store::CdrStore& cdr, const CallLogQuery& q,
                              const CallLogContext& ctx) {
  auto page = cdr.query(q.cdr);
  nlohmann::json items = nlohmann::json::array();
  if (q.cdr.raw) {
    for (const auto& r : page.rows) {
      auto j = leg_json(r);
      j["linkedid"] = r.linkedid;
      j["clid"] = r.clid;
      j["dcontext"] = r.dcontext;
      j["lastdata"] = r.lastdata;
      j["sequence"] = r.sequence;
      j["recordingfile"] = r.recordingfile;
      items.push_back(std::move(j));
    }
  } else {
    for (const auto& c : page.calls) items.push_back(call_log_item(c, q.cdr, ctx));
  }
  return {{"items", items},
          {"next_cursor", page.next ? nlohmann::json(encode_cursor(*page.next, q.cdr.raw))
                                    : nlohmann::json(nullptr)},
          {"total", page.total},
          {"total_exact", page.total_exact}};
}

namespace {

std::string csv_cell(std::string v) {
  // A leading =,+,-,@ would be a formula in a spreadsheet: neutralise it.
  if (!v.empty() && std::strchr("=+-@\t\r", v[0]) != nullptr) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string local_text(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

size_t call_log_csv(store::CdrStore& cdr, CallLogQuery q, const CallLogContext& ctx,
                    const std::function<void(std::string_view)>& sink, int page_size,
                    size_t max_rows) {
  q.cdr.raw = false;
  q.cdr.limit = std::clamp(page_size, 1, store::kCdrMaxLimit);
  sink("started_at,id,direction,outcome,from_number,from_name,to_number,to_name,extension,"
       "queue,duration,billsec,legs,recording\r\n");
  size_t written = 0;
  for (;;) {
    auto page = cdr.query(q.cdr);
    std::string chunk;
    for (const auto& c : page.calls) {
      if (written >= max_rows) break;
      auto j = call_log_item(c, q.cdr, ctx);
      const std::vector<std::string> cells = {
          local_text(j["started_at"].get<int64_t>()), j["id"], j["direction"], j["outcome"],
          j["from"]["number"], j["from"]["name"], j["to"]["number"], j["to"]["name"],
          j["extension"], j["queue"].is_null() ? "" : j["queue"].get<std::string>(),
          std::to_string(j["duration"].get<int64_t>()), std::to_string(j["billsec"].get<int64_t>()),
          std::to_string(c.legs.size()), j["recording"].is_null() ? "" : j["recording"]["file"].get<std::string>()};
      for (size_t i = 0; i < cells.size(); ++i) chunk += (i ? "," : "") + csv_cell(cells[i]);
      chunk += "\r\n";
      ++written;
    }
    if (!chunk.empty()) sink(chunk);
    if (!page.next || written >= max_rows) break;
    q.cdr.cursor = page.next;
  }
  return written;
}

boost::asio::awaitable<nlohmann::json> call_log_query_async(store::Store& st, store::CdrStore& cdr,
                                                            CallLogQuery q, CallLogContext ctx) {
  // Named, not inline: GCC 12 bitwise-copies closures created inside co_await.
  auto work1 = [&cdr, q = std::move(q), ctx = std::move(ctx)] {
    return call_log_query(cdr, q, ctx);
  };
  co_return co_await st.async(std::move(work1));
}

}  // namespace opdesk::api
