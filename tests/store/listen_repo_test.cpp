// Listening history: batches in one transaction with dedupe on (profile, track, started_at), newest-first pages,
// the purge by age, the recommender's aggregates, what goes with a track or a tune vector, and the profile.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/profile_data.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::store;
using test::error_kind_of;
using test::track;

namespace {

struct World {
  test::TempDir dir;
  TenantDbs tenants{dir.storage()};
  Database& db = tenants.get(new_uuid());
  std::string alice = new_uuid(), bob = new_uuid();
  std::vector<Track> tracks = {track("Abba", "SOS", 0.6, 120), track("abba ", "Waterloo", 0.7, 130),
                               track("Moby", "Porcelain", 0.4, 95)};
  World() { track_repo::upsert(db, tracks); }

  const std::string& t(int i) const { return tracks[i].id; }
};

Listen listen(const std::string& track_id, std::int64_t at, std::int64_t played, ListenOutcome outcome,
              std::optional<std::int64_t> skipped_at = std::nullopt) {
  Listen l;
  l.track_id = track_id;
  l.started_at = at;
  l.played_ms = played;
  l.outcome = outcome;
  l.skipped_at_ms = skipped_at;
  return l;
}

// "title@started_at,...", newest first.
std::string page(Database& db, const std::string& profile, const ListenQuery& q = {}) {
  std::string out;
  for (const auto& l : listen_repo::list(db, profile, q))
    out += (out.empty() ? "" : ",") + l.title + "@" + std::to_string(l.started_at);
  return out;
}

}  // namespace

TEST_CASE("listen_repo: a batch is stored once; sending it again adds nothing") {
  World w;
  std::vector<Listen> batch = {listen(w.t(0), 1000, 200000, ListenOutcome::Completed),
                               listen(w.t(1), 2000, 15000, ListenOutcome::Skipped, 15000),
                               listen(w.t(0), 1000, 100, ListenOutcome::Played),  // the first one again
                               listen(w.t(2), 3000, 60000, ListenOutcome::Played)};
  auto first = listen_repo::insert(w.db, w.alice, batch);
  CHECK(first.accepted == 3);
  CHECK(first.duplicates == 1);
  CHECK(batch[0].id > 0);
  CHECK(batch[2].id == 0);
  CHECK(batch[1].profile_id == w.alice);
  CHECK(listen_repo::count(w.db, w.alice) == 3);

  auto again = batch;
  auto second = listen_repo::insert(w.db, w.alice, again);
  CHECK(second.accepted == 0);
  CHECK(second.duplicates == 4);
  CHECK(listen_repo::count(w.db, w.alice) == 3);
  // The same track at the same time is bob's own listen.
  std::vector<Listen> bobs = {listen(w.t(0), 1000, 5000, ListenOutcome::Played)};
  CHECK(listen_repo::insert(w.db, w.bob, bobs).accepted == 1);
  CHECK(listen_repo::count(w.db, w.bob) == 1);

  auto got = listen_repo::list(w.db, w.alice);
  REQUIRE(got.size() == 3);
  CHECK(got[0].title == "Porcelain");
  CHECK(got[0].artist == "Moby");
  CHECK(got[1].outcome == ListenOutcome::Skipped);
  CHECK(got[1].skipped_at_ms == 15000);
  CHECK(got[2].outcome == ListenOutcome::Completed);
  CHECK(got[2].played_ms == 200000);  // the first of the repeated listen wins
  CHECK_FALSE(got[2].skipped_at_ms);
  CHECK(got[2].source == "api");
}

