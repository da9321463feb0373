#include "cadenza/recommend/track_import.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <system_error>

#include "cadenza/core/csv_reader.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/recommend/track_features.hpp"
#include "cadenza/store/track_repo.hpp"

namespace cadenza::recommend {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxRejections = 100;
constexpr const char* kAudioExtensions[] = {"mp3", "m4a", "ogg", "opus", "flac", "wav"};

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// A row's problem: thrown inside the row's reading, caught and reported as a rejection.
struct RowError {
  std::string reason;
};

std::optional<double> number(const std::string& raw, const char* column, bool required) {
  auto s = trim(raw);
  if (s.empty()) {
    if (required) throw RowError{std::string(column) + " is empty"};
    return std::nullopt;
  }
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
    throw RowError{std::string(column) + " is not a number: \"" + s.substr(0, 40) + "\""};
  return v;
}

double unit_value(const std::string& raw, const char* column) {
  auto v = *number(raw, column, true);
  if (v < 0 || v > 1) throw RowError{std::string(column) + " " + trim(raw) + " is outside 0..1"};
  return v;
}

// "hip hop, pop" -> {"hip hop", "pop"}; "set()" (the Spotify file's "unknown") -> {}.
std::vector<std::string> genre_list(const std::string& raw) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= raw.size()) {
    auto j = std::min(raw.find(',', i), raw.size());
    auto g = trim(raw.substr(i, j - i));
    if (!g.empty() && g != "set()") out.push_back(g);
    i = j + 1;
  }
  return out;
}

std::string file_name_part(std::string s) {
  for (auto& c : s)
    if (c == '/' || c == '\\' || c == '\0') c = '_';
  return s;
}

std::optional<std::string> existing_file(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return std::nullopt;
  auto abs = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return (ec ? p : abs).string();
}

struct Columns {
  std::size_t artist, title, danceability, energy, speechiness, acousticness, valence, loudness, tempo;
  std::optional<std::size_t> duration, year, album, genre, path;
};

Columns columns(const CsvReader& r, const std::string& name) {
  // Every missing required column at once.
  std::string missing;
  auto need = [&](std::initializer_list<std::string_view> names) -> std::size_t {
    for (auto n : names)
      if (auto i = r.column(n)) return *i;
    missing += (missing.empty() ? "" : ", ") + std::string(*names.begin());
    return 0;
  };
  Columns c{need({"artist"}),       need({"song", "title"}),   need({"danceability"}),
            need({"energy"}),       need({"speechiness"}),     need({"acousticness"}),
            need({"valence"}),      need({"loudness"}),        need({"tempo"}),
            r.column("duration_ms"), r.column("year"),         r.column("album"),
            r.column("genre"),       std::nullopt};
  if (!c.genre) c.genre = r.column("genres");
  for (auto n : {"path", "audio", "file", "audio_path"})
    if (!c.path) c.path = r.column(n);
  if (!missing.empty())
    throw Error(ErrorKind::BadRequest, (name.empty() ? "" : name + ": ") + "missing column(s) " + missing);
  return c;
}

}  // namespace

