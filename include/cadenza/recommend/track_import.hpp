#pragma once
// Importing a catalogue that comes with features (a CSV file shaped like
// ../shared/datasets/spotify-top-hits-2000-2019/songs_normalize.csv) into a tenant's tracks.
//
// Columns (names ASCII case-insensitive, any order, others ignored):
//   required  artist, song (or title), danceability, energy, speechiness, acousticness, valence (0..1),
//             loudness (dB), tempo (BPM, > 0)
//   optional  duration_ms, year, album, genre (a comma-separated list: "hip hop, pop"; "set()" is none),
//             path (or audio, file, audio_path): the track's audio file, relative to the audio root
// The five dimensions come from recommend/track_features.hpp. Each row is imported, a duplicate (the same
// recording, by normalised artist and title and duration, as an earlier row of the file: the first wins) or
// rejected with its line and the reason. Rows are written in batches, each one transaction (upsert: a row
// already in the catalogue is updated or left as is), so importing the same file again changes nothing.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::recommend {

struct TrackImportOptions {
  std::string source;                 // each track's source; "" = "csv:<file name>"
  std::filesystem::path audio_root;   // where audio paths are relative to; with no path column, a file
                                      // "<artist> - <title>.<mp3|m4a|ogg|opus|flac|wav>" here is the audio
  std::size_t batch_size = 500;
  std::function<void(double)> progress;  // 0..1 of the input read, after each batch
};

struct RejectedRow {
  std::size_t line = 0;
  std::string reason;
};

struct TrackImportReport {
  std::size_t rows = 0;        // data rows read (rejected ones included)
  std::size_t imported = 0;    // new tracks
  std::size_t updated = 0;     // tracks already there, changed
  std::size_t unchanged = 0;   // tracks already there, as they were
  std::size_t duplicates = 0;  // rows repeating an earlier row's recording
  std::size_t rejected = 0;
  std::size_t with_audio = 0;     // tracks of the file whose audio file was found
  std::size_t audio_missing = 0;  // rows naming an audio file that is not there (imported without audio)
  std::vector<RejectedRow> rejections;  // the first 100
  std::vector<std::string> track_ids;   // the file's tracks, in the file's order
};

// Error(BadRequest) when the header lacks a required column or the input cannot be read; bad rows are
// rejected, not thrown. `name` names the input in messages and in the default source.
TrackImportReport import_tracks_csv(store::Database& db, std::istream& in, const std::string& name,
                                    const TrackImportOptions& options = {});
// The same for a file (Error(NotFound) when it cannot be opened); audio paths default to its folder.
TrackImportReport import_tracks_csv(store::Database& db, const std::filesystem::path& file,
                                    TrackImportOptions options = {});

}  // namespace cadenza::recommend