TEST_CASE("listen_repo: a bad listen or an unknown track refuses the whole batch, naming each") {
  World w;
  std::vector<Listen> bad = {listen(w.t(0), 1, 10, ListenOutcome::Played), listen(w.t(1), 2, -1, ListenOutcome::Played),
                             listen(w.t(2), 3, 10, ListenOutcome::Completed, 5)};
  bad[0].source = "elsewhere";
  Error::Fields fields;
  CHECK(error_kind_of([&] { listen_repo::insert(w.db, w.alice, bad); }, nullptr, &fields) == ErrorKind::BadRequest);
  CHECK(fields == Error::Fields{{"listens[0].source", "must be api or import:<kind>"},
                                {"listens[1].playedMs", "must not be negative"},
                                {"listens[2].skippedAtMs", "is only for a skipped listen"}});

  std::vector<Listen> unknown = {listen(w.t(0), 1, 10, ListenOutcome::Played),
                                 listen(new_uuid(), 2, 10, ListenOutcome::Played),
                                 listen(w.t(1), 3, 10, ListenOutcome::Played)};
  unknown[2].tune_vector_id = new_uuid();
  CHECK(error_kind_of([&] { listen_repo::insert(w.db, w.alice, unknown); }, nullptr, &fields) ==
        ErrorKind::Unprocessable);
  CHECK(fields.size() == 2);
  CHECK(fields.count("listens[1].trackId") == 1);
  CHECK(fields.count("listens[2].tuneVectorId") == 1);
  CHECK(listen_repo::count(w.db, w.alice) == 0);  // not even the good first one
}

TEST_CASE("listen_repo: pages newest first, by time or after the last listen of a page") {
  World w;
  std::vector<Listen> batch;
  // Two listens at the same millisecond (t=300): a page boundary between them loses neither.
  for (auto [i, at] : std::vector<std::pair<int, std::int64_t>>{{0, 100}, {1, 200}, {2, 300}, {0, 300}, {1, 400}})
    batch.push_back(listen(w.t(i), at, 1000, ListenOutcome::Played));
  listen_repo::insert(w.db, w.alice, batch);
  CHECK(page(w.db, w.alice) == "Waterloo@400,SOS@300,Porcelain@300,Waterloo@200,SOS@100");
  CHECK(page(w.db, w.alice, {2, std::nullopt}) == "Waterloo@400,SOS@300");
  CHECK(page(w.db, w.alice, {10, ListenCursor{300, std::nullopt}}) == "Waterloo@200,SOS@100");
  // The cursor of the second listen (SOS@300, inserted after Porcelain@300: a higher id).
  auto first = listen_repo::list(w.db, w.alice, {2, std::nullopt});
  ListenCursor next{first.back().started_at, first.back().id};
  CHECK(page(w.db, w.alice, {2, next}) == "Porcelain@300,Waterloo@200");
  CHECK(page(w.db, w.bob) == "");
}

