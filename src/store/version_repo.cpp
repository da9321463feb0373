#include "cadenza/store/version_repo.hpp"

#include "cadenza/core/error.hpp"
#include "cadenza/store/chunk_repo.hpp"

namespace cadenza::store {

namespace {
constexpr const char* kStatus[] = {"queued", "running", "succeeded", "failed", "cancelled", "interrupted"};
}

const char* to_string(VersionStatus s) { return kStatus[int(s)]; }

std::optional<VersionStatus> parse_version_status(std::string_view s) {
  for (int i = 0; i < 6; ++i)
    if (s == kStatus[i]) return VersionStatus(i);
  return std::nullopt;
}

namespace version_repo {
namespace {

constexpr const char* kColumns =
    "id, project_id, owner_id, parent_version_id, mode, prompt, controls, seed, status, job_id, duration_ms,"
    " chunk_count, error, created_at, updated_at, vary_from, vary_to, bar_count, pdf_job_id, pdf_error,"
    " EXISTS (SELECT 1 FROM version_files f WHERE f.version_id = versions.id AND f.format = 'pdf')";

nlohmann::json parsed(const std::string& text, nlohmann::json fallback) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

VersionRecord row(const Stmt& s, bool with_notes) {
  VersionRecord v;
  v.id = s.column_text(0);
  v.project_id = s.column_text(1);
  v.owner_id = s.column_text(2);
  v.parent_version_id = s.column_optional_text(3);
  v.mode = s.column_text(4);
  v.prompt = s.column_text(5);
  v.controls = parsed(s.column_text(6), nlohmann::json::object());
  v.seed = s.column_int64(7);
  v.status = parse_version_status(s.column_text(8)).value_or(VersionStatus::Failed);
  v.job_id = s.column_optional_text(9).value_or("");
  v.duration_ms = s.column_int64(10);
  v.chunk_count = s.column_int64(11);
  v.error = s.column_text(12);
  v.created_at = s.column_int64(13);
  v.updated_at = s.column_int64(14);
  if (!s.is_null(15)) v.vary_from = s.column_int(15);
  if (!s.is_null(16)) v.vary_to = s.column_int(16);
  v.bar_count = s.column_int64(17);
  v.pdf_job_id = s.column_optional_text(18);
  v.pdf_error = s.column_text(19);
  v.has_pdf = s.column_int64(20) != 0;
  if (with_notes) v.notes = parsed(s.column_text(21), nlohmann::json::array());
  return v;
}

}  // namespace

void insert(Db& db, const VersionRecord& v) {
  db.touch(v.owner_id);
  db.run("INSERT INTO versions (id, project_id, owner_id, parent_version_id, mode, prompt, controls, seed, status,"
         " job_id, duration_ms, chunk_count, notes, error, created_at, updated_at, vary_from, vary_to)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         v.id, v.project_id, v.owner_id, v.parent_version_id, v.mode, v.prompt, v.controls.dump(), v.seed,
         to_string(v.status), v.job_id.empty() ? std::optional<std::string>{} : std::optional<std::string>{v.job_id},
         v.duration_ms, v.chunk_count, v.notes.dump(), v.error, v.created_at, v.updated_at,
         v.vary_from ? std::optional<std::int64_t>(*v.vary_from) : std::nullopt,
         v.vary_to ? std::optional<std::int64_t>(*v.vary_to) : std::nullopt);
}

std::optional<VersionRecord> find(Database& database, const std::string& id, bool with_notes) {
  return database.read([&](Db& db) -> std::optional<VersionRecord> {
    auto s = db.query(std::string("SELECT ") + kColumns + (with_notes ? ", notes" : "") + " FROM versions WHERE id = ?", id);
    if (!s.step()) return std::nullopt;
    return row(s, with_notes);
  });
}

std::vector<VersionRecord> list_for_project(Database& database, const std::string& project_id) {
  return database.read([&](Db& db) {
    std::vector<VersionRecord> out;
    auto s = db.query(std::string("SELECT ") + kColumns + " FROM versions WHERE project_id = ? ORDER BY created_at, id",
                      project_id);
    while (s.step()) out.push_back(row(s, false));
    return out;
  });
}

namespace {
void touch_owner(Db& db, const std::string& id) {
  if (auto owner = db.scalar_text("SELECT owner_id FROM versions WHERE id = ?", id)) db.touch(*owner);
}
}  // namespace

bool start(Database& database, const std::string& id, std::int64_t now) {
  return database.write([&](Db& db) {
    touch_owner(db, id);
    return db.run("UPDATE versions SET status = 'running', updated_at = ? WHERE id = ? AND status = 'queued'", now, id) > 0;
  });
}

std::int64_t add_chunk(Database& database, const std::string& id, std::string_view bytes, const nlohmann::json& meta,
                       std::int64_t duration_ms, std::int64_t now) {
  return database.write([&](Db& db) {
    touch_owner(db, id);
    auto seq = chunk_repo::append(database, id, bytes, meta, now);
    if (db.run("UPDATE versions SET chunk_count = ?, duration_ms = duration_ms + ?, updated_at = ? WHERE id = ?", seq,
               duration_ms, now, id) == 0)
      throw Error(ErrorKind::NotFound, "Version " + id + " not found");
    return seq;
  });
}

void finish(Database& database, const std::string& id, VersionStatus status, const nlohmann::json& notes,
            std::int64_t bar_count, const std::string& error, std::int64_t now) {
  database.write([&](Db& db) {
    touch_owner(db, id);
    db.run("UPDATE versions SET status = ?, notes = ?, bar_count = ?, error = ?, updated_at = ? WHERE id = ?",
           to_string(status), notes.dump(), bar_count, error, now, id);
  });
}

void set_pdf_job(Db& db, const std::string& id, const std::string& job_id) {
  db.run("UPDATE versions SET pdf_job_id = ?, pdf_error = '' WHERE id = ?", job_id, id);
}

void set_pdf_error(Db& db, const std::string& job_id, const std::string& error) {
  db.run("UPDATE versions SET pdf_error = ? WHERE pdf_job_id = ?", error.empty() ? std::string("failed") : error, job_id);
}

void put_file(Database& database, const std::string& id, const std::string& format, std::string_view bytes,
              std::int64_t now) {
  database.write([&](Db& db) {
    touch_owner(db, id);
    auto s = db.prepare("INSERT OR REPLACE INTO version_files (version_id, format, bytes, created_at) VALUES (?, ?, ?, ?)");
    s.bind(1, id).bind(2, format).bind_blob(3, bytes).bind(4, now);
    s.run();
  });
}

std::optional<std::string> file(Database& database, const std::string& id, const std::string& format) {
  return database.read([&](Db& db) -> std::optional<std::string> {
    auto s = db.query("SELECT bytes FROM version_files WHERE version_id = ? AND format = ?", id, format);
    if (!s.step()) return std::nullopt;
    return s.column_blob(0);
  });
}

bool close_open(Db& db, const std::string& job_id, VersionStatus status, const std::string& error, std::int64_t now) {
  auto owner = db.scalar_text("SELECT owner_id FROM versions WHERE job_id = ? AND status IN ('queued', 'running')", job_id);
  if (!owner) return false;
  db.touch(*owner);
  return db.run("UPDATE versions SET status = ?, error = ?, updated_at = ? WHERE job_id = ? AND status IN ('queued', 'running')",
                to_string(status), error, now, job_id) > 0;
}

std::vector<std::string> interrupt_running(Database& database, std::int64_t now) {
  return database.write([&](Db& db) {
    std::vector<std::string> ids;
    auto s = db.query("SELECT id, owner_id FROM versions WHERE status = 'running'");
    while (s.step()) {
      ids.push_back(s.column_text(0));
      db.touch(s.column_text(1));
    }
    db.run("UPDATE versions SET status = 'interrupted', updated_at = ? WHERE status = 'running'", now);
    return ids;
  });
}

void set_notes(Database& database, const std::string& id, const nlohmann::json& notes, std::int64_t bar_count,
               std::int64_t now) {
  database.write([&](Db& db) {
    touch_owner(db, id);
    db.run("UPDATE versions SET notes = ?, bar_count = ?, updated_at = ? WHERE id = ?", notes.dump(), bar_count, now, id);
  });
}

// Before projects (their parent rows): a version's chunk stream goes with it.
std::vector<OwnedTable> owned_tables() {
  return {{DbScope::Tenant, "versions", "owner_id", "", "", {{"chunks", "stream_id", "id"}, {"version_files", "version_id", "id"}}}};
}

}  // namespace version_repo
}  // namespace cadenza::store
