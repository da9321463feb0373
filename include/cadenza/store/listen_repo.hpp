#pragma once
// Listening history (tenant table `listens`, migration 0010): what each profile played, when, for how long and
// how it ended. A listen is named by (profile, track, started_at): a batch sent again adds nothing. The
// aggregates are what the recommender reads; the purge is the retention (recommend.listen_ttl_days).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

enum class ListenOutcome { Completed, Skipped, Played };
const char* to_string(ListenOutcome o);
std::optional<ListenOutcome> parse_listen_outcome(std::string_view s);

struct Listen {
  std::int64_t id = 0;  // set by insert (0 for a duplicate)
  std::string profile_id, track_id;
  std::int64_t started_at = 0;  // epoch ms
  std::int64_t played_ms = 0;
  ListenOutcome outcome = ListenOutcome::Played;
  std::optional<std::int64_t> skipped_at_ms;  // where in the track it was skipped (Skipped only)
  std::optional<std::string> tune_vector_id;
  std::string source = "api";  // "api" or "import:<kind>"
  std::int64_t created_at = 0;
  // The track's names (list() fills them).
  std::string title, artist;
};

struct ListenInsertCounts {
  std::int64_t accepted = 0;    // new rows
  std::int64_t duplicates = 0;  // already there (or earlier in the same batch)
};

// Newest first: started_at descending, then id descending. A page ends at `before` (exclusive), given as the
// last listen of the previous page (started_at and id) or as a time alone (every listen started before it).
struct ListenCursor {
  std::int64_t started_at = 0;
  std::optional<std::int64_t> id;  // absent: strictly before started_at
};

struct ListenQuery {
  int limit = 50;
  std::optional<ListenCursor> before;
};

// Per (profile, track) over every profile of the tenant.
struct TrackPlayStats {
  std::string profile_id, track_id;
  std::int64_t plays = 0, completed = 0, skipped = 0;
  std::int64_t played_ms = 0;       // summed
  std::int64_t last_played_at = 0;  // the newest started_at
};

// Per (profile, artist), the artist named by track_repo::normalise of the catalogue's artist.
struct ArtistPlayStats {
  std::string profile_id, artist_key, artist;  // artist: one of its spellings in the catalogue
  std::int64_t plays = 0, completed = 0, skipped = 0;
  std::int64_t played_ms = 0;
  std::int64_t tracks = 0;  // distinct tracks played
};

namespace listen_repo {

// Stores the batch in one transaction: each listen new or a duplicate (same profile, track and started_at as a
// stored one or an earlier one of the batch). Error(BadRequest) naming "listens[i].<field>" for a negative
// played_ms or skipped_at_ms, a skip position on a listen that is not skipped or a source that is neither "api"
// nor "import:<kind>"; Error(Unprocessable) naming "listens[i].trackId" for a track not in the catalogue and
// "listens[i].tuneVectorId" for a tune vector that is not the profile's. Nothing is written then. Sets the ids
// of the new rows and every listen's profile_id and created_at.
ListenInsertCounts insert(Database& db, const std::string& profile_id, std::vector<Listen>& listens);
// The profile's listens, newest first, with the tracks' names.
std::vector<Listen> list(Database& db, const std::string& profile_id, const ListenQuery& q = {});
std::int64_t count(Database& db, const std::string& profile_id);
// Deletes every listen (of all profiles) that started before cutoff_ms; returns the rows removed.
std::int64_t purge_before(Database& db, std::int64_t cutoff_ms);
// Ordered by profile_id, track_id.
std::vector<TrackPlayStats> track_stats(Database& db);
// One profile's, ordered by track_id (the index on (profile_id, started_at) finds its rows).
std::vector<TrackPlayStats> track_stats(Database& db, const std::string& profile_id);
// When the newest listen (of any profile) was stored, epoch ms; 0 without listens.
std::int64_t last_created_at(Database& db);
// Ordered by profile_id, artist_key.
std::vector<ArtistPlayStats> artist_stats(Database& db);

}  // namespace listen_repo
}  // namespace cadenza::store
