#include "cadenza/http/openapi.hpp"

#include <cctype>

#include "cadenza/http/app.hpp"

namespace cadenza::http {
namespace {

// The generated schema, with the descriptions the hand-written entry gives (of it and of its properties).
nlohmann::json with_descriptions(nlohmann::json generated, const nlohmann::json& written) {
  if (!written.is_object()) return generated;
  if (written.contains("description") && !generated.contains("description"))
    generated["description"] = written["description"];
  if (written.contains("properties") && generated.contains("properties"))
    for (const auto& [name, prop] : written["properties"].items())
      if (prop.contains("description") && generated["properties"].contains(name) &&
          !generated["properties"][name].contains("description"))
        generated["properties"][name]["description"] = prop["description"];
  return generated;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json openapi_json(const App& app) {
  auto doc = nlohmann::json::parse(openapi_document());
  auto& schemas = doc["components"]["schemas"];

  for (const auto& route : app.router.routes()) {
    if (!route.body) continue;
    const auto& name = route.body->name;
    schemas[name] = with_descriptions(route.body->schema, schemas.contains(name) ? schemas[name] : nlohmann::json());
    auto& op = doc["paths"][route.pattern][lower(route.method)];
    auto& content = op["requestBody"]["content"];
    if (!content.is_object() || content.empty()) content["application/json"] = nlohmann::json::object();
    for (auto& [type, media] : content.items()) media["schema"] = {{"$ref", "#/components/schemas/" + name}};
  }

  // The kinds POST /api/jobs accepts, with their payload and result schemas (job_kind.hpp).
  auto names = nlohmann::json::array(), payloads = nlohmann::json::array(), results = nlohmann::json::array();
  for (const auto& k : app.jobs.kinds()) {
    if (!k.submittable) continue;
    std::string base = k.name;
    base[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(base[0])));
    schemas[base + "JobPayload"] = k.payload_schema;
    schemas[base + "JobPayload"]["title"] = k.name + ": " + k.summary;
    schemas[base + "JobResult"] = k.result_schema;
    names.push_back(k.name);
    payloads.push_back({{"$ref", "#/components/schemas/" + base + "JobPayload"}});
    results.push_back({{"$ref", "#/components/schemas/" + base + "JobResult"}});
  }
  schemas["NewJob"]["properties"]["kind"]["enum"] = names;
  schemas["NewJob"]["properties"]["payload"] = {{"oneOf", payloads}, {"default", nlohmann::json::object()}};
  results.push_back({{"type", "null"}});
  schemas["Job"]["properties"]["result"]["anyOf"] = results;
  return doc;
}

}  // namespace cadenza::http
