// Listener API (issue 5): profiles, preferences, tune vectors, variables and readings, against the real
// server. Table-driven: each route gets rows {method, target, body, who, status, expected fields} that cover
// every status the contract lists for it; focused cases check ordering, merge patch, cascade and isolation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "test_server.hpp"

using namespace cadenza::test;
using nlohmann::json;

namespace {

// Rate limits off, so the tables and the 100-preference loop are never answered 429.
const std::vector<std::string> kUnlimited = {"--set", "ratelimit.read_per_s=0", "--set", "ratelimit.write_per_s=0"};
const std::string kUnknownId = "00000000-0000-4000-8000-000000000000";

enum class Who { None, Alice, Bob, Admin, Dave };

// A profile-area server with an admin (root), alice and bob, all in the default tenant.
struct World {
  TempDir dir;
  std::unique_ptr<ServerProcess> s;
  std::string admin, alice_id, alice, bob_id, bob, dave_id, dave;

  explicit World(std::vector<std::string> extra = {}) {
    add_admin(dir.path(), "root", "root-password");
    auto args = kUnlimited;
    args.insert(args.end(), extra.begin(), extra.end());
    s = std::make_unique<ServerProcess>(dir.path(), args);
    auto l = s->post("/api/auth/login", {{"login", "root"}, {"password", "root-password"}});
    REQUIRE(l.status == 200);
    admin = l.json()["token"].get<std::string>();
    std::tie(alice_id, alice) = s->signup_login("alice");
    std::tie(bob_id, bob) = s->signup_login("bob");
  }
  std::string control_db() const { return dir.path() + "/control.db"; }
  std::string tenant_db() const {
    auto rows = sqlite_query(control_db(), "SELECT tenant_id FROM accounts WHERE username = 'root'");
    REQUIRE(rows.size() == 1);
    return dir.path() + "/tenants/" + rows[0][0] + ".db";
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

std::map<std::string, std::string> auth(const std::string& token) {
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

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// Finds the member `name` of obj: exact, or (prefix) a key that starts with name + "." or name + "[".
const json* member(const json& obj, const std::string& name, bool prefix) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(name); it != obj.end()) return &*it;
  if (!prefix) return nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const auto& k = it.key();
    if (k.rfind(name + ".", 0) == 0 || k.rfind(name + "[", 0) == 0) return &*it;
  }
  return nullptr;
}

void check_field(const json& obj, const std::string& spec, bool prefix) {
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

void run_rows(const World& w, const std::vector<Row>& rows) {
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

std::string id_of(const HttpResult& r) {
  INFO(r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return r.json()["id"].get<std::string>();
}

json signup_body(const std::string& name, const std::string& email = "") {
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

std::string two_waypoints(const std::string& name, double end = 30) {
  return json{{"name", name},
              {"waypoints",
               {{{"atMinute", 0}, {"target", {{"energy", 0.2}}}}, {{"atMinute", end}, {"target", {{"energy", 0.8}}}}}}}
      .dump();
}

json prefs(const World& w, const std::string& id, const std::string& token) {
  auto r = w.s->get(w.profile(id) + "/preferences", token);
  REQUIRE(r.status == 200);
  return r.json();
}

// Ranks of the listed preferences are 0..n-1 in order, and the values are `values` in that order.
void check_dense(const json& list, const std::vector<std::string>& values) {
  INFO(list.dump());
  REQUIRE(list["preferences"].size() == values.size());
  CHECK(list["count"] == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(list["preferences"][i]["rank"] == i);
    CHECK(list["preferences"][i]["value"] == values[i]);
  }
}

}  // namespace

TEST_CASE("listener table: profiles") {
  World w;
  std::tie(w.dave_id, w.dave) = w.s->signup_login("dave");
  REQUIRE(w.s->post(w.profile(w.dave_id) + "/preferences", {{"type", "genre"}, {"value", "jazz"}}, w.dave).status ==
          201);
  auto A = w.profile(w.alice_id), D = w.profile(w.dave_id);
  auto put = [](json extra) {
    json b = {{"username", "alice"}, {"firstName", "Alicia"}, {"lastName", "User"}, {"phoneNumber", "+15550000000"}};
    if (extra.is_object()) b.update(extra);
    return b.dump();
  };
  std::vector<Row> rows = {
      // POST /api/profiles (public)
      {"POST", "/api/profiles", signup_body("erin").dump(), Who::None, 201, {"message=Profile created successfully", "profileId"}},
      {"POST", "/api/profiles", signup_body("erin2", "ERIN@example.com").dump(), Who::None, 409, {}, "Username or email already exists"},
      {"POST", "/api/profiles", signup_body("ERIN", "erin3@example.com").dump(), Who::None, 409, {}, "Username or email already exists"},
      {"POST", "/api/profiles", R"({"username":"frank"})", Who::None, 400,
       {"firstName", "lastName", "email", "phoneNumber", "password"}, "Validation failed"},
      {"POST", "/api/profiles", "{not json", Who::None, 400},
      // GET /api/profiles: admins only
      {"GET", "/api/profiles", "", Who::Admin, 200, {"profiles"}},
      {"GET", "/api/profiles", "", Who::Alice, 403},
      {"GET", "/api/profiles", "", Who::None, 401},
      // GET /api/profiles/{id}
      {"GET", A, "", Who::Alice, 200, kProfileFields},
      {"GET", A, "", Who::Admin, 200, {"id=" + w.alice_id, "username=alice", "role=user"}},
      {"GET", A, "", Who::Bob, 403},
      {"GET", A, "", Who::None, 401},
      {"GET", "/api/profiles/" + kUnknownId, "", Who::Alice, 404},
      {"GET", "/api/profiles/" + kUnknownId, "", Who::Admin, 404},
      {"GET", "/api/profiles/not-a-uuid", "", Who::Alice, 404},
      // PUT /api/profiles/{id}
      {"PUT", A, put({}), Who::Alice, 200, {"message=Profile updated successfully", "profileId=" + w.alice_id, "updatedFields=[\"firstName\"]"}},
      {"PUT", A, put({}), Who::Alice, 200, {"updatedFields=[]"}},
      {"PUT", A, "{}", Who::Alice, 400, {"username", "firstName", "lastName", "phoneNumber"}},
      {"PUT", A, R"({"username":"alice","lastName":"User","phoneNumber":"+15550000000"})", Who::Alice, 400, {"firstName"}},
      {"PUT", A, put({{"firstName", 7}, {"lastName", nullptr}}), Who::Alice, 400, {"firstName", "lastName"}},
      {"PUT", A, put({{"phoneNumber", "call me"}}), Who::Alice, 400, {"phoneNumber"}},
      {"PUT", A, put({{"email", "alice2@example.com"}}), Who::Alice, 400, {"email=Email cannot be changed"}},
      {"PUT", A, put({{"email", "ALICE@example.com"}}), Who::Alice, 200, {"updatedFields"}},
      {"PUT", A, put({{"id", kUnknownId}}), Who::Alice, 400, {"id=Id cannot be changed"}},
      {"PUT", A, put({{"id", w.alice_id}}), Who::Alice, 200},
      {"PUT", A, put({{"password", "short"}}), Who::Alice, 400, {"password"}},
      {"PUT", A, put({{"username", "BOB"}}), Who::Alice, 409},
      {"PUT", A, "{not json", Who::Alice, 400},
      {"PUT", A, put({}), Who::Bob, 403},
      {"PUT", A, put({}), Who::None, 401},
      {"PUT", A, put({{"lastName", "Admin-Set"}}), Who::Admin, 200, {"updatedFields=[\"lastName\"]"}},
      {"PUT", "/api/profiles/" + kUnknownId, put({}), Who::Admin, 404},
      // DELETE /api/profiles/{id}
      {"DELETE", D, "", Who::Bob, 403},
      {"DELETE", D, "", Who::None, 401},
      {"DELETE", D + "?cascade=maybe", "", Who::Dave, 400, {"cascade"}},
      {"DELETE", "/api/profiles/" + kUnknownId, "", Who::Admin, 404},
      {"DELETE", D, "", Who::Dave, 409,
       {"dependents={\"preferences\":1,\"tuneVectors\":0,\"variables\":0}"},
       "Profile still has preferences, tune vectors or variables; delete them or use ?cascade=true"},
      {"DELETE", D + "?cascade=false", "", Who::Dave, 409, {"dependents"}},
      {"DELETE", D + "?cascade=true", "", Who::Admin, 200,
       {"message=Profile deleted", "profileId=" + w.dave_id, "deleted={\"preferences\":1,\"tuneVectors\":0,\"variables\":0}"}},
      {"GET", D, "", Who::Admin, 404},
      // A profile without dependents goes without ?cascade.
      {"DELETE", w.profile(w.bob_id), "", Who::Bob, 200,
       {"deleted={\"preferences\":0,\"tuneVectors\":0,\"variables\":0}"}},
  };
  run_rows(w, rows);
  // The PUTs above changed what they said.
  auto me = w.s->get(A, w.alice).json();
  CHECK(me["firstName"] == "Alicia");
  CHECK(me["lastName"] == "Admin-Set");
  CHECK(me["email"] == "alice@example.com");
  auto all = w.s->get("/api/profiles", w.admin).json()["profiles"];
  std::set<std::string> names;
  for (const auto& p : all) names.insert(p["username"].get<std::string>());
  CHECK(names == std::set<std::string>{"root", "alice", "erin"});
  for (const auto& p : all) CHECK_FALSE(p.contains("password_hash"));
}

TEST_CASE("listener table: preferences") {
  World w;
  auto base = w.profile(w.alice_id) + "/preferences";
  auto p1 = id_of(w.s->post(base, {{"type", "genre"}, {"value", "rock"}}, w.alice));
  auto bp = id_of(w.s->post(w.profile(w.bob_id) + "/preferences", {{"type", "genre"}, {"value", "jazz"}}, w.bob));
  auto P1 = base + "/" + p1, BP = base + "/" + bp;
  std::string long64(64, 'g'), long65(65, 'g'), long128(128, 'a'), long129(129, 'a');
  std::vector<Row> rows = {
      {"POST", base, R"({"type":"genre","value":"pop"})", Who::Alice, 201, kPreferenceFields},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":60,"maxBpm":120},"weight":0.5,"rank":0})", Who::Alice, 201,
       {"rank=0", "weight=0.5", "type=tempo", "profileId=" + w.alice_id}},
      {"POST", base, R"({"type":"artist","value":")" + long128 + R"("})", Who::Admin, 201, {"rank=3", "weight=1"}},
      {"POST", base, R"({"type":"genre","value":"pop"})", Who::Alice, 409, {}, "Preference already exists"},
      {"POST", base, R"({"type":"mood","value":"x"})", Who::Alice, 400,
       {"type=must be one of genre, tempo, instrument, artist"}},
      {"POST", base, R"({"type":"genre"})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({})", Who::Alice, 400, {"type", "value"}},
      {"POST", base, R"({"type":"genre","value":""})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"genre","value":")" + long65 + R"("})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"instrument","value":")" + long65 + R"("})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"artist","value":")" + long129 + R"("})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"genre","value":5})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":"fast"})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":10,"maxBpm":120}})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":60,"maxBpm":301}})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":60}})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":"60","maxBpm":120}})", Who::Alice, 400, {"value"}},
      {"POST", base, R"({"type":"tempo","value":{"minBpm":150,"maxBpm":120}})", Who::Alice, 422},
      {"POST", base, R"({"type":"genre","value":"a","weight":1.5})", Who::Alice, 400, {"weight"}},
      {"POST", base, R"({"type":"genre","value":"a","weight":-0.1})", Who::Alice, 400, {"weight"}},
      {"POST", base, R"({"type":"genre","value":"a","weight":"heavy"})", Who::Alice, 400, {"weight"}},
      {"POST", base, R"({"type":"genre","value":"a","rank":1.5})", Who::Alice, 400, {"rank"}},
      {"POST", base, R"({"type":"genre","value":"a","rank":"1"})", Who::Alice, 400, {"rank"}},
      {"POST", base, R"({"type":"genre","value":"a","rank":-1})", Who::Alice, 422, {}, "rank must be between 0 and 4"},
      {"POST", base, R"({"type":"genre","value":"a","rank":5})", Who::Alice, 422, {}, "rank must be between 0 and 4"},
      {"POST", base, R"({"type":"mood","value":"x","weight":7,"rank":"top"})", Who::Alice, 400, {"type", "weight", "rank"}},
      {"POST", base, "{bad json", Who::Alice, 400},
      {"POST", base, "[]", Who::Alice, 400},
      {"POST", base, R"({"type":"genre","value":"b"})", Who::Bob, 403},
      {"POST", base, R"({"type":"genre","value":"b"})", Who::None, 401},
      {"POST", w.profile(kUnknownId) + "/preferences", R"({"type":"genre","value":"b"})", Who::Alice, 404},
      {"POST", base, R"({"type":"instrument","value":")" + long64 + R"("})", Who::Alice, 201, {"rank=4"}},
      // GET list
      {"GET", base, "", Who::Alice, 200, {"preferences", "count=5"}},
      {"GET", base + "?type=genre", "", Who::Alice, 200, {"count=2"}},
      {"GET", base + "?type=mood", "", Who::Alice, 400, {"type"}},
      {"GET", base, "", Who::Admin, 200, {"count=5"}},
      {"GET", base, "", Who::Bob, 403},
      {"GET", base, "", Who::None, 401},
      {"GET", w.profile(kUnknownId) + "/preferences", "", Who::Admin, 404},
      // GET one
      {"GET", P1, "", Who::Alice, 200, kPreferenceFields},
      {"GET", P1, "", Who::Admin, 200, {"id=" + p1}},
      {"GET", P1, "", Who::Bob, 403},
      {"GET", P1, "", Who::None, 401},
      {"GET", base + "/" + kUnknownId, "", Who::Alice, 404},
      {"GET", base + "/not-a-uuid", "", Who::Alice, 404},
      {"GET", BP, "", Who::Alice, 404},
      {"GET", w.profile(w.bob_id) + "/preferences/" + p1, "", Who::Bob, 404},
      // PATCH one
      {"PATCH", P1, R"({"weight":0.25})", Who::Alice, 200, {"weight=0.25", "value=rock", "type=genre"}},
      {"PATCH", P1, R"({"type":"genre"})", Who::Alice, 200},
      {"PATCH", P1, R"({"type":"artist"})", Who::Alice, 400,
       {"type=Type cannot change; delete the preference and create a new one"}},
      {"PATCH", P1, R"({"id":")" + kUnknownId + R"("})", Who::Alice, 400, {"id~read-only"}},
      {"PATCH", P1, R"({"profileId":")" + w.bob_id + R"("})", Who::Alice, 400, {"profileId~read-only"}},
      {"PATCH", P1, R"({"createdAt":"2020-01-01T00:00:00.000Z"})", Who::Alice, 400, {"createdAt~read-only"}},
      {"PATCH", P1, R"({"updatedAt":"2020-01-01T00:00:00.000Z"})", Who::Alice, 400, {"updatedAt~read-only"}},
      {"PATCH", P1, R"({"value":null})", Who::Alice, 400, {"value=is required"}},
      {"PATCH", P1, R"({"rank":null})", Who::Alice, 400, {"rank=is required"}},
      {"PATCH", P1, R"({"weight":null})", Who::Alice, 200, {"weight=1"}},
      {"PATCH", P1, R"({"rank":5})", Who::Alice, 422},
      {"PATCH", P1, R"({"rank":-1})", Who::Alice, 422},
      {"PATCH", P1, R"({"rank":"x"})", Who::Alice, 400, {"rank"}},
      {"PATCH", P1, R"({"weight":5})", Who::Alice, 400, {"weight"}},
      {"PATCH", P1, R"({"value":""})", Who::Alice, 400, {"value"}},
      {"PATCH", P1, R"({"value":"pop"})", Who::Alice, 409, {}, "Preference already exists"},
      {"PATCH", P1, "{bad json", Who::Alice, 400},
      {"PATCH", P1, R"({"weight":0.3})", Who::Bob, 403},
      {"PATCH", P1, R"({"weight":0.3})", Who::None, 401},
      {"PATCH", P1, R"({"weight":0.3})", Who::Admin, 200, {"weight=0.3"}},
      {"PATCH", BP, R"({"weight":0.3})", Who::Alice, 404},
      {"PATCH", base + "/" + kUnknownId, R"({"weight":0.3})", Who::Alice, 404},
      // DELETE one
      {"DELETE", P1, "", Who::Bob, 403},
      {"DELETE", BP, "", Who::Alice, 404},
      {"DELETE", P1, "", Who::None, 401},
      {"DELETE", P1, "", Who::Alice, 204},
      {"DELETE", P1, "", Who::Alice, 404},
      {"GET", base, "", Who::Alice, 200, {"count=4"}},
  };
  run_rows(w, rows);
  // bob's preference was untouched throughout.
  auto b = w.s->get(w.profile(w.bob_id) + "/preferences/" + bp, w.bob);
  CHECK(b.status == 200);
  CHECK(b.json()["weight"] == 1);
  CHECK(b.json()["rank"] == 0);
}

