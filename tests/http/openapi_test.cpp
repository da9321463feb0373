// Keeps /api/openapi.json honest: the routes it documents are exactly the routes the server's router has
// (built here the way `cadenza serve` builds it); every documented request and response body has a schema
// and an example, and every example matches its schema; request schemas come from the code (the route's
// schema::Body), not from src/http/openapi.json. Every response any test receives is checked against its
// documented schema as well (support/openapi_check.hpp).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "cadenza/http/application.hpp"
#include "cadenza/http/openapi.hpp"
#include "support/openapi_check.hpp"
#include "test_server.hpp"

using namespace cadenza;
using nlohmann::json;

namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;  // (METHOD, pattern)

// WebSocket upgrades are answered by the HTTP session before routing, so /api/ws is documented without
// being a router entry.
const RouteSet kOutsideRouter = {{"GET", "/api/ws"}};

const char* const kMethods[] = {"get", "put", "post", "delete", "patch", "options", "head", "trace"};

// The real route table: the same services and add_routes call as src/cli/serve.cpp, over a temp data dir.
RouteSet router_routes() {
  test::TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.str();
  http::Application application(cfg);
  RouteSet out;
  for (const auto& r : application.app().router.routes()) out.insert({r.method, r.pattern});
  return out;
}

// The served document: the hand-written file completed from the code.
const json& document() { return test::served_document(); }

const json& written() {
  return http::openapi_document();
}

// Follows a local "$ref" ("#/components/...") until the object is not a reference.
const json& resolve(const json& j) {
  const json* cur = &j;
  for (int depth = 0; cur->is_object() && cur->contains("$ref") && depth < 16; ++depth) {
    auto ref = (*cur)["$ref"].get<std::string>();
    REQUIRE_MESSAGE(ref.rfind("#/", 0) == 0, "only local references: " << ref);
    auto ptr = json::json_pointer(ref.substr(1));
    REQUIRE_MESSAGE(document().contains(ptr), "unresolved $ref " << ref);
    cur = &document().at(ptr);
  }
  return *cur;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool has_example(const json& media) {
  if (media.contains("example")) return true;
  return media.contains("examples") && media["examples"].is_object() && !media["examples"].empty();
}

// Every media type under `content` has a schema and an example (or examples).
void check_content(const json& content, const std::string& where) {
  CHECK_MESSAGE(content.is_object(), where << ": content must be an object");
  if (!content.is_object()) return;
  CHECK_MESSAGE(!content.empty(), where << ": content without a media type");
  for (const auto& [type, media] : content.items()) {
    CHECK_MESSAGE(media.contains("schema"), where << " " << type << ": no schema");
    CHECK_MESSAGE(has_example(media), where << " " << type << ": no example");
    if (media.contains("examples") && media["examples"].is_object())
      for (const auto& [name, ex] : media["examples"].items())
        CHECK_MESSAGE(resolve(ex).contains("value"), where << " " << type << ": example " << name << " has no value");
  }
}

// Each {name} of the path template is declared as a path parameter (on the path item or the operation).
void check_path_parameters(const std::string& path, const json& item, const json& operation, const std::string& where) {
  std::set<std::string> declared;
  for (const json* holder : {&item, &operation})
    if (holder->contains("parameters"))
      for (const auto& p : (*holder)["parameters"]) {
        const auto& param = resolve(p);
        if (param.value("in", "") == "path") declared.insert(param.value("name", ""));
      }
  static const std::regex brace(R"(\{([^}]+)\})");
  for (std::sregex_iterator it(path.begin(), path.end(), brace), end; it != end; ++it)
    CHECK_MESSAGE(declared.count((*it)[1].str()), where << ": path parameter {" << (*it)[1].str() << "} not declared");
}

// Walks every "$ref" in the document.
void each_ref(const json& j, const std::function<void(const std::string&)>& f) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == "$ref" && v.is_string()) f(v.get<std::string>());
      else each_ref(v, f);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) each_ref(v, f);
  }
}

}  // namespace

