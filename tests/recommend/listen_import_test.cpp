// Importing listening histories: each format read from its content (Spotify basic and extended, ListenBrainz
// JSON lines / array / API answer, Last.fm CSV with and without a header), matched to the catalogue by
// normalised names, outcomes, what is ignored or expired, idempotent re-runs, and `cadenza import listens`.
// The fixtures are small files written here.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/recommend/listen_import.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;
using namespace cadenza::recommend;
using test::error_kind_of;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t k1832 = 1672943520000;  // 2023-01-05T18:32:00Z

struct World {
  test::TempDir dir;
  store::TenantDbs tenants{dir.storage()};
  store::Database& db = tenants.get(new_uuid());
  std::string alice = new_uuid();
  // Durations 200 s (the fixture's), Porcelain 240 s.
  std::vector<store::Track> tracks = {test::track("ABBA", "Dancing Queen", 0.8, 100),
                                      test::track("ABBA", "SOS", 0.6, 120),
                                      test::track("Moby", "Porcelain", 0.4, 95, {"electronic"}, 240000)};
  World() { store::track_repo::upsert(db, tracks); }

  // "title:outcome:played[:skippedAt]@started_at", oldest first.
  std::string stored() {
    auto ls = store::listen_repo::list(db, alice, {500, std::nullopt});
    std::string out;
    for (auto it = ls.rbegin(); it != ls.rend(); ++it) {
      out += (out.empty() ? "" : ",") + it->title + ":" + store::to_string(it->outcome) + ":" +
             std::to_string(it->played_ms) + (it->skipped_at_ms ? ":" + std::to_string(*it->skipped_at_ms) : "") + "@" +
             std::to_string(it->started_at);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("listen import: Spotify's basic history; names matched without case or extra space; again: duplicates") {
  World w;
  const std::string file = R"([
    {"endTime": "2023-01-05 18:32", "artistName": "ABBA", "trackName": "Dancing Queen", "msPlayed": 195000},
    {"endTime": "2023-01-05 18:40", "artistName": "abba ", "trackName": "sos", "msPlayed": 20000},
    {"endTime": "2023-01-05 18:41", "artistName": "Nobody", "trackName": "Unknown Song", "msPlayed": 5000},
    {"endTime": "yesterday", "artistName": "ABBA", "trackName": "SOS", "msPlayed": 1000}
  ])";
  auto r = import_listens(w.db, w.alice, file);
  CHECK(r.format == ListenFormat::Spotify);
  CHECK(r.read == 4);
  CHECK(r.matched == 2);
  CHECK(r.unmatched == 1);
  CHECK(r.ignored == 1);
  CHECK(r.accepted == 2);
  CHECK(r.duplicates == 0);
  CHECK(r.unmatched_names == std::vector<std::string>{"Nobody - Unknown Song"});
  // Started = end - played; 195 of 200 s is completed, 20 s is played.
  CHECK(w.stored() == "Dancing Queen:completed:195000@" + std::to_string(k1832 - 195000) + ",SOS:played:20000@" +
                          std::to_string(k1832 + 8 * 60000 - 20000));
  CHECK(store::listen_repo::list(w.db, w.alice)[0].source == "import:spotify");

  auto again = import_listens(w.db, w.alice, file);
  CHECK(again.accepted == 0);
  CHECK(again.duplicates == 2);
  CHECK(store::listen_repo::count(w.db, w.alice) == 2);
}

TEST_CASE("listen import: Spotify's extended history: completed, skipped at the time played, podcasts ignored") {
  World w;
  const std::string file = "\xEF\xBB\xBF" R"([
    {"ts": "2023-01-05T18:32:10Z", "ms_played": 200000, "master_metadata_track_name": "Dancing Queen",
     "master_metadata_album_artist_name": "ABBA", "skipped": false, "reason_end": "trackdone"},
    {"ts": "2023-01-05T18:33:10Z", "ms_played": 31000, "master_metadata_track_name": "SOS",
     "master_metadata_album_artist_name": "ABBA", "skipped": null, "reason_end": "fwdbtn"},
    {"ts": "2023-01-05T18:40:00Z", "ms_played": 12000, "master_metadata_track_name": "Porcelain",
     "master_metadata_album_artist_name": "Moby", "skipped": true, "reason_end": "endplay"},
    {"ts": "2023-01-05T18:50:00Z", "ms_played": 60000, "master_metadata_track_name": "Porcelain",
     "master_metadata_album_artist_name": "Moby", "skipped": false, "reason_end": "endplay"},
    {"ts": "2023-01-05T19:00:00Z", "ms_played": 900000, "master_metadata_track_name": null,
     "master_metadata_album_artist_name": null, "episode_name": "A podcast", "reason_end": "trackdone"}
  ])";
  auto r = import_listens(w.db, w.alice, file);
  CHECK(r.format == ListenFormat::SpotifyExtended);
  CHECK(r.read == 5);
  CHECK(r.ignored == 1);
  CHECK(r.matched == 4);
  CHECK(r.accepted == 4);
  const std::int64_t t = 1672943530000;  // 18:32:10
  CHECK(w.stored() == "Dancing Queen:completed:200000@" + std::to_string(t - 200000) + ",SOS:skipped:31000:31000@" +
                          std::to_string(t + 60000 - 31000) + ",Porcelain:skipped:12000:12000@" +
                          std::to_string(t + 470000 - 12000) + ",Porcelain:played:60000@" +
                          std::to_string(t + 1070000 - 60000));
  CHECK(store::listen_repo::list(w.db, w.alice)[0].source == "import:spotify-extended");
}

