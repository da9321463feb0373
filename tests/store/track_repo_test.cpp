// The catalogue: upserts keyed by the normalised recording (idempotent), one transaction per batch, and the
// search filters with a stable order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::store;
using cadenza::test::track;

namespace {

std::string titles(const std::vector<Track>& ts) {
  std::string out;
  for (const auto& t : ts) out += (out.empty() ? "" : ",") + t.title;
  return out;
}

}  // namespace

TEST_CASE("track_repo: normalise trims, folds white space and ASCII case") {
  CHECK(track_repo::normalise("  The\tBEATLES \n") == "the beatles");
  CHECK(track_repo::normalise("Beyoncé  Knowles") == "beyoncé knowles");
  CHECK(track_repo::normalise(" \t ") == "");
}

TEST_CASE("track_repo: upsert inserts, then finds the same recording by its normalised names") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  std::vector<Track> batch = {track("Daft Punk", "One More Time", 0.7, 123, {"Dance/Electronic", "pop"}),
                              track("Norah Jones", "Don't Know Why", 0.2, 88, {"jazz"})};
  auto first = track_repo::upsert(db, batch);
  CHECK(first.inserted == 2);
  CHECK(first.updated + first.unchanged == 0);
  REQUIRE(is_uuid(batch[0].id));
  auto got = track_repo::find(db, batch[0].id);
  REQUIRE(got);
  CHECK(got->artist == "Daft Punk");
  CHECK(got->genres == std::vector<std::string>{"Dance/Electronic", "pop"});
  CHECK(got->bpm == 123);
  CHECK(got->year == 2001);
  CHECK_FALSE(got->audio_path);

  // The same rows again: nothing changes. Other spelling of the names, new energy: an update of that row.
  std::vector<Track> again = {track("Daft Punk", "One More Time", 0.7, 123, {"Dance/Electronic", "pop"}),
                              track("norah  JONES ", "don't know why", 0.25, 88, {"jazz", "Jazz", " soul "})};
  again[1].audio_path = "/music/norah.flac";
  auto second = track_repo::upsert(db, again);
  CHECK(second.inserted == 0);
  CHECK(second.unchanged == 1);
  CHECK(second.updated == 1);
  CHECK(again[0].id == batch[0].id);
  CHECK(again[1].id == batch[1].id);
  CHECK(track_repo::count(db) == 2);
  auto norah = *track_repo::find(db, batch[1].id);
  CHECK(norah.energy == 0.25);
  CHECK(norah.artist == "norah  JONES ");
  CHECK(norah.genres == std::vector<std::string>{"jazz", "soul"});
  CHECK(norah.audio_path == "/music/norah.flac");
  // A later import without audio keeps the path; another duration is another recording.
  std::vector<Track> third = {track("Norah Jones", "Don't Know Why", 0.25, 88, {"jazz", "soul"}),
                              track("Norah Jones", "Don't Know Why", 0.25, 88, {"jazz"}, 180000)};
  auto counts = track_repo::upsert(db, third);
  CHECK(counts.inserted == 1);
  CHECK(track_repo::find(db, batch[1].id)->audio_path == "/music/norah.flac");
  CHECK(track_repo::count(db) == 3);
  CHECK_FALSE(track_repo::find(db, new_uuid()));
}

TEST_CASE("track_repo: a bad track refuses the whole batch, naming it") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  std::vector<Track> batch = {track("A", "fine", 0.5, 100), track("B", "loud", 1.5, 100), track(" ", "x", 0.5, 100)};
  batch[1].acousticness = 0;
  try {
    track_repo::upsert(db, batch);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().count("tracks[1].energy"));
    CHECK(e.fields().count("tracks[2].artist"));
    CHECK(e.fields().size() == 2);
  }
  CHECK(track_repo::count(db) == 0);
}

TEST_CASE("track_repo: search filters by text, genre and ranges, in a stable order, with count") {
  test::TempDir dir;
  TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  std::vector<Track> batch = {track("Zed", "Calm", 0.1, 70, {"ambient"}),
                              track("Abba", "Dancing Queen", 0.8, 100, {"pop", "Disco"}),
                              track("Abba", "SOS", 0.6, 120, {"pop"}),
                              track("Moby", "Porcelain", 0.4, 95, {"electronic"}),
                              track("The 100% Band", "Percent", 0.5, 130, {"rock"})};
  batch[3].bpm.reset();
  track_repo::upsert(db, batch);

  TrackQuery all;
  CHECK(titles(track_repo::search(db, all)) == "Dancing Queen,SOS,Porcelain,Percent,Calm");
  CHECK(track_repo::count(db, all) == 5);
  TrackQuery page;
  page.limit = 2;
  page.offset = 1;
  CHECK(titles(track_repo::search(db, page)) == "SOS,Porcelain");
  CHECK(track_repo::count(db, page) == 5);

  TrackQuery text;
  text.text = "  abBA ";
  CHECK(titles(track_repo::search(db, text)) == "Dancing Queen,SOS");
  text.text = "queen";
  CHECK(titles(track_repo::search(db, text)) == "Dancing Queen");
  text.text = "100%";  // LIKE's wildcards are literal
  CHECK(titles(track_repo::search(db, text)) == "Percent");
  text.text = "0%";
  CHECK(track_repo::count(db, text) == 1);

  TrackQuery genre;
  genre.genre = "disco";
  CHECK(titles(track_repo::search(db, genre)) == "Dancing Queen");
  genre.genre = "POP";
  CHECK(track_repo::count(db, genre) == 2);

  TrackQuery energy;
  energy.energy = {0.4, 0.6};
  CHECK(titles(track_repo::search(db, energy)) == "SOS,Porcelain,Percent");
  energy.acousticness.max = 0.5;  // 1 - energy
  CHECK(titles(track_repo::search(db, energy)) == "SOS,Percent");

  TrackQuery bpm;
  bpm.bpm.min = 90;  // Porcelain has no BPM
  CHECK(titles(track_repo::search(db, bpm)) == "Dancing Queen,SOS,Percent");
  bpm.bpm.max = 110;
  bpm.genre = "pop";
  CHECK(titles(track_repo::search(db, bpm)) == "Dancing Queen");
  CHECK(track_repo::count(db, bpm) == 1);
}
