// Listening history routes in process: POST /api/profiles/{id}/listens (one or a batch, dedupe, every error
// status naming its field) and GET (newest first with the tracks' names, pages by `next`), who may use them, that
// the history goes with its profile, the import of an export (body or form), and the server's retention.
#include <doctest/doctest.h>

#include "cadenza/core/clock.hpp"
#include "cadenza/recommend/listen_retention.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/track_repo.hpp"
#include "listener_fixture.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::test;
using namespace cadenza::test::listener;
using nlohmann::json;

namespace {

// Listens from 2026 stay for the length of these tests (the purge runs as the server starts).
const std::vector<std::string> kLongRetention = {"recommend.listen_ttl_days=3650"};

std::vector<store::Track> seed(InProcess& s) {
  std::vector<store::Track> ts = {track("Abba", "Dancing Queen", 0.8, 100), track("Abba", "SOS", 0.6, 120),
                                  track("Moby", "Porcelain", 0.4, 95)};
  store::track_repo::upsert(s.app().tenants.get(s.app().control.default_tenant().id), ts);
  return ts;
}

constexpr std::int64_t kT = 1795336000000;  // 2026-11-22T08:26:40Z

json one(const std::string& track, json started, std::int64_t played) {
  return {{"trackId", track}, {"startedAt", std::move(started)}, {"playedMs", played}};
}

json plus(json a, const json& b) {
  a.update(b);
  return a;
}

std::string titles(const json& page) {
  std::string out;
  for (const auto& l : page["listens"]) out += (out.empty() ? "" : ",") + l["title"].get<std::string>();
  return out;
}

}  // namespace

TEST_CASE("listens: one or a batch; a batch sent again is all duplicates; listed newest first, in pages") {
  World w(kLongRetention);
  auto ts = seed(*w.s);
  auto L = w.profile(w.alice_id) + "/listens";

  auto single = w.s->post(L, plus(one(ts[0].id, "2026-11-22T08:30:00Z", 230000), {{"completed", true}}), w.alice);
  REQUIRE(single.status == 201);
  CHECK(single.json() == json{{"accepted", 1}, {"duplicates", 0}});

  json batch = {{"listens",
                 {plus(one(ts[1].id, 1795336000000, 31000), {{"skippedAtMs", 31000}}),
                  one(ts[2].id, "2026-11-22T09:28:00.250+01:00", 60000),  // 08:28:00.250Z
                  one(ts[0].id, "2026-11-22T08:30:00.000Z", 1)}}};        // the single one again
  auto first = w.s->post(L, batch, w.alice);
  REQUIRE(first.status == 201);
  CHECK(first.json() == json{{"accepted", 2}, {"duplicates", 1}});
  auto again = w.s->post(L, batch, w.alice);
  REQUIRE(again.status == 201);
  CHECK(again.json() == json{{"accepted", 0}, {"duplicates", 3}});

  auto all = w.s->get(L, w.alice);
  REQUIRE(all.status == 200);
  auto j = all.json();
  CHECK(titles(j) == "Dancing Queen,Porcelain,SOS");
  CHECK(j["count"] == 3);
  CHECK(j["total"] == 3);
  CHECK(j["next"].is_null());
  CHECK(j["listens"][0]["artist"] == "Abba");
  CHECK(j["listens"][0]["outcome"] == "completed");
  CHECK(j["listens"][0]["playedMs"] == 230000);  // the first one sent
  CHECK(j["listens"][0]["startedAt"] == "2026-11-22T08:30:00.000Z");
  CHECK(j["listens"][1]["startedAt"] == "2026-11-22T08:28:00.250Z");
  CHECK(j["listens"][1]["outcome"] == "played");
  CHECK(j["listens"][1]["skippedAtMs"].is_null());
  CHECK(j["listens"][2]["outcome"] == "skipped");
  CHECK(j["listens"][2]["skippedAtMs"] == 31000);
  CHECK(j["listens"][2]["source"] == "api");

  // Pages: next of one page is before of the following one.
  auto p1 = w.s->get(L + "?limit=2", w.alice).json();
  CHECK(titles(p1) == "Dancing Queen,Porcelain");
  REQUIRE(p1["next"].is_string());
  auto p2 = w.s->get(L + "?limit=2&before=" + p1["next"].get<std::string>(), w.alice).json();
  CHECK(titles(p2) == "SOS");
  CHECK(p2["next"].is_null());
  CHECK(p2["total"] == 3);
  // before as a time: what started before it.
  CHECK(titles(w.s->get(L + "?before=2026-11-22T08:30:00Z", w.alice).json()) == "Porcelain,SOS");
  CHECK(titles(w.s->get(L + "?before=1795336000001", w.alice).json()) == "SOS");

  // bob's history is his own; the admin may write alice's.
  CHECK(w.s->get(w.profile(w.bob_id) + "/listens", w.bob).json()["total"] == 0);
  CHECK(w.s->post(L, one(ts[2].id, 1795330000000, 5), w.admin).status == 201);
  CHECK(w.s->get(L, w.alice).json()["total"] == 4);  // the cached answer was invalidated
}

