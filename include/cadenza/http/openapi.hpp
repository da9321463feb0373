#pragma once
#include <nlohmann/json.hpp>

#include <string_view>

namespace cadenza::http {

struct App;

// The hand-written part of the OpenAPI 3.1 description (src/http/openapi.json, embedded at build time):
// operations, responses, descriptions and examples.
std::string_view openapi_document();

// The document GET /api/openapi.json serves: openapi_document() completed from what the code declares.
//   - each route's request body (RouteOptions::body) becomes components/schemas/<name>, and the
//     operation's requestBody points at it; the hand-written entry of that name may hold only
//     descriptions (of the schema and of its properties), which are kept;
//   - the job kinds clients may submit, with their payload and result schemas (NewJob, Job).
nlohmann::json openapi_json(const App& app);

}  // namespace cadenza::http
