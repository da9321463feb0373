#pragma once
// The tenant's music catalogue (tenant tables `tracks` and `track_genres`, migration 0009): tracks with their
// genres, the five features (0..1) and, when the server has it, the path of their audio. A track is named by
// its normalised artist and title and its duration (upsert() updates the row of a recording already there).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct Track {
  std::string id;  // UUID, set by upsert
  std::string title, artist;
  std::optional<std::string> album;
  std::int64_t duration_ms = 0;  // 0: unknown
  std::optional<int> year;
  double energy = 0, tempo = 0, valence = 0, acousticness = 0, density = 0;  // each 0..1
  std::optional<double> bpm;
  std::vector<std::string> genres;  // in the catalogue's order, no repeats (ASCII case ignored)
  std::optional<std::string> audio_path;
  std::string source;
  std::int64_t created_at = 0, updated_at = 0;
};

// Bounds of one value; either may be absent.
struct ValueRange {
  std::optional<double> min, max;
};

struct TrackQuery {
  std::string text;   // a part of the title or the artist (normalised like the keys); "" = any
  std::string genre;  // one of the track's genres (ASCII case ignored); "" = any
  ValueRange energy, valence, acousticness, density;  // 0..1
  ValueRange bpm;                                     // tracks without a BPM never match a BPM range
  int limit = 50, offset = 0;
};

// A track as names are matched against it (listening-history imports).
struct TrackName {
  std::string id, artist_key, title_key;  // the keys: normalise() of artist and title
  std::int64_t duration_ms = 0;
};

struct UpsertCounts {
  std::int64_t inserted = 0, updated = 0, unchanged = 0;
};

namespace track_repo {

// The form names are compared in: trimmed, runs of white space as one space, ASCII letters in lower case.
std::string normalise(std::string_view s);

// Inserts each track, or updates the row of the same recording (normalised artist and title, duration): its
// names, album, year, features, genres and source; the audio path only when the new one is set. All in one
// transaction: Error(BadRequest) for a track with an empty artist or title or a feature outside 0..1, and
// nothing is written. Sets each track's id and created_at / updated_at to the stored row's.
UpsertCounts upsert(Database& db, std::vector<Track>& tracks);
std::optional<Track> find(Database& db, const std::string& id);
// Matching tracks ordered by normalised artist, title, duration, id (stable across pages).
std::vector<Track> search(Database& db, const TrackQuery& q);
// How many tracks match q (limit and offset ignored).
std::int64_t count(Database& db, const TrackQuery& q = {});
// Calls f with every track (genres included), ordered by id, in one read transaction (a consistent snapshot;
// nested in a caller's read() it shares the caller's). Two index-ordered scans merged, no query per track.
void for_each(Database& db, const std::function<void(const Track&)>& f);
// The catalogue's version (tenant table `catalog_version`, migration 0011): bumped by triggers on every
// insert, update and delete of tracks and their genres, so an equal number means an unchanged catalogue.
std::int64_t catalog_version(Database& db);
// Every track's id, keys and duration, in the listing's order (one query, no genres).
std::vector<TrackName> names(Database& db);

}  // namespace track_repo
}  // namespace cadenza::store
