// Shapes of the product we replace (opdesk-upstream.md §1.2, §2.2), computed from our snapshot.
//
// Integrations written against the upstream API keep working: /api/extensions, /api/calls,
// /api/queues and the WebSocket v1 mode (initial_state / state_update) return these shapes.
// Input is an already scope-filtered snapshot, so nothing here decides permissions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace opdesk::api {

// The upstream `State` object: extensions, active_calls, queues, queue_members,
// queue_entries, stats.
nlohmann::json upstream_state(const nlohmann::json& snapshot);
// "MM:SS" or "HH:MM:SS" like the upstream durations.
std::string hms(int64_t seconds);
// ISO-8601 UTC with milliseconds, e.g. 2026-11-24T06:32:58.841Z
std::string iso_time(int64_t ms);

}  // namespace opdesk::api
