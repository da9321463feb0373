#include "cadenza/store/project_repo.hpp"

#include "cadenza/store/chunk_repo.hpp"

namespace cadenza::store::project_repo {
namespace {

constexpr const char* kSelect =
    "SELECT p.id, p.owner_id, p.name, p.created_at, p.updated_at,"
    " (SELECT COUNT(*) FROM versions v WHERE v.project_id = p.id) FROM projects p";

ProjectRecord row(const Stmt& s) {
  ProjectRecord p;
  p.id = s.column_text(0);
  p.owner_id = s.column_text(1);
  p.name = s.column_text(2);
  p.created_at = s.column_int64(3);
  p.updated_at = s.column_int64(4);
  p.version_count = s.column_int64(5);
  return p;
}

}  // namespace

void insert(Database& database, const ProjectRecord& p) {
  database.write([&](Db& db) {
    db.touch(p.owner_id);
    db.run("INSERT INTO projects (id, owner_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", p.id, p.owner_id,
           p.name, p.created_at, p.updated_at);
  });
}

std::optional<ProjectRecord> find(Database& database, const std::string& id) {
  return database.read([&](Db& db) -> std::optional<ProjectRecord> {
    auto s = db.query(std::string(kSelect) + " WHERE p.id = ?", id);
    if (!s.step()) return std::nullopt;
    return row(s);
  });
}

std::vector<ProjectRecord> list(Database& database, const std::string& owner_id, int limit, int offset) {
  return database.read([&](Db& db) {
    std::vector<ProjectRecord> out;
    auto s = db.query(std::string(kSelect) + " WHERE p.owner_id = ? ORDER BY p.created_at DESC, p.id LIMIT ? OFFSET ?",
                      owner_id, limit, offset);
    while (s.step()) out.push_back(row(s));
    return out;
  });
}

std::int64_t count(Database& database, const std::string& owner_id) {
  return database.read(
      [&](Db& db) { return db.scalar_int64("SELECT COUNT(*) FROM projects WHERE owner_id = ?", owner_id).value_or(0); });
}

bool rename(Database& database, const std::string& id, const std::string& name, std::int64_t now) {
  return database.write([&](Db& db) {
    auto owner = db.scalar_text("SELECT owner_id FROM projects WHERE id = ?", id);
    if (!owner) return false;
    db.touch(*owner);
    db.run("UPDATE projects SET name = ?, updated_at = ? WHERE id = ?", name, now, id);
    return true;
  });
}

void touch(Db& db, const std::string& id, std::int64_t now) {
  db.run("UPDATE projects SET updated_at = ? WHERE id = ?", now, id);
}

bool remove(Database& database, const std::string& id) {
  return database.write([&](Db& db) {
    auto owner = db.scalar_text("SELECT owner_id FROM projects WHERE id = ?", id);
    if (!owner) return false;
    db.touch(*owner);
    db.run("DELETE FROM chunks WHERE stream_id IN (SELECT id FROM versions WHERE project_id = ?)", id);
    db.run("DELETE FROM versions WHERE project_id = ?", id);
    db.run("DELETE FROM projects WHERE id = ?", id);
    return true;
  });
}

// Versions (and their chunks) go first: version_repo registers them.
std::vector<OwnedTable> owned_tables() { return {{DbScope::Tenant, "projects", "owner_id", "projects", "", {}}}; }

}  // namespace cadenza::store::project_repo