TEST_CASE("listen_repo: purge removes what started before the cutoff, of every profile, and returns the count") {
  World w;
  std::vector<Listen> a = {listen(w.t(0), 1000, 1, ListenOutcome::Played),
                           listen(w.t(1), 5000, 1, ListenOutcome::Played),
                           listen(w.t(2), 9000, 1, ListenOutcome::Played)};
  std::vector<Listen> b = {listen(w.t(0), 4999, 1, ListenOutcome::Played)};
  listen_repo::insert(w.db, w.alice, a);
  listen_repo::insert(w.db, w.bob, b);
  std::vector<std::string> touched;
  w.tenants.on_profile_write([&](const std::string& id) { touched.push_back(id); });
  CHECK(listen_repo::purge_before(w.db, 5000) == 2);
  CHECK(page(w.db, w.alice) == "Porcelain@9000,Waterloo@5000");
  CHECK(listen_repo::count(w.db, w.bob) == 0);
  CHECK(touched.size() == 2);  // both profiles' cached answers are stale
  CHECK(listen_repo::purge_before(w.db, 5000) == 0);

  // More than one chunk (5000 rows per transaction).
  std::vector<Listen> many;
  for (int i = 0; i < 12000; ++i) many.push_back(listen(w.t(i % 3), 10'000 + i, 1, ListenOutcome::Played));
  listen_repo::insert(w.db, w.bob, many);
  CHECK(listen_repo::purge_before(w.db, 10'000 + 11'000) == 11'000 + 2);  // and alice's two
  CHECK(listen_repo::count(w.db, w.bob) == 1000);
  CHECK(listen_repo::count(w.db, w.alice) == 0);
  w.tenants.on_profile_write({});
}

TEST_CASE("listen_repo: per (profile, track) and per (profile, artist) counts for the recommender") {
  World w;
  std::vector<Listen> a = {listen(w.t(0), 1, 200000, ListenOutcome::Completed),
                           listen(w.t(0), 2, 30000, ListenOutcome::Skipped, 30000),
                           listen(w.t(0), 3, 100000, ListenOutcome::Played),
                           listen(w.t(1), 4, 10000, ListenOutcome::Skipped),
                           listen(w.t(2), 5, 90000, ListenOutcome::Completed)};
  std::vector<Listen> b = {listen(w.t(2), 6, 1000, ListenOutcome::Skipped, 1000)};
  listen_repo::insert(w.db, w.alice, a);
  listen_repo::insert(w.db, w.bob, b);

  auto tracks = listen_repo::track_stats(w.db);
  REQUIRE(tracks.size() == 4);
  auto find = [&](const std::string& profile, const std::string& id) -> const TrackPlayStats* {
    for (const auto& s : tracks)
      if (s.profile_id == profile && s.track_id == id) return &s;
    return nullptr;
  };
  const auto* sos = find(w.alice, w.t(0));
  REQUIRE(sos);
  CHECK(sos->plays == 3);
  CHECK(sos->completed == 1);
  CHECK(sos->skipped == 1);
  CHECK(sos->played_ms == 330000);
  CHECK(sos->last_played_at == 3);
  REQUIRE(find(w.bob, w.t(2)));
  CHECK(find(w.bob, w.t(2))->skipped == 1);
  CHECK_FALSE(find(w.bob, w.t(0)));

  // "Abba" and "abba " are one artist.
  auto artists = listen_repo::artist_stats(w.db);
  REQUIRE(artists.size() == 3);
  const ArtistPlayStats* abba = nullptr;
  for (const auto& s : artists)
    if (s.profile_id == w.alice && s.artist_key == "abba") abba = &s;
  REQUIRE(abba);
  CHECK(abba->plays == 4);
  CHECK(abba->completed == 1);
  CHECK(abba->skipped == 2);
  CHECK(abba->tracks == 2);
  CHECK(abba->played_ms == 340000);
}

TEST_CASE("listen_repo: a tune vector's listens keep it until it goes; a track's listens go with it") {
  World w;
  auto tv = new_uuid();
  w.db.write([&](Db& d) {
    d.run("INSERT INTO tune_vectors (id, profile_id, name, mode, preset, waypoints, genres, position, created_at,"
          " updated_at) VALUES (?, ?, 'run', 'guided', NULL, '[]', '[]', 0, 0, 0)",
          tv, w.alice);
  });
  std::vector<Listen> a = {listen(w.t(0), 1, 10, ListenOutcome::Played), listen(w.t(1), 2, 10, ListenOutcome::Played)};
  a[0].tune_vector_id = tv;
  listen_repo::insert(w.db, w.alice, a);
  // Not bob's tune vector.
  std::vector<Listen> b = {listen(w.t(0), 1, 10, ListenOutcome::Played)};
  b[0].tune_vector_id = tv;
  CHECK(error_kind_of([&] { listen_repo::insert(w.db, w.bob, b); }) == ErrorKind::Unprocessable);
  CHECK(listen_repo::list(w.db, w.alice).back().tune_vector_id == tv);

  w.db.write([&](Db& d) { d.run("DELETE FROM tune_vectors WHERE id = ?", tv); });
  CHECK_FALSE(listen_repo::list(w.db, w.alice).back().tune_vector_id);
  w.db.write([&](Db& d) { d.run("DELETE FROM tracks WHERE id = ?", w.t(0)); });
  CHECK(page(w.db, w.alice) == "Waterloo@2");
}

TEST_CASE("listen_repo: deleting a profile's rows removes its listens and no one else's") {
  World w;
  std::vector<Listen> a = {listen(w.t(0), 1, 10, ListenOutcome::Played)};
  std::vector<Listen> b = {listen(w.t(0), 1, 10, ListenOutcome::Played)};
  listen_repo::insert(w.db, w.alice, a);
  listen_repo::insert(w.db, w.bob, b);
  auto counted = w.db.write([&](Db& d) { return delete_owned_rows(d, DbScope::Tenant, w.alice); });
  CHECK(counted.empty());  // listens never block a deletion
  CHECK(listen_repo::count(w.db, w.alice) == 0);
  CHECK(listen_repo::count(w.db, w.bob) == 1);
}
