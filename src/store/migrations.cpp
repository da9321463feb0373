#include "cadenza/store/migrations.hpp"

#include <spdlog/spdlog.h>

#include <string>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::store {
namespace detail {
// Generated at build time (cmake/store.cmake) from src/store/migrations/<set>/*.sql.
std::span<const Migration> embedded_migrations(std::string_view set);
}  // namespace detail

std::span<const Migration> control_migrations() { return detail::embedded_migrations("control"); }
std::span<const Migration> tenant_migrations() { return detail::embedded_migrations("tenant"); }

int migrate(Db& db, std::span<const Migration> migrations) {
  int last = 0;
  for (const auto& m : migrations) {
    if (m.version <= last) {
      throw Error(ErrorKind::Internal, "migration " + std::string(m.name) + " is out of order");
    }
    last = m.version;
  }
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  auto applied = db.scalar_int64("SELECT MAX(version) FROM schema_migrations").value_or(0);
  if (applied > last) {
    throw Error(ErrorKind::Internal, db.path().string() + ": schema version " + std::to_string(applied) +
                                         " is newer than this build knows (" + std::to_string(last) + ")");
  }
  int count = 0;
  for (const auto& m : migrations) {
    if (m.version <= applied) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      // Another process may have applied it while we waited for the lock.
      if (!db.scalar_int64("SELECT 1 FROM schema_migrations WHERE version = ?", m.version)) {
        db.exec(m.sql);
        db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.version, m.name,
               now_ms());
        ++count;
        spdlog::info("store: {}: applied migration {}", db.path().filename().string(), m.name);
      }
      db.exec("COMMIT");
    } catch (const std::exception& e) {
      db.exec("ROLLBACK");
      throw Error(ErrorKind::Internal, "migration " + std::string(m.name) + " failed: " + e.what());
    }
  }
  return count;
}

}  // namespace cadenza::store
