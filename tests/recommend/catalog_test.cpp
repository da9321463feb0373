// The catalogue snapshot: its layout (features contiguous, genres interned in lower case, artists by
// normalised name), built from the store in one read, and the cache that rebuilds only when the catalogue's
// version (bumped by triggers) moved on.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using cadenza::test::track;

namespace {

store::Track with_id(store::Track t, std::string id) {
  t.id = std::move(id);
  return t;
}

}  // namespace

TEST_CASE("catalog: from_tracks lays out features, genres and artists by index, sorted by id") {
  auto a = with_id(track("Daft Punk", "One More Time", 0.7, 130, {"Dance/Electronic", "Pop"}), "b-id");
  a.valence = 0.25;
  a.density = 0.75;
  auto b = with_id(track("daft  punk", "Around the World", 0.6, 121, {"pop"}), "a-id");
  b.bpm.reset();
  auto c = with_id(track("Nina Simone", "Feeling Good", 0.3, 70, {"Jazz", "jazz", " soul "}), "c-id");
  auto cat = Catalog::from_tracks({a, b, c}, 7);
  REQUIRE(cat->size() == 3);
  CHECK(cat->version() == 7);
  CHECK(cat->id(0) == "a-id");
  CHECK(cat->id(1) == "b-id");
  CHECK(cat->title(1) == "One More Time");
  // Row 1's features, in the documented order.
  const auto& f = cat->features(1);
  CHECK(f[0] == doctest::Approx(0.7));
  CHECK(f[1] == doctest::Approx((130.0 - 40) / 180));
  CHECK(f[2] == doctest::Approx(0.25));
  CHECK(f[3] == doctest::Approx(0.3));
  CHECK(f[4] == doctest::Approx(0.75));
  // Contiguous: the span's rows are the same memory as features(i).
  CHECK(cat->all_features().size() == 3);
  CHECK(&cat->all_features()[2] == &cat->features(2));
  CHECK(reinterpret_cast<const float*>(&cat->features(1)) == reinterpret_cast<const float*>(&cat->features(0)) + 5);
  CHECK(cat->duration_ms(1) == 200000);
  CHECK(cat->bpm(1) == doctest::Approx(130));
  CHECK(std::isnan(cat->bpm(0)));
  // One artist for both spellings, shown as first spelled (in id order: b's "daft  punk").
  CHECK(cat->artist(0) == cat->artist(1));
  CHECK(cat->artist(2) != cat->artist(0));
  CHECK(cat->artist_count() == 2);
  CHECK(cat->artist_name_of(1) == "daft  punk");
  CHECK(cat->find_artist("DAFT PUNK") == cat->artist(0));
  CHECK_FALSE(cat->find_artist("Air"));
  // Genres interned in lower case, repeats dropped, the track's order kept.
  CHECK(cat->genre_count() == 4);  // pop, dance/electronic, jazz, soul
  auto pop = cat->find_genre("POP");
  REQUIRE(pop);
  CHECK(cat->genre_name(*pop) == "pop");
  REQUIRE(cat->genres(1).size() == 2);
  CHECK(cat->genre_name(cat->genres(1)[0]) == "dance/electronic");
  CHECK(cat->genres(1)[1] == *pop);
  REQUIRE(cat->genres(2).size() == 2);
  CHECK(cat->genre_name(cat->genres(2)[0]) == "jazz");
  CHECK(cat->genre_name(cat->genres(2)[1]) == "soul");
  CHECK(cat->has_genre(0, *pop));
  CHECK_FALSE(cat->has_genre(2, *pop));
  CHECK(cat->find_genre(" Soul "));
  CHECK_FALSE(cat->find_genre("metal"));
  // Tracks by id.
  CHECK(cat->find("c-id") == 2u);
  CHECK_FALSE(cat->find("d-id"));
  CHECK_FALSE(cat->find(""));
}

TEST_CASE("catalog: from_tracks refuses repeated ids; an empty catalogue is empty") {
  auto a = with_id(track("A", "x", 0.5, 100), "same");
  auto b = with_id(track("B", "y", 0.5, 100), "same");
  CHECK_THROWS_AS(Catalog::from_tracks({a, b}), Error);
  auto none = Catalog::from_tracks({});
  CHECK(none->empty());
  CHECK(none->size() == 0);
  CHECK(none->genre_count() == 0);
}