TrackImportReport import_tracks_csv(store::Database& db, std::istream& in, const std::string& name,
                                    const TrackImportOptions& options) {
  auto* buf = in.rdbuf();
  const std::streamoff size = buf ? std::streamoff(buf->pubseekoff(0, std::ios::end, std::ios::in)) : -1;
  if (size >= 0) buf->pubseekoff(0, std::ios::beg, std::ios::in);
  CsvReader rows(in, name);
  const auto col = columns(rows, name);
  const auto source = options.source.empty() ? "csv:" + fs::path(name).filename().string() : options.source;

  TrackImportReport report;
  std::set<std::string> seen;
  std::vector<store::Track> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    auto counts = store::track_repo::upsert(db, batch);
    report.imported += static_cast<std::size_t>(counts.inserted);
    report.updated += static_cast<std::size_t>(counts.updated);
    report.unchanged += static_cast<std::size_t>(counts.unchanged);
    for (const auto& t : batch) report.track_ids.push_back(t.id);
    batch.clear();
    if (options.progress && size > 0) {
      std::streamoff at = buf->pubseekoff(0, std::ios::cur, std::ios::in);
      options.progress(at < 0 ? 1.0 : std::min(1.0, double(at) / double(size)));
    }
  };
  auto reject = [&](std::size_t line, std::string reason) {
    ++report.rejected;
    if (report.rejections.size() < kMaxRejections) report.rejections.push_back({line, std::move(reason)});
  };

  std::vector<std::string> f;
  for (;;) {
    try {
      if (!rows.next(f)) break;
    } catch (const Error& e) {  // a syntax error: the reader is past that line
      ++report.rows;
      std::string what = e.what();
      const auto prefix = rows.where(rows.error_line());
      reject(rows.error_line(), what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what);
      continue;
    }
    ++report.rows;
    const auto line = rows.line();
    try {
      if (f.size() != rows.width())
        throw RowError{std::to_string(f.size()) + " fields, the header has " + std::to_string(rows.width())};
      store::Track t;
      t.artist = trim(f[col.artist]);
      t.title = trim(f[col.title]);
      if (t.artist.empty()) throw RowError{"artist is empty"};
      if (t.title.empty()) throw RowError{"the title is empty"};
      SpotifyAudioFeatures in_features;
      in_features.danceability = unit_value(f[col.danceability], "danceability");
      in_features.energy = unit_value(f[col.energy], "energy");
      in_features.speechiness = unit_value(f[col.speechiness], "speechiness");
      in_features.acousticness = unit_value(f[col.acousticness], "acousticness");
      in_features.valence = unit_value(f[col.valence], "valence");
      in_features.loudness_db = *number(f[col.loudness], "loudness", true);
      in_features.tempo_bpm = *number(f[col.tempo], "tempo", true);
      if (in_features.tempo_bpm <= 0) throw RowError{"tempo must be a positive BPM"};
      auto features = from_spotify(in_features);
      t.energy = features.energy;
      t.tempo = features.tempo;
      t.valence = features.valence;
      t.acousticness = features.acousticness;
      t.density = features.density;
      t.bpm = in_features.tempo_bpm;
      if (col.duration)
        if (auto d = number(f[*col.duration], "duration_ms", false)) {
          if (*d < 0 || *d > 1e11) throw RowError{"duration_ms " + trim(f[*col.duration]) + " is out of range"};
          t.duration_ms = static_cast<std::int64_t>(std::llround(*d));
        }
      if (col.year)
        if (auto y = number(f[*col.year], "year", false)) {
          if (*y < 0 || *y > 9999 || *y != std::floor(*y)) throw RowError{"year " + trim(f[*col.year]) + " is not a year"};
          t.year = static_cast<int>(*y);
        }
      if (col.album)
        if (auto a = trim(f[*col.album]); !a.empty()) t.album = a;
      if (col.genre) t.genres = genre_list(f[*col.genre]);
      t.source = source;

      auto key = store::track_repo::normalise(t.artist) + '\x1f' + store::track_repo::normalise(t.title) + '\x1f' +
                 std::to_string(t.duration_ms);
      if (!seen.insert(key).second) {
        ++report.duplicates;
        continue;
      }
      if (col.path && !trim(f[*col.path]).empty()) {
        fs::path p = trim(f[*col.path]);
        if (p.is_relative()) p = options.audio_root / p;
        t.audio_path = existing_file(p);
        if (!t.audio_path) ++report.audio_missing;
      } else if (!col.path && !options.audio_root.empty()) {
        auto stem = file_name_part(t.artist + " - " + t.title);
        for (const char* ext : kAudioExtensions)
          if ((t.audio_path = existing_file(options.audio_root / (stem + "." + ext)))) break;
      }
      if (t.audio_path) ++report.with_audio;
      batch.push_back(std::move(t));
      if (batch.size() >= std::max<std::size_t>(1, options.batch_size)) flush();
    } catch (const RowError& e) {
      reject(line, e.reason);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::BadRequest) throw;
      reject(line, e.what());
    }
  }
  flush();
  if (options.progress) options.progress(1.0);
  return report;
}

TrackImportReport import_tracks_csv(store::Database& db, const std::filesystem::path& file, TrackImportOptions options) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorKind::NotFound, "cannot open " + file.string());
  if (options.audio_root.empty()) options.audio_root = file.parent_path();
  return import_tracks_csv(db, in, file.string(), options);
}

}  // namespace cadenza::recommend
