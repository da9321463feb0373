// Listener API (issue 5) against the real server: PUT and DELETE of profiles (cascade, rollback) and isolation between
// profiles and tenants.
#include "listener_fixture.hpp"

using namespace cadenza::test;
using namespace cadenza::test::listener;

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

TEST_CASE("listener: a cascade that fails midway leaves the profile unusable, and the next deletion finishes it") {
  World w;
  // A failure in any table (tenant db) or in the account delete (control db, last).
  struct Where {
    std::string db, table;
  };
  std::vector<Where> wheres = {{w.control_db(), "accounts"},     {w.tenant_db(), "readings"},
                               {w.tenant_db(), "variables"},     {w.tenant_db(), "tune_vectors"},
                               {w.tenant_db(), "preferences"},   {w.tenant_db(), "jobs"}};
  int n = 0;
  for (const auto& where : wheres) {
    INFO("trigger on " << where.table);
    std::string cid, carol;
    std::tie(cid, carol) = w.s->signup_login("carol" + std::to_string(++n));
    auto C = w.profile(cid);
    REQUIRE(w.s->post(C + "/preferences", {{"type", "genre"}, {"value", "rock"}}, carol).status == 201);
    REQUIRE(w.s->request("POST", C + "/tune-vectors", two_waypoints("Run"), auth(carol)).status == 201);
    auto var = id_of(w.s->post(C + "/variables", {{"name", "heart_rate"}}, carol));
    REQUIRE(w.s->post(C + "/variables/" + var + "/readings", {{"readings", {{{"value", 70}}, {{"value", 71}}}}}, carol)
                .status == 201);
    REQUIRE(w.s->post("/api/jobs", {{"kind", "demo"}, {"payload", {{"steps", 1}}}}, carol).status == 202);
    auto rows = [&] {
      return sqlite_query(w.tenant_db(), "SELECT (SELECT count(*) FROM preferences WHERE profile_id = '" + cid +
                                             "') + (SELECT count(*) FROM tune_vectors WHERE profile_id = '" + cid +
                                             "') + (SELECT count(*) FROM variables WHERE profile_id = '" + cid +
                                             "') + (SELECT count(*) FROM readings WHERE variable_id = '" + var +
                                             "') + (SELECT count(*) FROM jobs WHERE owner_id = '" + cid + "')")[0][0];
    };
    REQUIRE(rows() == "6");
    sqlite_query(where.db, "CREATE TRIGGER boom BEFORE DELETE ON " + where.table + " BEGIN SELECT RAISE(ABORT, 'boom'); END;");
    auto r = w.s->del(C + "?cascade=true", carol);
    CHECK(r.status == 500);
    auto j = json::parse(r.body, nullptr, false);
    CHECK(j.is_object());
    if (j.is_object()) CHECK(j["message"] == "Internal server error");
    CHECK(r.body.find("boom") == std::string::npos);
    sqlite_query(where.db, "DROP TRIGGER boom");
    // Gone for everyone at once, though not all deleted yet: no half-deleted profile anyone can use.
    CHECK(w.s->get(C, carol).status == 401);
    CHECK(w.s->get(C, w.admin).status == 404);
    CHECK(sqlite_query(w.control_db(), "SELECT count(*) FROM profile_deletions WHERE account_id = '" + cid + "'")[0][0] ==
          "1");
    // The next deletion (of anyone) finishes it first, leaving no orphan.
    auto [did, dave] = w.s->signup_login("dave" + std::to_string(n));
    CHECK(w.s->del(w.profile(did), dave).status == 200);
    CHECK(rows() == "0");
    CHECK(sqlite_query(w.control_db(), "SELECT (SELECT count(*) FROM accounts WHERE id = '" + cid +
                                           "') + (SELECT count(*) FROM profile_deletions)")[0][0] == "0");
  }
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
