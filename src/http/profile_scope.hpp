#pragma once
// Internal: what every handler under /api/profiles/{id} needs — who may touch the profile, its tenant
// database, and JSON Merge Patch (RFC 7396) for PATCH routes.
#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>

#include "cadenza/http/app.hpp"

namespace cadenza::http::detail {

// The profile {id}: the requester's own, or (for admins) another profile of the same tenant.
// Error(NotFound) for an unknown or malformed id or one of another tenant, Error(Forbidden) otherwise.
std::string profile_id(App& app, const Request& req);
// The requester's tenant database.
store::Database& tenant_db(App& app, const Request& req);

// Applies `patch` (the request body, a JSON object) as a merge patch to `current` (the resource's JSON view)
// and returns the result. Members named in read_only may be repeated unchanged but not changed or removed
// (400 "is read-only"); members not in `current` and not in `allowed` are 400 "unknown field".
nlohmann::json apply_merge_patch(const nlohmann::json& patch, const nlohmann::json& current,
                                 std::initializer_list<const char*> read_only,
                                 std::initializer_list<const char*> allowed = {});

}  // namespace cadenza::http::detail
