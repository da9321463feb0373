#pragma once
// Importing a listening history exported elsewhere into a profile's listens (store/listen_repo.hpp). The format
// is read from the content, not the file name:
//
//   spotify           Spotify "download your data", StreamingHistory*.json: a JSON array of
//                     {endTime: "2023-01-05 18:32" (UTC), artistName, trackName, msPlayed}
//   spotify-extended  Spotify extended history, Streaming_History_Audio_*.json: a JSON array of {ts (RFC 3339, when
//                     the play ended), master_metadata_track_name, master_metadata_album_artist_name, ms_played,
//                     skipped, reason_end}; entries without a track name (podcast episodes) are ignored
//   listenbrainz      a ListenBrainz export: JSON lines or a JSON array of {listened_at (Unix seconds),
//                     track_metadata: {artist_name, track_name, additional_info?: {duration_ms?}}}
//   lastfm            a Last.fm scrobble CSV: artist,album,title,date (a header row optional; date as
//                     "05 Jan 2023 18:32" UTC, Unix seconds or RFC 3339)
//
// Each entry becomes a listen of the catalogue track with the same normalised artist and title
// (track_repo::normalise; the first recording of that name when there are several), started at the entry's
// start (Spotify gives the end: start = end - played). The outcome: spotify-extended's reason_end "trackdone" is
// completed, skipped / reason_end "fwdbtn" skipped (at the time played), Spotify's basic history completed when it
// played at least 90 % of a known duration; anything else is played. Scrobbles (ListenBrainz, Last.fm) carry no
// play time: played_ms is the track's duration when known (0 otherwise), outcome played. Listens are written in
// batches, one transaction each, so importing a file again stores nothing new (all duplicates).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::recommend {

enum class ListenFormat { Spotify, SpotifyExtended, ListenBrainz, Lastfm };
const char* to_string(ListenFormat f);  // "spotify", "spotify-extended", "listenbrainz", "lastfm"

// One entry of an export, before matching.
struct ExportedListen {
  std::string artist, title;
  std::int64_t started_at = 0;          // epoch ms
  std::optional<std::int64_t> played_ms;  // absent: a scrobble, unknown
  bool completed = false, skipped = false;
};

struct ParsedExport {
  ListenFormat format = ListenFormat::Spotify;
  std::vector<ExportedListen> listens;
  std::size_t ignored = 0;  // entries without a track (podcast episodes) or a readable time
};

// The format of `text` and its entries: Error(BadRequest) saying what was expected when it is none of the formats,
// or naming the entry or line that is malformed JSON or CSV.
ParsedExport parse_listen_export(std::string_view text);

struct ListenImportOptions {
  std::optional<std::int64_t> not_before;  // entries that started earlier are not stored (the retention's cutoff)
  std::size_t batch_size = 500;
  std::function<void(double)> progress;  // 0..1 of the entries written, after each batch
};

struct ListenImportReport {
  ListenFormat format = ListenFormat::Spotify;
  std::size_t read = 0;        // entries in the file (ignored ones included)
  std::size_t ignored = 0;     // no track or no time
  std::size_t matched = 0;     // found in the catalogue
  std::size_t unmatched = 0;   // not in the catalogue
  std::size_t expired = 0;     // matched, but older than not_before
  std::size_t accepted = 0;    // stored
  std::size_t duplicates = 0;  // already stored, or earlier in the file
  std::vector<std::string> unmatched_names;  // the first 10 distinct "artist - title" not found
};

// Parses `text` and stores its listens for the profile in the tenant database `db`.
ListenImportReport import_listens(store::Database& db, const std::string& profile_id, std::string_view text,
                                  const ListenImportOptions& options = {});
// The same for a file (Error(NotFound) when it cannot be read).
ListenImportReport import_listens_file(store::Database& db, const std::string& profile_id,
                                       const std::filesystem::path& file, const ListenImportOptions& options = {});

}  // namespace cadenza::recommend
