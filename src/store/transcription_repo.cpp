#include "cadenza/store/transcription_repo.hpp"

#include <nlohmann/json.hpp>

#include "cadenza/core/clock.hpp"

namespace cadenza::store::transcription_repo {

std::optional<KeptTranscription> find(Database& database, const std::string& owner_id, const std::string& audio_sha,
                                      const std::string& options) {
  auto row = database.read([&](Db& db) -> std::optional<std::pair<std::string, double>> {
    auto s = db.query("SELECT notes, audio_seconds FROM transcriptions WHERE owner_id = ? AND audio_sha = ? AND options = ?",
                      owner_id, audio_sha, options);
    if (!s.step()) return std::nullopt;
    return std::pair{s.column_text(0), s.column_double(1)};
  });
  if (!row) return std::nullopt;
  auto j = nlohmann::json::parse(row->first, nullptr, false);
  if (!j.is_array()) return std::nullopt;  // unreadable: transcribe again
  KeptTranscription t;
  t.audio_seconds = row->second;
  for (const auto& n : j) {
    if (!n.is_array() || n.size() < 4) return std::nullopt;
    NoteEvent e;
    e.pitch = n[0].get<int>();
    e.start = n[1].get<double>();
    e.end = n[2].get<double>();
    e.velocity = n[3].get<double>();
    if (n.size() > 4) e.bends = n[4].get<std::vector<int>>();
    t.notes.push_back(std::move(e));
  }
  return t;
}

void put(Database& database, const std::string& owner_id, const std::string& audio_sha, const std::string& options,
         const KeptTranscription& t) {
  nlohmann::json notes = nlohmann::json::array();
  for (const auto& n : t.notes) notes.push_back({n.pitch, n.start, n.end, n.velocity, n.bends});
  database.write([&](Db& db) {
    db.touch(owner_id);
    db.run("INSERT OR REPLACE INTO transcriptions (owner_id, audio_sha, options, notes, audio_seconds, created_at)"
           " VALUES (?, ?, ?, ?, ?, ?)",
           owner_id, audio_sha, options, notes.dump(), t.audio_seconds, now_ms());
  });
}

std::vector<OwnedTable> owned_tables() { return {{DbScope::Tenant, "transcriptions", "owner_id", "", "", {}}}; }

}  // namespace cadenza::store::transcription_repo
