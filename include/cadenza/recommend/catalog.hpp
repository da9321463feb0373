#pragma once
// An immutable in-memory snapshot of a tenant's catalogue (store/track_repo), laid out for ranking:
//
//   features(i)   float[5] per track, all tracks contiguous (row i at all_features()[i]): energy, tempo,
//                 valence, acousticness, density, each 0..1 (tempo is the BPM mapped as in track_features.hpp)
//   duration_ms(i), bpm(i) (NaN when unknown)
//   artist(i)     an index into the artists (one per normalised name, track_repo::normalise), artist_name()
//   genres(i)     interned genre ids (names in ASCII lower case), in the catalogue's order; genre_name()
//   id(i), title(i)  the track's UUID and title (for display and for the API)
//
// Tracks are indexed 0..size()-1 in the order of their ids. A snapshot never changes after it is built, so
// any number of threads may read one at once; CatalogCache hands out one per tenant database and builds a
// new one only when the catalogue's version (store: catalog_version, bumped by triggers) has moved on.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cadenza/store/db.hpp"
#include "cadenza/store/track_repo.hpp"

namespace cadenza::recommend {

constexpr std::size_t kFeatureCount = 5;  // energy, tempo, valence, acousticness, density
using Features = std::array<float, kFeatureCount>;

class Catalog {
 public:
  // The tenant's tracks and the catalogue's version, read in one read transaction.
  static std::shared_ptr<const Catalog> load(store::Database& db);
  // From tracks in memory (tests, benchmarks); ids must be unique (Error(BadRequest) otherwise), in any order
  // (they are sorted by id like load()'s).
  static std::shared_ptr<const Catalog> from_tracks(std::vector<store::Track> tracks, std::int64_t version = 0);

  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  // The catalog_version this snapshot was read at.
  std::int64_t version() const { return version_; }

  const Features& features(std::size_t i) const { return features_[i]; }
  std::span<const Features> all_features() const { return features_; }
  std::int64_t duration_ms(std::size_t i) const { return duration_ms_[i]; }
  float bpm(std::size_t i) const { return bpm_[i]; }
  const std::string& id(std::size_t i) const { return ids_[i]; }
  const std::string& title(std::size_t i) const { return titles_[i]; }
  std::int32_t artist(std::size_t i) const { return artist_[i]; }
  std::span<const std::int32_t> genres(std::size_t i) const {
    return {genre_ids_.data() + genre_offsets_[i], genre_ids_.data() + genre_offsets_[i + 1]};
  }
  bool has_genre(std::size_t i, std::int32_t genre) const;
  // The tracks of a genre, in index order (the planner walks a rare genre's tracks instead of its grid).
  std::span<const std::uint32_t> tracks_of_genre(std::int32_t genre) const {
    return {genre_tracks_.data() + genre_track_offsets_[std::size_t(genre)],
            genre_tracks_.data() + genre_track_offsets_[std::size_t(genre) + 1]};
  }

  // The artist's name as first spelled in the catalogue.
  const std::string& artist_name(std::int32_t artist) const { return artist_names_[artist]; }
  const std::string& artist_name_of(std::size_t i) const { return artist_names_[artist_[i]]; }
  std::size_t artist_count() const { return artist_names_.size(); }
  // Lower case.
  const std::string& genre_name(std::int32_t genre) const { return genre_names_[genre]; }
  std::size_t genre_count() const { return genre_names_.size(); }

  // Look-ups (nullopt when absent): a track by its id, an artist by name (compared normalised), a genre by
  // name (ASCII case ignored, surrounding white space trimmed).
  std::optional<std::size_t> find(std::string_view track_id) const;
  std::optional<std::int32_t> find_artist(std::string_view name) const;
  std::optional<std::int32_t> find_genre(std::string_view name) const;

 private:
  Catalog() = default;
  void add(const store::Track& t);
  void index_genres();  // genre_tracks_ from genre_ids_, once every track is added

  std::int64_t version_ = 0;
  std::vector<Features> features_;
  std::vector<std::int64_t> duration_ms_;
  std::vector<float> bpm_;
  std::vector<std::int32_t> artist_;
  std::vector<std::uint32_t> genre_offsets_{0};  // genres of track i: genre_ids_[offsets[i] .. offsets[i+1])
  std::vector<std::int32_t> genre_ids_;
  std::vector<std::uint32_t> genre_track_offsets_{0}, genre_tracks_;  // tracks of genre g: [offsets[g], offsets[g+1])
  std::vector<std::string> ids_, titles_;
  std::vector<std::string> artist_names_, genre_names_;
  std::unordered_map<std::string, std::int32_t> artist_index_, genre_index_;  // by normalised / lower name
};

// One snapshot per tenant database, reused while its catalogue's version is unchanged (one primary-key read
// per get()). Thread-safe; a tenant's snapshot is built by one thread at a time (others for the same tenant
// wait for it and share it), other tenants are not held up. Snapshots handed out stay valid after a rebuild.
class CatalogCache {
 public:
  std::shared_ptr<const Catalog> get(store::Database& db);
  // Snapshots built so far (for tests and metrics).
  std::size_t builds() const;

 private:
  struct Entry {
    std::mutex build;
    std::shared_ptr<const Catalog> catalog;  // read and written under the cache's mutex
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by database path
  std::size_t builds_ = 0;
};

}  // namespace cadenza::recommend