TEST_CASE("listener table: tune vectors") {
  World w;
  auto base = w.profile(w.alice_id) + "/tune-vectors";
  auto t1 = id_of(w.s->request("POST", base, two_waypoints("Morning"), auth(w.alice)));
  auto bt = id_of(w.s->request("POST", w.profile(w.bob_id) + "/tune-vectors", two_waypoints("Bob's"), auth(w.bob)));
  auto T1 = base + "/" + t1, BT = base + "/" + bt;
  auto wp = [](json points, json extra = json::object()) {
    json b = {{"name", "x"}, {"waypoints", points}};
    b.update(extra);
    return b.dump();
  };
  auto pt = [](double at, json target) { return json{{"atMinute", at}, {"target", target}}; };
  json e02 = {{"energy", 0.2}}, e08 = {{"energy", 0.8}};
  std::string guided_ok =
      R"({"name":"G","mode":"guided","preset":"descent","durationMinutes":60,"genres":[{"genre":"techno","minutes":20},{"genre":"house","minutes":40}]})";
  std::vector<Row> rows = {
      {"POST", base, two_waypoints("Walk"), Who::Alice, 201, kTuneVectorFields},
      {"POST", base, R"({"name":"Up","preset":"ascent","durationMinutes":45})", Who::Alice, 201,
       {"mode=adaptive", "preset=ascent", "durationMinutes=45", "genres=[]", "tracks=[]", "position=2"}},
      {"POST", base, guided_ok, Who::Admin, 201, {"mode=guided", "preset=descent", "position=3"}},
      {"POST", base, wp({pt(0, e02), pt(30, e08)}, {{"name", nullptr}}), Who::Alice, 400, {"name"}},
      {"POST", base, R"({"waypoints":[{"atMinute":0,"target":{"energy":0.1}},{"atMinute":5,"target":{"energy":0.2}}]})",
       Who::Alice, 400, {"name"}},
      {"POST", base, R"({"name":"","preset":"ascent","durationMinutes":10})", Who::Alice, 400, {"name"}},
      {"POST", base, R"({"name":")" + std::string(101, 'n') + R"(","preset":"ascent","durationMinutes":10})", Who::Alice, 400, {"name"}},
      {"POST", base, R"({"name":5,"preset":"ascent","durationMinutes":10})", Who::Alice, 400, {"name"}},
      {"POST", base, R"({"name":"x"})", Who::Alice, 400, {"waypoints=waypoints or preset is required"}},
      {"POST", base, R"({"name":"x","mode":"random","preset":"ascent","durationMinutes":10})", Who::Alice, 400, {"mode"}},
      {"POST", base, R"({"name":"x","preset":"sideways","durationMinutes":10})", Who::Alice, 400, {"preset"}},
      {"POST", base, R"({"name":"x","preset":"ascent"})", Who::Alice, 400, {"durationMinutes"}},
      {"POST", base, R"({"name":"x","preset":"ascent","durationMinutes":0})", Who::Alice, 400, {"durationMinutes"}},
      {"POST", base, R"({"name":"x","preset":"ascent","durationMinutes":1441})", Who::Alice, 400, {"durationMinutes"}},
      {"POST", base, R"({"name":"x","preset":"ascent","durationMinutes":"long"})", Who::Alice, 400, {"durationMinutes"}},
      {"POST", base, wp({pt(0, e02), pt(30, e08)}, {{"preset", "ascent"}, {"durationMinutes", 30}}), Who::Alice, 422},
      {"POST", base, wp({pt(0, e02)}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp("x"), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, e02), pt(0, e08)}), Who::Alice, 422},
      {"POST", base, wp({pt(0, e02), pt(30, e08), pt(20, e02)}), Who::Alice, 422},
      {"POST", base, wp({pt(5, e02), pt(30, e08)}), Who::Alice, 422},
      {"POST", base, wp({pt(0, e02), pt(1441, e08)}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, e02), pt(30, json::object())}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, e02), pt(30, {{"loudness", 0.5}})}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, e02), pt(30, {{"energy", 1.5}})}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, {{"tempo", 30}}), pt(30, e08)}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, {{"tempo", 221}}), pt(30, e08)}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, wp({pt(0, {{"valence", -0.1}}), pt(30, {{"acousticness", 0.5}, {"density", 2}})}), Who::Alice, 400, {"waypoints"}},
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60})", Who::Alice, 422},
      {"POST", base, R"({"name":"x","preset":"ascent","durationMinutes":60,"genres":[{"genre":"techno","minutes":60}]})", Who::Alice, 422},
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60,"genres":[{"genre":"techno","minutes":20},{"genre":"house","minutes":30}]})", Who::Alice, 422},
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60,"genres":[]})", Who::Alice, 422},  // no genres: "missing"
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60,"genres":[{"genre":"","minutes":60}]})", Who::Alice, 400, {"genres"}},
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60,"genres":[{"genre":"a","minutes":0},{"genre":"b","minutes":60}]})", Who::Alice, 400, {"genres"}},
      {"POST", base, R"({"name":"x","mode":"guided","preset":"ascent","durationMinutes":60,"genres":"techno"})", Who::Alice, 400, {"genres"}},
      {"POST", base, "{bad json", Who::Alice, 400},
      {"POST", base, two_waypoints("b"), Who::Bob, 403},
      {"POST", base, two_waypoints("b"), Who::None, 401},
      {"POST", w.profile(kUnknownId) + "/tune-vectors", two_waypoints("b"), Who::Alice, 404},
      // GET list and one
      {"GET", base, "", Who::Alice, 200, {"tuneVectors", "count=4"}},
      {"GET", base, "", Who::Admin, 200, {"count=4"}},
      {"GET", base, "", Who::Bob, 403},
      {"GET", base, "", Who::None, 401},
      {"GET", T1, "", Who::Alice, 200, kTuneVectorFields},
      {"GET", T1, "", Who::Bob, 403},
      {"GET", T1, "", Who::None, 401},
      {"GET", BT, "", Who::Alice, 404},
      {"GET", base + "/" + kUnknownId, "", Who::Alice, 404},
      {"GET", base + "/nope", "", Who::Alice, 404},
      // PATCH
      {"PATCH", T1, R"({"name":"Evening"})", Who::Alice, 200, {"name=Evening", "position=0"}},
      {"PATCH", T1, R"({"preset":"ascent"})", Who::Alice, 400, {"preset"}},
      {"PATCH", T1, R"({"position":4})", Who::Alice, 422},
      {"PATCH", T1, R"({"position":-1})", Who::Alice, 422},
      {"PATCH", T1, R"({"position":"first"})", Who::Alice, 400, {"position"}},
      {"PATCH", T1, R"({"name":null})", Who::Alice, 400, {"name"}},
      {"PATCH", T1, R"({"name":""})", Who::Alice, 400, {"name"}},
      {"PATCH", T1, wp({pt(0, e02), pt(0, e08)}), Who::Alice, 422},
      {"PATCH", T1, R"({"target":{"energy":2}})", Who::Alice, 400, {"target|waypoints"}},
      {"PATCH", T1, R"({"target":{"bogus":0.5}})", Who::Alice, 400, {"target|waypoints"}},
      {"PATCH", T1, R"({"durationMinutes":0})", Who::Alice, 400, {"durationMinutes"}},
      {"PATCH", T1, R"({"mode":"guided"})", Who::Alice, 422},
      {"PATCH", T1, R"({"mode":"shuffle"})", Who::Alice, 400, {"mode"}},
      {"PATCH", T1, R"({"id":")" + kUnknownId + R"("})", Who::Alice, 400, {"id"}},
      {"PATCH", T1, "{bad json", Who::Alice, 400},
      {"PATCH", T1, R"({"name":"B"})", Who::Bob, 403},
      {"PATCH", T1, R"({"name":"B"})", Who::None, 401},
      {"PATCH", T1, R"({"name":"By admin"})", Who::Admin, 200, {"name=By admin"}},
      {"PATCH", BT, R"({"name":"B"})", Who::Alice, 404},
      // DELETE
      {"DELETE", T1, "", Who::Bob, 403},
      {"DELETE", BT, "", Who::Alice, 404},
      {"DELETE", T1, "", Who::None, 401},
      {"DELETE", T1, "", Who::Alice, 204},
      {"DELETE", T1, "", Who::Alice, 404},
      {"GET", base, "", Who::Alice, 200, {"count=3"}},
  };
  run_rows(w, rows);
  auto list = w.s->get(base, w.alice).json()["tuneVectors"];
  for (std::size_t i = 0; i < list.size(); ++i) CHECK(list[i]["position"] == i);
  CHECK(w.s->get(w.profile(w.bob_id) + "/tune-vectors/" + bt, w.bob).json()["name"] == "Bob's");
}

