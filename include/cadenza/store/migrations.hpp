#pragma once
// Forward-only schema migrations, embedded in the binary at build time from
// src/store/migrations/<set>/NNNN_name.sql. Adding a migration = adding the next numbered file.
#include <span>
#include <string_view>

namespace cadenza::store {

class Db;

struct Migration {
  int version;            // NNNN from the file name
  std::string_view name;  // file name without .sql, e.g. "0001_init"
  std::string_view sql;
};

// The embedded sets, sorted by version.
std::span<const Migration> control_migrations();
std::span<const Migration> tenant_migrations();

// Applies every migration newer than the database's schema_migrations, in order, each in its own
// transaction. Returns how many were applied. Throws when the versions are not strictly increasing.
int migrate(Db& db, std::span<const Migration> migrations);

}  // namespace cadenza::store
