// JSON forms of call quality (qos_feed.hpp): the engine's model value of a tracker call, a
// leg summary (stored in qos_legs and the call log's qos column, read back for the daily
// aggregate) and a daily row. Unknown values are null, never 0 (the web client tests for null).
#include <algorithm>
#include <ctime>

#include "api/qos_feed.hpp"

namespace opdesk::api {
namespace {

using nlohmann::json;

json opt_num(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json stat_json(const qos::Stat& s) {
  if (s.empty()) return nullptr;
  return {{"min", s.min}, {"avg", s.avg}, {"max", s.max}, {"n", s.count}};
}

qos::Stat stat_from(const json& j) {
  qos::Stat s;
  if (!j.is_object()) return s;
  s.set(j.value("min", 0.0), j.value("avg", 0.0), j.value("max", 0.0), std::max<int64_t>(1, j.value("n", int64_t{1})));
  return s;
}

json direction_json(const qos::DirectionSummary& d) {
  return {{"jitter_ms", stat_json(d.jitter_ms)}, {"loss_pct", stat_json(d.loss_pct)}, {"mos", stat_json(d.mos)},
          {"mes", stat_json(d.mes)}, {"packets", d.packets}, {"lost", d.lost},
          {"cumulative_loss_pct", d.cumulative_loss_pct}};
}

qos::DirectionSummary direction_from(const json& j) {
  qos::DirectionSummary d;
  if (!j.is_object()) return d;
  d.jitter_ms = stat_from(j.value("jitter_ms", json()));
  d.loss_pct = stat_from(j.value("loss_pct", json()));
  d.mos = stat_from(j.value("mos", json()));
  d.mes = stat_from(j.value("mes", json()));
  d.packets = j.value("packets", int64_t{0});
  d.lost = j.value("lost", int64_t{0});
  d.cumulative_loss_pct = j.value("cumulative_loss_pct", 0.0);
  return d;
}

qos::Grade grade_from(std::string_view g) {
  if (g == "good") return qos::Grade::kGood;
  if (g == "fair") return qos::Grade::kFair;
  if (g == "poor") return qos::Grade::kPoor;
  return qos::Grade::kUnknown;
}

json grade_json(qos::Grade g) { return g == qos::Grade::kUnknown ? json(nullptr) : json(qos::to_string(g)); }

}  // namespace

pbx::Qos to_model(const qos::CallQos& q) {
  pbx::Qos m;
  m.present = true;
  m.loss_pct = q.loss_pct;
  m.jitter_ms = q.jitter_ms;
  m.rtt_ms = q.rtt_ms.value_or(-1);
  m.mes = q.mes.value_or(-1);
  m.mos = q.mos.value_or(0);
  m.grade = q.grade == qos::Grade::kUnknown ? std::string() : std::string(qos::to_string(q.grade));
  m.reason = q.reason;
  return m;
}

json summary_json(const qos::Summary& s) {
  return {{"uniqueid", s.uniqueid}, {"channel", s.channel}, {"linkedid", s.linkedid}, {"number", s.number},
          {"codec", s.codec}, {"source", s.source}, {"rx", direction_json(s.rx)}, {"tx", direction_json(s.tx)},
          {"rtt_ms", stat_json(s.rtt_ms)}, {"reports", s.reports}, {"grade", grade_json(s.grade)}};
}

qos::Summary summary_from_json(const json& j) {
  qos::Summary s;
  if (!j.is_object()) return s;
  s.uniqueid = j.value("uniqueid", "");
  s.channel = j.value("channel", "");
  s.linkedid = j.value("linkedid", "");
  s.number = j.value("number", "");
  s.codec = j.value("codec", "");
  s.source = j.value("source", "");
  s.rx = direction_from(j.value("rx", json()));
  s.tx = direction_from(j.value("tx", json()));
  s.rtt_ms = stat_from(j.value("rtt_ms", json()));
  s.reports = j.value("reports", int64_t{0});
  const json& g = j.contains("grade") ? j["grade"] : json();
  s.grade = g.is_string() ? grade_from(g.get<std::string>()) : qos::Grade::kUnknown;
  return s;
}

json daily_row_json(const qos::DailyRow& r) {
  return {{"extension", r.extension}, {"day", r.day}, {"calls", r.calls}, {"good", r.good}, {"fair", r.fair},
          {"poor", r.poor}, {"avg_mos", r.avg_mos}, {"min_mos", r.min_mos}, {"avg_loss_pct", r.avg_loss_pct},
          {"max_loss_pct", r.max_loss_pct}, {"avg_jitter_ms", r.avg_jitter_ms}, {"max_jitter_ms", r.max_jitter_ms},
          {"avg_rtt_ms", r.rtt_calls > 0 ? json(r.avg_rtt_ms) : json(nullptr)},
          {"max_rtt_ms", r.rtt_calls > 0 ? json(r.max_rtt_ms) : json(nullptr)}, {"worst", grade_json(r.worst)}};
}

std::string extension_of_channel_name(std::string_view channel) {
  const size_t slash = channel.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view tech = channel.substr(0, slash);
  if (tech == "Local" || tech == "Message") return {};
  std::string_view rest = channel.substr(slash + 1);
  const size_t dash = rest.rfind('-');
  if (dash != std::string_view::npos) rest = rest.substr(0, dash);
  return std::string(rest);
}

std::string local_day(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace opdesk::api
