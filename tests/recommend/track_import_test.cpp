// Importing a catalogue CSV: the Spotify top-hits file (distinct tracks, duplicates, idempotent re-run),
// rejected rows with their lines, audio files found, and `cadenza import tracks` end to end.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/recommend/track_import.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
namespace fs = std::filesystem;

namespace {

const char* const kSpotify = "../shared/datasets/spotify-top-hits-2000-2019/songs_normalize.csv";
const std::string kHeader =
    "artist,song,duration_ms,explicit,year,popularity,danceability,energy,key,loudness,mode,speechiness,"
    "acousticness,instrumentalness,liveness,valence,tempo,genre\n";

std::string row(const std::string& artist, const std::string& song, const std::string& energy = "0.5",
                const std::string& tempo = "120.0", const std::string& genre = "\"pop, R&B\"") {
  return artist + "," + song + ",200000,False,2004,50,0.6," + energy + ",1,-6.0,1,0.05,0.1,0.0,0.1,0.4," + tempo +
         "," + genre + "\n";
}

TrackImportReport import_text(store::Database& db, const std::string& text, const TrackImportOptions& o = {}) {
  std::istringstream in(text);
  return import_tracks_csv(db, in, "small.csv", o);
}

}  // namespace

TEST_CASE("track import: the Spotify top-hits file gives 1931 tracks and 69 duplicates, once") {
  if (!fs::exists(kSpotify)) {
    MESSAGE("skipped: " << kSpotify << " is not here");
    return;
  }
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  double last_progress = 0;
  TrackImportOptions o;
  o.progress = [&](double f) {
    CHECK(f >= last_progress);
    last_progress = f;
  };
  auto first = import_tracks_csv(db, fs::path(kSpotify), o);
  CHECK(first.rows == 2000);
  CHECK(first.imported == 1931);
  CHECK(first.duplicates == 69);
  CHECK(first.rejected == 0);
  CHECK(first.track_ids.size() == 1931);
  CHECK(last_progress == 1.0);
  CHECK(store::track_repo::count(db) == 1931);
  auto oops = store::track_repo::find(db, first.track_ids[0]);
  REQUIRE(oops);
  CHECK(oops->artist == "Britney Spears");
  CHECK(oops->title == "Oops!...I Did It Again");
  CHECK(oops->year == 2000);
  CHECK(oops->duration_ms == 211160);
  CHECK(oops->bpm == 95.053);
  CHECK(oops->source == "csv:songs_normalize.csv");
  CHECK(oops->genres == std::vector<std::string>{"pop"});
  store::TrackQuery rock;
  rock.genre = "rock";
  CHECK(store::track_repo::count(db, rock) > 100);
  store::TrackQuery unknown;
  unknown.genre = "set()";
  CHECK(store::track_repo::count(db, unknown) == 0);

  auto again = import_tracks_csv(db, fs::path(kSpotify));
  CHECK(again.imported == 0);
  CHECK(again.updated == 0);
  CHECK(again.unchanged == 1931);
  CHECK(again.duplicates == 69);
  CHECK(again.track_ids == first.track_ids);
  CHECK(store::track_repo::count(db) == 1931);
}

TEST_CASE("track import: bad rows are rejected with their line, good ones imported") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto text = kHeader + row("A", "Fine") +                          // line 2
              row("B", "Too energetic", "1.4") +                    // 3
              row("C", "No tempo", "0.5", "abc") +                  // 4
              "D,Short row,1\n" +                                   // 5
              row("", "Nobody") +                                   // 6
              row("E", "\"Multi\nline \"\"title\"\"\"", "0.5", "90", "set()") +  // 7-8
              row("F", "Bad\"quote") +                              // 9
              row("a ", "fine") +                                   // 10: a duplicate of line 2
              row("G", "Last", "0.9", "210", "\"rock,  pop,rock\"");  // 11
  auto r = import_text(db, text);
  CHECK(r.rows == 9);
  CHECK(r.imported == 3);
  CHECK(r.duplicates == 1);
  CHECK(r.rejected == 5);
  REQUIRE(r.rejections.size() == 5);
  CHECK(r.rejections[0].line == 3);
  CHECK(r.rejections[0].reason == "energy 1.4 is outside 0..1");
  CHECK(r.rejections[1].line == 4);
  CHECK(r.rejections[1].reason == "tempo is not a number: \"abc\"");
  CHECK(r.rejections[2].line == 5);
  CHECK(r.rejections[2].reason == "3 fields, the header has 18");
  CHECK(r.rejections[3].line == 6);
  CHECK(r.rejections[3].reason == "artist is empty");
  CHECK(r.rejections[4].line == 9);
  CHECK(r.rejections[4].reason.find("a quote inside unquoted field 2") == 0);
  REQUIRE(r.track_ids.size() == 3);
  auto multi = *store::track_repo::find(db, r.track_ids[1]);
  CHECK(multi.title == "Multi\nline \"title\"");
  CHECK(multi.genres.empty());
  auto last = *store::track_repo::find(db, r.track_ids[2]);
  CHECK(last.genres == std::vector<std::string>{"rock", "pop"});
  CHECK(last.tempo == doctest::Approx((210 - 40) / 180.0));
  CHECK(last.energy == 0.9);

  // A header without the feature columns is refused as a whole, naming them.
  try {
    import_text(db, "artist,song,energy\nA,B,0.5\n");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "small.csv: missing column(s) danceability, speechiness, acousticness, valence, loudness, tempo");
  }
}