TEST_CASE("listens: every bad field is named; unknown tracks are 422 with their index; nothing is stored") {
  World w(kLongRetention);
  auto ts = seed(*w.s);
  auto L = w.profile(w.alice_id) + "/listens";
  auto future = now_ms() + 3'600'000;
  std::vector<json> items;
  for (int i = 0; i < 8; ++i) items.push_back(one(ts[i % 3].id, kT + i, 1000));
  items[1].erase("trackId");
  items[3]["playedMs"] = -5;
  items[4]["startedAt"] = "yesterday";
  items[5]["startedAt"] = future;
  items[6].update({{"completed", true}, {"skippedAtMs", 10}});
  items[7]["colour"] = "red";
  auto bad = w.s->post(L, {{"listens", items}}, w.alice);
  REQUIRE(bad.status == 400);
  auto errors = bad.json()["errors"];
  INFO(errors.dump());
  CHECK(errors.contains("listens[1].trackId"));
  CHECK(errors.contains("listens[3].playedMs"));
  CHECK(errors.contains("listens[4].startedAt"));
  CHECK(errors["listens[5].startedAt"] == "must not be more than 5 minutes in the future");
  CHECK(errors.contains("listens[6].skippedAtMs"));
  CHECK(errors.contains("listens[7].colour"));
  CHECK(errors.size() == 6);

  // One listen: its fields by their own names.
  auto missing = w.s->post(L, json{{"completed", "yes"}}, w.alice);
  REQUIRE(missing.status == 400);
  CHECK(missing.json()["errors"].contains("trackId"));
  CHECK(missing.json()["errors"].contains("startedAt"));
  CHECK(missing.json()["errors"].contains("playedMs"));
  CHECK(missing.json()["errors"].contains("completed"));
  // A batch with other members, an empty one, one too many.
  auto mixed = w.s->post(L, {{"listens", {one(ts[0].id, kT, 1)}}, {"playedMs", 3}}, w.alice);
  CHECK(mixed.status == 400);
  CHECK(mixed.json()["errors"].contains("playedMs"));
  CHECK(w.s->post(L, {{"listens", json::array()}}, w.alice).status == 400);
  std::vector<json> many(501, one(ts[0].id, kT, 1));
  for (std::size_t i = 0; i < many.size(); ++i) many[i]["startedAt"] = kT + static_cast<std::int64_t>(i);
  auto too_many = w.s->post(L, {{"listens", many}}, w.alice);
  CHECK(too_many.status == 400);
  CHECK(too_many.json()["errors"].contains("listens"));
  many.pop_back();
  CHECK(w.s->post(L, {{"listens", many}}, w.alice).json()["accepted"] == 500);  // 500 is allowed
  CHECK(w.s->request("POST", L, "not json", auth(w.alice)).status == 400);
  auto as_text = auth(w.alice);
  as_text["Content-Type"] = "text/plain";
  CHECK(w.s->request("POST", L, "{}", as_text).status == 415);

  // Unknown tracks (and a tune vector that is not alice's): 422 naming each index.
  auto bob_tv = w.s->request("POST", w.profile(w.bob_id) + "/tune-vectors", two_waypoints("Run"), auth(w.bob));
  REQUIRE(bob_tv.status == 201);
  json unknown = {{"listens",
                   {one(ts[0].id, kT, 1), one(kUnknownId, kT + 1, 1), one("not-a-uuid", kT + 2, 1),
                    plus(one(ts[1].id, kT + 3, 1), {{"tuneVectorId", bob_tv.json()["id"]}})}}};
  auto u = w.s->post(L, unknown, w.alice);
  REQUIRE(u.status == 422);
  CHECK(u.json()["errors"] == json{{"listens[1].trackId", "is not a track of this library"},
                                   {"listens[2].trackId", "is not a track of this library"},
                                   {"listens[3].tuneVectorId", "is not a tune vector of this profile"}});
  auto u1 = w.s->post(L, one(kUnknownId, kT, 1), w.alice);
  REQUIRE(u1.status == 422);
  CHECK(u1.json()["errors"] == json{{"trackId", "is not a track of this library"}});
  CHECK(w.s->get(L, w.alice).json()["total"] == 500);  // only the batch of 500

  // The listing's parameters.
  auto q = w.s->get(L + "?limit=0&before=soon&colour=red", w.alice);
  REQUIRE(q.status == 400);
  CHECK(q.json()["errors"].size() == 3);
  CHECK(w.s->get(L + "?limit=501", w.alice).status == 400);
}