TEST_CASE("listener table: variables and readings") {
  World w;
  auto base = w.profile(w.alice_id) + "/variables";
  auto v = id_of(w.s->post(base, {{"name", "heart_rate"}}, w.alice));
  auto bv = id_of(w.s->post(w.profile(w.bob_id) + "/variables", {{"name", "heart_rate"}}, w.bob));
  auto V = base + "/" + v, BV = base + "/" + bv, R = V + "/readings";
  std::string many = "{\"readings\":[";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + "{\"value\":70}";
  many += "]}";
  std::vector<Row> rows = {
      {"POST", base, R"({"name":"temperature"})", Who::Alice, 201,
       {"name=temperature", "optedIn=true", "unit=C", "readingCount=0", "profileId=" + w.alice_id, "id", "createdAt", "updatedAt"}},
      {"POST", base, R"({"name":"heart_rate"})", Who::Alice, 409, {}, "Variable heart_rate already exists"},
      {"POST", base, R"({"name":"mood"})", Who::Alice, 400, {"name~heart_rate"}},
      {"POST", base, R"({})", Who::Alice, 400, {"name"}},
      {"POST", base, R"({"name":5})", Who::Alice, 400, {"name"}},
      {"POST", base, "{bad json", Who::Alice, 400},
      {"POST", base, R"({"name":"hrv"})", Who::Admin, 201, {"unit=ms"}},
      {"POST", base, R"({"name":"rating"})", Who::Bob, 403},
      {"POST", base, R"({"name":"rating"})", Who::None, 401},
      {"POST", w.profile(kUnknownId) + "/variables", R"({"name":"rating"})", Who::Alice, 404},
      {"GET", base, "", Who::Alice, 200, {"variables", "count=3"}},
      {"GET", base, "", Who::Admin, 200, {"count=3"}},
      {"GET", base, "", Who::Bob, 403},
      {"GET", base, "", Who::None, 401},
      {"GET", V, "", Who::Alice, 200, kVariableFields},
      {"GET", V, "", Who::Bob, 403},
      {"GET", V, "", Who::None, 401},
      {"GET", BV, "", Who::Alice, 404},
      {"GET", base + "/" + kUnknownId, "", Who::Alice, 404},
      {"PATCH", V, R"({"optedIn":"no"})", Who::Alice, 400, {"optedIn"}},
      {"PATCH", V, R"({"optedIn":null})", Who::Alice, 400, {"optedIn"}},
      {"PATCH", V, R"({"name":"hrv"})", Who::Alice, 400, {"name~cannot change"}},
      {"PATCH", V, R"({"name":"heart_rate"})", Who::Alice, 200},
      {"PATCH", V, R"({"unit":"ms"})", Who::Alice, 400, {"unit"}},
      {"PATCH", V, R"({"optedIn":true})", Who::Alice, 200, {"optedIn=true"}},
      {"PATCH", V, "{bad json", Who::Alice, 400},
      {"PATCH", V, R"({"optedIn":false})", Who::Bob, 403},
      {"PATCH", V, R"({"optedIn":false})", Who::None, 401},
      {"PATCH", BV, R"({"optedIn":false})", Who::Alice, 404},
      // readings
      {"POST", R, R"({"value":72})", Who::Alice, 201, {"accepted=1"}},
      {"POST", R, R"({"readings":[{"value":70},{"value":71,"unit":"bpm","recordedAt":"2024-01-01T00:00:00.000Z"}]})", Who::Alice, 201, {"accepted=2"}},
      {"POST", R, R"({"value":72})", Who::Admin, 201, {"accepted=1"}},
      {"POST", R, R"({"value":300})", Who::Alice, 400, {"value"}},
      {"POST", R, R"({"value":"fast"})", Who::Alice, 400, {"value"}},
      {"POST", R, R"({})", Who::Alice, 400, {"value"}},
      {"POST", R, R"({"value":72,"unit":"F"})", Who::Alice, 400, {"unit"}},
      {"POST", R, R"({"value":72,"recordedAt":"yesterday"})", Who::Alice, 400, {"recordedAt"}},
      {"POST", R, R"({"value":72,"recordedAt":"2099-01-01T00:00:00.000Z"})", Who::Alice, 422},
      {"POST", R, R"({"readings":[{"value":70},{"value":10},{"value":"x"}]})", Who::Alice, 400,
       {"readings[1].value", "readings[2].value"}},
      {"POST", R, R"({"readings":[]})", Who::Alice, 400, {"readings"}},
      {"POST", R, many, Who::Alice, 400, {"readings"}},
      {"POST", R, "{bad json", Who::Alice, 400},
      {"POST", R, R"({"value":72})", Who::Bob, 403},
      {"POST", R, R"({"value":72})", Who::None, 401},
      {"POST", BV + "/readings", R"({"value":72})", Who::Alice, 404},
      {"POST", base + "/" + kUnknownId + "/readings", R"({"value":72})", Who::Alice, 404},
      {"GET", R, "", Who::Alice, 200, {"readings", "count=4"}},
      {"GET", R + "?limit=2", "", Who::Alice, 200, {"count=2"}},
      {"GET", R + "?limit=0", "", Who::Alice, 400, {"limit"}},
      {"GET", R + "?limit=1001", "", Who::Alice, 400, {"limit"}},
      {"GET", R + "?limit=ten", "", Who::Alice, 400, {"limit"}},
      {"GET", R, "", Who::Bob, 403},
      {"GET", R, "", Who::None, 401},
      {"GET", BV + "/readings", "", Who::Alice, 404},
      {"GET", V, "", Who::Alice, 200, {"readingCount=4"}},
      // opted out: readings refused with 403
      {"PATCH", V, R"({"optedIn":false})", Who::Alice, 200, {"optedIn=false", "readingCount=0"}},
      {"POST", R, R"({"value":72})", Who::Alice, 403, {}, "Variable heart_rate is not opted in"},
      {"GET", R, "", Who::Alice, 200, {"count=0", "readings=[]"}},
      // DELETE
      {"DELETE", V, "", Who::Bob, 403},
      {"DELETE", BV, "", Who::Alice, 404},
      {"DELETE", V, "", Who::None, 401},
      {"DELETE", V, "", Who::Alice, 204},
      {"DELETE", V, "", Who::Alice, 404},
      {"GET", R, "", Who::Alice, 404},
      {"GET", base, "", Who::Alice, 200, {"count=2"}},
  };
  run_rows(w, rows);
  auto b = w.s->get(w.profile(w.bob_id) + "/variables/" + bv, w.bob);
  CHECK(b.status == 200);
  CHECK(b.json()["optedIn"] == true);
}

