#include "cadenza/store/job_event_repo.hpp"

#include "cadenza/core/error.hpp"

namespace cadenza::store::job_event_repo {
namespace {
std::vector<StoredJobEvent> rows(Stmt& s) {
  std::vector<StoredJobEvent> out;
  while (s.step()) out.push_back({s.column_int64(0), s.column_text(1), s.column_text(2)});
  return out;
}
}  // namespace

void append(Database& database, const std::string& job_id, std::int64_t seq, const std::string& type,
            const std::string& text, std::int64_t now) {
  database.write([&](Db& db) {
    try {
      db.run("INSERT INTO job_events (job_id, seq, type, text, created_at) VALUES (?, ?, ?, ?, ?)", job_id, seq, type,
             text, now);
    } catch (const DbError& e) {
      if (e.is_unique_violation())
        throw Error(ErrorKind::Conflict, "event " + std::to_string(seq) + " of job " + job_id + " already exists");
      throw;
    }
  });
}

std::int64_t last_seq(Database& database, const std::string& job_id) {
  return database.read([&](Db& db) {
    return db.scalar_int64("SELECT MAX(seq) FROM job_events WHERE job_id = ?", job_id).value_or(0);
  });
}

std::vector<StoredJobEvent> replay(Database& database, const std::string& job_id, std::int64_t from_seq, int limit) {
  return database.read([&](Db& db) {
    auto s = db.query(
        "SELECT e.seq, e.type, e.text FROM job_events e WHERE e.job_id = ?1 AND e.seq > ?2"
        " AND (e.type <> 'job.progress' OR NOT EXISTS (SELECT 1 FROM job_events n WHERE n.job_id = e.job_id"
        " AND n.seq = e.seq + 1 AND n.type = 'job.progress'))"
        " ORDER BY e.seq LIMIT ?3",
        job_id, from_seq, limit < 0 ? -1 : limit);
    return rows(s);
  });
}

std::vector<StoredJobEvent> all_after(Database& database, const std::string& job_id, std::int64_t from_seq) {
  return database.read([&](Db& db) {
    auto s = db.query("SELECT seq, type, text FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq", job_id,
                      from_seq);
    return rows(s);
  });
}

}  // namespace cadenza::store::job_event_repo
