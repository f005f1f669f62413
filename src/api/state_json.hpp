// JSON form of the engine's state: the snapshot and per-entity objects of docs/protocol.md
// (key names fixed there). Pure functions of the engine's state; no filtering (the API's
// scope filter works on the result).
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "pbx/engine.hpp"

namespace opdesk::api {

nlohmann::json snapshot_json(const pbx::Engine& engine, int64_t server_time_ms);

// Per entity. The Extension overload without the engine omits the live links (calls) and
// derives the state from the hint alone; extension_json is the complete object.
nlohmann::json to_json(const pbx::Extension& ext);
nlohmann::json extension_json(const pbx::Engine& engine, const pbx::Extension& ext);
nlohmann::json to_json(const pbx::Call& call);
nlohmann::json to_json(const pbx::Queue& queue);
nlohmann::json to_json(const pbx::Parked& parked);
nlohmann::json to_json(const pbx::Conference& conference);
nlohmann::json to_json(const pbx::PbxStatus& pbx);

// The data of an upsert for one change (null for a removal or an entity no longer shown).
nlohmann::json entity_json(const pbx::Engine& engine, const pbx::Change& change);
// One delta message: {"type":"delta","epoch","seq","server_time","changes":[...]}.
nlohmann::json delta_json(const pbx::Engine& engine, const pbx::ChangeBatch& batch, int64_t server_time_ms);

}  // namespace opdesk::api
