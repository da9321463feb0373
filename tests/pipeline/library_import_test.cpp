// The music library import (pipeline/library_import.hpp) on a library synthesised at test time
// (support/library_fixture.hpp): tags read (and the fallbacks without them), features measured on the audio
// (the faster file has the higher tempo, the louder the higher energy, major reads as major), a BPM tag
// overriding the measured tempo, a corrupt file reported and skipped, incremental re-scans (nothing unchanged
// is read; a changed file is read again; a vanished one is reported and its track loses its audio), the
// percentile mapping, the transcriber's mode, and the CLI.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cadenza/audio/features.hpp"
#include "cadenza/audio/tags.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/pipeline/library_import.hpp"
#include "cadenza/recommend/library_features.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/library_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/library_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
namespace fs = std::filesystem;
namespace lib = cadenza::test::library;

namespace {

// Tracks by title.
std::map<std::string, store::Track> by_title(store::Database& db) {
  std::map<std::string, store::Track> out;
  store::track_repo::for_each(db, [&](const store::Track& t) { out[t.title] = t; });
  return out;
}

// The raw features of a file's row (an empty object when there is none).
nlohmann::json features_of(const std::vector<store::LibraryFile>& rows, const std::string& file) {
  for (const auto& r : rows)
    if (fs::path(r.path).filename() == file && r.features.is_object()) return r.features;
  return nlohmann::json::object();
}

}  // namespace

TEST_CASE("audio features: tempo of click tracks, loudness by gain, onsets per second") {
  const auto fast = audio::analyse_audio(lib::clicks(120, 8), lib::kRate);
  const auto slow = audio::analyse_audio(lib::clicks(70, 8), lib::kRate);
  CHECK(fast.tempo_bpm == doctest::Approx(120).epsilon(0.03));
  CHECK(slow.tempo_bpm == doctest::Approx(70).epsilon(0.03));
  CHECK(fast.onset_rate == doctest::Approx(2.0).epsilon(0.15));
  CHECK(slow.onset_rate == doctest::Approx(70.0 / 60).epsilon(0.15));
  const auto loud = audio::analyse_audio(lib::cadence(true, 0.6), lib::kRate);
  const auto quiet = audio::analyse_audio(lib::cadence(true, 0.03), lib::kRate);
  CHECK(loud.integrated_lufs - quiet.integrated_lufs == doctest::Approx(26).epsilon(0.05));
  CHECK(loud.centroid_hz == doctest::Approx(quiet.centroid_hz).epsilon(0.02));
  CHECK(loud.centroid_hz < fast.centroid_hz);  // chords in the 4th octave are darker than 1 kHz clicks
  CHECK(audio::analyse_audio(std::vector<float>(lib::kRate * 4, 0.f), lib::kRate).integrated_lufs == -70);
  CHECK_THROWS_AS(audio::analyse_audio({}, lib::kRate), Error);
}

TEST_CASE("library features: percentiles within the library and the documented mapping") {
  CHECK(recommend::percentiles({3, 1, 2}) == std::vector<double>{5.0 / 6, 1.0 / 6, 0.5});
  CHECK(recommend::percentiles({1, 1}) == std::vector<double>{0.5, 0.5});
  CHECK(recommend::percentiles({7}) == std::vector<double>{0.5});
  recommend::LibraryAudioFeatures quiet{-30, 10, 1, 500, 70, false}, loud{-10, 2, 4, 3000, 160, true};
  const auto d = recommend::library_dimensions({quiet, loud});
  CHECK(d[1].energy > d[0].energy);
  CHECK(d[1].energy == doctest::Approx(0.75));  // 0.5 * 0.75 + 0.25 * 0.75 + 0.25 * 0.75
  CHECK(d[0].tempo == doctest::Approx(recommend::tempo_from_bpm(70)));
  CHECK(d[1].valence == doctest::Approx(0.5 + 0.25 * 0.75 + 0.25 * 0.75));
  CHECK(d[0].acousticness > d[1].acousticness);
  CHECK(d[1].density > d[0].density);
}

