#pragma once
// The files of the tenant's music library (tenant table `library_files`, migration 0015): what each scan
// found, so that a re-scan reads only new or changed files (pipeline/library_import.hpp).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct LibraryFile {
  std::string path;  // absolute
  std::int64_t size = 0, mtime_ns = 0;
  std::optional<std::string> track_id;
  nlohmann::json features;            // null when the file failed
  std::optional<std::string> error;   // set: not imported, and why
  std::int64_t scanned_at = 0;
};

// The five dimensions of one track (each 0..1).
struct TrackFeatureUpdate {
  std::string track_id;
  double energy = 0, tempo = 0, valence = 0, acousticness = 0, density = 0;
};

namespace library_repo {

// Every row, ordered by path.
std::vector<LibraryFile> list(Database& db);
// Inserts or replaces the row of f.path.
void put(Database& db, const LibraryFile& f);
// Removes the rows of these paths; a track that no remaining row names and whose audio_path is one of them
// keeps its row (and listens) but loses its audio (audio_path NULL). One transaction. Returns the rows removed.
std::size_t remove(Database& db, const std::vector<std::string>& paths);
// Sets the five features of each track whose values differ; one transaction. Returns the tracks changed.
std::size_t set_features(Database& db, const std::vector<TrackFeatureUpdate>& updates);

}  // namespace library_repo
}  // namespace cadenza::store
