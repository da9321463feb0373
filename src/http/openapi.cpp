#include "cadenza/http/openapi.hpp"

#include <cctype>

#include "cadenza/core/error.hpp"
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

bool is_json_type(const std::string& type) {
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

nlohmann::json merge_openapi_parts(const std::vector<std::pair<std::string_view, std::string_view>>& parts) {
  nlohmann::json doc;
  for (const auto& [name, text] : parts)
    if (name == "base.json") doc = nlohmann::json::parse(text);
  if (!doc.is_object()) throw Error(ErrorKind::Internal, "openapi: no base.json");
  if (!doc.contains("paths")) doc["paths"] = nlohmann::json::object();
  for (const auto& [name, text] : parts) {
    if (name == "base.json") continue;
    auto part = nlohmann::json::parse(text);
    auto fail = [&, n = std::string(name)](const std::string& what) {
      throw Error(ErrorKind::Internal, "openapi: " + n + " defines " + what + " again");
    };
    const auto paths = part.value("paths", nlohmann::json::object());  // named: items() must not outlive it
    for (const auto& [path, item] : paths.items()) {
      if (doc["paths"].contains(path)) fail(path);
      doc["paths"][path] = item;
    }
    const auto components = part.value("components", nlohmann::json::object());
    for (const auto& [section, entries] : components.items())
      for (const auto& [key, value] : entries.items()) {
        auto& target = doc["components"][section];
        if (target.contains(key)) fail("components/" + section + "/" + key);
        target[key] = value;
      }
  }
  return doc;
}

const nlohmann::json& openapi_document() {
  static const nlohmann::json doc = merge_openapi_parts(openapi_parts());
  return doc;
}

nlohmann::json openapi_json(const App& app) {
  auto doc = openapi_document();
  auto& schemas = doc["components"]["schemas"];

  for (const auto& route : app.router.routes()) {
    if (!route.body) continue;
    const auto& name = route.body->name;
    schemas[name] = with_descriptions(route.body->schema, schemas.contains(name) ? schemas[name] : nlohmann::json());
    auto& op = doc["paths"][route.pattern][lower(route.method)];
    // Every JSON media type's schema (an upload route may document a form beside them).
    auto& content = op["requestBody"]["content"];
    if (!content.is_object() || content.empty()) content["application/json"] = nlohmann::json::object();
    for (auto& [type, media] : content.items())
      if (is_json_type(type)) media["schema"] = {{"$ref", "#/components/schemas/" + name}};
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