TEST_CASE("library import: tags, features from the audio, failures, and incremental re-scans") {
  test::TempDir dir;
  const auto music = dir.path() / "music";
  lib::make_library(music);
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());

  std::vector<std::string> stages;
  pipeline::LibraryScanOptions o;
  o.progress = [&](double, std::string_view stage) {
    if (stages.empty() || stages.back() != stage) stages.emplace_back(stage);
  };
  const auto first = pipeline::scan_library(db, music, o);
  CHECK(first.files == lib::kLibraryAudioFiles);
  CHECK(first.read == lib::kLibraryAudioFiles);
  CHECK(first.added == lib::kLibraryGoodFiles);
  CHECK(first.updated == 0);
  CHECK(first.unchanged == 0);
  CHECK(first.removed == 0);
  CHECK(first.failed == 1);
  REQUIRE(first.failures.size() == 1);
  CHECK(fs::path(first.failures[0].path).filename() == "corrupt.flac");
  CHECK(first.failures[0].reason.find("corrupt.flac") != std::string::npos);
  CHECK(first.mode_from == "chroma");
  CHECK(first.audio_seconds == doctest::Approx(8 + 8 + 8 + 8 + 8 + 6 + 6).epsilon(0.01));
  CHECK(stages == std::vector<std::string>{"listing", "reading", "mapping", "done"});
  CHECK(store::track_repo::count(db) == std::int64_t(lib::kLibraryGoodFiles));

  auto tracks = by_title(db);
  REQUIRE(tracks.count("Fast Clicks"));
  const auto& fast = tracks["Fast Clicks"];
  CHECK(fast.artist == "Metronome");
  CHECK(fast.album == "Tempi");
  CHECK(fast.genres == std::vector<std::string>{"test"});
  CHECK(fast.duration_ms == 8000);
  CHECK(fast.source == "library");
  CHECK(fast.audio_path == fs::canonical(music / "fast.flac").string());
  REQUIRE(fast.bpm);
  CHECK(*fast.bpm == doctest::Approx(120).epsilon(0.03));
  const auto& slow = tracks["Slow Clicks"];
  REQUIRE(slow.bpm);
  CHECK(*slow.bpm == doctest::Approx(70).epsilon(0.03));
  CHECK(fast.tempo > slow.tempo);
  // Without tags: the file name and "Unknown artist".
  REQUIRE(tracks.count("untagged"));
  CHECK(tracks["untagged"].artist == "Unknown artist");
  CHECK_FALSE(tracks["untagged"].album);
  // A BPM tag wins over the measured tempo.
  REQUIRE(tracks["Tagged Tempo"].bpm);
  CHECK(*tracks["Tagged Tempo"].bpm == 95);
  CHECK(tracks["Tagged Tempo"].tempo == doctest::Approx(recommend::tempo_from_bpm(95)));
  // Loud beats quiet on energy; the same music otherwise.
  CHECK(tracks["Loud Major"].energy > tracks["Quiet Major"].energy);
  CHECK(tracks["Loud Major"].acousticness < tracks["Quiet Major"].acousticness);
  // Major reads as major, minor as minor (chroma through the key finder), and major is happier.
  const auto rows = store::library_repo::list(db);
  CHECK(features_of(rows, "loud.flac")["key"] == "C major");
  CHECK(features_of(rows, "minor.flac")["key"] == "C minor");
  CHECK(features_of(rows, "loud.flac")["major"] == true);
  CHECK(features_of(rows, "minor.flac")["major"] == false);
  CHECK(tracks["Loud Major"].valence > tracks["Loud Minor"].valence);
  for (const auto& [_, t] : tracks)
    for (double v : {t.energy, t.tempo, t.valence, t.acousticness, t.density}) CHECK((v >= 0 && v <= 1));

  // A re-scan reads nothing that did not change (the corrupt file is reported again, unread).
  const auto second = pipeline::scan_library(db, music, o);
  CHECK(second.read == 0);
  CHECK(second.unchanged == lib::kLibraryGoodFiles);
  CHECK(second.added == 0);
  CHECK(second.updated == 0);
  CHECK(second.failed == 1);
  CHECK(second.features_changed == 0);
  CHECK(store::track_repo::count(db) == std::int64_t(lib::kLibraryGoodFiles));

  // A changed file is read again (new audio, the same tags and length: the same track, updated); a vanished
  // one is reported, its track keeps its row (and listens) but not its audio.
  lib::write_audio(music / "slow.flac", lib::clicks(90, 8));
  lib::tag(music / "slow.flac", "Slow Clicks", "Metronome", "Tempi", {"test"});
  fs::last_write_time(music / "slow.flac", fs::last_write_time(music / "slow.flac") + std::chrono::seconds(2));
  fs::remove(music / "sub" / "quiet.flac");
  const auto third = pipeline::scan_library(db, music, o);
  CHECK(third.read == 1);
  CHECK(third.updated == 1);
  CHECK(third.unchanged == lib::kLibraryGoodFiles - 2);
  CHECK(third.removed == 1);
  REQUIRE(third.removed_paths.size() == 1);
  CHECK(fs::path(third.removed_paths[0]).filename() == "quiet.flac");
  const auto slow_id = slow.id;
  tracks = by_title(db);
  CHECK(tracks["Slow Clicks"].id == slow_id);
  CHECK(*tracks["Slow Clicks"].bpm == doctest::Approx(90).epsilon(0.03));
  REQUIRE(tracks.count("Quiet Major"));
  CHECK_FALSE(tracks["Quiet Major"].audio_path);
  CHECK(store::library_repo::list(db).size() == lib::kLibraryAudioFiles - 1);

  // --force reads everything again; a scan of a sub-folder leaves the rest alone.
  o.force = true;
  const auto forced = pipeline::scan_library(db, music / "sub", o);
  CHECK(forced.files == 2);
  CHECK(forced.read == 2);
  CHECK(forced.updated == 2);
  CHECK(forced.removed == 0);
  CHECK(store::library_repo::list(db).size() == lib::kLibraryAudioFiles - 1);

  CHECK_THROWS_AS(pipeline::scan_library(db, music / "nope", o), Error);
}

