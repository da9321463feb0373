#include "cadenza/store/library_repo.hpp"

#include "cadenza/core/clock.hpp"

namespace cadenza::store::library_repo {

std::vector<LibraryFile> list(Database& database) {
  return database.read([](Db& db) {
    auto s = db.query("SELECT path, size, mtime_ns, track_id, features, error, scanned_at FROM library_files ORDER BY path");
    std::vector<LibraryFile> out;
    while (s.step()) {
      LibraryFile f;
      f.path = s.column_text(0);
      f.size = s.column_int64(1);
      f.mtime_ns = s.column_int64(2);
      f.track_id = s.column_optional_text(3);
      if (auto text = s.column_optional_text(4)) f.features = nlohmann::json::parse(*text, nullptr, false);
      if (f.features.is_discarded()) f.features = nullptr;
      f.error = s.column_optional_text(5);
      f.scanned_at = s.column_int64(6);
      out.push_back(std::move(f));
    }
    return out;
  });
}

void put(Database& database, const LibraryFile& f) {
  std::optional<std::string> features;
  if (!f.features.is_null()) features = f.features.dump();
  database.write([&](Db& db) {
    db.run("INSERT INTO library_files (path, size, mtime_ns, track_id, features, error, scanned_at)"
           " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size,"
           " mtime_ns = excluded.mtime_ns, track_id = excluded.track_id, features = excluded.features,"
           " error = excluded.error, scanned_at = excluded.scanned_at",
           f.path, f.size, f.mtime_ns, f.track_id, features, f.error, f.scanned_at);
  });
}

std::size_t remove(Database& database, const std::vector<std::string>& paths) {
  return database.write([&](Db& db) {
    std::size_t removed = 0;
    for (const auto& path : paths) {
      std::optional<std::string> track;
      {
        auto s = db.query("SELECT track_id FROM library_files WHERE path = ?", path);
        if (!s.step()) continue;
        track = s.column_optional_text(0);
      }
      db.run("DELETE FROM library_files WHERE path = ?", path);
      ++removed;
      if (!track) continue;
      if (db.scalar_int64("SELECT 1 FROM library_files WHERE track_id = ?", *track)) continue;
      db.run("UPDATE tracks SET audio_path = NULL, updated_at = ? WHERE id = ? AND audio_path = ?",
             now_ms(), *track, path);
    }
    return removed;
  });
}

std::size_t set_features(Database& database, const std::vector<TrackFeatureUpdate>& updates) {
  return database.write([&](Db& db) {
    std::size_t changed = 0;
    for (const auto& u : updates) {
      changed += static_cast<std::size_t>(
          db.run("UPDATE tracks SET energy = ?, tempo = ?, valence = ?, acousticness = ?, density = ?, updated_at = ?"
                 " WHERE id = ? AND (energy <> ? OR tempo <> ? OR valence <> ? OR acousticness <> ? OR density <> ?)",
                 u.energy, u.tempo, u.valence, u.acousticness, u.density, now_ms(), u.track_id, u.energy, u.tempo,
                 u.valence, u.acousticness, u.density));
    }
    return changed;
  });
}

}  // namespace cadenza::store::library_repo
