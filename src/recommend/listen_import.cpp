#include "cadenza/recommend/listen_import.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/csv_reader.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/track_repo.hpp"

namespace cadenza::recommend {
namespace {

using nlohmann::json;

constexpr std::size_t kUnmatchedShown = 10;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view without_bom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return trim(s);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 15 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "2023-01-05 18:32" or "2023-01-05 18:32:10", UTC (Spotify's endTime).
std::optional<std::int64_t> parse_spotify_time(std::string_view s) {
  s = trim(s);
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  std::string iso(s);
  iso[10] = 'T';
  if (iso.size() == 16) iso += ":00";
  return parse_iso8601(iso + "Z");
}

// "05 Jan 2023 18:32" / "5 Jan 2023, 18:32" (UTC), Unix seconds, or RFC 3339 (Last.fm exports).
std::optional<std::int64_t> parse_scrobble_time(std::string_view raw) {
  auto s = trim(raw);
  if (all_digits(s)) return std::stoll(std::string(s)) * 1000;
  if (auto t = parse_iso8601(s)) return t;
  std::string text(s);
  std::replace(text.begin(), text.end(), ',', ' ');
  std::istringstream in(text);
  int day = 0, year = 0, hour = 0, minute = 0;
  std::string month, clock;
  if (!(in >> day >> month >> year >> clock)) return std::nullopt;
  static const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                        "jul", "aug", "sep", "oct", "nov", "dec"};
  int m = 0;
  for (int i = 0; i < 12; ++i)
    if (lower(month).substr(0, 3) == kMonths[i]) m = i + 1;
  if (m == 0 || clock.size() != 5 || clock[2] != ':') return std::nullopt;
  try {
    hour = std::stoi(clock.substr(0, 2));
    minute = std::stoi(clock.substr(3, 2));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  char iso[32];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:00Z", year, m, day, hour, minute);
  return parse_iso8601(iso);
}

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::int64_t> int_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<std::int64_t>() : static_cast<std::int64_t>(it->get<double>());
}

std::optional<ListenFormat> format_of(const json& entry) {
  if (!entry.is_object()) return std::nullopt;
  if (entry.contains("ts") && entry.contains("ms_played")) return ListenFormat::SpotifyExtended;
  if (entry.contains("endTime") && entry.contains("msPlayed")) return ListenFormat::Spotify;
  if (entry.contains("listened_at") && entry.contains("track_metadata")) return ListenFormat::ListenBrainz;
  return std::nullopt;
}

// One JSON entry of `format`; nullopt when it has no track or no readable time.
std::optional<ExportedListen> read_entry(const json& e, ListenFormat format) {
  if (!e.is_object()) return std::nullopt;
  ExportedListen l;
  switch (format) {
    case ListenFormat::Spotify: {
      l.artist = text_of(e, "artistName");
      l.title = text_of(e, "trackName");
      auto end = parse_spotify_time(text_of(e, "endTime"));
      auto played = int_of(e, "msPlayed");
      if (!end || !played || *played < 0) return std::nullopt;
      l.played_ms = *played;
      l.started_at = *end - *played;
      break;
    }
    case ListenFormat::SpotifyExtended: {
      l.artist = text_of(e, "master_metadata_album_artist_name");
      l.title = text_of(e, "master_metadata_track_name");
      auto end = parse_iso8601(text_of(e, "ts"));
      auto played = int_of(e, "ms_played");
      if (!end || !played || *played < 0) return std::nullopt;
      l.played_ms = *played;
      l.started_at = *end - *played;
      const auto reason = text_of(e, "reason_end");
      const bool skipped = e.contains("skipped") && e["skipped"].is_boolean() && e["skipped"].get<bool>();
      l.skipped = skipped || reason == "fwdbtn";
      l.completed = !l.skipped && reason == "trackdone";
      break;
    }
    case ListenFormat::ListenBrainz: {
      const auto& meta = e.contains("track_metadata") ? e["track_metadata"] : json::object();
      if (!meta.is_object()) return std::nullopt;
      l.artist = text_of(meta, "artist_name");
      l.title = text_of(meta, "track_name");
      auto at = int_of(e, "listened_at");
      if (!at) return std::nullopt;
      l.started_at = *at * 1000;
      break;
    }
    case ListenFormat::Lastfm: return std::nullopt;  // CSV: read_lastfm
  }
  if (trim(l.artist).empty() || trim(l.title).empty() || l.started_at < 0) return std::nullopt;
  return l;
}

// Entries one at a time, each read as it is parsed (an export's DOM is ~30 times its size: never held whole).
// The format is the first entry's that has one; entries before it, and those not of it, are ignored.
class Entries {
 public:
  void add(const json& e) {
    ++seen_;
    if (!format_) format_ = format_of(e);
    if (format_)
      if (auto l = read_entry(e, *format_)) {
        out_.listens.push_back(std::move(*l));
        return;
      }
    ++out_.ignored;
  }
  ParsedExport finish() {
    if (!format_)
      throw Error(ErrorKind::BadRequest,
                  seen_ == 0 ? "The export has no listens"
                             : "Not a known listening history: expected Spotify (endTime, msPlayed), Spotify "
                               "extended (ts, ms_played) or ListenBrainz (listened_at, track_metadata) entries");
    out_.format = *format_;
    return std::move(out_);
  }

