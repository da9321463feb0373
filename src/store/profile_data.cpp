#include "cadenza/store/profile_data.hpp"

#include "cadenza/store/db.hpp"
#include "cadenza/store/project_repo.hpp"
#include "cadenza/store/version_repo.hpp"

namespace cadenza::store {

const std::vector<OwnedTable>& owned_tables() {
  static const std::vector<OwnedTable> all = [] {
    std::vector<OwnedTable> out;
    // Conversions before jobs (a conversion row names its job); versions (with their chunks) before projects;
    // listens before tune vectors (no SET NULL pass).
    for (auto part : {version_repo::owned_tables(), project_repo::owned_tables(), conversion_repo::owned_tables(), webhook_repo::owned_tables(), transcription_repo::owned_tables(),
                      job_repo::owned_tables(), listen_repo::owned_tables(), preference_repo::owned_tables(), tune_vector_repo::owned_tables(),
                      variable_repo::owned_tables(), blob_repo::owned_tables(), bot_repo::owned_tables(),
                      control_owned_tables()})
      out.insert(out.end(), part.begin(), part.end());
    return out;
  }();
  return all;
}

DependentCounts count_dependents(Db& db, DbScope scope, const std::string& profile_id) {
  DependentCounts out;
  for (const auto& t : owned_tables()) {
    if (t.scope != scope || t.dependents_key.empty()) continue;
    auto sql = "SELECT COUNT(*) FROM " + t.table + " WHERE " + t.column + " = ?" +
               (t.count_where.empty() ? "" : " AND " + t.count_where);
    if (auto n = db.scalar_int64(sql, profile_id).value_or(0); n > 0) out[t.dependents_key] += n;
  }
  return out;
}

DependentCounts delete_owned_rows(Db& db, DbScope scope, const std::string& profile_id) {
  auto counted = count_dependents(db, scope, profile_id);
  db.touch(profile_id);
  for (const auto& t : owned_tables()) {
    if (t.scope != scope) continue;
    for (const auto& c : t.children)
      db.run("DELETE FROM " + c.table + " WHERE " + c.column + " IN (SELECT " + c.parent_column + " FROM " + t.table +
                 " WHERE " + t.column + " = ?)",
             profile_id);
    db.run("DELETE FROM " + t.table + " WHERE " + t.column + " = ?", profile_id);
  }
  return counted;
}

}  // namespace cadenza::store