TEST_CASE("openapi: the embedded document is the source file, OpenAPI 3.1, and every $ref resolves") {
  // The embedded parts are the files of src/http/openapi/, and they merge without a clash.
  std::vector<std::string> names, texts;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CADENZA_SOURCE_DIR) + "/src/http/openapi")) {
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    names.push_back(entry.path().filename().string());
    texts.push_back(ss.str());
  }
  std::vector<std::pair<std::string_view, std::string_view>> on_disk;
  for (std::size_t i = 0; i < names.size(); ++i) on_disk.emplace_back(names[i], texts[i]);
  CHECK(on_disk.size() == http::openapi_parts().size());
  bool same = http::merge_openapi_parts(on_disk) == written();
  CHECK_MESSAGE(same, "the embedded document differs from src/http/openapi/*.json: rebuild");
  std::vector<std::pair<std::string_view, std::string_view>> twice = on_disk;
  for (const auto& part : on_disk)
    if (part.first != "base.json") twice.emplace_back("again.json", part.second);
  CHECK_THROWS(http::merge_openapi_parts(twice));  // a path defined by two parts
  CHECK(document()["openapi"] == "3.1.0");
  REQUIRE(document()["paths"].is_object());
  int refs = 0;
  each_ref(document(), [&](const std::string& ref) {
    ++refs;
    CHECK_MESSAGE(ref.rfind("#/", 0) == 0, "only local references: " << ref);
    if (ref.rfind("#/", 0) == 0) CHECK_MESSAGE(document().contains(json::json_pointer(ref.substr(1))), "unresolved " << ref);
  });
  CHECK(refs > 0);
}

TEST_CASE("openapi: every route of the router is documented, with schemas and examples") {
  const auto routes = router_routes();
  REQUIRE(routes.size() > 10);
  const auto& paths = document()["paths"];
  for (const auto& [method, pattern] : routes) {
    std::string where = method + " " + pattern;
    INFO(where);
    CHECK_MESSAGE(paths.contains(pattern), where << ": path not documented");
    if (!paths.contains(pattern)) continue;
    const auto& item = paths[pattern];
    std::string m = method;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    CHECK_MESSAGE(item.contains(m), where << ": method not documented");
    if (!item.contains(m)) continue;
    const auto& op = item[m];
    check_path_parameters(pattern, item, op, where);

    CHECK_MESSAGE((op.contains("responses") && op["responses"].is_object()), where << ": no responses object");
    if (!op.contains("responses") || !op["responses"].is_object()) continue;
    const auto& responses = op["responses"];
    CHECK_MESSAGE(!responses.empty(), where << ": empty responses");
    bool success = false;
    for (const auto& [status, r0] : responses.items()) {
      if (!status.empty() && status[0] == '2') success = true;
      const auto& r = resolve(r0);
      CHECK_MESSAGE(r.contains("description"), where << " " << status << ": no description");
      if (r.contains("content")) check_content(r["content"], where + " " + status);
    }
    CHECK_MESSAGE(success, where << ": no 2xx response");

    if (op.contains("requestBody")) {
      const auto& rb = resolve(op["requestBody"]);
      CHECK_MESSAGE(rb.contains("content"), where << ": requestBody without content");
      if (rb.contains("content")) check_content(rb["content"], where + " requestBody");
    }
  }
}

TEST_CASE("openapi: every documented operation exists in the router (no stale docs)") {
  const auto routes = router_routes();
  for (const auto& [path, item] : document()["paths"].items())
    for (const char* m : kMethods) {
      if (!item.contains(m)) continue;
      std::pair<std::string, std::string> key{upper(m), path};
      CHECK_MESSAGE((routes.count(key) || kOutsideRouter.count(key)), key.first << " " << path << " is documented but not routed");
    }
  for (const auto& key : kOutsideRouter) {
    CHECK_MESSAGE(document()["paths"].contains(key.second), key.second << " should be documented");
    CHECK_MESSAGE(!routes.count(key), key.first << " " << key.second << " is now a route: drop it from kOutsideRouter");
  }
}

