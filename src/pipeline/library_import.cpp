#include "cadenza/pipeline/library_import.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "cadenza/audio/features.hpp"
#include "cadenza/audio/resample.hpp"
#include "cadenza/audio/tags.hpp"
#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/notation/key_finder.hpp"
#include "cadenza/notation/score.hpp"
#include "cadenza/recommend/library_features.hpp"
#include "cadenza/store/library_repo.hpp"
#include "cadenza/store/track_repo.hpp"

namespace cadenza::pipeline {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSource = "library";
constexpr const char* kUnknownArtist = "Unknown artist";

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::int64_t mtime_ns(const fs::path& p, std::error_code& ec) {
  const auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

struct Found {
  std::string path;
  std::int64_t size = 0, mtime = 0;
};

// Quarter notes of 0.5 s (a 120 bpm grid): the key finder only needs the pitch classes per segment.
std::optional<notation::KeySignature> key_of(const std::vector<notation::QuantizedNote>& notes) {
  if (notes.empty()) return std::nullopt;
  return notation::estimate_key(notes);
}

notation::KeySignature key_from_profile(const std::array<double, 12>& sum);

// Krumhansl–Schmuckler on the notes: each pitch class weighted by how long it sounds.
std::optional<notation::KeySignature> key_from_note_durations(const std::vector<NoteEvent>& events) {
  std::array<double, 12> sum{};
  for (const auto& e : events) sum[std::size_t(((e.pitch % 12) + 12) % 12)] += std::max(0.0, e.end - e.start);
  if (*std::max_element(sum.begin(), sum.end()) <= 0) return std::nullopt;
  return key_from_profile(sum);
}

std::optional<notation::KeySignature> key_from_notes(const std::vector<NoteEvent>& events) {
  std::vector<notation::QuantizedNote> notes;
  const double per_second = 2.0 * notation::kDivisions;
  for (const auto& e : events) {
    notation::QuantizedNote q;
    q.pitch = e.pitch;
    q.onset = static_cast<std::int64_t>(std::lround(e.start * per_second));
    q.duration = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::lround((e.end - e.start) * per_second)));
    notes.push_back(q);
  }
  return key_of(notes);
}

// Krumhansl–Schmuckler on the chroma: the summed chroma (each half second scaled to its strongest pitch class, so
// quiet passages count as much as loud ones) correlated with the Krumhansl–Kessler major and minor profiles in
// all 12 rotations; the best is the key. Pitch classes that are merely present (the key finder's evidence) lose
// too much here: harmonics make most of the 12 present in every half second of real recordings.
notation::KeySignature key_from_profile(const std::array<double, 12>& sum);

std::optional<notation::KeySignature> key_from_chroma(const std::vector<std::array<float, 12>>& chroma) {
  float loudest = 0;
  for (const auto& seg : chroma) loudest = std::max(loudest, *std::max_element(seg.begin(), seg.end()));
  if (loudest <= 0) return std::nullopt;
  std::array<double, 12> sum{};
  for (const auto& seg : chroma) {
    const float top = *std::max_element(seg.begin(), seg.end());
    if (top < 1e-3f * loudest) continue;  // near silence says nothing
    for (int pc = 0; pc < 12; ++pc) sum[std::size_t(pc)] += seg[std::size_t(pc)] / top;
  }
  return key_from_profile(sum);
}