TEST_CASE("catalog: load reads every track with its genres and the catalogue's version") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  CHECK(store::track_repo::catalog_version(db) == 0);
  CHECK(Catalog::load(db)->empty());
  std::vector<store::Track> batch;
  for (int i = 0; i < 300; ++i)
    batch.push_back(track("Artist " + std::to_string(i % 17), "Song " + std::to_string(i), (i % 11) / 10.0,
                          60 + i % 120, {i % 2 ? "Rock" : "Jazz", "Genre " + std::to_string(i % 5)}));
  store::track_repo::upsert(db, batch);
  auto cat = Catalog::load(db);
  REQUIRE(cat->size() == 300);
  CHECK(cat->version() == store::track_repo::catalog_version(db));
  CHECK(cat->version() > 0);
  CHECK(cat->artist_count() == 17);
  CHECK(cat->genre_count() == 7);
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const auto& t = batch[k];
    auto i = cat->find(t.id);
    REQUIRE(i);
    CHECK(cat->title(*i) == t.title);
    CHECK(cat->features(*i)[0] == doctest::Approx(t.energy));
    CHECK(cat->features(*i)[1] == doctest::Approx(t.tempo));
    REQUIRE(cat->genres(*i).size() == 2);
    CHECK(cat->genre_name(cat->genres(*i)[0]) == (k % 2 ? "rock" : "jazz"));
    CHECK(cat->genre_name(cat->genres(*i)[1]) == "genre " + std::to_string(k % 5));
  }
  // for_each visits the same tracks in id order.
  std::vector<std::string> ids;
  store::track_repo::for_each(db, [&](const store::Track& t) { ids.push_back(t.id); });
  REQUIRE(ids.size() == 300);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == cat->id(i));
}

TEST_CASE("catalog: triggers bump the version on insert, update and delete of tracks and genres") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  std::vector<store::Track> batch = {track("A", "One", 0.2, 90, {"pop"}), track("B", "Two", 0.8, 150, {"rock"})};
  store::track_repo::upsert(db, batch);
  auto v1 = store::track_repo::catalog_version(db);
  CHECK(v1 > 0);
  // The same tracks again: nothing written, the version stays.
  store::track_repo::upsert(db, batch);
  CHECK(store::track_repo::catalog_version(db) == v1);
  // A changed feature (an UPDATE of tracks).
  batch[0].energy = 0.3;
  store::track_repo::upsert(db, batch);
  auto v2 = store::track_repo::catalog_version(db);
  CHECK(v2 > v1);
  // Only a genre row changes.
  db.write([&](store::Db& d) { d.run("UPDATE track_genres SET genre = 'metal' WHERE track_id = ?", batch[1].id); });
  auto v3 = store::track_repo::catalog_version(db);
  CHECK(v3 > v2);
  db.write([&](store::Db& d) { d.run("DELETE FROM tracks WHERE id = ?", batch[1].id); });
  auto v4 = store::track_repo::catalog_version(db);
  CHECK(v4 > v3);
  CHECK(Catalog::load(db)->size() == 1);
}

TEST_CASE("catalog cache: one snapshot while the catalogue is unchanged, a new one after a change") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto& other = tenants.get(new_uuid());
  std::vector<store::Track> batch = {track("A", "One", 0.2, 90), track("B", "Two", 0.8, 150)};
  store::track_repo::upsert(db, batch);
  CatalogCache cache;
  auto first = cache.get(db);
  CHECK(first->size() == 2);
  CHECK(cache.get(db) == first);
  CHECK(cache.builds() == 1);
  // Another tenant has its own snapshot.
  CHECK(cache.get(other)->empty());
  CHECK(cache.builds() == 2);
  CHECK(cache.get(db) == first);
  // Unchanged upsert: still the same snapshot.
  store::track_repo::upsert(db, batch);
  CHECK(cache.get(db) == first);
  std::vector<store::Track> more = {track("C", "Three", 0.5, 120, {"Jazz"})};
  store::track_repo::upsert(db, more);
  auto second = cache.get(db);
  CHECK(second != first);
  CHECK(second->size() == 3);
  CHECK(second->version() > first->version());
  CHECK(first->size() == 2);  // the old snapshot is untouched for whoever still holds it
  CHECK(cache.get(db) == second);
  CHECK(cache.builds() == 3);
}

TEST_CASE("catalog cache: threads asking at once share one build") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  std::vector<store::Track> batch;
  for (int i = 0; i < 2000; ++i) batch.push_back(track("Artist", "Song " + std::to_string(i), 0.5, 100));
  store::track_repo::upsert(db, batch);
  CatalogCache cache;
  std::vector<std::shared_ptr<const Catalog>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < got.size(); ++k) threads.emplace_back([&, k] { got[k] = cache.get(db); });
  for (auto& t : threads) t.join();
  CHECK(cache.builds() == 1);
  for (const auto& c : got) CHECK(c == got[0]);
  CHECK(got[0]->size() == 2000);
}
