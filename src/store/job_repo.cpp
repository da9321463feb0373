#include "cadenza/store/job_repo.hpp"

#include <string>

#include "cadenza/core/error.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

const char* to_string(JobState state) {
  switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Succeeded: return "succeeded";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
  }
  return "queued";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (auto s : {JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

namespace job_repo {
namespace {

constexpr const char* kColumns =
    "SELECT id, tenant_id, owner_id, kind, priority, state, progress, stage, attempts, error, payload, result,"
    " created_at, updated_at, started_at, finished_at, error_kind, error_fields FROM jobs ";

nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

JobRecord row(const Stmt& s) {
  JobRecord j;
  j.id = s.column_text(0);
  j.tenant_id = s.column_text(1);
  j.owner_id = s.column_text(2);
  j.kind = s.column_text(3);
  j.priority = s.column_int(4);
  j.state = parse_job_state(s.column_text(5)).value_or(JobState::Failed);
  j.progress = s.column_double(6);
  j.stage = s.column_text(7);
  j.attempts = s.column_int(8);
  j.error.message = s.column_text(9);
  j.error.kind = s.column_text(16);
  j.error.fields = parse_json(s.column_text(17));
  if (!j.error.fields.is_object()) j.error.fields = nlohmann::json::object();
  j.payload = parse_json(s.column_text(10));
  j.result = parse_json(s.column_text(11));
  j.created_at = s.column_int64(12);
  j.updated_at = s.column_int64(13);
  j.started_at = s.column_int64(14);
  j.finished_at = s.column_int64(15);
  return j;
}

std::vector<JobRecord> rows(Stmt& s) {
  std::vector<JobRecord> out;
  while (s.step()) out.push_back(row(s));
  return out;
}

void expect_changed(Db& db, const std::string& id) {
  if (db.changes() == 0) throw Error(ErrorKind::NotFound, "job " + id + " not found");
}

}  // namespace

void insert(Database& database, const JobRecord& j) {
  database.write([&](Db& db) {
    try {
      db.run(
          "INSERT INTO jobs (id, tenant_id, owner_id, kind, priority, state, progress, stage, attempts, error,"
          " payload, result, created_at, updated_at, started_at, finished_at, error_kind, error_fields)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          j.id, j.tenant_id, j.owner_id, j.kind, j.priority, to_string(j.state), j.progress, j.stage, j.attempts,
          j.error.message, j.payload.dump(), j.result.dump(), j.created_at, j.updated_at, j.started_at,
          j.finished_at, j.error.kind, j.error.fields.dump());
    } catch (const DbError& e) {
      if (e.is_unique_violation()) throw Error(ErrorKind::Conflict, "job " + j.id + " already exists");
      throw;
    }
  });
}

std::optional<JobRecord> find(Database& database, const std::string& id) {
  return database.read([&](Db& db) -> std::optional<JobRecord> {
    auto s = db.query(std::string(kColumns) + "WHERE id = ?", id);
    if (!s.step()) return std::nullopt;
    return row(s);
  });
}

std::vector<JobRecord> list(Database& database, const std::string& owner_id, std::optional<JobState> state,
                            int limit, int offset) {
  std::string sql = kColumns;
  sql += "WHERE 1 = 1";
  if (!owner_id.empty()) sql += " AND owner_id = ?";
  if (state) sql += " AND state = ?";
  sql += " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?";
  return database.read([&](Db& db) {
    auto s = db.prepare(sql);
    int i = 0;
    if (!owner_id.empty()) s.bind(++i, owner_id);
    if (state) s.bind(++i, to_string(*state));
    s.bind(++i, limit < 0 ? -1 : limit);
    s.bind(++i, offset < 0 ? 0 : offset);
    return rows(s);
  });
}

std::vector<JobRecord> unfinished(Database& database) {
  return database.read([&](Db& db) {
    auto s = db.query(std::string(kColumns) + "WHERE state IN (?, ?) ORDER BY created_at, rowid",
                      to_string(JobState::Queued), to_string(JobState::Running));
    return rows(s);
  });
}

std::vector<JobRecord> finished_since(Database& database, const std::string& owner_id, const std::string& kind,
                                      std::int64_t since_ms, int limit) {
  // jobs_owner_state narrows to the owner's finished rows (a handful per state and owner in practice).
  return database.read([&](Db& db) {
    auto s = db.query(std::string(kColumns) +
                          "WHERE owner_id = ? AND state IN (?, ?, ?) AND kind = ? AND finished_at >= ? "
                          "ORDER BY finished_at, rowid LIMIT ?",
                      owner_id, to_string(JobState::Succeeded), to_string(JobState::Failed),
                      to_string(JobState::Cancelled), kind, since_ms, limit);
    return rows(s);
  });
}

void mark_running(Database& database, const std::string& id, std::int64_t now) {
  database.write([&](Db& db) {
    db.run("UPDATE jobs SET state = ?, attempts = attempts + 1, started_at = ?, updated_at = ? WHERE id = ?",
           to_string(JobState::Running), now, now, id);
    expect_changed(db, id);
  });
}

void update_progress(Database& database, const std::string& id, double progress, const std::string& stage,
                     std::int64_t now) {
  database.write([&](Db& db) {
    db.run("UPDATE jobs SET progress = ?, stage = ?, updated_at = ? WHERE id = ?", progress, stage, now, id);
    expect_changed(db, id);
  });
}

void set_partial_result(Database& database, const std::string& id, const nlohmann::json& result, std::int64_t now) {
  database.write([&](Db& db) {
    db.run("UPDATE jobs SET result = ?, updated_at = ? WHERE id = ? AND state = ?", result.dump(), now, id,
           to_string(JobState::Running));
  });
}

void finish(Database& database, const std::string& id, JobState final_state, const nlohmann::json& result,
            const JobError& error, std::int64_t now) {
  if (final_state == JobState::Queued || final_state == JobState::Running) {
    throw Error(ErrorKind::BadRequest, std::string("job state ") + to_string(final_state) + " is not final",
                {{"state", "must be succeeded, failed or cancelled"}});
  }
  const bool succeeded = final_state == JobState::Succeeded;
  database.write([&](Db& db) {
    db.run(
        "UPDATE jobs SET state = ?, result = ?, error = ?, error_kind = ?, error_fields = ?, finished_at = ?,"
        " updated_at = ?, progress = CASE WHEN ? THEN 1.0 ELSE progress END WHERE id = ?",
        to_string(final_state), result.dump(), error.message, error.kind, error.fields.dump(), now, now, succeeded,
        id);
    expect_changed(db, id);
  });
}

void requeue(Database& database, const std::string& id, std::int64_t now) {
  database.write([&](Db& db) {
    db.run("UPDATE jobs SET state = ?, progress = 0, stage = '', started_at = 0, updated_at = ? WHERE id = ?",
           to_string(JobState::Queued), now, id);
    expect_changed(db, id);
  });
}

std::int64_t count_queued(Database& database, const std::string& owner_id) {
  return database.read([&](Db& db) {
    if (owner_id.empty()) {
      return db.scalar_int64("SELECT COUNT(*) FROM jobs WHERE state = ?", to_string(JobState::Queued)).value_or(0);
    }
    return db
        .scalar_int64("SELECT COUNT(*) FROM jobs WHERE owner_id = ? AND state = ?", owner_id,
                      to_string(JobState::Queued))
        .value_or(0);
  });
}

std::map<std::string, std::int64_t> count_by_state(Database& database) {
  std::map<std::string, std::int64_t> out;
  for (auto s : {JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled}) {
    out[to_string(s)] = 0;
  }
  database.read([&](Db& db) {
    auto s = db.prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state");
    while (s.step()) out[s.column_text(0)] = s.column_int64(1);
  });
  return out;
}

}  // namespace job_repo
// A profile's jobs go with it, with their events (a foreign key cascades them too) and output chunks.
std::vector<OwnedTable> job_repo::owned_tables() {
  return {{DbScope::Tenant, "jobs", "owner_id", "", "", {{"job_events", "job_id", "id"}, {"chunks", "stream_id", "id"}}}};
}

}  // namespace cadenza::store
