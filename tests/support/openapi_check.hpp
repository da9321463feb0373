#pragma once
// Every response a test receives is checked against the documented one: the operation of /api/openapi.json
// (the served document: hand-written parts plus what the code declares) whose path template matches, its
// entry for the status (or "default"), and that entry's JSON schema, with the same validator that checks
// request bodies (cadenza/core/schema.hpp). A status the operation does not document must be an error
// (>= 400) shaped like components/schemas/Error. Mismatches are test failures (FAIL_CHECK), from any
// thread. Used by InProcess::call and by the real-socket client (test_server.cpp).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/application.hpp"
#include "cadenza/http/openapi.hpp"
#include "support/temp_dir.hpp"

namespace cadenza::test {

// The document `cadenza serve` serves, built once per test binary from the same Application builder.
inline const nlohmann::json& served_document() {
  static const nlohmann::json doc = [] {
    TempDir dir;
    config::Config cfg;
    cfg.storage.data_dir = dir.str();
    http::Application application(cfg);
    auto d = http::openapi_json(application.app());
    application.jobs().stop(std::chrono::milliseconds(0));
    return d;
  }();
  return doc;
}

namespace detail {

inline std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// The documented path template for a concrete path: the match with the most literal segments; "" if none.
inline std::string template_for(const std::string& path) {
  const auto want = split_path(path);
  std::string best;
  int best_literals = -1;
  for (const auto& [tmpl, item] : served_document()["paths"].items()) {
    const auto segs = split_path(tmpl);
    if (segs.size() != want.size()) continue;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      bool param = segs[i].size() > 2 && segs[i].front() == '{' && segs[i].back() == '}';
      if (param) ok = !want[i].empty();
      else if (segs[i] == want[i]) ++literals;
      else ok = false;
    }
    if (ok && literals > best_literals) {
      best = tmpl;
      best_literals = literals;
    }
  }
  return best;
}

inline const nlohmann::json* resolve_ref(const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  auto ptr = nlohmann::json::json_pointer(ref.substr(1));
  return served_document().contains(ptr) ? &served_document().at(ptr) : nullptr;
}

inline const nlohmann::json& deref(const nlohmann::json& j) {
  const nlohmann::json* cur = &j;
  for (int i = 0; i < 16 && cur->is_object() && cur->contains("$ref"); ++i) {
    const auto* next = resolve_ref((*cur)["$ref"].get<std::string>());
    if (!next) break;
    cur = next;
  }
  return *cur;
}

inline bool is_json_type(const std::string& content_type) {
  auto semi = content_type.find(';');
  auto base = content_type.substr(0, semi);
  return base == "application/json" || (base.size() > 5 && base.compare(base.size() - 5, 5, "+json") == 0);
}

}  // namespace detail

// Problems of one response against the document ("" when it matches or is not an API response).
inline std::string response_problems(const std::string& method, const std::string& target, int status,
                                     const std::string& content_type, const std::string& body) {
  // No body to check: 204, 304, HEAD, a file or a stream (the tests that read those check them).
  if (body.empty() || status == 101 || method == "HEAD" || method == "OPTIONS") return "";
  auto path = target.substr(0, target.find('?'));
  if (path.rfind("/api/", 0) != 0) return "";  // the browser app, /metrics
  auto tmpl = detail::template_for(path);
  std::string m = method;
  for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& paths = served_document()["paths"];
  const nlohmann::json* op = nullptr;
  if (!tmpl.empty() && paths[tmpl].contains(m)) op = &paths[tmpl][m];

  nlohmann::json schema;
  std::string where = method + " " + (tmpl.empty() ? path : tmpl) + " " + std::to_string(status);
  const nlohmann::json* entry = nullptr;
  if (op && (*op)["responses"].contains(std::to_string(status))) entry = &(*op)["responses"][std::to_string(status)];
  else if (op && (*op)["responses"].contains("default")) entry = &(*op)["responses"]["default"];
  if (entry) {
    const auto& r = detail::deref(*entry);
    if (!r.contains("content")) {
      if (!body.empty() && status != 204) return where + ": documented without a body, but one came (" + content_type + ")";
      return "";
    }
    for (const auto& [type, media] : r["content"].items())
      if (detail::is_json_type(type) && media.contains("schema")) schema = media["schema"];
    if (schema.is_null()) return "";  // a documented non-JSON body (a file, text)
  } else {
    if (status < 400) return where + ": status not documented";
    schema = {{"$ref", "#/components/schemas/Error"}};
  }
  if (!detail::is_json_type(content_type)) return where + ": documented as JSON, sent as " + content_type;
  auto value = nlohmann::json::parse(body, nullptr, false);
  if (value.is_discarded()) return where + ": body is not JSON";
  Validation v;
  schema::validate(schema, value, v, "", detail::resolve_ref);
  try {
    v.throw_if_failed();
  } catch (const Error& e) {
    std::ostringstream out;
    out << where << ": the body does not match the documented schema:";
    for (const auto& [field, why] : e.fields()) out << " " << field << " " << why << ";";
    out << " body: " << body.substr(0, 600);
    return out.str();
  }
  return "";
}

inline void check_response(const std::string& method, const std::string& target, int status,
                           const std::string& content_type, const std::string& body) {
  auto problems = response_problems(method, target, status, content_type, body);
  if (!problems.empty()) FAIL_CHECK(problems);
}

}  // namespace cadenza::test
