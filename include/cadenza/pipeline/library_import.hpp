#pragma once
// A folder of audio files into a tenant's tracks: `cadenza import library DIR` and the import_library job
// (pipeline/import_library_job.hpp) run this.
//
// 1. The folder is walked recursively (links to folders are not followed); files whose extension libsndfile
//    reads (wav, flac, ogg, oga, opus, mp3, aif, aiff, aifc, au, snd, caf, w64, rf64) are the library.
// 2. A file is read when it is new, or its size or modification time differs from the last scan's (or
//    with `force`); otherwise it is unchanged and nothing of it is read. A file that failed before and has
//    not changed is reported as failed again without being read.
// 3. Reading a file: its tags (audio/tags.hpp; a missing title is the file name without its extension, a
//    missing artist "Unknown artist"), its audio decoded (audio/decode.hpp: damaged or unsupported files
//    are reported with the reason and skipped), the features of audio/features.hpp, and the mode: from the
//    transcriber's notes on the first `transcribe_s` seconds when a transcriber is given (Krumhansl–Schmuckler
//    on their durations per pitch class decides; the notation engine's key finder's key is kept beside it as
//    "keyFinder", since on Nottingham tunes it took minor tunes for their relative major more often),
//    otherwise Krumhansl–Schmuckler on the chroma (the summed, per-half-second
//    normalised chroma correlated with the Krumhansl–Kessler profiles; on Nottingham tunes rendered with
//    FluidSynth it agrees with the tune's mode less often than the transcriber, see bench/library_scan.sh). The BPM tag, when present, is the track's bpm; else the
//    measured tempo. The track is upserted (store/track_repo.hpp, source "library") with the file as its
//    audio, and the file's row (store/library_repo.hpp) keeps size, modification time and raw features.
// 4. Files under the folder that a previous scan saw and that are gone are removed from the library: their
//    tracks stay in the catalogue with their listens (listening history is not lost to an unmounted disk)
//    but lose their audio (audio_path NULL), so they are no longer streamed; the file coming back restores
//    it. Folders outside the scanned one are left alone.
// 5. The five dimensions of every library track are made again from all rows' raw features by percentile
//    within the library (recommend/library_features.hpp), since one new file moves everyone's percentiles.
#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cadenza/audio/decode.hpp"
#include "cadenza/core/progress.hpp"
#include "cadenza/store/db.hpp"
#include "cadenza/transcribe/transcriber.hpp"

namespace cadenza::pipeline {

struct LibraryScanOptions {
  bool force = false;  // read every file again
  // Set: the mode comes from its notes on the first transcribe_s seconds; null: from the chroma.
  const transcribe::Transcriber* transcriber = nullptr;
  double transcribe_s = 30;
  audio::DecodeLimits limits;  // longer or larger files fail with the reason
  Progress progress;           // stages: listing, reading, mapping, done
  CancelCheck cancelled;       // polled between files: throws ml::Cancelled
};

struct LibraryFailure {
  std::string path, reason;
};

struct LibraryScanReport {
  std::size_t files = 0;      // audio files found under the folder
  std::size_t read = 0;       // files read this time
  std::size_t added = 0;      // new files imported
  std::size_t updated = 0;    // changed files read again and imported
  std::size_t unchanged = 0;  // imported before, neither size nor modification time changed: not read
  std::size_t removed = 0;    // files of earlier scans that are gone
  std::size_t failed = 0;     // files that could not be imported (with failures' reasons)
  std::size_t features_changed = 0;  // tracks whose five dimensions moved (percentiles within the library)
  std::vector<LibraryFailure> failures;    // the first 100
  std::vector<std::string> removed_paths;  // the first 100
  double audio_seconds = 0;  // of the files read
  double seconds = 0;        // wall time
  std::string mode_from;     // "transcriber" or "chroma"
};

inline constexpr std::size_t kLibraryReportListMax = 100;

// True for the extensions of step 1 (ASCII case ignored).
bool is_library_audio(const std::filesystem::path& path);

// Error(NotFound) when dir is not a folder.
LibraryScanReport scan_library(store::Database& db, const std::filesystem::path& dir, const LibraryScanOptions& options = {});

// {"files", "read", "added", "updated", "unchanged", "removed", "failed", "featuresChanged", "failures":
// [{"path", "reason"}], "removedPaths", "audioSeconds", "seconds", "modeFrom"}
nlohmann::json to_json(const LibraryScanReport& report);

}  // namespace cadenza::pipeline
