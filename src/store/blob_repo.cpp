#include "cadenza/store/blob_repo.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/store/profile_data.hpp"

namespace cadenza::store {

namespace blob_repo {

void add_owner(Database& database, const std::string& sha, const std::string& owner_id) {
  database.write([&](Db& db) {
    db.touch(owner_id);
    db.run("INSERT OR IGNORE INTO blob_owners (sha, owner_id, created_at) VALUES (?, ?, ?)", sha, owner_id, now_ms());
    db.run("DELETE FROM blob_garbage WHERE sha = ?", sha);
  });
}

std::vector<std::string> owners(Database& database, const std::string& sha) {
  return database.read([&](Db& db) {
    std::vector<std::string> out;
    auto s = db.query("SELECT owner_id FROM blob_owners WHERE sha = ? ORDER BY owner_id", sha);
    while (s.step()) out.push_back(s.column_text(0));
    return out;
  });
}

void release_owner(Db& db, const std::string& owner_id) {
  db.run("INSERT OR IGNORE INTO blob_garbage (sha, queued_at) SELECT sha, ? FROM blob_owners o WHERE owner_id = ?"
         " AND NOT EXISTS (SELECT 1 FROM blob_owners x WHERE x.sha = o.sha AND x.owner_id <> o.owner_id)",
         now_ms(), owner_id);
  db.run("DELETE FROM blob_owners WHERE owner_id = ?", owner_id);
}

void release(Db& db, const std::string& owner_id, const std::string& sha) {
  db.touch(owner_id);
  db.run("DELETE FROM blob_owners WHERE sha = ? AND owner_id = ?", sha, owner_id);
  if (!db.scalar_int64("SELECT 1 FROM blob_owners WHERE sha = ?", sha))
    db.run("INSERT OR IGNORE INTO blob_garbage (sha, queued_at) VALUES (?, ?)", sha, now_ms());
}

int collect_garbage(Database& database, BlobStore& blobs, const std::string& tenant_id) {
  std::vector<std::string> queued = database.read([&](Db& db) {
    std::vector<std::string> out;
    auto s = db.query("SELECT sha FROM blob_garbage ORDER BY queued_at, sha");
    while (s.step()) out.push_back(s.column_text(0));
    return out;
  });
  int removed = 0;
  for (const auto& sha : queued) {
    // Under the write lock: an add_owner of the same bytes either committed before (the file stays) or
    // waits and writes its file after this removal.
    database.write([&](Db& db) {
      if (!db.scalar_int64("SELECT 1 FROM blob_owners WHERE sha = ?", sha) && blobs.remove(tenant_id, sha)) ++removed;
      db.run("DELETE FROM blob_garbage WHERE sha = ?", sha);
    });
  }
  return removed;
}

}  // namespace blob_repo

// The rows go in release_owner (the deletion calls it before delete_owned_rows, to queue the files).
std::vector<OwnedTable> blob_repo::owned_tables() { return {{DbScope::Tenant, "blob_owners", "owner_id", "", "", {}}}; }

}  // namespace cadenza::store