TEST_CASE("listens: another account's profile is 403, another tenant's 404, no credentials 401") {
  World w(kLongRetention);
  auto ts = seed(*w.s);
  auto L = w.profile(w.alice_id) + "/listens";
  REQUIRE(w.s->post(L, one(ts[0].id, 1795336000000, 1000), w.alice).status == 201);
  auto t = w.s->post("/api/tenants", {{"name", "Household B"}}, w.admin);
  REQUIRE(t.status == 201);
  auto [trent_id, trent] = w.s->signup_login("trent", t.json()["tenantId"].get<std::string>(), w.admin);
  auto body = json{{"listens", {one(ts[1].id, 1795336000001, 1000)}}}.dump();
  for (auto [who, token, want] : {std::tuple<const char*, std::string, int>{"bob", w.bob, 403},
                                  {"trent (other tenant)", trent, 404},
                                  {"nobody", "", 401}}) {
    for (const char* method : {"GET", "POST"}) {
      auto r = w.s->request(method, L, method == std::string("POST") ? body : "", auth(token));
      INFO(who << " " << method << " -> " << r.status << " " << r.body);
      CHECK(r.status == want);
    }
  }
  CHECK(w.s->get(w.profile(kUnknownId) + "/listens", w.alice).status == 404);
  CHECK(w.s->get(L, w.alice).json()["total"] == 1);
}

TEST_CASE("listens: deleting the profile deletes its history (and never asks about it)") {
  World w(kLongRetention);
  auto ts = seed(*w.s);
  auto L = w.profile(w.alice_id) + "/listens";
  REQUIRE(w.s->post(L, {{"listens", {one(ts[0].id, kT, 1000), one(ts[1].id, kT + 1, 1000)}}}, w.alice).status == 201);
  REQUIRE(w.s->post(w.profile(w.bob_id) + "/listens", one(ts[0].id, kT, 1000), w.bob).status == 201);
  CHECK(w.count("SELECT COUNT(*) FROM listens") == 3);
  auto del = w.s->del(w.profile(w.alice_id), w.alice);  // no other data: no cascade needed
  REQUIRE(del.status == 200);
  CHECK(w.count("SELECT COUNT(*) FROM listens WHERE profile_id = '" + w.alice_id + "'") == 0);
  CHECK(w.count("SELECT COUNT(*) FROM listens") == 1);
}