TEST_CASE("listen import: ListenBrainz as JSON lines, an array or the API's answer; played is the track's length") {
  World w;
  const std::string lines =
      R"({"listened_at": 1672943520, "track_metadata": {"artist_name": "Moby", "track_name": "Porcelain"}})"
      "\n\n"
      R"({"listened_at": 1672943820, "track_metadata": {"artist_name": "ABBA", "track_name": "Waterloo"}})"
      "\n"
      R"({"listened_at": 1672944120, "track_metadata": {"artist_name": "ABBA"}})"
      "\n";
  auto r = import_listens(w.db, w.alice, lines);
  CHECK(r.format == ListenFormat::ListenBrainz);
  CHECK(r.read == 3);
  CHECK(r.ignored == 1);
  CHECK(r.unmatched == 1);
  CHECK(r.accepted == 1);
  CHECK(w.stored() == "Porcelain:played:240000@" + std::to_string(k1832));

  const std::string array =
      R"([{"listened_at": 1672943520, "track_metadata": {"artist_name": "Moby", "track_name": "Porcelain"}},
          {"listened_at": 1672943700, "track_metadata": {"artist_name": "ABBA", "track_name": "SOS"}}])";
  auto a = import_listens(w.db, w.alice, array);
  CHECK(a.format == ListenFormat::ListenBrainz);
  CHECK(a.accepted == 1);
  CHECK(a.duplicates == 1);  // Porcelain at 18:32 again
  const std::string api = R"({"payload": {"count": 1, "listens": [
      {"listened_at": 1672943880, "track_metadata": {"artist_name": "ABBA", "track_name": "Dancing Queen"}}]}})";
  CHECK(import_listens(w.db, w.alice, api).accepted == 1);
  CHECK(store::listen_repo::count(w.db, w.alice) == 3);
  CHECK(store::listen_repo::list(w.db, w.alice)[0].source == "import:listenbrainz");
}

TEST_CASE("listen import: Last.fm CSV with or without a header, its date forms, quoted names") {
  World w;
  const std::string bare =
      "ABBA,Arrival,Dancing Queen,05 Jan 2023 18:32\n"
      "Moby,,Porcelain,\"5 Jan 2023, 18:40\"\n"
      "\"Crosby, Stills & Nash\",CSN,Helplessly Hoping,05 Jan 2023 18:45\n"
      "ABBA,Arrival,SOS,not a date\n";
  auto r = import_listens(w.db, w.alice, bare);
  CHECK(r.format == ListenFormat::Lastfm);
  CHECK(r.read == 4);
  CHECK(r.matched == 2);
  CHECK(r.unmatched == 1);
  CHECK(r.ignored == 1);
  CHECK(r.unmatched_names == std::vector<std::string>{"Crosby, Stills & Nash - Helplessly Hoping"});
  CHECK(w.stored() == "Dancing Queen:played:200000@" + std::to_string(k1832) + ",Porcelain:played:240000@" +
                          std::to_string(k1832 + 8 * 60000));

  const std::string with_header =
      "uts,utc_time,artist,album,track\n"
      "1672943520,\"05 Jan 2023, 18:32\",ABBA,Arrival,Dancing Queen\n"
      "1672995600,\"06 Jan 2023, 09:00\",ABBA,Arrival,SOS\n";
  auto h = import_listens(w.db, w.alice, with_header);
  CHECK(h.format == ListenFormat::Lastfm);
  CHECK(h.accepted == 1);
  CHECK(h.duplicates == 1);
  CHECK(store::listen_repo::list(w.db, w.alice)[0].started_at == 1672995600000);
  CHECK(store::listen_repo::list(w.db, w.alice)[0].source == "import:lastfm");
}