TEST_CASE("openapi: request schemas are the routes' own body descriptions; the file keeps only their descriptions") {
  test::TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.str();
  http::Application application(cfg);
  int bodies = 0;
  for (const auto& r : application.app().router.routes()) {
    if (!r.body) continue;
    ++bodies;
    std::string m = r.method;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string where = r.method + " " + r.pattern + " (" + r.body->name + ")";
    INFO(where);
    // The operation's JSON request body points at the generated schema (an upload route documents its form
    // beside it with a schema of its own).
    const auto& content = document()["paths"][r.pattern][m]["requestBody"]["content"];
    REQUIRE(content.is_object());
    REQUIRE(content.contains("application/json"));
    for (const auto& [type, media] : content.items()) {
      const bool json_type = type == "application/json" || type.find("+json") != std::string::npos;
      if (json_type) CHECK(media["schema"] == json({{"$ref", "#/components/schemas/" + r.body->name}}));
      else CHECK_MESSAGE(r.upload, type << " beside JSON on a route that takes no upload");
    }
    // The served schema is the code's, plus descriptions.
    auto served = document()["components"]["schemas"][r.body->name];
    if (!r.body->schema.contains("description")) served.erase("description");
    if (served.contains("properties"))
      for (auto& [name, prop] : served["properties"].items())
        if (!r.body->schema["properties"].contains(name) || !r.body->schema["properties"][name].contains("description"))
          prop.erase("description");
    if (r.body->name == "NewJob") continue;  // its kind list and payloads come from the job kinds
    CHECK(served == r.body->schema);
    // What the file holds under that name: descriptions only (the shape is written once, in the code).
    const auto& file = written()["components"]["schemas"];
    if (!file.contains(r.body->name)) continue;
    for (const auto& [key, value] : file[r.body->name].items()) {
      CHECK_MESSAGE((key == "description" || key == "properties"), where << ": '" << key << "' belongs in the code");
      if (key == "properties")
        for (const auto& [name, prop] : value.items()) {
          CHECK_MESSAGE(r.body->schema["properties"].contains(name), where << ": describes unknown member " << name);
          for (const auto& [k, _] : prop.items())
            CHECK_MESSAGE(k == "description", where << "." << name << ": '" << k << "' belongs in the code");
        }
    }
  }
  CHECK(bodies >= 12);
  application.jobs().stop(std::chrono::milliseconds(0));
}

TEST_CASE("openapi: every example in the document matches its schema") {
  int checked = 0;
  auto check_media = [&](const json& media, const std::string& where) {
    if (!media.contains("schema")) return;
    std::vector<std::pair<std::string, json>> examples;
    if (media.contains("example")) examples.emplace_back("example", media["example"]);
    if (media.contains("examples"))
      for (const auto& [name, ex] : media["examples"].items()) examples.emplace_back(name, resolve(ex).value("value", json()));
    for (const auto& [name, value] : examples) {
      Validation v;
      schema::validate(media["schema"], value, v, "", test::detail::resolve_ref);
      std::string why;
      try {
        v.throw_if_failed();
      } catch (const Error& e) {
        for (const auto& [f, m] : e.fields()) why += " " + f + " " + m + ";";
      }
      CHECK_MESSAGE(why.empty(), where << " " << name << ":" << why);
      ++checked;
    }
  };
  for (const auto& [path, item] : document()["paths"].items())
    for (const char* m : kMethods) {
      if (!item.contains(m)) continue;
      const auto& op = item[m];
      const std::string where = upper(m) + " " + path;
      if (op.contains("requestBody"))
        for (const auto& [type, media] : resolve(op["requestBody"])["content"].items())
          if (type.find("json") != std::string::npos) check_media(media, where + " request");
      for (const auto& [status, r] : op["responses"].items()) {
        const auto& resp = resolve(r);
        if (resp.contains("content"))
          for (const auto& [type, media] : resp["content"].items())
            if (type.find("json") != std::string::npos) check_media(media, where + " " + status);
      }
    }
  CHECK(checked > 60);
}

TEST_CASE("openapi: the response check refuses what the document does not say") {
  auto problems = [](const std::string& method, const std::string& target, int status, const std::string& body) {
    return test::response_problems(method, target, status, "application/json", body);
  };
  // Health as documented, then with a wrong type, a missing member, an undocumented success status.
  CHECK(problems("GET", "/api/version", 200, R"({"version":"0.1.0","commit":"abc"})") == "");
  CHECK(problems("GET", "/api/version", 200, R"({"version":5,"commit":"abc"})").find("version must be a string") != std::string::npos);
  CHECK(problems("GET", "/api/version", 201, R"({"version":"0.1.0"})").find("status not documented") != std::string::npos);
  // A templated path; an undocumented error must still be an Error body.
  CHECK(problems("GET", "/api/jobs/0f8fad5b-d9cb-469f-a165-70867728950e", 404, R"({"message":"Job x not found"})") == "");
  CHECK(problems("GET", "/api/jobs/x", 418, R"({"oops":1})").find("message is required") != std::string::npos);
  CHECK(test::response_problems("GET", "/api/version", 200, "text/plain", "hi").find("documented as JSON") != std::string::npos);
}