TEST_CASE("listener: ranks stay dense through inserts, moves and deletes") {
  World w;
  auto base = w.profile(w.alice_id) + "/preferences";
  auto add = [&](const std::string& v, int rank = -1) {
    json b = {{"type", "genre"}, {"value", v}};
    if (rank >= 0) b["rank"] = rank;
    auto r = w.s->post(base, b, w.alice);
    INFO(r.body);
    REQUIRE(r.status == 201);
    if (rank >= 0) CHECK(r.json()["rank"] == rank);
    return r.json()["id"].get<std::string>();
  };
  auto a = add("a");        // [a]
  auto b = add("b");        // [a b]
  auto c = add("c", 0);     // front: [c a b]
  auto d = add("d", 1);     // middle: [c d a b]
  auto e = add("e", 4);     // end (rank n): [c d a b e]
  check_dense(prefs(w, w.alice_id, w.alice), {"c", "d", "a", "b", "e"});
  auto move = [&](const std::string& id, int rank) {
    auto r = w.s->patch(base + "/" + id, {{"rank", rank}}, w.alice);
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["rank"] == rank);
  };
  move(c, 3);  // down: [d a b c e]
  check_dense(prefs(w, w.alice_id, w.alice), {"d", "a", "b", "c", "e"});
  move(e, 0);  // up from the end to the front: [e d a b c]
  check_dense(prefs(w, w.alice_id, w.alice), {"e", "d", "a", "b", "c"});
  move(b, 1);  // up: [e b d a c]
  check_dense(prefs(w, w.alice_id, w.alice), {"e", "b", "d", "a", "c"});
  move(e, 4);  // front to end: [b d a c e]
  check_dense(prefs(w, w.alice_id, w.alice), {"b", "d", "a", "c", "e"});
  move(a, 2);  // same place
  check_dense(prefs(w, w.alice_id, w.alice), {"b", "d", "a", "c", "e"});
  CHECK(w.s->patch(base + "/" + a, {{"rank", 5}}, w.alice).status == 422);
  CHECK(w.s->del(base + "/" + d, w.alice).status == 204);  // middle
  check_dense(prefs(w, w.alice_id, w.alice), {"b", "a", "c", "e"});
  CHECK(w.s->del(base + "/" + b, w.alice).status == 204);  // front
  check_dense(prefs(w, w.alice_id, w.alice), {"a", "c", "e"});
  CHECK(w.s->del(base + "/" + e, w.alice).status == 204);  // end
  check_dense(prefs(w, w.alice_id, w.alice), {"a", "c"});
  // The ?type filter keeps the global ranks.
  add("x-artist");
  auto t = w.s->post(base, {{"type", "artist"}, {"value", "Nina"}, {"rank", 1}}, w.alice);
  REQUIRE(t.status == 201);
  auto artists = w.s->get(base + "?type=artist", w.alice).json();
  REQUIRE(artists["preferences"].size() == 1);
  CHECK(artists["count"] == 1);
  CHECK(artists["preferences"][0]["rank"] == 1);
  check_dense(prefs(w, w.alice_id, w.alice), {"a", "Nina", "c", "x-artist"});
  // The rows in the database agree: unique, dense ranks for the profile's user preferences.
  auto ranks = sqlite_query(w.tenant_db(), "SELECT rank FROM preferences WHERE profile_id = '" + w.alice_id +
                                               "' AND source = 'user' ORDER BY rank");
  REQUIRE(ranks.size() == 4);
  for (std::size_t i = 0; i < ranks.size(); ++i) CHECK(ranks[i][0] == std::to_string(i));
  // Another profile's ranks start at 0 independently.
  auto other = w.s->post(w.profile(w.bob_id) + "/preferences", {{"type", "genre"}, {"value", "a"}}, w.bob);
  CHECK(other.json()["rank"] == 0);
}

TEST_CASE("listener: at most 100 preferences") {
  World w;
  auto base = w.profile(w.alice_id) + "/preferences";
  int created = 0;
  for (int i = 0; i < 100; ++i) {
    auto r = w.s->request("POST", base, "{\"type\":\"genre\",\"value\":\"g" + std::to_string(i) + "\"}", auth(w.alice));
    if (r.status == 201) ++created;
    else FAIL_CHECK("POST " << i << " -> " << r.status << " " << r.body);
  }
  CHECK(created == 100);
  auto over = w.s->post(base, {{"type", "genre"}, {"value", "g100"}}, w.alice);
  CHECK(over.status == 409);
  CHECK(over.json()["message"] == "A profile has at most 100 preferences");
  auto over_front = w.s->post(base, {{"type", "artist"}, {"value", "x"}, {"rank", 0}}, w.alice);
  CHECK(over_front.status == 409);
  auto list = prefs(w, w.alice_id, w.alice);
  CHECK(list["count"] == 100);
  CHECK(list["preferences"].back()["rank"] == 99);
  CHECK(list["preferences"].back()["value"] == "g99");
  // Deleting one makes room again.
  CHECK(w.s->del(base + "/" + list["preferences"][0]["id"].get<std::string>(), w.alice).status == 204);
  CHECK(w.s->post(base, {{"type", "genre"}, {"value", "g100"}}, w.alice).status == 201);
}

