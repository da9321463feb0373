// Listener API (issue 5) against the real server: ordering, the cap, merge patch, hidden learned preferences, tune-vector
// plans, variables and readings.
#include "listener_fixture.hpp"

using namespace cadenza::test;
using namespace cadenza::test::listener;

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
  World w({"cache.ttl_s=0"});
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
