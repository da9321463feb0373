#pragma once
// Online backup of a data directory: SQLite's backup API for control.db and tenants/*.db (safe while the
// server runs), plain copies of blobs/ and secrets/, in the same layout.
#include <filesystem>

#include "cadenza/config/config.hpp"

namespace cadenza::store {

struct BackupReport {
  int databases = 0;  // database files copied
  int files = 0;      // blob and secret files copied
};

// dest must not exist or be an empty directory (Error(BadRequest) otherwise).
BackupReport backup(const config::StorageConfig& storage, const std::filesystem::path& dest);

}  // namespace cadenza::store
