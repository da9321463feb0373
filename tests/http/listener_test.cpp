// Listener API (issue 5) against the real server: table-driven. Each route gets rows {method, target, body, who, status,
// expected fields} that cover every status the contract lists for it.
#include "listener_fixture.hpp"

using namespace cadenza::test;
using namespace cadenza::test::listener;

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
