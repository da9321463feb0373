#pragma once
// One SQLite file per tenant (<data_dir>/tenants/<tenant id>.db), opened lazily and migrated on first use,
// so a request can only reach its own tenant's data.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/store/db.hpp"

namespace cadenza::store {

class TenantDbs {
 public:
  explicit TenantDbs(const config::StorageConfig& storage);
  ~TenantDbs();
  TenantDbs(const TenantDbs&) = delete;
  TenantDbs& operator=(const TenantDbs&) = delete;

  // The tenant's database, created and migrated on first use. Thread-safe; the reference stays valid for
  // the lifetime of this object. Throws Error(BadRequest) unless tenant_id is a UUID.
  Database& get(const std::string& tenant_id);
  // Tenant ids with a database file on disk, sorted.
  std::vector<std::string> existing();
  // Every tenant database (open now or later) reports its committed writes of a profile's data here.
  void on_profile_write(Database::WriteListener listener);

 private:
  config::StorageConfig storage_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Database>> open_;
  Database::WriteListener listener_;
};

}  // namespace cadenza::store
