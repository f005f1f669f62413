// Payload shaping: CallRecord + event → the JSON body the CRM receives.
//
// Field catalogue (default wire keys): callId, uniqueId, event, direction (callType), caller,
// callerName, destination, destinationName, agentExt, agentName, queue, startTime, answerTime,
// endTime, duration, talkTime (or durationInSeconds/talkTimeInSeconds), status, hangupCause,
// recordingUrl, qos. CRM_SYNC_FIELDS selects (by catalogue name or wire key), the status map
// rewrites the outcome, the key map renames keys (collisions refused by validate_shaping).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crm/call_record.hpp"
#include "crm/crm_config.hpp"

namespace opdesk::crm {

// Every known field name (catalogue order) and the default selection.
const std::vector<std::string>& field_catalog();
const std::vector<std::string>& default_fields();

// True when the config pushes this call's direction.
bool direction_enabled(const CrmConfig& c, Direction d);

// Builds the body. `recording_url` is the already-signed URL (empty → omitted).
nlohmann::json build_payload(const CrmConfig& c, const CallRecord& r, CallEvent ev,
                             const std::string& recording_url);

// Throws ConfigError for unknown field names or key-map collisions.
void validate_shaping(const CrmConfig& c);

std::string format_hms(int64_t seconds);
std::string iso_utc(int64_t ms);

}  // namespace opdesk::crm