// The key whose Krumhansl–Kessler profile (in all 12 rotations, major and minor) correlates best with a
// pitch-class distribution.
notation::KeySignature key_from_profile(const std::array<double, 12>& sum) {
  static constexpr std::array<double, 12> kMajor = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
  static constexpr std::array<double, 12> kMinor = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
  auto correlation = [](const std::array<double, 12>& x, const std::array<double, 12>& profile, int tonic) {
    double mx = 0, mp = 0;
    for (int i = 0; i < 12; ++i) {
      mx += x[std::size_t(i)] / 12;
      mp += profile[std::size_t(i)] / 12;
    }
    double sxy = 0, sxx = 0, syy = 0;
    for (int pc = 0; pc < 12; ++pc) {
      const double a = x[std::size_t(pc)] - mx, b = profile[std::size_t((pc - tonic + 12) % 12)] - mp;
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
  };
  int best_tonic = 0;
  bool best_minor = false;
  double best = -2;
  for (int tonic = 0; tonic < 12; ++tonic)
    for (bool minor : {false, true}) {
      const double r = correlation(sum, minor ? kMinor : kMajor, tonic);
      if (r > best) {
        best = r;
        best_tonic = tonic;
        best_minor = minor;
      }
    }
  // Its signature as the key finder writes one (the major key's fifths; Gb and Eb minor rather than F# and D# minor).
  notation::KeySignature key;
  key.minor = best_minor;
  const int major_pc = best_minor ? (best_tonic + 3) % 12 : best_tonic;
  key.fifths = (major_pc * 7) % 12;
  if (key.fifths > 6) key.fifths -= 12;
  if (key.fifths == 6) key.fifths = -6;
  return key;
}

// Reads one file into its track and its row's raw features. Throws Error for a file that cannot be imported.
store::Track read_file(const Found& f, const LibraryScanOptions& o, nlohmann::json& features, double& audio_s) {
  const fs::path path(f.path);
  const auto tags = audio::read_tags(path);
  const auto decoded = audio::decode_file(path, o.limits);
  audio_s = decoded.duration_s();
  const auto a = audio::analyse_audio(decoded.mono, decoded.sample_rate);

  std::optional<notation::KeySignature> key;
  std::optional<std::string> key_finder;
  const char* mode_from = "chroma";
  if (o.transcriber) {
    const auto n = std::min(decoded.mono.size(), static_cast<std::size_t>(o.transcribe_s * decoded.sample_rate));
    const std::vector<float> head(decoded.mono.begin(), decoded.mono.begin() + std::ptrdiff_t(n));
    const auto result = o.transcriber->run(audio::resample(head, decoded.sample_rate, transcribe::Transcriber::kSampleRate),
                                           {}, {}, o.cancelled);
    // Krumhansl–Schmuckler on the notes decides; the key finder's key is kept beside it. On bench/library_scan.sh's
    // 40 Nottingham tunes (half minor) the first agreed with the tune's mode 29 times of 39, the key finder 21
    // times: its presence-per-segment model takes a folk tune in E minor for G major.
    key = key_from_note_durations(result.notes);
    if (auto kf = key_from_notes(result.notes)) key_finder = notation::key_name(*kf);
    mode_from = "transcriber";
  }
  if (!key) key = key_from_chroma(a.chroma);

  store::Track t;
  t.title = tags.title.empty() ? path.stem().string() : tags.title;
  t.artist = tags.artist.empty() ? kUnknownArtist : tags.artist;
  if (store::track_repo::normalise(t.title).empty()) t.title = path.filename().string();
  if (!tags.album.empty()) t.album = tags.album;
  t.genres = tags.genres;
  t.year = tags.year;
  t.duration_ms = static_cast<std::int64_t>(std::llround(decoded.duration_s() * 1000));
  const double bpm = tags.bpm ? *tags.bpm : a.tempo_bpm;
  if (bpm > 0) t.bpm = bpm;
  t.tempo = bpm > 0 ? recommend::tempo_from_bpm(bpm) : 0.5;
  t.energy = t.valence = t.acousticness = t.density = 0.5;  // until step 5 maps the library
  t.audio_path = f.path;
  t.source = kSource;

  features = {{"durationS", decoded.duration_s()},
              {"lufs", a.integrated_lufs},
              {"lra", a.loudness_range_lu},
              {"onsetRate", a.onset_rate},
              {"tempoBpm", a.tempo_bpm},
              {"tempoConfidence", a.tempo_confidence},
              {"centroidHz", a.centroid_hz},
              {"bpm", bpm},
              {"bpmFrom", tags.bpm ? "tag" : "audio"},
              {"key", key ? nlohmann::json(notation::key_name(*key)) : nlohmann::json(nullptr)},
              {"major", key ? nlohmann::json(!key->minor) : nlohmann::json(nullptr)},
              {"keyFinder", key_finder ? nlohmann::json(*key_finder) : nlohmann::json(nullptr)},
              {"modeFrom", mode_from}};
  return t;
}

void fail(LibraryScanReport& r, const std::string& path, const std::string& reason) {
  ++r.failed;
  if (r.failures.size() < kLibraryReportListMax) r.failures.push_back({path, reason});
}

}  // namespace

bool is_library_audio(const fs::path& path) {
  static const std::set<std::string> known = {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif",
                                              ".aiff", ".aifc", ".au", ".snd", ".caf", ".w64", ".rf64"};
  return known.count(lower(path.extension().string())) > 0;
}

