#pragma once
// Listener API tests (issue 5): the shared world (the application in process, with an operator, alice and
// bob), table rows and checks used by listener_*_test.cpp. Route behaviour only, so no sockets.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "support/in_process.hpp"
#include "test_server.hpp"  // sqlite_query

namespace cadenza::test::listener {

using nlohmann::json;

// Rate limits off, so the tables and the 100-preference loop are never answered 429.
const std::vector<std::string> kUnlimited = {"ratelimit.read_per_s=0", "ratelimit.write_per_s=0"};
inline const std::string kUnknownId = "00000000-0000-4000-8000-000000000000";

enum class Who { None, Alice, Bob, Admin, Dave };

// The profile area with the operator (root, the default tenant's admin too), alice and bob, all in the
// default tenant. `extra`: config settings as key=value.
struct World {
  std::unique_ptr<InProcess> s;
  std::string admin, alice_id, alice, bob_id, bob, dave_id, dave;

  explicit World(std::vector<std::string> extra = {}) {
    auto sets = kUnlimited;
    sets.insert(sets.end(), extra.begin(), extra.end());
    s = std::make_unique<InProcess>(sets);
    admin = s->add_operator("root", "root-password");
    std::tie(alice_id, alice) = s->signup_login("alice");
    std::tie(bob_id, bob) = s->signup_login("bob");
  }
  std::string control_db() const { return s->data_dir() + "/control.db"; }
  std::string tenant_db() const {
    auto rows = sqlite_query(control_db(), "SELECT tenant_id FROM accounts WHERE username = 'root'");
    REQUIRE(rows.size() == 1);
    return s->data_dir() + "/tenants/" + rows[0][0] + ".db";
  }
  long count(const std::string& sql) const { return std::stol(sqlite_query(tenant_db(), sql).at(0).at(0)); }
  std::string token(Who w) const {
    switch (w) {
      case Who::Alice: return alice;
      case Who::Bob: return bob;
      case Who::Admin: return admin;
      case Who::Dave: return dave;
      case Who::None: break;
    }
    return "";
  }
  std::string profile(const std::string& id) const { return "/api/profiles/" + id; }
};

inline std::map<std::string, std::string> auth(const std::string& token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + token}};
}

struct Row {
  std::string method;
  std::string target;
  std::string body;
  Who who;
  int status;
  // For 400: keys of "errors" ("a|b": either; a key "a.x" or "a[0]" counts as "a"; "k=text": errors[k] is text;
  // "k~text": errors[k] contains text). Otherwise: members of the answer, with the same =/~ forms.
  std::vector<std::string> fields = {};
  std::string message = {};  // the answer's "message" contains this
};

inline std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Finds the member `name` of obj: exact, or (prefix) a key that starts with name + "." or name + "[".
inline const json* member(const json& obj, const std::string& name, bool prefix) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(name); it != obj.end()) return &*it;
  if (!prefix) return nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const auto& k = it.key();
    if (k.rfind(name + ".", 0) == 0 || k.rfind(name + "[", 0) == 0) return &*it;
  }
  return nullptr;
}

inline void check_field(const json& obj, const std::string& spec, bool prefix) {
  auto op = spec.find_first_of("=~");
  std::string names = spec.substr(0, op);
  const json* found = nullptr;
  std::size_t start = 0;
  while (!found && start <= names.size()) {
    auto bar = names.find('|', start);
    found = member(obj, names.substr(start, bar == std::string::npos ? std::string::npos : bar - start), prefix);
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  CHECK_MESSAGE(found != nullptr, ("missing " + names + " in " + obj.dump()));
  if (!found || op == std::string::npos) return;
  std::string want = spec.substr(op + 1);
  if (spec[op] == '=' && found->is_number()) {  // 1 and 1.0 are the same number
    auto w = json::parse(want, nullptr, false);
    CHECK_MESSAGE((w.is_number() && w.get<double>() == found->get<double>()), (found->dump() + " != " + want));
  } else if (spec[op] == '=') {
    CHECK(text_of(*found) == want);
  } else {
    CHECK_MESSAGE(text_of(*found).find(want) != std::string::npos, (text_of(*found) + " lacks " + want));
  }
}

inline void run_rows(const World& w, const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    auto h = auth(w.token(r.who));
    if (r.method == "PATCH") h["Content-Type"] = "application/merge-patch+json";
    auto res = w.s->request(r.method, r.target, r.body, h);
    std::string ctx = r.method + " " + r.target + " " + r.body.substr(0, 300) + " -> " + std::to_string(res.status) +
                      " " + res.body.substr(0, 600);
    INFO(ctx);
    CHECK(res.status == r.status);
    if (res.status == 204) {
      CHECK(res.body.empty());
      continue;
    }
    auto j = json::parse(res.body, nullptr, false);
    REQUIRE_MESSAGE(j.is_object(), "answer is not a JSON object");
    if (r.status >= 400) {
      CHECK(j["message"].is_string());
      if (r.status == 500) CHECK(j["message"] == "Internal server error");
    }
    if (r.status == 400) {
      CHECK(j["errors"].is_object());
      for (const auto& f : r.fields) check_field(j["errors"], f, true);
    } else {
      for (const auto& f : r.fields) check_field(j, f, false);
    }
    if (!r.message.empty()) CHECK(j.value("message", "").find(r.message) != std::string::npos);
    if (r.status == 201 && res.status == 201 && r.target.find("/readings") == std::string::npos)
      CHECK(!res.header("location").empty());
  }
}

inline std::string id_of(const HttpResult& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return r.json()["id"].get<std::string>();
}

inline json signup_body(const std::string& name, const std::string& email = "") {
  return {{"username", name},
          {"firstName", "Test"},
          {"lastName", "User"},
          {"email", email.empty() ? name + "@example.com" : email},
          {"phoneNumber", "+15550000000"},
          {"password", "password-" + name}};
}

const std::vector<std::string> kPreferenceFields = {"id",     "profileId", "type",      "value",
                                                    "weight", "rank",      "createdAt", "updatedAt"};
const std::vector<std::string> kTuneVectorFields = {"id",        "profileId", "name",      "mode",
                                                    "preset",    "durationMinutes", "waypoints", "genres",
                                                    "position",  "tracks",    "createdAt", "updatedAt"};
const std::vector<std::string> kVariableFields = {"id",   "profileId",    "name",      "optedIn",
                                                  "unit", "readingCount", "createdAt", "updatedAt"};
const std::vector<std::string> kProfileFields = {"id",   "username",  "firstName", "lastName", "email",
                                                 "phoneNumber", "role", "createdAt", "updatedAt"};

inline std::string two_waypoints(const std::string& name, double end = 30) {
  return json{{"name", name},
              {"waypoints",
               {{{"atMinute", 0}, {"target", {{"energy", 0.2}}}}, {{"atMinute", end}, {"target", {{"energy", 0.8}}}}}}}
      .dump();
}

inline json prefs(const World& w, const std::string& id, const std::string& token) {
  auto r = w.s->get(w.profile(id) + "/preferences", token);
  REQUIRE(r.status == 200);
  return r.json();
}

// Ranks of the listed preferences are 0..n-1 in order, and the values are `values` in that order.
inline void check_dense(const json& list, const std::vector<std::string>& values) {
  INFO(list.dump());
  REQUIRE(list["preferences"].size() == values.size());
  CHECK(list["count"] == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(list["preferences"][i]["rank"] == i);
    CHECK(list["preferences"][i]["value"] == values[i]);
  }
}

}  // namespace cadenza::test::listener