TEST_CASE("listen import: listens older than the retention are counted, not stored; unknown content is refused") {
  World w;
  const std::string file = R"([
    {"endTime": "2023-01-05 18:32", "artistName": "ABBA", "trackName": "SOS", "msPlayed": 1000},
    {"endTime": "2023-01-06 09:00", "artistName": "ABBA", "trackName": "SOS", "msPlayed": 1000}])";
  ListenImportOptions o;
  o.not_before = 1672970000000;  // between the two
  auto r = import_listens(w.db, w.alice, file, o);
  CHECK(r.matched == 2);
  CHECK(r.expired == 1);
  CHECK(r.accepted == 1);
  CHECK(store::listen_repo::count(w.db, w.alice) == 1);

  for (const char* bad : {"", "  \n", R"([{"foo": 1}])", R"({"foo": 1})", "[1, 2", "[]", "just some text\n"}) {
    CAPTURE(bad);
    CHECK(error_kind_of([&] { import_listens(w.db, w.alice, std::string(bad)); }) == ErrorKind::BadRequest);
  }
  CHECK(error_kind_of([&] { import_listens_file(w.db, w.alice, w.dir.path() / "missing.json"); }) ==
        ErrorKind::NotFound);
  CHECK(store::listen_repo::count(w.db, w.alice) == 1);
}

TEST_CASE("listen import: at most 10 distinct unmatched names are kept") {
  World w;
  std::string csv;
  for (int i = 0; i < 30; ++i)
    csv += "Band " + std::to_string(i % 15) + ",,Song,05 Jan 2023 18:" + std::to_string(10 + i) + "\n";
  auto r = import_listens(w.db, w.alice, csv);
  CHECK(r.unmatched == 30);
  REQUIRE(r.unmatched_names.size() == 10);
  CHECK(r.unmatched_names[0] == "Band 0 - Song");
  CHECK(r.unmatched_names[9] == "Band 9 - Song");
}

TEST_CASE("cadenza import listens: the counts, the unmatched names, idempotent, an unknown profile refused") {
  test::TempDir dir;
  auto data = dir.path() / "data";
  config::StorageConfig storage;
  storage.data_dir = data.string();
  std::string alice_id;
  {
    store::ControlStore control(storage);
    store::TenantDbs tenants(storage);
    alice_id = control.create_account({"", "alice", "Alice", "Test", "alice@example.com", "+15550000000", "user",
                                       "correct horse battery"}).id;
    std::vector<store::Track> ts = {test::track("ABBA", "SOS", 0.6, 120)};
    store::track_repo::upsert(tenants.get(control.default_tenant().id), ts);
  }
  // Recent enough for the default retention (90 days).
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  auto file = dir.path() / "listens.jsonl";
  std::ofstream(file) << R"({"listened_at": )" << now_s - 3600
                      << R"(, "track_metadata": {"artist_name": "ABBA", "track_name": "SOS"}})" << "\n"
                      << R"({"listened_at": )" << now_s - 1800
                      << R"(, "track_metadata": {"artist_name": "Nobody", "track_name": "Nothing"}})" << "\n"
                      << R"({"listened_at": )" << now_s - 200LL * 86400
                      << R"(, "track_metadata": {"artist_name": "ABBA", "track_name": "SOS"}})" << "\n";
  auto run = [&](const std::string& args) {
    auto out = dir.path() / "out.txt";
    auto cmd = std::string(CADENZA_BINARY) + " import listens '" + file.string() + "' --data-dir '" + data.string() +
               "' " + args + " >'" + out.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return std::pair{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
  };
  auto [rc, out] = run("--profile alice@example.com");
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("(listenbrainz): 3 read: 2 matched, 1 unmatched, 0 ignored; 1 stored, 0 duplicates, "
                 "1 older than 90 days") != std::string::npos);
  CHECK(out.find("not in the catalogue: Nobody - Nothing") != std::string::npos);
  auto [rc2, out2] = run("--profile " + alice_id);
  INFO(out2);
  CHECK(rc2 == 0);
  CHECK(out2.find("0 stored, 1 duplicates") != std::string::npos);
  CHECK(out2.find("1 listens in all") != std::string::npos);
  auto [rc3, out3] = run("--profile nobody@example.com");
  CHECK(rc3 == 2);
  CHECK(out3.find("unknown profile") != std::string::npos);
  auto [rc4, out4] = run("--profile alice --tenant " + new_uuid());
  CHECK(rc4 == 2);
}