TEST_CASE("track import: audio files from a path column or named after the track") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  auto audio = dir.path() / "audio";
  fs::create_directories(audio / "sub");
  std::ofstream(audio / "A - Found.mp3") << "ID3 not really";
  std::ofstream(audio / "sub" / "x.flac") << "fLaC";
  TrackImportOptions o;
  o.audio_root = audio;
  auto named = import_text(db, kHeader + row("A", "Found") + row("B", "Not there"), o);
  CHECK(named.with_audio == 1);
  CHECK(store::track_repo::find(db, named.track_ids[0])->audio_path == fs::canonical(audio / "A - Found.mp3").string());
  CHECK_FALSE(store::track_repo::find(db, named.track_ids[1])->audio_path);

  auto with_path = import_text(db, "artist,song,danceability,energy,speechiness,acousticness,valence,loudness,tempo,path\n"
                                   "C,One,0.5,0.5,0.1,0.1,0.5,-8,100,sub/x.flac\n"
                                   "C,Two,0.5,0.5,0.1,0.1,0.5,-8,100,sub/gone.flac\n",
                               o);
  CHECK(with_path.imported == 2);
  CHECK(with_path.with_audio == 1);
  CHECK(with_path.audio_missing == 1);
  auto one = *store::track_repo::find(db, with_path.track_ids[0]);
  CHECK(one.audio_path == fs::canonical(audio / "sub" / "x.flac").string());
  CHECK(one.duration_ms == 0);
  CHECK_FALSE(one.year);
}

TEST_CASE("cadenza import tracks: reports the counts, is idempotent, --show lists tracks") {
  test::TempDir dir;
  auto csv = dir.path() / "mine.csv";
  std::ofstream(csv) << kHeader << row("Nina Simone", "Feeling Good", "0.3", "70") << row("Nina Simone", "Feeling Good")
                     << row("Miles Davis", "So What", "0.2", "136", "jazz") << row("X", "broken", "2");
  auto data = dir.path() / "data";
  auto run = [&](const std::string& args) {
    auto out = dir.path() / "out.txt";
    auto cmd = std::string(CADENZA_BINARY) + " import tracks '" + csv.string() + "' --data-dir '" + data.string() +
               "' " + args + " >'" + out.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return std::pair{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
  };
  auto [rc, out] = run("--show 2");
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("4 rows: 2 imported, 0 updated, 0 unchanged, 1 duplicates, 1 rejected") != std::string::npos);
  CHECK(out.find("line 5: energy 2 is outside 0..1") != std::string::npos);
  CHECK(out.find("Nina Simone - Feeling Good") != std::string::npos);
  CHECK(out.find("Miles Davis - So What") != std::string::npos);
  auto [rc2, out2] = run("");
  INFO(out2);
  CHECK(rc2 == 0);
  CHECK(out2.find("4 rows: 0 imported, 0 updated, 2 unchanged, 1 duplicates, 1 rejected") != std::string::npos);
  CHECK(out2.find("Miles Davis - So What") == std::string::npos);

  // What the server will read: the default tenant's catalogue.
  config::StorageConfig storage;
  storage.data_dir = data.string();
  store::ControlStore control(storage);
  store::TenantDbs tenants(storage);
  auto& db = tenants.get(control.default_tenant().id);
  CHECK(store::track_repo::count(db) == 2);
  store::TrackQuery q;
  q.text = "miles";
  auto miles = store::track_repo::search(db, q);
  REQUIRE(miles.size() == 1);
  CHECK(miles[0].bpm == 136);
  CHECK(miles[0].genres == std::vector<std::string>{"jazz"});

  auto [rc3, out3] = run("--tenant " + new_uuid());
  CHECK(rc3 == 2);
  CHECK(out3.find("unknown tenant") != std::string::npos);
  auto [rc4, out4] = run("--tenant not-a-uuid");
  CHECK(rc4 == 2);
}
