#include "cadenza/store/track_repo.hpp"

#include <cmath>
#include <set>
#include <variant>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"

namespace cadenza::store::track_repo {
namespace {

constexpr const char* kColumns =
    "t.id, t.title, t.artist, t.album, t.duration_ms, t.year, t.energy, t.tempo, t.valence, t.acousticness,"
    " t.density, t.bpm, t.audio_path, t.source, t.created_at, t.updated_at";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::vector<std::string> genres_of(Db& db, const std::string& id) {
  auto s = db.query("SELECT genre FROM track_genres WHERE track_id = ? ORDER BY position", id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

// The columns of kColumns into t (genres not read).
void columns(const Stmt& s, Track& t) {
  t.id = s.column_text(0);
  t.title = s.column_text(1);
  t.artist = s.column_text(2);
  t.album = s.column_optional_text(3);
  t.duration_ms = s.column_int64(4);
  if (!s.is_null(5)) t.year = s.column_int(5);
  t.energy = s.column_double(6);
  t.tempo = s.column_double(7);
  t.valence = s.column_double(8);
  t.acousticness = s.column_double(9);
  t.density = s.column_double(10);
  if (!s.is_null(11)) t.bpm = s.column_double(11);
  t.audio_path = s.column_optional_text(12);
  t.source = s.column_text(13);
  t.created_at = s.column_int64(14);
  t.updated_at = s.column_int64(15);
}

Track row(Db& db, const Stmt& s) {
  Track t;
  columns(s, t);
  t.genres = genres_of(db, t.id);
  return t;
}

// Trimmed, without empties and repeats (ASCII case ignored), in order.
std::vector<std::string> clean_genres(const std::vector<std::string>& genres) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& g : genres) {
    auto first = g.find_first_not_of(" \t"), last = g.find_last_not_of(" \t");
    if (first == std::string::npos) continue;
    auto name = g.substr(first, last - first + 1);
    if (seen.insert(normalise(name)).second) out.push_back(std::move(name));
  }
  return out;
}

void check(const Track& t, std::size_t i, Validation& v) {
  auto at = "tracks[" + std::to_string(i) + "].";
  if (normalise(t.artist).empty()) v.fail(at + "artist", "is required");
  if (normalise(t.title).empty()) v.fail(at + "title", "is required");
  if (t.duration_ms < 0) v.fail(at + "durationMs", "must not be negative");
  const std::pair<const char*, double> features[] = {{"energy", t.energy},
                                                     {"tempo", t.tempo},
                                                     {"valence", t.valence},
                                                     {"acousticness", t.acousticness},
                                                     {"density", t.density}};
  for (const auto& [name, value] : features)
    if (!(value >= 0 && value <= 1)) v.fail(at + name, "must be between 0 and 1");
  if (t.bpm && !(std::isfinite(*t.bpm) && *t.bpm > 0)) v.fail(at + "bpm", "must be a positive number");
}

void put_genres(Db& db, const std::string& id, const std::vector<std::string>& genres) {
  db.run("DELETE FROM track_genres WHERE track_id = ?", id);
  for (std::size_t i = 0; i < genres.size(); ++i)
    db.run("INSERT INTO track_genres (track_id, genre, position) VALUES (?, ?, ?)", id, genres[i], i);
}

bool same_content(const Track& a, const Track& b) {
  return a.title == b.title && a.artist == b.artist && a.album == b.album && a.year == b.year &&
         a.energy == b.energy && a.tempo == b.tempo && a.valence == b.valence && a.acousticness == b.acousticness &&
         a.density == b.density && a.bpm == b.bpm && a.audio_path == b.audio_path && a.source == b.source &&
         a.genres == b.genres;
}

// The WHERE clause of a query and its values, bound in order.
struct Filter {
  std::string sql;
  std::vector<std::variant<std::string, double>> values;