TEST_CASE("listener: merge patch semantics and type immutability") {
  World w;
  auto base = w.profile(w.alice_id) + "/preferences";
  auto tempo = w.s->post(base, {{"type", "tempo"}, {"value", {{"minBpm", 60}, {"maxBpm", 120}}}, {"weight", 0.4}}, w.alice);
  REQUIRE(tempo.status == 201);
  auto id = tempo.json()["id"].get<std::string>();
  auto created_at = tempo.json()["createdAt"];
  auto T = base + "/" + id;
  // A partial update of the tempo object keeps the other bound.
  auto r = w.s->patch(T, {{"value", {{"maxBpm", 140}}}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["value"] == json{{"minBpm", 60}, {"maxBpm", 140}});
  CHECK(r.json()["weight"].get<double>() == doctest::Approx(0.4));
  CHECK(r.json()["type"] == "tempo");
  CHECK(r.json()["createdAt"] == created_at);
  // application/json works as well.
  r = w.s->patch(T, {{"value", {{"minBpm", 70}}}}, w.alice, "application/json");
  REQUIRE(r.status == 200);
  CHECK(r.json()["value"] == json{{"minBpm", 70}, {"maxBpm", 140}});
  // The merged value is validated: min above max is 422, a bound out of range is 400; nothing changes.
  CHECK(w.s->patch(T, {{"value", {{"minBpm", 150}}}}, w.alice).status == 422);
  auto bad = w.s->patch(T, {{"value", {{"maxBpm", 400}}}}, w.alice);
  CHECK(bad.status == 400);
  // Removing a bound with null makes the value incomplete: 400.
  CHECK(w.s->patch(T, {{"value", {{"maxBpm", nullptr}}}}, w.alice).status == 400);
  CHECK(w.s->get(T, w.alice).json()["value"] == json{{"minBpm", 70}, {"maxBpm", 140}});
  // weight null resets to 1; an empty patch changes nothing.
  r = w.s->patch(T, {{"weight", nullptr}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["weight"] == 1);
  r = w.s->patch(T, json::object(), w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["value"] == json{{"minBpm", 70}, {"maxBpm", 140}});
  // Read-only members may be repeated unchanged.
  auto full = w.s->get(T, w.alice).json();
  r = w.s->patch(T, {{"id", full["id"]}, {"profileId", full["profileId"]}, {"createdAt", full["createdAt"]}}, w.alice);
  CHECK(r.status == 200);
  // Type never changes, whatever the value.
  r = w.s->patch(T, {{"type", "genre"}, {"value", "house"}}, w.alice);
  CHECK(r.status == 400);
  CHECK(r.json()["errors"]["type"] == "Type cannot change; delete the preference and create a new one");
  r = w.s->patch(T, {{"type", nullptr}}, w.alice);
  CHECK(r.status == 400);
  CHECK(r.json()["errors"].contains("type"));
  auto now = w.s->get(T, w.alice).json();
  CHECK(now["type"] == "tempo");
  CHECK(now["value"] == json{{"minBpm", 70}, {"maxBpm", 140}});
  // A genre's value is a string: replacing it works, an object does not.
  auto g = id_of(w.s->post(base, {{"type", "genre"}, {"value", "house"}}, w.alice));
  r = w.s->patch(base + "/" + g, {{"value", "deep house"}, {"weight", 0.9}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["value"] == "deep house");
  CHECK(w.s->patch(base + "/" + g, {{"value", {{"minBpm", 70}}}}, w.alice).status == 400);
  // A body that is not an object is not a merge patch for a resource.
  CHECK(w.s->request("PATCH", base + "/" + g, "[1,2]", {{"Authorization", "Bearer " + w.alice},
                                                        {"Content-Type", "application/merge-patch+json"}})
            .status == 400);
}

TEST_CASE("listener: learned preferences never show through the API") {
  World w({"--set", "cache.ttl_s=0"});
  auto base = w.profile(w.alice_id) + "/preferences";
  auto a = id_of(w.s->post(base, {{"type", "genre"}, {"value", "rock"}}, w.alice));
  auto b = id_of(w.s->post(base, {{"type", "genre"}, {"value", "pop"}}, w.alice));
  const std::string learned = "11111111-1111-4111-8111-111111111111";
  sqlite_query(w.tenant_db(), "INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, "
                              "updated_at) VALUES ('" + learned + "', '" + w.alice_id +
                                  "', 'learned', 'genre', '\"jazz\"', 0.7, -1, 0, 0), ('" +
                                  "22222222-2222-4222-8222-222222222222', '" + w.alice_id +
                                  "', 'learned', 'genre', '\"rock\"', 0.7, 0, 0, 0)");
  auto list = prefs(w, w.alice_id, w.alice);
  CHECK(list["count"] == 2);
  check_dense(list, {"rock", "pop"});
  CHECK(w.s->get(base + "?type=genre", w.alice).json()["count"] == 2);
  CHECK(w.s->get(base + "/" + learned, w.alice).status == 404);
  CHECK(w.s->get(base + "/" + learned, w.admin).status == 404);
  CHECK(w.s->patch(base + "/" + learned, {{"weight", 0.1}}, w.alice).status == 404);
  CHECK(w.s->del(base + "/" + learned, w.alice).status == 404);
  // Not ranked or counted: a new one appends at 2, rank 3 is out of range, "jazz" is not a duplicate, and the
  // learned "rock" at rank 0 does not disturb the user's ranks.
  CHECK(w.s->post(base, {{"type", "genre"}, {"value", "x"}, {"rank", 3}}, w.alice).status == 422);
  auto j = w.s->post(base, {{"type", "genre"}, {"value", "jazz"}}, w.alice);
  REQUIRE(j.status == 201);
  CHECK(j.json()["rank"] == 2);
  CHECK(w.s->patch(base + "/" + a, {{"rank", 2}}, w.alice).status == 200);
  check_dense(prefs(w, w.alice_id, w.alice), {"pop", "jazz", "rock"});
  CHECK(w.s->del(base + "/" + b, w.alice).status == 204);
  check_dense(prefs(w, w.alice_id, w.alice), {"jazz", "rock"});
  // The learned rows are untouched.
  auto rows = sqlite_query(w.tenant_db(), "SELECT weight, rank FROM preferences WHERE source = 'learned' ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"0.7", "-1"});
  CHECK(rows[1] == std::vector<std::string>{"0.7", "0"});
  // The dependents of a profile that is deleted count its own preferences.
  auto d = w.s->del(w.profile(w.alice_id), w.alice);
  CHECK(d.status == 409);
  CHECK(d.json()["dependents"]["preferences"] == 2);
}

TEST_CASE("listener: tune vector presets, validation, redirect, stretch and re-sort") {
  World w;
  auto base = w.profile(w.alice_id) + "/tune-vectors";
  json low = {{"energy", 0.2}, {"tempo", 80}, {"valence", 0.4}, {"acousticness", 0.7}, {"density", 0.3}};
  json high = {{"energy", 0.9}, {"tempo", 140}, {"valence", 0.8}, {"acousticness", 0.2}, {"density", 0.8}};
  auto close = [](const json& a, const json& b) {
    if (a.size() != b.size()) return false;
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key()) || std::abs(a[it.key()].get<double>() - it.value().get<double>()) > 1e-9) return false;
    return true;
  };
  auto up = w.s->post(base, {{"name", "Ascent"}, {"preset", "ascent"}, {"durationMinutes", 30}}, w.alice);
  REQUIRE(up.status == 201);
  auto u = up.json();
  CHECK(u["preset"] == "ascent");
  CHECK(u["mode"] == "adaptive");
  CHECK(u["durationMinutes"] == 30);
  CHECK(u["genres"] == json::array());
  CHECK(u["tracks"] == json::array());
  CHECK(u["position"] == 0);
  REQUIRE(u["waypoints"].size() == 2);
  CHECK(u["waypoints"][0]["atMinute"] == 0);
  CHECK(u["waypoints"][1]["atMinute"] == 30);
  CHECK_MESSAGE(close(u["waypoints"][0]["target"], low), u.dump());
  CHECK_MESSAGE(close(u["waypoints"][1]["target"], high), u.dump());
  auto down = w.s->post(base, {{"name", "Descent"}, {"preset", "descent"}, {"durationMinutes", 90}}, w.alice);
  REQUIRE(down.status == 201);
  auto dn = down.json();
  CHECK(dn["position"] == 1);
  REQUIRE(dn["waypoints"].size() == 2);
  CHECK(dn["waypoints"][1]["atMinute"] == 90);
  CHECK_MESSAGE(close(dn["waypoints"][0]["target"], high), dn.dump());
  CHECK_MESSAGE(close(dn["waypoints"][1]["target"], low), dn.dump());
  CHECK(w.s->get(base + "/" + dn["id"].get<std::string>(), w.alice).json() == dn);

  // Waypoints: strictly increasing from 0.
  auto pts = [](std::vector<double> at) {
    json a = json::array();
    for (double m : at) a.push_back({{"atMinute", m}, {"target", {{"energy", 0.5}}}});
    return a;
  };
  for (auto bad : {std::vector<double>{0, 10, 10}, {0, 20, 10}, {1, 10}, {0, 0}}) {
    auto r = w.s->post(base, {{"name", "w"}, {"waypoints", pts(bad)}}, w.alice);
    CHECK_MESSAGE(r.status == 422, (pts(bad).dump() + " -> " + r.body));
  }
  auto ok = w.s->post(base, {{"name", "w"}, {"waypoints", pts({0, 0.5, 10, 1440})}}, w.alice);
  REQUIRE(ok.status == 201);
  CHECK(ok.json()["durationMinutes"] == 1440);
  CHECK(ok.json()["preset"].is_null());
  auto w_id = ok.json()["id"].get<std::string>();

  // Guided: genres must add up to the duration (±0.01).
  json genres = {{{"genre", "ambient"}, {"minutes", 20}}, {{"genre", "techno"}, {"minutes", 40}}};
  json guided = {{"name", "Guided"}, {"mode", "guided"}, {"preset", "ascent"}, {"durationMinutes", 60}};
  auto g_missing = w.s->post(base, guided, w.alice);
  CHECK(g_missing.status == 422);
  guided["genres"] = {{{"genre", "ambient"}, {"minutes", 20}}, {{"genre", "techno"}, {"minutes", 39.9}}};
  CHECK(w.s->post(base, guided, w.alice).status == 422);
  guided["genres"] = {{{"genre", "ambient"}, {"minutes", 20}}, {{"genre", "techno"}, {"minutes", 39.995}}};
  CHECK(w.s->post(base, guided, w.alice).status == 201);
  guided["genres"] = genres;
  auto g = w.s->post(base, guided, w.alice);
  REQUIRE(g.status == 201);
  CHECK(g.json()["genres"] == genres);
  CHECK(g.json()["position"] == 4);
  auto gid = g.json()["id"].get<std::string>();
  auto G = base + "/" + gid;

  // Redirect: the target merges into the last waypoint only.
  auto r = w.s->patch(G, {{"target", {{"energy", 0.5}, {"tempo", 100}}}}, w.alice);
  REQUIRE(r.status == 200);
  auto v = r.json();
  json expect_last = high;
  expect_last["energy"] = 0.5;
  expect_last["tempo"] = 100;
  CHECK_MESSAGE(close(v["waypoints"][1]["target"], expect_last), v.dump());
  CHECK_MESSAGE(close(v["waypoints"][0]["target"], low), v.dump());
  CHECK(v["durationMinutes"] == 60);
  // Stretch: every atMinute and every genre's minutes scale.
  r = w.s->patch(G, {{"durationMinutes", 120}}, w.alice);
  REQUIRE(r.status == 200);
  v = r.json();
  CHECK(v["durationMinutes"] == 120);
  CHECK(v["waypoints"][0]["atMinute"] == 0);
  CHECK(v["waypoints"][1]["atMinute"] == 120);
  CHECK(v["genres"][0]["minutes"].get<double>() == doctest::Approx(40));
  CHECK(v["genres"][1]["minutes"].get<double>() == doctest::Approx(80));
  CHECK(v["genres"][0]["genre"] == "ambient");
  auto s3 = w.s->patch(base + "/" + w_id, {{"durationMinutes", 720}}, w.alice);
  REQUIRE(s3.status == 200);
  std::vector<double> at;
  auto s3j = s3.json();
  for (const auto& p : s3j["waypoints"]) at.push_back(p["atMinute"].get<double>());
  REQUIRE(at.size() == 4);
  CHECK(at[0] == 0);
  CHECK(at[1] == doctest::Approx(0.25));
  CHECK(at[2] == doctest::Approx(5));
  CHECK(at[3] == doctest::Approx(720));
  CHECK(w.s->patch(G, {{"durationMinutes", 1441}}, w.alice).status == 400);
  // Genres replaced must still add up; mode adaptive with genres is refused.
  CHECK(w.s->patch(G, {{"genres", {{{"genre", "dub"}, {"minutes", 60}}}}}, w.alice).status == 422);
  r = w.s->patch(G, {{"genres", {{{"genre", "dub"}, {"minutes", 120}}}}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["genres"] == json{{{"genre", "dub"}, {"minutes", 120}}});
  CHECK(w.s->patch(G, {{"mode", "adaptive"}}, w.alice).status == 422);
  r = w.s->patch(G, {{"mode", "adaptive"}, {"genres", json::array()}}, w.alice);
  CHECK(r.status == 200);
  // Sending waypoints clears the preset; "preset" itself is read-only.
  auto U = base + "/" + u["id"].get<std::string>();
  CHECK(w.s->get(U, w.alice).json()["preset"] == "ascent");
  r = w.s->patch(U, {{"preset", "descent"}}, w.alice);
  CHECK(r.status == 400);
  CHECK(r.json()["errors"].contains("preset"));
  r = w.s->patch(U, {{"waypoints", pts({0, 45})}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["preset"].is_null());
  CHECK(r.json()["durationMinutes"] == 45);
  CHECK(w.s->get(U, w.alice).json()["preset"].is_null());
  r = w.s->patch(G, {{"preset", "descent"}}, w.alice);
  CHECK(r.status == 400);
  CHECK(r.json()["errors"].contains("preset"));

  // Re-sort: positions stay dense 0..n-1.
  auto order = [&] {
    std::vector<std::string> ids;
    auto l = w.s->get(base, w.alice).json();
    for (std::size_t i = 0; i < l["tuneVectors"].size(); ++i) {
      CHECK(l["tuneVectors"][i]["position"] == i);
      ids.push_back(l["tuneVectors"][i]["id"].get<std::string>());
    }
    CHECK(l["count"] == ids.size());
    return ids;
  };
  auto before = order();
  REQUIRE(before.size() == 5);
  r = w.s->patch(base + "/" + before[4], {{"position", 0}}, w.alice);
  REQUIRE(r.status == 200);
  CHECK(r.json()["position"] == 0);
  auto after = order();
  CHECK(after == std::vector<std::string>{before[4], before[0], before[1], before[2], before[3]});
  CHECK(w.s->patch(base + "/" + before[4], {{"position", 2}}, w.alice).status == 200);
  CHECK(order() == std::vector<std::string>{before[0], before[1], before[4], before[2], before[3]});
  CHECK(w.s->patch(base + "/" + before[0], {{"position", 4}}, w.alice).status == 200);
  CHECK(order() == std::vector<std::string>{before[1], before[4], before[2], before[3], before[0]});
  CHECK(w.s->patch(base + "/" + before[0], {{"position", 5}}, w.alice).status == 422);
  CHECK(w.s->del(base + "/" + before[4], w.alice).status == 204);
  CHECK(order() == std::vector<std::string>{before[1], before[2], before[3], before[0]});
}

TEST_CASE("listener: variables are opt-in; readings, opting out, deleting and unit conversion") {
  World w;
  auto base = w.profile(w.alice_id) + "/variables";
  auto none = w.s->get(base, w.alice);
  REQUIRE(none.status == 200);
  CHECK(none.json() == json{{"variables", json::array()}, {"count", 0}});
  CHECK(sqlite_query(w.tenant_db(), "SELECT count(*) FROM variables")[0][0] == "0");
  // Every catalogue variable can be opted in to, with its canonical unit; the list is sorted by name.
  std::map<std::string, std::string> units = {{"ambient_noise", "dB"}, {"time_of_day", "h"}, {"temperature", "C"},
                                              {"location", "deg"},     {"rating", "stars"},  {"hrv", "ms"},
                                              {"heart_rate", "bpm"},   {"accelerometer", "m/s2"}};
  std::map<std::string, std::string> ids;
  for (const auto& [name, unit] : units) {
    auto r = w.s->post(base, {{"name", name}}, w.alice);
    INFO(name << " " << r.body);
    REQUIRE(r.status == 201);
    CHECK(r.json()["unit"] == unit);
    CHECK(r.json()["optedIn"] == true);
    CHECK(r.json()["readingCount"] == 0);
    ids[name] = r.json()["id"].get<std::string>();
  }
  auto list = w.s->get(base, w.alice).json();
  CHECK(list["count"] == 8);
  std::vector<std::string> names;
  for (const auto& v : list["variables"]) names.push_back(v["name"].get<std::string>());
  CHECK(std::is_sorted(names.begin(), names.end()));
  auto R = [&](const std::string& n) { return base + "/" + ids[n] + "/readings"; };
  auto post_reading = [&](const std::string& n, const json& body) { return w.s->post(R(n), body, w.alice).status; };
  // Value rules per variable.
  CHECK(post_reading("ambient_noise", {{"value", 0}}) == 201);
  CHECK(post_reading("ambient_noise", {{"value", 200.5}}) == 400);
  CHECK(post_reading("time_of_day", {{"value", 23.99}}) == 201);
  CHECK(post_reading("time_of_day", {{"value", 24}}) == 400);
  CHECK(post_reading("time_of_day", {{"value", -0.5}}) == 400);
  CHECK(post_reading("location", {{"value", {{"lat", 51.5}, {"lon", -0.12}}}}) == 201);
  CHECK(post_reading("location", {{"value", {{"lat", 91}, {"lon", 0}}}}) == 400);
  CHECK(post_reading("location", {{"value", {{"lat", 0}, {"lon", -181}}}}) == 400);
  CHECK(post_reading("location", {{"value", {{"lat", 0}}}}) == 400);
  CHECK(post_reading("location", {{"value", 5}}) == 400);
  CHECK(post_reading("rating", {{"value", 5}}) == 201);
  CHECK(post_reading("rating", {{"value", 3.5}}) == 400);
  CHECK(post_reading("rating", {{"value", 0}}) == 400);
  CHECK(post_reading("rating", {{"value", 4}, {"unit", "stars"}}) == 201);
  CHECK(post_reading("hrv", {{"value", 1000}}) == 201);
  CHECK(post_reading("hrv", {{"value", 1001}}) == 400);
  CHECK(post_reading("heart_rate", {{"value", 19}}) == 400);
  CHECK(post_reading("heart_rate", {{"value", 250}}) == 201);
  CHECK(post_reading("accelerometer", {{"value", {{"x", 0}, {"y", -9.81}, {"z", 200}}}}) == 201);
  CHECK(post_reading("accelerometer", {{"value", {{"x", 0}, {"y", -9.81}, {"z", 201}}}}) == 400);
  CHECK(post_reading("accelerometer", {{"value", {{"x", 0}, {"y", 1}}}}) == 400);
  // Temperature: F is converted to C; C and F have their own ranges; other units are refused.
  CHECK(post_reading("temperature", {{"value", 98.6}, {"unit", "F"}, {"recordedAt", "2026-01-01T10:00:00.000Z"}}) == 201);
  CHECK(post_reading("temperature", {{"value", -40}, {"unit", "C"}, {"recordedAt", "2026-01-01T09:00:00.000Z"}}) == 201);
  CHECK(post_reading("temperature", {{"value", 61}}) == 400);
  CHECK(post_reading("temperature", {{"value", 141}, {"unit", "F"}}) == 400);
  CHECK(post_reading("temperature", {{"value", -131}, {"unit", "F"}}) == 400);
  CHECK(post_reading("temperature", {{"value", 300}, {"unit", "K"}}) == 400);
  auto temps = w.s->get(R("temperature"), w.alice);
  REQUIRE(temps.status == 200);
  auto t = temps.json();
  REQUIRE(t["readings"].size() == 2);
  CHECK(t["count"] == 2);
  CHECK(t["readings"][0]["value"].get<double>() == doctest::Approx(37.0));
  CHECK(t["readings"][0]["unit"] == "C");
  CHECK(t["readings"][0]["recordedAt"] == "2026-01-01T10:00:00.000Z");
  CHECK(t["readings"][1]["value"].get<double>() == doctest::Approx(-40.0));
  CHECK(t["readings"][1]["recordedAt"] == "2026-01-01T09:00:00.000Z");

  // heart_rate: single and batch readings, newest first; a bad batch stores nothing.
  auto H = R("heart_rate");
  auto batch = w.s->post(H, {{"readings",
                              {{{"value", 60}, {"recordedAt", "2025-05-01T08:00:00.000Z"}},
                               {{"value", 61}, {"recordedAt", "2025-05-01T08:00:02.000Z"}},
                               {{"value", 62}, {"unit", "bpm"}, {"recordedAt", "2025-05-01T08:00:01.000Z"}}}}},
                         w.alice);
  REQUIRE(batch.status == 201);
  CHECK(batch.json()["accepted"] == 3);
  auto bad = w.s->post(H, {{"readings", {{{"value", 70}}, {{"value", 71}}, {{"value", 72}}, {{"value", 999}}}}}, w.alice);
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"].contains("readings[3].value"));
  auto single_bad = w.s->post(H, {{"value", 999}}, w.alice);
  CHECK(single_bad.status == 400);
  CHECK(single_bad.json()["errors"].contains("value"));
  auto hv = w.s->get(base + "/" + ids["heart_rate"], w.alice).json();
  CHECK(hv["readingCount"] == 4);
  auto hr = w.s->get(H, w.alice).json();
  REQUIRE(hr["readings"].size() == 4);
  CHECK(hr["readings"][0]["value"] == 250);  // recorded now
  CHECK(hr["readings"][1]["value"] == 61);
  CHECK(hr["readings"][2]["value"] == 62);
  CHECK(hr["readings"][3]["value"] == 60);
  CHECK(hr["readings"][1]["unit"] == "bpm");
  CHECK(w.s->get(H + "?limit=1", w.alice).json()["readings"].size() == 1);
  // Opting out deletes the readings and refuses new ones; opting in again starts afresh.
  auto out = w.s->patch(base + "/" + ids["heart_rate"], {{"optedIn", false}}, w.alice);
  REQUIRE(out.status == 200);
  CHECK(out.json()["optedIn"] == false);
  CHECK(out.json()["readingCount"] == 0);
  auto empty = w.s->get(H, w.alice).json();
  CHECK(empty["readings"] == json::array());
  CHECK(empty["count"] == 0);
  CHECK(w.s->get(base + "/" + ids["heart_rate"], w.alice).json()["readingCount"] == 0);
  CHECK(w.count("SELECT count(*) FROM readings WHERE variable_id = '" + ids["heart_rate"] + "'") == 0);
  auto refused = w.s->post(H, {{"value", 80}}, w.alice);
  CHECK(refused.status == 403);
  CHECK(refused.json()["message"] == "Variable heart_rate is not opted in");
  CHECK(w.s->post(H, {{"readings", {{{"value", 80}}}}}, w.alice).status == 403);
  CHECK(w.s->patch(base + "/" + ids["heart_rate"], {{"optedIn", true}}, w.alice).status == 200);
  CHECK(w.s->post(H, {{"value", 80}}, w.alice).status == 201);
  CHECK(w.s->get(H, w.alice).json()["count"] == 1);
  // DELETE forgets the variable and its readings.
  auto hrv_id = ids["hrv"];
  CHECK(w.count("SELECT count(*) FROM readings WHERE variable_id = '" + hrv_id + "'") == 1);
  CHECK(w.s->del(base + "/" + hrv_id, w.alice).status == 204);
  CHECK(w.s->get(base + "/" + hrv_id, w.alice).status == 404);
  CHECK(w.count("SELECT count(*) FROM readings WHERE variable_id = '" + hrv_id + "'") == 0);
  CHECK(w.count("SELECT count(*) FROM variables WHERE id = '" + hrv_id + "'") == 0);
  CHECK(w.s->get(base, w.alice).json()["count"] == 7);
  // It can be opted in to again, as a new variable.
  auto again = w.s->post(base, {{"name", "hrv"}}, w.alice);
  REQUIRE(again.status == 201);
  CHECK(again.json()["id"] != hrv_id);
  CHECK(again.json()["readingCount"] == 0);
  // recordedAt: at most 5 minutes ahead.
  CHECK(post_reading("ambient_noise", {{"value", 10}, {"recordedAt", "2999-01-01T00:00:00.000Z"}}) == 422);
  CHECK(post_reading("ambient_noise", {{"value", 10}, {"recordedAt", "not a time"}}) == 400);
  // Internal signals stay internal.
  sqlite_query(w.tenant_db(), "INSERT INTO profile_signals VALUES ('" + w.alice_id + "', 'avg_skip_s', 12.5, 0)");
  auto all = w.s->get(base, w.alice).body + w.s->get(w.profile(w.alice_id), w.alice).body;
  CHECK(all.find("avg_skip_s") == std::string::npos);
}

TEST_CASE("listener: PUT profile") {
  World w;
  auto A = w.profile(w.alice_id);
  auto before = w.s->get(A, w.alice).json();
  // updatedFields lists the changed fields in body order, and "password" when one is given.
  auto r = w.s->request("PUT", A,
                        R"({"phoneNumber":"+15550000001","username":"alice","lastName":"Liddell","firstName":"Test","password":"new-password-1"})",
                        auth(w.alice));
  REQUIRE(r.status == 200);
  CHECK(r.json()["profileId"] == w.alice_id);
  CHECK(r.json()["updatedFields"] == json{"phoneNumber", "lastName", "password"});
  auto after = w.s->get(A, w.alice).json();
  CHECK(after["lastName"] == "Liddell");
  CHECK(after["phoneNumber"] == "+15550000001");
  CHECK(after["createdAt"] == before["createdAt"]);
  CHECK(after["id"] == w.alice_id);
  CHECK(w.s->post("/api/auth/login", {{"login", "alice"}, {"password", "password-alice"}}).status == 401);
  CHECK(w.s->post("/api/auth/login", {{"login", "alice"}, {"password", "new-password-1"}}).status == 200);
  // Username change, then the old name is free and the new one taken.
  r = w.s->request("PUT", A, R"({"username":"alicia","firstName":"Test","lastName":"Liddell","phoneNumber":"+15550000001"})",
                   auth(w.alice));
  REQUIRE(r.status == 200);
  CHECK(r.json()["updatedFields"] == json{"username"});
  CHECK(w.s->get(A, w.alice).json()["username"] == "alicia");
  auto taken = w.s->put(A, {{"username", "bob"}, {"firstName", "T"}, {"lastName", "L"}, {"phoneNumber", "+15550000001"}},
                        w.alice);
  CHECK(taken.status == 409);
  CHECK(taken.json()["message"].is_string());
  auto bob_takes = w.s->put(w.profile(w.bob_id),
                            {{"username", "alice"}, {"firstName", "B"}, {"lastName", "B"}, {"phoneNumber", "+15550000000"}},
                            w.bob);
  CHECK(bob_takes.status == 200);
  // Email: the same address (any case) is fine, another one is 400 and changes nothing.
  auto e = w.s->put(A, {{"username", "alicia"}, {"firstName", "Zed"}, {"lastName", "Liddell"},
                        {"phoneNumber", "+15550000001"}, {"email", "bob@example.com"}},
                    w.alice);
  CHECK(e.status == 400);
  CHECK(e.json()["errors"]["email"] == "Email cannot be changed");
  CHECK(w.s->get(A, w.alice).json()["firstName"] == "Test");
  CHECK(w.s->get(A, w.alice).json()["email"] == "alice@example.com");
  // Every missing or mistyped field is named at once.
  auto m = w.s->put(A, {{"username", ""}, {"firstName", nullptr}, {"phoneNumber", 5551234}}, w.alice);
  CHECK(m.status == 400);
  for (const char* f : {"username", "firstName", "lastName", "phoneNumber"}) CHECK_MESSAGE(m.json()["errors"].contains(f), f);
  // role is not a mutable field: whatever the answer, a user stays a user.
  w.s->put(A, {{"username", "alicia"}, {"firstName", "Test"}, {"lastName", "Liddell"}, {"phoneNumber", "+15550000001"},
               {"role", "admin"}},
           w.alice);
  CHECK(w.s->get(A, w.alice).json()["role"] == "user");
  CHECK(w.s->get("/api/profiles", w.alice).status == 403);
}

TEST_CASE("listener: DELETE profile with cascade") {
  World w;
  std::string cid, carol;
  std::tie(cid, carol) = w.s->signup_login("carol");
  auto C = w.profile(cid);
  REQUIRE(w.s->post(C + "/preferences", {{"type", "genre"}, {"value", "rock"}}, carol).status == 201);
  REQUIRE(w.s->post(C + "/preferences", {{"type", "artist"}, {"value", "Nina"}}, carol).status == 201);
  REQUIRE(w.s->request("POST", C + "/tune-vectors", two_waypoints("Run"), auth(carol)).status == 201);
  auto var = id_of(w.s->post(C + "/variables", {{"name", "heart_rate"}}, carol));
  REQUIRE(w.s->post(C + "/variables/" + var + "/readings", {{"readings", {{{"value", 70}}, {{"value", 71}}}}}, carol).status == 201);
  sqlite_query(w.tenant_db(), "INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, "
                              "updated_at) VALUES ('33333333-3333-4333-8333-333333333333', '" + cid +
                                  "', 'learned', 'genre', '\"jazz\"', 0.5, -1, 0, 0);"
                                  "INSERT INTO profile_signals VALUES ('" + cid + "', 'avg_skip_s', 9, 0)");
  // alice's data must survive carol's deletion.
  REQUIRE(w.s->post(w.profile(w.alice_id) + "/preferences", {{"type", "genre"}, {"value", "rock"}}, w.alice).status == 201);

  auto no = w.s->del(C, carol);
  REQUIRE(no.status == 409);
  CHECK(no.json()["message"] ==
        "Profile still has preferences, tune vectors or variables; delete them or use ?cascade=true");
  CHECK(no.json()["dependents"] == json{{"preferences", 2}, {"tuneVectors", 1}, {"variables", 1}});
  CHECK(w.s->del(C + "?cascade=false", carol).status == 409);
  auto bad = w.s->del(C + "?cascade=1", carol);
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"].contains("cascade"));
  CHECK(w.s->get(C, carol).status == 200);

  auto ok = w.s->del(C + "?cascade=true", carol);
  REQUIRE(ok.status == 200);
  CHECK(ok.json()["message"] == "Profile deleted");
  CHECK(ok.json()["profileId"] == cid);
  CHECK(ok.json()["deleted"]["tuneVectors"] == 1);
  CHECK(ok.json()["deleted"]["variables"] == 1);
  CHECK(ok.json()["deleted"]["preferences"].get<int>() >= 2);
  // Nothing of carol's remains in either database.
  for (const char* table : {"preferences", "tune_vectors", "variables", "profile_signals"})
    CHECK_MESSAGE(w.count(std::string("SELECT count(*) FROM ") + table + " WHERE profile_id = '" + cid + "'") == 0, table);
  CHECK(w.count("SELECT count(*) FROM readings WHERE variable_id = '" + var + "'") == 0);
  CHECK(sqlite_query(w.control_db(), "SELECT count(*) FROM accounts WHERE id = '" + cid + "'")[0][0] == "0");
  CHECK(w.count("SELECT count(*) FROM preferences WHERE profile_id = '" + w.alice_id + "'") == 1);
  CHECK(w.s->get(C, carol).status == 401);
  CHECK(w.s->get(C, w.admin).status == 404);
  CHECK(w.s->get(C + "/preferences", w.admin).status == 404);
  // The username and email can be used again, by a new profile with a new id and no data.
  auto [cid2, carol2] = w.s->signup_login("carol");
  CHECK(cid2 != cid);
  CHECK(w.s->get(w.profile(cid2) + "/preferences", carol2).json()["count"] == 0);
  CHECK(w.s->get(w.profile(cid2) + "/variables", carol2).json()["count"] == 0);
  CHECK(w.s->get(w.profile(cid2) + "/tune-vectors", carol2).json()["count"] == 0);
}

TEST_CASE("listener: a cascade that fails midway leaves everything") {
  World w;
  std::string cid, carol;
  std::tie(cid, carol) = w.s->signup_login("carol");
  auto C = w.profile(cid);
  REQUIRE(w.s->post(C + "/preferences", {{"type", "genre"}, {"value", "rock"}}, carol).status == 201);
  REQUIRE(w.s->post(C + "/preferences", {{"type", "genre"}, {"value", "pop"}}, carol).status == 201);
  REQUIRE(w.s->request("POST", C + "/tune-vectors", two_waypoints("Run"), auth(carol)).status == 201);
  auto var = id_of(w.s->post(C + "/variables", {{"name", "heart_rate"}}, carol));
  REQUIRE(w.s->post(C + "/variables/" + var + "/readings", {{"readings", {{{"value", 70}}, {{"value", 71}}}}}, carol).status == 201);
  sqlite_query(w.tenant_db(), "INSERT INTO preferences (id, profile_id, source, type, value, weight, rank, created_at, "
                              "updated_at) VALUES ('44444444-4444-4444-8444-444444444444', '" + cid +
                                  "', 'learned', 'genre', '\"jazz\"', 0.5, -1, 0, 0)");
  auto snapshot = [&] {
    json s;
    s["profile"] = w.s->get(C, carol).json();
    s["preferences"] = w.s->get(C + "/preferences", carol).json();
    s["tuneVectors"] = w.s->get(C + "/tune-vectors", carol).json();
    s["variables"] = w.s->get(C + "/variables", carol).json();
    s["readings"] = w.s->get(C + "/variables/" + var + "/readings", carol).json();
    s["rows"] = sqlite_query(w.tenant_db(), "SELECT (SELECT count(*) FROM preferences WHERE profile_id = '" + cid +
                                                "'), (SELECT count(*) FROM tune_vectors WHERE profile_id = '" + cid +
                                                "'), (SELECT count(*) FROM variables WHERE profile_id = '" + cid +
                                                "'), (SELECT count(*) FROM readings WHERE variable_id = '" + var + "')");
    s["account"] = sqlite_query(w.control_db(), "SELECT count(*) FROM accounts WHERE id = '" + cid + "'");
    return s;
  };
  auto before = snapshot();
  REQUIRE(before["rows"] == json{{"3", "1", "1", "2"}});
  // A failure in any table (tenant db) or in the account delete (control db, last) rolls everything back.
  struct Where {
    std::string db, table;
  };
  std::vector<Where> wheres = {{w.control_db(), "accounts"},     {w.tenant_db(), "readings"},
                               {w.tenant_db(), "variables"},     {w.tenant_db(), "tune_vectors"},
                               {w.tenant_db(), "preferences"}};
  for (const auto& where : wheres) {
    INFO("trigger on " << where.table);
    sqlite_query(where.db, "CREATE TRIGGER boom BEFORE DELETE ON " + where.table + " BEGIN SELECT RAISE(ABORT, 'boom'); END;");
    auto r = w.s->del(C + "?cascade=true", carol);
    CHECK(r.status == 500);
    auto j = json::parse(r.body, nullptr, false);
    CHECK(j.is_object());
    if (j.is_object()) CHECK(j["message"] == "Internal server error");
    CHECK(r.body.find("boom") == std::string::npos);
    sqlite_query(where.db, "DROP TRIGGER boom");
    auto now = snapshot();
    CHECK(now == before);
    if (now != before) MESSAGE("before: " << before.dump() << "\nafter: " << now.dump());
  }
  auto ok = w.s->del(C + "?cascade=true", carol);
  CHECK(ok.status == 200);
  CHECK(sqlite_query(w.tenant_db(), "SELECT (SELECT count(*) FROM preferences WHERE profile_id = '" + cid +
                                        "') + (SELECT count(*) FROM tune_vectors WHERE profile_id = '" + cid +
                                        "') + (SELECT count(*) FROM variables WHERE profile_id = '" + cid +
                                        "') + (SELECT count(*) FROM readings WHERE variable_id = '" + var + "')")[0][0] == "0");
  CHECK(w.s->get(C, w.admin).status == 404);
}

TEST_CASE("listener: no profile can read or change another's data") {
  World w;
  // A second tenant with its own user: alice's ids are 404 there.
  auto t = w.s->post("/api/tenants", {{"name", "Household B"}}, w.admin);
  REQUIRE(t.status == 201);
  auto [trent_id, trent] = w.s->signup_login("trent", t.json()["tenantId"].get<std::string>(), w.admin);

  auto A = w.profile(w.alice_id), B = w.profile(w.bob_id);
  auto p = id_of(w.s->post(A + "/preferences", {{"type", "genre"}, {"value", "rock"}}, w.alice));
  auto tv = id_of(w.s->request("POST", A + "/tune-vectors", two_waypoints("Run"), auth(w.alice)));
  auto v = id_of(w.s->post(A + "/variables", {{"name", "heart_rate"}}, w.alice));
  REQUIRE(w.s->post(A + "/variables/" + v + "/readings", {{"value", 70}}, w.alice).status == 201);
  // bob has his own data, so sub-resource ids of alice under bob's path are 404 rather than "empty".
  REQUIRE(w.s->post(B + "/preferences", {{"type", "genre"}, {"value", "rock"}}, w.bob).status == 201);

  auto snapshot = [&] {
    json s;
    s["profile"] = w.s->get(A, w.alice).json();
    for (const char* c : {"/preferences", "/tune-vectors", "/variables", "/variables/"})
      s[c] = w.s->get(A + c + (std::string(c) == "/variables/" ? v + "/readings" : ""), w.alice).json();
    return s;
  };
  auto before = snapshot();
  struct Call {
    std::string method, path, body;
  };
  std::string put_body = R"({"username":"x1","firstName":"X","lastName":"Y","phoneNumber":"+15550000000"})";
  std::vector<Call> on_alice = {
      {"GET", "", ""},
      {"PUT", "", put_body},
      {"DELETE", "", ""},
      {"DELETE", "?cascade=true", ""},
      {"GET", "/preferences", ""},
      {"POST", "/preferences", R"({"type":"genre","value":"evil"})"},
      {"GET", "/preferences/" + p, ""},
      {"PATCH", "/preferences/" + p, R"({"weight":0})"},
      {"DELETE", "/preferences/" + p, ""},
      {"GET", "/tune-vectors", ""},
      {"POST", "/tune-vectors", two_waypoints("evil")},
      {"GET", "/tune-vectors/" + tv, ""},
      {"PATCH", "/tune-vectors/" + tv, R"({"name":"evil"})"},
      {"DELETE", "/tune-vectors/" + tv, ""},
      {"GET", "/variables", ""},
      {"POST", "/variables", R"({"name":"location"})"},
      {"GET", "/variables/" + v, ""},
      {"PATCH", "/variables/" + v, R"({"optedIn":false})"},
      {"DELETE", "/variables/" + v, ""},
      {"GET", "/variables/" + v + "/readings", ""},
      {"POST", "/variables/" + v + "/readings", R"({"value":99})"},
  };
  for (const auto& c : on_alice) {
    for (auto [who, token, want] : {std::tuple<const char*, std::string, int>{"bob", w.bob, 403},
                                    {"trent (other tenant)", trent, 404}}) {
      auto h = auth(token);
      if (c.method == "PATCH") h["Content-Type"] = "application/merge-patch+json";
      auto r = w.s->request(c.method, A + c.path, c.body, h);
      INFO(who << ": " << c.method << " " << A + c.path << " -> " << r.status << " " << r.body);
      CHECK(r.status == want);
      CHECK(json::parse(r.body, nullptr, false)["message"].is_string());
    }
  }
  // alice's sub-resource ids under bob's own path: 404 (never 200/204).
  std::vector<Call> under_bob = {
      {"GET", "/preferences/" + p, ""},
      {"PATCH", "/preferences/" + p, R"({"weight":0})"},
      {"DELETE", "/preferences/" + p, ""},
      {"GET", "/tune-vectors/" + tv, ""},
      {"PATCH", "/tune-vectors/" + tv, R"({"name":"evil"})"},
      {"DELETE", "/tune-vectors/" + tv, ""},
      {"GET", "/variables/" + v, ""},
      {"PATCH", "/variables/" + v, R"({"optedIn":false})"},
      {"DELETE", "/variables/" + v, ""},
      {"GET", "/variables/" + v + "/readings", ""},
      {"POST", "/variables/" + v + "/readings", R"({"value":99})"},
  };
  for (const auto& c : under_bob) {
    auto h = auth(w.bob);
    if (c.method == "PATCH") h["Content-Type"] = "application/merge-patch+json";
    auto r = w.s->request(c.method, B + c.path, c.body, h);
    INFO(c.method << " " << B + c.path << " -> " << r.status << " " << r.body);
    CHECK(r.status == 404);
  }
  // API keys are credentials of their owner: bob's key is as powerless as his token.
  auto key = w.s->post("/api/auth/api-keys", {{"name", "k"}}, w.bob);
  REQUIRE(key.status == 201);
  auto secret = key.json()["key"].get<std::string>();
  CHECK(w.s->request("GET", A + "/preferences", "", {{"X-API-Key", secret}}).status == 403);
  CHECK(w.s->request("DELETE", A + "/preferences/" + p, "", {{"X-API-Key", secret}}).status == 403);
  CHECK(w.s->get(A + "/variables/" + v + "/readings", secret).status == 403);
  // A user cannot list profiles (admins only).
  CHECK(w.s->get("/api/profiles", w.bob).status == 403);
  CHECK(w.s->get("/api/profiles", trent).status == 403);

  auto after = snapshot();
  CHECK(after == before);
  if (after != before) MESSAGE("before: " << before.dump() << "\nafter: " << after.dump());
  CHECK(w.s->post("/api/auth/login", {{"login", "alice"}, {"password", "password-alice"}}).status == 200);
  // The other tenant's admin scope: the default tenant's admin does not see trent in /api/profiles.
  auto listed = w.s->get("/api/profiles", w.admin).json()["profiles"];
  for (const auto& pr : listed) CHECK(pr["username"] != "trent");
}
