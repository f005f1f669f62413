// Call-log SQL builder (see cdr_sql.hpp for the model: anchors, EXISTS filters, keyset).
//
// Invariants: every value reaches the database as a bound parameter (never spliced into the
// text); LIKE patterns are escaped with '!'; the only SQL functions used (LENGTH, COUNT,
// CAST AS CHAR) behave the same in SQLite and MariaDB, and calldate is compared as
// "YYYY-MM-DD HH:MM:SS" text, which both a SQLite TEXT and a MariaDB DATETIME column accept.
#include "store/cdr_sql.hpp"

#include <algorithm>
#include <cstdio>

namespace opdesk::store {
namespace {

class Builder {
 public:
  std::string text(std::string v) {
    binds_.push_back(SqlBind{false, std::move(v), 0});
    return ":b" + std::to_string(binds_.size() - 1);
  }
  std::string number(long long v) {
    binds_.push_back(SqlBind{true, {}, v});
    return ":b" + std::to_string(binds_.size() - 1);
  }
  std::vector<SqlBind> take() { return std::move(binds_); }

 private:
  std::vector<SqlBind> binds_;
};

std::string lid(const CdrColumns& c, const char* a) {
  return std::string(a) + (c.has_linkedid ? ".linkedid" : ".uniqueid");
}
std::string seq(const CdrColumns& c, const char* a) {
  return c.has_sequence ? std::string(a) + ".sequence" : std::string("0");
}

std::string in_list(Builder& b, const std::set<std::string>& values) {
  std::string s = "(";
  bool first = true;
  for (const auto& v : values) {
    if (!first) s += ",";
    s += b.text(v);
    first = false;
  }
  return s + ")";
}

// Row `a` touches one of the extensions: as src/dst number or as its channel (PJSIP/1001-...).
std::string ext_pred(Builder& b, const char* a, const std::set<std::string>& exts) {
  if (exts.empty()) return "1=0";
  std::string s = "(" + std::string(a) + ".src IN " + in_list(b, exts) + " OR " + a +
                  ".dst IN " + in_list(b, exts);
  for (const auto& e : exts) {
    std::string pat = "%/" + like_escape(e) + "-%";
    s += " OR " + std::string(a) + ".channel LIKE " + b.text(pat) + " ESCAPE '!'";
    s += " OR " + std::string(a) + ".dstchannel LIKE " + b.text(pat) + " ESCAPE '!'";
  }
  return s + ")";
}

// Row `a` is a Queue() leg of one of these queues (by number or by name in the app data).
std::string queue_pred(Builder& b, const char* a, const std::set<std::string>& queues) {
  if (queues.empty()) return "1=0";
  std::string s = "(" + std::string(a) + ".lastapp = 'Queue' AND (" + a + ".dst IN " +
                  in_list(b, queues) + " OR " + a + ".lastdata IN " + in_list(b, queues);
  for (const auto& q : queues) {
    s += " OR " + std::string(a) + ".lastdata LIKE " + b.text(like_escape(q) + ",%") +
         " ESCAPE '!'";
  }
  return s + "))";
}

std::string exists_leg(const CdrColumns& c, const std::string& pred) {
  return "EXISTS (SELECT 1 FROM " + c.table + " x WHERE " + lid(c, "x") + " = " + lid(c, "c") +
         " AND " + pred + ")";
}

std::string scope_pred(Builder& b, const CdrColumns& c, const CdrScope& s) {
  if (s.all) return {};
  if (s.extensions.empty() && s.queues.empty()) return "1=0";
  return exists_leg(c, "(" + ext_pred(b, "x", s.extensions) + " OR " +
                           queue_pred(b, "x", s.queues) + ")");
}

std::string is_ext(Builder& b, const std::string& col, const std::set<std::string>& known) {
  if (known.empty()) return "(LENGTH(" + col + ") BETWEEN 2 AND 6)";
  return "(" + col + " IN " + in_list(b, known) + ")";
}

const char* const kTrunkContexts[] = {"from-trunk", "from-pstn", "from-did", "ext-did",
                                      "incoming",   "from-external"};

std::string inbound_sql(Builder& b, const CdrQuery& q) {
  std::string s = "(NOT " + is_ext(b, "c.src", q.known_extensions);
  for (const char* ctx : kTrunkContexts) s += " OR c.dcontext LIKE '" + std::string(ctx) + "%'";
  return s + ")";
}

std::string outbound_sql(Builder& b, const CdrQuery& q) {
  std::string queues = q.known_queues.empty() ? "1=0" : "c.dst IN " + in_list(b, q.known_queues);
  return "(NOT " + inbound_sql(b, q) + " AND NOT " + is_ext(b, "c.dst", q.known_extensions) +
         " AND NOT (" + queues +
         ") AND ((c.lastapp = 'Dial' AND c.dstchannel <> '' AND c.dstchannel NOT LIKE 'Local/%')"
         " OR c.dcontext LIKE 'outbound%' OR c.dcontext LIKE 'macro-dialout%'))";
}

// Call-level outcome facts over the legs x (see classify_outcome for the same rules in C++).
std::string fact(const CdrColumns& c, char f) {
  switch (f) {
    case 'A': return exists_leg(c, "(x.disposition = 'ANSWERED' AND NOT (x.lastapp = 'Queue' AND x.dstchannel = ''))");
    case 'Q': return exists_leg(c, "x.lastapp = 'Queue'");
    case 'B': return exists_leg(c, "x.disposition = 'BUSY'");
    case 'F': return exists_leg(c, "x.disposition IN ('FAILED','CONGESTION')");
    default:  return exists_leg(c, "(x.disposition = 'NO ANSWER' AND x.lastapp NOT IN ('Dial','Queue'))");
  }
}

std::string outcome_sql(const CdrColumns& c, CdrOutcome o) {
  auto n = [&](char f) { return "NOT " + fact(c, f); };
  switch (o) {
    case CdrOutcome::kAnswered: return fact(c, 'A');
    case CdrOutcome::kAbandoned: return "(" + n('A') + " AND " + fact(c, 'Q') + ")";
    case CdrOutcome::kBusy: return "(" + n('A') + " AND " + n('Q') + " AND " + fact(c, 'B') + ")";
    case CdrOutcome::kFailed:
      return "(" + n('A') + " AND " + n('Q') + " AND " + n('B') + " AND " + fact(c, 'F') + ")";
    case CdrOutcome::kNoAnswer:
      return "(" + n('A') + " AND " + n('Q') + " AND " + n('B') + " AND " + n('F') + " AND " +
             fact(c, 'H') + ")";
    case CdrOutcome::kCancelled:
      return "(" + n('A') + " AND " + n('Q') + " AND " + n('B') + " AND " + n('F') + " AND " +
             n('H') + ")";
    case CdrOutcome::kAny: break;
  }
  return {};
}

std::string search_pred(Builder& b, const CdrColumns& c, const CdrQuery& q) {
  std::string pat = "%" + like_escape(*q.search) + "%";
  std::string p = "(x.src LIKE " + b.text(pat) + " ESCAPE '!' OR x.dst LIKE " + b.text(pat) +
                  " ESCAPE '!' OR x.clid LIKE " + b.text(pat) + " ESCAPE '!' OR x.uniqueid = " +
                  b.text(*q.search) + " OR " + lid(c, "x") + " = " + b.text(*q.search);
  if (!q.search_extensions.empty()) p += " OR " + ext_pred(b, "x", q.search_extensions);
  return exists_leg(c, p + ")");
}

std::string next_day(const std::string& day) {
  int y = std::stoi(day.substr(0, 4)), m = std::stoi(day.substr(5, 2)), d = std::stoi(day.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int dim = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (++d > dim) {
    d = 1;
    if (++m > 12) {
      m = 1;
      ++y;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

// Every filter except the cursor, as a list of conjuncts over the row/anchor `c`.
std::vector<std::string> filters(Builder& b, const CdrColumns& c, const CdrQuery& q) {
  std::vector<std::string> w;
  if (q.date_from) w.push_back("c.calldate >= " + b.text(*q.date_from + " 00:00:00"));
  if (q.date_to) w.push_back("c.calldate < " + b.text(next_day(*q.date_to) + " 00:00:00"));
  if (auto s = scope_pred(b, c, q.scope); !s.empty()) w.push_back(s);
  if (q.extension) w.push_back(exists_leg(c, ext_pred(b, "x", {*q.extension})));
  if (q.queue) w.push_back(exists_leg(c, queue_pred(b, "x", {*q.queue})));
  if (q.min_duration) w.push_back(exists_leg(c, "x.duration >= " + b.number(*q.min_duration)));
  if (q.has_recording) {
    std::string rec = c.has_recordingfile ? "x.recordingfile <> ''" : "1=0";
    std::string e = exists_leg(c, rec);
    w.push_back(*q.has_recording ? e : "NOT " + e);
  }
  if (q.search && !q.search->empty()) w.push_back(search_pred(b, c, q));
  if (q.outcome != CdrOutcome::kAny) w.push_back(outcome_sql(c, q.outcome));
  switch (q.direction) {
    case CdrDirection::kInbound: w.push_back(inbound_sql(b, q)); break;
    case CdrDirection::kOutbound: w.push_back(outbound_sql(b, q)); break;
    case CdrDirection::kInternal:
      w.push_back("NOT " + inbound_sql(b, q) + " AND NOT " + outbound_sql(b, q));
      break;
    case CdrDirection::kAny: break;
  }
  return w;
}

std::string anchor_pred(const CdrColumns& c) {
  return "NOT EXISTS (SELECT 1 FROM " + c.table + " p WHERE " + lid(c, "p") + " = " +
         lid(c, "c") + " AND (p.calldate < c.calldate OR (p.calldate = c.calldate AND " +
         "(p.uniqueid < c.uniqueid OR (p.uniqueid = c.uniqueid AND (" + seq(c, "p") + " < " +
         seq(c, "c") + " OR (" + seq(c, "p") + " = " + seq(c, "c") +
         " AND p.dstchannel < c.dstchannel)))))))";
}

std::string join_and(const std::vector<std::string>& w) {
  if (w.empty()) return "1=1";
  std::string s;
  for (size_t i = 0; i < w.size(); ++i) s += (i ? " AND " : "") + std::string("(") + w[i] + ")";
  return s;
}

}  // namespace

std::string like_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '!') out += '!';
    out += ch;
  }
  return out;
}

std::string select_columns(const CdrColumns& c) {
  std::string s =
      "CAST(c.calldate AS CHAR), c.clid, c.src, c.dst, c.dcontext, c.channel, c.dstchannel, "
      "c.lastapp, c.lastdata, c.duration, c.billsec, c.disposition, c.amaflags, c.accountcode, "
      "c.uniqueid, c.userfield, " + lid(c, "c") + ", " +
      (c.has_peeraccount ? "c.peeraccount" : "''") + ", " + seq(c, "c") + ", " +
      (c.has_recordingfile ? "c.recordingfile" : "''");
  s += c.has_journey ? ", c.journey, c.qos" : ", '', ''";
  return s;
}

SqlText build_anchor_page(const CdrColumns& c, const CdrQuery& q, long long offset) {
  Builder b;
  auto w = filters(b, c, q);
  w.push_back(anchor_pred(c));
  const char* dir = q.oldest_first ? "ASC" : "DESC";
  if (q.cursor && offset < 0) {
    const char* op = q.oldest_first ? ">" : "<";
    w.push_back("c.calldate " + std::string(op) + " " + b.text(q.cursor->calldate) +
                " OR (c.calldate = " + b.text(q.cursor->calldate) + " AND " + lid(c, "c") + " " +
                op + " " + b.text(q.cursor->key) + ")");
  }
  std::string sql = "SELECT CAST(c.calldate AS CHAR), " + lid(c, "c") + " FROM " + c.table +
                    " c WHERE " + join_and(w) + " ORDER BY c.calldate " + dir + ", " +
                    lid(c, "c") + " " + dir + " LIMIT " + std::to_string(q.limit + 1);
  if (offset >= 0) sql += " OFFSET " + std::to_string(offset);
  return {sql, b.take()};
}

SqlText build_raw_page(const CdrColumns& c, const CdrQuery& q) {
  Builder b;
  auto w = filters(b, c, q);
  const char* dir = q.oldest_first ? "ASC" : "DESC";
  if (q.cursor) {
    const char* op = q.oldest_first ? ">" : "<";
    std::string cd = b.text(q.cursor->calldate), cd2 = b.text(q.cursor->calldate);
    std::string u = b.text(q.cursor->key), u2 = b.text(q.cursor->key);
    w.push_back("c.calldate " + std::string(op) + " " + cd + " OR (c.calldate = " + cd2 +
                " AND (c.uniqueid " + op + " " + u + " OR (c.uniqueid = " + u2 + " AND " +
                seq(c, "c") + " " + op + " " + b.number(q.cursor->sequence) + ")))");
  }
  std::string sql = "SELECT " + select_columns(c) + " FROM " + c.table + " c WHERE " +
                    join_and(w) + " ORDER BY c.calldate " + dir + ", c.uniqueid " + dir + ", " +
                    seq(c, "c") + " " + dir + " LIMIT " + std::to_string(q.limit + 1);
  return {sql, b.take()};
}

SqlText build_count(const CdrColumns& c, const CdrQuery& q) {
  Builder b;
  auto w = filters(b, c, q);
  if (!q.raw) w.push_back(anchor_pred(c));
  // Counts at most kCdrCountCap + 1 matches (the caller reports "more than the cap").
  return {"SELECT COUNT(*) FROM (SELECT 1 AS one FROM " + c.table + " c WHERE " + join_and(w) +
              " LIMIT " + std::to_string(kCdrCountCap + 1) + ") capped",
          b.take()};
}

SqlText build_legs(const CdrColumns& c, const std::vector<std::string>& linkedids) {
  Builder b;
  std::set<std::string> ids(linkedids.begin(), linkedids.end());
  std::string sql = "SELECT " + select_columns(c) + " FROM " + c.table + " c WHERE " +
                    lid(c, "c") + " IN " + in_list(b, ids) + " ORDER BY " + lid(c, "c") +
                    ", c.calldate, c.uniqueid, " + seq(c, "c");
  return {sql, b.take()};
}

SqlText build_recording_lookup(const CdrColumns& c, const std::string& file,
                               const CdrScope& scope) {
  Builder b;
  if (!c.has_recordingfile) return {"SELECT '', '' FROM " + c.table + " c WHERE 1=0", {}};
  std::vector<std::string> w{"c.recordingfile = " + b.text(file)};
  if (auto s = scope_pred(b, c, scope); !s.empty()) w.push_back(s);
  return {"SELECT CAST(c.calldate AS CHAR), " + lid(c, "c") + " FROM " + c.table + " c WHERE " +
              join_and(w) + " ORDER BY c.calldate LIMIT 1",
          b.take()};
}

namespace {
bool is_known_ext(const std::string& n, const std::set<std::string>& known) {
  if (known.empty()) return n.size() >= 2 && n.size() <= 6;
  return known.count(n) > 0;
}
}  // namespace

CdrDirection classify_direction(const CdrRecord& a, const std::set<std::string>& known,
                                const std::set<std::string>& queues) {
  bool trunk_ctx = std::any_of(std::begin(kTrunkContexts), std::end(kTrunkContexts),
                               [&](const char* p) { return a.dcontext.rfind(p, 0) == 0; });
  if (trunk_ctx || !is_known_ext(a.src, known)) return CdrDirection::kInbound;
  bool dialled_out = (a.lastapp == "Dial" && !a.dstchannel.empty() &&
                      a.dstchannel.rfind("Local/", 0) != 0) ||
                     a.dcontext.rfind("outbound", 0) == 0 ||
                     a.dcontext.rfind("macro-dialout", 0) == 0;
  if (!is_known_ext(a.dst, known) && queues.count(a.dst) == 0 && dialled_out) {
    return CdrDirection::kOutbound;
  }
  return CdrDirection::kInternal;
}

CdrOutcome classify_outcome(const std::vector<CdrRecord>& legs) {
  auto any = [&](auto pred) { return std::any_of(legs.begin(), legs.end(), pred); };
  if (any([](const CdrRecord& r) {
        return r.disposition == "ANSWERED" && !(r.lastapp == "Queue" && r.dstchannel.empty());
      })) {
    return CdrOutcome::kAnswered;
  }
  if (any([](const CdrRecord& r) { return r.lastapp == "Queue"; })) return CdrOutcome::kAbandoned;
  if (any([](const CdrRecord& r) { return r.disposition == "BUSY"; })) return CdrOutcome::kBusy;
  if (any([](const CdrRecord& r) {
        return r.disposition == "FAILED" || r.disposition == "CONGESTION";
      })) {
    return CdrOutcome::kFailed;
  }
  if (any([](const CdrRecord& r) {
        return r.disposition == "NO ANSWER" && r.lastapp != "Dial" && r.lastapp != "Queue";
      })) {
    return CdrOutcome::kNoAnswer;
  }
  return CdrOutcome::kCancelled;
}

}  // namespace opdesk::store