TEST_CASE("library import: cancellation stops between files") {
  test::TempDir dir;
  lib::make_library(dir.path() / "music");
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  pipeline::LibraryScanOptions o;
  o.cancelled = [] { return true; };
  CHECK_THROWS_AS(pipeline::scan_library(db, dir.path() / "music", o), ml::Cancelled);
}

TEST_CASE("library import: the mode from the transcriber's notes (Basic Pitch, first seconds)") {
  if (!fs::exists(ml::default_models_dir() / "node_modules" / "@spotify" / "basic-pitch")) {
    MESSAGE("skipped: the Basic Pitch weights are not installed");
    return;
  }
  test::TempDir dir;
  const auto music = dir.path() / "music";
  fs::create_directories(music);
  lib::write_audio(music / "major.flac", lib::cadence(true, 0.5));
  lib::write_audio(music / "minor.flac", lib::cadence(false, 0.5));
  store::TenantDbs tenants(dir.storage());
  auto& db = tenants.get(new_uuid());
  transcribe::Transcriber net(transcribe::TranscriberOptions{ml::default_models_dir(), 2, 4, false});
  pipeline::LibraryScanOptions o;
  o.transcriber = &net;
  o.transcribe_s = 8;
  const auto r = pipeline::scan_library(db, music, o);
  CHECK(r.added == 2);
  CHECK(r.mode_from == "transcriber");
  const auto rows = store::library_repo::list(db);
  CHECK(features_of(rows, "major.flac")["modeFrom"] == "transcriber");
  CHECK(features_of(rows, "major.flac")["key"] == "C major");
  CHECK(features_of(rows, "minor.flac")["key"] == "C minor");
  CHECK(features_of(rows, "major.flac")["major"] == true);
  CHECK(features_of(rows, "minor.flac")["major"] == false);
  CHECK(features_of(rows, "minor.flac")["keyFinder"].is_string());  // the notation engine's key, kept beside it
}

TEST_CASE("cadenza import library: counts on the command line, incremental") {
  test::TempDir dir;
  const auto music = dir.path() / "music";
  lib::make_library(music);
  const auto data = dir.path() / "data";
  auto run = [&](const std::string& args) {
    auto out = dir.path() / "out.txt";
    auto cmd = std::string(CADENZA_BINARY) + " import library '" + music.string() + "' --data-dir '" + data.string() +
               "' --transcribe-seconds 0 " + args + " >'" + out.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return std::pair{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, ss.str()};
  };
  auto [rc, out] = run("");
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("8 audio files: 8 read, 7 added, 0 updated, 0 unchanged, 0 removed, 1 failed") != std::string::npos);
  CHECK(out.find("failed " + fs::canonical(music).string() + "/corrupt.flac") != std::string::npos);
  CHECK(out.find("files/s") != std::string::npos);
  auto [rc2, out2] = run("");
  INFO(out2);
  CHECK(rc2 == 0);
  CHECK(out2.find("8 audio files: 0 read, 0 added, 0 updated, 7 unchanged, 0 removed, 1 failed") != std::string::npos);
  auto [rc3, out3] = run("--force");
  CHECK(out3.find("8 read, 0 added, 7 updated") != std::string::npos);
  auto [rc4, out4] = run("--tenant nope");
  CHECK(rc4 != 0);
}
