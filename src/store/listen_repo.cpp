#include "cadenza/store/listen_repo.hpp"

#include <set>
#include <tuple>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

const char* to_string(ListenOutcome o) {
  switch (o) {
    case ListenOutcome::Completed: return "completed";
    case ListenOutcome::Skipped: return "skipped";
    case ListenOutcome::Played: break;
  }
  return "played";
}

std::optional<ListenOutcome> parse_listen_outcome(std::string_view s) {
  if (s == "completed") return ListenOutcome::Completed;
  if (s == "skipped") return ListenOutcome::Skipped;
  if (s == "played") return ListenOutcome::Played;
  return std::nullopt;
}

namespace listen_repo {
namespace {

// Rows a purge deletes per transaction, so a large purge never holds the writer for long.
constexpr int kPurgeChunk = 5000;

bool valid_source(const std::string& s) { return s == "api" || (s.size() > 7 && s.compare(0, 7, "import:") == 0); }

void check(const Listen& l, std::size_t i, Validation& v) {
  auto at = "listens[" + std::to_string(i) + "].";
  if (l.track_id.empty()) v.fail(at + "trackId", "is required");
  if (l.played_ms < 0) v.fail(at + "playedMs", "must not be negative");
  if (l.skipped_at_ms && *l.skipped_at_ms < 0) v.fail(at + "skippedAtMs", "must not be negative");
  if (l.skipped_at_ms && l.outcome != ListenOutcome::Skipped)
    v.fail(at + "skippedAtMs", "is only for a skipped listen");
  if (!valid_source(l.source)) v.fail(at + "source", "must be api or import:<kind>");
}

}  // namespace

ListenInsertCounts insert(Database& database, const std::string& profile_id, std::vector<Listen>& listens) {
  Validation v;
  for (std::size_t i = 0; i < listens.size(); ++i) check(listens[i], i, v);
  v.throw_if_failed("Invalid listen");
  return database.write([&](Db& db) {
    Error::Fields unknown;
    for (std::size_t i = 0; i < listens.size(); ++i) {
      const auto& l = listens[i];
      auto at = "listens[" + std::to_string(i) + "].";
      if (!db.scalar_int64("SELECT 1 FROM tracks WHERE id = ?", l.track_id))
        unknown[at + "trackId"] = "is not a track of this library";
      if (l.tune_vector_id &&
          !db.scalar_int64("SELECT 1 FROM tune_vectors WHERE id = ? AND profile_id = ?", *l.tune_vector_id, profile_id))
        unknown[at + "tuneVectorId"] = "is not a tune vector of this profile";
    }
    if (!unknown.empty())
      throw Error(ErrorKind::Unprocessable,
                  unknown.size() == 1 ? "A listen names an unknown track or tune vector"
                                      : std::to_string(unknown.size()) + " listens name unknown tracks or tune vectors",
                  unknown);
    db.touch(profile_id);
    ListenInsertCounts counts;
    const auto now = now_ms();
    for (auto& l : listens) {
      l.profile_id = profile_id;
      l.created_at = now;
      l.id = 0;
      int n = db.run(
          "INSERT INTO listens (profile_id, track_id, started_at, played_ms, outcome, skipped_at_ms, tune_vector_id,"
          " source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (profile_id, track_id, started_at) DO NOTHING",
          profile_id, l.track_id, l.started_at, l.played_ms, to_string(l.outcome), l.skipped_at_ms, l.tune_vector_id,
          l.source, now);
      if (n == 1) {
        l.id = db.last_insert_rowid();
        ++counts.accepted;
      } else {
        ++counts.duplicates;
      }
    }
    return counts;
  });
}

std::vector<Listen> list(Database& database, const std::string& profile_id, const ListenQuery& q) {
  return database.read([&](Db& db) {
    std::string sql =
        "SELECT l.id, l.profile_id, l.track_id, l.started_at, l.played_ms, l.outcome, l.skipped_at_ms,"
        " l.tune_vector_id, l.source, l.created_at, t.title, t.artist"
        " FROM listens l JOIN tracks t ON t.id = l.track_id WHERE l.profile_id = ?";
    if (q.before && q.before->id) sql += " AND (l.started_at < ? OR (l.started_at = ? AND l.id < ?))";
    else if (q.before) sql += " AND l.started_at < ?";
    sql += " ORDER BY l.started_at DESC, l.id DESC LIMIT ?";
    auto s = db.prepare(sql);
    int i = 0;
    s.bind(++i, profile_id);
    if (q.before) {
      s.bind(++i, q.before->started_at);
      if (q.before->id) {
        s.bind(++i, q.before->started_at);
        s.bind(++i, *q.before->id);
      }
    }
    s.bind(++i, q.limit);
    std::vector<Listen> out;
    while (s.step()) {
      Listen l;
      l.id = s.column_int64(0);
      l.profile_id = s.column_text(1);
      l.track_id = s.column_text(2);
      l.started_at = s.column_int64(3);
      l.played_ms = s.column_int64(4);
      l.outcome = parse_listen_outcome(s.column_text(5)).value_or(ListenOutcome::Played);
      if (!s.is_null(6)) l.skipped_at_ms = s.column_int64(6);
      l.tune_vector_id = s.column_optional_text(7);
      l.source = s.column_text(8);
      l.created_at = s.column_int64(9);
      l.title = s.column_text(10);
      l.artist = s.column_text(11);
      out.push_back(std::move(l));
    }
    return out;
  });
}

std::int64_t count(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    return db.scalar_int64("SELECT COUNT(*) FROM listens WHERE profile_id = ?", profile_id).value_or(0);
  });
}