  void add(const std::string& clause) { sql += (sql.empty() ? " WHERE " : " AND ") + clause; }
  void range(const char* column, const ValueRange& r) {
    if (r.min) {
      add(std::string("t.") + column + " >= ?");
      values.emplace_back(*r.min);
    }
    if (r.max) {
      add(std::string("t.") + column + " <= ?");
      values.emplace_back(*r.max);
    }
  }
  void bind(Stmt& s) const {
    int i = 0;
    for (const auto& v : values) std::visit([&](const auto& x) { s.bind(++i, x); }, v);
  }
};

Filter filter(const TrackQuery& q) {
  Filter f;
  if (auto text = normalise(q.text); !text.empty()) {
    std::string pattern = "%";
    for (char c : text) {
      if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
      pattern.push_back(c);
    }
    pattern.push_back('%');
    f.add("(t.title_key LIKE ? ESCAPE '\\' OR t.artist_key LIKE ? ESCAPE '\\')");
    f.values.emplace_back(pattern);
    f.values.emplace_back(pattern);
  }
  if (!q.genre.empty()) {
    f.add("EXISTS (SELECT 1 FROM track_genres g WHERE g.genre = ? AND g.track_id = t.id)");
    f.values.emplace_back(q.genre);
  }
  f.range("energy", q.energy);
  f.range("valence", q.valence);
  f.range("acousticness", q.acousticness);
  f.range("density", q.density);
  f.range("bpm", q.bpm);
  return f;
}

}  // namespace

std::string normalise(std::string_view s) {
  std::string out;
  bool gap = false;
  for (char c : s) {
    if (is_space(c)) {
      gap = !out.empty();
      continue;
    }
    if (gap) out.push_back(' ');
    gap = false;
    out.push_back(lower(c));
  }
  return out;
}

UpsertCounts upsert(Database& database, std::vector<Track>& tracks) {
  Validation v;
  for (std::size_t i = 0; i < tracks.size(); ++i) check(tracks[i], i, v);
  v.throw_if_failed("Invalid track");
  return database.write([&](Db& db) {
    UpsertCounts counts;
    const auto now = now_ms();
    for (auto& t : tracks) {
      t.genres = clean_genres(t.genres);
      const auto artist_key = normalise(t.artist), title_key = normalise(t.title);
      std::optional<Track> old;
      {
        auto s = db.query(std::string("SELECT ") + kColumns +
                              " FROM tracks t WHERE t.artist_key = ? AND t.title_key = ? AND t.duration_ms = ?",
                          artist_key, title_key, t.duration_ms);
        if (s.step()) old = row(db, s);
      }
      if (!old) {
        t.id = new_uuid();
        t.created_at = t.updated_at = now;
        db.run("INSERT INTO tracks (id, title, artist, album, duration_ms, year, energy, tempo, valence, acousticness,"
               " density, bpm, audio_path, source, artist_key, title_key, created_at, updated_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               t.id, t.title, t.artist, t.album, t.duration_ms, t.year, t.energy, t.tempo, t.valence, t.acousticness,
               t.density, t.bpm, t.audio_path, t.source, artist_key, title_key, t.created_at, t.updated_at);
        put_genres(db, t.id, t.genres);
        ++counts.inserted;
        continue;
      }
      t.id = old->id;
      t.created_at = old->created_at;
      if (!t.audio_path) t.audio_path = old->audio_path;
      if (same_content(t, *old)) {
        t.updated_at = old->updated_at;
        ++counts.unchanged;
        continue;
      }
      t.updated_at = now;
      db.run("UPDATE tracks SET title = ?, artist = ?, album = ?, year = ?, energy = ?, tempo = ?, valence = ?,"
             " acousticness = ?, density = ?, bpm = ?, audio_path = ?, source = ?, updated_at = ? WHERE id = ?",
             t.title, t.artist, t.album, t.year, t.energy, t.tempo, t.valence, t.acousticness, t.density, t.bpm,
             t.audio_path, t.source, t.updated_at, t.id);
      if (t.genres != old->genres) put_genres(db, t.id, t.genres);
      ++counts.updated;
    }
    return counts;
  });
}

std::optional<Track> find(Database& database, const std::string& id) {
  return database.read([&](Db& db) -> std::optional<Track> {
    auto s = db.query(std::string("SELECT ") + kColumns + " FROM tracks t WHERE t.id = ?", id);
    if (!s.step()) return std::nullopt;
    return row(db, s);
  });
}

std::vector<Track> search(Database& database, const TrackQuery& q) {
  auto f = filter(q);
  return database.read([&](Db& db) {
    auto s = db.prepare(std::string("SELECT ") + kColumns + " FROM tracks t" + f.sql +
                        " ORDER BY t.artist_key, t.title_key, t.duration_ms, t.id LIMIT ? OFFSET ?");
    f.bind(s);
    auto n = static_cast<int>(f.values.size());
    s.bind(n + 1, q.limit);
    s.bind(n + 2, q.offset);
    std::vector<Track> out;
    while (s.step()) out.push_back(row(db, s));
    return out;
  });
}

std::int64_t count(Database& database, const TrackQuery& q) {
  auto f = filter(q);
  return database.read([&](Db& db) {
    auto s = db.prepare("SELECT count(*) FROM tracks t" + f.sql);
    f.bind(s);
    s.step();
    return s.column_int64(0);
  });
}

void for_each(Database& database, const std::function<void(const Track&)>& f) {
  database.read([&](Db& db) {
    // Both scans follow an index (tracks' primary key, track_genres' (track_id, position)), so the genres of
    // each track are the next rows of the second scan.
    auto s = db.prepare(std::string("SELECT ") + kColumns + " FROM tracks t ORDER BY t.id");
    auto g = db.prepare("SELECT track_id, genre FROM track_genres ORDER BY track_id, position");
    bool g_row = g.step();
    Track t;
    while (s.step()) {
      columns(s, t);
      t.genres.clear();
      // Rows of tracks that sort before this one cannot exist (the foreign key); skip them anyway.
      while (g_row) {
        auto track_id = g.column_text(0);
        if (track_id > t.id) break;
        if (track_id == t.id) t.genres.push_back(g.column_text(1));
        g_row = g.step();
      }
      f(t);
    }
  });
}

std::int64_t catalog_version(Database& database) {
  return database.read([](Db& db) {
    return db.scalar_int64("SELECT version FROM catalog_version WHERE id = 1").value_or(0);
  });
}

std::vector<TrackName> names(Database& database) {
  return database.read([](Db& db) {
    auto s = db.query(
        "SELECT id, artist_key, title_key, duration_ms FROM tracks ORDER BY artist_key, title_key, duration_ms, id");
    std::vector<TrackName> out;
    while (s.step()) out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3)});
    return out;
  });
}

}  // namespace cadenza::store::track_repo