TEST_CASE("listens: import an export as the body or a multipart file; the same counts as the command") {
  World w(kLongRetention);
  auto ts = seed(*w.s);
  auto I = w.profile(w.alice_id) + "/listens/import";
  const std::string spotify = R"([
    {"endTime": "2026-11-22 08:30", "artistName": "ABBA", "trackName": "SOS", "msPlayed": 190000},
    {"endTime": "2026-11-22 08:35", "artistName": "Nobody", "trackName": "Nothing", "msPlayed": 1000}])";
  auto r = w.s->upload(I, w.alice, spotify, "application/json");
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto j = r.json();
  CHECK(j["format"] == "spotify");
  CHECK(j["read"] == 2);
  CHECK(j["matched"] == 1);
  CHECK(j["unmatched"] == 1);
  CHECK(j["accepted"] == 1);
  CHECK(j["duplicates"] == 0);
  CHECK(j["unmatchedNames"] == json::array({"Nobody - Nothing"}));
  auto again = w.s->upload(I, w.alice, spotify);
  REQUIRE(again.status == 201);
  CHECK(again.json()["accepted"] == 0);
  CHECK(again.json()["duplicates"] == 1);

  const std::string csv = "ABBA,Arrival,Dancing Queen,22 Nov 2026 09:00\nMoby,Play,Porcelain,22 Nov 2026 09:05\n";
  const std::string form = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scrobbles.csv\"\r\n"
                           "Content-Type: text/csv\r\n\r\n" + csv + "\r\n--XyZ--\r\n";
  auto m = w.s->upload(I, w.alice, form, "multipart/form-data; boundary=XyZ");
  INFO(m.body);
  REQUIRE(m.status == 201);
  CHECK(m.json()["format"] == "lastfm");
  CHECK(m.json()["accepted"] == 2);
  auto list = w.s->get(w.profile(w.alice_id) + "/listens", w.alice).json();
  CHECK(titles(list) == "Porcelain,Dancing Queen,SOS");
  CHECK(list["listens"][0]["source"] == "import:lastfm");

  // Errors: empty, not a history, someone else's profile (a form without its file part is refused as it arrives).
  auto empty = w.s->upload(I, w.alice, "");
  CHECK(empty.status == 400);
  auto text = w.s->upload(I, w.alice, "hello there", "text/plain");
  REQUIRE(text.status == 400);
  CHECK(text.json()["errors"].contains("body"));
  CHECK(w.s->upload(I, w.bob, spotify).status == 403);
  CHECK(w.s->upload_with(I, {}, spotify).status == 401);
  CHECK(w.s->get(w.profile(w.alice_id) + "/listens", w.alice).json()["total"] == 3);
}

TEST_CASE("listens: the server's retention purges what is older than recommend.listen_ttl_days") {
  World w({"recommend.listen_ttl_days=30"});
  auto ts = seed(*w.s);
  auto L = w.profile(w.alice_id) + "/listens";
  const std::int64_t day = 86'400'000, now = now_ms();
  REQUIRE(w.s->post(L, {{"listens", {one(ts[0].id, now - 40 * day, 1000), one(ts[1].id, now - 10 * day, 1000)}}},
                    w.alice)
              .status == 201);
  CHECK(w.s->get(L, w.alice).json()["total"] == 2);  // cached now
  CHECK(w.s->application().listen_retention().purge_now() == 1);
  auto after = w.s->get(L, w.alice).json();  // the purge invalidated the cached answer
  CHECK(after["total"] == 1);
  CHECK(titles(after) == "SOS");
}