LibraryScanReport scan_library(store::Database& db, const fs::path& dir, const LibraryScanOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  auto progress = [&](double f, std::string_view stage) {
    if (o.progress) o.progress(f, stage);
  };
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(ErrorKind::NotFound, dir.string() + ": no such folder");
  const auto root = fs::canonical(dir, ec);
  if (ec) throw Error(ErrorKind::NotFound, dir.string() + ": " + ec.message());
  LibraryScanReport r;
  r.mode_from = o.transcriber ? "transcriber" : "chroma";

  // 1. The files.
  progress(0, "listing");
  std::vector<Found> found;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (!it->is_regular_file(fe) || !is_library_audio(it->path())) continue;
    Found f;
    f.path = it->path().lexically_normal().string();
    f.size = static_cast<std::int64_t>(it->file_size(fe));
    if (!fe) f.mtime = mtime_ns(it->path(), fe);
    if (fe) {
      fail(r, f.path, "cannot read the file's size or time: " + fe.message());
      continue;
    }
    found.push_back(std::move(f));
  }
  if (ec) spdlog::warn("library {}: the listing stopped early: {}", root.string(), ec.message());
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.path < b.path; });
  r.files = found.size() + r.failed;

  std::map<std::string, store::LibraryFile> known;
  for (auto& row : store::library_repo::list(db)) known.emplace(row.path, std::move(row));

  // 2. and 3. New and changed files.
  std::set<std::string> seen;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (o.cancelled && o.cancelled()) throw ml::Cancelled();
    const auto& f = found[i];
    seen.insert(f.path);
    progress(0.02 + 0.93 * double(i) / double(found.size()), "reading");
    const auto old = known.find(f.path);
    const bool had = old != known.end();
    if (had && !o.force && old->second.size == f.size && old->second.mtime_ns == f.mtime) {
      if (old->second.error)
        fail(r, f.path, *old->second.error + " (unchanged since the last scan)");
      else
        ++r.unchanged;
      continue;
    }
    store::LibraryFile row;
    row.path = f.path;
    row.size = f.size;
    row.mtime_ns = f.mtime;
    row.scanned_at = now_ms();
    ++r.read;
    try {
      double audio_s = 0;
      std::vector<store::Track> track{read_file(f, o, row.features, audio_s)};
      r.audio_seconds += audio_s;
      db.write([&](store::Db&) {
        store::track_repo::upsert(db, track);
        // The file now names another recording (its tags changed): the old one loses this file's audio.
        if (had && old->second.track_id && *old->second.track_id != track[0].id) store::library_repo::remove(db, {f.path});
        row.track_id = track[0].id;
        store::library_repo::put(db, row);
      });
      ++(had && !old->second.error ? r.updated : r.added);
    } catch (const ml::Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      const std::string reason = e.what();
      spdlog::info("library: {} skipped: {}", f.path, reason);
      db.write([&](store::Db&) {
        if (had && old->second.track_id) store::library_repo::remove(db, {f.path});
        row.features = nullptr;
        row.error = reason;
        store::library_repo::put(db, row);
      });
      fail(r, f.path, reason);
    }
  }

  // 4. Files that vanished (under this folder only).
  const std::string prefix = root.string() + "/";
  std::vector<std::string> gone;
  for (const auto& [path, row] : known)
    if (path.compare(0, prefix.size(), prefix) == 0 && !seen.count(path)) {
      bool failed_listing = false;
      for (const auto& fl : r.failures) failed_listing |= fl.path == path;
      if (failed_listing) continue;
      gone.push_back(path);
      if (r.removed_paths.size() < kLibraryReportListMax) r.removed_paths.push_back(path);
    }
  r.removed = store::library_repo::remove(db, gone);

  // 5. The five dimensions of the whole library.
  progress(0.96, "mapping");
  std::vector<store::TrackFeatureUpdate> updates;
  std::vector<recommend::LibraryAudioFeatures> raw;
  for (const auto& row : store::library_repo::list(db)) {
    if (!row.track_id || !row.features.is_object()) continue;
    const auto& j = row.features;
    recommend::LibraryAudioFeatures a;
    a.integrated_lufs = j.value("lufs", -70.0);
    a.loudness_range_lu = j.value("lra", 0.0);
    a.onset_rate = j.value("onsetRate", 0.0);
    a.centroid_hz = j.value("centroidHz", 0.0);
    a.bpm = j.value("bpm", 0.0);
    if (j.contains("major") && j["major"].is_boolean()) a.major = j["major"].get<bool>();
    raw.push_back(a);
    updates.push_back({*row.track_id});
  }
  const auto dims = recommend::library_dimensions(raw);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    updates[i].energy = dims[i].energy;
    updates[i].tempo = dims[i].tempo;
    updates[i].valence = dims[i].valence;
    updates[i].acousticness = dims[i].acousticness;
    updates[i].density = dims[i].density;
  }
  r.features_changed = store::library_repo::set_features(db, updates);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  progress(1, "done");
  return r;
}

nlohmann::json to_json(const LibraryScanReport& r) {
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : r.failures) failures.push_back({{"path", f.path}, {"reason", f.reason}});
  return {{"files", r.files},
          {"read", r.read},
          {"added", r.added},
          {"updated", r.updated},
          {"unchanged", r.unchanged},
          {"removed", r.removed},
          {"failed", r.failed},
          {"featuresChanged", r.features_changed},
          {"failures", std::move(failures)},
          {"removedPaths", r.removed_paths},
          {"audioSeconds", std::round(r.audio_seconds * 1000) / 1000},
          {"seconds", std::round(r.seconds * 1000) / 1000},
          {"modeFrom", r.mode_from}};
}

}  // namespace cadenza::pipeline
