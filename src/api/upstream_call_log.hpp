// The upstream product's call-log shapes (issue #25), built from OpDesk's grouped calls:
//
//   GET /api/call-log           {calls:[CallLogRecord], total}
//   GET /api/call-log/journey   {journey:[{event,time:"HH:MM:SS",duration?,agent?,queue?,
//                                          from_number?,to_number?,reason?}]}
//
// CallLogRecord = calldate, src, dst, phone_number, customer_name, duration, talk, disposition,
// status, QoS, extension, call_type (IN|OUT|INTERNAL), recording_path, recording_file, app
// (queue|ivr|direct), call_journey_count, linkedid, uniqueid, is_supervision, supervision.
// The same query, scope and classification as OpDesk's own call log (call_log.*) apply; only
// the JSON differs. The journey is derived from the call's CDR legs (ring, answer/no answer,
// queue entry, transfer, hangup), each step with the seconds until the next one.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/call_log.hpp"
#include "api/qos_feed.hpp"  // local_day

namespace opdesk::api {

// Upstream query (limit, date, date_from, date_to, search; OpDesk's other filters also work)
// → an OpDesk query. No date → the last 30 days up to `today` ("YYYY-MM-DD", local). `limit`
// defaults to 100 and may exceed one page (the route pages through, up to kUpstreamMaxCalls).
// Throws ApiError 400 naming the field.
struct UpstreamCallLogQuery {
  CallLogQuery q;
  int limit = 100;
};
inline constexpr int kUpstreamMaxCalls = 5000;
UpstreamCallLogQuery parse_upstream_call_log_query(std::map<std::string, std::string> query,
                                                   const CallLogScope& scope,
                                                   const std::string& today);

nlohmann::json upstream_call_record(const store::CallGroup& call, const store::CdrQuery& q,
                                    const CallLogContext& ctx);
nlohmann::json upstream_journey(const store::CallGroup& call, const store::CdrQuery& q);

}  // namespace opdesk::api
