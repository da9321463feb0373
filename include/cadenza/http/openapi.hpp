#pragma once
#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>
#include <vector>

namespace cadenza::http {

struct App;

// The hand-written part of the OpenAPI 3.1 description: operations, responses, descriptions and examples,
// written in src/http/openapi/ (base.json: info, tags, shared components; then one file per API area with
// its paths and schemas) and embedded at build time, each as (file name, text).
std::vector<std::pair<std::string_view, std::string_view>> openapi_parts();
// base.json with every other part's paths and components merged in; Error(Internal) naming the part and
// the key when two parts define the same path or component.
nlohmann::json merge_openapi_parts(const std::vector<std::pair<std::string_view, std::string_view>>& parts);
// merge_openapi_parts(openapi_parts()), parsed once.
const nlohmann::json& openapi_document();

// The document GET /api/openapi.json serves: openapi_document() completed from what the code declares.
//   - each route's request body (RouteOptions::body) becomes components/schemas/<name>, and the
//     operation's requestBody points at it; the hand-written entry of that name may hold only
//     descriptions (of the schema and of its properties), which are kept;
//   - the job kinds clients may submit, with their payload and result schemas (NewJob, Job).
nlohmann::json openapi_json(const App& app);

}  // namespace cadenza::http
