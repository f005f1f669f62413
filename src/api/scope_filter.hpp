// Scope filtering of live state: which entities a principal may see.
//
// Decisions are made on the entity's JSON (the exact bytes a client would receive), so the
// rule is the same for snapshots, deltas and REST mirrors: an extension by its number; a call
// when any party is a visible extension or it came through a visible queue; a queue by name;
// a parked call by its extension (or parker); a conference when any member is visible; PBX
// status always.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "principal.hpp"

namespace opdesk::api {

// kind: "extension" | "call" | "queue" | "parked" | "conference" | "pbx"
bool visible(const Principal& p, std::string_view kind, const nlohmann::json& entity);
// A full snapshot (docs/protocol.md) reduced to what p may see.
nlohmann::json filter_snapshot(const Principal& p, const nlohmann::json& snapshot);

}  // namespace opdesk::api