std::int64_t purge_before(Database& database, std::int64_t cutoff_ms) {
  std::int64_t removed = 0;
  for (;;) {
    auto n = database.write([&](Db& db) {
      // The profiles of this chunk first: their cached responses go stale.
      auto s = db.query(
          "SELECT DISTINCT profile_id FROM (SELECT profile_id FROM listens WHERE started_at < ?"
          " ORDER BY started_at LIMIT ?)",
          cutoff_ms, kPurgeChunk);
      while (s.step()) db.touch(s.column_text(0));
      return db.run(
          "DELETE FROM listens WHERE id IN (SELECT id FROM listens WHERE started_at < ? ORDER BY started_at LIMIT ?)",
          cutoff_ms, kPurgeChunk);
    });
    removed += n;
    if (n < kPurgeChunk) return removed;
  }
}

std::vector<TrackPlayStats> track_stats(Database& database) {
  return database.read([](Db& db) {
    auto s = db.query(
        "SELECT profile_id, track_id, COUNT(*), SUM(outcome = 'completed'), SUM(outcome = 'skipped'),"
        " SUM(played_ms), MAX(started_at) FROM listens GROUP BY profile_id, track_id ORDER BY profile_id, track_id");
    std::vector<TrackPlayStats> out;
    while (s.step())
      out.push_back({s.column_text(0), s.column_text(1), s.column_int64(2), s.column_int64(3), s.column_int64(4),
                     s.column_int64(5), s.column_int64(6)});
    return out;
  });
}

std::vector<TrackPlayStats> track_stats(Database& database, const std::string& profile_id) {
  return database.read([&](Db& db) {
    auto s = db.query(
        "SELECT profile_id, track_id, COUNT(*), SUM(outcome = 'completed'), SUM(outcome = 'skipped'),"
        " SUM(played_ms), MAX(started_at) FROM listens WHERE profile_id = ? GROUP BY track_id ORDER BY track_id",
        profile_id);
    std::vector<TrackPlayStats> out;
    while (s.step())
      out.push_back({s.column_text(0), s.column_text(1), s.column_int64(2), s.column_int64(3), s.column_int64(4),
                     s.column_int64(5), s.column_int64(6)});
    return out;
  });
}

std::int64_t last_created_at(Database& database) {
  return database.read([](Db& db) { return db.scalar_int64("SELECT COALESCE(MAX(created_at), 0) FROM listens").value_or(0); });
}

std::vector<ArtistPlayStats> artist_stats(Database& database) {
  return database.read([](Db& db) {
    auto s = db.query(
        "SELECT l.profile_id, t.artist_key, MIN(t.artist), COUNT(*), SUM(l.outcome = 'completed'),"
        " SUM(l.outcome = 'skipped'), SUM(l.played_ms), COUNT(DISTINCT l.track_id)"
        " FROM listens l JOIN tracks t ON t.id = l.track_id"
        " GROUP BY l.profile_id, t.artist_key ORDER BY l.profile_id, t.artist_key");
    std::vector<ArtistPlayStats> out;
    while (s.step())
      out.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_int64(3), s.column_int64(4),
                     s.column_int64(5), s.column_int64(6), s.column_int64(7)});
    return out;
  });
}

// Deleted with the profile; not counted as a dependent (a profile's history never blocks deleting it).
std::vector<OwnedTable> owned_tables() { return {{DbScope::Tenant, "listens", "profile_id", "", "", {}}}; }

}  // namespace listen_repo
}  // namespace cadenza::store