 private:
  ParsedExport out_;
  std::optional<ListenFormat> format_;
  std::size_t seen_ = 0;
};

ParsedExport read_json(std::string_view text) {
  Entries entries;
  if (text.front() == '[') {
    // Each element of the top-level array as it ends, then discarded.
    auto rest = json::parse(
        text,
        [&](int depth, json::parse_event_t event, json& parsed) {
          if (depth != 1 || (event != json::parse_event_t::object_end && event != json::parse_event_t::value))
            return true;
          entries.add(parsed);
          return false;
        },
        false);
    if (rest.is_discarded()) throw Error(ErrorKind::BadRequest, "The export is not valid JSON");
    return entries.finish();
  }
  auto whole = json::parse(text, nullptr, false);
  if (!whole.is_discarded()) {
    // The ListenBrainz API's answer: {"payload": {"listens": [...]}}; else one entry.
    const auto* list = &whole;
    if (whole.is_object() && whole.contains("payload") && whole["payload"].is_object() &&
        whole["payload"].contains("listens") && whole["payload"]["listens"].is_array())
      list = &whole["payload"]["listens"];
    if (list->is_array()) {
      for (const auto& e : *list) entries.add(e);
    } else {
      entries.add(whole);
    }
    return entries.finish();
  }
  // JSON lines.
  std::size_t line = 0, start = 0;
  while (start < text.size()) {
    auto end = std::min(text.find('\n', start), text.size());
    ++line;
    auto row = trim(text.substr(start, end - start));
    start = end + 1;
    if (row.empty()) continue;
    auto j = json::parse(row, nullptr, false);
    if (j.is_discarded())
      throw Error(ErrorKind::BadRequest, "The export's line " + std::to_string(line) + " is not valid JSON");
    entries.add(j);
  }
  return entries.finish();
}

// artist,album,title,date; the header row is optional (a first row naming artist and title is one).
ParsedExport read_lastfm(std::string_view text) {
  std::string first_line(text.substr(0, std::min(text.find('\n'), text.size())));
  auto lowered = lower(first_line);
  const bool has_header = lowered.find("artist") != std::string::npos && (lowered.find("title") != std::string::npos ||
                                                                          lowered.find("track") != std::string::npos);
  std::istringstream in((has_header ? std::string() : std::string("artist,album,title,date\n")) + std::string(text));
  CsvReader csv(in, "the export");
  auto artist = csv.column("artist"), title = csv.column("title") ? csv.column("title") : csv.column("track"),
       date = csv.column("date") ? csv.column("date") : csv.column("uts");
  if (!artist || !title || !date)
    throw Error(ErrorKind::BadRequest,
                "Not a known listening history: a Last.fm CSV has columns artist,album,title,date");
  ParsedExport out;
  out.format = ListenFormat::Lastfm;
  std::vector<std::string> row;
  bool any_wide = false;
  for (;;) {
    try {
      if (!csv.next(row)) break;
    } catch (const Error&) {
      ++out.ignored;
      continue;
    }
    if (row.size() <= std::max({*artist, *title, *date})) {
      ++out.ignored;
      continue;
    }
    any_wide = true;
    ExportedListen l;
    l.artist = row[*artist];
    l.title = row[*title];
    auto at = parse_scrobble_time(row[*date]);
    if (!at || *at < 0 || trim(l.artist).empty() || trim(l.title).empty()) {
      ++out.ignored;
      continue;
    }
    l.started_at = *at;
    out.listens.push_back(std::move(l));
  }
  if (!any_wide)
    throw Error(ErrorKind::BadRequest,
                "Not a known listening history: expected Spotify or ListenBrainz JSON, or a Last.fm CSV "
                "(artist,album,title,date)");
  return out;
}

std::string name_key(std::string_view artist, std::string_view title) {
  return store::track_repo::normalise(artist) + '\x1f' + store::track_repo::normalise(title);
}

}  // namespace

const char* to_string(ListenFormat f) {
  switch (f) {
    case ListenFormat::Spotify: return "spotify";
    case ListenFormat::SpotifyExtended: return "spotify-extended";
    case ListenFormat::ListenBrainz: return "listenbrainz";
    case ListenFormat::Lastfm: break;
  }
  return "lastfm";
}

ParsedExport parse_listen_export(std::string_view raw) {
  auto text = without_bom(raw);
  if (text.empty()) throw Error(ErrorKind::BadRequest, "The export is empty");
  if (text.front() == '[' || text.front() == '{') return read_json(text);
  return read_lastfm(text);
}

ListenImportReport import_listens(store::Database& db, const std::string& profile_id, std::string_view text,
                                  const ListenImportOptions& options) {
  auto parsed = parse_listen_export(text);
  ListenImportReport report;
  report.format = parsed.format;
  report.ignored = parsed.ignored;
  report.read = parsed.listens.size() + parsed.ignored;

  // The catalogue by normalised names, once: the first recording of each name.
  struct Match {
    std::string id;
    std::int64_t duration_ms;
  };
  std::unordered_map<std::string, Match> index;
  for (auto& t : store::track_repo::names(db))
    index.emplace(t.artist_key + '\x1f' + t.title_key, Match{std::move(t.id), t.duration_ms});

  const std::string source = std::string("import:") + to_string(parsed.format);
  std::set<std::string> unmatched_seen;
  std::vector<store::Listen> listens;
  for (const auto& e : parsed.listens) {
    auto it = index.find(name_key(e.artist, e.title));
    if (it == index.end()) {
      ++report.unmatched;
      auto name = std::string(trim(e.artist)) + " - " + std::string(trim(e.title));
      if (report.unmatched_names.size() < kUnmatchedShown && unmatched_seen.insert(name).second)
        report.unmatched_names.push_back(name);
      continue;
    }
    ++report.matched;
    if (options.not_before && e.started_at < *options.not_before) {
      ++report.expired;
      continue;
    }
    store::Listen l;
    l.track_id = it->second.id;
    l.started_at = e.started_at;
    l.played_ms = e.played_ms.value_or(it->second.duration_ms);
    l.source = source;
    if (e.skipped) {
      l.outcome = store::ListenOutcome::Skipped;
      l.skipped_at_ms = l.played_ms;
    } else if (e.completed || (parsed.format == ListenFormat::Spotify && it->second.duration_ms > 0 &&
                               l.played_ms * 10 >= it->second.duration_ms * 9)) {
      l.outcome = store::ListenOutcome::Completed;
    }
    listens.push_back(std::move(l));
  }

  const std::size_t batch = std::max<std::size_t>(options.batch_size, 1);
  for (std::size_t i = 0; i < listens.size(); i += batch) {
    std::vector<store::Listen> part(listens.begin() + static_cast<std::ptrdiff_t>(i),
                                    listens.begin() + static_cast<std::ptrdiff_t>(std::min(i + batch, listens.size())));
    auto counts = store::listen_repo::insert(db, profile_id, part);
    report.accepted += static_cast<std::size_t>(counts.accepted);
    report.duplicates += static_cast<std::size_t>(counts.duplicates);
    if (options.progress) options.progress(static_cast<double>(i + part.size()) / static_cast<double>(listens.size()));
  }
  return report;
}

ListenImportReport import_listens_file(store::Database& db, const std::string& profile_id,
                                       const std::filesystem::path& file, const ListenImportOptions& options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "Cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  const auto bytes = text.str();
  return import_listens(db, profile_id, std::string_view(bytes), options);
}

}  // namespace cadenza::recommend
